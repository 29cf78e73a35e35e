"""The audit trail: one row per change, with no personal values in it."""

import json
from datetime import datetime

from sqlmodel import Session

from tracker.store.models import AuditEvent


def record(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | None,
    **detail: str | int | None,
) -> None:
    """Add an audit row. Callers pass ids, dates and codes in `detail`, never personal data."""
    session.add(
        AuditEvent(
            at=at,
            actor=actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            detail=json.dumps(detail, sort_keys=True, default=str),
        )
    )
