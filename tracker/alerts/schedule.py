"""Which messages a case should have: the planner's core, pure (no database, no clock).

From plain data (the case's deadlines, the messages stored for it, the reminder policy and
the instant) to a `Plan`: what to add, re-plan, set aside and cancel. The planner
(`tracker.alerts.planner`) reads the data and applies the plan to the outbox; the
synthetic loader asks the same questions of `reminders_of` to write what the planner
would have.

- A reminder is due at the policy's send time, `offset` days before its deadline's
  act-by date, in the person's zone; one whose time passed while nothing ran is not
  back-filled: only the newest passed offset of each deadline goes, at the next allowed
  time, and only while the deadline is ahead.
- A case with no stored messages gets one welcome instead of the reminders it missed.
- A moved date gets one "date changed" message; a second move before it goes joins it.
- Welcome, date-changed, "appointment moved" and USCIS messages stand once planned;
  reminders follow the deadlines.
- An appointment's reminders stop an hour (the policy's lead) before it starts; one moved
  gets its "appointment moved" message instead of the reminders it missed.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol

from tracker.alerts.policy import (
    ReminderPolicy,
    local_date,
    next_allowed,
    reminder_due,
    too_late,
)
from tracker.domain.model import AlertState, Deadline, DeadlineKind, Status
from tracker.domain.rules import STAFF_ONLY

WELCOME = "welcome"
DATE_CHANGED = "date_changed"
USCIS_DENIED = "uscis_denied"
USCIS_REJECTED = "uscis_rejected"
# An appointment was rescheduled: about its new one (slot and day).
APPOINTMENT_MOVED = "appointment_moved"
# Messages about an event rather than a deadline: once planned they stand, whatever
# happens to the deadlines (consent withdrawn still cancels them).
STANDING = (WELCOME, DATE_CHANGED, USCIS_DENIED, USCIS_REJECTED, APPOINTMENT_MOVED)
# A message's key: kind, the date it is about, offset in days, recipient, deadline slot.
Key = tuple[str, date, int, str, str]


class _DeadlineLike(Protocol):
    kind: DeadlineKind
    act_by: date
    slot: str
    flags: str
    starts_at: datetime | None


@dataclass(frozen=True)
class DeadlineView:
    """What the messages need of a deadline, whether stored or just computed."""

    kind: DeadlineKind
    act_by: date
    slot: str
    flags: tuple[str, ...] = ()
    # An appointment's instant.
    starts_at: datetime | None = None

    @classmethod
    def of_row(cls, row: _DeadlineLike) -> "DeadlineView":
        """A stored deadline (its flags are one comma-separated column)."""
        flags = tuple(f for f in row.flags.split(",") if f)
        return cls(row.kind, row.act_by, row.slot, flags, row.starts_at)

    @classmethod
    def of(cls, deadline: Deadline) -> "DeadlineView":
        """A deadline the rules just computed."""
        return cls(
            deadline.kind, deadline.act_by, deadline.slot, deadline.flags, deadline.starts_at
        )


@dataclass(frozen=True)
class Wanted:
    """A message the case should have: what it is about, and when it goes."""

    kind: str
    # The date the message is about: a reminder's act-by date; for a welcome or a "date
    # changed", the end of parole (one of each per end date); for a USCIS text, the day
    # the decision was seen.
    about: date
    offset: int
    due: datetime
    recipient: str
    # The deadline it is about; "" for a message about none.
    slot: str = ""

    @property
    def key(self) -> Key:
        return self.kind, self.about, self.offset, self.recipient, self.slot


@dataclass(frozen=True)
class Held:
    """A message stored for the case, as the plan needs it."""

    kind: str
    about: date
    offset: int
    recipient: str
    state: AlertState
    due: datetime
    created_at: datetime
    slot: str = ""

    @property
    def key(self) -> Key:
        return self.kind, self.about, self.offset, self.recipient, self.slot


@dataclass(frozen=True)
class CaseNow:
    """The case as the plan needs it."""

    status: Status
    zone: str
    end: date
    # The number messages go to now.
    recipient: str
    deadlines: Sequence[DeadlineView]
    # Whether a date the person was told moved in this change (a "date changed" is due).
    moved: bool = False


@dataclass
class Plan:
    """What to do to the stored messages; indexes are positions in the `held` given."""

    add: list[Wanted] = field(default_factory=list)
    # A held message planned again (consent given back, zone changed): its new due time.
    replan: list[tuple[int, Wanted]] = field(default_factory=list)
    suppress: list[int] = field(default_factory=list)
    cancel: list[int] = field(default_factory=list)
    # A "date changed" still waiting: the new move joins it.
    join_date_changed: int | None = None


def plan(
    case: CaseNow,
    held: Sequence[Held],
    policy: ReminderPolicy,
    now: datetime,
    *,
    may_text: bool = True,
) -> Plan:
    """The plan that brings `held` in line with the case (see the module's docstring)."""
    result = Plan()
    if not may_text:
        result.cancel = [i for i, h in enumerate(held) if h.state == AlertState.PLANNED]
        return result
    # Reminders due before the case was first planned are never back-filled: the welcome
    # covers them. Later ones missed (downtime) are caught up.
    since = min((h.created_at for h in held), default=now)
    upcoming = [d for d in case.deadlines if d.act_by >= local_date(now, case.zone)]
    # A moved appointment's message gives the new time: no catch-up reminder besides it.
    told = {h.slot for h in held if h.kind == APPOINTMENT_MOVED}
    wanted, stale = reminders_of(upcoming, case, policy, now, since, told)
    soon = next_allowed(now, case.zone, policy)
    if upcoming and not held:
        wanted.append(Wanted(WELCOME, case.end, 0, soon, case.recipient))
    elif upcoming and case.moved:
        waiting = [
            i
            for i, h in enumerate(held)
            if h.kind == DATE_CHANGED and h.state == AlertState.PLANNED
        ]
        if waiting:
            result.join_date_changed = waiting[0]
        else:
            wanted.append(Wanted(DATE_CHANGED, case.end, 0, soon, case.recipient))
    known = {h.key: i for i, h in enumerate(held)}
    for message in wanted:
        index = known.get(message.key)
        if index is None:
            result.add.append(message)
            known[message.key] = -1  # two of one key in a plan: the first is enough
        elif index >= 0 and held[index].state in (AlertState.PLANNED, AlertState.CANCELLED):
            result.replan.append((index, message))
    keep = {m.key for m in wanted} | {h.key for h in held if h.kind in STANDING}
    for i, h in enumerate(held):
        if h.state != AlertState.PLANNED:
            continue
        if h.key in stale:
            result.suppress.append(i)
        elif h.key not in keep:
            result.cancel.append(i)
    return result


def reminders_of(
    deadlines: Sequence[DeadlineView],
    case: CaseNow,
    policy: ReminderPolicy,
    now: datetime,
    since: datetime,
    told: set[str] | frozenset[str] = frozenset(),
) -> tuple[list[Wanted], set[Key]]:
    """The reminders of `deadlines` due from now to the horizon, plus the newest one of each
    deadline that passed since `since` (due at the next allowed time) unless its slot is
    in `told`; and the keys of the older passed ones, which it replaces. An appointment's
    reminder that would come too close to its start is left out."""
    horizon = now + timedelta(days=policy.plan_horizon_days)
    zone, to = case.zone, case.recipient
    wanted: list[Wanted] = []
    stale: set[Key] = set()
    for deadline in deadlines:
        if not policy.reminds(deadline.kind, case.status) or STAFF_ONLY in deadline.flags:
            continue
        passed = []
        for offset in policy.offsets[deadline.kind]:
            due = reminder_due(deadline.act_by, offset, zone, policy, deadline.kind)
            if too_late(due, deadline.starts_at, policy):
                continue
            if now <= due <= horizon:
                wanted.append(_reminder(deadline, offset, due, to))
            elif since <= due < now:
                passed.append(offset)
        # Offsets run from far to near: the last one passed is the newest.
        if passed:
            newest, older = passed[-1], passed[:-1]
            catch_up = next_allowed(now, zone, policy)
            if deadline.slot not in told and not too_late(catch_up, deadline.starts_at, policy):
                wanted.append(_reminder(deadline, newest, catch_up, to))
            else:
                older = passed
            stale |= {(deadline.kind.value, deadline.act_by, o, to, deadline.slot) for o in older}
    return wanted, stale


def _reminder(deadline: DeadlineView, offset: int, due: datetime, to: str) -> Wanted:
    return Wanted(deadline.kind.value, deadline.act_by, offset, due, to, deadline.slot)
