"""How many messages, segments and dollars the coming days will cost."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import col, select

from tracker.alerts.compose import Composer, DeadlineView
from tracker.alerts.planner import STANDING, can_text, contact_for
from tracker.alerts.policy import local_date, reminder_due
from tracker.store.db import session_scope
from tracker.store.models import Alert, AlertState, Case, DeadlineRow, Parolee

PAGE = 1000


@dataclass
class DayForecast:
    """One day's expected sending."""

    day: date
    messages: int = 0
    segments: int = 0
    cost_usd: float = 0.0


def forecast(engine: Engine, composer: Composer, now: datetime, days: int) -> list[DayForecast]:
    """Per day from today: the reminders the rules will send, plus other planned messages."""
    today = now.date()
    last = today + timedelta(days=days - 1)
    per_day = {
        today + timedelta(days=n): DayForecast(today + timedelta(days=n)) for n in range(days)
    }
    policy = composer.policy
    reach = max((max(o) for o in policy.offsets.values() if o), default=0)
    with session_scope(engine) as session:
        query = (
            select(DeadlineRow, Case, Parolee)
            .join(Case, col(Case.id) == DeadlineRow.case_id)
            .join(Parolee)
            .where(col(DeadlineRow.cancelled_at).is_(None))
            .where(col(DeadlineRow.act_by).between(today, last + timedelta(days=reach)))
            .execution_options(yield_per=PAGE)
        )
        for deadline, case, parolee in session.exec(query):
            if not can_text(parolee) or not policy.reminds(deadline.kind, case.status):
                continue
            view = DeadlineView.of_row(deadline)
            contact = contact_for(session, case, composer)
            for offset in policy.offsets[deadline.kind]:
                due = reminder_due(deadline.act_by, offset, parolee.timezone, policy)
                day = local_date(due, "UTC")
                if day in per_day and due >= now:
                    sent_on = local_date(due, parolee.timezone)
                    _add(per_day[day], composer, composer.reminder(parolee, view, contact, sent_on))
        others = session.exec(
            select(Alert).where(
                Alert.state == AlertState.PLANNED,
                col(Alert.deadline_slot).is_(None),
                col(Alert.kind).in_(STANDING),
            )
        ).all()
        for alert in others:
            day = max(alert.due_at.date(), today)
            if day in per_day and alert.body is not None:
                _add(per_day[day], composer, alert.body)
    return list(per_day.values())


def _add(day: DayForecast, composer: Composer, body: str) -> None:
    segments = composer.segments(body)
    day.messages += 1
    day.segments += segments
    day.cost_usd += segments * composer.policy.cost_per_segment_usd
