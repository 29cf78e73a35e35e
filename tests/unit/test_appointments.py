"""Appointments without a database (`tracker.domain.appointments`): local times that name
one instant or are refused across the DST changes, zone and name checks, the status
moves, and the checks a new appointment passes."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tracker.domain.appointments import (
    DEADLINE_KINDS,
    MOVES,
    AppointmentKind,
    AppointmentStatus,
    appointment_id_of,
    appointment_request,
    appointment_slot,
    check_move,
    local_instant,
    parse_kind,
    parse_status,
    zone_named,
)
from tracker.errors import IllegalTransitionError, InvalidInputError

# Pinned: no test reads the machine's clock.
NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
CHICAGO = "America/Chicago"
S = AppointmentStatus


# --- local_instant -------------------------------------------------------------------


def test_an_ordinary_local_time_is_its_utc_instant() -> None:
    instant = local_instant(datetime(2027, 1, 15, 9, 30), ZoneInfo(CHICAGO))
    assert instant == datetime(2027, 1, 15, 15, 30, tzinfo=UTC)
    assert instant.utcoffset() == timedelta(0)


def test_a_summer_local_time_takes_daylight_time() -> None:
    instant = local_instant(datetime(2027, 7, 15, 9, 30), ZoneInfo(CHICAGO))
    assert instant == datetime(2027, 7, 15, 14, 30, tzinfo=UTC)


def test_a_time_in_the_spring_gap_is_refused_with_the_times_either_side() -> None:
    with pytest.raises(InvalidInputError) as refused:
        local_instant(datetime(2027, 3, 14, 2, 30), ZoneInfo("America/New_York"))
    message = refused.value.message
    assert "2027-03-14 02:30 does not exist in America/New_York" in message
    assert "clocks go forward" in message
    # The times either side of the jump: 02:00 EST becomes 03:00 EDT.
    assert "from 02:00 EST to 03:00 EDT" in message


@pytest.mark.parametrize("minute", [0, 1, 59])
def test_every_minute_of_the_spring_gap_is_refused(minute: int) -> None:
    with pytest.raises(InvalidInputError) as refused:
        local_instant(datetime(2027, 3, 14, 2, minute), ZoneInfo(CHICAGO))
    message = refused.value.message
    assert f"2027-03-14 02:{minute:02d} does not exist in America/Chicago" in message
    assert "from 02:00 CST to 03:00 CDT" in message


def test_a_time_in_the_autumn_overlap_is_refused_with_both_readings() -> None:
    with pytest.raises(InvalidInputError) as refused:
        local_instant(datetime(2027, 11, 7, 1, 30), ZoneInfo(CHICAGO))
    message = refused.value.message
    assert "2027-11-07 01:30 happens twice in America/Chicago" in message
    assert "01:30 CDT (06:30 UTC)" in message
    assert "01:30 CST (07:30 UTC)" in message


def test_the_hours_next_to_a_change_are_not_refused() -> None:
    ny = ZoneInfo("America/New_York")
    assert local_instant(datetime(2027, 3, 14, 1, 59), ny) == datetime(
        2027, 3, 14, 6, 59, tzinfo=UTC
    )
    assert local_instant(datetime(2027, 3, 14, 3, 0), ny) == datetime(2027, 3, 14, 7, 0, tzinfo=UTC)
    chicago = ZoneInfo(CHICAGO)
    assert local_instant(datetime(2027, 11, 7, 2, 0), chicago) == datetime(
        2027, 11, 7, 8, 0, tzinfo=UTC
    )


# --- zones, kinds and statuses ---------------------------------------------------------


@pytest.mark.parametrize("name", ["CST", "EST5EDT", "Mars/Olympus", "", "   "])
def test_a_name_that_is_not_an_iana_zone_is_refused(name: str) -> None:
    with pytest.raises(InvalidInputError, match="not an IANA time zone name"):
        zone_named(name)


def test_an_iana_zone_is_opened_by_name() -> None:
    assert zone_named(" America/Chicago ").key == CHICAGO
    assert zone_named("UTC").key == "UTC"


def test_an_unknown_kind_is_refused_naming_the_kinds() -> None:
    with pytest.raises(InvalidInputError) as refused:
        parse_kind("dentist")
    message = refused.value.message
    assert "'dentist'" in message
    assert "biometrics, uscis_interview, court_hearing, other" in message


def test_an_unknown_status_is_refused_naming_the_statuses() -> None:
    with pytest.raises(InvalidInputError) as refused:
        parse_status("postponed")
    message = refused.value.message
    assert "'postponed'" in message
    assert "scheduled, attended, missed, rescheduled, cancelled" in message


def test_kinds_and_statuses_are_read_by_name() -> None:
    assert parse_kind(" court_hearing ") is AppointmentKind.COURT_HEARING
    assert parse_status("missed") is AppointmentStatus.MISSED


# --- check_move ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "to"),
    [
        (S.SCHEDULED, S.ATTENDED),
        (S.SCHEDULED, S.MISSED),
        (S.SCHEDULED, S.RESCHEDULED),
        (S.SCHEDULED, S.CANCELLED),
        (S.MISSED, S.RESCHEDULED),
    ],
)
def test_an_allowed_move_passes(current: AppointmentStatus, to: AppointmentStatus) -> None:
    check_move(current, to)  # raises IllegalTransitionError if refused
    assert to in MOVES[current]


@pytest.mark.parametrize(
    ("current", "to"),
    [
        (S.ATTENDED, S.MISSED),
        (S.CANCELLED, S.SCHEDULED),
        (S.RESCHEDULED, S.SCHEDULED),
        (S.SCHEDULED, S.SCHEDULED),
        (S.MISSED, S.SCHEDULED),
    ],
)
def test_a_move_not_allowed_is_refused(current: AppointmentStatus, to: AppointmentStatus) -> None:
    with pytest.raises(IllegalTransitionError) as refused:
        check_move(current, to)
    assert f"that is {current} cannot become {to}" in refused.value.message


def test_a_refused_move_from_history_says_so() -> None:
    with pytest.raises(IllegalTransitionError, match="none: it is history"):
        check_move(S.ATTENDED, S.MISSED)


# --- appointment_request ---------------------------------------------------------------


def test_a_valid_request_is_checked_and_normalised() -> None:
    checked = appointment_request(
        kind="court_hearing",
        at="2027-01-15 09:30",
        zone=CHICAGO,
        place="  Immigration   Court,\tChicago ",
        now=NOW,
        duration_minutes=90,
    )
    assert checked.kind is AppointmentKind.COURT_HEARING
    assert checked.local_start == datetime(2027, 1, 15, 9, 30)
    assert checked.zone == CHICAGO
    assert checked.starts_at == datetime(2027, 1, 15, 15, 30, tzinfo=UTC)
    assert checked.place == "Immigration Court, Chicago"
    assert checked.duration_minutes == 90


def test_a_past_appointment_is_refused_unless_it_is_said_to_be_past() -> None:
    at = "2026-12-07 08:59"  # 14:59 UTC, a minute before NOW
    with pytest.raises(InvalidInputError, match="has passed"):
        appointment_request(kind="biometrics", at=at, zone=CHICAGO, place="ASC", now=NOW)
    recorded = appointment_request(
        kind="biometrics", at=at, zone=CHICAGO, place="ASC", now=NOW, past=True
    )
    assert recorded.starts_at == datetime(2026, 12, 7, 14, 59, tzinfo=UTC)


def test_an_appointment_starting_now_is_not_past() -> None:
    checked = appointment_request(
        kind="biometrics", at="2026-12-07 09:00", zone=CHICAGO, place="ASC", now=NOW
    )
    assert checked.starts_at == NOW


@pytest.mark.parametrize(
    ("place", "reason"),
    [
        ("", "the place is empty"),
        ("  \t ", "the place is empty"),
        ("Court\x00Room 4", "control characters"),
        ("Court\x07Room 4", "control characters"),
        ("Court\x1bRoom 4", "control characters"),
        ("x" * 121, "121 characters; at most 120"),
    ],
)
def test_a_bad_place_is_refused(place: str, reason: str) -> None:
    with pytest.raises(InvalidInputError, match=reason):
        appointment_request(
            kind="court_hearing", at="2027-01-15 09:30", zone=CHICAGO, place=place, now=NOW
        )


def test_a_place_of_120_characters_and_by_video_are_accepted() -> None:
    for place in ("x" * 120, "by video"):
        checked = appointment_request(
            kind="uscis_interview", at="2027-01-15 09:30", zone=CHICAGO, place=place, now=NOW
        )
        assert checked.place == place


@pytest.mark.parametrize("minutes", [0, -5, 721])
def test_a_duration_out_of_range_is_refused(minutes: int) -> None:
    with pytest.raises(InvalidInputError, match="give 1 to 720"):
        appointment_request(
            kind="court_hearing",
            at="2027-01-15 09:30",
            zone=CHICAGO,
            place="Court",
            now=NOW,
            duration_minutes=minutes,
        )


@pytest.mark.parametrize("minutes", [1, 720])
def test_a_duration_at_the_bounds_is_accepted(minutes: int) -> None:
    checked = appointment_request(
        kind="court_hearing",
        at="2027-01-15 09:30",
        zone=CHICAGO,
        place="Court",
        now=NOW,
        duration_minutes=minutes,
    )
    assert checked.duration_minutes == minutes


def test_a_date_more_than_five_years_ahead_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="more than 5 years ahead"):
        appointment_request(
            kind="court_hearing", at="2032-12-07 09:30", zone=CHICAGO, place="Court", now=NOW
        )
    five = appointment_request(
        kind="court_hearing", at="2031-12-07 09:30", zone=CHICAGO, place="Court", now=NOW
    )
    assert five.local_start == datetime(2031, 12, 7, 9, 30)


def test_a_request_in_the_spring_gap_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="does not exist"):
        appointment_request(
            kind="court_hearing",
            at="2027-03-14 02:30",
            zone="America/New_York",
            place="Court",
            now=NOW,
        )


def test_a_request_with_a_bad_zone_kind_or_time_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="not an IANA time zone"):
        appointment_request(kind="court_hearing", at="2027-01-15 09:30", zone="CST",
                            place="Court", now=NOW)  # fmt: skip
    with pytest.raises(InvalidInputError, match="unknown appointment kind"):
        appointment_request(kind="hearing", at="2027-01-15 09:30", zone=CHICAGO,
                            place="Court", now=NOW)  # fmt: skip
    with pytest.raises(InvalidInputError, match="is not a local time"):
        appointment_request(kind="court_hearing", at="15/01/2027 9:30", zone=CHICAGO,
                            place="Court", now=NOW)  # fmt: skip


# --- slots -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(AppointmentKind))
def test_a_slot_gives_back_its_appointment_id(kind: AppointmentKind) -> None:
    slot = appointment_slot(kind, 17)
    assert slot == f"{DEADLINE_KINDS[kind].value}:17"
    assert appointment_id_of(slot) == 17


def test_a_court_hearing_slot_is_named_by_its_deadline_kind() -> None:
    assert appointment_slot(AppointmentKind.COURT_HEARING, 17) == "court_hearing:17"
    assert appointment_slot(AppointmentKind.BIOMETRICS, 3) == "biometrics_appointment:3"


@pytest.mark.parametrize(
    "slot",
    ["parole_expiry", "parole_expiry:3", "court_hearing", "court_hearing:", "court_hearing:x"],
)
def test_a_slot_of_another_deadline_has_no_appointment_id(slot: str) -> None:
    assert appointment_id_of(slot) is None
