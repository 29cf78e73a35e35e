"""The JSON API under /api/v1: cases, their deadlines, filings and status history.

Every route needs a bearer token (see `auth`). Reads and writes are limited to the
caller's cases; a case outside them answers 404, like one that does not exist. Writes go
through the same service functions as the CLI, so deadlines and reminders are recomputed
in the same transaction, and a refused change writes nothing.
"""

from contextlib import AbstractContextManager
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from sqlmodel import Session

from tracker.accounts.users import Caller
from tracker.bootstrap import App
from tracker.cases.appointments import (
    appointment_json,
    appointment_of,
    appointments_of,
    histories,
)
from tracker.cases.edit import CaseEdit, CaseFactsUpdate, StatusRequest, case_edit
from tracker.cases.pages import case_page, expiring_page
from tracker.cases.repository import (
    ExpiringCase,
    case_terminations,
    current_deadlines,
    filing_of,
    filings_of,
    find_case,
    representative_of,
    status_history,
)
from tracker.cases.terminations import record_notice
from tracker.clock import local_today
from tracker.domain.appointments import AppointmentStatus, appointment_request
from tracker.domain.holds import held_by
from tracker.domain.model import DeadlineChange, Program, Status
from tracker.domain.status import OPEN_STATUSES, check_transition
from tracker.errors import InvalidInputError
from tracker.store.db import session_scope
from tracker.store.models import MAX_ID, Appointment, Case, Parolee, must_id
from tracker.web.api.auth import ApiAuth
from tracker.web.api.errors import (
    BAD_BODY,
    INVALID,
    NOT_FOUND,
    UNAUTHORIZED,
    answer_other_methods,
)
from tracker.web.api.schemas import (
    AppointmentIn,
    AppointmentOut,
    AppointmentStatusIn,
    CaseFactsIn,
    CaseOut,
    CasePage,
    CaseSummary,
    CaseTerminationOut,
    DeadlineChangeOut,
    DeadlineOut,
    DecisionIn,
    ExpiringCaseOut,
    ExpiringPage,
    FeeNoticeIn,
    FilingCreated,
    FilingIn,
    FilingOut,
    HoldOut,
    RepresentativeOut,
    RescheduleIn,
    ResponseDueIn,
    StatusChanged,
    StatusChangeIn,
    StatusChangeOut,
    TerminationNoticeIn,
)

# External ids are free text up to 64 characters; refuse only what cannot be one (control
# characters, a slash, nothing but dots) so no value reaches the database unchecked.
CaseRef = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        pattern=r"^[^\x00-\x1f\x7f/]*[^\x00-\x1f\x7f/.][^\x00-\x1f\x7f/]*$",
        description="The case's external id (as imported), or else its numeric id.",
        examples=["P-1042"],
    ),
]
Cursor = Annotated[
    str | None,
    Query(
        max_length=200,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="`next_cursor` of the previous page; omit for the first.",
    ),
]
Limit = Annotated[int, Query(ge=1, le=200, description="Items per page.")]
Programs = Annotated[list[Program] | None, Query(description="Only these programs (repeatable).")]
# The longest look ahead the expiring review takes: ten years covers every grant.
MAX_WITHIN = 3660
AppointmentRef = Annotated[int, Path(ge=1, le=MAX_ID, description="The appointment's id.")]
CASE_ERRORS = {**NOT_FOUND, **INVALID}
WRITE_ERRORS = {**BAD_BODY, **CASE_ERRORS}


