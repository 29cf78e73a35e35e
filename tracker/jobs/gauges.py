"""What the database knows for the /metrics gauges: a few aggregate queries on indexed
columns, read at each scrape and the same from every process."""

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from tracker.clock import Clock
from tracker.domain.model import AlertState
from tracker.jobs.heartbeat import SchedulerHealth, scheduler_health
from tracker.store.models import Alert, StaffNotice, UscisQuota
from tracker.uscis.ratelimit import utc_day


@dataclass(frozen=True)
class DatabaseGauges:
    """One scrape's reading of the database."""

    alerts: dict[AlertState, int]
    due: int
    uscis_used: int
    open_notices: dict[bool, int]
    scheduler: SchedulerHealth


def read_gauges(session: Session, clock: Clock) -> DatabaseGauges:
    """Counts for the gauges: a few aggregate queries on indexed columns."""
    now = clock.now()
    alerts = session.exec(select(Alert.state, func.count()).group_by(Alert.state)).all()
    due = session.exec(
        select(func.count()).where(Alert.state == AlertState.PLANNED, col(Alert.due_at) <= now)
    ).one()
    quota = session.get(UscisQuota, utc_day(clock))
    notices = session.exec(
        select(StaffNotice.urgent, func.count())
        .where(col(StaffNotice.resolved_at).is_(None))
        .group_by(col(StaffNotice.urgent))
    ).all()
    return DatabaseGauges(
        alerts={AlertState(state): count for state, count in alerts},
        due=due,
        uscis_used=quota.used if quota else 0,
        open_notices={bool(urgent): count for urgent, count in notices},
        scheduler=scheduler_health(session, now),
    )
