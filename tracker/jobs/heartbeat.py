"""Scheduler heartbeats: each ticking process says so in the database; /healthz reads it.

A `tracker web` process runs no scheduler, so it cannot tell from inside whether the
reminders go out; the heartbeat table tells it. Every scheduler (`tracker worker`,
`tracker serve`) writes its row every BEAT_SECONDS on the machine's clock and deletes it
when it stops cleanly, so:

- ok     the newest beat is younger than STALE_AFTER;
- stale  every row is older: the schedulers died or hang (a clean stop leaves no row);
- none   no row: a fresh install before its first worker, or workers scaled to zero on
         purpose. Healthy: nothing is known to be broken, and failing would fail every
         new deployment until a worker starts.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Engine, delete, func
from sqlmodel import Session, col, select

from tracker.clock import Clock, SystemClock
from tracker.store.db import session_scope
from tracker.store.models import WorkerHeartbeat

BEAT_SECONDS = 30
# Ten missed beats: long enough for a slow database to catch up, short enough to page
# someone well before a day's reminders are late.
STALE_AFTER = timedelta(minutes=5)
# A row of a worker that died is dropped by a live one after this long.
FORGET_AFTER = timedelta(days=1)

SchedulerState = Literal["ok", "stale", "none"]


@dataclass
class Heartbeat:
    """One scheduler's heartbeat row, named like its dispatcher (host:pid)."""

    engine: Engine
    worker: str
    clock: Clock = field(default_factory=SystemClock)
    started_at: datetime | None = None

    def beat(self) -> None:
        """Record a tick now, and drop the rows of workers long dead."""
        now = self.clock.now()
        self.started_at = self.started_at or now
        with session_scope(self.engine) as session:
            row = session.get(WorkerHeartbeat, self.worker)
            if row is None:
                row = WorkerHeartbeat(worker=self.worker, started_at=self.started_at, beat_at=now)
            row.beat_at = now
            session.add(row)
            session.exec(
                delete(WorkerHeartbeat).where(col(WorkerHeartbeat.beat_at) < now - FORGET_AFTER)
            )

    def stop(self) -> None:
        """A clean stop: remove the row, so scaling to zero is not mistaken for a crash."""
        with session_scope(self.engine) as session:
            session.exec(delete(WorkerHeartbeat).where(col(WorkerHeartbeat.worker) == self.worker))


@dataclass(frozen=True)
class SchedulerHealth:
    """What the heartbeats say (see the module's docstring)."""

    state: SchedulerState
    # Seconds since the newest beat; None when there is none.
    age_seconds: float | None
    # Schedulers that beat within STALE_AFTER.
    live: int


def scheduler_health(session: Session, now: datetime) -> SchedulerHealth:
    """The schedulers' health at `now`, from the heartbeat rows."""
    newest, live = session.exec(
        select(
            func.max(WorkerHeartbeat.beat_at),
            func.count().filter(col(WorkerHeartbeat.beat_at) >= now - STALE_AFTER),
        )
    ).one()
    if newest is None:
        return SchedulerHealth("none", None, 0)
    age = max((now - newest).total_seconds(), 0.0)
    return SchedulerHealth("ok" if live else "stale", round(age, 3), int(live))
