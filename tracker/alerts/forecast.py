"""How many messages, segments and dollars the coming days will cost.

Each message is priced as it will really go: written for the day it is due, in the
language it will be sent in, with the notes and contact it will carry.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from tracker.alerts.compose import Composer
from tracker.alerts.languages import english_instead, sending_language
from tracker.alerts.planner import can_text
from tracker.alerts.policy import local_date, reminder_due, too_late
from tracker.alerts.render import appointment_at, contact_for, render_alert
from tracker.alerts.schedule import STANDING, DeadlineView
from tracker.domain.appointments import APPOINTMENT_DEADLINES
from tracker.domain.model import AlertState
from tracker.domain.rules import STAFF_ONLY
from tracker.store.db import session_scope
from tracker.store.models import Alert, Case, DeadlineRow, Parolee

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
        english = english_instead(session)
        query = (
            select(DeadlineRow, Case, Parolee)
            .join(Case, col(Case.id) == DeadlineRow.case_id)
            .join(Parolee)
            .where(col(DeadlineRow.cancelled_at).is_(None))
            .where(col(DeadlineRow.act_by).between(today, last + timedelta(days=reach)))
            .execution_options(yield_per=PAGE)
        )
        for deadline, case, parolee in session.exec(query):
            told = STAFF_ONLY not in deadline.flags.split(",")
            if not (can_text(parolee) and told and policy.reminds(deadline.kind, case.status)):
                continue
            contact = contact_for(session, case, composer)
            language = sending_language(parolee.language, english)
            for offset in policy.offsets[deadline.kind]:
                due = reminder_due(deadline.act_by, offset, parolee.timezone, policy, deadline.kind)
                day = local_date(due, "UTC")
                if day in per_day and due >= now and not too_late(due, deadline.starts_at, policy):
                    on = local_date(due, parolee.timezone)
                    body = _reminder(session, composer, deadline, parolee, language, contact, on)
                    if body is not None:
                        _add(per_day[day], composer, body)
        others = session.exec(
            select(Alert).where(
                Alert.state == AlertState.PLANNED,
                col(Alert.kind).in_(STANDING),
            )
        ).all()
        for alert in others:
            due = max(alert.due_at, now)
            day = local_date(due, "UTC")
            rendered = render_alert(session, alert, composer, due) if day in per_day else None
            if rendered is not None:
                _add(per_day[day], composer, rendered.body)
    return list(per_day.values())


def _reminder(
    session: Session,
    composer: Composer,
    deadline: DeadlineRow,
    parolee: Parolee,
    language: str,
    contact: str,
    on: date,
) -> str | None:
    """A reminder's text as it will go on `on`; an appointment's needs its time and place."""
    view = DeadlineView.of_row(deadline)
    if deadline.kind not in APPOINTMENT_DEADLINES:
        return composer.reminder(language, view, contact, on)
    at = appointment_at(session, deadline.case_id, deadline.slot, parolee.timezone)
    return composer.appointment(language, view, at, contact, on) if at else None


def _add(day: DayForecast, composer: Composer, body: str) -> None:
    segments = composer.segments(body)
    day.messages += 1
    day.segments += segments
    day.cost_usd += segments * composer.policy.cost_per_segment_usd
