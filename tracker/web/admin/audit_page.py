"""GET /admin/audit: the audit trail, newest first, filtered and paged. Administrators only.

Read-only by design: the admin has no route that edits or deletes an audit row.
"""

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from tracker.bootstrap import App
from tracker.store.audit_query import AuditFilter, audit_page
from tracker.store.db import session_scope
from tracker.store.models import MAX_ID
from tracker.web.admin.auth import AdminAuth, Visitor, require_admin
from tracker.web.admin.page_kit import (
    FieldError,
    Fields,
    day,
    page,
    refusal,
    text,
    whole,
)

PATH = "/admin/audit"
FILTERS = ("actor", "action", "entity", "entity_id", "since", "until")


def read_filter(fields: Fields) -> AuditFilter:
    """The filters of a query string; a FieldError names the first one that is wrong."""
    for name, label in (("actor", "Actor"), ("action", "Action"), ("entity", "Entity")):
        if len(text(fields, name)) > 200:
            raise FieldError(name, label, "keep it to 200 characters or fewer.")
    entity_id = whole(fields, "entity_id", "Entity id", 1, MAX_ID)
    if entity_id is not None and not text(fields, "entity"):
        raise FieldError("entity", "Entity", "say which kind of record the id belongs to.")
    since, until = day(fields, "since", "From"), day(fields, "until", "To")
    if since and until and until < since:
        raise FieldError("until", "To", f"must be on or after the From date ({since}).")
    return AuditFilter(
        actor=text(fields, "actor") or None,
        action=text(fields, "action") or None,
        entity=text(fields, "entity") or None,
        entity_id=entity_id,
        since=since,
        until=until,
    )


def audit_routes(app: App, auth: AdminAuth) -> APIRouter:
    """GET /admin/audit; nothing else, so no page can change the trail."""
    router = APIRouter(prefix="/admin")

    @router.get("/audit")
    def audit(request: Request, visitor: Visitor = Depends(auth.signed_in)) -> Response:
        require_admin(visitor.caller)
        params = request.query_params
        kept = {name: text(params, name) for name in FILTERS if text(params, name)}
        context = {"visitor": visitor, "nav": "audit", "values": kept}
        try:
            filters = read_filter(params)
            before = whole(params, "before", "Page", 1, MAX_ID)
            after = whole(params, "after", "Page", 1, MAX_ID)
        except FieldError as exc:
            return page(request, "audit.html", {**context, **refusal(exc)}, 422)
        with session_scope(app.engine) as session:
            found = audit_page(session, filters, before=before, after=after)

        def link(**cursor: int) -> str:
            return f"{PATH}?{urlencode({**kept, **cursor})}"

        return page(
            request,
            "audit.html",
            {
                **context,
                "lines": found.lines,
                "first": link() if before or after else None,
                "older": link(before=found.older) if found.older else None,
                "newer": link(after=found.newer) if found.newer else None,
            },
        )

    return router
