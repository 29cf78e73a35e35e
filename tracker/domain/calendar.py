"""Calendar arithmetic for legal dates: anniversaries and U.S. business days."""

from collections.abc import Container
from datetime import date, timedelta
from functools import cache

import holidays

SATURDAY = 5


def add_years(start: date, years: int) -> date:
    """The same calendar day `years` later; 29 February becomes 28 February."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


@cache
def holiday_calendar(code: str) -> Container[date]:
    """Public holidays of a country (ISO code), observed days included."""
    return holidays.country_holidays(code, observed=True)


def is_business_day(day: date, closed: Container[date]) -> bool:
    """True unless `day` is a Saturday, a Sunday or in `closed`."""
    return day.weekday() < SATURDAY and day not in closed


def business_day_on_or_after(day: date, closed: Container[date]) -> date:
    """`day` itself if it is a business day, else the next one."""
    while not is_business_day(day, closed):
        day += timedelta(days=1)
    return day


def business_day_before(day: date, closed: Container[date]) -> date:
    """The last business day strictly before `day`."""
    day -= timedelta(days=1)
    while not is_business_day(day, closed):
        day -= timedelta(days=1)
    return day
