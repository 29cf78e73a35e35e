"""The reminder policy (`config/reminders.toml`) and the local-time arithmetic it needs.

Pure: parsing takes text, and the time functions take the instant and zone they use.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tracker.domain.appointments import APPOINTMENT_DEADLINES
from tracker.domain.model import DeadlineKind, Status
from tracker.domain.toml_locator import TomlLocator, parse_toml
from tracker.sms.segments import is_gsm7

# Twilio takes a body of at most 1,600 characters: 10 GSM-7 segments, 23 UCS-2 ones.
MAX_SEGMENTS = {"gsm7": 10, "ucs2": 23}
# The kinds of text with a budget of their own (`[segment_budgets]` in reminders.toml).
BUDGETS = ("text", "with_notes", "list", "dates", "appointment")


@dataclass(frozen=True)
class SegmentBudget:
    """The most segments a text may cost, by the encoding it goes in."""

    gsm7: int
    ucs2: int

    def of(self, text: str) -> int:
        """The budget for `text`: GSM-7 if every character is, else UCS-2."""
        return self.gsm7 if is_gsm7(text) else self.ucs2


KEYS = {
    "send_time", "window_start", "window_end", "rate_per_second", "max_attempts",
    "retry_base_seconds", "lease_seconds", "segment_budgets", "contact_chars",
    "cost_per_segment_usd",
    "offsets", "suppressed_in_status", "plan_horizon_days", "catch_up_days",
    "appointment_day_of_time", "appointment_lead_minutes",
}  # fmt: skip


@dataclass(frozen=True)
class ReminderPolicy:
    """When reminders go out, how often, and how hard the dispatcher tries."""

    send_time: time
    window_start: time
    window_end: time
    rate_per_second: float
    max_attempts: int
    retry_base_seconds: int
    lease_seconds: int
    # By kind of text (BUDGETS): a reminder with notes, a list of dates, may be longer.
    segment_budgets: dict[str, SegmentBudget]
    # The budget check assumes a {contact} at least this long (see tracker.alerts.budget).
    contact_chars: int
    cost_per_segment_usd: float
    plan_horizon_days: int
    catch_up_days: int
    offsets: dict[DeadlineKind, tuple[int, ...]]
    suppressed_in_status: dict[Status, frozenset[DeadlineKind]]
    # An appointment's reminder on its own day goes at this local time, and only if it
    # arrives this long before the appointment starts.
    appointment_day_of_time: time = time(9, 0)
    appointment_lead_minutes: int = 60

    def reminds(self, kind: DeadlineKind, status: Status) -> bool:
        """True if deadlines of `kind` get reminders while a case is in `status`."""
        return kind in self.offsets and kind not in self.suppressed_in_status.get(status, ())


def reminder_due(
    act_by: date,
    offset_days: int,
    zone: str,
    policy: ReminderPolicy,
    kind: DeadlineKind | None = None,
) -> datetime:
    """The instant a reminder `offset_days` before `act_by` is due: send time, local; for
    an appointment on its own day, the morning time."""
    local_day = act_by - timedelta(days=offset_days)
    at = policy.send_time
    if kind in APPOINTMENT_DEADLINES and offset_days == 0:
        at = policy.appointment_day_of_time
    # zoneinfo resolves DST for us; 09:00 or 10:00 is never inside a U.S. clock change.
    return datetime.combine(local_day, at, ZoneInfo(zone))


def too_late(due: datetime, starts_at: datetime | None, policy: ReminderPolicy) -> bool:
    """True for a reminder of an appointment that would not arrive
    `appointment_lead_minutes` before it starts: it is not sent."""
    lead = timedelta(minutes=policy.appointment_lead_minutes)
    return starts_at is not None and due > starts_at - lead


def next_allowed(instant: datetime, zone: str, policy: ReminderPolicy) -> datetime:
    """`instant` if it falls inside the local sending window, else the window's next opening."""
    local = instant.astimezone(ZoneInfo(zone))
    if policy.window_start <= local.time() < policy.window_end:
        return instant
    day = local.date() if local.time() < policy.window_start else local.date() + timedelta(days=1)
    return datetime.combine(day, policy.window_start, ZoneInfo(zone))


def local_date(instant: datetime, zone: str) -> date:
    """The calendar date of `instant` in `zone`."""
    return instant.astimezone(ZoneInfo(zone)).date()


