"""The tracker at 100,000 and 1,000,000 cases, on SQLite and PostgreSQL: each figure beside
its floor, its ceiling or a naive way of doing the same, measured in the same run.

    python tests/benchmarks/scale_bench.py [--sizes 100000,1000000]
        [--backends sqlite,postgresql] [--sqlite-dir var/bench]
        [--postgres-url postgresql+psycopg://tracker:tracker@127.0.0.1:5432/tracker_bench]
        [--reuse] [--messages 2000] [--import-rows 5000] [--runs 3]

Databases: SQLite files `scale-N.db` in --sqlite-dir; on PostgreSQL one schema `scale_N`
per size in the --postgres-url database. Each is filled by `tracker.synthetic.generate`
(seed 1, made at MADE_AT) unless --reuse finds it already holds N synthetic cases.

Every run moves the synthetic calendar on by one day (see scale_support), so a reused
database measures a fresh day each time. Measured, for each database:
- planner sweep for one day: the full sweep; beside it the bare indexed query that picks
  the cases (the floor) and a naive loop over every case's deadlines in Python;
- dispatcher to a fake Twilio on loopback, beside the fake's own ceiling (raw httpx);
- the 2,000-client representative's feed: query, render, GET 200 and GET 304;
- the admin's expiring list: first page, a deep page (keyset), the same page by OFFSET;
- `tracker cases expiring --within 90` as a process, beside the bare query and the
  process's own start-up;
- CSV import rows/s into this database, beside the same file into an empty one;
- the worker (expire, plan, dispatch, retention) in its own process: peak RSS.
Then every SELECT the measurements ran is explained, and full scans of big tables listed.
Not collected by pytest (no test_ prefix).
"""

import argparse
import csv
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import warnings
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

# Run as a script: the project root on the path, for `tests.*`.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

