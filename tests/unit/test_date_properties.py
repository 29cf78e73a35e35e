"""Property tests of the legal dates: every arrival, every end, every day of a year."""

import datetime as dt
from collections.abc import Container
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.domain.calendar import add_years, holiday_calendar, is_business_day
from tracker.domain.model import (
    CaseFacts,
    Deadline,
    DeadlineKind,
    GrantFacts,
    GrantSource,
    Program,
    Status,
)
from tracker.domain.rules import RuleSet, compute_deadlines

K = DeadlineKind
US: Container[date] = holiday_calendar("US")
DAY = timedelta(days=1)
ARRIVALS = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
ENDS = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
LEAP_YEARS = st.integers(min_value=2000, max_value=2096).filter(lambda y: y % 4 == 0)
REPAROLE_PROGRAMS = st.sampled_from(
    [Program.U4U, Program.OAW, Program.CAM, Program.MEDICAL, Program.OTHER]
)


def facts(arrival: date, expiry: date, program: Program = Program.U4U) -> CaseFacts:
    return CaseFacts(
        program=program,
        status=Status.PAROLED,
        arrival=arrival,
        grants=(GrantFacts(start=arrival, expiry=expiry, source=GrantSource.INITIAL),),
    )


def by_kind(case: CaseFacts, ruleset: RuleSet) -> dict[DeadlineKind, Deadline]:
    return {d.kind: d for d in compute_deadlines(case, ruleset)}


@dataclass(frozen=True)
class AsylumDates:
    anniversary: dt.date
    # `dt.date`: the attribute `date` would shadow the type for the line below it.
    date: dt.date
    act_by: dt.date


def asylum_dates(arrival: date, ruleset: RuleSet) -> AsylumDates:
    case = facts(arrival, arrival + timedelta(days=730))
    deadline = by_kind(case, ruleset)[K.ASYLUM_ONE_YEAR]
    return AsylumDates(add_years(arrival, 1), deadline.date, deadline.act_by)


def asylum_problems(arrival: date, ruleset: RuleSet) -> list[str]:
    """Every invariant of the asylum dates that `arrival` breaks (empty when none)."""
    d = asylum_dates(arrival, ruleset)
    checks = {
        "date is a business day": is_business_day(d.date, US),
        "date >= anniversary": d.date >= d.anniversary,
        "date < anniversary + 5 days": d.date < d.anniversary + 5 * DAY,
        "act_by is a business day": is_business_day(d.act_by, US),
        "act_by < anniversary": d.act_by < d.anniversary,
        "act_by >= anniversary - 5 days": d.act_by >= d.anniversary - 5 * DAY,
        "date - act_by >= 1 day": d.date - d.act_by >= DAY,
        "the first business day on or after the anniversary": all(
            not is_business_day(d.anniversary + n * DAY, US)
            for n in range((d.date - d.anniversary).days)
        ),
        "the last business day before the anniversary": all(
            not is_business_day(d.act_by + n * DAY, US)
            for n in range(1, (d.anniversary - d.act_by).days)
        ),
    }
    return [f"{arrival}: {name} ({d})" for name, ok in checks.items() if not ok]


@settings(max_examples=500, deadline=None)
@given(arrival=ARRIVALS)
def test_it_keeps_the_asylum_dates_on_business_days_near_the_anniversary(
    ruleset: RuleSet, arrival: date
) -> None:
    assert asylum_problems(arrival, ruleset) == []


@pytest.mark.parametrize("year", [2027, 2028])
def test_it_keeps_the_asylum_invariants_for_every_day_of_a_year(
    ruleset: RuleSet, year: int
) -> None:
    days = [date(year, 1, 1) + n * DAY for n in range(366)]
    days = [d for d in days if d.year == year]
    assert len(days) == (366 if year == 2028 else 365)
    problems = [p for day in days for p in asylum_problems(day, ruleset)]
    assert problems == []


@given(year=LEAP_YEARS, years=st.integers(min_value=1, max_value=3))
def test_it_turns_29_february_into_28_february_in_a_non_leap_year(year: int, years: int) -> None:
    assert add_years(date(year, 2, 29), years) == date(year + years, 2, 28)


@settings(deadline=None)
@given(year=LEAP_YEARS)
def test_it_puts_the_asylum_anniversary_of_29_february_on_28_february(
    ruleset: RuleSet, year: int
) -> None:
    dates = asylum_dates(date(year, 2, 29), ruleset)
    assert dates.anniversary == date(year + 1, 2, 28)
    assert dates.act_by < date(year + 1, 2, 28) <= dates.date


@settings(max_examples=300, deadline=None)
@given(end=ENDS)
def test_it_counts_unlawful_presence_exactly_from_the_end(ruleset: RuleSet, end: date) -> None:
    found = by_kind(facts(end - timedelta(days=730), end), ruleset)
    up180 = found[K.UNLAWFUL_PRESENCE_180]
    up365 = found[K.UNLAWFUL_PRESENCE_365]
    assert (up180.date, up180.act_by) == (end + 181 * DAY, end + 180 * DAY)
    assert (up365.date, up365.act_by) == (end + 365 * DAY, end + 364 * DAY)
    assert found[K.PAROLE_EXPIRY].date == end


@settings(max_examples=300, deadline=None)
@given(end=ENDS, program=REPAROLE_PROGRAMS, length=st.integers(min_value=1, max_value=1100))
def test_it_orders_the_reparole_dates_before_the_expiry(
    ruleset: RuleSet, end: date, program: Program, length: int
) -> None:
    found = by_kind(facts(end - timedelta(days=length), end, program), ruleset)
    opens = found[K.REPAROLE_WINDOW_OPENS].date
    file_by = found[K.REPAROLE_FILE_BY].date
    expiry = found[K.PAROLE_EXPIRY].date
    assert opens < file_by < expiry
    assert (expiry - opens, expiry - file_by) == (180 * DAY, 90 * DAY)
