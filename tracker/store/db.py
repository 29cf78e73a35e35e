"""The engine and sessions. SQLite gets WAL, a busy timeout and immediate transactions."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlmodel import Session, create_engine

from tracker.kit.crypto import Keyring
from tracker.store import blind
from tracker.store.encrypted import attach_keyring

SQLITE_BUSY_TIMEOUT_MS = 15_000
# PostgreSQL's SQLSTATE for "cannot execute ... in a read-only transaction".
READ_ONLY_SQLSTATE = "25006"


def make_engine(url: str, keyring: Keyring, **kwargs: Any) -> Engine:
    """An engine for `url` that encrypts personal fields with `keyring`.

    For SQLite the file's folder is created and pragmas set.
    """
    blind.install()
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_pre_ping=True, **kwargs)
        _reconnect_when_read_only(engine)
    else:
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _configure_sqlite(engine)
    attach_keyring(engine, keyring)
    return engine


def _reconnect_when_read_only(engine: Engine) -> None:
    @event.listens_for(engine, "handle_error")
    def _on_error(context: ExceptionContext) -> None:
        # A session is read-only for life if it began so: on a failed-over server's old
        # primary, or while `default_transaction_read_only` was on for maintenance. Such a
        # connection passes the pre-ping and refuses every write after the database takes
        # writes again, so it is dropped, with the pool, like a broken one: the next
        # connection sees what the server says now.
        if getattr(context.original_exception, "sqlstate", None) == READ_ONLY_SQLSTATE:
            context.is_disconnect = True


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Take the write lock up front: two writers wait for each other instead of one
        # failing with "database is locked" when it upgrades a read lock.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed at the end, or rolled back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
