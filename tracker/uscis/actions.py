"""What a new USCIS status sets in motion, in the caller's transaction.

- denied, rejected: urgent. An open urgent notice flags the case for staff and the
  representative, with USCIS's own words; the person gets a plain text in their language
  asking them to talk to their representative, if we may text them.
- approved: a notice to record the outcome. For a re-parole request (I-131) that is the
  new grant, whose expiry date only the approval notice (I-797) gives: USCIS's status text
  never states it, so the grant is never recorded from here.
- rfe: a notice, with the response date when USCIS's description states one. It is not a
  deadline of the rules (those derive from grants, arrival and filings): the calendar
  feeds show the notice's date as an event until it is marked dealt with.
- appointment: a notice to make sure the person attends.
- received, transferred, other: the history only.

A decision (approved, denied, rejected) acts once: a later text of the same event (the card
mailed after the approval) adds history and nothing else. A request for evidence or an
appointment acts on every new status: a second one is a new request.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from tracker.alerts.compose import Composer
from tracker.alerts.outbox import enqueue
from tracker.alerts.planner import can_text
from tracker.alerts.policy import local_date, next_allowed
from tracker.alerts.render import uscis_params
from tracker.alerts.schedule import USCIS_DENIED, USCIS_REJECTED, Wanted
from tracker.domain.model import Form, UscisEvent
from tracker.store.models import (
    Alert,
    Case,
    Filing,
    NoticeKind,
    Parolee,
    StaffNotice,
    UscisStatus,
    must_id,
)
from tracker.uscis.events import response_due

log = logging.getLogger(__name__)
DECISIONS = (UscisEvent.APPROVED, UscisEvent.DENIED, UscisEvent.REJECTED)
REPEATABLE = (UscisEvent.RFE, UscisEvent.APPOINTMENT)
# The outbox kind of the person's text for each urgent event (its words: render.USCIS_TEXTS).
_TEXTS = {UscisEvent.DENIED: USCIS_DENIED, UscisEvent.REJECTED: USCIS_REJECTED}


@dataclass
class ActionOutcome:
    """What one new status set in motion."""

    notices: int = 0
    messages: int = 0


@dataclass(frozen=True)
class _Subject:
    """The case, person and filing a status is about."""

    case: Case
    parolee: Parolee
    filing: Filing
    status: UscisStatus

    @property
    def form(self) -> str:
        """The form as USCIS names it, else as recorded."""
        return self.status.form_type or self.filing.form.value

    @property
    def what(self) -> str:
        return f"Form {self.form} (receipt {self.filing.receipt_number})"


def calls_for_action(event: UscisEvent, previous: UscisEvent | None) -> bool:
    """Whether a new status of `event`, after one of `previous` (None: the first status
    read), sets anything in motion."""
    if event in REPEATABLE:
        return True
    return event in DECISIONS and event != previous


def act_on(
    session: Session,
    *,
    case: Case,
    parolee: Parolee,
    filing: Filing,
    status: UscisStatus,
    previous: UscisEvent | None,
    composer: Composer,
    now: datetime,
) -> ActionOutcome:
    """Write the notices and the person's text that a newly stored `status` calls for."""
    outcome = ActionOutcome()
    if not calls_for_action(status.event, previous):
        return outcome
    subject = _Subject(case, parolee, filing, status)
    event = status.event
    if event in _TEXTS:
        texted = _text_person(session, subject, _TEXTS[event], composer, now)
        outcome.messages += texted
        _notice(session, subject, _urgent_kind(event), _decision_message(subject, texted), now)
    elif event == UscisEvent.APPROVED:
        kind, message = _approval(subject)
        _notice(session, subject, kind, message, now)
    elif event == UscisEvent.RFE:
        due = response_due(status.description_en)
        _notice(session, subject, NoticeKind.USCIS_RFE, _rfe_message(subject, due), now, due)
    else:
        message = (
            f"USCIS scheduled an appointment for {subject.what}. Check USCIS's notice for"
            " the date and place, and make sure the person attends."
        )
        _notice(session, subject, NoticeKind.USCIS_APPOINTMENT, message, now)
    outcome.notices += 1
    log.info("USCIS %s for filing %s: notice written", event.value, filing.id)
    return outcome


