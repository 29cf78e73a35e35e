"""Signed-in browsers: a random cookie token (hash stored), and a CSRF token tied to it."""

import hashlib
import hmac
from datetime import datetime, timedelta

from sqlmodel import Session, select

from tracker.secret_tokens import digest, new_token
from tracker.store.models import User, WebSession

LIFETIME = timedelta(hours=12)


def start_session(session: Session, user: User, now: datetime) -> str:
    """A new session for `user`; returns the cookie token (shown to the browser only)."""
    assert user.id is not None
    token = new_token()
    session.add(
        WebSession(
            token_hash=digest(token), user_id=user.id, created_at=now, expires_at=now + LIFETIME
        )
    )
    return token


def user_of(session: Session, token: str, now: datetime) -> User | None:
    """The user of a live session token; None if unknown, ended, expired or disabled."""
    row = session.exec(select(WebSession).where(WebSession.token_hash == digest(token))).first()
    if row is None or row.ended_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled_at is not None:
        return None
    return user


def end_session(session: Session, token: str, now: datetime) -> None:
    """Sign out: the cookie token stops working at once."""
    row = session.exec(select(WebSession).where(WebSession.token_hash == digest(token))).first()
    if row is not None and row.ended_at is None:
        row.ended_at = now
        session.add(row)


def csrf_token(secret: str, session_token: str) -> str:
    """The token every form of this session must carry (derived, so nothing is stored)."""
    return hmac.new(
        secret.encode(), b"csrf\x00" + session_token.encode(), hashlib.sha256
    ).hexdigest()


def csrf_ok(secret: str, session_token: str, presented: str) -> bool:
    """True if a form's token belongs to this session."""
    return hmac.compare_digest(csrf_token(secret, session_token), presented)
