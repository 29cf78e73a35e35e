"""Builders of the tests' set-up: import files and their rows, the app on a test database,
a pinned clock a test can move, and copies of the shipped config with values changed.

A test says only what it is about (`a_case(phone="12")`) and takes the rest from here."""

import shutil
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import NOW, ROOT
from tests.fakes.twilio_server import FakeTwilioServer
from tracker.bootstrap import App
from tracker.clock import Clock, FixedClock
from tracker.importer.mapping import OURS, ColumnMapping, mapping_named
from tracker.importer.report import ImportReport
from tracker.importer.rows import APPOINTMENT_COLUMNS, COLUMNS, KEPT_WHEN_ABSENT
from tracker.importer.service import ImportOptions, import_file
from tracker.importer.sources import AS_IT_COMES, ReadAs
from tracker.settings import load_settings
from tracker.web.app import create_app

# The columns of the spec, in its documented order (the reader accepts any order). Not the
# columns a file may leave out (written empty, they would clear what staff entered), nor
# the optional appointment columns.
SPEC_COLUMNS = tuple(c for c in COLUMNS if c not in (*KEPT_WHEN_ABSENT, *APPOINTMENT_COLUMNS))
# Who the person is and when their parole runs: what every test's file has.
BASE_COLUMNS = SPEC_COLUMNS[: SPEC_COLUMNS.index("parole_expiry") + 1]
# A file of people who are to be texted.
SMS_COLUMNS = (*BASE_COLUMNS, "sms_consent")
# What is filed with USCIS for the case.
FILING_COLUMNS = ("receipt_number", "form_type", "filed_date")
TIMEZONE = "America/New_York"
# One valid row of SPEC_COLUMNS: a consenting U4U parolee in New York, paroled for two years.
DEFAULT_CASE: dict[str, str] = {
    "external_id": "T01",
    "full_name": "Test Parolee One",
    "phone": "+1 202 555 0170",
    "language": "en",
    "timezone": TIMEZONE,
    "program": "U4U",
    "citizenship": "UA",
    "arrival_date": "2025-09-01",
    "parole_start": "2025-09-01",
    "parole_expiry": "2027-08-31",
    "work_permit_expiry": "",
    "a_number": "",
    "representative_name": "",
    "representative_email": "",
    "sms_consent": "yes",
    "receipt_number": "",
    "form_type": "",
    "filed_date": "",
}
# The base URL of the app under Starlette's TestClient.
PUBLIC = "http://testserver"
CONFIG = ROOT / "config"


def a_case(**overrides: str | date) -> dict[str, str]:
    """One import row: DEFAULT_CASE with the named columns replaced (dates as ISO text)."""
    unknown = set(overrides) - set(DEFAULT_CASE)
    assert not unknown, f"not columns of the spec: {unknown}"
    return {**DEFAULT_CASE, **{k: str(v) for k, v in overrides.items()}}


def header(*columns: str) -> str:
    """The header line of an import file of `columns` (by default SPEC_COLUMNS), for tests
    that write their rows as text."""
    unknown = set(columns) - set(COLUMNS)
    assert not unknown, f"not columns of the importer: {unknown}"
    return ",".join(columns or SPEC_COLUMNS) + "\n"


def csv_text(
    rows: Sequence[Mapping[str, str]], columns: Sequence[str] = SPEC_COLUMNS, *, newline: str = "\n"
) -> str:
    """A CSV document: header line, then one record per row (missing keys are empty)."""
    lines = [_csv_line(columns, newline)]
    lines += [_csv_line([r.get(c, "") for c in columns], newline) for r in rows]
    return "".join(lines)


def _csv_line(values: Sequence[str], newline: str) -> str:
    quoted = [
        '"' + v.replace('"', '""') + '"' if any(ch in v for ch in ',"\r\n') else v for v in values
    ]
    return ",".join(quoted) + newline


