"""Worker processes for crash tests and fault drills.

The tracker runs as `tracker ...` subprocesses on the test database, on the real twilio SDK
pointed at a fake Twilio server in the test process. Tests start, kill and restart those
processes as a process manager would, and read what they logged.
"""

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine
from sqlmodel import select

from tests.builders import (
    PUBLIC,
    SMS_COLUMNS,
    a_case,
    an_app,
    as_env,
    config_with,
    import_options,
    twilio_settings,
    write_csv,
)
from tests.fakes.loopback import free_port
from tests.fakes.twilio_server import FakeTwilioServer, RecordedRequest, _Answer
from tracker.bootstrap import App
from tracker.importer.service import import_file
from tracker.store.db import session_scope
from tracker.store.models import Alert

from ..conftest import NOW

TRACKER = Path(sys.executable).with_name("tracker")
NAME = "Test Person"
# Every wait on a process or on the fake is bounded by these.
WAIT_TIMEOUT = 60.0
RUN_TIMEOUT = 120.0
# A whole phone number in a log line: personal data that may only appear masked.
FULL_PHONE = re.compile(r"\+1\d{10}")


def iso(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


class DrillTwilioServer(FakeTwilioServer):
    """The fake, with two hooks between carrying out a create and answering it: a delay
    (`create_delay` seconds: the message exists at "Twilio" while the client still waits)
    and `on_create(count)`, called with the number of messages accepted so far (a drill
    breaks the database there, while the send is in flight)."""

    create_delay = 0.0
    on_create: Callable[[int], None] | None = None

    def _handle(self, request: RecordedRequest, authorization: str | None) -> _Answer:
        answer = super()._handle(request, authorization)
        if request.method == "POST" and answer.status == 201:
            if self.on_create is not None:
                self.on_create(len(self.sent))
            if self.create_delay:
                self._stopping.wait(self.create_delay)
        return answer


@dataclass
class Process:
    """A `tracker` process, where its stdout and stderr go, and where it serves metrics."""

    popen: subprocess.Popen[bytes]
    log: Path
    metrics_port: int | None = None

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def metric(self, name: str, **labels: str) -> float:
        """A sample of the metrics the worker serves (0 if it has none such yet)."""
        assert self.metrics_port is not None, "started without metrics"
        text = httpx.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5).text
        return metric(text, name, **labels)


def metric(text: str, name: str, **labels: str) -> float:
    """The first sample `name` with `labels` in Prometheus text `text`; 0 if none yet."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                return sample.value
    return 0.0


@dataclass
class Workers:
    """The database, the fake Twilio server, and how to start `tracker` processes."""

    app: App
    twilio: DrillTwilioServer
    env: dict[str, str]
    folder: Path
    runs: int = 0

    def start(
        self,
        now: datetime,
        command: tuple[str, ...] = ("alerts", "dispatch"),
        *options: str,
    ) -> Process:
        """A `tracker` process at `--now`, its output going to its log."""
        self.runs += 1
        log = self.folder / f"{command[-1]}-{self.runs}.log"
        env = self.env
        port = None
        if command == ("worker",):
            port = free_port()
            env = env | {"METRICS_PORT": str(port)}
        with log.open("wb") as out:
            popen = subprocess.Popen(
                # A drill: the fake Twilio stands for a test account.
                [str(TRACKER), *command, "--now", iso(now), "--drill", *options],
                env=env,
                cwd=self.folder,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return Process(popen, log, port)

    def worker(self, now: datetime, speed: float = 1.0) -> Process:
        """`tracker worker` from `now`, its clock and ticks `speed` times faster than real."""
        return self.start(now, ("worker",), "--speed", str(speed))

    def run(self, now: datetime) -> str:
        """One dispatch pass to the end; its output."""
        process = self.start(now)
        try:
            code = process.popen.wait(timeout=RUN_TIMEOUT)
        finally:
            stop(process)
        output = process.output()
        assert code == 0, output
        return output

    def alerts(self) -> list[Alert]:
        with session_scope(self.app.engine) as session:
            return list(session.exec(select(Alert).order_by(Alert.id)).all())  # type: ignore[arg-type]


def stop(process: Process) -> None:
    """Kill the process if it still runs, and reap it."""
    if process.popen.poll() is None:
        process.popen.kill()
    process.popen.wait(timeout=10)


def kill(process: Process) -> None:
    """SIGKILL: the process gets no chance to clean up, as in a crash or an OOM kill."""
    try:
        process.popen.send_signal(signal.SIGKILL)
        assert process.popen.wait(timeout=10) == -signal.SIGKILL
    finally:
        stop(process)


def terminate(process: Process) -> str:
    """Stop a worker as a process manager does (SIGTERM); it must exit cleanly. Its output."""
    try:
        process.popen.send_signal(signal.SIGTERM)
        code = process.popen.wait(timeout=30)
    finally:
        stop(process)
    output = process.output()
    assert code == 0, output
    return output


def wait_until(
    done: Callable[[], bool],
    what: str,
    process: Process | None = None,
    timeout: float = WAIT_TIMEOUT,
) -> None:
    """Poll `done` until true; fail naming `what` on timeout, or if the process died."""
    deadline = time.monotonic() + timeout
    while not done():
        output = f":\n{process.output()}" if process else ""
        if process is not None:
            assert process.popen.poll() is None, f"the process died before {what}{output}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}{output}"
        time.sleep(0.05)


def import_cases(engine: Engine, app: App, folder: Path, count: int) -> list[str]:
    """`count` consenting cases, one phone each; each gets one welcome alert due at NOW."""
    phones = [f"+1202555{100 + n:04d}" for n in range(count)]
    rows = [
        a_case(external_id=f"K{n:04d}", full_name=f"{NAME} {n}", phone=phone)
        for n, phone in enumerate(phones)
    ]
    path = write_csv(folder / "cases.csv", rows, SMS_COLUMNS)
    report = import_file(engine, path, app.policies, NOW, import_options())
    assert report.errors == []
    return phones


def assert_no_personal_data(output: str) -> None:
    """Logs name no one and show no full phone number (they are masked)."""
    assert NAME not in output, "a name in the logs"
    assert not FULL_PHONE.search(output), "an unmasked phone number in the logs"


@contextmanager
def workers(
    database_url: str,
    folder: Path,
    *,
    rate_per_second: int,
    twilio_clock: Callable[[], datetime] = lambda: NOW,
) -> Iterator[Workers]:
    """The app on `database_url` (clock pinned at NOW), a fake Twilio on `twilio_clock`, and
    the environment of `tracker` processes sending through it at `rate_per_second`."""
    config = config_with(folder, "reminders.toml", rate_per_second=str(rate_per_second))
    app = an_app(database_url, config_dir=config)
    # "Twilio" stamps its messages near the dispatcher's instant, as the real one would near
    # the real time: a lookup only counts messages from the attempt on.
    twilio = DrillTwilioServer(clock=twilio_clock)
    twilio.start()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TWILIO_", "SMS_", "DATABASE_", "CONFIG_", "ENVIRONMENT", "LOG_"))
    }
    env |= {
        "DATABASE_URL": database_url,
        "CONFIG_DIR": str(config),
        "PUBLIC_BASE_URL": PUBLIC,
        **as_env(twilio_settings(twilio)),
    }
    try:
        yield Workers(app, twilio, env, folder)
    finally:
        twilio.stop()
        app.engine.dispose()
    assert not twilio.errors, f"the fake Twilio server failed: {twilio.errors!r}"
