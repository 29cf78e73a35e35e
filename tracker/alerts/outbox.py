"""The one outbox writer: every message to a person enters the outbox through `enqueue`,
or many at once through `add_alerts` (new cases of an import), in the one row shape of
`alert_values`.

The planner (reminders, welcome, date changed) and the USCIS actions (a decision the
person must hear about) call it; the synthetic loader writes the same rows in bulk, from
the same plan (`tracker.alerts.schedule`). A row holds what to say, never the text: the
dispatcher writes the text when it sends.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from tracker.alerts.schedule import Wanted
from tracker.domain.model import AlertState
from tracker.store.blind import index_values
from tracker.store.encrypted import session_keyring
from tracker.store.models import Alert, Case, Parolee, must_id


def alert_values(
    case_id: int,
    parolee_id: int,
    language: str,
    wanted: Wanted,
    now: datetime,
    *,
    params: str | None = None,
) -> dict[str, Any]:
    """The outbox row of the message `wanted`, planned, in the person's `language` of now;
    `params` is what its text needs beyond its kind and date (see tracker.alerts.render)."""
    return {
        "case_id": case_id,
        "parolee_id": parolee_id,
        "kind": wanted.kind,
        "deadline_slot": wanted.slot,
        "about_date": wanted.about,
        "offset_days": wanted.offset,
        "recipient": wanted.recipient,
        "language": language,
        "params": params,
        "segments": 0,
        "due_at": wanted.due,
        "state": AlertState.PLANNED,
        "created_at": now,
        "updated_at": now,
    }


def enqueue(
    session: Session,
    case: Case,
    parolee: Parolee,
    wanted: Wanted,
    now: datetime,
    *,
    params: str | None = None,
) -> Alert:
    """Add the message `wanted` to the outbox (see `alert_values`). The table's unique key
    refuses a second row for the same message (IntegrityError)."""
    values = alert_values(
        must_id(case.id), must_id(parolee.id), parolee.language, wanted, now, params=params
    )
    alert = Alert(**values)
    session.add(alert)
    return alert


def add_alerts(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Add many `alert_values` rows at once, with their blind indexes (the flush hook that
    sets them on `enqueue`'s rows sees no ORM object here)."""
    if not rows:
        return
    keyring = session_keyring(session)
    ready = [{**row, **index_values(keyring, Alert, row)} for row in rows]
    session.execute(insert(Alert), ready)
