"""Anniversaries and U.S. business days (domain.md, `asylum_one_year`)."""

from collections.abc import Container
from datetime import date

import pytest

from tracker.domain.calendar import (
    add_years,
    business_day_before,
    business_day_on_or_after,
    holiday_calendar,
    is_business_day,
)

US: Container[date] = holiday_calendar("US")
NO_HOLIDAYS: frozenset[date] = frozenset()


@pytest.mark.parametrize(
    ("start", "years", "expected"),
    [
        (date(2024, 2, 29), 1, date(2025, 2, 28)),
        (date(2024, 2, 29), 2, date(2026, 2, 28)),
        (date(2024, 2, 29), 4, date(2028, 2, 29)),
        (date(2024, 2, 29), -1, date(2023, 2, 28)),
        (date(2025, 3, 10), 1, date(2026, 3, 10)),
        (date(2023, 2, 28), 1, date(2024, 2, 28)),
        (date(2023, 3, 1), 1, date(2024, 3, 1)),
        (date(2025, 12, 31), 1, date(2026, 12, 31)),
        (date(2026, 1, 1), 1, date(2027, 1, 1)),
        (date(2025, 7, 3), 10, date(2035, 7, 3)),
    ],
)
def test_it_adds_years_keeping_the_calendar_day(start: date, years: int, expected: date) -> None:
    assert add_years(start, years) == expected


def test_it_turns_29_february_into_28_february_in_every_non_leap_year() -> None:
    for year in range(2000, 2100, 4):
        assert add_years(date(year, 2, 29), 1) == date(year + 1, 2, 28)


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 7, 3), "Independence Day observed (4 July 2026 is a Saturday)"),
        (date(2027, 12, 24), "Christmas observed (25 December 2027 is a Saturday)"),
        (date(2021, 12, 31), "New Year's Day 2022 observed (1 January 2022 is a Saturday)"),
        (date(2027, 12, 31), "New Year's Day 2028 observed (1 January 2028 is a Saturday)"),
        (date(2022, 12, 26), "Christmas observed (25 December 2022 is a Sunday)"),
        (date(2027, 6, 18), "Juneteenth observed (19 June 2027 is a Saturday)"),
        (date(2026, 1, 19), "Martin Luther King Jr. Day"),
        (date(2026, 11, 26), "Thanksgiving Day"),
        (date(2028, 12, 25), "Christmas Day on a Monday"),
    ],
)
def test_it_treats_federal_holidays_and_observed_days_as_closed(day: date, name: str) -> None:
    assert day in US, name
    assert not is_business_day(day, US)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 11, 27),  # the Friday after Thanksgiving is not a federal holiday
        date(2026, 12, 24),  # Christmas Eve on a Thursday
        date(2026, 3, 10),  # an ordinary Tuesday
    ],
)
def test_it_keeps_ordinary_weekdays_open(day: date) -> None:
    assert day not in US
    assert is_business_day(day, US)


def test_it_treats_weekends_as_closed_even_without_holidays() -> None:
    assert not is_business_day(date(2026, 3, 7), NO_HOLIDAYS)  # Saturday
    assert not is_business_day(date(2026, 3, 8), NO_HOLIDAYS)  # Sunday
    assert is_business_day(date(2026, 3, 9), NO_HOLIDAYS)  # Monday
    assert is_business_day(date(2026, 3, 6), NO_HOLIDAYS)  # Friday


def test_it_refuses_an_unknown_holiday_calendar() -> None:
    with pytest.raises(NotImplementedError):
        holiday_calendar("XX")


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 10), date(2026, 3, 10)),  # Tuesday: itself
        (date(2026, 3, 6), date(2026, 3, 6)),  # Friday: itself
        (date(2026, 3, 7), date(2026, 3, 9)),  # Saturday -> Monday
        (date(2026, 3, 8), date(2026, 3, 9)),  # Sunday -> Monday
        (date(2026, 7, 3), date(2026, 7, 6)),  # Friday observed, weekend -> Monday
        (date(2026, 7, 4), date(2026, 7, 6)),  # Independence Day on a Saturday
        (date(2027, 12, 24), date(2027, 12, 27)),  # Christmas observed on Friday
        (date(2027, 12, 25), date(2027, 12, 27)),
        (date(2021, 12, 31), date(2022, 1, 3)),  # New Year's observed, across the year end
        (date(2022, 1, 1), date(2022, 1, 3)),
        (date(2027, 12, 31), date(2028, 1, 3)),
        (date(2026, 12, 31), date(2026, 12, 31)),  # Thursday: itself, no year change
        (date(2026, 1, 19), date(2026, 1, 20)),  # MLK Day -> Tuesday
        (date(2026, 1, 17), date(2026, 1, 20)),  # Saturday before MLK Day -> Tuesday
        (date(2026, 11, 26), date(2026, 11, 27)),  # Thanksgiving -> Friday
        (date(2028, 12, 23), date(2028, 12, 26)),  # Saturday before Christmas Monday
        (date(2028, 12, 25), date(2028, 12, 26)),
    ],
)
def test_it_finds_the_business_day_on_or_after(day: date, expected: date) -> None:
    assert business_day_on_or_after(day, US) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 11), date(2026, 3, 10)),  # Wednesday -> Tuesday (strictly before)
        (date(2026, 3, 10), date(2026, 3, 9)),  # Tuesday -> Monday
        (date(2026, 3, 9), date(2026, 3, 6)),  # Monday -> Friday
        (date(2026, 3, 8), date(2026, 3, 6)),  # Sunday -> Friday
        (date(2026, 3, 7), date(2026, 3, 6)),  # Saturday -> Friday
        (date(2026, 7, 6), date(2026, 7, 2)),  # past the weekend and Friday 3 July observed
        (date(2026, 7, 3), date(2026, 7, 2)),
        (date(2027, 12, 27), date(2027, 12, 23)),  # past Christmas observed on Friday
        (date(2022, 1, 3), date(2021, 12, 30)),  # past New Year's observed, into 2021
        (date(2028, 1, 3), date(2027, 12, 30)),
        (date(2027, 1, 1), date(2026, 12, 31)),  # New Year's Day (Friday) -> Thursday
        (date(2026, 1, 20), date(2026, 1, 16)),  # Tuesday after MLK Day -> Friday
        (date(2026, 11, 27), date(2026, 11, 25)),  # Friday after Thanksgiving -> Wednesday
        (date(2028, 12, 26), date(2028, 12, 22)),  # Tuesday after Christmas Monday
    ],
)
def test_it_finds_the_last_business_day_before(day: date, expected: date) -> None:
    assert business_day_before(day, US) == expected


def test_it_skips_only_weekends_when_nothing_else_is_closed() -> None:
    assert business_day_on_or_after(date(2026, 7, 3), NO_HOLIDAYS) == date(2026, 7, 3)
    assert business_day_before(date(2026, 7, 6), NO_HOLIDAYS) == date(2026, 7, 3)


def test_it_honours_a_custom_closed_set() -> None:
    closed = frozenset({date(2026, 3, 10), date(2026, 3, 11)})
    assert business_day_on_or_after(date(2026, 3, 10), closed) == date(2026, 3, 12)
    assert business_day_before(date(2026, 3, 12), closed) == date(2026, 3, 9)
