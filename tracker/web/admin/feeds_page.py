"""/admin/feeds: calendar feed links. Staff issue them for any representative or case; a
representative only for their own cases, and sees only their own."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlmodel import Session

from tracker.accounts.users import Caller
from tracker.bootstrap import App
from tracker.cases.access import reads_for
from tracker.errors import InvalidInputError, NotFoundError
from tracker.feeds.listing import (
    feed_lines,
    feed_token,
    feed_urls,
    representative_by_id,
    representatives,
)
from tracker.feeds.tokens import PRIVACY_LEVELS, Issued, issue, revoke, rotate
from tracker.store.db import session_scope
from tracker.store.models import MAX_ID, FeedToken, Representative
from tracker.web.admin.auth import AdminAuth, Visitor
from tracker.web.admin.page_kit import (
    FieldError,
    Fields,
    once_value,
    page,
    refusal,
    see_other,
    text,
    whole,
)

PATH = "/admin/feeds"
# Feeds listed a page at a time: a parolee's own feed is one each, so there may be many.
PAGE_SIZE = 100
SCOPES = ("representative", "case")


def own_representative(session: Session, caller: Caller) -> Representative:
    """The representative a representative user acts for (403 if the account has none)."""
    rep = representative_by_id(session, caller.representative_id or 0)
    if rep is None:
        raise HTTPException(403, "Your account is not linked to a representative.")
    return rep


def feed_of(session: Session, caller: Caller, token_id: int) -> FeedToken:
    """A feed the caller may revoke or rotate: staff any, a representative their own."""
    row = feed_token(session, token_id)
    if row is None:
        raise HTTPException(404, f"There is no feed {token_id}.")
    if not reads_for(caller, row.representative_id):
        raise HTTPException(403, "This feed is not yours.")
    return row


def issue_from(session: Session, caller: Caller, fields: Fields, now: datetime) -> Issued:
    """Issue the feed a form asks for; FieldError names what is wrong, 403 if not allowed."""
    privacy = text(fields, "privacy")
    if privacy not in PRIVACY_LEVELS:
        raise FieldError("privacy", "Privacy", "choose minimal or full.")
    if not caller.sees_all_cases:
        mine = own_representative(session, caller)
        asked = text(fields, "representative")
        if text(fields, "scope") == "case" or asked not in ("", mine.email):
            raise HTTPException(403, "You can issue feeds only for your own cases.")
        return issue(
            session, now=now, actor=caller.actor, representative_email=mine.email, privacy=privacy
        )
    scope = text(fields, "scope")
    if scope not in SCOPES:
        raise FieldError("scope", "Feed for", "choose a representative or one case.")
    label = "Representative" if scope == "representative" else "Case"
    wanted = text(fields, scope)
    if not wanted:
        raise FieldError(scope, label, "please fill this in.")
    try:
        if scope == "representative":
            return issue(
                session, now=now, actor=caller.actor, representative_email=wanted, privacy=privacy
            )
        return issue(session, now=now, actor=caller.actor, case_ref=wanted, privacy=privacy)
    except NotFoundError as exc:
        raise FieldError(scope, label, f"{exc.message}.") from None


def feeds_routes(app: App, auth: AdminAuth) -> APIRouter:
    """GET/POST /admin/feeds and POST /admin/feeds/{id}/revoke and .../rotate."""
    router = APIRouter(prefix=PATH)
    secure = app.settings.secure_cookies

    def show(
        request: Request, visitor: Visitor, status_code: int = 200, **context: Any
    ) -> Response:
        caller = visitor.caller
        try:
            before = whole(request.query_params, "before", "Page", 1, MAX_ID)
        except FieldError:
            before = None  # a mangled page link: show the newest
        with session_scope(app.engine) as session:
            # A representative lists their own feeds; an unlinked account is refused.
            mine = None if caller.sees_all_cases else own_representative(session, caller).id
            lines = feed_lines(session, mine, before=before, limit=PAGE_SIZE + 1)
            reps = representatives(session) if caller.sees_all_cases else []
        older = f"{PATH}?before={lines[PAGE_SIZE - 1].id}" if len(lines) > PAGE_SIZE else None
        token = once_value(request, "feed")
        urls = feed_urls(app.settings.base_url, token) if token else None
        return page(
            request,
            "feeds.html",
            {
                "visitor": visitor,
                "nav": "feeds",
                "feeds": lines[:PAGE_SIZE],
                "representatives": reps,
                "values": {},
                "urls": urls,
                "older": older,
                "newest": PATH if before else None,
                **context,
            },
            status_code,
        )

    @router.get("")
    def feeds(request: Request, visitor: Visitor = Depends(auth.signed_in)) -> Response:
        return show(request, visitor)

    @router.post("")
    async def issue_feed(request: Request, visitor: Visitor = Depends(auth.signed_in)) -> Response:
        fields = await auth.form(request, visitor)
        try:
            with session_scope(app.engine) as session:
                issued = issue_from(session, visitor.caller, fields, app.clock.now())
        except InvalidInputError as exc:
            return show(request, visitor, 422, values=dict(fields), **refusal(exc))
        notice = (
            f"Feed {issued.row.id} issued ({issued.row.privacy}). Copy its link now: "
            "it is shown only this once."
        )
        return see_other(PATH, notice, secure=secure, feed=issued.token)

    @router.post("/{token_id:int}/revoke")
    async def revoke_feed(
        request: Request, token_id: int, visitor: Visitor = Depends(auth.signed_in)
    ) -> Response:
        await auth.form(request, visitor)
        try:
            with session_scope(app.engine) as session:
                feed_of(session, visitor.caller, token_id)
                revoke(session, token_id, app.clock.now(), visitor.caller.actor)
        except InvalidInputError as exc:
            return show(request, visitor, 422, **refusal(exc))
        return see_other(PATH, f"Feed {token_id} revoked. Its link no longer works.", secure=secure)

    @router.post("/{token_id:int}/rotate")
    async def rotate_feed(
        request: Request, token_id: int, visitor: Visitor = Depends(auth.signed_in)
    ) -> Response:
        await auth.form(request, visitor)
        try:
            with session_scope(app.engine) as session:
                feed_of(session, visitor.caller, token_id)
                issued = rotate(session, token_id, app.clock.now(), visitor.caller.actor)
        except InvalidInputError as exc:
            return show(request, visitor, 422, **refusal(exc))
        notice = (
            f"Feed {token_id} replaced by feed {issued.row.id}; the old link no longer works. "
            "Copy the new link now: it is shown only this once."
        )
        return see_other(PATH, notice, secure=secure, feed=issued.token)

    return router
