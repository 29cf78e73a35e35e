"""The periodic planner sweep: plans the reminders that enter the planning horizon.

Changes to a case re-plan it at once; this sweep only brings in reminders whose day has
come within reach. It remembers how far it has planned (`job_state`), so a normal pass
reads a day's worth of deadlines through the act-by index, and a pass after downtime
looks back as far as it was away.
"""

from datetime import date, datetime, timedelta

from sqlalchemy import Engine, or_
from sqlmodel import Session, col, select

from tracker.alerts.compose import Composer
from tracker.alerts.planner import plan_case
from tracker.store.db import session_scope
from tracker.store.models import Case, DeadlineRow, JobState, Parolee

JOB = "plan"
BATCH = 500
# Reminder dates are local; no zone is a day away from UTC, so one day each side covers them.
MARGIN = timedelta(days=1)


def plan_due(engine: Engine, composer: Composer, now: datetime) -> int:
    """Plan every reminder newly within the horizon; return how many alerts were added."""
    policy = composer.policy
    until = now.date() + timedelta(days=policy.plan_horizon_days)
    with session_scope(engine) as session:
        state = session.get(JobState, JOB) or JobState(name=JOB)
        # After downtime, look back to where the last pass stopped; a first pass looks
        # back `catch_up_days`.
        start = state.planned_through or now.date() - timedelta(days=policy.catch_up_days)
        if start >= until:
            return 0
        offsets = sorted({o for days in policy.offsets.values() for o in days})
        case_ids = _cases_with_reminders_between(session, start, until, offsets)
    added = 0
    for first in range(0, len(case_ids), BATCH):
        with session_scope(engine) as session:
            rows = session.exec(
                select(Case, Parolee)
                .join(Parolee)
                .where(col(Case.id).in_(case_ids[first : first + BATCH]))
            ).all()
            for case, parolee in rows:
                added += plan_case(session, case, parolee, composer, now).added
    with session_scope(engine) as session:
        state = session.get(JobState, JOB) or JobState(name=JOB)
        state.planned_through, state.last_run_at = until, now
        session.add(state)
    return added


def _cases_with_reminders_between(
    session: Session, start: date, until: date, offsets: list[int]
) -> list[int]:
    """Cases with a deadline whose reminder date (act-by minus an offset) is in (start, until]."""
    ranges = [
        col(DeadlineRow.act_by).between(
            start + timedelta(days=o) - MARGIN, until + timedelta(days=o) + MARGIN
        )
        for o in offsets
    ]
    query = (
        select(DeadlineRow.case_id)
        .where(col(DeadlineRow.cancelled_at).is_(None), or_(*ranges))
        .distinct()
    )
    return sorted(session.exec(query).all())
