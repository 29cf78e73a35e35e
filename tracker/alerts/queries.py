"""Reading the outbox for people: the alerts list."""

from collections.abc import Sequence

from sqlmodel import Session, col, select

from tracker.domain.model import AlertState
from tracker.store.models import Alert, Case


def list_alerts(
    session: Session,
    *,
    case_ref: str | None = None,
    states: Sequence[AlertState] = (),
    limit: int = 200,
) -> list[tuple[Alert, str]]:
    """Alerts with their case's external id, soonest due first."""
    query = select(Alert, Case.external_id).join(Case, col(Case.id) == Alert.case_id)
    if case_ref is not None:
        query = query.where(Case.external_id == case_ref)
    if states:
        query = query.where(col(Alert.state).in_(states))
    return list(session.exec(query.order_by(col(Alert.due_at), col(Alert.id)).limit(limit)).all())
