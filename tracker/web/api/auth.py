"""Who calls the API: a bearer token issued by `tracker users token`, acting as its user."""

from typing import Annotated

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tracker.accounts.api_tokens import user_of_api_token
from tracker.accounts.users import Caller, caller_of
from tracker.bootstrap import App
from tracker.store.db import session_scope

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A token from `tracker users token EMAIL --name NAME`, sent as "
    "`Authorization: Bearer <token>`. It acts as its user: a representative's token sees "
    "only the cases assigned to that representative.",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def _refused(detail: str, challenge: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": challenge})


class ApiAuth:
    """The `caller` dependency every API route declares."""

    def __init__(self, app: App) -> None:
        self.app = app

    def caller(self, credentials: Credentials) -> Caller:
        """The user the request's bearer token acts as; 401 if none, unknown or revoked."""
        if credentials is None:
            raise _refused(
                "Send an API token as 'Authorization: Bearer <token>' "
                "(issue one with: tracker users token EMAIL --name NAME).",
                "Bearer",
            )
        with session_scope(self.app.engine) as session:
            user = user_of_api_token(session, credentials.credentials, self.app.clock.now())
            caller = caller_of(user) if user is not None else None
        if caller is None:
            # RFC 6750: an unknown, revoked or disabled user's token is an invalid_token alike.
            raise _refused(
                "This API token is not valid: it is unknown, revoked, or its user is disabled.",
                'Bearer error="invalid_token"',
            )
        return caller
