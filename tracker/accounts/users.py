"""Creating users and checking who they are at sign-in."""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from tracker.accounts.passwords import (
    DUMMY_HASH,
    check_strength,
    hash_password,
    needs_rehash,
    verify_password,
)
from tracker.errors import InvalidInputError, TrackerError
from tracker.store import audit
from tracker.store.models import LoginFailure, Representative, Role, User

# Sign-in throttling: failures counted over a sliding window, per account and per client.
WINDOW = timedelta(minutes=15)
MAX_PER_ACCOUNT = 5
MAX_PER_CLIENT = 20


class TooManyAttempts(TrackerError):
    """Sign-in refused for a while after repeated failures."""

    http_status = 429


@dataclass(frozen=True)
class Caller:
    """Who is acting in a request: the user, and their scope of cases."""

    user_id: int
    email: str
    role: Role
    # For representatives: only cases assigned to this representative.
    representative_id: int | None

    @property
    def actor(self) -> str:
        """How histories and the audit log name this user."""
        return f"user:{self.email}"

    @property
    def sees_all_cases(self) -> bool:
        return self.role != Role.REPRESENTATIVE

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


def caller_of(user: User) -> Caller:
    """The acting identity of a signed-in user."""
    assert user.id is not None
    return Caller(user.id, user.email, user.role, user.representative_id)


def normalise_email(raw: str) -> str:
    """Lower-cased and trimmed; a ValueError if it is not an address."""
    email = raw.strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email or len(email) > 254:
        raise ValueError(f"{raw!r} is not an email address")
    return email


def create_user(
    session: Session, *, email: str, role: Role, password: str, now: datetime, actor: str
) -> User:
    """A new user. A representative is linked to the representative with that email
    (created if there is none yet), so they see exactly the cases assigned to them."""
    try:
        address = normalise_email(email)
        check_strength(password)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None
    if session.exec(select(User).where(User.email == address)).first() is not None:
        raise InvalidInputError(f"a user with email {address} already exists")
    user = User(email=address, role=role, password_hash=hash_password(password), created_at=now)
    if role == Role.REPRESENTATIVE:
        rep = session.exec(select(Representative).where(Representative.email == address)).first()
        if rep is None:
            rep = Representative(name=address, email=address, created_at=now)
            session.add(rep)
            session.flush()
        user.representative_id = rep.id
    session.add(user)
    session.flush()
    audit.record(
        session,
        at=now,
        actor=actor,
        action="user.created",
        entity="user",
        entity_id=user.id,
        role=role.value,
    )
    return user


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def authenticate(
    session: Session, *, email: str, password: str, client: str, now: datetime
) -> User | None:
    """The user whose email and password these are, or None; TooManyAttempts while
    throttled. Every failure is counted; a wrong email costs as much time as a wrong
    password."""
    address = email.strip().lower()
    email_hash, client_hash = _hash(address), _hash(client)
    since = now - WINDOW
    recent = select(func.count()).select_from(LoginFailure).where(col(LoginFailure.at) > since)
    by_account = session.exec(recent.where(LoginFailure.email_hash == email_hash)).one()
    by_client = session.exec(recent.where(LoginFailure.client_hash == client_hash)).one()
    if by_account >= MAX_PER_ACCOUNT or by_client >= MAX_PER_CLIENT:
        raise TooManyAttempts(
            f"Too many failed sign-ins. Wait {WINDOW.seconds // 60} minutes and try again."
        )
    user = session.exec(select(User).where(User.email == address)).first()
    ok = verify_password(user.password_hash if user else DUMMY_HASH, password)
    if user is None or not ok or user.disabled_at is not None:
        session.add(LoginFailure(email_hash=email_hash, client_hash=client_hash, at=now))
        audit.record(
            session,
            at=now,
            actor="anonymous",
            action="user.login_failed",
            entity="user",
            entity_id=user.id if user else None,
        )
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    session.add(user)
    audit.record(
        session,
        at=now,
        actor=f"user:{user.email}",
        action="user.login",
        entity="user",
        entity_id=user.id,
    )
    return user
