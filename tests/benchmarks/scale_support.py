"""What scale_bench.py shares with its worker probe: the simulated calendar, the dispatcher
on a fake Twilio server, timing, and a log of the SQL a measurement ran, explained.

The synthetic database is a snapshot of a worker that had been running until the day it
was made. Each benchmark run moves that calendar on by one day: the previous day's sends
are marked done (as the dispatcher would have), then the sweep plans the one new day.
"""

import dataclasses
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, update
from sqlmodel import col

# Run as a script: the project root on the path, for `tests.*`.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.dispatch_bench import CALLBACK, fake, settings_for
from tests.fakes.twilio_server import FakeTwilioServer
from tracker.alerts.dispatcher import Dispatcher, DispatchOutcome
from tracker.alerts.sweep import JOB
from tracker.bootstrap import App
from tracker.clock import FixedClock
from tracker.domain.model import AlertState
from tracker.sms.twilio_backend import TwilioBackend
from tracker.store.db import session_scope
from tracker.store.models import Alert, JobState

# The synthetic databases are made at this instant (a Sunday, noon in New York).
MADE_AT = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)
# Tables that grow with the caseload: a full scan of one is what the plans are checked for.
BIG_TABLES = ("parole_case", "parolee", "deadline", "alert", "filing", "parole_grant",
              "status_change", "case_assignment", "parolee_name_word", "consent_event")  # fmt: skip


def timed(action: Callable[[], Any], runs: int = 1) -> tuple[float, Any]:
    """Median seconds of `runs` calls, and the last result."""
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def next_day(app: App) -> datetime:
    """The instant of the next sweep (same time of day as MADE_AT): the day after the one
    the planner has planned through, less its horizon."""
    horizon = app.composer.policy.plan_horizon_days
    with session_scope(app.engine) as session:
        state = session.get(JobState, JOB)
        assert state is not None and state.planned_through is not None, "not a synthetic db"
        day = state.planned_through - timedelta(days=horizon - 1)
    return datetime.combine(day, clock_time(MADE_AT.hour), UTC)


def record_horizon(app: App) -> None:
    """Give a database made before migration 0011 the sweep's horizon instant, as the pass
    that planned it through its date (at MADE_AT's time of day) would have recorded."""
    with session_scope(app.engine) as session:
        state = session.get(JobState, JOB)
        if state is not None and state.planned_through and state.planned_until is None:
            state.planned_until = datetime.combine(
                state.planned_through, clock_time(MADE_AT.hour), UTC
            )
            session.add(state)


def send_everything_due(engine: Engine, now: datetime) -> int:
    """Mark every planned alert due before `now` as sent, as yesterday's dispatcher
    would have left them; return how many."""
    with session_scope(engine) as session:
        result = session.exec(
            update(Alert)
            .where(col(Alert.state) == AlertState.PLANNED, col(Alert.due_at) < now)
            .values(
                state=AlertState.SENT,
                sent_at=col(Alert.due_at),
                provider_status="sent",
                attempts=1,
                updated_at=now,
            )
        )
        return int(result.rowcount)


@dataclass
class Dispatched:
    outcome: DispatchOutcome
    seconds: float
    server: FakeTwilioServer


def dispatch(app: App, now: datetime, limit: int) -> Dispatched:
    """Run one dispatcher pass at `now` (pacing off) against a fake Twilio on loopback."""
    server = fake()
    try:
        settings = settings_for(server, app.settings.database_url)
        policy = dataclasses.replace(app.composer.policy, rate_per_second=1e9)
        composer = dataclasses.replace(app.composer, policy=policy)
        with TwilioBackend(settings) as backend:
            worker = Dispatcher(
                engine=app.engine,
                backend=backend,
                composer=composer,
                clock=FixedClock(now),
                worker="scale-bench",
                status_callback=CALLBACK,
            )
            seconds, outcome = timed(lambda: worker.run_once(limit=limit))
        return Dispatched(outcome, seconds, server)
    finally:
        server.stop()
        if server.errors:
            raise SystemExit(f"the fake Twilio server failed: {server.errors!r}")


@dataclass
class QueryLog:
    """Statements run while the log was open, first of each kind, with their parameters."""

    seen: dict[str, Any] = field(default_factory=dict)

    def note(self, statement: str, parameters: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            self.seen.setdefault(statement, parameters)


@contextmanager
def logging_queries(engine: Engine, log: QueryLog) -> Iterator[None]:
    """Record every SELECT run on `engine` into `log` while the block runs."""

    def before(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        log.note(statement, parameters)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", before)


def full_scans(engine: Engine, log: QueryLog) -> list[tuple[str, str]]:
    """(statement, plan line) for every step of a logged query that reads a whole big
    table: SQLite's `SCAN t` (through an index too: it still reads every entry; a LIMIT
    may stop it early), PostgreSQL's `Seq Scan on t`."""
    found = []
    sqlite = engine.dialect.name == "sqlite"
    prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
    pattern = re.compile(r"\bSCAN (\w+)\b" if sqlite else r"Seq Scan on (\w+)\b")
    with engine.connect() as connection:
        for statement, parameters in log.seen.items():
            rows = connection.exec_driver_sql(prefix + statement, parameters).all()
            lines = [str(row[-1] if sqlite else row[0]) for row in rows]
            for line in lines:
                match = pattern.search(line)
                if match and match.group(1) in BIG_TABLES:
                    found.append((" ".join(statement.split())[:160], line.strip()))
        connection.rollback()
    return found
