"""Alembic environment: runs on the connection `tracker.store.migrate` hands it."""

from alembic import context
from sqlmodel import SQLModel

import tracker.store.models  # noqa: F401  (registers every table on SQLModel.metadata)
from tracker.settings import load_settings
from tracker.store.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    """Migrate on the given connection, or on one made from the configured URL."""
    connection = config.attributes.get("connection")
    if connection is None:
        url = config.get_main_option("sqlalchemy.url") or ""
        engine = make_engine(url, load_settings().keyring)
        with engine.connect() as fresh:
            _run(fresh)
        engine.dispose()
    else:
        _run(connection)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        # SQLite alters tables by copying them; batch mode does that for us.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
