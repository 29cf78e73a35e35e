"""A PostgreSQL that does not answer is reported by its real cause, from what a real server
says (the private one): password refused, database missing, nothing listening."""

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from tests.fakes.loopback import free_port
from tests.postgres_diagnosis import why_unreachable

from .private_postgres import PrivateServer


def reason_for(url: str) -> str:
    engine = create_engine(url)
    try:
        with pytest.raises(OperationalError) as caught:
            engine.connect()
    finally:
        engine.dispose()
    return why_unreachable(url, caught.value)


def test_it_says_the_password_was_refused(private_postgres: PrivateServer) -> None:
    reason = reason_for(private_postgres.url(password="not-the-password"))
    assert "password refused" in reason
    assert f"127.0.0.1:{private_postgres.port}" in reason
    assert "not-the-password" not in reason


def test_it_says_the_database_is_missing(private_postgres: PrivateServer) -> None:
    reason = reason_for(private_postgres.url("no_such_database"))
    assert "database 'no_such_database'" in reason
    assert 'database missing (database "no_such_database" does not exist)' in reason


def test_it_says_no_server_listens() -> None:
    port = free_port()
    reason = reason_for(f"postgresql+psycopg://tracker:secret@127.0.0.1:{port}/tracker_test")
    assert f"127.0.0.1:{port}" in reason
    assert "no server listening (Connection refused)" in reason
    assert "secret" not in reason


def test_it_hides_the_password_in_what_the_server_said() -> None:
    said = OperationalError("connect", {}, Exception('FATAL: role "s3cret" does not exist'))
    reason = why_unreachable("postgresql+psycopg://tracker:s3cret@db:5433/x", said)
    assert reason.startswith("PostgreSQL at db:5433, database 'x', user 'tracker': user missing")
    assert "s3cret" not in reason
