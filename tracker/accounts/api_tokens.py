"""Bearer tokens for the JSON API: issued once, stored as a hash, revocable."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from tracker.errors import InvalidInputError, NotFoundError
from tracker.secret_tokens import digest, new_token
from tracker.store import audit
from tracker.store.models import ApiToken, User


@dataclass(frozen=True)
class IssuedApiToken:
    token: str
    row: ApiToken


def issue_api_token(
    session: Session, *, email: str, name: str, now: datetime, actor: str
) -> IssuedApiToken:
    """A new API token acting as the user with `email`."""
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        raise NotFoundError(f"no user with email {email!r}")
    if not name.strip():
        raise InvalidInputError("give the token a name, such as the system that will use it")
    assert user.id is not None
    token = new_token()
    row = ApiToken(
        token_hash=digest(token), user_id=user.id, name=name.strip()[:100], created_at=now
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        at=now,
        actor=actor,
        action="api_token.issued",
        entity="api_token",
        entity_id=row.id,
    )
    return IssuedApiToken(token, row)


def user_of_api_token(session: Session, token: str, now: datetime) -> User | None:
    """The user a live API token acts as; None if unknown or revoked."""
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == digest(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled_at is not None:
        return None
    row.last_used_at = now
    session.add(row)
    return user
