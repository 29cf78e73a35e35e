"""/admin/cases/{id}: one case with everything known about it, and the forms that change it.

Every form posts back here, is checked for its CSRF token and for the caller's right to
the case, and then either redirects to the page with a short confirmation, or shows the
page again with status 422 and what is wrong, having written nothing.
"""

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlmodel import Session

from tracker.accounts.users import Caller
from tracker.alerts.control import pause_sms, resend_alert, resume_sms
from tracker.alerts.planner import can_text
from tracker.alerts.render import previews
from tracker.bootstrap import App
from tracker.cases.appointments import appointment_of, local_start
from tracker.cases.casefile import CaseFile, case_file, load_case, record_view
from tracker.cases.contact import update_contact
from tracker.cases.edit import CaseEdit, case_edit, end_moved
from tracker.cases.terminations import record_notice
from tracker.clock import local_today
from tracker.domain.appointments import AppointmentKind, AppointmentStatus
from tracker.domain.model import Form
from tracker.errors import IllegalTransitionError, InvalidInputError, NotFoundError, TrackerError
from tracker.sms.base import mask_phone
from tracker.store.db import session_scope
from tracker.store.models import Case, Parolee, Representative, must_id
from tracker.uscis.history import notices_for_case, resolve_notice
from tracker.web.admin import case_forms
from tracker.web.admin.auth import AdminAuth, Visitor, require_case, require_staff
from tracker.web.admin.page_kit import FieldError, Fields, page, refusal, see_other

# Offered in the contact form's list; any IANA zone may be typed.
COMMON_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
)
# The languages messages are written in (`tracker.domain.contact.LANGUAGES`), by name.
LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "uk": "Ukrainian", "ru": "Russian",
                  "ht": "Haitian Creole", "fa-AF": "Dari", "ps": "Pashto"}  # fmt: skip
# How the confirmation names the contact fields that changed.
LABELS = {"full_name": "name", "phone": "phone", "language": "language",
          "timezone": "time zone", "a_number": "A-number"}  # fmt: skip

# What an action does, given the session, the case and its person; returns the notice.
Action = Callable[[Session, Case, Parolee], str]


def open_case(session: Session, case_id: int, caller: Caller) -> tuple[Case, Parolee]:
    """The case, if it exists (404) and the caller may see it (403)."""
    case, parolee = load_case(session, case_id)
    require_case(caller, case)
    return case, parolee


def choices(file: CaseFile, caller: Caller) -> dict[str, list[tuple[str, str]]]:
    """The options of the page's lists, as (value, text) pairs."""
    reps = file.representatives if caller.sees_all_cases else []
    pending = [f for f in file.detail.filings if f.decision is None]
    return {
        "pending": [(str(f.id), f"{f.form.value} filed {f.filed_date}") for f in pending],
        "asylum_pending": [
            (str(f.id), f"{f.form.value} filed {f.filed_date}")
            for f in pending
            if f.form == Form.I589
        ],
        "terminations": [
            (str(t.id), f"{t.id}: {t.program.value}, effective {t.effective_date}")
            for t, _ in file.detail.terminations
        ],
        "moves": [(s.value, s.value.replace("_", " ")) for s in file.moves],
        "forms": [(form.value, form.value) for form in Form],
        "languages": [(code, f"{name} ({code})") for code, name in LANGUAGE_NAMES.items()],
        "zones": [(zone, zone) for zone in COMMON_ZONES],
        "representatives": [(str(r.id), _rep_text(r)) for r in reps],
        "appointment_kinds": [(k.value, k.value.replace("_", " ")) for k in AppointmentKind],
        "open_appointments": [
            (str(a.id), f"{a.id}: {a.kind.value.replace('_', ' ')}, {local_start(a)}")
            for a in file.appointments
            if a.status in (AppointmentStatus.SCHEDULED, AppointmentStatus.MISSED)
        ],
    }


def _rep_text(rep: Representative) -> str:
    organisation = f" ({rep.organisation})" if rep.organisation else ""
    return f"{rep.name}{organisation}, {rep.email}"


def _on_field(error: TrackerError, field: tuple[str, str] | None) -> InvalidInputError:
    """A service's refusal as the page shows it: on its field, or as a sentence."""
    if isinstance(error, FieldError):
        return error
    if field is not None:
        return FieldError(field[0], field[1], f"{error.message}.")
    return InvalidInputError(error.message[:1].upper() + error.message[1:].rstrip(".") + ".")


