"""Fault drills on the database under a running `tracker worker` (PostgreSQL).

Each drill breaks the database just as a message Twilio accepted is to be recorded: the
fake Twilio, having carried out the create, stops the server or makes the database
read-only before it answers; or a trigger cuts the connection that writes the record. The
worker is never restarted: it must ride the fault out on its own, send every due alert
exactly once (a message whose record was lost is found in Twilio's list, not sent
again), and say what happened in its logs and metrics, naming no one.

The worker runs with `--speed 60` (its clock and ticks run a minute per second), so
leases, reconcile delays and retries lapse in seconds.

Every drill runs on a private PostgreSQL server that this module starts (`initdb` in a
temporary folder, a free port; see `private_postgres`), never on the machine's cluster or
TEST_DATABASE_URL: stopping, cutting or making read-only a server the test did not start
would break whatever else uses it. Without PostgreSQL's server binaries the drills are
skipped with the reason (a failure under `CI=true`).
"""

import itertools
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tracker.clock import RunningClock
from tracker.domain.model import AlertState
from tracker.store.db import make_engine
from tracker.store.migrate import upgrade

from ..conftest import KEYRING, NOW
from .private_postgres import PrivateServer
from .worker_support import (
    Process,
    Workers,
    assert_no_personal_data,
    import_cases,
    terminate,
    wait_until,
    workers,
)

pytestmark = pytest.mark.postgres

CASES = 30
RATE_PER_SECOND = 20
SPEED = 60.0
# The fault strikes while this message (1-based) is in flight: well inside the batch.
STRIKE_AT = 10
JOB_FAILED = re.compile(r"(?m)^\S+ \S+ ERROR tracker\.jobs\.scheduler: dispatch job failed")


_databases = itertools.count(1)


@pytest.fixture
def drill_url(private_postgres: PrivateServer) -> str:
    """A freshly migrated database of the drill's own on the private server (which a drill
    that stops it starts again)."""
    name = f"drill_{next(_databases)}"
    Postgres(private_postgres.url()).admin(f'CREATE DATABASE "{name}"')
    engine = make_engine(private_postgres.url(name), KEYRING)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return private_postgres.url(name)


@pytest.fixture
def drill(drill_url: str, tmp_path: Path) -> Iterator[Workers]:
    # "Twilio" keeps the worker's pace: a lookup after a lost record finds the message.
    clock = RunningClock(NOW, SPEED)
    with workers(
        drill_url, tmp_path, rate_per_second=RATE_PER_SECOND, twilio_clock=clock.now
    ) as made:
        yield made


@dataclass
class Postgres:
    """The test database, seen from the server's maintenance database (`postgres`)."""

    url: str

    @property
    def name(self) -> str:
        database = make_url(self.url).database
        assert database
        return database

    def admin(self, statement: str) -> None:
        """Run a statement from outside the test database, where nothing cuts it off."""
        engine = create_engine(
            make_url(self.url).set(database="postgres"), isolation_level="AUTOCOMMIT"
        )
        try:
            with engine.connect() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()

    def cut_connections(self) -> None:
        """Terminate every session of the test database, as a failover would."""
        self.admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{self.name}' AND pid <> pg_backend_pid()"
        )

    def read_only(self, on: bool) -> None:
        """New sessions of the test database refuse writes (`on`), or take them again."""
        setting = "default_transaction_read_only"
        change = f"SET {setting} = on" if on else f"RESET {setting}"
        self.admin(f'ALTER DATABASE "{self.name}" {change}')


@pytest.fixture
def postgres(drill_url: str) -> Postgres:
    return Postgres(drill_url)


def assert_each_sent_once(drill: Workers, phones: list[str]) -> None:
    """Every due alert went, once: one message per person at "Twilio", each on record."""
    alerts = drill.alerts()
    assert Counter(a.state for a in alerts) == {AlertState.SENT: len(phones)}
    sent = drill.twilio.sent
    assert Counter(m.to for m in sent) == Counter(phones), "a duplicate or a missing message"
    assert {a.provider_sid for a in alerts} == {m.sid for m in sent}


def all_sent(drill: Workers) -> bool:
    return all(a.state == AlertState.SENT for a in drill.alerts())


def strike(drill: Workers, *actions: Callable[[], None]) -> threading.Event:
    """Run `actions` while message STRIKE_AT is in flight; the event says they ran."""
    struck = threading.Event()

    def on_create(count: int) -> None:
        if count == STRIKE_AT:
            for action in actions:
                action()
            struck.set()

    drill.twilio.on_create = on_create
    return struck


