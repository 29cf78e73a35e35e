"""The periodic planner sweep: plans the reminders that enter the planning horizon.

Changes to a case re-plan it at once; this sweep only brings in reminders whose day has
come within reach. It remembers how far it has planned (`job_state`), so a normal pass
reads a day's worth of deadlines through the act-by index, plans only the cases with a
reminder due since its last horizon, and a pass after downtime looks back as far as it
was away.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import Engine, union
from sqlmodel import Session, col, select

from tracker.alerts.compose import Composer
from tracker.alerts.planner import plan_case, textable
from tracker.alerts.policy import ReminderPolicy, reminder_due
from tracker.alerts.schedule import DeadlineView
from tracker.domain.model import DeadlineKind, Status
from tracker.store.db import session_scope
from tracker.store.models import Alert, Case, DeadlineRow, JobState, Parolee, must_id

JOB = "plan"
BATCH = 500
# Reminder dates are local; no zone is a day away from UTC, so one day each side covers them.
MARGIN = timedelta(days=1)
# A deadline that may need a reminder: its kind and act-by date.
Due = tuple[DeadlineKind, date]


def plan_due(engine: Engine, composer: Composer, now: datetime) -> int:
    """Plan every reminder newly within the horizon; return how many alerts were added."""
    policy = composer.policy
    until = now.date() + timedelta(days=policy.plan_horizon_days)
    horizon = now + timedelta(days=policy.plan_horizon_days)
    with session_scope(engine) as session:
        state = session.get(JobState, JOB) or JobState(name=JOB)
        # After downtime, look back to where the last pass stopped; a first pass looks
        # back `catch_up_days`.
        start = state.planned_through or now.date() - timedelta(days=policy.catch_up_days)
        if start >= until:
            return 0
        window = Window(after=state.planned_until, horizon=horizon)
        due = deadlines_due_between(session, start, until, policy)
    case_ids = sorted(due)
    added = 0
    for first in range(0, len(case_ids), BATCH):
        with session_scope(engine) as session:
            batch = case_ids[first : first + BATCH]
            added += _plan_batch(session, batch, due, composer, now, window)
    with session_scope(engine) as session:
        state = session.get(JobState, JOB) or JobState(name=JOB)
        state.planned_through, state.planned_until, state.last_run_at = until, horizon, now
        session.add(state)
    return added


@dataclass(frozen=True)
class Window:
    """The reminders a pass is for: due after the last pass's horizon (`after`; None when
    unknown, as on a first pass), up to this pass's `horizon`."""

    after: datetime | None
    horizon: datetime

    def wants(self, zone: str, status: Status, due: set[Due], policy: ReminderPolicy) -> bool:
        """Whether one of the case's `due` deadlines has a reminder in the window.

        The act-by ranges read from the database are a day wider on each side than the
        pass (they are dates; reminders are instants in each person's zone): this keeps
        the cases those margins bring in, but whose reminders an earlier pass planned
        already, from being planned all over again.
        """
        for kind, act_by in due:
            if not policy.reminds(kind, status):
                continue
            if self.after is None:
                return True
            for offset in policy.offsets[kind]:
                when = reminder_due(act_by, offset, zone, policy, kind)
                if self.after < when <= self.horizon:
                    return True
        return False


def _plan_batch(
    session: Session,
    case_ids: list[int],
    due: dict[int, set[Due]],
    composer: Composer,
    now: datetime,
    window: Window,
) -> int:
    """Plan the cases of a batch that can get one of their due reminders, reading their
    deadlines and alerts in one query each rather than two per case.

    Nobody we may not text has planned alerts (withdrawn consent, an unreachable number
    and a pause all cancel them), and a case's status change re-plans it at once: the
    sweep has nothing to do for either.
    """
    policy = composer.policy
    # Plain columns first: most candidates need nothing, and loading a person decrypts them.
    candidates = session.execute(
        sa.select(col(Case.id), col(Case.status), col(Parolee.timezone))
        .join(Parolee, col(Parolee.id) == Case.parolee_id)
        .where(col(Case.id).in_(case_ids), textable())
    ).all()
    wanted = [i for i, status, zone in candidates if window.wants(zone, status, due[i], policy)]
    cases = session.exec(select(Case, Parolee).join(Parolee).where(col(Case.id).in_(wanted))).all()
    ids = [must_id(case.id) for case, _ in cases]
    deadlines: dict[int, list[DeadlineView]] = defaultdict(list)
    for row in session.exec(
        select(DeadlineRow)
        .where(col(DeadlineRow.case_id).in_(ids), col(DeadlineRow.cancelled_at).is_(None))
        .order_by(col(DeadlineRow.act_by))
    ):
        deadlines[row.case_id].append(DeadlineView.of_row(row))
    alerts: dict[int, list[Alert]] = defaultdict(list)
    for alert in session.exec(select(Alert).where(col(Alert.case_id).in_(ids))):
        alerts[alert.case_id].append(alert)
    return sum(
        plan_case(
            session,
            case,
            parolee,
            composer,
            now,
            deadlines=deadlines[must_id(case.id)],
            existing=alerts[must_id(case.id)],
        ).added
        for case, parolee in cases
    )


def deadlines_due_between(
    session: Session, start: date, until: date, policy: ReminderPolicy
) -> dict[int, set[Due]]:
    """Cases with a deadline whose reminder date (act-by less an offset of its kind) is in
    (start, until], give or take a day, and the kinds and act-by dates of those deadlines.

    Index ranges of act-by only, one per offset, joined by UNION: given an OR of ranges
    under DISTINCT, SQLite scans every deadline; and a join to the cases here would have
    PostgreSQL read every case to hash it. The few cases found are read by id instead.
    """
    kinds_by_offset: dict[int, list[DeadlineKind]] = defaultdict(list)
    for kind, days in policy.offsets.items():
        for offset in days:
            kinds_by_offset[offset].append(kind)
    ranges = [
        select(col(DeadlineRow.case_id), col(DeadlineRow.kind), col(DeadlineRow.act_by)).where(
            col(DeadlineRow.act_by).between(
                start + timedelta(days=offset) - MARGIN, until + timedelta(days=offset) + MARGIN
            ),
            col(DeadlineRow.kind).in_(kinds),
            col(DeadlineRow.cancelled_at).is_(None),
        )
        for offset, kinds in sorted(kinds_by_offset.items())
    ]
    due: dict[int, set[Due]] = defaultdict(set)
    for case_id, kind, act_by in session.execute(union(*ranges)):
        due[case_id].add((DeadlineKind(kind), act_by))
    return due
