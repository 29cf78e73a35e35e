"""Everything held about one parolee, as data (export), and its erasure.

Erasure keeps the case as an anonymous record (program, dates, status history) and
removes what identifies the person: name, phone, A-number, notes, message texts and
replies. The audit row it leaves names the case ids, never a personal value.
"""

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from tracker.cases.repository import find_case
from tracker.domain.model import AlertState
from tracker.store import audit
from tracker.store.models import (
    Alert,
    Case,
    ConsentEvent,
    DeadlineRow,
    Filing,
    Grant,
    InboundMessage,
    Parolee,
    StaffNotice,
    StatusChange,
    UscisStatus,
    must_id,
)

ERASED = "[erased]"


def person_of(session: Session, case_ref: str) -> Parolee:
    """The parolee of a case (external id or internal id)."""
    _, parolee = find_case(session, case_ref)
    return parolee


def export_person(session: Session, parolee: Parolee) -> dict[str, Any]:
    """Everything held about one parolee and their cases, as JSON-ready data."""
    cases = session.exec(select(Case).where(Case.parolee_id == parolee.id)).all()
    ids = [must_id(c.id) for c in cases]
    return {
        "parolee": _plain(parolee),
        "consent_history": _rows(session, ConsentEvent, ConsentEvent.parolee_id == parolee.id),
        "cases": [
            {
                **_plain(case),
                "grants": _rows(session, Grant, Grant.case_id == case.id),
                "filings": _rows(session, Filing, Filing.case_id == case.id),
                "deadlines": _rows(session, DeadlineRow, DeadlineRow.case_id == case.id),
                "status_history": _rows(session, StatusChange, StatusChange.case_id == case.id),
                "uscis_history": _uscis_rows(session, must_id(case.id)),
                "notices": _rows(session, StaffNotice, StaffNotice.case_id == case.id),
            }
            for case in cases
        ],
        "messages_sent": _rows(session, Alert, col(Alert.case_id).in_(ids)),
        "replies_received": _rows(session, InboundMessage, InboundMessage.parolee_id == parolee.id),
    }


def erase_person(session: Session, parolee: Parolee, now: datetime, actor: str) -> list[int]:
    """Remove what identifies the person; return the ids of the cases kept anonymously."""
    cases = list(session.exec(select(Case).where(Case.parolee_id == parolee.id)).all())
    parolee.full_name, parolee.phone, parolee.a_number = ERASED, None, None
    parolee.erased_at = now
    parolee.sms_consent_withdrawn_at = parolee.sms_consent_withdrawn_at or now
    parolee.updated_at = now
    session.add(parolee)
    for case in cases:
        case.notes, case.updated_at = None, now
        session.add(case)
    for alert in session.exec(select(Alert).where(Alert.parolee_id == parolee.id)).all():
        if alert.state == AlertState.PLANNED:
            alert.state, alert.reason = AlertState.CANCELLED, "person erased"
        alert.body, alert.recipient = None, None
        alert.updated_at = now
        session.add(alert)
    for reply in session.exec(
        select(InboundMessage).where(InboundMessage.parolee_id == parolee.id)
    ).all():
        reply.body, reply.reply = None, None
        session.add(reply)
    case_ids = [must_id(c.id) for c in cases]
    audit.record(
        session,
        at=now,
        actor=actor,
        action="person.erased",
        entity="parolee",
        entity_id=parolee.id,
        cases=",".join(map(str, case_ids)),
    )
    return case_ids


def _uscis_rows(session: Session, case_id: int) -> list[dict[str, Any]]:
    """Every USCIS status stored for the case's filings (receipt numbers, USCIS's texts)."""
    filings = select(Filing.id).where(Filing.case_id == case_id)
    return _rows(session, UscisStatus, col(UscisStatus.filing_id).in_(filings))


def _rows(session: Session, model: Any, condition: Any) -> list[dict[str, Any]]:
    return [_plain(row) for row in session.exec(select(model).where(condition)).all()]


def _plain(row: Any) -> dict[str, Any]:
    # Blind indexes are keyed hashes for lookups: they tell the person nothing.
    return {
        key: value.isoformat() if hasattr(value, "isoformat") else value
        for key, value in row.model_dump(mode="python").items()
        if not key.endswith("_index")
    }
