"""Re-encrypt personal fields under the newest data key, in batches.

A value still to do is found in SQL by its prefix (the key id), so a rotation that was
stopped resumes where it left off, and a finished one finds nothing. Plaintext written
before encryption existed is encrypted the same way. Blind indexes are recomputed in the
same transaction as the values they index.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Engine,
    Table,
    Text,
    and_,
    bindparam,
    func,
    or_,
    select,
    type_coerce,
)
from sqlmodel import SQLModel

from tracker.kit.crypto import Keyring, is_ciphertext
from tracker.store.blind import INDEXES, index_values, replace_name_words
from tracker.store.encrypted import Encrypted
from tracker.store.models import Parolee

DEFAULT_BATCH = 500


@dataclass
class RotationOutcome:
    """Rows re-encrypted, by table."""

    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def encrypted_tables() -> Iterator[tuple[Table, list[Column[Any]]]]:
    """Every table with encrypted columns, and those columns."""
    for table in SQLModel.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, Encrypted)]
        if columns:
            yield table, columns


def _pending(keyring: Keyring, columns: list[Column[Any]]) -> ColumnElement[bool]:
    prefix = keyring.prefix()
    return or_(
        *(
            and_(c.is_not(None), func.substr(type_coerce(c, Text), 1, len(prefix)) != prefix)
            for c in columns
        )
    )


def pending(engine: Engine, keyring: Keyring) -> dict[str, int]:
    """Rows per table holding a value not yet under the newest key."""
    counts = {}
    with engine.connect() as connection:
        for table, columns in encrypted_tables():
            query = select(func.count()).select_from(table).where(_pending(keyring, columns))
            counts[table.name] = int(connection.execute(query).scalar_one())
    return counts


def rotate(
    engine: Engine,
    keyring: Keyring,
    *,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[int], None] = lambda _rows: None,
) -> RotationOutcome:
    """Re-encrypt every value not under the newest key; `progress` hears each batch's size.

    Each batch is its own transaction: an interrupted rotation keeps what it finished.
    """
    outcome = RotationOutcome()
    for table, columns in encrypted_tables():
        model = _model_of(table)
        after = 0
        while True:
            done, after = _batch(engine, keyring, table, columns, model, after, batch_size)
            if not done:
                break
            outcome.rows[table.name] = outcome.rows.get(table.name, 0) + done
            progress(done)
    return outcome


def _model_of(table: Table) -> type | None:
    for model in (*INDEXES, Parolee):
        if getattr(model, "__table__", None) is table:
            return model
    return None


def _batch(
    engine: Engine,
    keyring: Keyring,
    table: Table,
    columns: list[Column[Any]],
    model: type | None,
    after: int,
    batch_size: int,
) -> tuple[int, int]:
    """Rotate the next batch of rows with an id above `after`; return (rows, last id)."""
    key = table.c.id
    raw = [type_coerce(c, Text).label(c.name) for c in columns]
    extra = [table.c.erased_at] if model is Parolee else []
    with engine.begin() as connection:
        rows = connection.execute(
            select(key, *raw, *extra)
            .where(_pending(keyring, columns), key > after)
            .order_by(key)
            .limit(batch_size)
        ).all()
        if not rows:
            return 0, after
        changes = []
        names: list[tuple[int, str | None]] = []
        for row in rows:
            plain = {c.name: _open(keyring, c, getattr(row, c.name)) for c in columns}
            change: dict[str, Any] = {"row_id": row.id}
            for c in columns:
                value = plain[c.name]
                change[f"new_{c.name}"] = (
                    None if value is None else keyring.encrypt(value, _context(c))
                )
            if model is not None:
                change |= {f"new_{k}": v for k, v in index_values(keyring, model, plain).items()}
            if model is Parolee:
                names.append((row.id, None if row.erased_at else plain["full_name"]))
            changes.append(change)
        targets = [k.removeprefix("new_") for k in changes[0] if k.startswith("new_")]
        statement = (
            table.update()
            .where(key == bindparam("row_id"))
            # Text, not the column's type: these values are ciphertext already.
            .values({name: bindparam(f"new_{name}", type_=Text) for name in targets})
        )
        connection.execute(statement, changes)
        replace_name_words(connection, keyring, names)
    return len(rows), int(rows[-1].id)


def _context(column: Column[Any]) -> str:
    assert isinstance(column.type, Encrypted)
    return column.type.context


def _open(keyring: Keyring, column: Column[Any], stored: str | None) -> str | None:
    if stored is None:
        return None
    # Plaintext from before encryption existed is taken as it is, then encrypted.
    return keyring.decrypt(stored, _context(column)) if is_ciphertext(stored) else stored
