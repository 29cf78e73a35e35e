"""Who is signed in: the session cookie, CSRF checks on every form, and case scope."""

from dataclasses import dataclass

from fastapi import HTTPException, Request
from starlette.datastructures import FormData

from tracker.accounts.sessions import csrf_ok, csrf_token, user_of
from tracker.accounts.users import Caller, caller_of
from tracker.bootstrap import App
from tracker.cases.access import may_read
from tracker.store.db import session_scope
from tracker.store.models import Case

COOKIE = "tracker_session"


class NotSignedIn(Exception):
    """Raised by a page that needs a user; answered with a redirect to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


@dataclass(frozen=True)
class Visitor:
    """A signed-in user in one request, with the CSRF token their forms carry."""

    caller: Caller
    session_token: str
    csrf: str


class AdminAuth:
    """The dependencies pages declare: `signed_in`, and `form` for their POSTs."""

    def __init__(self, app: App) -> None:
        self.app = app

    @property
    def secret(self) -> str:
        return self.app.settings.secret_key.get_secret_value()

    def signed_in(self, request: Request) -> Visitor:
        token = request.cookies.get(COOKIE)
        if token:
            with session_scope(self.app.engine) as session:
                user = user_of(session, token, self.app.clock.now())
            if user is not None:
                return Visitor(caller_of(user), token, csrf_token(self.secret, token))
        raise NotSignedIn(request.url.path)

    async def form(self, request: Request, visitor: Visitor) -> FormData:
        """The posted form, once its CSRF token is checked (403 otherwise)."""
        form = await request.form()
        if not csrf_ok(self.secret, visitor.session_token, str(form.get("csrf", ""))):
            raise HTTPException(
                status_code=403,
                detail="This form has expired or did not come from this site. "
                "Go back, reload the page and try again.",
            )
        return form


def require_case(caller: Caller, case: Case) -> None:
    """403 unless the caller may see this case (`tracker.cases.access`)."""
    if not may_read(caller, case):
        raise HTTPException(status_code=403, detail="This case is not assigned to you.")


def require_staff(caller: Caller) -> None:
    """403 for representatives: organisation-wide pages are for administrators and staff."""
    if not caller.sees_all_cases:
        raise HTTPException(status_code=403, detail="Only administrators and staff may do this.")


def require_admin(caller: Caller) -> None:
    """403 unless the caller is an administrator."""
    if not caller.is_admin:
        raise HTTPException(status_code=403, detail="Only administrators may do this.")
