"""Feed tokens: issued once, stored only as a hash, listed, revoked and rotated."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from tracker.cases.repository import find_case
from tracker.errors import InvalidInputError, NotFoundError
from tracker.secret_tokens import digest, new_token
from tracker.store import audit
from tracker.store.models import FeedToken, Representative

PRIVACY_LEVELS = ("minimal", "full")


@dataclass(frozen=True)
class Issued:
    """A new token: the secret (shown once) and its stored row."""

    token: str
    row: FeedToken


def issue(
    session: Session,
    *,
    now: datetime,
    actor: str,
    representative_email: str | None = None,
    case_ref: str | None = None,
    privacy: str = "minimal",
) -> Issued:
    """A token for one representative's cases, or for one case."""
    if (representative_email is None) == (case_ref is None):
        raise InvalidInputError("give exactly one of --representative EMAIL or --case ID")
    if privacy not in PRIVACY_LEVELS:
        raise InvalidInputError(f"--privacy {privacy!r}: use minimal or full")
    row = FeedToken(token_hash="", privacy=privacy, created_at=now)
    if representative_email is not None:
        rep = session.exec(
            select(Representative).where(Representative.email == representative_email.lower())
        ).first()
        if rep is None:
            raise NotFoundError(f"no representative with email {representative_email!r}")
        row.representative_id = rep.id
    else:
        case, _ = find_case(session, case_ref or "")
        row.case_id = case.id
    token = new_token()
    row.token_hash = digest(token)
    session.add(row)
    session.flush()
    audit.record(
        session,
        at=now,
        actor=actor,
        action="feed.issued",
        entity="feed_token",
        entity_id=row.id,
        privacy=privacy,
    )
    return Issued(token, row)


def find_active(session: Session, token: str) -> FeedToken | None:
    """The live token row for a presented token, by its hash; None if unknown or revoked."""
    row = session.exec(select(FeedToken).where(FeedToken.token_hash == digest(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    return row


def revoke(session: Session, token_id: int, now: datetime, actor: str) -> FeedToken:
    """Revoke a token: its URL answers 404 from now on."""
    row = session.get(FeedToken, token_id)
    if row is None:
        raise NotFoundError(f"no feed token with id {token_id}")
    if row.revoked_at is not None:
        raise InvalidInputError(f"feed token {token_id} is already revoked")
    row.revoked_at = now
    session.add(row)
    audit.record(
        session, at=now, actor=actor, action="feed.revoked", entity="feed_token", entity_id=token_id
    )
    return row


def rotate(session: Session, token_id: int, now: datetime, actor: str) -> Issued:
    """Revoke a token and issue a new one for the same calendar and privacy level."""
    old = revoke(session, token_id, now, actor)
    token = new_token()
    row = FeedToken(
        token_hash=digest(token),
        representative_id=old.representative_id,
        case_id=old.case_id,
        privacy=old.privacy,
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        at=now,
        actor=actor,
        action="feed.rotated",
        entity="feed_token",
        entity_id=row.id,
        replaces=token_id,
    )
    return Issued(token, row)
