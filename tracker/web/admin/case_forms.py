"""The case page's forms read into what the services take. Each reader raises a
FieldError naming the first field that is wrong and why; none of them writes anything.
Values are checked with the same functions the import uses."""

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime

from tracker.cases.contact import Contact
from tracker.cases.edit import FACT_FIELDS, CaseFactsUpdate, StatusRequest
from tracker.domain.appointments import (
    AppointmentError,
    AppointmentRequest,
    AppointmentStatus,
    appointment_request,
)
from tracker.domain.contact import normalise_language, normalise_name, normalise_timezone
from tracker.domain.identifiers import (
    normalise_a_number,
    normalise_category,
    normalise_phone,
    normalise_receipt,
)
from tracker.domain.model import Decision, Form, Status
from tracker.domain.status import check_transition
from tracker.errors import IllegalTransitionError
from tracker.store.models import MAX_ID
from tracker.web.admin.page_kit import FieldError, Fields, choice, day, required, text, whole

REASON_MAX = 1000
NOTE_MAX = 500


def _checked(fields: Fields, name: str, label: str, normalise: Callable[[str], str]) -> str | None:
    """A field run through a normaliser, or None if left empty."""
    value = text(fields, name)
    if not value:
        return None
    try:
        return normalise(value)
    except ValueError as exc:
        raise FieldError(name, label, f"{exc}.") from None


def _date(fields: Fields, name: str, label: str, what: str) -> date:
    """A date that must be given; `what` says what it is the date of."""
    value = day(fields, name, label)
    if value is None:
        raise FieldError(name, label, f"enter {what} (YYYY-MM-DD).")
    return value


def _receipt(fields: Fields, form: Form | None) -> str | None:
    receipt = _checked(fields, "receipt", "Receipt number", normalise_receipt)
    if receipt and form is None:
        raise FieldError("form", "Form", "a receipt number needs its form, for example I-131.")
    return receipt


def status_request(fields: Fields, current: Status, today: date) -> StatusRequest:
    """A status change; moves the status machine refuses name the legal ones."""
    target = choice(fields, "target", "New status", Status)
    if target is None:
        raise FieldError("target", "New status", "choose the status the case moves to.")
    try:
        needs = check_transition(current, target)
    except IllegalTransitionError as exc:
        raise FieldError("target", "New status", f"{exc.message}.") from None
    reason = required(fields, "reason", "Reason", REASON_MAX)
    effective = day(fields, "effective", "Date")
    new_expiry = day(fields, "new_expiry", "New expiry")
    if needs.date and effective is None:
        raise FieldError(
            "effective", "Date", f"moving to {target.value} needs the date it happened."
        )
    if needs.new_expiry:
        if new_expiry is None:
            raise FieldError(
                "new_expiry",
                "New expiry",
                f"moving to {target.value} needs the new grant's expiry.",
            )
        # The new grant starts on the date given, or today (as `change_status` does).
        start = effective or today
        if new_expiry < start:
            raise FieldError(
                "new_expiry", "New expiry", f"it is before the new grant's start ({start})."
            )
    form = choice(fields, "form", "Form", Form)
    return StatusRequest(
        target=target,
        reason=reason,
        effective=effective,
        new_expiry=new_expiry,
        receipt=_receipt(fields, form),
        form=form,
    )


def reparole_grant(fields: Fields) -> tuple[date, date, str | None]:
    """Start, expiry and note of a re-parole grant."""
    start = _date(fields, "start", "Start", "the day the new grant starts")
    expiry = _date(fields, "expiry", "Expiry", "the day the new grant ends")
    if expiry < start:
        raise FieldError("expiry", "Expiry", f"it is before the start ({start}).")
    note = text(fields, "note")
    if len(note) > NOTE_MAX:
        raise FieldError("note", "Note", f"keep it to {NOTE_MAX} characters or fewer.")
    return start, expiry, note or None


def filing(fields: Fields, today: date) -> tuple[Form, str | None, date]:
    """Form, receipt number and filed date of a new filing."""
    form = choice(fields, "form", "Form", Form)
    if form is None:
        raise FieldError("form", "Form", "choose the form that was filed.")
    receipt = _receipt(fields, form)
    filed = _date(fields, "filed", "Filed on", "the day it was filed")
    if filed > today:
        raise FieldError("filed", "Filed on", f"it is after today ({today}).")
    return form, receipt, filed


def representative(fields: Fields) -> int | None:
    """The chosen representative's id; None for no representative."""
    value = text(fields, "representative")
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and len(value) < 10):
        raise FieldError("representative", "Representative", "choose one from the list.")
    return int(value)


def contact(fields: Fields) -> Contact:
    """A person's contact data, checked as the import checks it."""
    name = _checked(fields, "full_name", "Name", normalise_name)
    if name is None:
        raise FieldError("full_name", "Name", "enter the person's full name.")
    language = _checked(fields, "language", "Language", normalise_language)
    if language is None:
        raise FieldError("language", "Language", "choose the language messages are sent in.")
    zone = _checked(fields, "timezone", "Time zone", normalise_timezone)
    if zone is None:
        raise FieldError("timezone", "Time zone", "enter a time zone such as America/New_York.")
    return Contact(
        full_name=name,
        phone=_checked(fields, "phone", "Phone", normalise_phone),
        language=language,
        timezone=zone,
        a_number=_checked(fields, "a_number", "A-number", normalise_a_number),
    )


