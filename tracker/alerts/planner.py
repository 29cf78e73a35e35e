"""The planner: turns a case's deadlines into outbox rows (alerts), in the caller's transaction.

Idempotent: every alert has a unique key (case, kind, deadline date, offset, recipient), so
planning twice adds nothing. A reminder whose time passed while nothing ran is not
back-filled: only the most recent one per deadline goes, at the next allowed time, and
only while the deadline is still ahead. A new case gets one welcome message instead.
An alert holds what to say, not the text: the dispatcher writes it as it sends
(tracker.alerts.render), so its days left are true on arrival.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_
from sqlmodel import Session, col, select

from tracker.alerts.compose import Composer, DeadlineView
from tracker.alerts.consent import consenting
from tracker.alerts.policy import local_date, next_allowed, reminder_due
from tracker.alerts.render import (
    DATE_CHANGED,
    USCIS_DENIED,
    USCIS_REJECTED,
    WELCOME,
    change_params,
    merge_change_params,
)
from tracker.domain.model import DeadlineChange
from tracker.store.models import Alert, AlertState, Case, DeadlineRow, Parolee, must_id

# Messages about an event rather than a deadline: once planned they stand, whatever
# happens to the deadlines (consent withdrawn still cancels them).
STANDING = (WELCOME, DATE_CHANGED, USCIS_DENIED, USCIS_REJECTED)
Key = tuple[str, date, int, str]


@dataclass
class PlanOutcome:
    """What one planning pass did to one case."""

    added: int = 0
    cancelled: int = 0
    suppressed: int = 0


@dataclass
class _Plan:
    """The alerts a case should have now, and the planned ones a newer reminder replaces."""

    alerts: list[Alert] = field(default_factory=list)
    stale: set[Key] = field(default_factory=set)


def can_text(parolee: Parolee) -> bool:
    """True while the person has consented, not opted out, has a reachable number, and
    staff have not paused their messages."""
    return (
        consenting(parolee)
        and parolee.phone is not None
        and parolee.unreachable_at is None
        and parolee.sms_paused_at is None
    )


def textable() -> ColumnElement[bool]:
    """`can_text` in SQL, for a query that joins Parolee (a stored phone is ciphertext, but
    its absence is NULL all the same)."""
    return and_(
        col(Parolee.sms_consent_at).is_not(None),
        col(Parolee.sms_consent_withdrawn_at).is_(None),
        col(Parolee.phone).is_not(None),
        col(Parolee.unreachable_at).is_(None),
        col(Parolee.sms_paused_at).is_(None),
    )


def key_of(alert: Alert) -> Key:
    """The alert's unique key (see the table's constraint)."""
    return alert.kind, alert.deadline_date, alert.offset_days, alert.recipient or ""


def plan_case(
    session: Session,
    case: Case,
    parolee: Parolee,
    composer: Composer,
    now: datetime,
    changes: Sequence[DeadlineChange] = (),
    *,
    deadlines: list[DeadlineView] | None = None,
    existing: list[Alert] | None = None,
) -> PlanOutcome:
    """Bring one case's planned alerts in line with its deadlines and the person's consent.

    A bulk caller (an import, the sweep) passes the `deadlines` and `existing` alerts it
    already read for many cases at once, to save two reads per case.
    """
    outcome = PlanOutcome()
    if existing is None:
        existing = list(session.exec(select(Alert).where(Alert.case_id == case.id)).all())
    if not can_text(parolee):
        outcome.cancelled = _cancel(existing, set(), now, "no SMS consent, or opted out")
        return outcome
    if deadlines is None:
        deadlines = [
            DeadlineView.of_row(row)
            for row in session.exec(
                select(DeadlineRow)
                .where(DeadlineRow.case_id == case.id, col(DeadlineRow.cancelled_at).is_(None))
                .order_by(col(DeadlineRow.act_by))
            ).all()
        ]
    horizon = now + timedelta(days=composer.policy.plan_horizon_days)
    # Reminders due before the case was first planned are never back-filled: the welcome
    # message covers them. Later ones missed (downtime) are caught up.
    since = min((a.created_at for a in existing), default=now)
    upcoming = [d for d in deadlines if d.act_by >= local_date(now, parolee.timezone)]
    plan = _Plan()
    for deadline in upcoming:
        _plan_deadline(plan, case, parolee, deadline, composer, now, horizon, since)
    soon = next_allowed(now, parolee.timezone, composer.policy)
    if upcoming and not existing:
        plan.alerts.append(_row(case, parolee, WELCOME, 0, soon, now))
    elif upcoming and any(c.what == "moved" for c in changes):
        _date_changed(plan, existing, case, parolee, change_params(changes, upcoming), soon, now)
    _follow_language(existing, parolee, now)
    known = {key_of(a): a for a in existing}
    for alert in plan.alerts:
        stored = known.get(key_of(alert))
        if stored is None:
            session.add(alert)
            known[key_of(alert)] = alert
            outcome.added += 1
        elif stored.state in (AlertState.PLANNED, AlertState.CANCELLED):
            # Same reminder, planned again (consent given back, zone or language changed).
            outcome.added += stored.state == AlertState.CANCELLED
            _refresh(stored, alert, now)
    # Welcome, date-changed and USCIS messages stand once planned; reminders follow the
    # deadlines.
    wanted = {key_of(a) for a in plan.alerts} | {key_of(a) for a in existing if a.kind in STANDING}
    outcome.suppressed = _suppress(existing, plan.stale, now)
    outcome.cancelled = _cancel(existing, wanted, now, "the date moved or no longer applies")
    return outcome


def _follow_language(existing: list[Alert], parolee: Parolee, now: datetime) -> None:
    """Planned messages show the person's language as it is now (each is written in it
    when it goes)."""
    for alert in existing:
        if alert.state == AlertState.PLANNED and alert.language != parolee.language:
            alert.language, alert.updated_at = parolee.language, now


def _date_changed(
    plan: _Plan,
    existing: list[Alert],
    case: Case,
    parolee: Parolee,
    params: str,
    soon: datetime,
    now: datetime,
) -> None:
    """One "date changed" message: a second move before it goes joins the first."""
    pending = [a for a in existing if a.kind == DATE_CHANGED and a.state == AlertState.PLANNED]
    if pending:
        pending[0].params = merge_change_params(pending[0].params, params)
        pending[0].updated_at = now
        return
    plan.alerts.append(_row(case, parolee, DATE_CHANGED, 0, soon, now, params))


def _plan_deadline(
    plan: _Plan,
    case: Case,
    parolee: Parolee,
    deadline: DeadlineView,
    composer: Composer,
    now: datetime,
    horizon: datetime,
    since: datetime,
) -> None:
    policy = composer.policy
    if not policy.reminds(deadline.kind, case.status):
        return
    passed = []
    for offset in policy.offsets[deadline.kind]:
        due = reminder_due(deadline.act_by, offset, parolee.timezone, policy)
        if now <= due <= horizon:
            plan.alerts.append(_reminder(case, parolee, deadline, offset, due, now))
        elif since <= due < now:
            passed.append(offset)
    # Offsets run from far to near: the last one passed is the newest.
    if passed:
        newest, older = passed[-1], passed[:-1]
        due = next_allowed(now, parolee.timezone, policy)
        plan.alerts.append(_reminder(case, parolee, deadline, newest, due, now))
        plan.stale |= {
            (deadline.kind.value, deadline.act_by, o, parolee.phone or "") for o in older
        }


def _reminder(
    case: Case,
    parolee: Parolee,
    deadline: DeadlineView,
    offset: int,
    due: datetime,
    now: datetime,
) -> Alert:
    alert = _row(case, parolee, deadline.kind.value, offset, due, now)
    alert.deadline_slot = deadline.slot
    alert.deadline_date = deadline.act_by
    return alert


def _row(
    case: Case,
    parolee: Parolee,
    kind: str,
    offset: int,
    due: datetime,
    now: datetime,
    params: str | None = None,
) -> Alert:
    assert parolee.phone is not None
    return Alert(
        case_id=must_id(case.id),
        parolee_id=must_id(parolee.id),
        kind=kind,
        # Reminders carry their deadline's act-by date; other messages the end of parole.
        deadline_date=case.end_date,
        offset_days=offset,
        recipient=parolee.phone,
        language=parolee.language,
        params=params,
        segments=0,
        due_at=due,
        state=AlertState.PLANNED,
        created_at=now,
        updated_at=now,
    )


def _suppress(alerts: list[Alert], stale: set[Key], now: datetime) -> int:
    """Set aside planned reminders that a newer reminder of the same deadline replaces."""
    count = 0
    for alert in alerts:
        if alert.state == AlertState.PLANNED and key_of(alert) in stale:
            _retire(alert, AlertState.SUPPRESSED, "a later reminder replaces it", now)
            count += 1
    return count


def _cancel(alerts: list[Alert], wanted: set[Key], now: datetime, reason: str) -> int:
    """Cancel planned alerts that are no longer wanted; they stay, with the reason."""
    count = 0
    for alert in alerts:
        if alert.state == AlertState.PLANNED and key_of(alert) not in wanted:
            _retire(alert, AlertState.CANCELLED, reason, now)
            count += 1
    return count


def _refresh(stored: Alert, fresh: Alert, now: datetime) -> None:
    # An alert already due keeps its time: the dispatcher decides what happens to it.
    due = (
        stored.due_at
        if stored.state == AlertState.PLANNED and stored.due_at <= now
        else fresh.due_at
    )
    wanted = (AlertState.PLANNED, due, fresh.language)
    if (stored.state, stored.due_at, stored.language) == wanted:
        return  # unchanged: do not rewrite every row on every pass
    stored.state, stored.due_at, stored.language = wanted
    stored.reason = None
    stored.updated_at = now


def _retire(alert: Alert, state: AlertState, reason: str, now: datetime) -> None:
    alert.state = state
    alert.reason = reason
    alert.updated_at = now
