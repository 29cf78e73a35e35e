"""The admin as a whole: its routers, static files, and how its errors look."""

import contextlib
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from tracker.bootstrap import App
from tracker.web.admin.audit_page import audit_routes
from tracker.web.admin.auth import AdminAuth, NotSignedIn
from tracker.web.admin.case_page import case_routes
from tracker.web.admin.cases_list import cases_list_routes
from tracker.web.admin.dashboard import dashboard_routes
from tracker.web.admin.feeds_page import feeds_routes
from tracker.web.admin.forecast_page import forecast_routes
from tracker.web.admin.imports import imports_routes
from tracker.web.admin.languages_page import languages_routes
from tracker.web.admin.login import login_routes
from tracker.web.admin.terminations import terminations_routes
from tracker.web.templating import STATIC, render

TITLES = {401: "Please sign in", 403: "Not allowed", 404: "Not found", 422: "Check the form"}


def install_admin(web: FastAPI, app: App) -> None:
    """Add the admin pages, their static files and error pages to `web`."""
    auth = AdminAuth(app)
    web.mount("/static", StaticFiles(directory=STATIC), name="static")
    for routes in (
        login_routes,
        dashboard_routes,
        cases_list_routes,
        case_routes,
        imports_routes,
        terminations_routes,
        feeds_routes,
        forecast_routes,
        languages_routes,
        audit_routes,
    ):
        web.include_router(routes(app, auth), include_in_schema=False)

    @web.exception_handler(NotSignedIn)
    def to_login(_request: Request, exc: NotSignedIn) -> Response:
        return RedirectResponse(f"/admin/login?next={quote(exc.next_path)}", status_code=303)

    @web.exception_handler(HTTPException)
    async def admin_errors(request: Request, exc: HTTPException) -> Response:
        # The admin answers with a page; everything else (API, feeds) keeps JSON.
        if not request.url.path.startswith("/admin"):
            return await http_exception_handler(request, exc)
        title = TITLES.get(exc.status_code, "Something went wrong")
        visitor = None
        with contextlib.suppress(NotSignedIn):
            visitor = auth.signed_in(request)
        context = {"visitor": visitor, "title": title, "message": exc.detail}
        return render(request, "error.html", context, exc.status_code)
