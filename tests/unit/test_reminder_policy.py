"""The reminder policy file, and local sending times across time zones and DST changes."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tracker.alerts.policy import ReminderPolicy, next_allowed, parse_policy, reminder_due
from tracker.domain.model import DeadlineKind, Status
from tracker.errors import ConfigError

from ..conftest import ROOT

NY = "America/New_York"


@pytest.fixture(scope="module")
def policy() -> ReminderPolicy:
    return parse_policy((ROOT / "config" / "reminders.toml").read_text(), "reminders.toml")


def test_it_reads_the_shipped_policy(policy: ReminderPolicy) -> None:
    assert policy.send_time == time(10)
    assert (policy.window_start, policy.window_end) == (time(9), time(20))
    assert policy.offsets[DeadlineKind.PAROLE_EXPIRY] == (180, 90, 60, 30, 14, 7, 3, 1, 0)
    assert policy.offsets[DeadlineKind.REPAROLE_FILE_BY] == (14, 0)
    assert policy.offsets[DeadlineKind.ASYLUM_ONE_YEAR] == (90, 30, 14, 7, 1)
    assert not policy.reminds(DeadlineKind.PAROLE_EXPIRY, Status.EXPIRED)
    assert policy.reminds(DeadlineKind.UNLAWFUL_PRESENCE_180, Status.EXPIRED)


@pytest.mark.parametrize(
    ("act_by", "offset", "zone", "expected_utc"),
    [
        # The day before the spring change (EST, UTC-5) and the day of it (EDT, UTC-4).
        (date(2027, 3, 13), 0, NY, datetime(2027, 3, 13, 15, 0, tzinfo=UTC)),
        (date(2027, 3, 14), 0, NY, datetime(2027, 3, 14, 14, 0, tzinfo=UTC)),
        # The autumn change.
        (date(2027, 11, 7), 0, NY, datetime(2027, 11, 7, 15, 0, tzinfo=UTC)),
        (date(2027, 11, 6), 0, NY, datetime(2027, 11, 6, 14, 0, tzinfo=UTC)),
        # Offsets count back in local days; Arizona keeps no DST; Kabul is UTC+4:30.
        (date(2027, 3, 21), 7, NY, datetime(2027, 3, 14, 14, 0, tzinfo=UTC)),
        (date(2027, 3, 14), 0, "America/Phoenix", datetime(2027, 3, 14, 17, 0, tzinfo=UTC)),
        (date(2027, 3, 14), 0, "Asia/Kabul", datetime(2027, 3, 14, 5, 30, tzinfo=UTC)),
    ],
)
def test_it_sends_at_ten_local_on_the_reminder_day(
    policy: ReminderPolicy, act_by: date, offset: int, zone: str, expected_utc: datetime
) -> None:
    due = reminder_due(act_by, offset, zone, policy)
    assert due == expected_utc
    assert due.astimezone(ZoneInfo(zone)).time() == time(10)


def test_it_keeps_every_due_instant_at_ten_local_through_a_year_of_dst(
    policy: ReminderPolicy,
) -> None:
    for zone in (NY, "America/Chicago", "America/Anchorage", "Pacific/Honolulu", "Europe/Kyiv"):
        for n in range(366):
            act_by = date(2027, 1, 1) + timedelta(days=n)
            local = reminder_due(act_by, 0, zone, policy).astimezone(ZoneInfo(zone))
            assert (local.date(), local.time()) == (act_by, time(10)), (zone, act_by)


@pytest.mark.parametrize(
    ("local_now", "expected_local"),
    [
        (datetime(2027, 3, 14, 8, 59), datetime(2027, 3, 14, 9, 0)),
        (datetime(2027, 3, 14, 9, 0), datetime(2027, 3, 14, 9, 0)),
        (datetime(2027, 3, 14, 19, 59), datetime(2027, 3, 14, 19, 59)),
        (datetime(2027, 3, 14, 20, 0), datetime(2027, 3, 15, 9, 0)),
        (datetime(2027, 3, 13, 23, 30), datetime(2027, 3, 14, 9, 0)),
        # 02:30 does not exist on 2027-03-14 in New York; zoneinfo folds it forward.
        (datetime(2027, 3, 14, 1, 30), datetime(2027, 3, 14, 9, 0)),
    ],
)
def test_it_moves_a_late_message_into_the_next_civil_window(
    policy: ReminderPolicy, local_now: datetime, expected_local: datetime
) -> None:
    zone = ZoneInfo(NY)
    allowed = next_allowed(local_now.replace(tzinfo=zone), NY, policy)
    assert allowed == expected_local.replace(tzinfo=zone)


@pytest.mark.parametrize(
    ("change", "broken", "reason"),
    [
        ('send_time = "10:00"', 'send_time = "ten"', "local time"),
        ("rate_per_second = 3", "rate_per_second = 0", "at least"),
        ("parole_expiry = [180", "parole_expirey = [180", "unknown deadline kind"),
        ("reparole_window_opens = [0]", "reparole_window_opens = [-1]", "whole days"),
        ("expired = [", "expird = [", "unknown status"),
    ],
)
def test_it_reports_a_bad_policy_with_its_line(change: str, broken: str, reason: str) -> None:
    text = (ROOT / "config" / "reminders.toml").read_text()
    line = text[: text.index(change)].count("\n") + 1
    with pytest.raises(ConfigError) as caught:
        parse_policy(text.replace(change, broken, 1), "reminders.toml")
    assert reason in caught.value.reason
    assert caught.value.line == line
    assert str(caught.value).startswith(f"reminders.toml:{line}:")


def test_it_refuses_a_send_time_outside_the_window() -> None:
    text = (ROOT / "config" / "reminders.toml").read_text().replace('"10:00"', '"21:00"', 1)
    with pytest.raises(ConfigError, match="inside window"):
        parse_policy(text, "reminders.toml")