def api_routes(app: App) -> APIRouter:
    """The /api/v1 routes for this application."""
    auth = ApiAuth(app)
    router = APIRouter(prefix="/api/v1", tags=["cases"], responses=UNAUTHORIZED)

    def today() -> date:
        return local_today(app.clock, app.settings.default_timezone)

    def editing(
        session: Session, case: Case, parolee: Parolee, caller: Caller
    ) -> AbstractContextManager[CaseEdit]:
        """The caller's edit of the case (see `tracker.cases.edit`)."""
        return case_edit(
            session,
            case,
            parolee=parolee,
            by=caller.actor,
            policies=app.policies,
            now=app.clock.now(),
        )

    @router.get("/cases", response_model=CasePage, responses=INVALID)
    def list_cases(
        cursor: Cursor = None,
        limit: Limit = 50,
        program: Programs = None,
        status: Annotated[
            list[Status] | None, Query(description="Only these statuses (repeatable).")
        ] = None,
        representative_id: Annotated[
            int | None,
            Query(ge=1, le=MAX_ID, description="Only cases assigned to this id."),
        ] = None,
        caller: Caller = Depends(auth.caller),
    ) -> CasePage:
        """The caller's cases in id order, a page at a time."""
        with session_scope(app.engine) as session:
            page = case_page(
                session,
                caller,
                cursor=cursor,
                limit=limit,
                programs=program or (),
                statuses=status or (),
                representative_id=representative_id,
            )
        items = [_summary(case, parolee) for case, parolee in page.rows]
        return CasePage(items=items, next_cursor=page.next_cursor)

    @router.get("/expiring", response_model=ExpiringPage, responses=INVALID)
    def list_expiring(
        within: Annotated[
            int, Query(ge=0, le=MAX_WITHIN, description="Days from today, inclusive.")
        ],
        cursor: Cursor = None,
        limit: Limit = 50,
        program: Programs = None,
        status: Annotated[
            list[Status] | None,
            Query(description="Only these statuses (repeatable); the open ones if omitted."),
        ] = None,
        caller: Caller = Depends(auth.caller),
    ) -> ExpiringPage:
        """Cases whose parole ends within `within` days, soonest first, each with its next
        deadline: the review `tracker cases expiring` prints."""
        start = today()
        with session_scope(app.engine) as session:
            page = expiring_page(
                session,
                caller,
                start=start,
                until=start + timedelta(days=within),
                cursor=cursor,
                limit=limit,
                programs=program or (),
                statuses=status or OPEN_STATUSES,
            )
        items = [_expiring(row, start) for row in page.rows]
        return ExpiringPage(items=items, next_cursor=page.next_cursor)

    @router.get("/cases/{case_id}", response_model=CaseOut, responses=CASE_ERRORS)
    def get_case(case_id: CaseRef, caller: Caller = Depends(auth.caller)) -> CaseOut:
        """One case, with its current deadlines."""
        with session_scope(app.engine) as session:
            case, parolee = find_case(session, case_id, caller)
            return _case(session, case, parolee, app)

    @router.get(
        "/cases/{case_id}/deadlines", response_model=list[DeadlineOut], responses=CASE_ERRORS
    )
    def get_deadlines(case_id: CaseRef, caller: Caller = Depends(auth.caller)) -> list[DeadlineOut]:
        """A case's current deadlines, by date, each with the rule and citation behind it."""
        with session_scope(app.engine) as session:
            case, _ = find_case(session, case_id, caller)
            rows = current_deadlines(session, must_id(case.id))
        return [DeadlineOut.of(row) for row in rows]

    @router.get("/cases/{case_id}/filings", response_model=list[FilingOut], responses=CASE_ERRORS)
    def get_filings(case_id: CaseRef, caller: Caller = Depends(auth.caller)) -> list[FilingOut]:
        """A case's filings, in the order they were recorded."""
        with session_scope(app.engine) as session:
            case, _ = find_case(session, case_id, caller)
            rows = filings_of(session, must_id(case.id))
        return [FilingOut.of(row) for row in rows]

    @router.post(
        "/cases/{case_id}/filings",
        status_code=201,
        response_model=FilingCreated,
        responses=WRITE_ERRORS,
    )
    def post_filing(
        case_id: CaseRef, body: FilingIn, caller: Caller = Depends(auth.caller)
    ) -> FilingCreated:
        """Record a filing; the case's deadlines and reminders are recomputed with it."""
        if body.filed_date > today():
            raise InvalidInputError(f"filed_date {body.filed_date} is after today ({today()})")
        with session_scope(app.engine) as session:
            case, parolee = find_case(session, case_id, caller)
            with editing(session, case, parolee, caller) as edit:
                filing = edit.filing(
                    form=body.form,
                    receipt=body.receipt_number,
                    filed=body.filed_date,
                    moves_status=False,
                )
            return FilingCreated(
                filing=FilingOut.of(filing),
                case=_case(session, case, parolee, app),
                deadline_changes=_changes(edit.changes),
            )

    @router.get(
        "/cases/{case_id}/status-changes",
        response_model=list[StatusChangeOut],
        responses=CASE_ERRORS,
    )
    def get_status_changes(
        case_id: CaseRef, caller: Caller = Depends(auth.caller)
    ) -> list[StatusChangeOut]:
        """A case's status history, oldest first."""
        with session_scope(app.engine) as session:
            case, _ = find_case(session, case_id, caller)
            rows = status_history(session, must_id(case.id))
        return [StatusChangeOut.of(row) for row in rows]

    @router.post(
        "/cases/{case_id}/status-changes",
        status_code=201,
        response_model=StatusChanged,
        responses=WRITE_ERRORS,
    )
    def post_status_change(
        case_id: CaseRef, body: StatusChangeIn, caller: Caller = Depends(auth.caller)
    ) -> StatusChanged:
        """Move a case to another status, as `tracker case status` does. An illegal move is
        refused (422) with the statuses the case can move to."""
        with session_scope(app.engine) as session:
            case, parolee = find_case(session, case_id, caller)
            _check_needs(case, body)
            request = StatusRequest(
                target=body.to_status,
                reason=body.reason,
                effective=body.effective_date,
                new_expiry=body.new_expiry,
                receipt=body.receipt_number,
                form=body.form,
            )
            with editing(session, case, parolee, caller) as edit:
                edit.status(request)
            step = status_history(session, must_id(case.id))[-1]
            return StatusChanged(
                status_change=StatusChangeOut.of(step),
                case=_case(session, case, parolee, app),
                deadline_changes=_changes(edit.changes),
            )

    @router.patch("/cases/{case_id}", response_model=CaseOut, responses=WRITE_ERRORS)
    def patch_case(
        case_id: CaseRef, body: CaseFactsIn, caller: Caller = Depends(auth.caller)
    ) -> CaseOut:
        """Set the facts the rules read: birth date, work permit, parole fee due date. A
        field left out keeps its value; null empties it."""
        given = body.model_fields_set
        update = CaseFactsUpdate(
            **{k: v for k, v in body.model_dump().items() if k in given and v is not None},
            clear=frozenset(k for k in given if getattr(body, k) is None),
        )
        with session_scope(app.engine) as session:
            case, parolee = find_case(session, case_id, caller)
            with editing(session, case, parolee, caller) as edit:
                edit.set_facts(update)
            return _case(session, case, parolee, app)

    @router.post(
        "/cases/{case_id}/filings/{filing_id}/decision",
        response_model=CaseOut,
        responses=WRITE_ERRORS,
    )
    def post_decision(
        case_id: CaseRef,
        filing_id: Annotated[int, Path(ge=1, le=MAX_ID)],
        body: DecisionIn,
        caller: Caller = Depends(auth.caller),
    ) -> CaseOut:
        """Record USCIS's decision on a pending filing; exceptions to program terminations
        and the unlawful-presence count follow from it."""
        with session_scope(app.engine) as session:
            case, parolee = find_case(session, case_id, caller)
            filing = filing_of(session, must_id(case.id), filing_id)
            with editing(session, case, parolee, caller) as edit:
                edit.decide(filing, decision=body.decision, on=body.decided_on)
            return _case(session, case, parolee, app)

    @router.post(
        "/cases/{case_id}/filings/{filing_id}/fee-notice",
        response_model=CaseOut,
        responses=WRITE_ERRORS,
    )
    def post_fee_notice(
        case_id: CaseRef,
        filing_id: Annotated[int, Path(ge=1, le=MAX_ID)],
        body: FeeNoticeIn,
        caller: Caller = Depends(auth.caller),
    ) -> CaseOut:
        """Record the due date of USCIS's yearly fee notice for a pending filing."""
        with session_scope(app.engine) as session:
            case, parolee = find_case(session, case_id, caller)
            filing = filing_of(session, must_id(case.id), filing_id)
            with editing(session, case, parolee, caller) as edit:
                edit.fee_notice(filing, due=body.due)
            return _case(session, case, parolee, app)

    @router.post(
        "/cases/{case_id}/filings/{filing_id}/response-due",
        response_model=CaseOut,
        responses=WRITE_ERRORS,
    )
    def post_response_due(
        case_id: CaseRef,
        filing_id: Annotated[int, Path(ge=1, le=MAX_ID)],
        body: ResponseDueIn,
        caller: Caller = Depends(auth.caller),
    ) -> CaseOut:
        """Record the response date of a request for evidence or notice of intent to deny:
        a deadline (`rfe_response_due`) in the calendars, texted to the person if asked."""
        with session_scope(app.engine) as session:
            case, parolee = find_case(session, case_id, caller)
            filing = filing_of(session, must_id(case.id), filing_id)
            with editing(session, case, parolee, caller) as edit:
                edit.response_due(
                    filing, due=body.due, notice=body.notice, tell_parolee=body.tell_parolee
                )
            return _case(session, case, parolee, app)

    @router.post(
        "/cases/{case_id}/termination-notices", response_model=CaseOut, responses=WRITE_ERRORS
    )
    def post_termination_notice(
        case_id: CaseRef, body: TerminationNoticeIn, caller: Caller = Depends(auth.caller)
    ) -> CaseOut:
        """Record the day the person received an individual notice of a program
        termination: parole ends on the later of that day and the effective date."""
        now = app.clock.now()
        with session_scope(app.engine) as session:
            case, parolee = find_case(session, case_id, caller)
            record_notice(
                session,
                case,
                body.termination_id,
                body.received,
                app.policies,
                now,
                caller.actor,
            )
            return _case(session, case, parolee, app)

    @router.get(
        "/cases/{case_id}/appointments",
        response_model=list[AppointmentOut],
        responses=CASE_ERRORS,
        tags=["appointments"],
    )
    def get_appointments(
        case_id: CaseRef, caller: Caller = Depends(auth.caller)
    ) -> list[AppointmentOut]:
        """A case's appointments, every status, soonest first, with their history."""
        with session_scope(app.engine) as session:
            case, _ = find_case(session, case_id, caller)
            found = appointments_of(session, must_id(case.id))
            return _appointments(session, found, app)

    @router.post(
        "/cases/{case_id}/appointments",
        status_code=201,
        response_model=AppointmentOut,
        responses=WRITE_ERRORS,
        tags=["appointments"],
    )
    def post_appointment(
        case_id: CaseRef, body: AppointmentIn, caller: Caller = Depends(auth.caller)
    ) -> AppointmentOut:
        """Record an appointment; its reminders and calendar event follow from it."""
        request = appointment_request(
            kind=body.kind.value,
            at=body.local_start,
            zone=body.zone,
            place=body.place,
            now=app.clock.now(),
            duration_minutes=body.duration_minutes,
            source_notice=body.source_notice,
            source_date=body.source_date,
            past=body.past,
        )
        with session_scope(app.engine) as session:
            case, parolee = find_case(session, case_id, caller)
            with editing(session, case, parolee, caller) as edit:
                added = edit.appointment(request)
            return _appointments(session, [added], app)[0]

    @router.post(
        "/cases/{case_id}/appointments/{appointment_id}/reschedule",
        status_code=201,
        response_model=AppointmentOut,
        responses=WRITE_ERRORS,
        tags=["appointments"],
    )
    def post_reschedule(
        case_id: CaseRef,
        appointment_id: AppointmentRef,
        body: RescheduleIn,
        caller: Caller = Depends(auth.caller),
    ) -> AppointmentOut:
        """Move an appointment to a new time: the old one stays, `rescheduled`, linked to
        the new one (answered here); the person gets one text with the new time."""
        with session_scope(app.engine) as session:
            case, parolee = find_case(session, case_id, caller)
            old = appointment_of(session, case, appointment_id)
            request = appointment_request(
                kind=old.kind.value,
                at=body.local_start,
                zone=body.zone or old.zone,
                place=body.place or old.place,
                now=app.clock.now(),
                duration_minutes=old.duration_minutes,
                source_notice=old.source_notice,
            )
            with editing(session, case, parolee, caller) as edit:
                new = edit.reschedule(old, request, reason=body.reason)
            return _appointments(session, [new], app)[0]

    @router.post(
        "/cases/{case_id}/appointments/{appointment_id}/status",
        response_model=AppointmentOut,
        responses=WRITE_ERRORS,
        tags=["appointments"],
    )
    def post_appointment_status(
        case_id: CaseRef,
        appointment_id: AppointmentRef,
        body: AppointmentStatusIn,
        caller: Caller = Depends(auth.caller),
    ) -> AppointmentOut:
        """Record that the person attended or missed it, or that it was cancelled."""
        with session_scope(app.engine) as session:
            case, parolee = find_case(session, case_id, caller)
            appointment = appointment_of(session, case, appointment_id)
            with editing(session, case, parolee, caller) as edit:
                edit.appointment_status(appointment, AppointmentStatus(body.status), body.reason)
            return _appointments(session, [appointment], app)[0]

    answer_other_methods(router)
    return router


