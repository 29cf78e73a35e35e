"""Appointments: what they are, how their status may move, and how a local time becomes an
instant. Pure: no database, no clock (the caller passes the instant it is now).

An appointment is a local time in the zone of its place (a biometrics centre, a USCIS
office, an immigration court), as the notice prints it. A local time that the zone skips
(the spring change) or has twice (the autumn change) names no single instant: it is
refused with both readings, never guessed.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from tracker.domain.calendar import add_years
from tracker.domain.model import DeadlineKind
from tracker.errors import IllegalTransitionError, InvalidInputError

E = TypeVar("E", bound=StrEnum)


class AppointmentKind(StrEnum):
    """What the person must attend."""

    BIOMETRICS = "biometrics"
    USCIS_INTERVIEW = "uscis_interview"
    COURT_HEARING = "court_hearing"
    OTHER = "other"


class AppointmentStatus(StrEnum):
    """Where an appointment stands; moves are in `MOVES`."""

    SCHEDULED = "scheduled"
    ATTENDED = "attended"
    MISSED = "missed"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"


_A = AppointmentStatus
# A missed appointment may still be rescheduled (USCIS reschedules missed biometrics for
# good cause); attended, rescheduled and cancelled ones are history.
MOVES: dict[AppointmentStatus, frozenset[AppointmentStatus]] = {
    _A.SCHEDULED: frozenset({_A.ATTENDED, _A.MISSED, _A.RESCHEDULED, _A.CANCELLED}),
    _A.MISSED: frozenset({_A.RESCHEDULED, _A.ATTENDED}),
    _A.ATTENDED: frozenset(),
    _A.RESCHEDULED: frozenset(),
    _A.CANCELLED: frozenset(),
}
# The deadline each kind becomes while it is scheduled (config/rules.toml cites each).
DEADLINE_KINDS: dict[AppointmentKind, DeadlineKind] = {
    AppointmentKind.BIOMETRICS: DeadlineKind.BIOMETRICS_APPOINTMENT,
    AppointmentKind.USCIS_INTERVIEW: DeadlineKind.USCIS_INTERVIEW,
    AppointmentKind.COURT_HEARING: DeadlineKind.COURT_HEARING,
    AppointmentKind.OTHER: DeadlineKind.OTHER_APPOINTMENT,
}
APPOINTMENT_DEADLINES = frozenset(DEADLINE_KINDS.values())
# The form of `--at` and of the CSV column: the local time as the notice prints it.
LOCAL_FORMAT = "%Y-%m-%d %H:%M"
PLACE_MAX = 120
SOURCE_MAX = 60
DURATION_MAX_MINUTES = 12 * 60
# Further ahead than this is a typing error, not an appointment.
FURTHEST_YEARS = 5
# Years a local time may name (outside them, zone arithmetic overflows).
EARLIEST_YEAR, LATEST_YEAR = 1900, 2199


class AppointmentError(InvalidInputError):
    """A value of a new appointment is wrong; `field` names which (kind, at, zone, place,
    duration, source_notice), for a form or an import row to point at."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def appointment_slot(kind: AppointmentKind, appointment_id: int) -> str:
    """The slot of the deadline a scheduled appointment becomes (see the rules)."""
    return f"{DEADLINE_KINDS[kind].value}:{appointment_id}"


def appointment_id_of(slot: str) -> int | None:
    """The appointment id in a deadline slot; None for a slot of another deadline."""
    kind, _, key = slot.partition(":")
    if kind not in {k.value for k in APPOINTMENT_DEADLINES} or not key.isdigit():
        return None
    return int(key)


def check_move(current: AppointmentStatus, to: AppointmentStatus) -> None:
    """IllegalTransitionError unless an appointment `current` may become `to`."""
    if to not in MOVES[current]:
        allowed = ", ".join(sorted(MOVES[current])) or "none: it is history"
        raise IllegalTransitionError(
            f"an appointment that is {current} cannot become {to} (allowed: {allowed})"
        )


def parse_kind(text: str) -> AppointmentKind:
    """An appointment kind from its name; InvalidInputError naming the kinds."""
    return _member(AppointmentKind, text, "kind")


def parse_status(text: str) -> AppointmentStatus:
    """An appointment status from its name; InvalidInputError naming the statuses."""
    return _member(AppointmentStatus, text, "status")


