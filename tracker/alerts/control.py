"""What staff do to a person's messages: pause and resume them, send a failed one again.

Each works in the caller's transaction and leaves an audit row per case (ids and codes
only). Consent is not touched: it is the person's to give or withdraw.
"""

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from tracker.alerts.compose import Composer
from tracker.alerts.consent import consenting
from tracker.alerts.planner import plan_case
from tracker.domain.model import AlertState
from tracker.errors import InvalidInputError, NotFoundError
from tracker.store import audit
from tracker.store.models import Alert, Case, Parolee

# The reason on alerts a pause cancelled: resuming brings exactly those back.
PAUSED = "SMS paused"


def _audit_cases(
    session: Session, parolee: Parolee, action: str, actor: str, now: datetime
) -> None:
    for case_id in session.exec(select(Case.id).where(Case.parolee_id == parolee.id)).all():
        audit.record(session, at=now, actor=actor, action=action, entity="case", entity_id=case_id)


def pause_sms(session: Session, parolee: Parolee, *, actor: str, now: datetime) -> bool:
    """Hold every message to the person until resumed; False if already paused."""
    if parolee.sms_paused_at is not None:
        return False
    parolee.sms_paused_at = parolee.updated_at = now
    session.add(parolee)
    planned = session.exec(
        select(Alert).where(Alert.parolee_id == parolee.id, Alert.state == AlertState.PLANNED)
    ).all()
    for alert in planned:
        # Cancelled, not deleted: resuming plans the same reminders again.
        alert.state, alert.reason, alert.updated_at = AlertState.CANCELLED, PAUSED, now
        session.add(alert)
    _audit_cases(session, parolee, "sms.paused", actor, now)
    return True


def resume_sms(
    session: Session, parolee: Parolee, *, actor: str, composer: Composer | None, now: datetime
) -> bool:
    """Let messages go again: what the pause held is planned again, due now at the
    earliest, and the planner then re-plans the person's reminders (setting aside those
    whose time or deadline passed meanwhile). False if not paused."""
    if parolee.sms_paused_at is None:
        return False
    parolee.sms_paused_at = None
    parolee.updated_at = now
    session.add(parolee)
    held = session.exec(
        select(Alert).where(
            Alert.parolee_id == parolee.id,
            Alert.state == AlertState.CANCELLED,
            Alert.reason == PAUSED,
        )
    ).all()
    for alert in held:
        alert.state, alert.reason, alert.updated_at = AlertState.PLANNED, None, now
        alert.due_at = max(alert.due_at, now)
        session.add(alert)
    if composer is not None:
        for case in session.exec(select(Case).where(Case.parolee_id == parolee.id)).all():
            plan_case(session, case, parolee, composer, now)
    _audit_cases(session, parolee, "sms.resumed", actor, now)
    return True


def resend_alert(session: Session, case: Case, alert_id: int, *, actor: str, now: datetime) -> None:
    """Put a failed message of this case back in the outbox, due now: the dispatcher
    sends it at the next allowed hour in the person's zone."""
    alert = session.get(Alert, alert_id)
    if alert is None or alert.case_id != case.id:
        raise NotFoundError("this case has no such message")
    if alert.state != AlertState.FAILED:
        raise InvalidInputError(
            f"only a failed message can be sent again; this one is {alert.state.value}"
        )
    parolee = session.get(Parolee, alert.parolee_id)
    assert parolee is not None
    _check_sendable(alert, parolee)
    previous = (alert.error_code, alert.provider_sid)
    fresh = {"state": AlertState.PLANNED, "due_at": now, "attempts": 0, "error_code": None,
             "reason": f"resent by {actor}", "provider_sid": None, "provider_status": None,
             "attempt_started_at": None, "claimed_by": None, "lease_until": None,
             "sent_at": None, "delivered_at": None, "updated_at": now}  # fmt: skip
    # Conditional on the state, so two people resending at once put it back only once
    # (and never over a worker's claim): trust the row count.
    moved = session.exec(
        update(Alert)
        .where(col(Alert.id) == alert_id, col(Alert.state) == AlertState.FAILED)
        .values(fresh)
    )
    if moved.rowcount != 1:
        raise InvalidInputError("the message changed meanwhile; reload the page and check it")
    audit.record(
        session,
        at=now,
        actor=actor,
        action="alert.resent",
        entity="case",
        entity_id=case.id,
        alert=alert_id,
        previous_error=previous[0],
        previous_sid=previous[1],
    )


def _check_sendable(alert: Alert, parolee: Parolee) -> None:
    """Refuse what the dispatcher would only set aside again, saying why."""
    if alert.recipient is None:
        raise InvalidInputError("this message's text and number were erased; it cannot be sent")
    if not consenting(parolee):
        raise InvalidInputError("the person has not agreed to SMS or has opted out")
    if parolee.unreachable_at is not None:
        raise InvalidInputError(
            "the provider says this number cannot receive SMS; correct the phone number first"
        )
    if parolee.sms_paused_at is not None:
        raise InvalidInputError("SMS is paused for this person; resume it first")
    if parolee.phone != alert.recipient:
        raise InvalidInputError(
            "the phone number changed since this message failed; reminders to the new "
            "number are planned on their own"
        )
