"""Sign in and out of the admin."""

import secrets

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from tracker.accounts.sessions import LIFETIME, end_session, start_session
from tracker.accounts.users import TooManyAttempts, authenticate
from tracker.bootstrap import App
from tracker.store.db import session_scope
from tracker.web.admin.auth import COOKIE, AdminAuth, Visitor
from tracker.web.templating import render

LOGIN_CSRF = "tracker_login_csrf"


def safe_next(value: str | None) -> str:
    """Where to go after signing in: only a path of this site's admin (no open redirect)."""
    if value and value.startswith("/admin") and not value.startswith("//"):
        return value
    return "/admin"


def login_routes(app: App, auth: AdminAuth) -> APIRouter:
    """GET/POST /admin/login and POST /admin/logout."""
    router = APIRouter(prefix="/admin")
    secure = app.settings.secure_cookies

    def login_page(request: Request, error: str | None, status: int = 200) -> Response:
        # Double-submit token: a login form posted from another site lacks the cookie.
        token = request.cookies.get(LOGIN_CSRF) or secrets.token_urlsafe(16)
        response = render(
            request,
            "login.html",
            {"error": error, "csrf": token, "next": safe_next(request.query_params.get("next"))},
            status,
        )
        response.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="strict", secure=secure)
        return response

    @router.get("/login")
    def login_form(request: Request) -> Response:
        return login_page(request, None)

    @router.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        expected = request.cookies.get(LOGIN_CSRF)
        if not expected or not secrets.compare_digest(expected, str(form.get("csrf", ""))):
            return login_page(request, "The form expired. Please sign in again.", 403)
        client = request.client.host if request.client else "unknown"
        now = app.clock.now()
        try:
            with session_scope(app.engine) as session:
                user = authenticate(
                    session,
                    email=str(form.get("email", "")),
                    password=str(form.get("password", "")),
                    client=client,
                    now=now,
                )
                token = start_session(session, user, now) if user else None
        except TooManyAttempts as exc:
            return login_page(request, exc.message, 429)
        if token is None:
            return login_page(request, "That email and password do not match an account.", 401)
        response = RedirectResponse(safe_next(str(form.get("next", ""))), status_code=303)
        response.set_cookie(
            COOKIE,
            token,
            max_age=int(LIFETIME.total_seconds()),
            httponly=True,
            samesite="lax",
            secure=secure,
            path="/",
        )
        response.delete_cookie(LOGIN_CSRF)
        return response

    @router.post("/logout")
    async def logout(request: Request, visitor: Visitor = Depends(auth.signed_in)) -> Response:
        await auth.form(request, visitor)
        with session_scope(app.engine) as session:
            end_session(session, visitor.session_token, app.clock.now())
        response = RedirectResponse("/admin/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    return router
