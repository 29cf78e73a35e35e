"""Loads N synthetic cases into a database, a batch per transaction, in constant memory."""

import itertools
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, text
from sqlmodel import Session, col, func, select

from tracker.alerts.sweep import JOB
from tracker.errors import InvalidInputError
from tracker.policies import Policies
from tracker.store.db import session_scope
from tracker.store.encrypted import keyring_of
from tracker.store.models import Case, JobState, Representative, must_id
from tracker.synthetic.bulk import IdSource
from tracker.synthetic.rows import TABLES, Batch, CaseRows, Ids
from tracker.synthetic.spread import (
    FAMILY,
    GIVEN,
    MAX_CASES,
    REPRESENTATIVES,
    external_id,
    fake_cases,
)

# Big enough that a round trip per table is nothing beside the rows; small enough that a
# batch holds the SQLite write lock for well under a second.
BATCH_CASES = 2000
# Message texts older than this are gone, as retention leaves them (config/retention.toml).
DEFAULT_KEEP_TEXTS = timedelta(days=180)


def representative_email(number: int) -> str:
    """The email of synthetic representative `number`; number 0 has the 2,000-client feed."""
    return f"rep{number:03d}@synthetic.example.org"


@dataclass
class LoadReport:
    """What a load wrote, and how fast."""

    first: int
    cases: int = 0
    rows: int = 0
    alerts_planned: int = 0
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def generate(
    engine: Engine,
    n: int,
    *,
    seed: int,
    now: datetime,
    policies: Policies,
    keep_texts: timedelta = DEFAULT_KEEP_TEXTS,
    progress: Callable[[int], None] | None = None,
) -> LoadReport:
    """Add `n` synthetic cases of `seed`, continuing after those of `seed` already stored
    (so 100,000 then 900,000 more equal one run of a million), with dates around `now`."""
    started = time.perf_counter()
    first = next_number(engine, seed)
    if first + n > MAX_CASES:
        raise InvalidInputError(f"at most {MAX_CASES:,} synthetic cases per seed")
    maker = CaseRows(
        ruleset=policies.deadlines,
        composer=policies.reminders,
        keyring=keyring_of(engine.dialect),
        now=now,
        representatives=_representatives(engine, now),
        keep_texts=keep_texts,
    )
    report = LoadReport(first=first)

    def written(batch: Batch) -> None:
        report.cases += batch.cases
        report.rows += batch.total
        report.alerts_planned += batch.alerts_planned
        if progress is not None:
            progress(batch.cases)

    parolees, case_ids = IdSource(engine, "parolee"), IdSource(engine, "parole_case")
    cases = fake_cases(seed, first, first + n, now)
    writer = _Writer(engine, written)
    try:
        while chunk := list(itertools.islice(cases, BATCH_CASES)):
            batch = Batch()
            ids = zip(parolees.take(len(chunk)), case_ids.take(len(chunk)), strict=True)
            for case, (parolee_id, case_id) in zip(chunk, ids, strict=True):
                maker.add(batch, case, Ids(case=case_id, parolee=parolee_id))
            writer.put(batch)
    finally:
        writer.close()
    _mark_planned(engine, policies, now)
    if engine.dialect.name == "postgresql":
        # Fresh statistics, so the next query plans for a million rows rather than none
        # (autovacuum would catch up, but only some minutes later).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
    report.seconds = time.perf_counter() - started
    return report


class _Writer:
    """Inserts each batch on a second thread while the next one is built, so that the
    database's work (PostgreSQL's server, SQLite's C code: both outside the GIL) overlaps
    Python's. One batch waits at most: memory holds about three, however many cases."""

    def __init__(self, engine: Engine, written: Callable[[Batch], None]) -> None:
        self.engine = engine
        self.written = written
        self.error: BaseException | None = None
        self._queue: queue.Queue[Batch | None] = queue.Queue(maxsize=1)
        self._thread = threading.Thread(target=self._run, name="synthetic-writer", daemon=True)
        self._thread.start()

    def put(self, batch: Batch) -> None:
        """Queue a batch (waiting while another waits); raise what the writer raised."""
        self._raise()
        self._queue.put(batch)

    def close(self) -> None:
        """Wait for the batches queued, then raise what the writer raised, if anything."""
        self._queue.put(None)
        self._thread.join()
        self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        while (batch := self._queue.get()) is not None:
            if self.error is not None:
                continue  # keep taking batches, so that `put` never waits forever
            try:
                with self.engine.begin() as connection:
                    for table in TABLES:
                        table.insert(connection, batch.rows[table.name])
                self.written(batch)
            except BaseException as exc:  # handed to the loading thread, which raises it
                self.error = exc


def next_number(engine: Engine, seed: int) -> int:
    """The number of the next synthetic case of `seed`: one past the highest stored."""
    prefix = f"SYN{seed}-"
    with Session(engine) as session:
        # A range of the unique index on external_id (a LIKE would not use it on SQLite).
        highest = session.exec(
            select(func.max(Case.external_id)).where(
                col(Case.external_id) >= prefix, col(Case.external_id) < f"SYN{seed}."
            )
        ).one()
    if highest is None:
        return 0
    number = int(highest.removeprefix(prefix)) + 1
    assert external_id(seed, number - 1) == highest
    return number


def _representatives(engine: Engine, now: datetime) -> dict[int, tuple[int, str]]:
    """The pool of synthetic representatives, created once: number -> (id, name)."""
    wanted = {representative_email(k): k for k in range(REPRESENTATIVES + 1)}
    with session_scope(engine) as session:
        stored = {
            r.email: r
            for r in session.exec(
                select(Representative).where(col(Representative.email).in_(list(wanted)))
            ).all()
        }
        for email, k in wanted.items():
            if email not in stored:
                stored[email] = Representative(
                    name=f"{GIVEN[k % len(GIVEN)]} {FAMILY[k * 7 % len(FAMILY)]} (rep {k})",
                    organisation=f"Synthetic Legal Aid {k % 25 + 1}",
                    email=email,
                    created_at=now,
                )
                session.add(stored[email])
        session.flush()
        return {k: (must_id(stored[email].id), stored[email].name) for email, k in wanted.items()}


def _mark_planned(engine: Engine, policies: Policies, now: datetime) -> None:
    """Tell the planner sweep the outbox holds what is due within its horizon, as if a
    worker had been running: the next sweep plans one new day, not two weeks of catch-up."""
    if policies.reminders is None:
        return
    horizon = timedelta(days=policies.reminders.policy.plan_horizon_days)
    until = now.date() + horizon
    with session_scope(engine) as session:
        state = session.get(JobState, JOB) or JobState(name=JOB)
        if state.planned_through is None or state.planned_through < until:
            state.planned_through, state.planned_until = until, now + horizon
            session.add(state)
