"""Encrypted columns: the database only ever sees ciphertext for personal fields.

The keyring belongs to the engine (its dialect), not to the process: two engines with
different keys, as in a rotation test, each read and write with their own.
"""

from typing import Any

from sqlalchemy import Engine, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from tracker.kit.crypto import Keyring

_ATTRIBUTE = "tracker_keyring"


def attach_keyring(engine: Engine, keyring: Keyring) -> None:
    """Make `engine` encrypt and decrypt with `keyring`."""
    setattr(engine.dialect, _ATTRIBUTE, keyring)


def keyring_of(dialect: Dialect) -> Keyring:
    """The keyring attached to an engine's dialect."""
    keyring = getattr(dialect, _ATTRIBUTE, None)
    if keyring is None:
        raise RuntimeError("this engine has no data keys: create it with make_engine(url, keyring)")
    assert isinstance(keyring, Keyring)
    return keyring


def session_keyring(session: Session) -> Keyring:
    """The keyring of the engine a session works on."""
    return keyring_of(session.get_bind().dialect)


class Encrypted(TypeDecorator[str]):
    """Text encrypted with the engine's newest data key; `context` names the column.

    Equality in SQL cannot work on it (each encryption differs): look values up by
    their blind index instead (see `tracker.store.blind`).
    """

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring_of(dialect).encrypt(value, self.context)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring_of(dialect).decrypt(str(value), self.context)
