"""Delivery reports from the provider (status callbacks), applied in order.

Callbacks can arrive late and out of order: a `sent` after `delivered` must not undo it,
so states only move forward.
"""

from datetime import datetime

from sqlmodel import Session, select

from tracker.alerts.consent import stop_texting
from tracker.domain.model import AlertState
from tracker.sms.base import SmsErrorKind
from tracker.sms.twilio_backend import classify_callback_error
from tracker.store.models import Alert

# How far along each provider status is; a callback never moves an alert backwards.
RANK = {"accepted": 0, "queued": 0, "sending": 1, "sent": 2, "delivered": 3, "undelivered": 4,
        "failed": 4, "read": 3}  # fmt: skip
STATE = {"sent": AlertState.SENT, "delivered": AlertState.DELIVERED, "read": AlertState.DELIVERED,
         "undelivered": AlertState.FAILED, "failed": AlertState.FAILED}  # fmt: skip


def apply_status(
    session: Session, sid: str, status: str, error_code: int | None, now: datetime
) -> bool:
    """Record a provider status for the alert sent as `sid`; False if no alert has that sid."""
    alert = session.exec(select(Alert).where(Alert.provider_sid == sid)).first()
    if alert is None:
        return False
    status = status.lower()
    if RANK.get(status, -1) <= RANK.get(alert.provider_status or "queued", 0):
        return True  # late or repeated: keep what we know
    alert.provider_status = status
    alert.updated_at = now
    if status in STATE:
        alert.state = STATE[status]
    if alert.state == AlertState.DELIVERED:
        alert.delivered_at = now
    if alert.state == AlertState.FAILED:
        alert.error_code = error_code
        kind = classify_callback_error(error_code)
        alert.reason = f"{status} ({kind.value})"
        if kind in (SmsErrorKind.UNREACHABLE, SmsErrorKind.OPTED_OUT):
            stop_texting(session, alert.parolee_id, kind, alert.reason, now)
    session.add(alert)
    return True