def _urgent_kind(event: UscisEvent) -> NoticeKind:
    return NoticeKind.USCIS_DENIED if event == UscisEvent.DENIED else NoticeKind.USCIS_REJECTED


def _decision_message(subject: _Subject, texted: bool) -> str:
    language = subject.parolee.language
    person = (
        f"The person was sent a text (language {language}) asking them to talk to their"
        " representative."
        if texted
        else "The person could not be texted (no SMS consent or number, or messages are"
        " paused): reach them another way."
    )
    if subject.status.event == UscisEvent.DENIED:
        head = f"Urgent: USCIS denied {subject.what}."
    else:
        head = f"Urgent: USCIS rejected {subject.what}: it is no longer pending."
    return (
        f"{head} {person} Next step: the representative talks with the person about what"
        " they can do; record the decision on the case once confirmed."
    )


def _approval(subject: _Subject) -> tuple[NoticeKind, str]:
    if _is_reparole(subject):
        return NoticeKind.USCIS_APPROVED_REPAROLE, (
            f"USCIS approved the re-parole request, {subject.what}. Record the new grant"
            " with the expiry date from the approval notice (I-797), so that reminders"
            f" use the new date: tracker case status {subject.case.external_id} paroled"
            ' --new-expiry YYYY-MM-DD --reason "re-parole approved".'
        )
    return NoticeKind.USCIS_APPROVED, (
        f"USCIS approved {subject.what}. Record the outcome on the case (a new status, or"
        " the work permit's new date) so that deadlines and reminders stay right."
    )


def _is_reparole(subject: _Subject) -> bool:
    form = (subject.status.form_type or "").upper().replace("-", "").replace(" ", "")
    return form == "I131" or (not form and subject.filing.form == Form.I131)


def _rfe_message(subject: _Subject, due: date | None) -> str:
    when = (
        f"USCIS's text gives {due.isoformat()} as the date to respond by."
        if due
        else "USCIS's text gives no response date: take it from the request itself."
    )
    return (
        f"USCIS asked for more evidence on {subject.what}. {when} Plan the answer with the person."
    )


def _notice(
    session: Session,
    subject: _Subject,
    kind: NoticeKind,
    message: str,
    now: datetime,
    due: date | None = None,
) -> None:
    status = subject.status
    quoted = f'USCIS\'s status: "{status.status_en}".'
    if status.description_en:
        quoted += f" {status.description_en}"
    session.add(
        StaffNotice(
            case_id=must_id(subject.case.id),
            filing_id=subject.filing.id,
            uscis_status_id=status.id,
            kind=kind,
            urgent=kind in (NoticeKind.USCIS_DENIED, NoticeKind.USCIS_REJECTED),
            message=f"{message} {quoted}",
            due_date=due,
            created_at=now,
        )
    )


def _text_person(
    session: Session, subject: _Subject, kind: str, composer: Composer, now: datetime
) -> bool:
    """Plan the person's text at the next allowed time; False if we may not text them."""
    case, parolee = subject.case, subject.parolee
    if not can_text(parolee):
        return False
    assert parolee.phone is not None
    # One text per case, kind and day: two filings denied on one day need one message.
    day = local_date(now, parolee.timezone)
    sent = session.exec(
        select(Alert.id).where(
            Alert.case_id == case.id, Alert.kind == kind, Alert.about_date == day
        )
    ).first()
    if sent is not None:
        return True
    # The outbox key needs a date: for this message, the day the decision was seen.
    due = next_allowed(now, parolee.timezone, composer.policy)
    wanted = Wanted(kind, day, 0, due, parolee.phone)
    try:
        with session.begin_nested():
            enqueue(session, case, parolee, wanted, now, params=uscis_params(subject.form))
    except IntegrityError:
        # Another worker planned the same text a moment ago.
        log.info("USCIS text for case %s already planned", case.id)
    return True
