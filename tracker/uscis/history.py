"""Reading USCIS history and staff notices for people (`tracker case show`, the admin
case page, `tracker uscis notices`), and resolving a notice."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from tracker.errors import InvalidInputError, NotFoundError
from tracker.store import audit
from tracker.store.models import Case, Filing, StaffNotice, UscisPoll, UscisStatus


@dataclass(frozen=True)
class FilingHistory:
    """One filing's polling state and every status USCIS reported for it, newest first."""

    filing: Filing
    poll: UscisPoll | None
    statuses: list[UscisStatus]


def history_for_case(session: Session, case_id: int) -> list[FilingHistory]:
    """Each filing of a case, in the order recorded, with its USCIS history."""
    filings = session.exec(
        select(Filing).where(Filing.case_id == case_id).order_by(col(Filing.id))
    ).all()
    ids = [f.id for f in filings]
    statuses = session.exec(
        select(UscisStatus)
        .where(col(UscisStatus.filing_id).in_(ids))
        .order_by(col(UscisStatus.id).desc())
    ).all()
    polls = {
        p.filing_id: p
        for p in session.exec(select(UscisPoll).where(col(UscisPoll.filing_id).in_(ids))).all()
    }
    return [
        FilingHistory(
            filing=filing,
            poll=polls.get(filing.id) if filing.id is not None else None,
            statuses=[s for s in statuses if s.filing_id == filing.id],
        )
        for filing in filings
    ]


def notices_for_case(
    session: Session, case_id: int, *, open_only: bool = False
) -> list[StaffNotice]:
    """A case's notices, open ones first, then newest first."""
    query = select(StaffNotice).where(StaffNotice.case_id == case_id)
    if open_only:
        query = query.where(col(StaffNotice.resolved_at).is_(None))
    return list(
        session.exec(
            query.order_by(col(StaffNotice.resolved_at).is_not(None), col(StaffNotice.id).desc())
        ).all()
    )


def open_notices(
    session: Session, *, urgent_only: bool = False, limit: int = 200
) -> list[tuple[StaffNotice, str]]:
    """Open notices with their case's external id: urgent first, then oldest first."""
    query = (
        select(StaffNotice, Case.external_id)
        .join(Case, col(Case.id) == StaffNotice.case_id)
        .where(col(StaffNotice.resolved_at).is_(None))
    )
    if urgent_only:
        query = query.where(col(StaffNotice.urgent))
    query = query.order_by(col(StaffNotice.urgent).desc(), col(StaffNotice.id)).limit(limit)
    return list(session.exec(query).all())


def resolve_notice(session: Session, notice_id: int, *, actor: str, now: datetime) -> StaffNotice:
    """Mark a notice dealt with; an unknown or already resolved notice is refused."""
    notice = session.get(StaffNotice, notice_id)
    if notice is None:
        raise NotFoundError(f"no notice with id {notice_id}")
    if notice.resolved_at is not None:
        raise InvalidInputError(
            f"notice {notice_id} was resolved on {notice.resolved_at:%Y-%m-%d %H:%M} UTC"
            f" by {notice.resolved_by}"
        )
    notice.resolved_at, notice.resolved_by = now, actor
    session.add(notice)
    audit.record(
        session,
        at=now,
        actor=actor,
        action="notice.resolved",
        entity="case",
        entity_id=notice.case_id,
        notice=notice_id,
        kind=notice.kind.value,
    )
    return notice
