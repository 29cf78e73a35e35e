"""A dispatcher killed with SIGKILL mid-batch, then restarted: every due alert goes once.

The dispatcher runs as `tracker alerts dispatch` in its own process, on the real twilio
SDK pointed at a fake Twilio server in this process. Each create is carried out at once
and answered a little later, so the kill lands while a message is accepted at "Twilio"
but not yet recorded as sent. A restart before the lease lapses must leave the dead
worker's claims alone; a restart after it must reconcile them against the provider's
message list (the in-flight one is found, not sent again) and send the rest.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from tests.fakes.twilio_server import FakeTwilioServer, RecordedRequest, SentMessage, _Answer
from tracker.alerts.dispatcher import RECONCILE_DELAY
from tracker.bootstrap import App
from tracker.clock import FixedClock
from tracker.importer.service import ImportOptions, import_file
from tracker.settings import load_settings
from tracker.store.db import session_scope
from tracker.store.models import Alert, AlertState

from ..conftest import NOW, ROOT

CASES = 40
# Messages the fake accepts before the worker is killed: well inside the batch.
KILL_AFTER = 12
# How long the fake holds each create's answer (after carrying it out): the kill window.
CREATE_DELAY = 0.2
RATE_PER_SECOND = 20
PUBLIC = "http://testserver"
TRACKER = Path(sys.executable).with_name("tracker")
HEADER = (
    "external_id,full_name,phone,language,timezone,program,citizenship,arrival_date,"
    "parole_start,parole_expiry,sms_consent\n"
)
# Every wait on a process or on the fake is bounded by these.
START_TIMEOUT = 60.0
RUN_TIMEOUT = 120.0


def iso(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


class SlowTwilioServer(FakeTwilioServer):
    """The fake, holding every create's answer for `create_delay` seconds after it was
    carried out (the message exists at "Twilio" while the client still waits)."""

    create_delay = 0.0

    def _handle(self, request: RecordedRequest, authorization: str | None) -> _Answer:
        answer = super()._handle(request, authorization)
        if request.method == "POST" and self.create_delay:
            self._stopping.wait(self.create_delay)
        return answer


@dataclass
class Crash:
    """The database, the fake Twilio server, and how to start a dispatcher process."""

    app: App
    twilio: SlowTwilioServer
    env: dict[str, str]
    folder: Path
    runs: int = 0

    def start(
        self, now: datetime, command: tuple[str, ...] = ("alerts", "dispatch")
    ) -> tuple[subprocess.Popen[bytes], Path]:
        self.runs += 1
        log = self.folder / f"dispatch-{self.runs}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(TRACKER), *command, "--now", iso(now)],
                env=self.env,
                cwd=self.folder,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return process, log

    def run(self, now: datetime) -> str:
        """One dispatch pass to the end; its output."""
        process, log = self.start(now)
        try:
            code = process.wait(timeout=RUN_TIMEOUT)
        finally:
            stop(process)
        output = log.read_text(encoding="utf-8", errors="replace")
        assert code == 0, output
        return output

    def alerts(self) -> list[Alert]:
        with session_scope(self.app.engine) as session:
            return list(session.exec(select(Alert).order_by(Alert.id)).all())  # type: ignore[arg-type]


def stop(process: subprocess.Popen[bytes]) -> None:
    """Kill the process if it still runs, and reap it."""
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)


def import_cases(engine: Engine, app: App, folder: Path) -> list[str]:
    """CASES consenting cases, one phone each; each gets one welcome alert due now."""
    phones = [f"+1202555{100 + n:04d}" for n in range(CASES)]
    rows = [
        f"K{n:03d},Test Person {n},{phone},en,America/New_York,U4U,UA,2025-09-01,2025-09-01,"
        "2027-08-31,yes\n"
        for n, phone in enumerate(phones)
    ]
    path = folder / "cases.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    options = ImportOptions(actor="test", default_timezone="America/New_York")
    report = import_file(engine, path, app.policies, NOW, options)
    assert report.errors == []
    return phones


@pytest.fixture
def crash(database_url: str, tmp_path: Path) -> Iterator[Crash]:
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    reminders = config / "reminders.toml"
    text, count = re.subn(
        r"(?m)^rate_per_second = .*$",
        f"rate_per_second = {RATE_PER_SECOND}",
        reminders.read_text(encoding="utf-8"),
    )
    assert count == 1
    reminders.write_text(text, encoding="utf-8")
    settings = load_settings(database_url=database_url, config_dir=config)
    app = App(settings=settings, clock=FixedClock(NOW))
    # "Twilio" stamps its messages near the dispatcher's pinned instant, as the real one
    # would near the real time: a lookup only counts messages from the attempt on.
    twilio = SlowTwilioServer(clock=lambda: NOW)
    twilio.start()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TWILIO_", "SMS_", "DATABASE_", "CONFIG_", "ENVIRONMENT"))
    }
    env |= {
        "DATABASE_URL": database_url,
        "CONFIG_DIR": str(config),
        "PUBLIC_BASE_URL": PUBLIC,
        "SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": twilio.account_sid,
        "TWILIO_AUTH_TOKEN": twilio.auth_token,
        "TWILIO_FROM_NUMBER": twilio.from_number,
        "TWILIO_API_BASE_URL": twilio.base_url,
    }
    try:
        yield Crash(app, twilio, env, tmp_path)
    finally:
        twilio.stop()
        app.engine.dispose()
    assert not twilio.errors, f"the fake Twilio server failed: {twilio.errors!r}"


def test_it_sends_every_due_alert_exactly_once_after_a_sigkill_mid_batch(crash: Crash) -> None:
    policy = crash.app.composer.policy
    assert policy.rate_per_second == RATE_PER_SECOND
    lapsed = NOW + timedelta(seconds=policy.lease_seconds) + RECONCILE_DELAY
    phones = import_cases(crash.app.engine, crash.app, crash.folder)
    assert [(a.kind, a.state, a.due_at) for a in crash.alerts()] == [
        ("welcome", AlertState.PLANNED, NOW)
    ] * CASES

    # 1. A worker takes the whole batch and is killed while a create awaits its answer.
    crash.twilio.create_delay = CREATE_DELAY
    worker, log = crash.start(NOW)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not crash.twilio.wait_for_sent(KILL_AFTER, timeout=0.2):
            assert worker.poll() is None, log.read_text(encoding="utf-8", errors="replace")
            assert time.monotonic() < deadline, "the dispatcher sent nothing in time"
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.wait(timeout=10) == -signal.SIGKILL
    finally:
        stop(worker)
    at_kill = crash.twilio.sent
    assert KILL_AFTER <= len(at_kill) < CASES, "the kill did not land mid-batch"
    recorded = {a.recipient: a for a in crash.alerts() if a.state == AlertState.SENT}
    unrecorded = [m for m in at_kill if m.to not in recorded]
    # The message in flight: accepted by "Twilio", never recorded by the dead worker.
    assert len(unrecorded) == 1, [m.to for m in unrecorded]
    [in_flight] = unrecorded
    stuck = [a for a in crash.alerts() if a.state == AlertState.SENDING]
    assert len(stuck) == CASES - len(recorded)
    assert all(a.lease_until is not None and a.lease_until < lapsed for a in stuck)

    # 2. A restart while the dead worker's lease holds sends nothing, and guesses nothing.
    crash.twilio.create_delay = 0.0
    early = crash.run(NOW + timedelta(minutes=1))
    assert re.search(r"(?m)^0 sent, .* 0 interrupted claim\(s\) settled", early), early
    assert len(crash.twilio.sent) == len(at_kill)

    # 3. After the lease (and the reconcile delay): reconcile, then send what never went.
    outputs = []
    for later in (lapsed + timedelta(minutes=4), lapsed + timedelta(minutes=14)):
        outputs.append(crash.run(later))
        if all(a.state == AlertState.SENT for a in crash.alerts()):
            break
    alerts = crash.alerts()
    assert Counter(a.state for a in alerts) == {AlertState.SENT: CASES}, outputs

    sent = crash.twilio.sent
    assert Counter(m.to for m in sent) == Counter(phones), "a duplicate or a missing message"
    creates = [r for r in crash.twilio.requests if r.method == "POST"]
    assert len(creates) == CASES
    by_phone: dict[str | None, SentMessage] = {m.to: m for m in sent}
    for alert in alerts:
        message = by_phone[alert.recipient]
        assert (alert.provider_sid, alert.body) == (message.sid, message.body)
    # The in-flight message was found at the provider and recorded, not sent again.
    [reconciled] = [a for a in alerts if a.recipient == in_flight.to]
    assert reconciled.provider_sid == in_flight.sid
    assert reconciled.sent_at is not None and reconciled.sent_at > lapsed
    # What the dead worker had recorded stands as it was.
    for phone, before in recorded.items():
        assert by_phone[phone].sid == before.provider_sid


def test_it_finishes_the_message_in_flight_on_sigterm_and_releases_the_rest(
    crash: Crash,
) -> None:
    phones = import_cases(crash.app.engine, crash.app, crash.folder)
    crash.twilio.create_delay = CREATE_DELAY
    worker, log = crash.start(NOW, ("worker",))
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not crash.twilio.wait_for_sent(3, timeout=0.2):
            assert worker.poll() is None, log.read_text(encoding="utf-8", errors="replace")
            assert time.monotonic() < deadline, "the worker sent nothing in time"
        os.kill(worker.pid, signal.SIGTERM)
        code = worker.wait(timeout=30)
    finally:
        stop(worker)
    output = log.read_text(encoding="utf-8", errors="replace")
    assert code == 0, output
    sent = crash.twilio.sent
    states = Counter(a.state for a in crash.alerts())
    # Every message Twilio accepted is on record; nothing is left half-claimed.
    assert states[AlertState.SENT] == len(sent)
    assert states[AlertState.PLANNED] == len(phones) - len(sent)
    assert states[AlertState.SENDING] == 0
    assert len(sent) < len(phones), "SIGTERM did not land mid-batch"
    assert "finishing the message in flight" in output
