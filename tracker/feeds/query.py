"""What a feed holds: the deadlines of the cases a token covers, cancelled ones included
for a while, their appointments (timed, at their place), the response dates of USCIS
requests for evidence, and the cases that moved to another representative (as
cancelled)."""

import datetime as dt
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, or_, select

from tracker.domain.appointments import APPOINTMENT_DEADLINES, DEADLINE_KINDS, AppointmentStatus
from tracker.feeds.policy import FeedPolicy
from tracker.store.models import (
    Appointment,
    Case,
    CaseAssignment,
    DeadlineRow,
    FeedToken,
    NoticeKind,
    Parolee,
    StaffNotice,
)

RFE_RESPONSE = "uscis_rfe_response"
RFE_SOURCE = "USCIS case status (request for evidence)"
# A rescheduled or cancelled appointment shows as cancelled (its new one is its own event).
GONE = (AppointmentStatus.RESCHEDULED, AppointmentStatus.CANCELLED)


@dataclass(frozen=True)
class FeedAppointment:
    """What a timed event shows of an appointment."""

    # As the place keeps it (naive) and the place's IANA zone.
    local_start: datetime
    zone: str
    duration_minutes: int | None
    place: str
    status: str
    replaced_by: int | None


@dataclass(frozen=True)
class FeedItem:
    """One event of a feed."""

    case_id: int
    external_id: str
    full_name: str
    slot: str
    # A DeadlineKind, or RFE_RESPONSE for a USCIS request for evidence.
    kind: str
    # `dt.date`: the attribute `date` would shadow the type for the lines below it.
    date: dt.date
    act_by: dt.date
    citation: str
    sequence: int
    changed_at: datetime
    cancelled: bool
    # The deadline's flags, comma-separated (a USCIS hold among them).
    flags: str = ""
    # Set for an appointment: a timed event at its place.
    appointment: FeedAppointment | None = None


def feed_items(
    session: Session, token: FeedToken, policy: FeedPolicy, now: datetime
) -> list[FeedItem]:
    """Every event of the token's feed, in a stable order."""
    since = now - timedelta(days=policy.cancelled_days)
    recent = or_(col(DeadlineRow.cancelled_at).is_(None), col(DeadlineRow.cancelled_at) >= since)
    # Plain columns, not ORM objects: a feed may hold ten thousand events.
    rows = (
        sa.select(
            col(Case.id),
            col(Case.external_id),
            col(Parolee.full_name),
            col(DeadlineRow.slot),
            col(DeadlineRow.kind),
            col(DeadlineRow.date),
            col(DeadlineRow.act_by),
            col(DeadlineRow.citation),
            col(DeadlineRow.sequence),
            col(DeadlineRow.changed_at),
            col(DeadlineRow.cancelled_at).is_not(None),
            col(DeadlineRow.flags),
        )
        .join(Case, col(Case.id) == DeadlineRow.case_id)
        .join(Parolee, col(Parolee.id) == Case.parolee_id)
        .where(recent)
        # An appointment is shown from its own row, timed, whatever became of it.
        .where(col(DeadlineRow.kind).not_in(list(APPOINTMENT_DEADLINES)))
    )
    notices = _rfe_responses(since)

    def fetch(where: sa.ColumnElement[bool]) -> list[FeedItem]:
        found = [*session.execute(rows.where(where)), *session.execute(notices.where(where))]
        return [FeedItem(*row) for row in found] + _appointments(session, since, where)

    if token.case_id is not None:
        return sorted(fetch(col(Case.id) == token.case_id), key=_order)
    items = fetch(col(Case.representative_id) == token.representative_id)
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
        gone = fetch(col(Case.id).in_(list(moved)))
        items += [_moved_away(item, moved[item.case_id]) for item in gone]
    return sorted(items, key=_order)


def _rfe_responses(since: datetime) -> sa.Select[tuple[Any, ...]]:
    """Requests for evidence whose response date USCIS stated, as feed rows: open ones, and
    for a while those marked dealt with (cancelled, a sequence higher)."""
    resolved = col(StaffNotice.resolved_at).is_not(None)
    return (
        sa.select(
            col(Case.id),
            col(Case.external_id),
            col(Parolee.full_name),
            sa.literal("uscis-rfe-") + sa.cast(col(StaffNotice.id), sa.String),
            sa.literal(RFE_RESPONSE),
            col(StaffNotice.due_date),
            col(StaffNotice.due_date),
            sa.literal(RFE_SOURCE),
            sa.case((resolved, 1), else_=0),
            sa.func.coalesce(col(StaffNotice.resolved_at), col(StaffNotice.created_at)),
            resolved,
            sa.literal(""),
        )
        .join(Case, col(Case.id) == StaffNotice.case_id)
        .join(Parolee, col(Parolee.id) == Case.parolee_id)
        .where(
            col(StaffNotice.kind) == NoticeKind.USCIS_RFE,
            col(StaffNotice.due_date).is_not(None),
            or_(~resolved, col(StaffNotice.resolved_at) >= since),
        )
    )


def _appointments(
    session: Session, since: datetime, where: sa.ColumnElement[bool]
) -> list[FeedItem]:
    """The appointments of the cases `where` selects: scheduled, attended and missed ones,
    and for a while those rescheduled or cancelled (as cancelled events)."""
    recent = or_(col(Appointment.status).not_in(GONE), col(Appointment.updated_at) >= since)
    rows = session.execute(
        sa.select(Appointment, col(Case.external_id), col(Parolee.full_name))
        .join(Case, col(Case.id) == Appointment.case_id)
        .join(Parolee, col(Parolee.id) == Case.parolee_id)
        .where(where, recent)
    ).all()
    return [_appointment_item(a, external_id, name) for a, external_id, name in rows]


def _appointment_item(appointment: Appointment, external_id: str, full_name: str) -> FeedItem:
    day = appointment.local_start.date()
    notice = appointment.source_notice or "the appointment notice"
    dated = f" of {appointment.source_date.isoformat()}" if appointment.source_date else ""
    return FeedItem(
        case_id=appointment.case_id,
        external_id=external_id,
        full_name=full_name,
        slot=f"appointment-{appointment.id}",
        kind=DEADLINE_KINDS[appointment.kind].value,
        date=day,
        act_by=day,
        citation=f"{notice}{dated}, recorded by staff",
        sequence=appointment.sequence,
        changed_at=appointment.updated_at,
        cancelled=appointment.status in GONE,
        appointment=FeedAppointment(
            local_start=appointment.local_start,
            zone=appointment.zone,
            duration_minutes=appointment.duration_minutes,
            place=appointment.place,
            status=appointment.status.value,
            replaced_by=appointment.replaced_by_id,
        ),
    )


def _moved_away(item: FeedItem, at: datetime) -> FeedItem:
    """The event as the old representative's calendar must now see it: cancelled. (The
    move raised every deadline's SEQUENCE, so the change outranks what clients hold.)"""
    return FeedItem(**{**item.__dict__, "cancelled": True, "changed_at": max(item.changed_at, at)})


def _order(item: FeedItem) -> tuple[int, str]:
    return item.case_id, item.slot
