"""The feed settings (`config/feeds.toml`), parsed and checked (pure)."""

from dataclasses import dataclass
from typing import Any

from tracker.domain.toml_locator import TomlLocator, parse_toml

KEYS = (
    "alarm_days",
    "appointment_alarm_minutes",
    "reminder_events",
    "cancelled_days",
    "refresh_hours",
    "rate_limit_per_minute",
)


@dataclass(frozen=True)
class FeedPolicy:
    """How feeds alarm, remind, keep cancelled events, and how often they may be fetched."""

    alarm_days: tuple[int, ...]
    # Alarms before an appointment starts, in minutes, furthest first.
    appointment_alarm_minutes: tuple[int, ...]
    reminder_events: bool
    cancelled_days: int
    refresh_hours: int
    rate_limit_per_minute: int


def parse_feed_policy(text: str, source: str) -> FeedPolicy:
    """Parse the feed settings; a problem raises ConfigError with its line."""
    data = parse_toml(text, source)
    where = TomlLocator(text, source)
    where.check_keys(data, KEYS)
    days = data["alarm_days"]
    if not isinstance(days, list) or not all(_whole(d, 0) for d in days):
        raise where.error(None, None, "alarm_days", "must be a list of whole days, 0 or more")
    minutes = data["appointment_alarm_minutes"]
    if not isinstance(minutes, list) or not all(_whole(m, 1) for m in minutes):
        raise where.error(
            None, None, "appointment_alarm_minutes", "must be a list of whole minutes, 1 or more"
        )
    if not isinstance(data["reminder_events"], bool):
        raise where.error(None, None, "reminder_events", "must be true or false")
    for key in ("cancelled_days", "refresh_hours", "rate_limit_per_minute"):
        if not _whole(data[key], 1):
            raise where.error(None, None, key, "must be a whole number of at least 1")
    return FeedPolicy(
        alarm_days=tuple(sorted(set(days), reverse=True)),
        appointment_alarm_minutes=tuple(sorted(set(minutes), reverse=True)),
        reminder_events=data["reminder_events"],
        cancelled_days=data["cancelled_days"],
        refresh_hours=data["refresh_hours"],
        rate_limit_per_minute=data["rate_limit_per_minute"],
    )


def _whole(value: Any, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum
