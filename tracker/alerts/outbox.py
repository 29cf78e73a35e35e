"""The one outbox writer: every message to a person enters the outbox through `enqueue`.

The planner (reminders, welcome, date changed) and the USCIS actions (a decision the
person must hear about) call it; the synthetic loader writes the same rows in bulk, from
the same plan (`tracker.alerts.schedule`). A row holds what to say, never the text: the
dispatcher writes the text when it sends.
"""

from datetime import datetime

from sqlmodel import Session

from tracker.alerts.schedule import Wanted
from tracker.domain.model import AlertState
from tracker.store.models import Alert, Case, Parolee, must_id


def enqueue(
    session: Session,
    case: Case,
    parolee: Parolee,
    wanted: Wanted,
    now: datetime,
    *,
    params: str | None = None,
) -> Alert:
    """Add the message `wanted` to the outbox, planned, in the person's language of now;
    `params` is what its text needs beyond its kind and date (see tracker.alerts.render).
    The table's unique key refuses a second row for the same message (IntegrityError)."""
    alert = Alert(
        case_id=must_id(case.id),
        parolee_id=must_id(parolee.id),
        kind=wanted.kind,
        deadline_slot=wanted.slot,
        about_date=wanted.about,
        offset_days=wanted.offset,
        recipient=wanted.recipient,
        language=parolee.language,
        params=params,
        segments=0,
        due_at=wanted.due,
        state=AlertState.PLANNED,
        created_at=now,
        updated_at=now,
    )
    session.add(alert)
    return alert
