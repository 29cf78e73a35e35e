"""The planner's core without a database: properties that hold for any deadlines, zone and
instant (`tracker.alerts.schedule`), and the cases that explain them."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import event, given, settings
from hypothesis import strategies as st

from tracker.alerts.policy import parse_policy
from tracker.alerts.schedule import (
    DATE_CHANGED,
    WELCOME,
    CaseNow,
    DeadlineView,
    Held,
    Plan,
    Wanted,
    plan,
)
from tracker.domain.model import AlertState, DeadlineKind, Status

from ..conftest import ROOT

POLICY = parse_policy((ROOT / "config" / "reminders.toml").read_text(), "reminders.toml")
PHONE = "+12025550170"
START = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)
ZONES = ["America/New_York", "America/Chicago", "America/Phoenix", "America/Los_Angeles",
         "Pacific/Honolulu", "America/Anchorage", "America/Puerto_Rico"]  # fmt: skip
REMINDED = sorted(POLICY.offsets)


@st.composite
def cases(draw: st.DrawFn) -> CaseNow:
    """A paroled case with up to five reminded deadlines within the next half year."""
    kinds = draw(st.lists(st.sampled_from(REMINDED), min_size=1, max_size=5, unique=True))
    deadlines = [
        DeadlineView(kind, START.date() + timedelta(days=draw(st.integers(0, 180))), kind.value)
        for kind in kinds
    ]
    end = max(d.act_by for d in deadlines)
    zone = draw(st.sampled_from(ZONES))
    return CaseNow(Status.PAROLED, zone, end, PHONE, sorted(deadlines, key=lambda d: d.act_by))


instants = st.integers(0, 120 * 24 * 60).map(lambda minutes: START + timedelta(minutes=minutes))


def stored(wanted: list[Wanted], at: datetime) -> list[Held]:
    """What the outbox holds once a plan's new messages are written at `at`."""
    return [
        Held(w.kind, w.about, w.offset, w.recipient, AlertState.PLANNED, w.due, at, w.slot)
        for w in wanted
    ]


def applied(held: list[Held], result: Plan, at: datetime) -> list[Held]:
    """`held` after `result`, as the planner applies it."""
    states = dict.fromkeys(result.suppress, AlertState.SUPPRESSED)
    states |= dict.fromkeys(result.cancel, AlertState.CANCELLED)
    dues = {i: w.due for i, w in result.replan}
    kept = [
        Held(h.kind, h.about, h.offset, h.recipient, states.get(i, h.state),
             dues.get(i, h.due) if h.due > at else h.due, h.created_at, h.slot)
        for i, h in enumerate(held)
    ]  # fmt: skip
    return kept + stored(result.add, at)


def sent(held: list[Held], at: datetime) -> list[Held]:
    """`held` once the dispatcher sent every planned message due by `at`."""
    return [
        replace(h, state=AlertState.SENT) if h.state == AlertState.PLANNED and h.due <= at else h
        for h in held
    ]


@settings(max_examples=300, deadline=None)
@given(cases(), instants)
def test_planning_twice_adds_nothing(case: CaseNow, now: datetime) -> None:
    first = plan(case, [], POLICY, now)
    held = stored(first.add, now)
    again = plan(case, held, POLICY, now)
    assert again.add == [] and again.cancel == [] and again.suppress == []
    assert all(held[i].due == w.due for i, w in again.replan)


@settings(max_examples=300, deadline=None)
@given(cases(), instants)
def test_nothing_is_planned_outside_the_allowed_hours(case: CaseNow, now: datetime) -> None:
    result = plan(case, [], POLICY, now)
    later = plan(case, stored(result.add, now), POLICY, now + timedelta(days=3))
    for wanted in result.add + [w for _, w in later.replan] + later.add:
        local = wanted.due.astimezone(ZoneInfo(case.zone)).time()
        assert POLICY.window_start <= local < POLICY.window_end, (wanted, case.zone)
        assert wanted.due >= now


@settings(max_examples=300, deadline=None)
@given(cases(), instants, st.integers(1, 60))
def test_after_downtime_only_the_latest_reminder_of_each_deadline_goes(
    case: CaseNow, now: datetime, days_down: int
) -> None:
    # Planned and sent day by day while the workers ran, then nothing for `days_down` days.
    held: list[Held] = []
    for day in range(POLICY.plan_horizon_days + 1):
        at = now + timedelta(days=day)
        held = sent(applied(held, plan(case, held, POLICY, at), at), at)
    back = now + timedelta(days=POLICY.plan_horizon_days + days_down)
    after = applied(held, plan(case, held, POLICY, back), back)
    overdue: dict[tuple[str, date], int] = {}
    for h in after:
        reminder = h.kind not in (WELCOME, DATE_CHANGED)
        if reminder and h.state == AlertState.PLANNED and h.due <= back:
            overdue[h.kind, h.about] = overdue.get((h.kind, h.about), 0) + 1
    event("a reminder was overdue" if overdue else "nothing was overdue")
    assert all(count == 1 for count in overdue.values()), overdue


def test_a_new_case_gets_a_welcome_and_its_near_reminders() -> None:
    deadline = DeadlineView(DeadlineKind.PAROLE_EXPIRY, date(2026, 12, 1), "parole_expiry")
    case = CaseNow(Status.PAROLED, "America/New_York", date(2026, 12, 1), PHONE, [deadline])
    result = plan(case, [], POLICY, START)
    assert [w.kind for w in result.add][-1] == WELCOME
    assert all(w.recipient == PHONE for w in result.add)


def test_without_consent_every_planned_message_is_cancelled() -> None:
    case = CaseNow(Status.PAROLED, "America/New_York", date(2027, 1, 1), PHONE, [])
    held = [
        Held(WELCOME, date(2027, 1, 1), 0, PHONE, AlertState.PLANNED, START, START),
        Held(WELCOME, date(2026, 1, 1), 0, PHONE, AlertState.DELIVERED, START, START),
    ]
    assert plan(case, held, POLICY, START, may_text=False).cancel == [0]


def test_a_second_move_joins_the_date_changed_message_still_waiting() -> None:
    deadline = DeadlineView(DeadlineKind.PAROLE_EXPIRY, date(2027, 6, 1), "parole_expiry")
    case = CaseNow(Status.PAROLED, "America/New_York", date(2027, 6, 1), PHONE, [deadline],
                   moved=True)  # fmt: skip
    waiting = Held(DATE_CHANGED, date(2027, 5, 1), 0, PHONE, AlertState.PLANNED, START, START)
    result = plan(case, [waiting], POLICY, START)
    assert result.join_date_changed == 0
    assert DATE_CHANGED not in [w.kind for w in result.add]
