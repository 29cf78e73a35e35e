"""The two hot queries are index range scans, not scans of every case or deadline."""

from datetime import date

from sqlalchemy import Engine, text
from sqlalchemy.sql import Select

from tracker.cases.repository import expiring_query


def _plan(engine: Engine, query: Select[object] | str) -> str:
    sql = (
        query
        if isinstance(query, str)
        else str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    )
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.execute(text(f"EXPLAIN QUERY PLAN {sql}")).all()
            return "\n".join(str(r[-1]) for r in rows)
        # On a near-empty table PostgreSQL rightly prefers a sequential scan; forbid it to
        # see whether an index can serve the query at all.
        connection.execute(text("SET LOCAL enable_seqscan = off"))
        return "\n".join(str(r[0]) for r in connection.execute(text(f"EXPLAIN {sql}")))


def test_it_finds_expiring_cases_by_an_index_range(engine: Engine) -> None:
    query = expiring_query(start=date(2026, 11, 29), until=date(2027, 2, 27))
    plan = _plan(engine, query)  # type: ignore[arg-type]
    assert "ix_parole_case_end_date" in plan or "ix_parole_case_status_end" in plan, plan
    assert "SCAN parole_case\n" not in plan + "\n"
    assert "Seq Scan on parole_case" not in plan


def test_it_finds_due_deadlines_by_an_index_range(engine: Engine) -> None:
    sql = "SELECT id FROM deadline WHERE act_by BETWEEN '2026-11-29' AND '2026-12-06'"
    plan = _plan(engine, sql)
    assert "ix_deadline_act_by" in plan, plan