def _member(enum: type[E], text: str, what: str) -> E:
    try:
        return enum(text.strip())
    except ValueError:
        names = ", ".join(member.value for member in enum)
        reason = f"unknown appointment {what} {text!r} (use one of: {names})"
        raise InvalidInputError(reason) from None


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone `name` (such as America/Chicago); InvalidInputError otherwise."""
    name = name.strip()
    # ZoneInfo also opens "EST5EDT"-style and file-path names: only IANA area/city names.
    if name not in _iana_zones():
        raise InvalidInputError(
            f"{name!r} is not an IANA time zone name (such as America/Chicago or America/New_York)"
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInputError(f"the time zone {name!r} is not installed") from None


@lru_cache(maxsize=1)
def _iana_zones() -> frozenset[str]:
    return frozenset(z for z in available_timezones() if "/" in z or z == "UTC")


def parse_local(text: str) -> datetime:
    """A local time written YYYY-MM-DD HH:MM (24-hour); InvalidInputError otherwise."""
    try:
        local = datetime.strptime(text.strip(), LOCAL_FORMAT)
    except ValueError:
        raise InvalidInputError(
            f"{text!r} is not a local time: write it YYYY-MM-DD HH:MM, such as 2027-01-15 09:30"
        ) from None
    if not EARLIEST_YEAR <= local.year <= LATEST_YEAR:
        raise InvalidInputError(f"{text!r}: give a year from {EARLIEST_YEAR} to {LATEST_YEAR}")
    return local


def local_instant(local: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of the naive `local` time in `zone`.

    InvalidInputError when the zone skips that time (spring forward) or has it twice
    (fall back), naming what the clock reads around it: the notice is the one to ask.
    """
    early = local.replace(tzinfo=zone, fold=0)
    late = local.replace(tzinfo=zone, fold=1)
    when = local.strftime(LOCAL_FORMAT)
    if early.utcoffset() == late.utcoffset():
        return early.astimezone(ZoneInfo("UTC"))
    # Round-tripping through UTC finds which reading exists: a skipped time comes back
    # as another wall-clock time.
    readings = [r for r in (early, late) if _exists(r)]
    if len(readings) == 2:
        a, b = (r.astimezone(ZoneInfo("UTC")) for r in readings)
        raise InvalidInputError(
            f"{when} happens twice in {zone.key} (the clocks go back that night): it is "
            f"either {_read(early)} ({a:%H:%M} UTC) or {_read(late)} ({b:%H:%M} UTC). "
            "Ask for the time in writing, or enter the time in UTC with --zone UTC"
        )
    # The instant the clocks jump lies between the two readings: find it to the minute.
    low, high = sorted(r.astimezone(ZoneInfo("UTC")) for r in (early, late))
    while high - low > timedelta(minutes=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset():
            low = middle
        else:
            high = middle
    jump = high.replace(second=0, microsecond=0).astimezone(zone)
    gap = (late.utcoffset() or timedelta()) - (early.utcoffset() or timedelta())
    old = low.astimezone(zone).tzname()
    raise InvalidInputError(
        f"{when} does not exist in {zone.key}: that night the clocks go forward from "
        f"{jump - gap:%H:%M} {old} to {jump:%H:%M} {jump.tzname()}. Check the time on the notice"
    )


def _exists(reading: datetime) -> bool:
    back = reading.astimezone(ZoneInfo("UTC")).astimezone(reading.tzinfo)
    return back.replace(tzinfo=None) == reading.replace(tzinfo=None)


def _read(reading: datetime) -> str:
    return f"{reading:%H:%M} {reading.tzname()}"


@contextmanager
def _field(name: str) -> Iterator[None]:
    """Refusals in the block name the field they are about."""
    try:
        yield
    except AppointmentError:
        raise
    except InvalidInputError as exc:
        raise AppointmentError(name, exc.message) from None


@dataclass(frozen=True)
class AppointmentRequest:
    """A new appointment as given, checked: every field is what the store will hold."""

    kind: AppointmentKind
    local_start: datetime
    zone: str
    starts_at: datetime
    place: str
    duration_minutes: int | None = None
    source_notice: str | None = None
    source_date: date | None = None


def appointment_request(
    *,
    kind: str,
    at: str | datetime,
    zone: str,
    place: str,
    now: datetime,
    duration_minutes: int | None = None,
    source_notice: str | None = None,
    source_date: date | None = None,
    past: bool = False,
) -> AppointmentRequest:
    """Check a new appointment; InvalidInputError naming the field at the first fault.

    One in the past is refused unless `past` (recording history).
    """
    with _field("kind"):
        parsed_kind = parse_kind(kind)
    with _field("zone"):
        tz = zone_named(zone)
    with _field("at"):
        local = parse_local(at if isinstance(at, str) else at.strftime(LOCAL_FORMAT))
        starts_at = local_instant(local, tz)
        if starts_at < now and not past:
            raise InvalidInputError(
                f"{local:{LOCAL_FORMAT}} in {tz.key} has passed: to record an appointment "
                "that already happened, mark it so (--past on the command line, "
                '"past": true in the API, "Already happened?" on the case page)'
            )
        if local.date() > add_years(now.date(), FURTHEST_YEARS):
            raise InvalidInputError(
                f"{local:%Y-%m-%d} is more than {FURTHEST_YEARS} years ahead: check the year"
            )
    where = " ".join(place.split())
    with _field("place"):
        if not where:
            raise InvalidInputError(
                'the place is empty: give the address, the court, or "by video"'
            )
        if len(where) > PLACE_MAX:
            raise InvalidInputError(f"the place is {len(where)} characters; at most {PLACE_MAX}")
        if not where.isprintable():
            raise InvalidInputError("the place holds control characters")
    if duration_minutes is not None and not 0 < duration_minutes <= DURATION_MAX_MINUTES:
        raise AppointmentError(
            "duration",
            f"a duration of {duration_minutes} minutes: give 1 to {DURATION_MAX_MINUTES}",
        )
    notice = " ".join(source_notice.split()) if source_notice else None
    if notice is not None and (len(notice) > SOURCE_MAX or not notice.isprintable()):
        raise AppointmentError(
            "source_notice", f"the source notice must be printable, at most {SOURCE_MAX}"
        )
    return AppointmentRequest(
        kind=parsed_kind,
        local_start=local,
        zone=tz.key,
        starts_at=starts_at,
        place=where,
        duration_minutes=duration_minutes,
        source_notice=notice or None,
        source_date=source_date,
    )
