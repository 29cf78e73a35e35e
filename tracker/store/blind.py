"""Blind indexes kept in step with the encrypted fields they index.

A flush computes them from the plaintext still in memory, so no code that sets a phone
number or a name has to remember to; `tracker keys rotate` recomputes them with the
same functions. Lookups go through `phone_is`, `a_number_is` and `name_has_words`.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, delete, event, insert, inspect
from sqlalchemy.orm import Session, UOWTransaction
from sqlmodel import col, select

from tracker.domain.identifiers import name_words, normalise_a_number
from tracker.kit.crypto import Keyring
from tracker.store.encrypted import session_keyring
from tracker.store.models import Alert, Parolee, ParoleeNameWord


def _same(value: str) -> str:
    return value


@dataclass(frozen=True)
class BlindIndex:
    """`target` holds the blind index of `source` (normalised) for `purpose`."""

    source: str
    target: str
    purpose: str
    normalise: Callable[[str], str]


# Phone numbers are stored in E.164 already; the index of a recipient is the phone's.
INDEXES: Mapping[type, tuple[BlindIndex, ...]] = {
    Parolee: (
        BlindIndex("phone", "phone_index", "phone", _same),
        BlindIndex("a_number", "a_number_index", "a_number", normalise_a_number),
    ),
    Alert: (BlindIndex("recipient", "recipient_index", "phone", _same),),
}
NAME_WORD = "name-word"


def index_values(keyring: Keyring, model: type, plain: Mapping[str, Any]) -> dict[str, str | None]:
    """The blind index columns of a row of `model`, from its plaintext values."""
    return {i.target: _blind(keyring, i, plain[i.source]) for i in INDEXES.get(model, ())}


def _blind(keyring: Keyring, index: BlindIndex, value: str | None) -> str | None:
    return None if value is None else keyring.blind(index.purpose, index.normalise(value))


def name_word_rows(keyring: Keyring, parolee_id: int, full_name: str) -> list[dict[str, Any]]:
    """The `parolee_name_word` rows for a name."""
    return [
        {"parolee_id": parolee_id, "word_index": keyring.blind(NAME_WORD, word)}
        for word in sorted(name_words(full_name))
    ]


def replace_name_words(
    connection: Connection, keyring: Keyring, names: Iterable[tuple[int, str | None]]
) -> None:
    """Re-index the names of these parolees (None: an erased name, indexed by nothing)."""
    names = list(names)
    if not names:
        return
    ids = [parolee_id for parolee_id, _ in names]
    connection.execute(delete(ParoleeNameWord).where(col(ParoleeNameWord.parolee_id).in_(ids)))
    rows = [
        row
        for parolee_id, name in names
        if name is not None
        for row in name_word_rows(keyring, parolee_id, name)
    ]
    if rows:
        connection.execute(insert(ParoleeNameWord), rows)


def phone_is(keyring: Keyring, phone: str) -> ColumnElement[bool]:
    """Parolees with this phone number (E.164)."""
    return col(Parolee.phone_index).in_(keyring.blinds("phone", phone))


def a_number_is(keyring: Keyring, a_number: str) -> ColumnElement[bool]:
    """Parolees with this A-number, however it is written."""
    return col(Parolee.a_number_index).in_(keyring.blinds("a_number", normalise_a_number(a_number)))


def name_has_words(keyring: Keyring, text: str) -> ColumnElement[bool]:
    """Parolees whose name holds every whole word of `text` (case and accents ignored)."""
    words = name_words(text)
    if not words:
        raise ValueError("a name search needs at least one word of letters")
    condition: ColumnElement[bool] | None = None
    for word in sorted(words):
        having = col(Parolee.id).in_(
            select(ParoleeNameWord.parolee_id).where(
                col(ParoleeNameWord.word_index).in_(keyring.blinds(NAME_WORD, word))
            )
        )
        condition = having if condition is None else condition & having
    assert condition is not None
    return condition


def _changed(instance: Any, attribute: str) -> bool:
    return bool(inspect(instance).attrs[attribute].history.has_changes())


def _before_flush(session: Session, _context: UOWTransaction, _instances: object) -> None:
    keyring: Keyring | None = None
    # session.new builds a new set on every call: read it once, not once per instance.
    new = session.new
    for instance in (*new, *session.dirty):
        is_new = instance in new
        for index in INDEXES.get(type(instance), ()):
            if is_new or _changed(instance, index.source):
                keyring = keyring or session_keyring(session)
                value = _blind(keyring, index, getattr(instance, index.source))
                setattr(instance, index.target, value)


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    # `session.new` and attribute history still describe the flush that just ran.
    new = session.new
    renamed = [
        p
        for p in (*new, *session.dirty)
        if isinstance(p, Parolee)
        and (p in new or _changed(p, "full_name") or _changed(p, "erased_at"))
    ]
    if renamed:
        replace_name_words(
            session.connection(),
            session_keyring(session),
            ((p.id, None if p.erased_at else p.full_name) for p in renamed if p.id is not None),
        )


def install() -> None:
    """Keep blind indexes current on every flush (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)
