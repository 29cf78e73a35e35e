"""Feed tokens as the admin lists them, scoped to one representative when asked, and the
two URLs a new token is subscribed with."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from tracker.store.models import Case, FeedToken, Representative, must_id


@dataclass(frozen=True)
class FeedLine:
    """One token: whose calendar it is, and its life so far."""

    id: int
    owner: str
    privacy: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    representative_id: int | None


def feed_lines(
    session: Session,
    representative_id: int | None = None,
    *,
    before: int | None = None,
    limit: int | None = None,
) -> list[FeedLine]:
    """Tokens newest first: with `representative_id` only that representative's, with
    `before` only older than that id, and at most `limit` of them."""
    query = (
        select(FeedToken, Representative.email, Case.external_id)
        .outerjoin(Representative, col(FeedToken.representative_id) == col(Representative.id))
        .outerjoin(Case, col(FeedToken.case_id) == col(Case.id))
        .order_by(col(FeedToken.id).desc())
        .limit(limit)
    )
    if representative_id is not None:
        query = query.where(FeedToken.representative_id == representative_id)
    if before is not None:
        query = query.where(col(FeedToken.id) < before)
    return [
        FeedLine(
            id=must_id(row.id),
            owner=email if email is not None else f"case {external_id}",
            privacy=row.privacy,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
            representative_id=row.representative_id,
        )
        for row, email, external_id in session.exec(query)
    ]


def feed_token(session: Session, token_id: int) -> FeedToken | None:
    """One feed token by id, revoked or not."""
    return session.get(FeedToken, token_id)


def representative_by_id(session: Session, representative_id: int) -> Representative | None:
    """One representative by id."""
    return session.get(Representative, representative_id)


def representatives(session: Session) -> list[Representative]:
    """Every representative, by email: whom a feed can be issued for."""
    return list(session.exec(select(Representative).order_by(col(Representative.email))))


def feed_urls(public_base_url: str, token: str) -> tuple[str, str]:
    """The feed's web address and the same as webcal://, which calendar apps subscribe to."""
    url = f"{public_base_url}/feeds/{token}.ics"
    return url, "webcal://" + url.split("://", 1)[1]
