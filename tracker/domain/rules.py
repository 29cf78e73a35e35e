"""Deadline rules: parsed from `config/rules.toml` text and applied to one case's facts.

The rules are data; this module only knows the few formula shapes they use:
- `end_offset`: a fixed number of days from the effective end of parole;
- `accrual`: the Nth day of unlawful presence, counted from the day after the end,
  skipping the days the law does not count (minority, a pending asylum application);
- `anniversary`: N years after a base date, optionally rolled past weekends and holidays;
- `recorded_date`: a date recorded on the case (work permit expiry, parole fee due date);
- `tps_window`: the close of a TPS registration window listed in the same file;
- `annual_fee`: the yearly fee of a pending application (the annual asylum fee);
- `appointment`: the day of each scheduled appointment of the rule's kind;
- `response_due`: the response date staff recorded from USCIS's request for evidence or
  notice of intent to deny, for each filing still pending.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

from tracker.domain.appointments import DEADLINE_KINDS, AppointmentKind
from tracker.domain.calendar import (
    add_years,
    business_day_before,
    business_day_on_or_after,
    holiday_calendar,
)
from tracker.domain.holds import Hold, hold_flags
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
from tracker.domain.parole import case_end, current_grant, first_admission, stay_began

FilingState = Literal["filed", "pending", "approved"]
FORMULAS = (
    "end_offset",
    "accrual",
    "anniversary",
    "recorded_date",
    "tps_window",
    "annual_fee",
    "appointment",
    "response_due",
)
# A deadline for the representative only: no text to the person (the feed shows it).
STAFF_ONLY = "staff_only"
ANNIVERSARY_BASES = ("arrival", "parole_start")
RECORDED_FIELDS = ("work_permit_expiry", "parole_fee_due")
REGISTRATIONS = ("initial", "re-registration")
WORK_INCIDENT_TO_PAROLE = "work_incident_to_parole"
# No unlawful presence accrues before this age: INA 212(a)(9)(B)(iii)(I).
ADULT_AGE = 18


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
    return filing.was_filed


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
    # accrual: pending filings of these forms stop the count; the days they were
    # pending after the end push the marks later once they are decided.
    tolled_by: tuple[Form, ...] = ()
    # recorded_date: for these work permit categories the date is never after the end of
    # parole (a parole-based card cannot outlast parole).
    cap_at_end_for: frozenset[str] = frozenset()
    # annual_fee: the form whose pending years are charged.
    form: Form | None = None


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
    # initial: for people who do not hold TPS; re-registration: for those who do
    # (8 CFR 244.17).
    registration: str = "initial"


@dataclass(frozen=True)
class AnnualFee:
    """The amount of a yearly fee in one calendar year, as a notice set it."""

    year: int
    amount_usd: int
    citation: str


@dataclass(frozen=True)
class RuleSet:
    """Every rule and the reference data they use."""

    version: str
    holiday_calendar: str
    rules: tuple[Rule, ...]
    tps_windows: tuple[TpsWindow, ...] = ()
    annual_asylum_fees: tuple[AnnualFee, ...] = ()
    # Programs whose parolees may work on their I-94 alone while parole lasts.
    work_incident_to_parole: frozenset[Program] = frozenset()
    # From config/holds.toml: they add flags, never move a date.
    holds: tuple[Hold, ...] = ()

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)


def compute_deadlines(facts: CaseFacts, ruleset: RuleSet) -> list[Deadline]:
    """Every deadline that applies to a case, sorted by date."""
    end = case_end(facts)
    # Every rule asks which grant is current: found once.
    start = current_grant(facts.grants).start
    found: list[Deadline] = []
    for rule in ruleset.rules:
        if _applies(rule, facts, start):
            found.extend(_apply(rule, facts, end, ruleset, start))
    found = _flag_asylum_passed_in_parole(found, end)
    found = [_with_flags(d, _case_flags(d, facts, ruleset)) for d in found]
    return sorted(found, key=lambda d: (d.date, d.kind.value, d.key))


def _case_flags(deadline: Deadline, facts: CaseFacts, ruleset: RuleSet) -> tuple[str, ...]:
    flags = hold_flags(
        ruleset.holds, deadline.kind, deadline.date, facts.citizenship, facts.filings
    )
    # Said where it matters: a card's end is not the end of the right to work.
    if (
        deadline.kind == DeadlineKind.WORK_PERMIT_EXPIRY
        and facts.program in ruleset.work_incident_to_parole
    ):
        flags += (WORK_INCIDENT_TO_PAROLE,)
    return flags


def _with_flags(deadline: Deadline, flags: tuple[str, ...]) -> Deadline:
    return replace(deadline, flags=(*deadline.flags, *flags)) if flags else deadline


def _applies(rule: Rule, facts: CaseFacts, start: date) -> bool:
    if facts.program not in rule.programs or facts.status in rule.excluded_statuses:
        return False
    if rule.citizenship is not None and facts.citizenship not in rule.citizenship:
        return False
    return not any(c.matches(facts.filings, start) for c in rule.suppressed_by)


def _apply(
    rule: Rule, facts: CaseFacts, end: date, ruleset: RuleSet, start: date
) -> list[Deadline]:
    flags: list[str] = []
    if any(c.matches(facts.filings, start) for c in rule.at_risk_when):
        flags.append("at_risk")
    if rule.formula == "tps_window":
        return _tps_deadlines(rule, facts, ruleset)
    if rule.formula == "annual_fee":
        return _annual_fee_deadlines(rule, facts, ruleset)
    if rule.formula == "appointment":
        return _appointment_deadlines(rule, facts)
    if rule.formula == "response_due":
        return _response_deadlines(rule, facts)
    if rule.formula == "end_offset":
        day = end + timedelta(days=rule.date_offset_days)
        act_by = end + timedelta(days=rule.act_by_offset_days)
    elif rule.formula == "accrual":
        day = accrual_day(facts, end, rule.date_offset_days, rule.tolled_by)
        act_by = accrual_day(facts, end, rule.act_by_offset_days, rule.tolled_by)
        if day > end + timedelta(days=rule.date_offset_days):
            flags.append("days_not_counted")
    elif rule.formula == "anniversary":
        day, act_by = _anniversary(rule, facts, ruleset)
    else:
        recorded = _recorded(rule, facts, end)
        if recorded is None:
            return []
        if recorded[1]:
            flags.append("capped_at_parole_end")
        day = act_by = recorded[0] + timedelta(days=rule.date_offset_days)
    if rule.flag_after_end and day > end:
        flags.append("after_parole_end")
    return [_deadline(rule, day, act_by, flags=tuple(flags))]


def _recorded(rule: Rule, facts: CaseFacts, end: date) -> tuple[date, bool] | None:
    """The recorded date a rule reads, and whether the end of parole capped it."""
    value = facts.parole_fee_due if rule.field == "parole_fee_due" else facts.work_permit_expiry
    if value is None:
        return None
    if facts.work_permit_category in rule.cap_at_end_for and value > end:
        return end, True
    return value, False


def accrual_day(facts: CaseFacts, end: date, nth: int, tolled_by: tuple[Form, ...]) -> date:
    """The `nth` day of unlawful presence after `end`.

    Counting starts the day after the end, or on the 18th birthday if that is later
    (INA 212(a)(9)(B)(iii)(I)); the days a bona fide filing of `tolled_by` was pending
    do not count (212(a)(9)(B)(iii)(II) for asylum). A rejected filing was never pending
    and tolls nothing. A filing still pending suppresses the rule (`suppressed_by`), so
    only decided filings, with their decision date, are counted here.
    """
    start = end + timedelta(days=1)
    if facts.birth_date is not None:
        start = max(start, add_years(facts.birth_date, ADULT_AGE))
    day = start + timedelta(days=nth - 1)
    for first, after_last in _merged(
        (max(f.filed, start), f.decided_on)
        for f in facts.filings
        if f.form in tolled_by and f.decision not in (None, Decision.REJECTED) and f.decided_on
    ):
        # Sorted and disjoint: each pause that began by the day reached pushes it later.
        if first > day:
            break
        day += after_last - first
    return day


def _merged(spans: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    """Half-open date spans [first, after_last), sorted, overlaps joined, empty dropped."""
    merged: list[tuple[date, date]] = []
    for first, after_last in sorted(s for s in spans if s[1] > s[0]):
        if merged and first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], after_last))
        else:
            merged.append((first, after_last))
    return merged


def _anniversary(rule: Rule, facts: CaseFacts, ruleset: RuleSet) -> tuple[date, date]:
    if rule.base == "arrival":
        # The earliest arrival of the current stay, unless staff marked a later one as the
        # arrival that counts: whether a trip abroad restarts the clock is unsettled.
        base = facts.asylum_arrival or min(facts.arrival, stay_began(facts.grants))
    else:
        base = first_admission(facts.grants)
    anniversary = add_years(base, rule.years) + timedelta(days=rule.date_offset_days)
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
        if w.country == facts.citizenship and _tps_window_applies(w, facts)
    ]


def _tps_window_applies(window: TpsWindow, facts: CaseFacts) -> bool:
    """Initial registration is for people with no I-821 on file who arrived in time;
    re-registration is for people who hold TPS (an approved I-821)."""
    tps = [f for f in facts.filings if f.form == Form.I821]
    if window.registration == "re-registration":
        return any(f.decision == Decision.APPROVED for f in tps)
    return facts.arrival <= window.residence_since and not any(f.was_filed for f in tps)


def _annual_fee_deadlines(rule: Rule, facts: CaseFacts, ruleset: RuleSet) -> list[Deadline]:
    """For each pending filing of the rule's form: the day to watch for the next yearly
    fee notice, its anniversary. USCIS's notice sets the due date; staff record it."""
    found = []
    for filing in facts.filings:
        if filing.form != rule.form or not filing.pending or not filing.was_filed:
            continue
        years = 1
        while add_years(filing.filed, years) <= (filing.fee_notice_due or date.min):
            years += 1
        watch = add_years(filing.filed, years)
        key = f"{filing.filed.isoformat()}"
        found.append(
            _deadline(
                rule,
                watch,
                watch,
                key=f"{key}:watch",
                flags=("watch_for_notice",),
                citation=_fee_citation(rule, ruleset, watch.year),
            )
        )
        due = filing.fee_notice_due
        if due is not None:
            found.append(
                _deadline(rule, due, due, key=key, citation=_fee_citation(rule, ruleset, due.year))
            )
    return found


