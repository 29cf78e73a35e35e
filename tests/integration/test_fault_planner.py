"""Fault drill: a worker killed (SIGKILL) while its planner sweep is writing.

A week after an import, the sweep brings one new reminder per case within reach, and
writes them in batches of `sweep.BATCH` cases, one transaction each. The worker is killed
as soon as the first batch is committed. A new worker, started as a process manager would
start it, must plan the rest: no reminder twice (the outbox's unique key), and none left
out (`JobState.planned_through` moves only once the whole sweep is written, so the new
worker's sweep covers the same days again).

The killed worker cannot log its own death; what shows it is its heartbeat row, left
behind to go stale (a clean stop removes it), and the new worker's log of what it planned.
"""

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, update
from sqlmodel import col, select

from tests.builders import SMS_COLUMNS, a_case, import_cases
from tracker.alerts import sweep
from tracker.alerts.schedule import WELCOME
from tracker.domain.model import AlertState
from tracker.store.db import session_scope
from tracker.store.models import Alert, JobState, WorkerHeartbeat

from ..conftest import NOW
from .worker_support import (
    NAME,
    Workers,
    assert_no_personal_data,
    kill,
    terminate,
    wait_until,
    workers,
)

# Three full batches: the kill lands with two of them still to write.
CASES = 3 * sweep.BATCH
# Each case's 30-day parole-expiry reminder falls on 2026-12-08, within the sweep's reach
# a week after the import (and none of its other reminders does).
EXPIRY = date(2027, 1, 7)
LATER = NOW + timedelta(days=7)
REMINDER = "parole_expiry"
# The workers' clocks and ticks run two minutes a second: the new worker waits 2.5 s, not
# five minutes, for the dead one's turn at the plan job (`tracker.jobs.exclusive`) to lapse.
SPEED = 120.0


@pytest.fixture
def drill(database_url: str, tmp_path: Path) -> Iterator[Workers]:
    with workers(database_url, tmp_path, rate_per_second=3) as made:
        yield made


@pytest.fixture
def probe(database_url: str) -> Iterator[Engine]:
    """A plain engine to count rows while the worker writes. The app's engine begins every
    SQLite transaction IMMEDIATE, waiting for the writer's lock (which the sweep takes
    again at once after each batch); a plain read in WAL mode never waits."""
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def import_a_week_ago(drill: Workers) -> None:
    """CASES cases imported at NOW, their welcome messages long sent."""
    rows = [
        a_case(
            external_id=f"P{n:05d}",
            full_name=f"{NAME} {n}",
            phone=f"+1303555{n:04d}",
            parole_expiry=EXPIRY,
        )
        for n in range(CASES)
    ]
    report = import_cases(drill.app, drill.folder / "cases.csv", rows, SMS_COLUMNS)
    assert report.errors == [] and report.created == CASES
    with session_scope(drill.app.engine) as session:
        session.exec(update(Alert).values(state=AlertState.SENT))


def planned(probe: Engine) -> int:
    with probe.connect() as connection:
        count = connection.execute(
            select(func.count()).select_from(Alert).where(col(Alert.kind) == REMINDER)
        ).scalar_one()
    return int(count)


def planned_through(probe: Engine) -> date | None:
    with probe.connect() as connection:
        through = connection.execute(
            select(col(JobState.planned_through)).where(col(JobState.name) == sweep.JOB)
        ).scalar_one_or_none()
    return date.fromisoformat(str(through)) if through is not None else None


def test_it_finishes_a_planner_sweep_killed_mid_write_with_no_gap_and_no_duplicate(
    drill: Workers, probe: Engine
) -> None:
    import_a_week_ago(drill)
    assert planned(probe) == 0

    # 1. The first batch is committed, the rest is being written: SIGKILL.
    dead = drill.worker(LATER, SPEED)
    try:
        wait_until(lambda: planned(probe) > 0, "the sweep's first batch", dead)
    finally:
        kill(dead)
    at_kill = planned(probe)
    assert sweep.BATCH <= at_kill < CASES, "the kill did not land mid-sweep"
    assert planned_through(probe) is None, "the sweep recorded progress it had not made"

    # 2. A new worker, as a process manager starts it, plans what is missing.
    fresh = drill.worker(LATER, SPEED)
    try:
        wait_until(lambda: planned_through(probe) is not None, "the sweep's end", fresh)
    finally:
        output = terminate(fresh)
    assert f"plan job: {CASES - at_kill} alert(s) planned" in output, output
    assert_no_personal_data(dead.output() + output)

    with session_scope(drill.app.engine) as session:
        reminders = session.exec(select(Alert).where(Alert.kind == REMINDER)).all()
        beats = session.exec(select(WorkerHeartbeat.worker)).all()
        welcomes = session.exec(select(func.count()).where(Alert.kind == WELCOME)).one()
    # One reminder for every case, none twice, all still to go on the 8th.
    assert len(reminders) == len({a.case_id for a in reminders}) == CASES
    assert {(a.offset_days, a.state, a.about_date) for a in reminders} == {
        (30, AlertState.PLANNED, EXPIRY)
    }
    assert welcomes == CASES
    assert planned_through(probe) == LATER.date() + timedelta(days=2)
    # The dead worker's heartbeat stays behind to go stale (/healthz, /metrics), the one
    # stopped cleanly is gone. On SQLite the first beat can still be waiting for the
    # sweep's write lock when the kill lands, so only PostgreSQL is sure to have it.
    pids = [b.rsplit(":", 1)[1] for b in beats]
    if drill.app.engine.dialect.name == "postgresql":
        assert pids == [str(dead.popen.pid)]
    assert str(fresh.popen.pid) not in pids
