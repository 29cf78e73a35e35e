"""config/feeds.toml: the shipped file parses; every mistake names its line."""

import pytest

from tracker.errors import ConfigError
from tracker.feeds.policy import FeedPolicy, parse_feed_policy

from ..conftest import ROOT

GOOD = """\
alarm_days = [7, 30, 7]
reminder_events = false
cancelled_days = 30
refresh_hours = 6
rate_limit_per_minute = 30
appointment_alarm_minutes = [1440, 120]
"""


def with_line(number: int, line: str) -> str:
    """GOOD with its line `number` (1-based) replaced."""
    lines = GOOD.splitlines()
    lines[number - 1] = line
    return "\n".join(lines) + "\n"


def test_it_parses_the_shipped_feed_settings() -> None:
    path = ROOT / "config" / "feeds.toml"

    policy = parse_feed_policy(path.read_text(encoding="utf-8"), str(path))

    assert policy == FeedPolicy(
        alarm_days=(30, 7),
        appointment_alarm_minutes=(1440, 120),
        reminder_events=False,
        cancelled_days=30,
        refresh_hours=6,
        rate_limit_per_minute=30,
    )


def test_it_sorts_and_deduplicates_alarm_days() -> None:
    assert parse_feed_policy(GOOD, "feeds.toml").alarm_days == (30, 7)
    assert parse_feed_policy(with_line(1, "alarm_days = [0]"), "f").alarm_days == (0,)
    assert parse_feed_policy(with_line(1, "alarm_days = []"), "f").alarm_days == ()


@pytest.mark.parametrize(
    ("line", "text", "reason"),
    [
        (1, "alarm_days = 7", "alarm_days: must be a list"),
        (1, "alarm_days = [30, -1]", "alarm_days: must be a list"),
        (1, "alarm_days = [30, 7.5]", "alarm_days: must be a list"),
        (1, "alarm_days = [true]", "alarm_days: must be a list"),
        (2, 'reminder_events = "yes"', "reminder_events: must be true or false"),
        (3, "cancelled_days = 0", "cancelled_days: must be a whole number of at least 1"),
        (3, "cancelled_days = true", "cancelled_days: must be a whole number"),
        (4, "refresh_hours = 1.5", "refresh_hours: must be a whole number"),
        (5, 'rate_limit_per_minute = "30"', "rate_limit_per_minute: must be a whole number"),
        (5, "rate_limit_per_minute = -3", "rate_limit_per_minute: must be a whole number"),
    ],
)
def test_it_names_the_line_of_a_bad_value(line: int, text: str, reason: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_feed_policy(with_line(line, text), "config/feeds.toml")

    assert raised.value.line == line
    assert raised.value.source == "config/feeds.toml"
    assert reason in raised.value.reason
    assert str(raised.value).startswith(f"config/feeds.toml:{line}: ")


def test_it_names_the_line_of_an_unknown_key() -> None:
    text = GOOD + "\n# a comment\nalarm_hour = 9\n"

    with pytest.raises(ConfigError) as raised:
        parse_feed_policy(text, "feeds.toml")

    assert raised.value.line == 9
    assert "alarm_hour: unknown key" in raised.value.reason


def test_it_names_a_missing_key() -> None:
    text = "\n".join(line for line in GOOD.splitlines() if "refresh_hours" not in line)

    with pytest.raises(ConfigError) as raised:
        parse_feed_policy(text, "feeds.toml")

    assert "missing key 'refresh_hours'" in raised.value.reason


def test_it_names_the_line_of_a_syntax_error() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_feed_policy(with_line(4, "refresh_hours = = 6"), "feeds.toml")

    assert raised.value.line == 4
    assert "not valid TOML" in raised.value.reason
