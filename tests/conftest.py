"""Shared fixtures: a pinned clock, the shipped rules, and a migrated database on SQLite
and on PostgreSQL (store tests run on both; see README "Tests")."""

import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import OperationalError
from sqlmodel import SQLModel

from tests.postgres_diagnosis import why_unreachable
from tracker.bootstrap import App, read_ruleset
from tracker.clock import FixedClock
from tracker.domain.rules import RuleSet
from tracker.kit.crypto import Keyring, parse_keys
from tracker.settings import DEV_DATA_KEY, load_settings
from tracker.store.db import make_engine
from tracker.store.migrate import upgrade

pytest_plugins = ["tests.fakes.fixtures"]

ROOT = Path(__file__).resolve().parent.parent
# Copies of the spec's worked examples and service contracts: the repository stands alone.
FIXTURES = ROOT / "tests" / "fixtures"
EXAMPLE_CASES = FIXTURES / "examples" / "cases.csv"
# A Sunday afternoon in New York, pinned: no test reads the machine's clock or zone.
NOW = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)
# The key a tracker started with no DATA_KEYS uses, as the CLI tests' subprocesses are.
KEYRING = Keyring(parse_keys(DEV_DATA_KEY))
PG_DEFAULT = "postgresql+psycopg://tracker:tracker@127.0.0.1:5432/tracker_test"


@pytest.fixture(scope="session")
def ruleset() -> RuleSet:
    return read_ruleset(ROOT / "config" / "rules.toml")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database, or a skip (a failure when CI=true) if none answers."""
    url = os.environ.get("TEST_DATABASE_URL", PG_DEFAULT)
    engine = make_engine(url, KEYRING)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    except OperationalError as exc:
        reason = why_unreachable(url, exc)
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}: CI must run the store tests on PostgreSQL")
        pytest.skip(reason)
    upgrade(engine)
    engine.dispose()
    yield url


def _empty_tables(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'tracker.db'}"
        engine = make_engine(url, KEYRING)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    url = request.getfixturevalue("postgres_url")
    engine = make_engine(url, KEYRING)
    _empty_tables(engine)
    engine.dispose()
    yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A migrated SQLite database, for tests that are not about the store."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = make_engine(url, KEYRING)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def app(database_url: str) -> Iterator[App]:
    """The application on the test database, with the clock pinned at NOW."""
    tracker = App(
        settings=load_settings(database_url=database_url, config_dir=ROOT / "config"),
        clock=FixedClock(NOW),
    )
    yield tracker
    tracker.engine.dispose()


@pytest.fixture
def engine(app: App) -> Engine:
    return app.engine


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows per table: compare before and after to prove nothing was written."""
    names = inspect(engine).get_table_names()
    with engine.connect() as connection:
        return {
            n: int(connection.execute(text(f'SELECT COUNT(*) FROM "{n}"')).scalar_one())
            for n in names
            if n != "alembic_version"
        }


def refused(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """A user error: non-zero exit, a plain message naming `fragments`, no traceback."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr
