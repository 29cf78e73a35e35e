"""Correcting how a person is reached: name, phone, language, time zone, A-number.

Values arrive checked (the admin form uses the import's validators); this applies them
and everything that follows from them, in the caller's transaction.
"""

from dataclasses import asdict, dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from tracker.alerts.consent import consenting
from tracker.cases.edit import case_edit
from tracker.domain.model import AlertState
from tracker.errors import InvalidInputError
from tracker.policies import Policies
from tracker.store.models import Alert, Case, Parolee

# Changes that alter what is sent, to whom, or when: the person's reminders are re-planned.
MESSAGING = frozenset({"phone", "language", "timezone"})


@dataclass(frozen=True)
class Contact:
    """A person's contact data, each value already normalised."""

    full_name: str
    phone: str | None
    language: str
    timezone: str
    a_number: str | None


def update_contact(
    session: Session,
    parolee: Parolee,
    contact: Contact,
    *,
    actor: str,
    policies: Policies,
    now: datetime,
) -> list[str]:
    """Store the new contact data; return the names of the fields that changed."""
    if parolee.erased_at is not None:
        raise InvalidInputError("this person's data was erased; there is nothing to correct")
    if contact.phone is None and consenting(parolee):
        raise InvalidInputError(
            "Phone: the person agreed to SMS reminders, so the number cannot be removed. "
            "To stop messages, pause SMS instead."
        )
    values = asdict(contact)
    changed = sorted(name for name, value in values.items() if getattr(parolee, name) != value)
    if not changed:
        return []
    if "phone" in changed:
        _new_number(session, parolee, contact.phone, now)
    for name in changed:
        setattr(parolee, name, values[name])
    parolee.updated_at = now
    session.add(parolee)
    cases = session.exec(select(Case).where(Case.parolee_id == parolee.id)).all()
    for case in cases:
        with case_edit(
            session, case, parolee=parolee, by=actor, policies=policies, now=now
        ) as edit:
            if "full_name" in changed:
                # Calendar events name the person: they must be replaced, not kept.
                edit.renamed()
            if MESSAGING.intersection(changed):
                edit.touch(case)
            edit.audit_as("case.contact_changed", fields=",".join(changed))
    return changed


def _new_number(session: Session, parolee: Parolee, phone: str | None, now: datetime) -> None:
    """What was planned goes to the new number instead; what was known about the old
    number (unreachable) no longer holds."""
    parolee.unreachable_at, parolee.unreachable_reason = None, None
    alerts = session.exec(select(Alert).where(Alert.parolee_id == parolee.id)).all()
    # Messages already planned for the new number (it was this person's before) stay.
    taken = {_slot(a) for a in alerts if a.recipient == phone}
    for alert in alerts:
        if alert.state != AlertState.PLANNED:
            continue
        if phone is None or _slot(alert) in taken:
            alert.state, alert.reason = AlertState.CANCELLED, "the phone number changed"
        else:
            alert.recipient = phone
        alert.updated_at = now
        session.add(alert)


def _slot(alert: Alert) -> tuple[int, str, date, int]:
    """The alert's unique key without its recipient."""
    return alert.case_id, alert.kind, alert.about_date, alert.offset_days
