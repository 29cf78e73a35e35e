"""How many messages per second the dispatcher sends, and what limits it.

    python tests/benchmarks/dispatch_bench.py [--alerts 2000]

Three measurements, each against its own fake Twilio server on loopback (in this
process, clock pinned), one after the other:

(a) the fake's own ceiling: a raw httpx.Client loop of form-encoded, basic-auth POSTs to
    Messages.json;
(b) the real twilio SDK alone: TwilioBackend.send in a loop;
(c) the Dispatcher end to end (claim, check, send, record) on a freshly migrated SQLite
    database holding N due welcome alerts (N consenting cases imported), with the
    policy's rate_per_second raised so pacing is not the limit.

Nothing reads the machine's clock for dates, and nothing leaves loopback.
Not collected by pytest (no test_ prefix).
"""

import argparse
import dataclasses
import os
import platform
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import httpx

# Run as a script: the project root on the path, for `tests`.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

# Starlette's TestClient (tests.builders imports it) asks for its httpx fork; not used here.
warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient` is deprecated")

from tests.builders import CONFIG, PUBLIC, SMS_COLUMNS, header, twilio_settings  # noqa: E402
from tests.conftest import NOW  # noqa: E402
from tests.fakes.twilio_server import FakeTwilioServer  # noqa: E402
from tracker.alerts.dispatcher import Dispatcher  # noqa: E402
from tracker.bootstrap import App  # noqa: E402
from tracker.clock import FixedClock  # noqa: E402
from tracker.importer.service import ImportOptions, import_file  # noqa: E402
from tracker.settings import Settings, load_settings  # noqa: E402
from tracker.sms.twilio_backend import TwilioBackend  # noqa: E402
from tracker.store.db import make_engine  # noqa: E402
from tracker.store.migrate import upgrade  # noqa: E402

CALLBACK = f"{PUBLIC}/webhooks/twilio/status"
# Fictional numbers only: 555-0100 to 555-0199 in each of these area codes.
AREA_CODES = [
    "202", "212", "305", "312", "415", "503", "617", "713", "907", "206", "404", "213",
    "303", "410", "512", "602", "702", "808", "816", "919", "978", "201", "203", "205", "207",
]  # fmt: skip
MAX_ALERTS = 100 * len(AREA_CODES)
HEADER = header(*SMS_COLUMNS)
# About the length of a welcome message: one or two segments.
BODY = (
    "Parole Tracker demo: you are signed up for reminders about your parole dates. "
    "Next date: Aug 31, 2027. Reply DATES for all dates, HELP for help, STOP to stop."
)
WARM_UP = 20


def phones(count: int) -> list[str]:
    return [f"+1{AREA_CODES[n // 100]}555{100 + n % 100:04d}" for n in range(count)]


def fake() -> FakeTwilioServer:
    server = FakeTwilioServer(clock=lambda: NOW)
    server.start()
    return server


def settings_for(server: FakeTwilioServer, database_url: str | None = None) -> Settings:
    extra: dict[str, object] = {"database_url": database_url} if database_url else {}
    return load_settings(
        config_dir=CONFIG,
        public_base_url=PUBLIC,
        **twilio_settings(server),
        **extra,
    )


def rate(count: int, send: Callable[[str], None], numbers: list[str]) -> float:
    """Messages per second of `send` over `count` numbers, after a short warm-up."""
    for number in numbers[:WARM_UP]:
        send(number)
    started = time.perf_counter()
    for number in numbers[:count]:
        send(number)
    return count / (time.perf_counter() - started)


def raw_httpx(count: int, numbers: list[str]) -> float:
    """(a) The fake's ceiling: plain POSTs, no SDK."""
    server = fake()
    try:
        url = server.base_url + server.messages_path
        auth = (server.account_sid, server.auth_token)
        with httpx.Client(auth=auth, timeout=10.0) as client:

            def send(to: str) -> None:
                form = {"To": to, "From": server.from_number, "Body": BODY}
                response = client.post(url, data=form | {"StatusCallback": CALLBACK})
                if response.status_code != 201:
                    raise SystemExit(f"the fake answered {response.status_code}: {response.text}")

            return rate(count, send, numbers)
    finally:
        server.stop()
        check(server)


def sdk_alone(count: int, numbers: list[str]) -> float:
    """(b) TwilioBackend.send: the twilio SDK on our httpx transport."""
    server = fake()
    try:
        with TwilioBackend(settings_for(server)) as backend:
            return rate(count, lambda to: _ignore(backend.send(to, BODY, CALLBACK)), numbers)
    finally:
        server.stop()
        check(server)


def _ignore(_: object) -> None:
    return None


@dataclasses.dataclass
class EndToEnd:
    per_second: float
    seconds: float
    sent: int
    import_seconds: float


def dispatcher(count: int, numbers: list[str], folder: Path) -> EndToEnd:
    """(c) The Dispatcher: claim, check, send and record, on a fresh SQLite database."""
    url = f"sqlite:///{folder / 'dispatch.db'}"
    engine = make_engine(url, load_settings().keyring)
    upgrade(engine)
    server = fake()
    try:
        app = App(settings=settings_for(server, url), clock=FixedClock(NOW))
        csv = folder / "cases.csv"
        rows = [
            f"D{n:05d},Bench Person {n},{phone},en,America/New_York,U4U,UA,2025-09-01,"
            "2025-09-01,2027-08-31,yes\n"
            for n, phone in enumerate(numbers[:count])
        ]
        csv.write_text(HEADER + "".join(rows), encoding="utf-8")
        options = ImportOptions(actor="benchmark", default_timezone="America/New_York")
        started = time.perf_counter()
        report = import_file(engine, csv, app.policies, NOW, options)
        imported = time.perf_counter() - started
        if report.errors or report.created != count:
            raise SystemExit(f"import: {report.created} created, errors {report.errors[:5]}")
        # Pacing off: the policy's rate so high its interval is nothing.
        policy = dataclasses.replace(app.composer.policy, rate_per_second=1e9)
        composer = dataclasses.replace(app.composer, policy=policy)
        with TwilioBackend(app.settings) as backend:
            worker = Dispatcher(
                engine=engine,
                backend=backend,
                composer=composer,
                clock=FixedClock(NOW),
                worker="bench",
                status_callback=CALLBACK,
            )
            started = time.perf_counter()
            outcome = worker.run_once(limit=count)
            seconds = time.perf_counter() - started
        if outcome.sent != count or len(server.sent) != count:
            raise SystemExit(f"dispatch: {outcome}, the fake received {len(server.sent)}")
        return EndToEnd(count / seconds, seconds, outcome.sent, imported)
    finally:
        server.stop()
        engine.dispose()
        check(server)


def check(server: FakeTwilioServer) -> None:
    if server.errors:
        raise SystemExit(f"the fake Twilio server failed: {server.errors!r}")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def table(rows: list[tuple[str, str]]) -> str:
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--alerts", type=int, default=2000, help="messages per measurement")
    args = parser.parse_args(argv)
    count: int = args.alerts
    if not 1 <= count <= MAX_ALERTS - WARM_UP:
        parser.error(f"--alerts: 1 to {MAX_ALERTS - WARM_UP}")
    numbers = phones(count + WARM_UP)
    raw = raw_httpx(count, numbers)
    sdk = sdk_alone(count, numbers)
    with tempfile.TemporaryDirectory(prefix="dispatch-bench-") as folder:
        end = dispatcher(count, numbers, Path(folder))
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    rows = [
        ("machine", f"{cpu_model()}, nproc {affinity or os.cpu_count()}"),
        ("python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("messages", f"{count:,} per measurement"),
        ("(a) fake, raw httpx", f"{raw:,.0f} msg/s  ({1000 / raw:.2f} ms each)"),
        ("(b) TwilioBackend.send", f"{sdk:,.0f} msg/s  ({1000 / sdk:.2f} ms each)"),
        (
            "(c) Dispatcher, SQLite",
            f"{end.per_second:,.0f} msg/s  ({1000 / end.per_second:.2f} ms each; "
            f"{end.seconds:.1f} s for {end.sent:,}; import took {end.import_seconds:.1f} s)",
        ),
    ]
    sys.stdout.write(table(rows) + "\n")


if __name__ == "__main__":
    main()
