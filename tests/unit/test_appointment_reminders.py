"""Appointment reminders through the planner's core (`tracker.alerts.schedule`): the
shipped offsets [7, 3, 1, 0] at the send time, the day-of text in the morning and only
with the policy's lead before the start, across both 2027 DST changes and between zones;
a moved appointment's message instead of catch-ups; two hearings on one day."""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tracker.alerts.schedule import (
    APPOINTMENT_MOVED,
    WELCOME,
    CaseNow,
    DeadlineView,
    Held,
    Wanted,
    plan,
    reminders_of,
)
from tracker.domain.appointments import local_instant
from tracker.domain.model import AlertState, DeadlineKind, Status

from .test_schedule import PHONE, POLICY

CHICAGO = "America/Chicago"
HEARING = DeadlineKind.COURT_HEARING
SLOT = "court_hearing:1"


def hearing(day: date, at: time, zone: str, slot: str = SLOT) -> DeadlineView:
    """A court hearing at local `at` on `day` in `zone` (its act-by date is that day)."""
    starts_at = local_instant(datetime.combine(day, at), ZoneInfo(zone))
    return DeadlineView(HEARING, day, slot, starts_at=starts_at)


def case_of(zone: str, *deadlines: DeadlineView) -> CaseNow:
    """A paroled case in `zone` whose only deadlines are `deadlines`."""
    return CaseNow(Status.PAROLED, zone, max(d.act_by for d in deadlines), PHONE, deadlines)


def every_reminder(case: CaseNow, first: date, last: date) -> dict[int, Wanted]:
    """Every reminder planned for the case's one deadline by a sweep at 00:00 UTC each day
    from `first` to `last` (a fresh look each time: nothing to catch up), by offset."""
    found: dict[int, Wanted] = {}
    day = datetime.combine(first, time(0), UTC)
    while day.date() <= last:
        wanted, stale = reminders_of(case.deadlines, case, POLICY, day, day)
        assert stale == set()
        for w in wanted:
            assert found.setdefault(w.offset, w) == w, (w, found[w.offset])
        day += timedelta(days=1)
    return found


def local_times(found: dict[int, Wanted], zone: str) -> dict[int, tuple[date, time]]:
    """The local day and time of each reminder in `zone`."""
    local = {o: w.due.astimezone(ZoneInfo(zone)) for o, w in found.items()}
    return {o: (d.date(), d.time()) for o, d in local.items()}


def test_the_shipped_policy_reminds_appointments_seven_three_one_and_zero_days_before() -> None:
    assert POLICY.offsets[HEARING] == (7, 3, 1, 0)
    assert POLICY.send_time == time(10)
    assert POLICY.appointment_day_of_time == time(9)
    assert POLICY.appointment_lead_minutes == 60


def test_a_hearing_after_the_spring_change_is_reminded_at_ten_local_on_both_sides() -> None:
    # Clocks in Chicago go forward on Sunday 2027-03-14: CST (UTC-6) before, CDT after.
    case = case_of(CHICAGO, hearing(date(2027, 3, 16), time(13), CHICAGO))
    found = every_reminder(case, date(2027, 3, 1), date(2027, 3, 16))
    assert local_times(found, CHICAGO) == {
        7: (date(2027, 3, 9), time(10)),
        3: (date(2027, 3, 13), time(10)),
        1: (date(2027, 3, 15), time(10)),
        0: (date(2027, 3, 16), time(9)),
    }
    # The same local hour is a different UTC hour once the clocks changed.
    assert {o: w.due.astimezone(UTC).hour for o, w in found.items()} == {7: 16, 3: 16, 1: 15, 0: 14}
    assert all(w.kind == "court_hearing" and w.slot == SLOT for w in found.values())
    assert all(w.about == date(2027, 3, 16) and w.recipient == PHONE for w in found.values())


def test_a_hearing_after_the_autumn_change_is_reminded_at_ten_local_on_both_sides() -> None:
    # Clocks in Chicago go back on Sunday 2027-11-07: CDT (UTC-5) before, CST after.
    case = case_of(CHICAGO, hearing(date(2027, 11, 9), time(13), CHICAGO))
    found = every_reminder(case, date(2027, 10, 25), date(2027, 11, 9))
    assert local_times(found, CHICAGO) == {
        7: (date(2027, 11, 2), time(10)),
        3: (date(2027, 11, 6), time(10)),
        1: (date(2027, 11, 8), time(10)),
        0: (date(2027, 11, 9), time(9)),
    }
    assert {o: w.due.astimezone(UTC).hour for o, w in found.items()} == {7: 15, 3: 15, 1: 16, 0: 15}


def test_a_hearing_on_the_day_of_a_change_is_reminded_that_morning() -> None:
    case = case_of(CHICAGO, hearing(date(2027, 3, 14), time(13), CHICAGO))
    found = every_reminder(case, date(2027, 3, 1), date(2027, 3, 14))
    assert local_times(found, CHICAGO)[0] == (date(2027, 3, 14), time(9))
    assert found[0].due == datetime(2027, 3, 14, 14, 0, tzinfo=UTC)