def _appointments(session: Session, found: list[Appointment], app: App) -> list[AppointmentOut]:
    steps = histories(session, found)
    now = app.clock.now()
    return [
        AppointmentOut.model_validate(appointment_json(a, steps.get(a.id or 0, []), now))
        for a in found
    ]


def _check_needs(case: Case, body: StatusChangeIn) -> None:
    """Refuse, naming the API's fields, a move that lacks what it needs."""
    needs = check_transition(case.status, body.to_status)
    target = body.to_status.value
    if body.receipt_number and body.form is None:
        raise InvalidInputError("a receipt_number needs its form, e.g. I-131")
    if needs.new_expiry and body.new_expiry is None:
        raise InvalidInputError(f"moving to {target} needs new_expiry, the new grant's expiry")
    if needs.date and body.effective_date is None:
        raise InvalidInputError(f"moving to {target} needs effective_date, the day it happened")


def _summary(case: Case, parolee: Parolee) -> CaseSummary:
    return CaseSummary(
        id=must_id(case.id),
        external_id=case.external_id,
        name=parolee.full_name,
        program=case.program,
        status=case.status,
        end_date=case.end_date,
        representative_id=case.representative_id,
    )


def _expiring(row: ExpiringCase, today: date) -> ExpiringCaseOut:
    upcoming = row.next_deadline
    return ExpiringCaseOut(
        **_summary(row.case, row.parolee).model_dump(),
        days_left=(row.case.end_date - today).days,
        next_deadline=DeadlineOut.of(upcoming) if upcoming else None,
    )