def write_csv(
    path: Path,
    rows: Sequence[Mapping[str, str]],
    columns: Sequence[str] = SPEC_COLUMNS,
    *,
    encoding: str = "utf-8",
) -> Path:
    """Write `rows` to `path` as an import file of `columns`; return `path`."""
    path.write_bytes(csv_text(rows, columns).encode(encoding))
    return path


def import_options(
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    rejects: Path | None = None,
    mapping: ColumnMapping = OURS,
    read_as: ReadAs = AS_IT_COMES,
) -> ImportOptions:
    """How the tests import: as user "test", people without a time zone in New York."""
    return ImportOptions(
        actor="test",
        default_timezone=TIMEZONE,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        rejects=rejects,
        read_as=read_as,
        mapping=mapping,
    )


def shipped_mapping(name: str) -> ColumnMapping:
    """A mapping shipped in config/mappings."""
    return mapping_named(name, CONFIG / "mappings")


def run_import(
    app: App, path: Path, options: ImportOptions | None = None, now: datetime = NOW
) -> ImportReport:
    """Import the file at `path` into `app` at `now`, as `tracker import` would."""
    return import_file(app.engine, path, app.policies, now, options or import_options())


def import_cases(
    app: App,
    path: Path,
    rows: Sequence[Mapping[str, str]],
    columns: Sequence[str] = SPEC_COLUMNS,
    now: datetime = NOW,
) -> ImportReport:
    """Write `rows` to `path` (see `write_csv`) and import it at `now`; the caller checks
    the report."""
    return run_import(app, write_csv(path, rows, columns), now=now)


class MovableClock(FixedClock):
    """A pinned clock a test can move."""

    def advance(self, delta: timedelta) -> None:
        """Move the clock `delta` on."""
        self.instant += delta

    def set(self, instant: datetime) -> None:
        """Move the clock to `instant` (timezone-aware)."""
        if instant.tzinfo is None:
            raise ValueError("a fixed clock needs a timezone-aware instant")
        self.instant = instant.astimezone(UTC)


def an_app(database_url: str, clock: Clock | None = None, /, **settings: object) -> App:
    """The application on `database_url` with the shipped config, its clock pinned at NOW
    unless given; `settings` (`config_dir` too) override the others. The caller disposes
    of its engine."""
    return App(
        settings=load_settings(database_url=database_url, **{"config_dir": CONFIG, **settings}),
        clock=clock or FixedClock(NOW),
    )


def web_client(app: App) -> TestClient:
    """A client of the web app of `app` (use it in a `with` to run the app's lifespan)."""
    return TestClient(create_app(app))


def twilio_settings(server: FakeTwilioServer) -> dict[str, str]:
    """The settings that send through the twilio SDK to `server` from its number."""
    return {
        "sms_backend": "twilio",
        "twilio_account_sid": server.account_sid,
        "twilio_auth_token": server.auth_token,
        "twilio_from_number": server.from_number,
        "twilio_api_base_url": server.base_url,
    }


def as_env(settings: Mapping[str, str]) -> dict[str, str]:
    """`settings` as the environment variables a `tracker` process reads them from."""
    return {name.upper(): value for name, value in settings.items()}


def config_copy(folder: Path) -> Path:
    """A copy of the shipped config directory in `folder`, for a test to change."""
    config = folder / "config"
    shutil.copytree(CONFIG, config)
    return config


def config_with(folder: Path, file: str, **values: str) -> Path:
    """A copy of the shipped config (see `config_copy`) whose `file` has the line of each
    key of `values` set to `key = value`."""
    config = config_copy(folder)
    path = config / file
    lines = path.read_text(encoding="utf-8").splitlines()
    for key, value in values.items():
        found = [n for n, line in enumerate(lines) if line.startswith(f"{key} =")]
        assert len(found) == 1, f"{file} has {len(found)} lines setting {key}"
        lines[found[0]] = f"{key} = {value}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config
