"""Fast inserts of many rows: SQLite's executemany, PostgreSQL's COPY.

Values go through each column's own bind processing first (the same the ORM applies), so
personal fields are encrypted with the engine's keyring, instants are stored as UTC and
enums as their values, exactly as if the rows had been added one by one.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlmodel import SQLModel

Row = tuple[Any, ...]


class BulkTable:
    """One table and the columns a batch of its rows fills, in that order."""

    def __init__(self, name: str, columns: Sequence[str]) -> None:
        table = SQLModel.metadata.tables[name]
        self.name = name
        self.columns = tuple(columns)
        self._types = [table.c[column].type for column in self.columns]

    def insert(self, connection: Connection, rows: list[Row]) -> None:
        """Insert `rows` in the connection's transaction."""
        if not rows:
            return
        dialect = connection.dialect
        # The dialect's own implementation: SQLite's stores instants in SQLAlchemy's text
        # format, which the generic type would leave to the driver's (a different one).
        found = (t.dialect_impl(dialect).bind_processor(dialect) for t in self._types)
        processors = [(i, p) for i, p in enumerate(found) if p is not None]
        ready = [_processed(row, processors) for row in rows]
        driver = connection.connection.driver_connection
        assert driver is not None
        names = ", ".join(f'"{c}"' for c in self.columns)
        if dialect.name == "postgresql":
            with (
                driver.cursor() as cursor,
                cursor.copy(f'COPY "{self.name}" ({names}) FROM STDIN') as copy,
            ):
                for row in ready:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in self.columns)
            cursor = driver.cursor()
            try:
                cursor.executemany(f'INSERT INTO "{self.name}" ({names}) VALUES ({marks})', ready)
            finally:
                cursor.close()


def _processed(row: Row, processors: Sequence[tuple[int, Any]]) -> Row:
    values = list(row)
    for i, process in processors:
        values[i] = process(values[i])
    return tuple(values)


class IdSource:
    """Fresh primary keys for a table, handed out before the rows that use them are built,
    so rows that refer to each other need no round trip per row.

    PostgreSQL takes them from the table's sequence, safe beside other writers. SQLite
    counts on from the largest id at the start: run the load while nothing else adds
    cases (a clash fails the load on the primary key, it never mixes rows up).
    """

    def __init__(self, engine: Engine, table: str) -> None:
        self.engine = engine
        self.table = table
        self._next: int | None = None
        if engine.dialect.name != "postgresql":
            with engine.connect() as connection:
                query = text(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
                self._next = int(connection.execute(query).scalar_one()) + 1

    def take(self, count: int) -> list[int]:
        """`count` ids no other row has, or will be given."""
        if self._next is not None:
            first, self._next = self._next, self._next + count
            return list(range(first, first + count))
        with self.engine.connect() as connection:
            found = connection.execute(
                text(
                    "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                    "FROM generate_series(1, :count)"
                ),
                {"table": self.table, "count": count},
            )
            return [int(value) for (value,) in found]
