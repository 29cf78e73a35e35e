"""Everything the admin's case page shows about one case, read in one place."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from tracker.alerts.consent import consenting
from tracker.alerts.planner import can_text
from tracker.cases.appointments import appointments_of, histories
from tracker.cases.repository import CaseDetail, case_detail
from tracker.domain.model import Status
from tracker.domain.status import NEEDS, Needs, allowed_from
from tracker.errors import NotFoundError
from tracker.store import audit
from tracker.store.models import (
    Alert,
    Appointment,
    AppointmentChange,
    Case,
    ConsentEvent,
    InboundMessage,
    Parolee,
    Representative,
    StaffNotice,
    must_id,
)
from tracker.uscis.history import FilingHistory, history_for_case, notices_for_case


@dataclass(frozen=True)
class CaseFile:
    """One case with its messages, replies, consent history, and the choices its forms
    offer (the status moves the status machine allows, the representatives)."""

    detail: CaseDetail
    alerts: list[Alert]
    replies: list[InboundMessage]
    consent_history: list[ConsentEvent]
    representatives: list[Representative]
    moves: list[Status]
    uscis: list[FilingHistory]
    notices: list[StaffNotice]
    appointments: list[Appointment]
    appointment_history: dict[int, list[AppointmentChange]]

    @property
    def consenting(self) -> bool:
        """True while the person's SMS consent is given and not withdrawn."""
        return consenting(self.detail.parolee)

    @property
    def can_text(self) -> bool:
        """True if a message could go to the person now (consent, number, not paused)."""
        return can_text(self.detail.parolee)

    def moves_needing(self, what: str) -> list[Status]:
        """The offered moves that need a `date` or a `new_expiry`."""
        return [s for s in self.moves if getattr(NEEDS.get(s, Needs()), what)]


def load_case(session: Session, case_id: int) -> tuple[Case, Parolee]:
    """A case and its person by internal id, or NotFoundError."""
    case = session.get(Case, case_id)
    parolee = session.get(Parolee, case.parolee_id) if case else None
    if case is None or parolee is None:
        raise NotFoundError(f"There is no case with id {case_id}.")
    return case, parolee


def case_file(session: Session, case: Case) -> CaseFile:
    """All the page shows about `case`."""
    # External ids are unique: this finds exactly `case`, with what `case show` prints.
    detail = case_detail(session, case.external_id)
    parolee_id = detail.parolee.id
    appointments = appointments_of(session, must_id(case.id))
    return CaseFile(
        detail=detail,
        alerts=list(
            session.exec(
                select(Alert)
                .where(Alert.case_id == case.id)
                .order_by(col(Alert.due_at).desc(), col(Alert.id).desc())
            ).all()
        ),
        replies=list(
            session.exec(
                select(InboundMessage)
                .where(InboundMessage.parolee_id == parolee_id)
                .order_by(col(InboundMessage.received_at).desc())
            ).all()
        ),
        consent_history=list(
            session.exec(
                select(ConsentEvent)
                .where(ConsentEvent.parolee_id == parolee_id)
                .order_by(col(ConsentEvent.at), col(ConsentEvent.id))
            ).all()
        ),
        representatives=list(
            session.exec(
                select(Representative).order_by(col(Representative.name), col(Representative.id))
            ).all()
        ),
        moves=sorted(allowed_from(case.status), key=list(Status).index),
        uscis=history_for_case(session, must_id(case.id)),
        notices=notices_for_case(session, must_id(case.id)),
        appointments=appointments,
        appointment_history=histories(session, appointments),
    )


def record_view(session: Session, case: Case, actor: str, now: datetime) -> None:
    """Note in the audit log that `actor` saw this case's personal data."""
    audit.record(
        session, at=now, actor=actor, action="case.viewed", entity="case", entity_id=case.id
    )