def _appointment_deadlines(rule: Rule, facts: CaseFacts) -> list[Deadline]:
    """One deadline per scheduled appointment of the rule's kind, on its local day; the
    slot carries the appointment's id, so a reschedule is a new deadline."""
    return [
        replace(_deadline(rule, a.day, a.day, key=str(a.id)), starts_at=a.starts_at)
        for a in facts.appointments
        if DEADLINE_KINDS[AppointmentKind(a.kind)] == rule.kind
    ]


def _response_deadlines(rule: Rule, facts: CaseFacts) -> list[Deadline]:
    """The response date of each pending filing's request for evidence; the person is
    reminded only if staff chose so."""
    return [
        _deadline(
            rule,
            f.response_due,
            f.response_due,
            key=f"{f.form.value}:{f.filed.isoformat()}",
            flags=() if f.response_tells_parolee else (STAFF_ONLY,),
        )
        for f in facts.filings
        if f.response_due is not None and f.pending
    ]


def _fee_citation(rule: Rule, ruleset: RuleSet, year: int) -> str:
    fee = next((f for f in ruleset.annual_asylum_fees if f.year == year), None)
    if fee is None:
        return f"{rule.citation}; amount for {year} not yet set"
    return f"{rule.citation}; ${fee.amount_usd} for {fee.year} ({fee.citation})"


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
        _with_flags(d, ("asylum_year_passed_in_parole",))
        if d.kind == DeadlineKind.PAROLE_EXPIRY
        else d
        for d in found
    ]