# Starlette's TestClient asks for its httpx fork; the plain httpx works here.
warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient` is deprecated")

import sqlalchemy as sa  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Engine, create_engine, func, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import SQLModel, col, select  # noqa: E402

from tests.benchmarks import import_bench  # noqa: E402
from tests.benchmarks.dispatch_bench import cpu_model, phones, raw_httpx  # noqa: E402
from tests.benchmarks.scale_support import (  # noqa: E402
    MADE_AT,
    QueryLog,
    dispatch,
    full_scans,
    logging_queries,
    next_day,
    record_horizon,
    send_everything_due,
    timed,
)
from tracker.accounts.users import Caller  # noqa: E402
from tracker.alerts.planner import textable  # noqa: E402
from tracker.alerts.policy import ReminderPolicy  # noqa: E402
from tracker.alerts.sweep import deadlines_due_between, plan_due  # noqa: E402
from tracker.bootstrap import App  # noqa: E402
from tracker.cases.listing import CaseFilters, Cursor, fetch_page, listing_query  # noqa: E402
from tracker.cases.repository import expiring_query  # noqa: E402
from tracker.clock import FixedClock  # noqa: E402
from tracker.domain.model import AlertState  # noqa: E402
from tracker.feeds.query import feed_items  # noqa: E402
from tracker.feeds.render import render_feed  # noqa: E402
from tracker.feeds.tokens import find_active, issue  # noqa: E402
from tracker.importer.rows import COLUMNS  # noqa: E402
from tracker.settings import load_settings  # noqa: E402
from tracker.store.db import session_scope  # noqa: E402
from tracker.store.migrate import upgrade  # noqa: E402
from tracker.store.models import Alert, Case, DeadlineRow, Parolee, Role  # noqa: E402
from tracker.synthetic import generate, representative_email  # noqa: E402
from tracker.synthetic.load import next_number  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TRACKER = Path(sys.executable).parent / "tracker"
TIME = "/usr/bin/time"
SEED = 1
PG_DEFAULT = "postgresql+psycopg://tracker:tracker@127.0.0.1:5432/tracker_bench"
ADMIN = Caller(user_id=0, email="bench@example.org", role=Role.ADMIN, representative_id=None)
Line = tuple[str, str, str]


def mib(kib: float) -> str:
    # Linux reports ru_maxrss in KiB.
    return f"{kib / 1024:,.0f} MiB"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def url_for(backend: str, size: int, args: argparse.Namespace) -> str:
    if backend == "sqlite":
        return f"sqlite:///{Path(args.sqlite_dir).resolve() / f'scale-{size}.db'}"
    return schema_url(args.postgres_url, f"scale_{size}")


def schema_url(url: str, schema: str) -> str:
    """`url` with every connection working in `schema` (PostgreSQL's search_path)."""
    parsed = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return parsed.render_as_string(hide_password=False)


def fresh(backend: str, url: str, base_url: str, *, keep: bool) -> None:
    """Create the database (or schema); empty it first unless `keep`."""
    if backend == "sqlite":
        path = Path(make_url(url).database or "")
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in [] if keep else [path, *path.parent.glob(path.name + "-*")]:
            stale.unlink(missing_ok=True)
        return
    schema = make_url(url).query["options"]
    assert isinstance(schema, str)
    name = schema.split("=", 1)[1]
    engine = create_engine(base_url)
    with engine.begin() as connection:
        if not keep:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{name}"'))
    engine.dispose()


def app_on(url: str) -> App:
    settings = load_settings(database_url=url, config_dir=ROOT / "config")
    return App(settings=settings, clock=FixedClock(MADE_AT))


def prepare(backend: str, size: int, args: argparse.Namespace) -> tuple[App, list[Line]]:
    """The database of `size` synthetic cases, generated unless reused."""
    url = url_for(backend, size, args)
    fresh(backend, url, args.postgres_url, keep=args.reuse)
    app = app_on(url)
    upgrade(app.engine)
    have = next_number(app.engine, SEED)
    if have > size or (have and not args.reuse):
        raise SystemExit(f"{url} holds {have:,} synthetic cases, not {size:,}")
    if have == size:
        record_horizon(app)
        return app, [("synthetic cases", f"{size:,} (reused)", "")]
    progress = import_bench.progress_printer(size - have)
    report = generate(
        app.engine, size - have, seed=SEED, now=MADE_AT, policies=app.policies, progress=progress
    )
    rate = f"{report.rows_per_second:,.0f} rows/s, {report.cases / report.seconds:,.0f} cases/s"
    return app, [("generate", f"{report.seconds:,.1f} s for {report.cases:,} cases", rate)]


def planner(app: App, log: QueryLog) -> tuple[list[Line], datetime]:
    """The sweep of one new day, beside the query that picks its cases and a naive loop."""
    day = next_day(app)
    send_everything_due(app.engine, day)
    policy = app.composer.policy
    until = day.date() + timedelta(days=policy.plan_horizon_days)
    start = until - timedelta(days=1)

    def floor() -> set[int]:
        with session_scope(app.engine) as session:
            return set(deadlines_due_between(session, start, until, policy))

    with logging_queries(app.engine, log):
        floor_s, picked = timed(floor, 3)
        naive_s, naive = timed(lambda: naive_cases(app.engine, policy, start, until))
        sweep_s, added = timed(lambda: plan_due(app.engine, app.composer, day))
    assert naive <= picked, "the indexed query misses cases the naive loop finds"
    return [
        ("planner sweep, one day", f"{ms(sweep_s)} ({added:,} alerts added)",
         f"floor: indexed query {ms(floor_s)} ({len(picked):,} candidate cases)"),
        ("", "", f"naive: loop over every case {ms(naive_s)} ({len(naive):,} cases)"),
    ], day  # fmt: skip


def naive_cases(engine: Engine, policy: ReminderPolicy, start: date, until: date) -> set[int]:
    """Every case read once, with its person and deadlines, and tested in Python: the
    cases of people we may text with a reminder date (act-by less an offset of its kind,
    reminded in the case's status) in (start, until]."""
    query = (
        sa.select(col(DeadlineRow.case_id), col(Case.status), textable(), col(DeadlineRow.kind),
                  col(DeadlineRow.act_by), col(DeadlineRow.cancelled_at))
        .join(Parolee, col(Parolee.id) == Case.parolee_id)
        .join(DeadlineRow, col(DeadlineRow.case_id) == Case.id)
    )  # fmt: skip
    found: set[int] = set()
    with engine.connect() as connection:
        rows = connection.execution_options(yield_per=10_000).execute(query)
        for case_id, status, can_text, kind, act_by, cancelled in rows:
            if cancelled or not can_text or not policy.reminds(kind, status):
                continue
            if any(start < act_by - timedelta(days=o) <= until for o in policy.offsets[kind]):
                found.add(case_id)
    return found


def dispatcher(app: App, day: datetime, messages: int, log: QueryLog) -> list[Line]:
    """One pass of the dispatcher a day later, beside the fake Twilio's own ceiling."""
    at = day + timedelta(days=1)
    with session_scope(app.engine) as session:
        due = session.exec(
            select(func.count())
            .select_from(Alert)
            .where(Alert.state == AlertState.PLANNED, col(Alert.due_at) <= at)
        ).one()
    count = min(int(due), messages)
    if count == 0:
        return [("dispatcher", "nothing due", "")]
    ceiling = raw_httpx(count, phones(count + 20))
    with logging_queries(app.engine, log):
        run = dispatch(app, at, count)
    sent = run.outcome.sent
    held = run.outcome.not_needed + run.outcome.waiting
    return [(
        "dispatcher to fake Twilio",
        f"{sent / run.seconds:,.0f} msg/s ({sent:,} sent, {held:,} held)",
        f"ceiling: fake's raw httpx {ceiling:,.0f} msg/s",
    )]  # fmt: skip


def feed(app: App, runs: int, log: QueryLog) -> list[Line]:
    """The feed of the representative with 2,000 clients."""
    with session_scope(app.engine) as session:
        token = issue(session, now=MADE_AT, actor="bench",
                      representative_email=representative_email(0)).token  # fmt: skip

    def items() -> Any:
        with session_scope(app.engine) as session:
            row = find_active(session, token)
            assert row is not None
            return feed_items(session, row, app.feed_policy, MADE_AT), row.id or 0

    def rendered() -> bytes:
        found, feed_id = items()
        return render_feed(found, feed_id=feed_id, name="Parole deadlines", privacy="minimal",
                           policy=app.feed_policy, admin_url="http://testserver/admin")  # fmt: skip

    web = TestClient(_web(app))
    path = f"/feeds/{token}.ics"
    with logging_queries(app.engine, log):
        query_s, (found, _) = timed(items, runs)
        render_s, body = timed(rendered, runs)
        first_s, response = timed(lambda: web.get(path))
        again_s, _ = timed(lambda: web.get(path), runs)
        etag = response.headers["etag"]
        cached_s, cached = timed(lambda: web.get(path, headers={"If-None-Match": etag}), runs)
    assert (response.status_code, cached.status_code) == (200, 304)
    return [
        ("feed, 2,000 clients: query+render", ms(render_s),
         f"floor: query alone {ms(query_s)} ({len(found):,} events, {len(body) / 2**20:.1f} MiB)"),
        ("feed: GET 200 via route", ms(first_s),
         f"again (rendered body cached): {ms(again_s)}"),
        ("feed: GET 304 via route", ms(cached_s), f"floor: query alone {ms(query_s)}"),
    ]  # fmt: skip


def _web(app: App) -> Any:
    # Imported here: the web app pulls in every route, which only this measurement needs.
    from tracker.web.app import create_app

    # The benchmark's own requests must not be throttled by the per-client limit.
    app.feed_policy = dataclasses.replace(app.feed_policy, rate_limit_per_minute=1_000_000)
    return create_app(app)


def admin_list(app: App, runs: int, log: QueryLog) -> list[Line]:
    """The admin's list of cases ending within 90 days: first page, a deep one, and that
    deep page by OFFSET (what keyset pagination saves)."""
    today, filters = MADE_AT.date(), CaseFilters()
    with session_scope(app.engine) as session:
        query = listing_query(filters, today=today, caller=ADMIN, keyring=app.settings.keyring)
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        depth = int(total * 0.9)
        at_depth = query.with_only_columns(col(Case.end_date), col(Case.id)).offset(depth)
        key, case_id = session.execute(at_depth.limit(1)).one()
    cursor = Cursor(key, case_id)

    def page(after: Cursor | None) -> int:
        with session_scope(app.engine) as session:
            found = fetch_page(session, filters, today=today, caller=ADMIN, after=after)
            return len(found.rows)

    def by_offset() -> int:
        with session_scope(app.engine) as session:
            return len(session.exec(query.offset(depth).limit(51)).all())

    with logging_queries(app.engine, log):
        first_s, _ = timed(lambda: page(None), runs)
        deep_s, _ = timed(lambda: page(cursor), runs)
    offset_s, _ = timed(by_offset, runs)
    return [
        ("admin list, first page", ms(first_s), f"{total:,} cases end within 90 days"),
        (f"admin list, page at case {depth:,}", ms(deep_s), f"naive: OFFSET {ms(offset_s)}"),
    ]


def expiring_cli(app: App, log: QueryLog) -> list[Line]:
    """`tracker cases expiring` as an operator runs it, beside its query and start-up."""
    env = {**os.environ, "DATABASE_URL": app.settings.database_url,
           "CONFIG_DIR": str(ROOT / "config")}  # fmt: skip
    now = MADE_AT.isoformat()
    startup_s, _ = timed(lambda: child([str(TRACKER), "--help"], env))
    command = [str(TRACKER), "cases", "expiring", "--within", "90", "--format", "csv"]
    cli_s, (lines, rss) = timed(lambda: child([*command, "--now", now], env))
    query = expiring_query(start=MADE_AT.date(), until=MADE_AT.date() + timedelta(days=90))
    with logging_queries(app.engine, log), app.engine.connect() as connection:
        bare_s, count = timed(lambda: len(connection.execute(query.with_only_columns(
            col(Case.id))).all()))  # fmt: skip
    return [
        (
            "`tracker cases expiring --within 90`",
            f"{ms(cli_s)} ({lines - 1:,} rows, peak RSS {mib(rss)})",
            f"floor: bare query {ms(bare_s)} ({count:,} ids); start-up {ms(startup_s)}",
        )
    ]


def child(command: list[str], env: dict[str, str]) -> tuple[int, int]:
    """Run a process; (lines it wrote, its peak RSS in KiB).

    Through GNU time: a child's own ru_maxrss starts at its parent's peak (Linux carries
    the high-water mark of the memory it is forked from across exec), and this parent is
    large; time's own process is small.
    """
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile("r") as usage:
        done = subprocess.run(
            [TIME, "-f", "%M", "-o", usage.name, *command],
            env=env, stdout=out, stderr=subprocess.PIPE, text=True, check=False,
        )  # fmt: skip
        if done.returncode:
            raise SystemExit(f"{' '.join(command)} failed: {done.stderr}")
        out.seek(0)
        return sum(1 for _ in out), int(usage.read().split()[-1])


def importing(app: App, backend: str, rows: int, args: argparse.Namespace) -> list[Line]:
    """Import rows/s into this database, beside the same file into an empty one. The
    imported cases are removed again, so the database keeps its size across runs."""
    with tempfile.TemporaryDirectory(prefix="scale-import-") as folder:
        path = Path(folder) / "cases.csv"
        write_import_file(path, rows)
        try:
            big = import_bench.timed_import(app.engine, path, app.policies, rows)
        finally:
            remove_imported(app.engine)
        empty_url = f"sqlite:///{Path(folder) / 'empty.db'}"
        if backend == "postgresql":
            empty_url = schema_url(args.postgres_url, "scale_empty")
            fresh(backend, empty_url, args.postgres_url, keep=False)
        empty = import_bench.fresh_engine(empty_url)
        try:
            small = import_bench.timed_import(empty, path, app.policies, rows)
        finally:
            empty.dispose()
    return [(
        f"CSV import, {rows:,} new cases",
        f"{rows / big.seconds:,.0f} rows/s",
        f"baseline: into an empty database {rows / small.seconds:,.0f} rows/s",
    )]  # fmt: skip


IMPORTED = "IMP-"


def write_import_file(path: Path, rows: int) -> None:
    """import_bench's realistic rows, with external ids and receipts of their own."""
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(COLUMNS))
        writer.writeheader()
        for n, row in enumerate(import_bench.case_rows(rows, seed=SEED)):
            row["external_id"] = f"{IMPORTED}{n:07d}"
            if row["receipt_number"]:
                # Synthetic receipts have a 9 where these have a 0.
                row["receipt_number"] = f"{row['receipt_number'][:3]}000{n:07d}"
            writer.writerow(row)


def remove_imported(engine: Engine) -> None:
    """Delete the imported cases, their people and every row that refers to them."""
    cases = sa.select(col(Case.id)).where(
        col(Case.external_id) >= IMPORTED, col(Case.external_id) < "IMP."
    )
    people = sa.select(col(Case.parolee_id)).where(col(Case.id).in_(cases))
    tables = SQLModel.metadata.tables
    by_case = ["deadline", "alert", "parole_grant", "filing", "status_change", "case_assignment"]
    with engine.begin() as connection:
        doomed = [row[0] for row in connection.execute(people)]
        for name in by_case:
            connection.execute(sa.delete(tables[name]).where(tables[name].c.case_id.in_(cases)))
        connection.execute(sa.delete(Case).where(col(Case.parolee_id).in_(doomed)))
        for name in ("parolee_name_word", "consent_event"):
            table = tables[name]
            connection.execute(sa.delete(table).where(table.c.parolee_id.in_(doomed)))
        connection.execute(sa.delete(Parolee).where(col(Parolee.id).in_(doomed)))


def worker_rss(app: App, messages: int) -> list[Line]:
    """The worker's jobs in a process of their own; its peak RSS."""
    command = [sys.executable, __file__, "--probe", app.settings.database_url,
               "--messages", str(messages)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"the worker probe failed:\n{done.stderr}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    jobs = ", ".join(f"{k} {ms(v)}" for k, v in figures["seconds"].items())
    return [
        (
            "worker peak RSS (expire, plan, dispatch, retention)",
            mib(figures["peak_kib"]),
            f"ready to work {mib(figures['start_kib'])}; {jobs}",
        )
    ]


def probe(url: str, messages: int) -> None:
    """The worker probe (a child process): each job once on the next day; JSON on stdout.
    Peak RSS is the process's own high-water mark (VmHWM), not ru_maxrss: see `child`."""
    from tracker.cases.expiry import mark_expired
    from tracker.privacy.retention import run_retention

    app = app_on(url)
    day = next_day(app)
    send_everything_due(app.engine, day)
    start_kib = high_water_kib()
    seconds = {
        "expire": timed(lambda: mark_expired(app.engine, app.policies, FixedClock(day)))[0],
        "plan": timed(lambda: plan_due(app.engine, app.composer, day))[0],
        "dispatch": dispatch(app, day + timedelta(days=1), messages).seconds,
        "retention": timed(lambda: run_retention(app.engine, app.retention, day))[0],
    }
    sys.stdout.write(
        json.dumps({"start_kib": start_kib, "peak_kib": high_water_kib(), "seconds": seconds})
    )


def high_water_kib() -> int:
    """This process's peak resident memory so far, in KiB."""
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise SystemExit("no VmHWM in /proc/self/status (Linux only)")


def table(title: str, lines: list[Line]) -> str:
    widths = [max(len(line[i]) for line in lines) for i in range(2)]
    rows = [f"  {a.ljust(widths[0])}  {b.ljust(widths[1])}  {c}".rstrip() for a, b, c in lines]
    return "\n".join([title, *rows])


def measure(backend: str, size: int, args: argparse.Namespace) -> None:
    app, lines = prepare(backend, size, args)
    log = QueryLog()
    try:
        planned, day = planner(app, log)
        lines += planned
        lines += dispatcher(app, day, args.messages, log)
        lines += feed(app, args.runs, log)
        lines += admin_list(app, args.runs, log)
        lines += expiring_cli(app, log)
        lines += importing(app, backend, args.import_rows, args)
        lines += worker_rss(app, args.messages)
        scans = full_scans(app.engine, log)
    finally:
        app.engine.dispose()
    load = os.getloadavg()
    title = (f"{backend}, {size:,} cases; load average {load[0]:.2f} {load[1]:.2f} "
             f"{load[2]:.2f} at the end")  # fmt: skip
    out = table(title, lines)
    scan_lines = [f"    {plan}  <-  {sql}" for sql, plan in scans] or ["    none"]
    sys.stdout.write(f"{out}\n  full scans of big tables in the queries run:\n")
    sys.stdout.write("\n".join(scan_lines) + "\n\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--sqlite-dir", default=str(ROOT / "var" / "bench"))
    parser.add_argument("--postgres-url", default=PG_DEFAULT)
    parser.add_argument("--reuse", action="store_true", help="keep databases already filled")
    parser.add_argument("--messages", type=int, default=2000, help="dispatcher pass size")
    parser.add_argument("--import-rows", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3, help="runs of the short measurements")
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe:
        probe(args.probe, args.messages)
        return
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    sys.stdout.write(
        f"{cpu_model()}, {os.cpu_count()} cores, {memory:.0f} GiB; synthetic data made at "
        f"{MADE_AT.isoformat()}; run at {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}\n\n"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        for backend in args.backends.split(","):
            measure(backend, size, args)


if __name__ == "__main__":
    main()
