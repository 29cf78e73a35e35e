"""GET /admin: the morning overview."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from tracker.bootstrap import App
from tracker.cases.dashboard import build_dashboard
from tracker.clock import local_today
from tracker.store.db import session_scope
from tracker.web.admin.auth import AdminAuth, Visitor
from tracker.web.templating import render


def dashboard_routes(app: App, auth: AdminAuth) -> APIRouter:
    router = APIRouter(prefix="/admin")

    @router.get("")
    def dashboard(request: Request, visitor: Visitor = Depends(auth.signed_in)) -> Response:
        today = local_today(app.clock, app.settings.default_timezone)
        with session_scope(app.engine) as session:
            board = build_dashboard(
                session, today, app.clock.now(), visitor.caller, app.known_terminations
            )
            return render(
                request,
                "dashboard.html",
                {"visitor": visitor, "nav": "dashboard", "board": board, "today": today},
            )

    return router