def test_an_early_hearing_gets_no_day_of_reminder_but_keeps_the_others() -> None:
    # A 09:00 text for a 09:30 hearing would come within the hour's lead: it is not sent.
    case = case_of(CHICAGO, hearing(date(2027, 3, 16), time(9, 30), CHICAGO))
    found = every_reminder(case, date(2027, 3, 1), date(2027, 3, 16))
    assert sorted(found) == [1, 3, 7]
    assert local_times(found, CHICAGO)[1] == (date(2027, 3, 15), time(10))


def test_a_hearing_exactly_the_lead_after_the_morning_text_keeps_it() -> None:
    case = case_of(CHICAGO, hearing(date(2027, 3, 16), time(10), CHICAGO))
    found = every_reminder(case, date(2027, 3, 1), date(2027, 3, 16))
    assert sorted(found) == [0, 1, 3, 7]


def test_the_planner_itself_leaves_out_the_day_of_text_of_an_early_hearing() -> None:
    case = case_of(CHICAGO, hearing(date(2027, 3, 16), time(9, 30), CHICAGO))
    # The evening before: the horizon covers the morning of the hearing.
    now = datetime(2027, 3, 16, 1, 0, tzinfo=UTC)
    # Planned since just now: nothing passed to catch up.
    welcome = Held(WELCOME, case.end, 0, PHONE, AlertState.SENT, now, now)
    result = plan(case, [welcome], POLICY, now)
    assert [(w.kind, w.offset) for w in result.add] == []
    # Without the lead the day-of text would have been in the plan.
    late = case_of(CHICAGO, hearing(date(2027, 3, 16), time(13), CHICAGO))
    assert [(w.kind, w.offset) for w in plan(late, [welcome], POLICY, now).add] == [
        ("court_hearing", 0)
    ]


def test_a_person_in_phoenix_is_reminded_in_phoenix_time_of_a_hearing_in_los_angeles() -> None:
    # Arizona keeps no DST; the hearing is 13:00 Pacific (PDT after 2027-03-14).
    phoenix = "America/Phoenix"
    case = case_of(phoenix, hearing(date(2027, 3, 16), time(13), "America/Los_Angeles"))
    found = every_reminder(case, date(2027, 3, 1), date(2027, 3, 16))
    assert local_times(found, phoenix) == {
        7: (date(2027, 3, 9), time(10)),
        3: (date(2027, 3, 13), time(10)),
        1: (date(2027, 3, 15), time(10)),
        0: (date(2027, 3, 16), time(9)),
    }
    # Phoenix is UTC-7 all year: the same UTC hour on both sides of the change.
    assert {w.due.astimezone(UTC).hour for o, w in found.items() if o} == {17}
    assert found[0].due == datetime(2027, 3, 16, 16, 0, tzinfo=UTC)


def test_a_day_of_text_in_another_zone_still_keeps_the_lead() -> None:
    # 09:00 in Phoenix is 09:00 in Los Angeles in summer: a 09:30 Pacific hearing is too close.
    phoenix = "America/Phoenix"
    case = case_of(phoenix, hearing(date(2027, 3, 16), time(9, 30), "America/Los_Angeles"))
    found = every_reminder(case, date(2027, 3, 1), date(2027, 3, 16))
    assert sorted(found) == [1, 3, 7]


def moved_message(slot: str, about: date, created: datetime) -> Held:
    """A sent "appointment moved" message about the appointment in `slot`."""
    return Held(APPOINTMENT_MOVED, about, 0, PHONE, AlertState.SENT, created, created, slot)


def test_a_moved_appointment_gets_no_catch_up_for_the_offsets_that_passed() -> None:
    deadline = hearing(date(2027, 3, 16), time(13), CHICAGO)
    case = case_of(CHICAGO, deadline)
    # Sunday 2027-03-14 noon in Chicago: the 7- and 3-day reminders have passed unsent.
    now = datetime(2027, 3, 14, 17, 0, tzinfo=UTC)
    created = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)
    told = plan(case, [moved_message(SLOT, deadline.act_by, created)], POLICY, now)
    # Only what is still ahead: the 1-day text and the morning of the hearing.
    assert [(w.kind, w.offset) for w in told.add] == [("court_hearing", 1), ("court_hearing", 0)]
    assert local_times(dict(enumerate(told.add)), CHICAGO) == {
        0: (date(2027, 3, 15), time(10)),
        1: (date(2027, 3, 16), time(9)),
    }
    assert told.cancel == [] and told.suppress == []
    # The same case without the moved message catches up the newest passed one, now.
    welcome = Held(WELCOME, case.end, 0, PHONE, AlertState.SENT, created, created)
    untold = plan(case, [welcome], POLICY, now)
    assert sorted((w.offset, w.due) for w in untold.add) == [
        (0, datetime(2027, 3, 16, 14, 0, tzinfo=UTC)),
        (1, datetime(2027, 3, 15, 15, 0, tzinfo=UTC)),
        (3, now),
    ]


