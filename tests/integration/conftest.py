"""Fixtures of the integration tests that need more than the shared ones."""

from collections.abc import Iterator

import pytest

from .private_postgres import PrivateServer, private_server


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[PrivateServer]:
    """A PostgreSQL server of the test run's own, for tests that break or probe a server;
    a test that stops it starts it again."""
    with private_server() as server:
        yield server
