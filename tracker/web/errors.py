"""How the web answers an error: one place maps every `TrackerError` to its HTTP status.

The admin answers with a page; everything else (API, feeds, webhooks) with JSON
`{"detail": message}`. A route never catches an error only to change its status: a
refusal the person can fix on a form is the form's business (it re-renders the form).
"""

import contextlib
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse, Response

from tracker.errors import TrackerError
from tracker.web.admin.auth import AdminAuth, NotSignedIn
from tracker.web.templating import render

TITLES = {401: "Please sign in", 403: "Not allowed", 404: "Not found", 422: "Check the form"}


def install_error_answers(web: FastAPI, auth: AdminAuth) -> None:
    """Register the handlers that turn errors into the answers described above."""

    @web.exception_handler(NotSignedIn)
    def to_login(_request: Request, exc: NotSignedIn) -> Response:
        return RedirectResponse(f"/admin/login?next={quote(exc.next_path)}", status_code=303)

    @web.exception_handler(HTTPException)
    async def http_errors(request: Request, exc: HTTPException) -> Response:
        if not request.url.path.startswith("/admin"):
            return await http_exception_handler(request, exc)
        title = TITLES.get(exc.status_code, "Something went wrong")
        visitor = None
        with contextlib.suppress(NotSignedIn):
            visitor = auth.signed_in(request)
        context = {"visitor": visitor, "title": title, "message": exc.detail}
        return render(request, "error.html", context, exc.status_code)

    @web.exception_handler(TrackerError)
    async def tracker_errors(request: Request, exc: TrackerError) -> Response:
        return await http_errors(request, HTTPException(exc.http_status, exc.message))