def test_a_moved_appointment_marks_every_passed_reminder_stale() -> None:
    deadline = hearing(date(2027, 3, 16), time(13), CHICAGO)
    case = case_of(CHICAGO, deadline)
    now = datetime(2027, 3, 14, 17, 0, tzinfo=UTC)
    since = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)
    wanted, stale = reminders_of(case.deadlines, case, POLICY, now, since, {SLOT})
    assert [w.offset for w in wanted] == [1, 0]
    assert stale == {("court_hearing", deadline.act_by, o, PHONE, SLOT) for o in (7, 3)}
    # Untold, only the older one is stale: the newest goes as the catch-up.
    wanted, stale = reminders_of(case.deadlines, case, POLICY, now, since)
    assert sorted(w.offset for w in wanted) == [0, 1, 3]
    assert stale == {("court_hearing", deadline.act_by, 7, PHONE, SLOT)}


def test_a_moved_message_for_another_appointment_leaves_the_catch_up() -> None:
    deadline = hearing(date(2027, 3, 16), time(13), CHICAGO)
    case = case_of(CHICAGO, deadline)
    now = datetime(2027, 3, 14, 17, 0, tzinfo=UTC)
    created = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)
    other = moved_message("court_hearing:2", deadline.act_by, created)
    result = plan(case, [other], POLICY, now)
    assert sorted((w.offset, w.slot) for w in result.add) == [(0, SLOT), (1, SLOT), (3, SLOT)]


def test_a_planned_moved_message_stands_when_its_appointment_is_gone() -> None:
    # The old appointment's deadline is gone (rescheduled); the new one is slot 2.
    created = datetime(2027, 3, 10, 15, 0, tzinfo=UTC)
    now = datetime(2027, 3, 10, 15, 5, tzinfo=UTC)
    waiting = Held(APPOINTMENT_MOVED, date(2027, 3, 30), 0, PHONE, AlertState.PLANNED,
                   now, created, "court_hearing:2")  # fmt: skip
    case = case_of(CHICAGO, hearing(date(2027, 3, 30), time(13), CHICAGO, "court_hearing:2"))
    result = plan(case, [waiting], POLICY, now)
    assert result.cancel == [] and result.suppress == []


def test_two_hearings_on_one_day_each_get_their_own_reminders() -> None:
    day = date(2027, 3, 16)
    first = hearing(day, time(10, 30), CHICAGO, "court_hearing:1")
    second = hearing(day, time(14), CHICAGO, "court_hearing:2")
    both = case_of(CHICAGO, first, second)
    found: dict[str, dict[int, Wanted]] = {}
    for one in (first, second):
        found[one.slot] = every_reminder(case_of(CHICAGO, one), date(2027, 3, 1), day)
        assert sorted(found[one.slot]) == [0, 1, 3, 7]
    # Planned together, from a week before: every reminder of both, each under its own key.
    keys: set[tuple[str, date, int, str, str]] = set()
    start = datetime(2027, 3, 8, 6, 0, tzinfo=UTC)
    held: list[Held] = []
    for hours in range(0, 9 * 24, 6):
        now = start + timedelta(hours=hours)
        result = plan(both, held, POLICY, now)
        held += [
            Held(w.kind, w.about, w.offset, w.recipient, AlertState.PLANNED, w.due, now, w.slot)
            for w in result.add
        ]
        keys |= {w.key for w in result.add if w.kind != WELCOME}
    expected = {("court_hearing", day, o, PHONE, slot) for slot in found for o in (7, 3, 1, 0)}
    assert keys == expected
    assert len(keys) == 8
    reminders = [h for h in held if h.kind != WELCOME]
    assert len(reminders) == 8
    assert {(h.slot, h.offset): h.due for h in reminders} == {
        (slot, o): w.due for slot, by_offset in found.items() for o, w in by_offset.items()
    }


def test_two_hearings_on_one_day_planned_at_once_are_not_merged() -> None:
    day = date(2027, 3, 16)
    case = case_of(
        CHICAGO,
        hearing(day, time(10, 30), CHICAGO, "court_hearing:1"),
        hearing(day, time(14), CHICAGO, "court_hearing:2"),
    )
    # 09:00 CDT the day before: the horizon holds both 1-day and both day-of texts.
    now = datetime(2027, 3, 15, 14, 0, tzinfo=UTC)
    welcome = Held(WELCOME, day, 0, PHONE, AlertState.SENT, now, now)
    added: Sequence[Wanted] = plan(case, [welcome], POLICY, now).add
    assert sorted((w.slot, w.offset) for w in added) == [
        ("court_hearing:1", 0),
        ("court_hearing:1", 1),
        ("court_hearing:2", 0),
        ("court_hearing:2", 1),
    ]
    assert len({w.key for w in added}) == 4
