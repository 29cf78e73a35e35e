"""Fault drills on the services the tracker depends on: Twilio answering 500 for a minute
(and, to creates only, for seven) under a running `tracker worker`, and USCIS down for a
whole day under the poller. On SQLite and on PostgreSQL.

After each: no alert lost, none sent twice, the work resumed without a restart, and the
trouble is in the logs (naming no one) and in the metrics.
"""

import logging
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tracker.clock import RunningClock
from tracker.domain.model import AlertState
from tracker.uscis.ratelimit import utc_day
from tracker.web.app import create_app

from ..conftest import NOW
from .uscis_support import Filed, receipt, uscis_world
from .worker_support import (
    Workers,
    assert_no_personal_data,
    import_cases,
    metric,
    terminate,
    wait_until,
    workers,
)

CASES = 30
RATE_PER_SECOND = 20
# The worker's clock and ticks run a minute per second: the outage lasts one real second.
SPEED = 60.0
OUTAGE = timedelta(minutes=1)
# Longer than five attempts last when each is retried a minute after the one before;
# shorter than the eight minutes at least that they span with growing waits.
LONG_OUTAGE = timedelta(minutes=7)
LONG_SPEED = 2 * SPEED


@contextmanager
def paced(database_url: str, folder: Path, speed: float) -> Iterator[Workers]:
    """Workers whose "Twilio" keeps their pace: its outages last the workers' minutes."""
    clock = RunningClock(NOW, speed)
    with workers(
        database_url, folder, rate_per_second=RATE_PER_SECOND, twilio_clock=clock.now
    ) as made:
        yield made


@pytest.fixture
def drill(database_url: str, tmp_path: Path) -> Iterator[Workers]:
    with paced(database_url, tmp_path, SPEED) as made:
        yield made


def test_it_rides_out_twilio_answering_500_for_a_minute(drill: Workers) -> None:
    phones = import_cases(drill.app.engine, drill.app, drill.folder, CASES)
    # Every request fails for a minute from the first one; every other failed create was
    # carried out all the same (a 500 after the message went: "maybe sent").
    drill.twilio.outage(OUTAGE.total_seconds(), 500, method=None, carried_out_every=2)
    worker = drill.worker(NOW, SPEED)
    try:
        wait_until(lambda: all_sent(drill), "every alert sent after the outage", worker)
        errors = worker.metric("tracker_sms_errors_total", code="20500", kind="maybe_sent")
    finally:
        output = terminate(worker)

    failed = drill.twilio.outage_failures
    assert 0 < failed < CASES, "the outage did not land mid-batch"
    sent = drill.twilio.sent
    assert Counter(m.to for m in sent) == Counter(phones), "a duplicate or a missing message"
    alerts = drill.alerts()
    assert {a.provider_sid for a in alerts} == {m.sid for m in sent}
    # A 500 may have sent it: each failed alert waited for the reconcile delay, then was
    # found in Twilio's list (carried out) or tried again (not): at most two attempts.
    attempts = Counter(a.attempts for a in alerts)
    assert attempts[2] == failed - failed // 2, attempts
    assert attempts[1] == CASES - attempts[2], attempts
    assert errors == failed
    warnings = re.findall(
        r"(?m)^\S+ \S+ WARNING tracker\.sms\.twilio_backend: SMS to (.*)$", output
    )
    assert len(warnings) == failed
    assert all("not accepted: maybe_sent: HTTP 500" in w and "(code 20500)" in w for w in warnings)
    assert_no_personal_data(output)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_it_spreads_its_retries_over_a_long_outage_of_twilio_creates(
    database_url: str, tmp_path: Path
) -> None:
    """Creates answer 500 for seven minutes while the message list still answers: each
    lookup finds nothing and the alert is tried again. The waits grow, so the five attempts
    span the outage instead of running out inside it (one database suffices: it is about
    timing, not the store). Few alerts: a pass paces its sends in real time, which at
    `--speed` stretches the worker's minutes between attempts."""
    with paced(database_url, tmp_path, LONG_SPEED) as drill:
        phones = import_cases(drill.app.engine, drill.app, drill.folder, 3)
        drill.twilio.outage(LONG_OUTAGE.total_seconds(), 500, method="POST")
        worker = drill.worker(NOW, LONG_SPEED)
        try:
            wait_until(lambda: settled(drill), "every alert settled after the outage", worker)
        finally:
            output = terminate(worker)
        alerts = drill.alerts()
        sent = drill.twilio.sent
        max_attempts = drill.app.composer.policy.max_attempts
    assert Counter(a.state for a in alerts) == {AlertState.SENT: len(phones)}, [
        (a.attempts, a.reason) for a in alerts if a.state != AlertState.SENT
    ]
    assert Counter(m.to for m in sent) == Counter(phones)
    assert max(a.attempts for a in alerts) <= max_attempts
    assert_no_personal_data(output)


