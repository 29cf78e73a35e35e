"""Jobs that one worker runs for all, once per interval: plan, expire, retention, uscis.

Every worker ticks every job; the database decides which one runs it:

1. While a run goes on, no other worker starts one. On PostgreSQL the run holds a
   session advisory lock (`pg_try_advisory_lock`, one stable key per job) on a connection
   of its own, so the job's own transactions stay short; a worker that dies drops its
   connection, and PostgreSQL the lock. SQLite serves one process in practice, and
   APScheduler's `max_instances=1` keeps that process from overlapping itself.
2. Once per interval: the run is claimed in `job_state` (row `run:<job>`, `last_run_at`
   the machine time it started) in one short transaction, serialised by the advisory lock
   on PostgreSQL and by `BEGIN IMMEDIATE` on SQLite. A worker whose ticker fires soon
   after another's finds the claim and skips. A run that raises gives its claim back, so
   the next tick anywhere tries again; a worker killed mid-run leaves its claim, and the
   job waits out the interval (each job catches up on its next run).

The claim is on the machine's clock, not on the jobs' (`--now`): the interval belongs to
the ticker, which runs on wall time.
"""

import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, func, select

from tracker.clock import Clock
from tracker.store.db import session_scope
from tracker.store.models import JobState

log = logging.getLogger(__name__)
# Tickers of one interval drift by milliseconds from run to run: without some slack a
# worker would find its own previous claim a hair too recent and skip every other run.
SLACK_FRACTION = 0.1


def lock_key(job: str) -> int:
    """The advisory lock key of `job`: the same in every process (unlike `hash()`)."""
    digest = hashlib.sha256(f"tracker.jobs:{job}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def claim_name(job: str) -> str:
    """The `job_state` row that records when `job` last started, in any worker."""
    return f"run:{job}"


def run_exclusive(
    engine: Engine, job: str, every: timedelta, clock: Clock, work: Callable[[], None]
) -> bool:
    """Run `work` unless another worker runs `job` now or started it within `every`.

    True if it ran here. Whatever `work` raises is raised again, its claim given back.
    """
    with _advisory_lock(engine, job) as held:
        if not held:
            log.debug("%s job skipped: another worker is running it", job)
            return False
        now = clock.now()
        claimed, previous = _claim(engine, job, every, now)
        if not claimed:
            log.debug("%s job skipped: a worker started it at %s", job, previous)
            return False
        try:
            work()
        except BaseException:
            _give_back(engine, job, now, previous)
            raise
    return True


def _claim(
    engine: Engine, job: str, every: timedelta, now: datetime
) -> tuple[bool, datetime | None]:
    """Record a start at `now` unless one is recent; (claimed, the start before)."""
    with session_scope(engine) as session:
        state = session.get(JobState, claim_name(job)) or JobState(name=claim_name(job))
        previous = state.last_run_at
        if previous is not None and now - previous < every * (1 - SLACK_FRACTION):
            return False, previous
        state.last_run_at = now
        session.add(state)
    return True, previous


def _give_back(engine: Engine, job: str, claimed_at: datetime, previous: datetime | None) -> None:
    with session_scope(engine) as session:
        state = session.get(JobState, claim_name(job))
        if state is not None and state.last_run_at == claimed_at:
            state.last_run_at = previous
            session.add(state)


@contextmanager
def _advisory_lock(engine: Engine, job: str) -> Iterator[bool]:
    """Hold `job`'s advisory lock for the block if no other session holds it (PostgreSQL);
    elsewhere always True."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    key = lock_key(job)
    with engine.connect() as connection:
        held = bool(connection.execute(select(func.pg_try_advisory_lock(key))).scalar_one())
        # A session-level lock outlives the transaction: end it, so the connection does
        # not sit idle in a transaction for the whole run.
        connection.commit()
        try:
            yield held
        finally:
            if held:
                _unlock(connection, key)


def _unlock(connection: Connection, key: int) -> None:
    try:
        connection.execute(select(func.pg_advisory_unlock(key)))
        connection.commit()
    except Exception:
        # The lock must not go back to the pool with the connection: dropping the
        # connection ends its session, and PostgreSQL releases the lock.
        log.warning("could not release the advisory lock %d; dropping its connection", key)
        connection.invalidate()
