"""Parsing and checking of `config/rules.toml` text into a RuleSet (pure: no file access)."""

from typing import Any

from tracker.domain.appointments import APPOINTMENT_DEADLINES
from tracker.domain.calendar import holiday_calendar
from tracker.domain.model import DeadlineKind, Form, Program, Status
from tracker.domain.rules import (
    ANNIVERSARY_BASES,
    FORMULAS,
    RECORDED_FIELDS,
    REGISTRATIONS,
    AnnualFee,
    FilingCondition,
    Rule,
    RuleSet,
    TpsWindow,
)
from tracker.domain.toml_locator import TomlLocator, parse_toml
from tracker.domain.toml_values import (
    bool_value,
    check_unique,
    choice,
    date_value,
    enum_value,
    int_value,
    str_list,
    tables,
    text_value,
)


def parse_ruleset(text: str, source: str) -> RuleSet:
    """Parse and check the rules file; a problem raises ConfigError with its line."""
    data = parse_toml(text, source)
    where = TomlLocator(text, source)
    unknown = set(data) - {
        "ruleset_version", "holiday_calendar", "rule", "tps_window", "annual_asylum_fee",
        "work_incident_to_parole",
    }  # fmt: skip
    if unknown:
        raise where.error(None, None, sorted(unknown)[0], "unknown top-level key")
    version = text_value(data, "ruleset_version", where, None, None)
    calendar = text_value(data, "holiday_calendar", where, None, None)
    try:
        holiday_calendar(calendar)
    except NotImplementedError as exc:
        raise where.error(None, None, "holiday_calendar", f"unknown calendar {calendar!r}") from exc
    rules = tuple(_parse_rule(r, i, where) for i, r in enumerate(tables(data, "rule", where)))
    windows = tuple(
        _parse_window(w, i, where) for i, w in enumerate(tables(data, "tps_window", where))
    )
    fees = tuple(
        _parse_fee(f, i, where) for i, f in enumerate(tables(data, "annual_asylum_fee", where))
    )
    check_unique([r.id for r in rules], "rule", where)
    check_unique([w.id for w in windows], "tps_window", where)
    check_unique([str(f.year) for f in fees], "annual_asylum_fee", where, key="year")
    if not rules:
        raise where.error(
            None, None, None, "no [[rule]] tables: every case would have no deadlines"
        )
    incident = str_list(data, "work_incident_to_parole", where, None, None)
    return RuleSet(
        version=version,
        holiday_calendar=calendar,
        rules=rules,
        tps_windows=windows,
        annual_asylum_fees=fees,
        work_incident_to_parole=frozenset(
            enum_value(Program, p, where, None, None, "work_incident_to_parole") for p in incident
        ),
    )


RULE_KEYS = {
    "id", "kind", "version", "citation", "source", "formula", "programs", "excluded_statuses",
    "suppressed_by", "citizenship", "date_offset_days", "act_by_offset_days", "base", "years",
    "roll_to_business_day", "act_by_business_day_before", "field", "flag_after_end",
    "at_risk_when", "note", "tolled_by", "cap_at_end_for", "form",
}  # fmt: skip


