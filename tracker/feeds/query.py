"""What a feed holds: the deadlines of the cases a token covers, cancelled ones included
for a while, and the cases that moved to another representative (as cancelled)."""

import datetime as dt
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, or_, select

from tracker.domain.model import DeadlineKind
from tracker.feeds.policy import FeedPolicy
from tracker.store.models import Case, CaseAssignment, DeadlineRow, FeedToken, Parolee


@dataclass(frozen=True)
class FeedItem:
    """One event of a feed."""

    case_id: int
    external_id: str
    full_name: str
    slot: str
    kind: DeadlineKind
    # `dt.date`: the attribute `date` would shadow the type for the lines below it.
    date: dt.date
    act_by: dt.date
    citation: str
    sequence: int
    changed_at: datetime
    cancelled: bool


def feed_items(
    session: Session, token: FeedToken, policy: FeedPolicy, now: datetime
) -> list[FeedItem]:
    """Every event of the token's feed, in a stable order."""
    since = now - timedelta(days=policy.cancelled_days)
    recent = or_(col(DeadlineRow.cancelled_at).is_(None), col(DeadlineRow.cancelled_at) >= since)
    rows = select(DeadlineRow, Case, Parolee).join(Case, col(Case.id) == DeadlineRow.case_id)
    rows = rows.join(Parolee).where(recent)
    if token.case_id is not None:
        current = session.exec(rows.where(Case.id == token.case_id)).all()
        return sorted((_item(*row) for row in current), key=_order)
    current = session.exec(rows.where(Case.representative_id == token.representative_id)).all()
    items = [_item(*row) for row in current]
    # A case that left this representative stays, cancelled, until clients have dropped it.
    left = session.exec(
        select(CaseAssignment.case_id, CaseAssignment.unassigned_at).where(
            CaseAssignment.representative_id == token.representative_id,
            col(CaseAssignment.unassigned_at) >= since,
        )
    ).all()
    held = {item.case_id for item in items}
    moved = {case_id: at for case_id, at in left if case_id not in held and at is not None}
    if moved:
        gone = session.exec(rows.where(col(Case.id).in_(list(moved)))).all()
        items += [_moved_away(_item(*row), moved[row[1].id or 0]) for row in gone]
    return sorted(items, key=_order)


def _item(deadline: DeadlineRow, case: Case, parolee: Parolee) -> FeedItem:
    return FeedItem(
        case_id=case.id or 0,
        external_id=case.external_id,
        full_name=parolee.full_name,
        slot=deadline.slot,
        kind=deadline.kind,
        date=deadline.date,
        act_by=deadline.act_by,
        citation=deadline.citation,
        sequence=deadline.sequence,
        changed_at=deadline.changed_at,
        cancelled=deadline.cancelled_at is not None,
    )


def _moved_away(item: FeedItem, at: datetime) -> FeedItem:
    """The event as the old representative's calendar must now see it: cancelled. (The
    move raised every deadline's SEQUENCE, so the change outranks what clients hold.)"""
    return FeedItem(**{**item.__dict__, "cancelled": True, "changed_at": max(item.changed_at, at)})


def _order(item: FeedItem) -> tuple[int, str]:
    return item.case_id, item.slot
