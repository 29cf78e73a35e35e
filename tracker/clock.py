"""The one clock of the program. Everything that needs "now" gets it from here."""

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
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


class RunningClock:
    """A clock that starts at an instant and runs on from it, `speed` times as fast as the
    machine's: `tracker worker --now` (drills, tests), where a pinned clock would never
    let a lease lapse or a retry come due."""

    def __init__(
        self,
        start: datetime,
        speed: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if start.tzinfo is None:
            raise ValueError("a running clock needs a timezone-aware start")
        if speed <= 0:
            raise ValueError("a running clock needs a speed above 0")
        self.start = start.astimezone(UTC)
        self.speed = speed
        self._monotonic = monotonic
        self._origin = monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(self._monotonic() - self._origin) * self.speed)


def local_today(clock: Clock, zone: str) -> date:
    """Today's date in an IANA time zone."""
    return clock.now().astimezone(ZoneInfo(zone)).date()
