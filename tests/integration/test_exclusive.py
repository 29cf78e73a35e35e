"""Jobs one worker runs for all, once per interval; scheduler heartbeats. On SQLite and
PostgreSQL; each engine here stands for one worker process."""

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from tests.builders import MovableClock
from tracker.clock import FixedClock
from tracker.jobs.exclusive import claim_name, lock_key, run_exclusive
from tracker.jobs.heartbeat import FORGET_AFTER, STALE_AFTER, Heartbeat, scheduler_health
from tracker.store.db import make_engine, session_scope
from tracker.store.models import JobState, WorkerHeartbeat

from ..conftest import KEYRING, NOW

EVERY = timedelta(minutes=5)


@pytest.fixture
def engines(database_url: str) -> Iterator[Callable[[], Engine]]:
    """Engines on one database, made on demand: one per simulated worker."""
    made: list[Engine] = []

    def make() -> Engine:
        made.append(make_engine(database_url, KEYRING))
        return made[-1]

    yield make
    for engine in made:
        engine.dispose()


class Work:
    """A job that counts its runs; `fail` makes the next run raise."""

    def __init__(self) -> None:
        self.runs = 0
        self.fail = False

    def __call__(self) -> None:
        self.runs += 1
        if self.fail:
            self.fail = False
            raise RuntimeError("the job broke")


def run_at(engine: Engine, at: timedelta, work: Callable[[], None]) -> bool:
    return run_exclusive(engine, "plan", EVERY, FixedClock(NOW + at), work)


def test_it_runs_a_job_once_per_interval_across_workers(engines: Callable[[], Engine]) -> None:
    first, second = engines(), engines()
    work = Work()
    assert run_at(first, timedelta(0), work)
    # Another worker's ticker, a few seconds later, and the first one's own next tick.
    assert not run_at(second, timedelta(seconds=5), work)
    assert not run_at(first, timedelta(minutes=2), work)
    # One interval on (less the slack for a ticker's drift): whichever ticks first runs it.
    assert run_at(second, EVERY - timedelta(seconds=1), work)
    assert not run_at(first, EVERY, work)
    assert work.runs == 2
    with session_scope(first) as session:
        state = session.get(JobState, claim_name("plan"))
    assert state is not None and state.last_run_at == NOW + EVERY - timedelta(seconds=1)


def test_it_gives_the_claim_back_when_the_job_fails(engines: Callable[[], Engine]) -> None:
    engine = engines()
    work = Work()
    assert run_at(engine, timedelta(0), work)
    work.fail = True
    with pytest.raises(RuntimeError, match="the job broke"):
        run_at(engine, EVERY, work)
    # The failed run does not count as a run: the next tick, anywhere, tries again.
    assert run_at(engines(), EVERY + timedelta(seconds=30), work)
    assert not run_at(engine, EVERY + timedelta(seconds=60), work)
    assert work.runs == 3


def test_it_keeps_the_claims_of_jobs_apart(engines: Callable[[], Engine]) -> None:
    engine, work = engines(), Work()
    for job in ("plan", "expire", "retention"):
        assert run_exclusive(engine, job, EVERY, FixedClock(NOW), work)
    assert work.runs == 3
    assert lock_key("plan") != lock_key("expire")
    # Every process computes the same key (no per-process hash seed), and so does the next
    # release: a rolling deploy runs old and new workers side by side.
    assert lock_key("plan") == 8812411871284696527


def test_it_runs_a_job_once_when_workers_tick_at_the_same_moment(
    engines: Callable[[], Engine],
) -> None:
    workers = [engines() for _ in range(4)]
    start = threading.Barrier(len(workers))
    ran: list[bool] = []
    work = Work()

    def tick(engine: Engine) -> None:
        start.wait()
        ran.append(run_at(engine, timedelta(0), work))

    threads = [threading.Thread(target=tick, args=(engine,)) for engine in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(ran) == [False, False, False, True]
    assert work.runs == 1


def test_it_skips_a_job_another_worker_is_still_running(postgres_url: str) -> None:
    """PostgreSQL's advisory lock: even past its interval a run in progress is not doubled
    (a planner sweep after long downtime can outlast its five minutes)."""
    first, second = make_engine(postgres_url, KEYRING), make_engine(postgres_url, KEYRING)
    with session_scope(first) as session:
        state = session.get(JobState, claim_name("plan"))
        if state is not None:
            session.delete(state)
    inside, release = threading.Event(), threading.Event()
    work = Work()

    def long_run() -> None:
        inside.set()
        assert release.wait(timeout=30)

    thread = threading.Thread(target=lambda: run_at(first, timedelta(0), long_run))
    thread.start()
    try:
        assert inside.wait(timeout=30)
        assert not run_at(second, EVERY * 3, work)
    finally:
        release.set()
        thread.join(timeout=30)
    # Once the run is over, the lock is free again (and the interval long past).
    assert run_at(second, EVERY * 3, work)
    assert work.runs == 1
    first.dispose()
    second.dispose()


def beats(engine: Engine) -> list[tuple[str, object, object]]:
    with session_scope(engine) as session:
        rows = session.exec(select(WorkerHeartbeat).order_by(WorkerHeartbeat.worker)).all()
        return [(r.worker, r.started_at, r.beat_at) for r in rows]


def test_it_records_a_heartbeat_per_scheduler_and_forgets_it_on_a_clean_stop(
    engines: Callable[[], Engine],
) -> None:
    engine = engines()
    clock = MovableClock(NOW)
    worker = Heartbeat(engine, "host-a:1", clock)
    worker.beat()
    clock.advance(timedelta(seconds=30))
    worker.beat()
    Heartbeat(engine, "host-b:2", clock).beat()
    assert beats(engine) == [
        ("host-a:1", NOW, NOW + timedelta(seconds=30)),
        ("host-b:2", NOW + timedelta(seconds=30), NOW + timedelta(seconds=30)),
    ]
    worker.stop()
    assert [b[0] for b in beats(engine)] == ["host-b:2"]


def test_it_drops_the_rows_of_workers_dead_for_a_day(engines: Callable[[], Engine]) -> None:
    engine = engines()
    Heartbeat(engine, "dead:1", FixedClock(NOW)).beat()
    Heartbeat(engine, "alive:2", FixedClock(NOW + FORGET_AFTER + timedelta(seconds=1))).beat()
    assert [b[0] for b in beats(engine)] == ["alive:2"]


def test_it_tells_ok_stale_or_none_from_the_newest_beat(engines: Callable[[], Engine]) -> None:
    engine = engines()

    def health_at(at: timedelta) -> tuple[str, float | None, int]:
        with session_scope(engine) as session:
            health = scheduler_health(session, NOW + at)
        return health.state, health.age_seconds, health.live

    assert health_at(timedelta(0)) == ("none", None, 0)
    Heartbeat(engine, "old:1", FixedClock(NOW - timedelta(minutes=1))).beat()
    Heartbeat(engine, "new:2", FixedClock(NOW)).beat()
    assert health_at(timedelta(seconds=10)) == ("ok", 10.0, 2)
    assert health_at(STALE_AFTER - timedelta(seconds=30)) == ("ok", 270.0, 1)
    assert health_at(STALE_AFTER + timedelta(seconds=1)) == ("stale", 301.0, 0)
