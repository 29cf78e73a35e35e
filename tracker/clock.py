"""The one clock of the program. Everything that needs "now" gets it from here."""

from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    """Something that tells the current instant, timezone-aware in UTC."""

    def now(self) -> datetime: ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock pinned to one instant: the CLI's `--now` and the tests use it."""

    def __init__(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("a fixed clock needs a timezone-aware instant")
        self.instant = instant.astimezone(UTC)

    def now(self) -> datetime:
        return self.instant


def local_today(clock: Clock, zone: str) -> date:
    """Today's date in an IANA time zone."""
    return clock.now().astimezone(ZoneInfo(zone)).date()
