"""/admin/languages: each language's texts, their English back-translations, how many
await native review, and whether people get the translation or English for now.

Everyone on staff may read; only administrators change what is sent.
"""

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from tracker.alerts.languages import choose, language_states
from tracker.bootstrap import App
from tracker.store.db import session_scope
from tracker.web.admin.auth import AdminAuth, Visitor, require_admin, require_staff
from tracker.web.admin.page_kit import page, see_other, text

PATH = "/admin/languages"
SEND = {"translation": False, "english": True}
# Written right to left: Dari and Pashto.
RTL = frozenset({"fa-AF", "ps"})


def languages_routes(app: App, auth: AdminAuth) -> APIRouter:
    """GET /admin/languages, GET /admin/languages/{code}, POST /admin/languages/{code}."""
    router = APIRouter(prefix=PATH)
    catalog = app.composer.catalog
    secure = app.settings.secure_cookies

    @router.get("")
    def languages(request: Request, visitor: Visitor = Depends(auth.signed_in)) -> Response:
        require_staff(visitor.caller)
        with session_scope(app.engine) as session:
            states = language_states(session, catalog)
        context = {"visitor": visitor, "nav": "languages", "states": states}
        return page(request, "languages.html", context)

    @router.get("/{code}")
    def language(
        request: Request, code: str, visitor: Visitor = Depends(auth.signed_in)
    ) -> Response:
        require_staff(visitor.caller)
        if code not in catalog.languages:
            raise HTTPException(status_code=404, detail=f"No messages in language {code!r}.")
        file = catalog.file(code)
        english = catalog.file("en")
        rows = [
            {
                "key": key,
                "text": words,
                "back": (file.back or {}).get(f"messages.{key}"),
                "english": english.messages[key],
                "review": key in file.needs_review,
            }
            for key, words in file.messages.items()
        ]
        context = {
            "visitor": visitor, "nav": "languages", "code": code, "rows": rows,
            "name": catalog.language_name(code), "rtl": code in RTL,
        }  # fmt: skip
        return page(request, "language.html", context)

    @router.post("/{code}")
    async def send_as(
        request: Request, code: str, visitor: Visitor = Depends(auth.signed_in)
    ) -> Response:
        require_admin(visitor.caller)
        fields = await auth.form(request, visitor)
        wanted = text(fields, "send")
        if wanted not in SEND:
            raise HTTPException(status_code=422, detail="Choose the translation or English.")
        with session_scope(app.engine) as session:
            choose(
                session,
                catalog,
                code,
                SEND[wanted],
                actor=visitor.caller.actor,
                now=app.clock.now(),
            )
        name = catalog.language_name(code, "en")
        what = "English" if SEND[wanted] else f"the {name} translation"
        return see_other(PATH, f"People who read {name} now get {what}.", secure=secure)

    return router
