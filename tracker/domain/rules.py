"""Deadline rules: parsed from `config/rules.toml` text and applied to one case's facts.

The rules are data; this module only knows the few formula shapes they use:
- `end_offset`: a fixed number of days from the effective end of parole;
- `anniversary`: N years after a base date, optionally rolled past weekends and holidays;
- `recorded_date`: a date recorded on the case (the work permit's expiry);
- `tps_window`: the close of a TPS registration window listed in the same file.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from tracker.domain.calendar import (
    add_years,
    business_day_before,
    business_day_on_or_after,
    holiday_calendar,
)
from tracker.domain.model import (
    CaseFacts,
    Deadline,
    DeadlineKind,
    Decision,
    FilingFacts,
    Form,
    Program,
    Status,
)
from tracker.domain.parole import current_grant, effective_end, first_admission

FilingState = Literal["filed", "pending", "approved"]
FORMULAS = ("end_offset", "anniversary", "recorded_date", "tps_window")
ANNIVERSARY_BASES = ("arrival", "parole_start")
RECORDED_FIELDS = ("work_permit_expiry",)


@dataclass(frozen=True)
class FilingCondition:
    """Matches a case that has a filing of `form` in `state`.

    With `since_grant`, only filings made during the current grant count: a re-parole
    request filed for an earlier grant says nothing about the next one.
    """

    form: Form
    state: FilingState
    since_grant: bool = False

    def matches(self, filings: Sequence[FilingFacts], grant_start: date) -> bool:
        return any(
            f.form == self.form
            and _in_state(f, self.state)
            and (not self.since_grant or f.filed >= grant_start)
            for f in filings
        )


def _in_state(filing: FilingFacts, state: FilingState) -> bool:
    if state == "pending":
        return filing.pending
    if state == "approved":
        return filing.decision == Decision.APPROVED
    return filing.decision != Decision.WITHDRAWN


@dataclass(frozen=True)
class Rule:
    """One deadline rule, as written in the config file."""

    id: str
    kind: DeadlineKind
    version: int
    citation: str
    formula: str
    programs: frozenset[Program]
    excluded_statuses: frozenset[Status]
    suppressed_by: tuple[FilingCondition, ...]
    citizenship: frozenset[str] | None = None
    date_offset_days: int = 0
    act_by_offset_days: int = 0
    base: str = "arrival"
    years: int = 1
    roll_to_business_day: bool = False
    act_by_business_day_before: bool = False
    field: str = ""
    flag_after_end: bool = False
    at_risk_when: tuple[FilingCondition, ...] = ()


@dataclass(frozen=True)
class TpsWindow:
    """A TPS registration window for one country, from its Federal Register notice."""

    id: str
    country: str
    opens: date
    closes: date
    # TPS requires continuous residence since a date: later arrivals cannot register.
    residence_since: date
    citation: str


@dataclass(frozen=True)
class RuleSet:
    """Every rule and the reference data they use."""

    version: str
    holiday_calendar: str
    rules: tuple[Rule, ...]
    tps_windows: tuple[TpsWindow, ...] = ()

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)


def compute_deadlines(facts: CaseFacts, ruleset: RuleSet) -> list[Deadline]:
    """Every deadline that applies to a case, sorted by date."""
    end = effective_end(facts.grants)
    found: list[Deadline] = []
    for rule in ruleset.rules:
        if _applies(rule, facts):
            found.extend(_apply(rule, facts, end, ruleset))
    found = _flag_asylum_passed_in_parole(found, end)
    return sorted(found, key=lambda d: (d.date, d.kind.value, d.key))


def _applies(rule: Rule, facts: CaseFacts) -> bool:
    if facts.program not in rule.programs or facts.status in rule.excluded_statuses:
        return False
    if rule.citizenship is not None and facts.citizenship not in rule.citizenship:
        return False
    start = current_grant(facts.grants).start
    return not any(c.matches(facts.filings, start) for c in rule.suppressed_by)


def _apply(rule: Rule, facts: CaseFacts, end: date, ruleset: RuleSet) -> list[Deadline]:
    flags: list[str] = []
    if any(c.matches(facts.filings, current_grant(facts.grants).start) for c in rule.at_risk_when):
        flags.append("at_risk")
    if rule.formula == "tps_window":
        return _tps_deadlines(rule, facts, ruleset)
    if rule.formula == "end_offset":
        day = end + timedelta(days=rule.date_offset_days)
        act_by = end + timedelta(days=rule.act_by_offset_days)
    elif rule.formula == "anniversary":
        day, act_by = _anniversary(rule, facts, ruleset)
    else:
        recorded = facts.work_permit_expiry
        if recorded is None:
            return []
        day = act_by = recorded
    if rule.flag_after_end and day > end:
        flags.append("after_parole_end")
    return [_deadline(rule, day, act_by, flags=tuple(flags))]


def _anniversary(rule: Rule, facts: CaseFacts, ruleset: RuleSet) -> tuple[date, date]:
    if rule.base == "arrival":
        base = facts.asylum_arrival or facts.arrival
    else:
        base = first_admission(facts.grants)
    anniversary = add_years(base, rule.years)
    closed = holiday_calendar(ruleset.holiday_calendar)
    day = (
        business_day_on_or_after(anniversary, closed) if rule.roll_to_business_day else anniversary
    )
    act_by = business_day_before(anniversary, closed) if rule.act_by_business_day_before else day
    return day, act_by


def _tps_deadlines(rule: Rule, facts: CaseFacts, ruleset: RuleSet) -> list[Deadline]:
    return [
        _deadline(rule, w.closes, w.closes, key=w.id, citation=f"{rule.citation}; {w.citation}")
        for w in ruleset.tps_windows
        if w.country == facts.citizenship and facts.arrival <= w.residence_since
    ]


def _deadline(
    rule: Rule,
    day: date,
    act_by: date,
    *,
    key: str = "",
    citation: str | None = None,
    flags: tuple[str, ...] = (),
) -> Deadline:
    return Deadline(
        kind=rule.kind,
        date=day,
        act_by=act_by,
        rule_id=rule.id,
        rule_version=rule.version,
        citation=citation or rule.citation,
        key=key,
        flags=flags,
    )


def _flag_asylum_passed_in_parole(found: list[Deadline], end: date) -> list[Deadline]:
    """Mark the expiry when the asylum year ran out during parole (8 CFR 208.4(a)(5)(iv))."""
    asylum = [d for d in found if d.kind == DeadlineKind.ASYLUM_ONE_YEAR and d.date < end]
    if not asylum:
        return found
    return [
        Deadline(**{**d.__dict__, "flags": (*d.flags, "asylum_year_passed_in_parole")})
        if d.kind == DeadlineKind.PAROLE_EXPIRY
        else d
        for d in found
    ]
