"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

import tracker.store.models  # noqa: F401  (registers every table on SQLModel.metadata)
from tests.builders import import_options
from tracker.domain.rules import RuleSet
from tracker.importer.service import import_file
from tracker.policies import Policies
from tracker.store import audit
from tracker.store.db import make_engine, session_scope
from tracker.store.migrate import alembic_config, upgrade

from ..conftest import EXAMPLE_CASES, KEYRING, NOW, table_counts


@pytest.fixture
def migrated(database_url: str) -> Iterator[Engine]:
    """An engine on the freshly migrated test database."""
    engine = make_engine(database_url, KEYRING)
    yield engine
    engine.dispose()


def schema_diff(engine: Engine) -> list[Any]:
    """What autogenerate would write to bring the database to SQLModel.metadata."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))


def schema_snapshot(engine: Engine) -> dict[str, Any]:
    """Tables with their columns, indexes, unique constraints and foreign keys."""
    inspector = inspect(engine)
    snapshot: dict[str, Any] = {}
    for name in sorted(inspector.get_table_names()):
        snapshot[name] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(name)
            ],
            "indexes": sorted(
                (str(i["name"]), tuple(str(c) for c in i["column_names"]), bool(i["unique"]))
                for i in inspector.get_indexes(name)
            ),
            "unique": sorted(
                tuple(str(c) for c in u["column_names"])
                for u in inspector.get_unique_constraints(name)
            ),
            "foreign_keys": sorted(
                (tuple(f["constrained_columns"]), f["referred_table"])
                for f in inspector.get_foreign_keys(name)
            ),
        }
    return snapshot


def stored_revision(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one())


def test_it_creates_the_schema_the_models_describe(migrated: Engine) -> None:
    assert schema_diff(migrated) == []


def test_it_creates_every_model_table(migrated: Engine) -> None:
    expected = {t.name for t in SQLModel.metadata.sorted_tables} | {"alembic_version"}
    assert set(inspect(migrated).get_table_names()) == expected


def test_it_stamps_the_newest_revision(migrated: Engine) -> None:
    head = ScriptDirectory.from_config(alembic_config(migrated)).get_current_head()
    assert head is not None
    assert stored_revision(migrated) == head


def test_it_is_a_no_op_to_upgrade_twice(migrated: Engine, ruleset: RuleSet) -> None:
    # Deadlines only: this test is about the schema, not the reminders.
    report = import_file(
        migrated,
        EXAMPLE_CASES,
        Policies(deadlines=ruleset),
        NOW,
        import_options(),
    )
    assert report.errors == []
    before = (schema_snapshot(migrated), table_counts(migrated), stored_revision(migrated))

    upgrade(migrated)
    upgrade(migrated)

    assert (schema_snapshot(migrated), table_counts(migrated), stored_revision(migrated)) == before
    assert schema_diff(migrated) == []


def test_it_migrates_an_empty_sqlite_file_to_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'fresh.db'}", KEYRING)
    try:
        upgrade(engine)
        assert schema_diff(engine) == []
    finally:
        engine.dispose()


def test_the_database_refuses_to_change_or_delete_an_audit_row(migrated: Engine) -> None:
    with session_scope(migrated) as session:
        audit.record(session, at=NOW, actor="test", action="case.viewed", entity="case",
                     entity_id=1)  # fmt: skip
    before = table_rows(migrated, "audit_event")
    for statement in (
        "UPDATE audit_event SET actor = 'someone else'",
        "DELETE FROM audit_event",
    ):
        with (
            pytest.raises(DBAPIError, match="audit_event rows are append-only"),
            migrated.begin() as connection,
        ):
            connection.execute(text(statement))
    assert table_rows(migrated, "audit_event") == before
    with session_scope(migrated) as session:  # appending still works
        audit.record(session, at=NOW, actor="test", action="case.viewed", entity="case",
                     entity_id=2)  # fmt: skip
    assert len(table_rows(migrated, "audit_event")) == 2


def table_rows(engine: Engine, name: str) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(text(f'SELECT * FROM "{name}" ORDER BY id'))]


def test_it_moves_terminations_recorded_as_grants_to_their_own_table(database_url: str) -> None:
    """0012: a termination reached a case as a grant row; after the upgrade it reaches it
    through termination_case, and the case keeps its own grants only."""
    engine = make_engine(database_url, KEYRING)
    try:
        _downgrade_to(engine, "0011")
        at = "2026-11-01 12:00:00+00:00"
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO parolee (id, full_name, language, timezone, arrival_date, "
                    "created_at, updated_at) VALUES (1, 'x', 'en', 'UTC', '2025-01-01', :at, :at)"
                ),
                {"at": at},
            )
            connection.execute(
                text(
                    "INSERT INTO parole_case (id, external_id, parolee_id, program, status, "
                    "end_date, created_at, updated_at) VALUES (1, 'M1', 1, 'CHNV', 'paroled', "
                    "'2025-04-24', :at, :at)"
                ),
                {"at": at},
            )
            connection.execute(
                text(
                    "INSERT INTO program_termination (id, program, effective_date, notice_date, "
                    "citation, state, created_at, created_by) VALUES (1, 'CHNV', '2025-04-24', "
                    "'2025-03-25', '90 FR 13611', 'in_force', :at, 'admin')"
                ),
                {"at": at},
            )
            connection.execute(text(
                "INSERT INTO parole_grant (case_id, start_date, expiry_date, source, "
                "termination_id, recorded_at, recorded_by) VALUES "
                "(1, '2024-10-14', '2026-10-13', 'initial', NULL, :at, 'import'), "
                "(1, '2025-03-25', '2025-04-24', 'program_termination', 1, :at, 'admin')"
            ), {"at": at})  # fmt: skip
        upgrade(engine)
        assert schema_diff(engine) == []
        with engine.connect() as connection:
            links = connection.execute(
                text("SELECT termination_id, case_id, notice_received FROM termination_case")
            ).all()
            sources = connection.execute(text("SELECT source FROM parole_grant")).scalars().all()
        assert [tuple(r) for r in links] == [(1, 1, None)]
        assert sources == ["initial"]
    finally:
        engine.dispose()


def _downgrade_to(engine: Engine, revision: str) -> None:
    """Take the freshly migrated, empty test database back to `revision`."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