def decision(fields: Fields) -> tuple[int, Decision, date]:
    """Which pending filing was decided, how, and on what day."""
    filing_id = whole(fields, "filing", "Filing", 1, MAX_ID)
    if filing_id is None:
        raise FieldError("filing", "Filing", "choose the pending filing that was decided.")
    outcome = choice(fields, "decision", "Decision", Decision)
    if outcome is None:
        raise FieldError("decision", "Decision", "choose what USCIS decided.")
    return filing_id, outcome, _date(fields, "on", "Decided on", "the day of the decision")


def fee_notice(fields: Fields) -> tuple[int, date]:
    """Which pending filing a yearly fee notice is for, and its due date."""
    filing_id = whole(fields, "filing", "Filing", 1, MAX_ID)
    if filing_id is None:
        raise FieldError("filing", "Filing", "choose the pending filing the notice is for.")
    return filing_id, _date(fields, "due", "Due", "the due date in the notice")


def response_due(fields: Fields) -> tuple[int, date, str, bool]:
    """Which pending filing USCIS's request is about, its response date, whether it is a
    request for evidence (rfe) or a notice of intent to deny (noid), and whether the person
    is texted too."""
    filing_id = whole(fields, "filing", "Filing", 1, MAX_ID)
    if filing_id is None:
        raise FieldError("filing", "Filing", "choose the pending filing the request is about.")
    notice = text(fields, "notice") or "rfe"
    if notice not in ("rfe", "noid"):
        raise FieldError("notice", "Notice", "choose a request for evidence or an intent to deny.")
    due = _date(fields, "due", "Respond by", "the response date in the notice")
    return filing_id, due, notice, text(fields, "tell") == "yes"


def termination_notice(fields: Fields) -> tuple[int, date]:
    """Which termination the person was notified of, and the day the notice arrived."""
    termination_id = whole(fields, "termination", "Termination", 1, MAX_ID)
    if termination_id is None:
        raise FieldError("termination", "Termination", "choose the termination.")
    return termination_id, _date(fields, "received", "Received on", "the day it arrived")


def facts(fields: Fields) -> CaseFactsUpdate:
    """The facts form: an empty field empties the fact."""
    update = CaseFactsUpdate(
        birth_date=day(fields, "birth_date", "Date of birth"),
        work_permit_category=_checked(
            fields, "work_permit_category", "Work permit category", normalise_category
        ),
        work_permit_expiry=day(fields, "work_permit_expiry", "Work permit expiry"),
        parole_fee_due=day(fields, "parole_fee_due", "Parole fee due"),
    )
    empty = frozenset(name for name in FACT_FIELDS if getattr(update, name) is None)
    return replace(update, clear=empty)


# The appointment form's fields, by what `appointment_request` calls them.
APPOINTMENT_FIELDS = {
    "kind": ("kind", "Kind"),
    "at": ("at", "Local time"),
    "zone": ("zone", "Time zone of the place"),
    "place": ("place", "Place"),
    "duration": ("duration", "Duration"),
    "source_notice": ("notice", "Notice"),
}


def appointment(
    fields: Fields,
    now: datetime,
    *,
    kind: str | None = None,
    zone: str | None = None,
    place: str | None = None,
) -> AppointmentRequest:
    """A new appointment, or the new time of one (`kind`, `zone` and `place`: the old
    one's, used where the form leaves them empty)."""
    try:
        return appointment_request(
            kind=kind or text(fields, "kind"),
            # A datetime-local input sends 2027-01-15T09:30.
            at=text(fields, "at").replace("T", " "),
            zone=text(fields, "zone") or zone or "",
            place=text(fields, "place") or place or "",
            now=now,
            duration_minutes=whole(fields, "duration", "Duration", 1, 720),
            source_notice=text(fields, "notice") or None,
            source_date=day(fields, "notice_date", "Notice date"),
            past=text(fields, "past") == "yes",
        )
    except AppointmentError as exc:
        name, label = APPOINTMENT_FIELDS[exc.field]
        raise FieldError(name, label, f"{exc.message}.") from None


def appointment_outcome(fields: Fields) -> tuple[int, AppointmentStatus, str]:
    """Which appointment, what became of it (attended, missed, cancelled), and why."""
    which = whole(fields, "appointment", "Appointment", 1, MAX_ID)
    if which is None:
        raise FieldError("appointment", "Appointment", "choose the appointment.")
    outcome = choice(fields, "outcome", "What happened", AppointmentStatus)
    if outcome not in (
        AppointmentStatus.ATTENDED,
        AppointmentStatus.MISSED,
        AppointmentStatus.CANCELLED,
    ):
        raise FieldError("outcome", "What happened", "choose attended, missed or cancelled.")
    reason = text(fields, "reason")
    if len(reason) > REASON_MAX:
        raise FieldError("reason", "Reason", f"keep it to {REASON_MAX} characters or fewer.")
    return which, outcome, reason or outcome.value


def rescheduled(fields: Fields) -> tuple[int, str]:
    """Which appointment is moved, and why."""
    which = whole(fields, "appointment", "Appointment", 1, MAX_ID)
    if which is None:
        raise FieldError("appointment", "Appointment", "choose the appointment.")
    reason = text(fields, "reason")
    if len(reason) > REASON_MAX:
        raise FieldError("reason", "Reason", f"keep it to {REASON_MAX} characters or fewer.")
    return which, reason or "rescheduled"
