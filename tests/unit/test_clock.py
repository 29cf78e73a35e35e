"""The clocks: pinned for one-shot commands, running on from `--now` for a worker."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tracker.clock import RunningClock

START = datetime(2026, 11, 29, 12, 0, tzinfo=timezone(timedelta(hours=-5)))


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


def test_a_running_clock_starts_at_its_instant_in_utc_and_runs_on() -> None:
    ticks = Ticks()
    clock = RunningClock(START, monotonic=ticks)
    assert clock.now() == START and clock.now().tzinfo == UTC
    ticks.seconds += 90
    assert clock.now() == START + timedelta(seconds=90)


def test_a_fast_running_clock_lets_a_minute_pass_each_second_at_speed_60() -> None:
    ticks = Ticks()
    clock = RunningClock(START, 60, monotonic=ticks)
    ticks.seconds += 2.5
    assert clock.now() == START + timedelta(minutes=2.5)


@pytest.mark.parametrize(
    ("start", "speed", "problem"),
    [
        (START.replace(tzinfo=None), 1.0, "timezone-aware"),
        (START, 0.0, "speed above 0"),
        (START, -2.0, "speed above 0"),
    ],
)
def test_a_running_clock_refuses_a_naive_start_or_a_speed_that_does_not_run(
    start: datetime, speed: float, problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        RunningClock(start, speed)
