"""How often the client may call USCIS: per second, per day, and after a refusal.

USCIS production allows 10 requests a second and 10,000 a day, the day ending at midnight
GMT (domain.md). Everything here runs on the injected clock and sleep, so tests pin time.

- TokenBucket   paces requests (10 a second by default)
- QuotaLedger   the daily budget: an interface, with an in-memory ledger for one process
- RetryPolicy   exponential backoff with jitter; a server's Retry-After wins
"""

import email.utils
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol

from tracker.clock import Clock

DEFAULT_RATE = 10.0
DEFAULT_DAILY_BUDGET = 10_000


def utc_day(clock: Clock) -> date:
    """The quota day: the GMT (UTC) date of the clock, whatever the machine's zone."""
    return clock.now().astimezone(UTC).date()


class TokenBucket:
    """Lets `rate` requests a second through, `burst` of them back to back.

    The default burst is 1, one request every 100 ms: USCIS's gateway is Apigee (its token
    answers are Apigee's), whose spike arrest smooths "10 per second" into one per 100 ms
    and answers 429 to a burst even within the second's ten.

    `acquire` reserves the next slot and sleeps until it, without reading the clock again:
    a clock that does not move while sleeping (a pinned test clock) cannot make it spin.
    """

    def __init__(
        self,
        rate: float = DEFAULT_RATE,
        burst: int = 1,
        *,
        clock: Clock,
        sleep: Callable[[float], None],
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a token bucket needs rate > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._last: datetime | None = None
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Wait until one more request may go out."""
        with self._lock:
            now = self._clock.now()
            if self._last is not None:
                # A clock set back adds nothing rather than taking tokens away.
                elapsed = max(0.0, (now - self._last).total_seconds())
                self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate)
            self._last = now
            self._tokens -= 1.0
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)


class QuotaLedger(Protocol):
    """Counts the requests sent to USCIS each GMT day against a daily budget.

    A ledger shared by every worker (in the database) implements the same three members;
    `try_spend` must check and count in one atomic step.
    """

    @property
    def budget(self) -> int:
        """Requests allowed per day."""
        ...

    def try_spend(self, day: date) -> bool:
        """Count one request on `day`; False, counting nothing, if the budget is spent."""
        ...

    def used(self, day: date) -> int:
        """Requests counted on `day`."""
        ...


class InMemoryQuotaLedger:
    """A QuotaLedger for one process: several workers would each spend the whole budget."""

    def __init__(self, budget: int = DEFAULT_DAILY_BUDGET) -> None:
        if budget < 0:
            raise ValueError("a daily budget cannot be negative")
        self._budget = budget
        self._used: dict[date, int] = {}
        self._lock = threading.Lock()

    @property
    def budget(self) -> int:
        """Requests allowed per day."""
        return self._budget

    def try_spend(self, day: date) -> bool:
        """Count one request on `day`; False, counting nothing, if the budget is spent."""
        with self._lock:
            used = self._used.get(day, 0)
            if used >= self._budget:
                return False
            self._used[day] = used + 1
            return True

    def used(self, day: date) -> int:
        """Requests counted on `day`."""
        with self._lock:
            return self._used.get(day, 0)


@dataclass(frozen=True)
class RetryPolicy:
    """How many times one request is tried, and how long to wait between tries."""

    max_attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 30.0
    # A longer Retry-After is not waited out inside one call (USCIS's answer to a spent
    # daily quota can say hours): the caller gets RateLimited with the hint instead.
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_delay < 0 or self.max_delay < self.base_delay:
            raise ValueError("a retry policy needs max_attempts >= 1, 0 <= base <= max delay")

    def delay(self, attempt: int, retry_after: float | None, jitter: float) -> float:
        """Seconds to wait after failed try number `attempt` (1, 2, ...).

        The server's `retry_after` if it gave one; otherwise `base_delay` doubled per try,
        capped at `max_delay`, of which a random half (`jitter` in [0, 1)) so that workers
        refused together do not come back together.
        """
        if retry_after is not None:
            return max(0.0, retry_after)
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return ceiling / 2 * (1 + jitter)

    def gives_up(self, attempt: int, retry_after: float | None) -> bool:
        """Whether to stop after failed try number `attempt`."""
        too_long = retry_after is not None and retry_after > self.max_retry_after
        return attempt >= self.max_attempts or too_long


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """A Retry-After header in seconds from `now`: delta-seconds or an HTTP date; None when
    absent or unreadable (then the backoff decides)."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; "-0000" parses as naive
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