def all_sent(drill: Workers) -> bool:
    return all(a.state == AlertState.SENT for a in drill.alerts())


def settled(drill: Workers) -> bool:
    return all(a.state in (AlertState.SENT, AlertState.FAILED) for a in drill.alerts())


# -- USCIS ---------------------------------------------------------------------------------

FILINGS = 30
BUDGET = 48
# The first hour of a GMT day, after NOW: the quota counts by GMT day.
DOWN = datetime(2026, 11, 30, 0, 30, tzinfo=UTC)


def test_it_spends_one_request_an_hour_while_uscis_is_down_for_a_day_then_catches_up(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    filings = [
        Filed(f"U{n}", receipt(n), date(2027, 2, 1) + timedelta(days=n)) for n in range(FILINGS)
    ]
    with uscis_world(database_url, tmp_path, DOWN, uscis_daily_budget=BUDGET) as world:
        world.file(*filings)
        ledger = world.app.uscis_ledger()

        def spent_today() -> float:
            """What an operator's dashboard shows: the day's USCIS spend (GET /metrics)."""
            with TestClient(create_app(world.app)) as web:
                return metric(web.get("/metrics").text, "tracker_uscis_quota_used")

        world.uscis.closed = True
        with caplog.at_level(logging.INFO, logger="tracker"):
            # The hourly job, all day: each run asks once, hears 503, and gives its share back.
            for hour in range(24):
                if hour:
                    world.time.advance(timedelta(hours=1))
                outcome = world.poll()
                assert (outcome.polled, outcome.changed) == (0, 0)
                assert outcome.stopped is not None and "HTTP 503" in outcome.stopped
            # The day's last hour: its requests spent, and not one status read.
            assert spent_today() == ledger.used(DOWN.date()) == 24
            assert all(world.statuses(f.receipt) == [] for f in filings)
            world.time.advance(timedelta(hours=1))

            # Back the next day: the hourly shares read every filing within the day's budget.
            world.uscis.closed = False
            back = utc_day(world.time)
            assert back == DOWN.date() + timedelta(days=1)
            runs = 0
            while any(world.statuses(f.receipt) == [] for f in filings):
                runs += 1
                assert runs <= 24, "not caught up within the day"
                outcome = world.poll()
                assert outcome.stopped is None
                world.time.advance(timedelta(hours=1))
            spent = spent_today()
        assert ledger.used(back) == spent == FILINGS <= BUDGET
        reads = world.read_receipts()
    # One probe an hour while down; then each filing read once: nothing lost, none twice.
    assert len(reads) == 24 + FILINGS
    assert Counter(reads[24:]) == Counter(f.receipt for f in filings)
    stops = [r for r in caplog.records if "USCIS poll stopped" in r.getMessage()]
    assert len(stops) == 24 and {r.levelno for r in stops} == {logging.WARNING}
    assert "USCIS is unavailable (HTTP 503" in stops[0].getMessage()
    assert_no_personal_data(caplog.text)