def parse_policy(text: str, source: str) -> ReminderPolicy:
    """Parse and check the reminder policy; a problem raises ConfigError with its line."""
    data = parse_toml(text, source)
    where = TomlLocator(text, source)
    where.check_keys(data, KEYS)
    policy = ReminderPolicy(
        send_time=_time(data, "send_time", where),
        window_start=_time(data, "window_start", where),
        window_end=_time(data, "window_end", where),
        rate_per_second=_number(data, "rate_per_second", where),
        max_attempts=int(_number(data, "max_attempts", where, whole=True)),
        retry_base_seconds=int(_number(data, "retry_base_seconds", where, whole=True)),
        lease_seconds=int(_number(data, "lease_seconds", where, whole=True)),
        segment_budgets=_budgets(data["segment_budgets"], where),
        contact_chars=int(_number(data, "contact_chars", where, whole=True)),
        cost_per_segment_usd=_number(data, "cost_per_segment_usd", where, minimum=0),
        plan_horizon_days=int(_number(data, "plan_horizon_days", where, whole=True)),
        catch_up_days=int(_number(data, "catch_up_days", where, whole=True)),
        offsets=_offsets(data["offsets"], where),
        suppressed_in_status=_suppressed(data["suppressed_in_status"], where),
        appointment_day_of_time=_time(data, "appointment_day_of_time", where),
        appointment_lead_minutes=int(
            _number(data, "appointment_lead_minutes", where, whole=True, minimum=0)
        ),
    )
    for key in ("send_time", "appointment_day_of_time"):
        if not policy.window_start <= getattr(policy, key) < policy.window_end:
            raise where.error(None, None, key, "must fall inside window_start..window_end")
    return policy


def _time(data: dict[str, Any], key: str, where: TomlLocator) -> time:
    value = data[key]
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        try:
            return time.fromisoformat(value)
        except ValueError:
            pass
    raise where.error(None, None, key, 'write a local time like "10:00"')


def _number(
    data: dict[str, Any], key: str, where: TomlLocator, *, whole: bool = False, minimum: float = 1
) -> float:
    value = data[key]
    wrong_type = isinstance(value, bool) or not isinstance(value, int | float)
    if wrong_type or (whole and not isinstance(value, int)) or value < minimum:
        kind = "a whole number" if whole else "a number"
        raise where.error(None, None, key, f"must be {kind} of at least {minimum:g}")
    return float(value)


def _budgets(raw: Any, where: TomlLocator) -> dict[str, SegmentBudget]:
    if not isinstance(raw, dict):
        raise where.error(None, None, "segment_budgets", "write it as a [segment_budgets] table")
    budgets = {}
    for name, value in raw.items():
        if name not in BUDGETS:
            reason = "unknown kind of text; use " + ", ".join(BUDGETS)
            raise where.error("segment_budgets", 0, name, reason)
        valid = isinstance(value, dict) and set(value) == {"gsm7", "ucs2"}
        if valid:
            valid = all(type(v) is int and 1 <= v <= MAX_SEGMENTS[k] for k, v in value.items())
        if not valid:
            reason = (
                "write { gsm7 = 3, ucs2 = 5 }: whole segments, at most 10 GSM-7 or 23 UCS-2 "
                "(Twilio takes 1,600 characters)"
            )
            raise where.error("segment_budgets", 0, name, reason)
        budgets[name] = SegmentBudget(value["gsm7"], value["ucs2"])
    for name in BUDGETS:
        if name not in budgets:
            raise where.table_error("segment_budgets", f"missing budget {name!r}")
    return budgets


def _offsets(raw: Any, where: TomlLocator) -> dict[DeadlineKind, tuple[int, ...]]:
    if not isinstance(raw, dict):
        raise where.error(None, None, "offsets", "must be a table of deadline kinds")
    offsets = {}
    for name, days in raw.items():
        kind = _kind(name, where, "offsets")
        valid = isinstance(days, list) and all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in days
        )
        if not valid:
            raise where.error("offsets", 0, name, "must be a list of whole days, 0 or more")
        offsets[kind] = tuple(sorted(set(days), reverse=True))
    return offsets


def _suppressed(raw: Any, where: TomlLocator) -> dict[Status, frozenset[DeadlineKind]]:
    if not isinstance(raw, dict):
        raise where.error(None, None, "suppressed_in_status", "must be a table of statuses")
    suppressed = {}
    for name, kinds in raw.items():
        try:
            status = Status(name)
        except ValueError:
            raise where.error("suppressed_in_status", 0, name, "unknown status") from None
        if not isinstance(kinds, list):
            raise where.error("suppressed_in_status", 0, name, "must be a list of kinds")
        suppressed[status] = frozenset(_kind(k, where, "suppressed_in_status") for k in kinds)
    return suppressed


def _kind(name: Any, where: TomlLocator, table: str) -> DeadlineKind:
    try:
        return DeadlineKind(name)
    except ValueError:
        allowed = ", ".join(k.value for k in DeadlineKind)
        raise where.error(
            table, 0, str(name), f"unknown deadline kind; use one of {allowed}"
        ) from None