def _parse_rule(raw: dict[str, Any], index: int, where: TomlLocator) -> Rule:
    at = ("rule", index)
    for key in raw:
        if key not in RULE_KEYS:
            raise where.error(*at, key, "unknown key")
    formula = choice(raw, "formula", FORMULAS, where, *at)
    rule = Rule(
        id=text_value(raw, "id", where, *at),
        kind=enum_value(DeadlineKind, text_value(raw, "kind", where, *at), where, *at, "kind"),
        version=int_value(raw, "version", where, *at, minimum=1),
        citation=text_value(raw, "citation", where, *at),
        formula=formula,
        programs=_programs(raw, where, *at),
        excluded_statuses=frozenset(
            enum_value(Status, s, where, *at, "excluded_statuses")
            for s in str_list(raw, "excluded_statuses", where, *at)
        ),
        suppressed_by=_conditions(raw, "suppressed_by", where, *at),
        at_risk_when=_conditions(raw, "at_risk_when", where, *at),
        citizenship=frozenset(str_list(raw, "citizenship", where, *at)) or None,
        date_offset_days=int_value(raw, "date_offset_days", where, *at, default=0),
        act_by_offset_days=int_value(raw, "act_by_offset_days", where, *at, default=0),
        base=choice(raw, "base", ANNIVERSARY_BASES, where, *at, default="arrival"),
        years=int_value(raw, "years", where, *at, default=1, minimum=1),
        roll_to_business_day=bool_value(raw, "roll_to_business_day", where, *at),
        act_by_business_day_before=bool_value(raw, "act_by_business_day_before", where, *at),
        field=choice(raw, "field", RECORDED_FIELDS, where, *at, default="work_permit_expiry"),
        flag_after_end=bool_value(raw, "flag_after_end", where, *at),
        tolled_by=tuple(
            enum_value(Form, f, where, *at, "tolled_by")
            for f in str_list(raw, "tolled_by", where, *at)
        ),
        cap_at_end_for=frozenset(str_list(raw, "cap_at_end_for", where, *at)),
        form=enum_value(Form, raw["form"], where, *at, "form") if "form" in raw else None,
    )
    if formula in ("end_offset", "accrual") and "date_offset_days" not in raw:
        raise where.error(*at, "formula", f"an {formula} rule needs date_offset_days")
    if formula == "accrual" and min(rule.date_offset_days, rule.act_by_offset_days) < 1:
        raise where.error(*at, "date_offset_days", "an accrual rule counts days from 1")
    if formula == "appointment" and rule.kind not in APPOINTMENT_DEADLINES:
        raise where.error(*at, "kind", "an appointment rule needs an appointment kind")
    if formula == "annual_fee" and rule.form is None:
        raise where.error(*at, "formula", "an annual_fee rule needs the form it charges")
    return rule


WINDOW_KEYS = {
    "id", "country", "opens", "closes", "residence_since", "citation", "source", "note",
    "registration",
}  # fmt: skip


def _parse_window(raw: dict[str, Any], index: int, where: TomlLocator) -> TpsWindow:
    at = ("tps_window", index)
    for key in raw:
        if key not in WINDOW_KEYS:
            raise where.error(*at, key, "unknown key")
    window = TpsWindow(
        id=text_value(raw, "id", where, *at),
        country=text_value(raw, "country", where, *at).upper(),
        opens=date_value(raw, "opens", where, *at),
        closes=date_value(raw, "closes", where, *at),
        residence_since=date_value(raw, "residence_since", where, *at),
        citation=text_value(raw, "citation", where, *at),
        registration=choice(raw, "registration", REGISTRATIONS, where, *at, default="initial"),
    )
    if window.closes < window.opens:
        raise where.error(*at, "closes", "the window closes before it opens")
    return window


FEE_KEYS = {"year", "amount_usd", "citation", "source", "note"}


def _parse_fee(raw: dict[str, Any], index: int, where: TomlLocator) -> AnnualFee:
    at = ("annual_asylum_fee", index)
    for key in raw:
        if key not in FEE_KEYS:
            raise where.error(*at, key, "unknown key")
    return AnnualFee(
        year=int_value(raw, "year", where, *at, minimum=2025),
        amount_usd=int_value(raw, "amount_usd", where, *at, minimum=0),
        citation=text_value(raw, "citation", where, *at),
    )


def _programs(raw: dict[str, Any], where: TomlLocator, table: str, i: int) -> frozenset[Program]:
    names = str_list(raw, "programs", where, table, i)
    if names == ["all"]:
        return frozenset(Program)
    if not names:
        raise where.error(table, i, "programs", 'list the programs, or write ["all"]')
    return frozenset(enum_value(Program, n, where, table, i, "programs") for n in names)


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
        form = enum_value(Form, str(item["form"]), where, table, i, key)
        if item["when"] not in ("filed", "pending", "approved"):
            raise where.error(table, i, key, "`when` must be filed, pending or approved")
        since_grant = item.get("since_grant", False)
        if not isinstance(since_grant, bool):
            raise where.error(table, i, key, "`since_grant` must be true or false")
        conditions.append(FilingCondition(form=form, state=item["when"], since_grant=since_grant))
    return tuple(conditions)
