"""How long a large representative's calendar feed takes to build, and to re-validate.

    python tests/benchmarks/feed_bench.py [--clients 2000] [--runs 5]

A freshly migrated SQLite database gets N cases of one representative (imported through
the real importer, clock pinned); then, for that representative's feed token:

(a) query + render: feed_items + render_feed, called directly (median of --runs);
(b) a full GET through the real route (FastAPI TestClient): status, body size, time;
(c) the 304 path: the same GET with If-None-Match (median of --runs).

Nothing reads the machine's clock for dates. Not collected by pytest (no test_ prefix).
"""

import argparse
import platform
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

# Run as a script: the project root on the path, for `tracker` and `tests`.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

# Starlette's TestClient asks for its httpx fork; the plain httpx works here.
warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient` is deprecated")

from tests.builders import PUBLIC, an_app, header, web_client  # noqa: E402
from tests.conftest import NOW  # noqa: E402
from tracker.feeds.query import feed_items  # noqa: E402
from tracker.feeds.render import render_feed  # noqa: E402
from tracker.feeds.tokens import find_active, issue  # noqa: E402
from tracker.importer.service import ImportOptions, import_file  # noqa: E402
from tracker.settings import load_settings  # noqa: E402
from tracker.store.db import make_engine, session_scope  # noqa: E402
from tracker.store.migrate import upgrade  # noqa: E402

REP = "bench-rep@example.org"
# Programs with their citizenship; CHNV Cubans get the Cuban Adjustment deadline as well.
PROGRAMS = [("U4U", "UA"), ("CHNV", "CU"), ("CHNV", "VE"), ("OAW", "AF")]


def write_cases(path: Path, clients: int) -> None:
    """N fictional cases of one representative, dates spread over two years."""
    lines = [header()]
    for n in range(clients):
        program, country = PROGRAMS[n % len(PROGRAMS)]
        start = date(2025, 1, 1) + timedelta(days=n % 600)
        expiry = start + timedelta(days=730)
        permit = (start + timedelta(days=365)).isoformat() if n % 3 == 0 else ""
        lines.append(
            f"B{n:05d},Bench Client {n},,en,America/New_York,{program},{country},"
            f"{start},{start},{expiry},{permit},,Bench Rep,{REP},no,,,\n"
        )
    path.write_text("".join(lines), encoding="utf-8")


def timed(action: Callable[[], object], runs: int) -> tuple[float, object]:
    """Median seconds of `runs` calls, and the last result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url, load_settings().keyring)
        upgrade(engine)
        engine.dispose()
        app = an_app(url, public_base_url=PUBLIC)
        cases = Path(tmp) / "cases.csv"
        write_cases(cases, args.clients)
        options = ImportOptions(actor="bench", default_timezone="America/New_York")
        started = time.perf_counter()
        report = import_file(app.engine, cases, app.policies, NOW, options)
        import_seconds = time.perf_counter() - started
        assert not report.errors, report.errors[:3]
        with session_scope(app.engine) as session:
            token = issue(session, now=NOW, actor="bench", representative_email=REP).token

        def query_and_render() -> bytes:
            with session_scope(app.engine) as session:
                row = find_active(session, token)
                assert row is not None
                items = feed_items(session, row, app.feed_policy, NOW)
                feed_id = row.id or 0
            return render_feed(
                items, feed_id=feed_id, name="Parole deadlines", privacy="minimal",
                policy=app.feed_policy, admin_url=f"{PUBLIC}/admin",
            )  # fmt: skip

        def query_only() -> int:
            with session_scope(app.engine) as session:
                row = find_active(session, token)
                assert row is not None
                return len(feed_items(session, row, app.feed_policy, NOW))

        # The benchmark's own requests must not be throttled by the per-client limit.
        app.feed_policy = replace(app.feed_policy, rate_limit_per_minute=10_000)
        web = web_client(app)
        query_seconds, events = timed(query_only, args.runs)
        render_seconds, body = timed(query_and_render, args.runs)
        assert isinstance(body, bytes)
        get_seconds, response = timed(lambda: web.get(f"/feeds/{token}.ics"), args.runs)
        etag = web.get(f"/feeds/{token}.ics").headers["etag"]
        conditional = {"If-None-Match": etag}
        not_modified_seconds, cached = timed(
            lambda: web.get(f"/feeds/{token}.ics", headers=conditional), args.runs
        )
        assert getattr(response, "status_code", None) == 200
        assert getattr(cached, "status_code", None) == 304
        app.engine.dispose()

    rows = [
        ("clients (cases)", f"{args.clients}"),
        ("events in feed", f"{events}"),
        ("import (once)", f"{import_seconds:.2f} s"),
        ("query only (median)", f"{query_seconds * 1000:.0f} ms"),
        ("query + render (median)", f"{render_seconds * 1000:.0f} ms"),
        ("body size", f"{len(body):,} bytes ({len(body) / 1024 / 1024:.2f} MiB)"),
        ("GET 200 via route (median)", f"{get_seconds * 1000:.0f} ms"),
        ("GET 304 via route (median)", f"{not_modified_seconds * 1000:.0f} ms"),
    ]
    width = max(len(name) for name, _ in rows)
    title = f"Feed benchmark, {platform.python_implementation()} {platform.python_version()}"
    print(f"{title}, SQLite, {args.runs} runs")  # noqa: T201
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")  # noqa: T201


if __name__ == "__main__":
    main()
