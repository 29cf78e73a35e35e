"""What the admin dashboard shows each morning: urgency, gaps, failures, recent changes."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case
from sqlmodel import Session, col, func, select

from tracker.accounts.users import Caller
from tracker.cases.access import readable
from tracker.cases.appointments import AppointmentLine, appointments_between, needing_follow_up
from tracker.cases.terminations import KnownReach, not_applied, without_notice
from tracker.domain.holds import FLAG_PREFIX
from tracker.domain.known_terminations import KnownTermination
from tracker.domain.model import AlertState
from tracker.domain.status import OPEN_STATUSES
from tracker.store.models import (
    Alert,
    Case,
    DeadlineRow,
    Filing,
    InboundMessage,
    Parolee,
    StaffNotice,
    StatusChange,
)

URGENCY = (("ended", None), ("within_30", 30), ("within_90", 90), ("within_180", 180))
RECENT = 10


@dataclass
class Dashboard:
    """Counts and short lists, each scoped to what the viewer may see."""

    urgency: dict[str, int] = field(default_factory=dict)
    by_program: dict[str, int] = field(default_factory=dict)
    nothing_filed: list[tuple[Case, Parolee]] = field(default_factory=list)
    nothing_filed_count: int = 0
    unreachable: int = 0
    failed_messages: list[tuple[Alert, Case]] = field(default_factory=list)
    failed_count: int = 0
    opted_out: int = 0
    pending_filings: int = 0
    status_changes: list[tuple[StatusChange, Case]] = field(default_factory=list)
    replies: list[tuple[InboundMessage, Case]] = field(default_factory=list)
    # Open notices from USCIS status changes, urgent (denials) first.
    notices: list[tuple[StaffNotice, Case]] = field(default_factory=list)
    urgent_notices: int = 0
    # Open cases whose dates a USCIS hold marks (a decision may not come in time).
    held: int = 0
    # Open cases under a notice-based termination with no individual notice recorded.
    without_notice: int = 0
    # Shipped termination notices not recorded that would reach open cases.
    known_not_applied: list[KnownReach] = field(default_factory=list)
    # Scheduled appointments of the next seven days, and past ones still `scheduled`.
    appointments_this_week: list[AppointmentLine] = field(default_factory=list)
    missed_follow_up: list[AppointmentLine] = field(default_factory=list)


def build_dashboard(
    session: Session,
    today: date,
    now: datetime,
    caller: Caller,
    known: Sequence[KnownTermination] = (),
) -> Dashboard:
    """The dashboard of the cases `caller` may read; `known`, the shipped terminations,
    are counted for those who read every case."""
    scope = readable(caller)
    board = Dashboard()
    open_case = col(Case.status).in_(OPEN_STATUSES)
    buckets: list[Any] = []
    for _name, days in URGENCY:
        if days is None:
            buckets.append(func.sum(case((col(Case.end_date) < today, 1), else_=0)))
        else:
            upto = today + timedelta(days=days)
            within = (col(Case.end_date) >= today) & (col(Case.end_date) <= upto)
            buckets.append(func.sum(case((within, 1), else_=0)))
    row = session.exec(select(*buckets).where(open_case, scope)).one()
    board.urgency = {name: int(value or 0) for (name, _), value in zip(URGENCY, row, strict=True)}
    programs = session.exec(
        select(Case.program, func.count()).where(open_case, scope).group_by(col(Case.program))
    ).all()
    board.by_program = {str(p): int(n) for p, n in sorted(programs, key=lambda r: str(r[0]))}

    no_filing = ~select(Filing.id).where(Filing.case_id == Case.id).exists()
    soon = (col(Case.end_date) >= today) & (col(Case.end_date) <= today + timedelta(days=90))
    gap = (open_case, scope, soon, no_filing)
    board.nothing_filed_count = session.exec(
        select(func.count()).select_from(Case).where(*gap)
    ).one()
    board.nothing_filed = list(
        session.exec(
            select(Case, Parolee)
            .join(Parolee)
            .where(*gap)
            .order_by(col(Case.end_date))
            .limit(RECENT)
        ).all()
    )
    people = select(func.count(func.distinct(Parolee.id))).select_from(Parolee).join(Case)
    board.unreachable = session.exec(
        people.where(scope, open_case, col(Parolee.unreachable_at).is_not(None))
    ).one()
    board.opted_out = session.exec(
        people.where(scope, open_case, col(Parolee.sms_consent_withdrawn_at).is_not(None))
    ).one()
    failed = (Alert.state == AlertState.FAILED, scope)
    board.failed_count = session.exec(
        select(func.count()).select_from(Alert).join(Case).where(*failed)
    ).one()
    board.failed_messages = list(
        session.exec(
            select(Alert, Case)
            .join(Case)
            .where(*failed)
            .order_by(col(Alert.updated_at).desc())
            .limit(RECENT)
        ).all()
    )
    board.pending_filings = session.exec(
        select(func.count())
        .select_from(Filing)
        .join(Case)
        .where(col(Filing.decision).is_(None), scope, open_case)
    ).one()
    board.status_changes = list(
        session.exec(
            select(StatusChange, Case)
            .join(Case)
            .where(scope)
            .where(col(StatusChange.changed_at) >= now - timedelta(days=14))
            .order_by(col(StatusChange.changed_at).desc())
            .limit(RECENT)
        ).all()
    )
    board.replies = list(
        session.exec(
            select(InboundMessage, Case)
            .join(Case, col(Case.parolee_id) == InboundMessage.parolee_id)
            .where(scope)
            .order_by(col(InboundMessage.received_at).desc())
            .limit(RECENT)
        ).all()
    )
    still_open = (col(StaffNotice.resolved_at).is_(None), scope)
    board.urgent_notices = session.exec(
        select(func.count())
        .select_from(StaffNotice)
        .join(Case)
        .where(*still_open, col(StaffNotice.urgent))
    ).one()
    board.notices = list(
        session.exec(
            select(StaffNotice, Case)
            .join(Case)
            .where(*still_open)
            .order_by(col(StaffNotice.urgent).desc(), col(StaffNotice.created_at))
            .limit(RECENT)
        ).all()
    )
    held = (
        select(DeadlineRow.id)
        .where(
            DeadlineRow.case_id == Case.id,
            col(DeadlineRow.cancelled_at).is_(None),
            col(DeadlineRow.flags).contains(FLAG_PREFIX),
        )
        .exists()
    )
    board.held = session.exec(
        select(func.count()).select_from(Case).where(open_case, scope, held)
    ).one()
    board.without_notice = len(without_notice(session, caller=caller))
    board.appointments_this_week = appointments_between(
        session, caller, now, now + timedelta(days=7)
    )
    board.missed_follow_up = needing_follow_up(session, caller, now)
    if caller.sees_all_cases:
        board.known_not_applied = not_applied(session, known)
    return board
