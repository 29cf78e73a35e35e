"""Fault drills on the database under a running `tracker worker` (PostgreSQL).

Each drill breaks the database just as a message Twilio accepted is to be recorded: the
fake Twilio, having carried out the create, stops the server or makes the database
read-only before it answers; or a trigger cuts the connection that writes the record. The
worker is never restarted: it must ride the fault out on its own, send every due alert
exactly once (a message whose record was lost is found in Twilio's list, not sent
again), and say what happened in its logs and metrics, naming no one.

The worker runs with `--speed 60` (its clock and ticks run a minute per second), so
leases, reconcile delays and retries lapse in seconds.

`test_it_rides_out_a_restart_of_postgresql` stops and starts the whole local cluster: it
needs root and pg_ctlcluster, and every other database on the machine goes down for a
few seconds with it. Run it alone with `pytest -m restarts_postgres`; leave it out with
`-m "not restarts_postgres"`. CI runs it with the rest.
"""

import os
import re
import shutil
import subprocess
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tracker.clock import RunningClock
from tracker.store.models import AlertState

from ..conftest import NOW
from .worker_support import (
    Process,
    Workers,
    assert_no_personal_data,
    import_cases,
    terminate,
    wait_until,
    workers,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]

CASES = 30
RATE_PER_SECOND = 20
SPEED = 60.0
# The fault strikes while this message (1-based) is in flight: well inside the batch.
STRIKE_AT = 10
JOB_FAILED = re.compile(r"(?m)^\S+ \S+ ERROR tracker\.jobs\.scheduler: dispatch job failed")


@pytest.fixture
def drill(database_url: str, tmp_path: Path) -> Iterator[Workers]:
    # "Twilio" keeps the worker's pace: a lookup after a lost record finds the message.
    clock = RunningClock(NOW, SPEED)
    with workers(
        database_url, tmp_path, rate_per_second=RATE_PER_SECOND, twilio_clock=clock.now
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


@dataclass
class Cluster:
    """The local PostgreSQL cluster the test database lives in, stopped and started with
    Debian's pg_ctlcluster (the server refuses to run as root, pg_ctlcluster switches)."""

    version: str
    name: str = "main"

    def control(self, action: str) -> None:
        subprocess.run(
            ["pg_ctlcluster", self.version, self.name, action],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def running(self) -> bool:
        status = subprocess.run(
            ["pg_ctlcluster", self.version, self.name, "status"],
            capture_output=True,
            timeout=60,
        )
        return status.returncode == 0


def local_cluster(url: str) -> Cluster:
    """The cluster serving `url`, found as `.ci/run` finds it; skip (fail under CI) if
    this process cannot restart it."""
    reason = _why_not_restartable(url)
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the PostgreSQL restart drill: {reason}")
        pytest.skip(reason)
    versions = sorted(os.listdir("/usr/lib/postgresql"), key=float)
    return Cluster(versions[-1])


def _why_not_restartable(url: str) -> str | None:
    if os.geteuid() != 0:
        return "restarting PostgreSQL needs root (pg_ctlcluster)"
    if shutil.which("pg_ctlcluster") is None or not os.path.isdir("/usr/lib/postgresql"):
        return "no pg_ctlcluster: not Debian's PostgreSQL"
    parsed = make_url(url)
    if parsed.host not in ("127.0.0.1", "localhost") or (parsed.port or 5432) != 5432:
        return "TEST_DATABASE_URL is not the local cluster on port 5432"
    return None


@pytest.fixture
def postgres(database_url: str) -> Postgres:
    return Postgres(database_url)


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


@pytest.mark.restarts_postgres
def test_it_rides_out_a_restart_of_postgresql(drill: Workers, postgres: Postgres) -> None:
    cluster = local_cluster(postgres.url)
    phones = import_cases(drill.app.engine, drill.app, drill.folder, CASES)
    stopped = strike(drill, lambda: cluster.control("stop"))
    worker = drill.worker(NOW, SPEED)
    try:
        wait_until(stopped.is_set, "the database stopping mid-dispatch", worker)
        # Down long enough for the worker to fail a few ticks on a dead server.
        wait_until(lambda: failed_ticks(worker) >= 3, "the worker failing its ticks", worker)
        cluster.control("start")
        wait_until(lambda: all_sent(drill), "every alert sent after the restart", worker)
        failures = worker.metric("tracker_job_runs_total", job="dispatch", outcome="failed")
    finally:
        # Whatever failed, the machine's PostgreSQL is left running.
        drill.twilio.on_create = None
        try:
            output = terminate(worker)
        finally:
            if not cluster.running():
                cluster.control("start")
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
