"""Program terminations published in the Federal Register, shipped as reference data in
`config/terminations.toml` (pure: parses text, reads no file). None is in force on a
case until an administrator applies it."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from tracker.domain.model import Form, Program
from tracker.domain.toml_locator import TomlLocator, parse_toml
from tracker.domain.toml_values import (
    bool_value,
    check_unique,
    date_value,
    enum_value,
    tables,
    text_value,
)


@dataclass(frozen=True)
class HistoryStep:
    """Something that happened to a termination: a court stay, its lifting, notices."""

    on: date
    event: str
    citation: str


@dataclass(frozen=True)
class KnownTermination:
    """A published termination of a program's parole, as the notice states it."""

    id: str
    program: Program
    published: date
    effective: date
    citation: str
    on_notice: bool = False
    except_form: Form | None = None
    except_filed_by: date | None = None
    history: tuple[HistoryStep, ...] = ()
    source: str = ""
    note: str = ""


TERMINATION_KEYS = {
    "id", "program", "published", "effective", "citation", "source", "note", "takes_effect",
    "exception", "history",
}  # fmt: skip
TAKES_EFFECT = ("on_date", "on_notice")


def parse_known_terminations(text: str, source: str) -> tuple[KnownTermination, ...]:
    """Parse and check the terminations file; a problem raises ConfigError with its line."""
    data = parse_toml(text, source)
    where = TomlLocator(text, source)
    where.check_keys(data, {"termination"})
    known = tuple(_parse(raw, i, where) for i, raw in enumerate(tables(data, "termination", where)))
    check_unique((k.id for k in known), "termination", where)
    return known


def _parse(raw: dict[str, Any], index: int, where: TomlLocator) -> KnownTermination:
    at = ("termination", index)
    for key in raw:
        if key not in TERMINATION_KEYS:
            raise where.error(*at, key, "unknown key")
    takes_effect = raw.get("takes_effect", "on_date")
    if takes_effect not in TAKES_EFFECT:
        raise where.error(*at, "takes_effect", f"write {' or '.join(TAKES_EFFECT)}")
    published = date_value(raw, "published", where, *at)
    effective = date_value(raw, "effective", where, *at)
    if effective < published:
        raise where.error(*at, "effective", "takes effect before it was published")
    form, filed_by = _exception(raw, where, *at)
    return KnownTermination(
        id=text_value(raw, "id", where, *at),
        program=enum_value(Program, text_value(raw, "program", where, *at), where, *at, "program"),
        published=published,
        effective=effective,
        citation=text_value(raw, "citation", where, *at),
        on_notice=takes_effect == "on_notice",
        except_form=form,
        except_filed_by=filed_by,
        history=_history(raw, where, *at),
        source=str(raw.get("source", "")),
        note=str(raw.get("note", "")),
    )


def _exception(
    raw: dict[str, Any], where: TomlLocator, table: str, i: int
) -> tuple[Form | None, date | None]:
    exception = raw.get("exception")
    if exception is None:
        return None, None
    if not isinstance(exception, dict) or set(exception) - {"form", "filed_by", "pending"}:
        raise where.error(
            table, i, "exception", 'write { form = "I-485", filed_by = 2025-12-15, pending = true }'
        )
    if not bool_value(exception, "pending", where, table, i):
        raise where.error(table, i, "exception", "only a pending filing can be an exception")
    form = enum_value(Form, text_value(exception, "form", where, table, i), where, table, i, "form")
    return form, date_value(exception, "filed_by", where, table, i)


def _history(
    raw: dict[str, Any], where: TomlLocator, table: str, i: int
) -> tuple[HistoryStep, ...]:
    steps = raw.get("history", [])
    if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
        raise where.error(
            table, i, "history", 'write [{ on = 2025-05-30, event = "...", citation = "..." }]'
        )
    return tuple(
        HistoryStep(
            on=date_value(s, "on", where, table, i),
            event=text_value(s, "event", where, table, i),
            citation=text_value(s, "citation", where, table, i),
        )
        for s in steps
    )
