"""Fixtures of the integration tests that need more than the shared ones."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from .cli_harness import Cli, cli_on
from .private_postgres import PrivateServer, private_server


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    """The command on an empty migrated database, with the shipped rules."""
    yield from cli_on(database_url, tmp_path, monkeypatch)


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[PrivateServer]:
    """A PostgreSQL server of the test run's own, for tests that break or probe a server;
    a test that stops it starts it again."""
    with private_server() as server:
        yield server
