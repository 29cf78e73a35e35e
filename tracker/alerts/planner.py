"""The planner: brings a case's outbox rows (alerts) in line with its deadlines, in the
caller's transaction.

It reads what the pure core (`tracker.alerts.schedule`) needs, asks it for a plan, and
applies the plan: new messages through the one outbox writer (`tracker.alerts.outbox`),
the others re-planned, set aside or cancelled with their reason. Idempotent: every alert
has a unique key (case, kind, the date it is about, offset, recipient), so planning twice
adds nothing. An alert holds what to say, not the text: the dispatcher writes it as it
sends (`tracker.alerts.render`), so its days left are true on arrival.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_
from sqlmodel import Session, col, select

from tracker.alerts import schedule
from tracker.alerts.compose import Composer
from tracker.alerts.consent import consenting
from tracker.alerts.outbox import enqueue
from tracker.alerts.policy import local_date
from tracker.alerts.render import change_params, merge_change_params
from tracker.alerts.schedule import DATE_CHANGED, CaseNow, DeadlineView, Held, Wanted
from tracker.domain.model import AlertState, DeadlineChange
from tracker.domain.rules import STAFF_ONLY
from tracker.store.models import Alert, Case, DeadlineRow, Parolee


@dataclass
class PlanOutcome:
    """What one planning pass did to one case."""

    added: int = 0
    cancelled: int = 0
    suppressed: int = 0


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


def held_of(alert: Alert) -> Held:
    """A stored alert as the plan sees it."""
    return Held(
        alert.kind,
        alert.about_date,
        alert.offset_days,
        alert.recipient or "",
        alert.state,
        alert.due_at,
        alert.created_at,
        alert.deadline_slot,
    )


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
    held = [held_of(a) for a in existing]
    if not can_text(parolee):
        result = schedule.plan(
            _case_now(case, parolee, []), held, composer.policy, now, may_text=False
        )
        outcome.cancelled = _retire(
            existing, result.cancel, AlertState.CANCELLED, "no SMS consent, or opted out", now
        )
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
    moved = any(c.what == "moved" for c in changes)
    now_case = _case_now(case, parolee, deadlines, moved)
    result = schedule.plan(now_case, held, composer.policy, now)
    today = local_date(now, parolee.timezone)
    told = [d for d in deadlines if d.act_by >= today and STAFF_ONLY not in d.flags]
    params = change_params(changes, told) if moved else None
    if result.join_date_changed is not None and params is not None:
        # One "date changed" message: a second move before it goes joins the first.
        waiting = existing[result.join_date_changed]
        waiting.params, waiting.updated_at = merge_change_params(waiting.params, params), now
    _follow_language(existing, parolee, now)
    for wanted in result.add:
        about = params if wanted.kind == DATE_CHANGED else None
        enqueue(session, case, parolee, wanted, now, params=about)
        outcome.added += 1
    for index, wanted in result.replan:
        # Same message, planned again (consent given back, zone or language changed).
        outcome.added += existing[index].state == AlertState.CANCELLED
        _replan(existing[index], wanted, parolee, now)
    outcome.suppressed = _retire(
        existing, result.suppress, AlertState.SUPPRESSED, "a later reminder replaces it", now
    )
    outcome.cancelled = _retire(
        existing, result.cancel, AlertState.CANCELLED, "the date moved or no longer applies", now
    )
    return outcome


def _case_now(
    case: Case, parolee: Parolee, deadlines: list[DeadlineView], moved: bool = False
) -> CaseNow:
    return CaseNow(
        status=case.status,
        zone=parolee.timezone,
        end=case.end_date,
        recipient=parolee.phone or "",
        deadlines=deadlines,
        moved=moved,
    )


def _follow_language(existing: list[Alert], parolee: Parolee, now: datetime) -> None:
    """Planned messages show the person's language as it is now (each is written in it
    when it goes)."""
    for alert in existing:
        if alert.state == AlertState.PLANNED and alert.language != parolee.language:
            alert.language, alert.updated_at = parolee.language, now


def _replan(stored: Alert, wanted: Wanted, parolee: Parolee, now: datetime) -> None:
    # An alert already due keeps its time: the dispatcher decides what happens to it.
    due = (
        stored.due_at if stored.state == AlertState.PLANNED and stored.due_at <= now else wanted.due
    )
    fresh = (AlertState.PLANNED, due, parolee.language)
    if (stored.state, stored.due_at, stored.language) == fresh:
        return  # unchanged: do not rewrite every row on every pass
    stored.state, stored.due_at, stored.language = fresh
    stored.reason = None
    stored.updated_at = now


def _retire(
    alerts: list[Alert], indexes: list[int], state: AlertState, reason: str, now: datetime
) -> int:
    for index in indexes:
        alert = alerts[index]
        alert.state, alert.reason, alert.updated_at = state, reason, now
    return len(indexes)
