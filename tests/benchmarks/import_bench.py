"""How fast, and in how much memory, a large case file imports.

    python tests/benchmarks/import_bench.py [--rows 100000] [--database-url URL]
                                            [--tracemalloc-rows 5000] [--seed 1]

Writes a realistic N-row case file (programs, languages, zones and dates spread like a
real caseload, some filings with unique receipt numbers, five representatives), imports
it into a freshly migrated SQLite database in a temporary folder (or into DATABASE_URL
given with --database-url), then imports the same file again (every row unchanged).
Time is measured without tracemalloc, which slows Python down several times; the
Python-heap peak comes from a second, smaller pass on its own fresh SQLite database.
Not collected by pytest (no test_ prefix).
"""

import argparse
import csv
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func
from sqlmodel import select

from tracker.bootstrap import App
from tracker.importer.report import ImportReport
from tracker.importer.rows import COLUMNS
from tracker.importer.service import ImportOptions, import_file
from tracker.policies import Policies
from tracker.settings import load_settings
from tracker.store.db import make_engine, session_scope
from tracker.store.migrate import upgrade
from tracker.store.models import Case, DeadlineRow, Filing

ROOT = Path(__file__).resolve().parents[2]
# Pinned like the tests: a Sunday afternoon in New York. Nothing reads the machine's clock.
NOW = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)
TODAY = date(2026, 11, 29)
ZONE = "America/New_York"

# (program, share of the caseload, parole length in days, citizenships)
PROGRAMS = [
    ("U4U", 38, 729, ["UA"]),
    ("CHNV", 22, 729, ["CU", "HT", "NI", "VE"]),
    ("OAW", 12, 729, ["AF"]),
    ("FRP", 8, 729, ["CO", "SV", "GT", "HN", "EC", "CU", "HT"]),
    ("CAM", 6, 1094, ["SV", "GT", "HN"]),
    ("medical", 6, 364, ["MX", "HT", "UA", "VE"]),
    ("other", 8, 364, ["UA", "RU", "SY", "SD", "VE", "AF"]),
]
LANGUAGES = {
    "UA": ["uk", "uk", "ru", "en"], "RU": ["ru"], "AF": ["fa-AF", "fa-AF", "ps"],
    "HT": ["ht", "ht", "en"], "SY": ["en"], "SD": ["en"],
}  # fmt: skip
ZONES = [
    "America/New_York", "America/New_York", "America/New_York", "America/Chicago",
    "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
    "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico",
]  # fmt: skip
AREA_CODES = ["202", "212", "305", "312", "415", "503", "617", "713", "907", "206", "404"]
GIVEN = [
    "Olena",
    "Andrii",
    "Maria",
    "José",
    "Ahmad",
    "Fatima",
    "Jean",
    "Rose",
    "Yuliia",
    "Carlos",
    "Ana",
    "Mohammad",
    "Zahra",
    "Dmytro",
    "Daniela",
    "Luis",
    "Wilner",
    "Iryna",
]
FAMILY = [
    "Kovalenko",
    "Shevchenko",
    "García",
    "Rodríguez",
    "Ahmadi",
    "Rahimi",
    "Pierre",
    "Joseph",
    "Bondarenko",
    "Hernández",
    "López",
    "Popescu",
    "Haidari",
    "Martínez",
    "Tkachenko",
    "Baptiste",
    "Pérez",
    "Melnyk",
]
REPRESENTATIVES = [
    ("Ana Ortiz", "aortiz@legal-aid.example.org"),
    ("Sam Whitfield", "sam@refugee-clinic.example.org"),
    ("Oksana Hrytsenko", "oksana@ukraine-help.example.org"),
    ("Farid Nazari", "farid.nazari@afghan-legal.example.org"),
    ("Marie-Claire Dorval", "mcdorval@haitian-rights.example.org"),
]
# Forms a parolee on this program plausibly files, most likely first.
FORMS = {
    "U4U": ["I-131", "I-131", "I-821", "I-765"], "OAW": ["I-589", "I-131", "I-765"],
    "CHNV": ["I-589", "I-485", "I-821", "I-765"], "FRP": ["I-485", "I-765"],
    "CAM": ["I-131", "I-589"], "medical": ["I-131", "I-765"], "other": ["I-589", "I-765"],
}  # fmt: skip
RECEIPT_PREFIXES = ["IOE", "IOE", "EAC", "WAC", "LIN", "SRC", "NBC", "MSC", "YSC"]
FIRST_START = date(2023, 1, 1)


def case_rows(count: int, seed: int) -> Iterator[dict[str, str]]:
    """`count` fake cases, the same for the same seed."""
    rng = random.Random(seed)
    programs = [p for p, share, *_ in PROGRAMS for _ in range(share)]
    details = {p: (length, countries) for p, _, length, countries in PROGRAMS}
    span = (TODAY - timedelta(days=1) - FIRST_START).days
    for n in range(count):
        program = rng.choice(programs)
        length, countries = details[program]
        country = rng.choice(countries)
        start = FIRST_START + timedelta(days=rng.randrange(span))
        # A trip abroad on advance parole and back: a later last arrival.
        arrival = start
        if rng.random() < 0.05:
            arrival = min(start + timedelta(days=rng.randrange(30, 300)), TODAY)
        expiry = start + timedelta(days=length)
        phone = ""
        if rng.random() < 0.85:
            phone = f"+1 {rng.choice(AREA_CODES)} 555 01{rng.randrange(100):02d}"
        rep_name, rep_email = rng.choice(REPRESENTATIVES) if rng.random() < 0.6 else ("", "")
        form = filed = receipt = ""
        if rng.random() < 0.3:
            form = rng.choice(FORMS[program])
            since_start = max((TODAY - start).days, 1)
            filed = (start + timedelta(days=rng.randrange(since_start))).isoformat()
            if rng.random() < 0.8:
                # Unique across the file: the row number is in the ten digits.
                receipt = f"{rng.choice(RECEIPT_PREFIXES)}{2600000000 + n:010d}"
        work_permit = ""
        if rng.random() < 0.3:
            work_permit = min(start + timedelta(days=364), expiry).isoformat()
        yield {
            "external_id": f"B{n + 1:07d}",
            "full_name": f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}",
            "phone": phone,
            "language": rng.choice(LANGUAGES.get(country, ["es", "es", "en"])),
            "timezone": rng.choice(ZONES),
            "program": program,
            "citizenship": country,
            "arrival_date": arrival.isoformat(),
            "parole_start": start.isoformat(),
            "parole_expiry": expiry.isoformat(),
            "work_permit_expiry": work_permit,
            "a_number": f"A{rng.randrange(10**8, 10**9)}" if rng.random() < 0.4 else "",
            "representative_name": rep_name,
            "representative_email": rep_email,
            "sms_consent": "yes" if phone and rng.random() < 0.8 else "no",
            "receipt_number": receipt,
            "form_type": form,
            "filed_date": filed,
        }


