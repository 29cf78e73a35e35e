"""Typed reads of values from parsed TOML config, each failing with the key's line."""

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from tracker.domain.toml_locator import TomlLocator

E = TypeVar("E", bound=StrEnum)


def tables(data: dict[str, Any], name: str, where: TomlLocator) -> list[dict[str, Any]]:
    tables = data.get(name, [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise where.error(None, None, name, f"write each {name} as a [[{name}]] table")
    return tables


def check_unique(ids: Iterable[str], table: str, where: TomlLocator, key: str = "id") -> None:
    seen: set[str] = set()
    for index, ident in enumerate(ids):
        if ident in seen:
            raise where.error(table, index, key, f"duplicate {key} {ident!r}")
        seen.add(ident)


def required(
    raw: dict[str, Any], key: str, where: TomlLocator, table: str | None, i: int | None
) -> Any:
    if key not in raw:
        raise where.error(table, i, None, f"missing required key {key!r}")
    return raw[key]


def text_value(
    raw: dict[str, Any], key: str, where: TomlLocator, table: str | None, i: int | None
) -> str:
    value = required(raw, key, where, table, i)
    if not isinstance(value, str) or not value.strip():
        raise where.error(table, i, key, "must be a non-empty string")
    return value


def int_value(
    raw: dict[str, Any],
    key: str,
    where: TomlLocator,
    table: str,
    i: int,
    *,
    default: int | None = None,
    minimum: int | None = None,
) -> int:
    value = raw.get(key, default) if default is not None else required(raw, key, where, table, i)
    if not isinstance(value, int) or isinstance(value, bool):
        raise where.error(table, i, key, "must be a whole number")
    if minimum is not None and value < minimum:
        raise where.error(table, i, key, f"must be at least {minimum}")
    return value


def bool_value(raw: dict[str, Any], key: str, where: TomlLocator, table: str, i: int) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise where.error(table, i, key, "must be true or false")
    return value


def date_value(raw: dict[str, Any], key: str, where: TomlLocator, table: str, i: int) -> date:
    value = required(raw, key, where, table, i)
    if not isinstance(value, date):
        raise where.error(table, i, key, "must be a date written as YYYY-MM-DD (no quotes)")
    return value


def choice(
    raw: dict[str, Any],
    key: str,
    allowed: tuple[str, ...],
    where: TomlLocator,
    table: str,
    i: int,
    *,
    default: str | None = None,
) -> str:
    value = raw.get(key, default) if default is not None else text_value(raw, key, where, table, i)
    if value not in allowed:
        raise where.error(table, i, key, f"{value!r} is not one of {', '.join(allowed)}")
    return str(value)


def str_list(
    raw: dict[str, Any], key: str, where: TomlLocator, table: str | None, i: int | None
) -> list[str]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise where.error(table, i, key, "must be a list of strings")
    return value


def enum_value(
    kind: type[E], value: str, where: TomlLocator, table: str | None, i: int | None, key: str
) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise where.error(table, i, key, f"{value!r} is not one of {allowed}") from None
