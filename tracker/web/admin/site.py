"""The admin as a whole: its routers and static files."""

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from tracker.bootstrap import App
from tracker.web.admin.audit_page import audit_routes
from tracker.web.admin.auth import AdminAuth
from tracker.web.admin.case_page import case_routes
from tracker.web.admin.cases_list import cases_list_routes
from tracker.web.admin.dashboard import dashboard_routes
from tracker.web.admin.feeds_page import feeds_routes
from tracker.web.admin.forecast_page import forecast_routes
from tracker.web.admin.imports import imports_routes
from tracker.web.admin.languages_page import languages_routes
from tracker.web.admin.login import login_routes
from tracker.web.admin.terminations import terminations_routes
from tracker.web.templating import STATIC


def install_admin(web: FastAPI, app: App, auth: AdminAuth) -> None:
    """Add the admin pages and their static files to `web`."""
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