def failed_ticks(worker: Process) -> int:
    return len(JOB_FAILED.findall(worker.output()))


def test_it_rides_out_a_restart_of_postgresql(
    drill: Workers, private_postgres: PrivateServer
) -> None:
    server = private_postgres
    phones = import_cases(drill.app.engine, drill.app, drill.folder, CASES)
    stopped = strike(drill, server.stop)
    worker = drill.worker(NOW, SPEED)
    try:
        wait_until(stopped.is_set, "the database stopping mid-dispatch", worker)
        # Down long enough for the worker to fail a few ticks on a dead server.
        wait_until(lambda: failed_ticks(worker) >= 3, "the worker failing its ticks", worker)
        server.start()
        wait_until(lambda: all_sent(drill), "every alert sent after the restart", worker)
        failures = worker.metric("tracker_job_runs_total", job="dispatch", outcome="failed")
    finally:
        drill.twilio.on_create = None
        try:
            output = terminate(worker)
        finally:
            if not server.running():
                server.start()
    assert_each_sent_once(drill, phones)
    assert failures >= 3
    assert "Connection refused" in output or "connection failed" in output, output
    assert_no_personal_data(output)


def test_it_reconciles_a_send_whose_record_was_cut_off(drill: Workers, postgres: Postgres) -> None:
    """The connection drops while the worker records a message Twilio accepted: the next
    statement reconnects at once, but what was sent must be looked up, not sent again."""
    phones = import_cases(drill.app.engine, drill.app, drill.folder, CASES)
    # The first write of a `sent` state kills its own session mid-statement (PostgreSQL
    # rolls it back), as a failover or a restarted proxy would. Once.
    with drill.app.engine.begin() as connection:
        connection.execute(text(CUT_ONCE))
    worker = drill.worker(NOW, SPEED)
    try:
        wait_until(lambda: all_sent(drill), "every alert sent", worker)
    finally:
        output = terminate(worker)
        with drill.app.engine.begin() as connection:
            connection.execute(text("DROP FUNCTION drill_cut_once() CASCADE"))
            connection.execute(text("DROP SEQUENCE drill_cut_once"))
    assert_each_sent_once(drill, phones)
    [cut] = [a for a in drill.alerts() if a.recipient == phones[0]]
    # Sent once, found in Twilio's list after the reconcile delay, never attempted again.
    assert cut.attempts == 1
    assert "terminating connection due to administrator command" in output, output
    assert re.search(
        r"(?m)ERROR tracker\.alerts\.dispatcher: alert \d+ raised after its send", output
    )
    assert_no_personal_data(output)


CUT_ONCE = """
CREATE SEQUENCE drill_cut_once;
CREATE FUNCTION drill_cut_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.state = 'sent' AND nextval('drill_cut_once') = 1 THEN
    PERFORM pg_terminate_backend(pg_backend_pid());
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER drill_cut_once BEFORE UPDATE ON alert
  FOR EACH ROW EXECUTE FUNCTION drill_cut_once();
"""


def test_it_waits_out_a_read_only_database_and_loses_nothing(
    drill: Workers, postgres: Postgres
) -> None:
    """Writes are refused while a sent message is being recorded: the database is made
    read-only and its sessions cut, as a failover onto a standby or a maintenance window
    does. When it takes writes again the worker, never restarted, finishes the work,
    although the sessions it reopened meanwhile would stay read-only for life."""
    phones = import_cases(drill.app.engine, drill.app, drill.folder, CASES)
    read_only = strike(drill, lambda: postgres.read_only(True), postgres.cut_connections)
    worker = drill.worker(NOW, SPEED)
    try:
        wait_until(read_only.is_set, "the database turning read-only mid-dispatch", worker)
        wait_until(lambda: failed_ticks(worker) >= 3, "the worker failing its ticks", worker)
        postgres.read_only(False)
        wait_until(lambda: all_sent(drill), "every alert sent once writable", worker)
        failures = worker.metric("tracker_job_runs_total", job="dispatch", outcome="failed")
    finally:
        drill.twilio.on_create = None
        postgres.read_only(False)
        output = terminate(worker)
    assert_each_sent_once(drill, phones)
    assert failures >= 3
    assert "cannot execute UPDATE in a read-only transaction" in output, output
    assert_no_personal_data(output)
