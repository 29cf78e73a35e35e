"""Parsing and checking of `config/rules.toml` text into a RuleSet (pure: no file access)."""

from datetime import date
from typing import Any, TypeVar

from tracker.domain.calendar import holiday_calendar
from tracker.domain.model import DeadlineKind, Form, Program, Status
from tracker.domain.rules import (
    ANNIVERSARY_BASES,
    FORMULAS,
    RECORDED_FIELDS,
    FilingCondition,
    Rule,
    RuleSet,
    TpsWindow,
)
from tracker.domain.toml_locator import TomlLocator, parse_toml

E = TypeVar("E", DeadlineKind, Status, Program, Form)


def parse_ruleset(text: str, source: str) -> RuleSet:
    """Parse and check the rules file; a problem raises ConfigError with its line."""
    data = parse_toml(text, source)
    where = TomlLocator(text, source)
    unknown = set(data) - {"ruleset_version", "holiday_calendar", "rule", "tps_window"}
    if unknown:
        raise where.error(None, None, sorted(unknown)[0], "unknown top-level key")
    version = _str(data, "ruleset_version", where, None, None)
    calendar = _str(data, "holiday_calendar", where, None, None)
    try:
        holiday_calendar(calendar)
    except NotImplementedError as exc:
        raise where.error(None, None, "holiday_calendar", f"unknown calendar {calendar!r}") from exc
    rules = tuple(_parse_rule(r, i, where) for i, r in enumerate(_tables(data, "rule", where)))
    windows = tuple(
        _parse_window(w, i, where) for i, w in enumerate(_tables(data, "tps_window", where))
    )
    _check_unique([r.id for r in rules], "rule", where)
    _check_unique([w.id for w in windows], "tps_window", where)
    if not rules:
        raise where.error(
            None, None, None, "no [[rule]] tables: every case would have no deadlines"
        )
    return RuleSet(version=version, holiday_calendar=calendar, rules=rules, tps_windows=windows)