def case_routes(app: App, auth: AdminAuth) -> APIRouter:
    """GET /admin/cases/{id} and the POST actions under it."""
    router = APIRouter(prefix="/admin/cases")
    secure = app.settings.secure_cookies

    def today() -> date:
        return local_today(app.clock, app.settings.default_timezone)

    def show(
        request: Request, visitor: Visitor, case_id: int, status_code: int = 200, **extra: Any
    ) -> Response:
        with session_scope(app.engine) as session:
            case, _ = open_case(session, case_id, visitor.caller)
            file = case_file(session, case)
            context = {
                "visitor": visitor, "file": file, "choices": choices(file, visitor.caller),
                "mask": mask_phone, "today": today(), "failed": None, "values": {},
                "holds": file.detail.holds(app.ruleset.holds),
                "previews": previews(session, file.alerts, app.composer), **extra,
            }  # fmt: skip
            if status_code == 200:
                # A refused form shows the page again but writes nothing, not even this.
                record_view(session, case, visitor.caller.actor, app.clock.now())
            return page(request, "case.html", context, status_code)

    def editing(
        visitor: Visitor, session: Session, case: Case, parolee: Parolee
    ) -> AbstractContextManager[CaseEdit]:
        """The visitor's edit of the case (see `tracker.cases.edit`)."""
        return case_edit(
            session,
            case,
            parolee=parolee,
            by=visitor.caller.actor,
            policies=app.policies,
            now=app.clock.now(),
        )

    def act(
        request: Request,
        visitor: Visitor,
        case_id: int,
        name: str,
        fields: Fields,
        do: Action,
        field: tuple[str, str] | None = None,
    ) -> Response:
        """Run `do` on the case in one transaction. A refusal by the service is put on
        `field` (input name, label) when the service's checks concern that one field."""
        try:
            with session_scope(app.engine) as session:
                case, parolee = open_case(session, case_id, visitor.caller)
                notice = do(session, case, parolee)
        except (InvalidInputError, IllegalTransitionError) as exc:
            return show(
                request,
                visitor,
                case_id,
                422,
                failed=name,
                values=dict(fields),
                **refusal(_on_field(exc, field)),
            )
        return see_other(f"/admin/cases/{case_id}", notice, secure=secure)

    @router.get("/{case_id:int}")
    def view(
        request: Request, case_id: int, visitor: Visitor = Depends(auth.signed_in)
    ) -> Response:
        return show(request, visitor, case_id)

    @router.post("/{case_id:int}/status")
    async def status(
        request: Request, case_id: int, visitor: Visitor = Depends(auth.signed_in)
    ) -> Response:
        fields = await auth.form(request, visitor)

        def do(session: Session, case: Case, parolee: Parolee) -> str:
            before = case.end_date
            wanted = case_forms.status_request(fields, case.status, today())
            with editing(visitor, session, case, parolee) as edit:
                edit.status(wanted)
            moved = end_moved(before, case)
            return f"The case is now {case.status.value}.{moved}"

        return act(request, visitor, case_id, "status", fields, do)

    @router.post("/{case_id:int}/grants")
    async def grant(
        request: Request, case_id: int, visitor: Visitor = Depends(auth.signed_in)
    ) -> Response:
        fields = await auth.form(request, visitor)

        def do(session: Session, case: Case, parolee: Parolee) -> str:
            start, expiry, note = case_forms.reparole_grant(fields)
            with editing(visitor, session, case, parolee) as edit:
                edit.reparole(start=start, expiry=expiry, note=note)
            return f"Re-parole grant added. Parole now ends {case.end_date}."

        return act(request, visitor, case_id, "grant", fields, do, ("start", "Start"))

    @router.post("/{case_id:int}/filings")
    async def filing(
        request: Request, case_id: int, visitor: Visitor = Depends(auth.signed_in)
    ) -> Response:
        fields = await auth.form(request, visitor)

        def do(session: Session, case: Case, parolee: Parolee) -> str:
            form, receipt, filed = case_forms.filing(fields, today())
            with editing(visitor, session, case, parolee) as edit:
                edit.filing(form=form, receipt=receipt, filed=filed)
            return f"{form.value} filing added. The case is {case.status.value}."

        return act(request, visitor, case_id, "filing", fields, do, ("receipt", "Receipt number"))

    @router.post("/{case_id:int}/appointments")
    async def appointment(
        request: Request, case_id: int, visitor: Visitor = Depends(auth.signed_in)
    ) -> Response:
        fields = await auth.form(request, visitor)

        def do(session: Session, case: Case, parolee: Parolee) -> str:
            wanted = case_forms.appointment(fields, app.clock.now())
            with editing(visitor, session, case, parolee) as edit:
                added = edit.appointment(wanted)
            return f"Appointment recorded: {added.kind.value} at {local_start(added)}."

        return act(request, visitor, case_id, "appointment", fields, do)

    @router.post("/{case_id:int}/appointments/reschedule")
    async def reschedule(
        request: Request, case_id: int, visitor: Visitor = Depends(auth.signed_in)
    ) -> Response:
        fields = await auth.form(request, visitor)

        def do(session: Session, case: Case, parolee: Parolee) -> str:
            which, reason = case_forms.rescheduled(fields)
            old = appointment_of(session, case, which)
            wanted = case_forms.appointment(
                fields, app.clock.now(), kind=old.kind.value, zone=old.zone, place=old.place
            )
            with editing(visitor, session, case, parolee) as edit:
                new = edit.reschedule(old, wanted, reason=reason)
            told = " The person will get one text with the new time." if can_text(parolee) else ""
            return f"Appointment moved to {local_start(new)}.{told}"

        return act(
            request, visitor, case_id, "reschedule", fields, do, ("appointment", "Appointment")
        )

    @router.post("/{case_id:int}/appointments/outcome")
    async def appointment_outcome(
        request: Request, case_id: int, visitor: Visitor = Depends(auth.signed_in)
    ) -> Response:
        fields = await auth.form(request, visitor)

        def do(session: Session, case: Case, parolee: Parolee) -> str:
            which, outcome, reason = case_forms.appointment_outcome(fields)
            found = appointment_of(session, case, which)
            with editing(visitor, session, case, parolee) as edit:
                edit.appointment_status(found, outcome, reason)
            return f"Appointment {which} is now {outcome.value}."

        return act(request, visitor, case_id, "outcome", fields, do, ("outcome", "What happened"))

    @router.post("/{case_id:int}/decisions")
    async def decided(
        request: Request, case_id: int, visitor: Visitor = Depends(auth.signed_in)
    ) -> Response:
        fields = await auth.form(request, visitor)

        def do(session: Session, case: Case, parolee: Parolee) -> str:
            filing_id, outcome, on = case_forms.decision(fields)
            before = case.end_date
            with editing(visitor, session, case, parolee) as edit:
                edit.decide(edit.pending_filing(filing_id), decision=outcome, on=on)
            return f"Decision recorded: {outcome.value} on {on}.{end_moved(before, case)}"

        return act(request, visitor, case_id, "decision", fields, do, ("on", "Decided on"))

    @router.post("/{case_id:int}/fee-notices")
    async def fee_noticed(
        request: Request, case_id: int, visitor: Visitor = Depends(auth.signed_in)
    ) -> Response:
        fields = await auth.form(request, visitor)

        def do(session: Session, case: Case, parolee: Parolee) -> str:
            filing_id, due = case_forms.fee_notice(fields)
            with editing(visitor, session, case, parolee) as edit:
                edit.fee_notice(edit.pending_filing(filing_id), due=due)
            return f"Fee notice recorded: due {due}."

        return act(request, visitor, case_id, "fee", fields, do, ("due", "Due"))

    @router.post("/{case_id:int}/response-dates")
    async def response_dated(
        request: Request, case_id: int, visitor: Visitor = Depends(auth.signed_in)
    ) -> Response:
        fields = await auth.form(request, visitor)

        def do(session: Session, case: Case, parolee: Parolee) -> str:
            filing_id, due, notice, tell = case_forms.response_due(fields)
            with editing(visitor, session, case, parolee) as edit:
                edit.response_due(
                    edit.pending_filing(filing_id), due=due, notice=notice, tell_parolee=tell
                )
            who = " The person will be reminded too." if tell else ""
            return f"Response date recorded: {due}.{who}"

        return act(request, visitor, case_id, "response", fields, do, ("due", "Respond by"))

    @router.post("/{case_id:int}/termination-notices")
    async def notified(
        request: Request, case_id: int, visitor: Visitor = Depends(auth.signed_in)
    ) -> Response:
        fields = await auth.form(request, visitor)

        def do(session: Session, case: Case, _parolee: Parolee) -> str:
            termination_id, received = case_forms.termination_notice(fields)
            before = case.end_date
            record_notice(
                session,
                case,
                termination_id,
                received,
                app.policies,
                app.clock.now(),
                visitor.caller.actor,
            )
            return f"Notice recorded: received {received}.{end_moved(before, case)}"

        return act(
            request, visitor, case_id, "termination", fields, do, ("received", "Received on")
        )

    @router.post("/{case_id:int}/facts")
    async def facts(
        request: Request, case_id: int, visitor: Visitor = Depends(auth.signed_in)
    ) -> Response:
        fields = await auth.form(request, visitor)

        def do(session: Session, case: Case, parolee: Parolee) -> str:
            with editing(visitor, session, case, parolee) as edit:
                changed = edit.set_facts(case_forms.facts(fields))
            if not changed:
                return "Nothing changed."
            return "Saved: " + ", ".join(c.replace("_", " ") for c in changed) + "."

        return act(request, visitor, case_id, "facts", fields, do)

    @router.post("/{case_id:int}/notices/{notice_id:int}/resolve")
    async def resolve(
        request: Request, case_id: int, notice_id: int, visitor: Visitor = Depends(auth.signed_in)
    ) -> Response:
        fields = await auth.form(request, visitor)

        def do(session: Session, case: Case, _parolee: Parolee) -> str:
            if notice_id not in {n.id for n in notices_for_case(session, must_id(case.id))}:
                raise NotFoundError(f"This case has no notice {notice_id}.")
            resolve_notice(session, notice_id, actor=visitor.caller.actor, now=app.clock.now())
            return "Notice marked as dealt with."

        return act(request, visitor, case_id, f"notice-{notice_id}", fields, do)

    @router.post("/{case_id:int}/representative")
    async def representative(
        request: Request, case_id: int, visitor: Visitor = Depends(auth.signed_in)
    ) -> Response:
        fields = await auth.form(request, visitor)
        # Who handles a case is the organisation's decision, not the representative's.
        require_staff(visitor.caller)

        def do(session: Session, case: Case, parolee: Parolee) -> str:
            chosen = case_forms.representative(fields)
            with editing(visitor, session, case, parolee) as edit:
                changed = edit.representative(chosen)
            if not changed:
                return "The representative is unchanged."
            return "Representative assigned." if chosen else "The case has no representative now."

        field = ("representative", "Representative")
        return act(request, visitor, case_id, "representative", fields, do, field)

    @router.post("/{case_id:int}/sms/pause")
    async def pause(
        request: Request, case_id: int, visitor: Visitor = Depends(auth.signed_in)
    ) -> Response:
        fields = await auth.form(request, visitor)

        def do(session: Session, _case: Case, parolee: Parolee) -> str:
            pause_sms(session, parolee, actor=visitor.caller.actor, now=app.clock.now())
            return "SMS paused: no message goes to this person until you resume it."

        return act(request, visitor, case_id, "sms", fields, do)

    @router.post("/{case_id:int}/sms/resume")
    async def resume(
        request: Request, case_id: int, visitor: Visitor = Depends(auth.signed_in)
    ) -> Response:
        fields = await auth.form(request, visitor)

        def do(session: Session, _case: Case, parolee: Parolee) -> str:
            resume_sms(
                session,
                parolee,
                actor=visitor.caller.actor,
                composer=app.policies.reminders,
                now=app.clock.now(),
            )
            return "SMS resumed: reminders are planned again."

        return act(request, visitor, case_id, "sms", fields, do)

    @router.post("/{case_id:int}/alerts/{alert_id:int}/resend")
    async def resend(
        request: Request, case_id: int, alert_id: int, visitor: Visitor = Depends(auth.signed_in)
    ) -> Response:
        fields = await auth.form(request, visitor)

        def do(session: Session, case: Case, _parolee: Parolee) -> str:
            resend_alert(session, case, alert_id, actor=visitor.caller.actor, now=app.clock.now())
            return "The message will be sent again at the next hour allowed in the person's zone."

        return act(request, visitor, case_id, f"alert-{alert_id}", fields, do)

    @router.post("/{case_id:int}/contact")
    async def contact(
        request: Request, case_id: int, visitor: Visitor = Depends(auth.signed_in)
    ) -> Response:
        fields = await auth.form(request, visitor)

        def do(session: Session, _case: Case, parolee: Parolee) -> str:
            changed = update_contact(
                session,
                parolee,
                case_forms.contact(fields),
                actor=visitor.caller.actor,
                policies=app.policies,
                now=app.clock.now(),
            )
            if not changed:
                return "Nothing changed in the contact details."
            return "Contact details saved: " + ", ".join(LABELS[name] for name in changed) + "."

        return act(request, visitor, case_id, "contact", fields, do)

    return router