def _case(session: Session, case: Case, parolee: Parolee, app: App) -> CaseOut:
    rep = representative_of(session, case)
    deadlines = current_deadlines(session, must_id(case.id))
    named = {h for d in deadlines for h in held_by(d.flags.split(","))}
    return CaseOut(
        id=must_id(case.id),
        external_id=case.external_id,
        name=parolee.full_name,
        language=parolee.language,
        timezone=parolee.timezone,
        program=case.program,
        status=case.status,
        end_date=case.end_date,
        work_permit_expiry=case.work_permit_expiry,
        work_permit_category=case.work_permit_category,
        parole_fee_due=case.parole_fee_due,
        birth_date=parolee.birth_date,
        representative=RepresentativeOut.of(rep) if rep else None,
        deadlines=[DeadlineOut.of(row) for row in deadlines],
        holds=[
            HoldOut(
                id=h.id,
                memo=h.memo,
                citation=h.citation,
                starts=h.starts,
                until=h.until,
                forms=sorted(h.forms),
            )
            for h in app.ruleset.holds
            if h.id in named
        ],
        terminations=[
            CaseTerminationOut(
                termination_id=must_id(t.id),
                program=t.program,
                effective=t.effective_date,
                published=t.notice_date,
                state=t.state.value,
                citation=t.citation,
                on_notice=t.on_notice,
                notice_received=link.notice_received,
            )
            for t, link in case_terminations(session, must_id(case.id))
        ],
    )


def _changes(changes: list[DeadlineChange]) -> list[DeadlineChangeOut]:
    return [DeadlineChangeOut.of(change) for change in changes]