def _tables(data: dict[str, Any], name: str, where: TomlLocator) -> list[dict[str, Any]]:
    tables = data.get(name, [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise where.error(None, None, name, f"write each {name} as a [[{name}]] table")
    return tables


RULE_KEYS = {
    "id", "kind", "version", "citation", "source", "formula", "programs", "excluded_statuses",
    "suppressed_by", "citizenship", "date_offset_days", "act_by_offset_days", "base", "years",
    "roll_to_business_day", "act_by_business_day_before", "field", "flag_after_end",
    "at_risk_when", "note",
}  # fmt: skip


def _parse_rule(raw: dict[str, Any], index: int, where: TomlLocator) -> Rule:
    at = ("rule", index)
    for key in raw:
        if key not in RULE_KEYS:
            raise where.error(*at, key, "unknown key")
    formula = _choice(raw, "formula", FORMULAS, where, *at)
    rule = Rule(
        id=_str(raw, "id", where, *at),
        kind=_enum(DeadlineKind, _str(raw, "kind", where, *at), where, *at, "kind"),
        version=_int(raw, "version", where, *at, minimum=1),
        citation=_str(raw, "citation", where, *at),
        formula=formula,
        programs=_programs(raw, where, *at),
        excluded_statuses=frozenset(
            _enum(Status, s, where, *at, "excluded_statuses")
            for s in _str_list(raw, "excluded_statuses", where, *at)
        ),
        suppressed_by=_conditions(raw, "suppressed_by", where, *at),
        at_risk_when=_conditions(raw, "at_risk_when", where, *at),
        citizenship=frozenset(_str_list(raw, "citizenship", where, *at)) or None,
        date_offset_days=_int(raw, "date_offset_days", where, *at, default=0),
        act_by_offset_days=_int(raw, "act_by_offset_days", where, *at, default=0),
        base=_choice(raw, "base", ANNIVERSARY_BASES, where, *at, default="arrival"),
        years=_int(raw, "years", where, *at, default=1, minimum=1),
        roll_to_business_day=_bool(raw, "roll_to_business_day", where, *at),
        act_by_business_day_before=_bool(raw, "act_by_business_day_before", where, *at),
        field=_choice(raw, "field", RECORDED_FIELDS, where, *at, default="work_permit_expiry"),
        flag_after_end=_bool(raw, "flag_after_end", where, *at),
    )
    if formula == "end_offset" and "date_offset_days" not in raw:
        raise where.error(*at, "formula", "an end_offset rule needs date_offset_days")
    return rule


WINDOW_KEYS = {"id", "country", "opens", "closes", "residence_since", "citation", "source", "note"}


def _parse_window(raw: dict[str, Any], index: int, where: TomlLocator) -> TpsWindow:
    at = ("tps_window", index)
    for key in raw:
        if key not in WINDOW_KEYS:
            raise where.error(*at, key, "unknown key")
    window = TpsWindow(
        id=_str(raw, "id", where, *at),
        country=_str(raw, "country", where, *at).upper(),
        opens=_date(raw, "opens", where, *at),
        closes=_date(raw, "closes", where, *at),
        residence_since=_date(raw, "residence_since", where, *at),
        citation=_str(raw, "citation", where, *at),
    )
    if window.closes < window.opens:
        raise where.error(*at, "closes", "the window closes before it opens")
    return window


def _check_unique(ids: list[str], table: str, where: TomlLocator) -> None:
    seen: set[str] = set()
    for index, ident in enumerate(ids):
        if ident in seen:
            raise where.error(table, index, "id", f"duplicate id {ident!r}")
        seen.add(ident)


def _get(
    raw: dict[str, Any], key: str, where: TomlLocator, table: str | None, i: int | None
) -> Any:
    if key not in raw:
        raise where.error(table, i, None, f"missing required key {key!r}")
    return raw[key]


def _str(
    raw: dict[str, Any], key: str, where: TomlLocator, table: str | None, i: int | None
) -> str:
    value = _get(raw, key, where, table, i)
    if not isinstance(value, str) or not value.strip():
        raise where.error(table, i, key, "must be a non-empty string")
    return value


def _int(
    raw: dict[str, Any],
    key: str,
    where: TomlLocator,
    table: str,
    i: int,
    *,
    default: int | None = None,
    minimum: int | None = None,
) -> int:
    value = raw.get(key, default) if default is not None else _get(raw, key, where, table, i)
    if not isinstance(value, int) or isinstance(value, bool):
        raise where.error(table, i, key, "must be a whole number")
    if minimum is not None and value < minimum:
        raise where.error(table, i, key, f"must be at least {minimum}")
    return value


def _bool(raw: dict[str, Any], key: str, where: TomlLocator, table: str, i: int) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise where.error(table, i, key, "must be true or false")
    return value


def _date(raw: dict[str, Any], key: str, where: TomlLocator, table: str, i: int) -> date:
    value = _get(raw, key, where, table, i)
    if not isinstance(value, date):
        raise where.error(table, i, key, "must be a date written as YYYY-MM-DD (no quotes)")
    return value


def _choice(
    raw: dict[str, Any],
    key: str,
    allowed: tuple[str, ...],
    where: TomlLocator,
    table: str,
    i: int,
    *,
    default: str | None = None,
) -> str:
    value = raw.get(key, default) if default is not None else _str(raw, key, where, table, i)
    if value not in allowed:
        raise where.error(table, i, key, f"{value!r} is not one of {', '.join(allowed)}")
    return str(value)


def _str_list(raw: dict[str, Any], key: str, where: TomlLocator, table: str, i: int) -> list[str]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise where.error(table, i, key, "must be a list of strings")
    return value


def _enum(kind: type[E], value: str, where: TomlLocator, table: str, i: int, key: str) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise where.error(table, i, key, f"{value!r} is not one of {allowed}") from None


def _programs(raw: dict[str, Any], where: TomlLocator, table: str, i: int) -> frozenset[Program]:
    names = _str_list(raw, "programs", where, table, i)
    if names == ["all"]:
        return frozenset(Program)
    if not names:
        raise where.error(table, i, "programs", 'list the programs, or write ["all"]')
    return frozenset(_enum(Program, n, where, table, i, "programs") for n in names)


def _conditions(
    raw: dict[str, Any], key: str, where: TomlLocator, table: str, i: int
) -> tuple[FilingCondition, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise where.error(table, i, key, 'must be a list like [{ form = "I-589", when = "filed" }]')
    conditions = []
    for item in value:
        if not {"form", "when"} <= set(item) <= {"form", "when", "since_grant"}:
            raise where.error(
                table, i, key, "each entry needs `form` and `when`, and may have `since_grant`"
            )
        form = _enum(Form, str(item["form"]), where, table, i, key)
        if item["when"] not in ("filed", "pending", "approved"):
            raise where.error(table, i, key, "`when` must be filed, pending or approved")
        since_grant = item.get("since_grant", False)
        if not isinstance(since_grant, bool):
            raise where.error(table, i, key, "`since_grant` must be true or false")
        conditions.append(FilingCondition(form=form, state=item["when"], since_grant=since_grant))
    return tuple(conditions)