def write_file(path: Path, count: int, seed: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(case_rows(count, seed))


def fresh_engine(url: str) -> Engine:
    engine = make_engine(url, load_settings().keyring)
    upgrade(engine)
    return engine


def progress_printer(total: int) -> Callable[[int], None]:
    done = 0

    def show(step: int) -> None:
        nonlocal done
        done += step
        if done % 10_000 < step or done == total:
            sys.stderr.write(f"\r  {done:>9,} / {total:,} rows")
            if done == total:
                sys.stderr.write("\n")
            sys.stderr.flush()

    return show


@dataclass
class Timed:
    report: ImportReport
    seconds: float


def timed_import(engine: Engine, path: Path, policies: Policies, rows: int) -> Timed:
    options = ImportOptions(actor="benchmark", default_timezone=ZONE)
    started = time.perf_counter()
    report = import_file(engine, path, policies, NOW, options, progress=progress_printer(rows))
    seconds = time.perf_counter() - started
    if report.errors:
        shown = "\n".join(str(e) for e in report.errors[:10])
        raise SystemExit(f"the generated file has {len(report.errors)} bad row(s):\n{shown}")
    return Timed(report, seconds)


def peak_rss_mib() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stored_counts(engine: Engine) -> tuple[int, int, int]:
    with session_scope(engine) as session:
        cases = session.exec(select(func.count()).select_from(Case)).one()
        deadlines = session.exec(select(func.count()).select_from(DeadlineRow)).one()
        filings = session.exec(select(func.count()).select_from(Filing)).one()
    return int(cases), int(deadlines), int(filings)


def table(rows: list[tuple[str, str]]) -> str:
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the file")
    parser.add_argument(
        "--database-url", help="import here (migrated first) instead of a temporary SQLite file"
    )
    parser.add_argument(
        "--tracemalloc-rows",
        type=int,
        default=5_000,
        help="rows of the separate pass under tracemalloc (0: skip it)",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed of the fake cases")
    args = parser.parse_args(argv)
    # The real policies: deadlines and the reminders (welcome messages) an import plans.
    policies = App(settings=load_settings(config_dir=ROOT / "config")).policies
    results: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="import-bench-") as folder:
        work = Path(folder)
        csv_path = work / "cases.csv"
        started = time.perf_counter()
        write_file(csv_path, args.rows, args.seed)
        generated = time.perf_counter() - started
        url = args.database_url or f"sqlite:///{work / 'bench.db'}"
        engine = fresh_engine(url)
        try:
            already = stored_counts(engine)[0]
            if already:
                sys.stderr.write(f"note: {url} already holds {already:,} case(s)\n")
            first = timed_import(engine, csv_path, policies, args.rows)
            rss_after_import = peak_rss_mib()
            again = timed_import(engine, csv_path, policies, args.rows)
            cases, deadlines, filings = stored_counts(engine)
        finally:
            engine.dispose()
        rate = args.rows / first.seconds
        size = csv_path.stat().st_size / 2**20
        results += [
            ("database", engine.url.render_as_string(hide_password=True)),
            ("rows", f"{args.rows:,} ({size:.1f} MiB of CSV, written in {generated:.1f} s)"),
            (
                "stored",
                f"{cases:,} cases ({already:,} before), {deadlines:,} deadlines, "
                f"{filings:,} filings",
            ),
            ("import", f"{first.seconds:.1f} s, {rate:,.0f} rows/s ({first.report.created:,} new)"),
            (
                "re-import",
                f"{again.seconds:.1f} s, {args.rows / again.seconds:,.0f} rows/s "
                f"({again.report.unchanged:,} unchanged, {again.report.updated:,} updated)",
            ),
            ("peak RSS", f"{rss_after_import:,.0f} MiB after the import (ru_maxrss)"),
        ]
        if args.tracemalloc_rows > 0:
            small = work / "small.csv"
            write_file(small, args.tracemalloc_rows, args.seed)
            small_engine = fresh_engine(f"sqlite:///{work / 'small.db'}")
            try:
                tracemalloc.start()
                traced = timed_import(small_engine, small, policies, args.tracemalloc_rows)
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
            finally:
                small_engine.dispose()
            results.append((
                "python heap peak",
                f"{peak / 2**20:,.1f} MiB importing {args.tracemalloc_rows:,} rows under "
                f"tracemalloc ({traced.seconds:.1f} s)",
            ))  # fmt: skip
        results.append(("peak RSS (process)", f"{peak_rss_mib():,.0f} MiB"))
    sys.stdout.write(table(results) + "\n")


if __name__ == "__main__":
    main()
