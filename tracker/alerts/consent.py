"""Whether we may text a person: opt-out (STOP), opt-in (START), unreachable numbers."""

from datetime import datetime

from sqlmodel import Session, select

from tracker.domain.model import AlertState
from tracker.sms.base import SmsErrorKind
from tracker.store import audit
from tracker.store.blind import phone_is
from tracker.store.encrypted import session_keyring
from tracker.store.models import Alert, Case, ConsentEvent, Parolee, must_id


def stop_texting(
    session: Session,
    parolee_id: int,
    kind: SmsErrorKind,
    reason: str,
    now: datetime,
    *,
    how: str = "provider",
) -> None:
    """Record an opt-out or an unreachable number, and cancel everything still planned.

    Both are facts about the number, so they hold for everyone who shares it.
    """
    parolee = session.get(Parolee, parolee_id)
    assert parolee is not None
    household = [parolee]
    if parolee.phone is not None:
        same_phone = phone_is(session_keyring(session), parolee.phone)
        household = list(session.exec(select(Parolee).where(same_phone)).all())
    for person in household:
        if kind == SmsErrorKind.OPTED_OUT and consenting(person):
            record_consent(session, must_id(person.id), given=False, how=how, actor=how, now=now)
        _stop(session, person, kind, reason, now)


def _stop(
    session: Session, parolee: Parolee, kind: SmsErrorKind, reason: str, now: datetime
) -> None:
    if kind == SmsErrorKind.OPTED_OUT:
        parolee.sms_consent_withdrawn_at = now
    else:
        parolee.unreachable_at, parolee.unreachable_reason = now, reason[:200]
    session.add(parolee)
    planned = session.exec(
        select(Alert).where(Alert.parolee_id == parolee.id, Alert.state == AlertState.PLANNED)
    ).all()
    for alert in planned:
        alert.state, alert.reason, alert.updated_at = (
            AlertState.CANCELLED,
            f"stopped: {kind.value}",
            now,
        )
        session.add(alert)
    case_ids = session.exec(select(Case.id).where(Case.parolee_id == parolee.id)).all()
    for case_id in case_ids:
        audit.record(
            session,
            at=now,
            actor="system",
            action=f"sms.{kind.value}",
            entity="case",
            entity_id=case_id,
        )


def consenting(parolee: Parolee) -> bool:
    """True while consent is given and not withdrawn."""
    return parolee.sms_consent_at is not None and parolee.sms_consent_withdrawn_at is None


def record_consent(
    session: Session, parolee_id: int, *, given: bool, how: str, actor: str, now: datetime
) -> None:
    """Add one step to the consent history (it is never edited)."""
    session.add(ConsentEvent(parolee_id=parolee_id, given=given, at=now, how=how, actor=actor))


def give_consent(session: Session, parolee: Parolee, now: datetime, how: str) -> None:
    """Record consent given again (a START reply); the caller re-plans the person's cases."""
    if not consenting(parolee):
        record_consent(session, must_id(parolee.id), given=True, how=how, actor=how, now=now)
    parolee.sms_consent_at, parolee.sms_consent_withdrawn_at = now, None
    session.add(parolee)
    for case_id in session.exec(select(Case.id).where(Case.parolee_id == parolee.id)).all():
        audit.record(
            session,
            at=now,
            actor=how,
            action="sms.consent_given",
            entity="case",
            entity_id=case_id,
        )
