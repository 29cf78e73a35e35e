"""Pacing USCIS requests: the rate limiter, the daily quota and the retry policy."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.fakes.uscis_server import FakeTime
from tracker.clock import FixedClock
from tracker.uscis.ratelimit import (
    InMemoryQuotaLedger,
    RetryPolicy,
    TokenBucket,
    parse_retry_after,
    utc_day,
)

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def test_it_spaces_requests_a_tenth_of_a_second_apart_by_default() -> None:
    time = FakeTime(NOW)
    bucket = TokenBucket(clock=time, sleep=time.sleep)

    for _ in range(4):
        bucket.acquire()

    assert time.sleeps == pytest.approx([0.1, 0.1, 0.1])


def test_a_burst_goes_through_back_to_back_then_waits() -> None:
    time = FakeTime(NOW)
    bucket = TokenBucket(rate=10, burst=3, clock=time, sleep=time.sleep)

    for _ in range(4):
        bucket.acquire()

    assert time.sleeps == pytest.approx([0.1])


def test_idle_time_refills_no_more_than_the_burst() -> None:
    time = FakeTime(NOW)
    bucket = TokenBucket(rate=10, burst=2, clock=time, sleep=time.sleep)
    bucket.acquire()
    time.advance(timedelta(hours=1))

    for _ in range(3):
        bucket.acquire()

    assert time.sleeps == pytest.approx([0.1])


def test_a_clock_that_does_not_move_makes_each_wait_longer_never_a_spin() -> None:
    sleeps: list[float] = []
    bucket = TokenBucket(rate=10, clock=FixedClock(NOW), sleep=sleeps.append)

    for _ in range(3):
        bucket.acquire()

    assert sleeps == pytest.approx([0.1, 0.2])


def test_a_clock_set_back_adds_no_requests() -> None:
    time = FakeTime(NOW)
    bucket = TokenBucket(rate=10, clock=time, sleep=time.sleep)
    bucket.acquire()
    time.advance(timedelta(seconds=-30))

    bucket.acquire()

    assert time.sleeps == pytest.approx([0.1])


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 1), (10, 0)])
def test_a_bucket_needs_a_positive_rate_and_burst(rate: float, burst: int) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate, burst, clock=FixedClock(NOW), sleep=lambda _: None)


def test_the_ledger_spends_up_to_the_budget_and_counts_no_refusal() -> None:
    ledger = InMemoryQuotaLedger(budget=3)
    day = date(2026, 3, 10)

    spent = [ledger.try_spend(day) for _ in range(5)]

    assert spent == [True, True, True, False, False]
    assert ledger.used(day) == 3
    assert ledger.budget == 3


def test_each_day_has_its_own_budget() -> None:
    ledger = InMemoryQuotaLedger(budget=1)

    assert ledger.try_spend(date(2026, 3, 10))
    assert ledger.try_spend(date(2026, 3, 11))
    assert not ledger.try_spend(date(2026, 3, 10))
    assert ledger.used(date(2026, 3, 12)) == 0


def test_a_budget_of_zero_allows_nothing() -> None:
    assert not InMemoryQuotaLedger(budget=0).try_spend(date(2026, 3, 10))


def test_the_default_budget_is_ten_thousand() -> None:
    assert InMemoryQuotaLedger().budget == 10_000


def test_the_quota_day_is_the_gmt_date() -> None:
    """21:00 in New York on 10 March is 01:00 GMT on the 11th: USCIS's new day."""
    evening = datetime(2026, 3, 10, 21, 0, tzinfo=ZoneInfo("America/New_York"))

    assert utc_day(FixedClock(evening)) == date(2026, 3, 11)


def test_retry_after_wins_over_the_backoff() -> None:
    assert RetryPolicy().delay(3, retry_after=7.0, jitter=0.9) == 7.0


@pytest.mark.parametrize(
    ("attempt", "jitter", "delay"),
    [
        (1, 0.0, 0.5),  # half of 1 s ...
        (1, 0.999, 0.9995),  # ... to nearly all of it
        (2, 0.0, 1.0),
        (3, 0.5, 3.0),
        (10, 0.0, 15.0),  # capped at 30 s
        (10, 0.999, 29.985),
    ],
)
def test_the_backoff_doubles_with_jitter_up_to_a_cap(
    attempt: int, jitter: float, delay: float
) -> None:
    assert RetryPolicy().delay(attempt, None, jitter) == pytest.approx(delay)


def test_it_gives_up_after_the_last_try_or_a_long_retry_after() -> None:
    policy = RetryPolicy(max_attempts=3, max_retry_after=60)

    assert not policy.gives_up(2, None)
    assert policy.gives_up(3, None)
    assert not policy.gives_up(1, 60.0)
    assert policy.gives_up(1, 61.0)


@pytest.mark.parametrize(
    ("attempts", "base", "cap"), [(0, 1.0, 30.0), (4, -1.0, 30.0), (4, 10.0, 5.0)]
)
def test_a_retry_policy_refuses_nonsense(attempts: int, base: float, cap: float) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=attempts, base_delay=base, max_delay=cap)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("7", 7.0),
        (" 120 ", 120.0),
        ("Tue, 10 Mar 2026 15:01:30 GMT", 90.0),
        ("Tue, 10 Mar 2026 14:00:00 GMT", 0.0),  # already past
        ("soon", None),
        ("-5", None),
    ],
)
def test_it_reads_retry_after_as_seconds_or_a_date(
    header: str | None, seconds: float | None
) -> None:
    assert parse_retry_after(header, NOW) == seconds
