"""/admin/terminations: program-wide ends of parole, previewed before they apply, and court
stays and their lifting. For administrators and staff."""

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from tracker.bootstrap import App
from tracker.cases.terminations import (
    TerminationOutcome,
    TerminationRequest,
    apply_termination,
    find_known,
    known_reach,
    list_terminations,
    preview_termination,
    set_state,
    without_notice,
)
from tracker.clock import local_today
from tracker.domain.known_terminations import KnownTermination
from tracker.domain.model import Form, Program
from tracker.errors import InvalidInputError, NotFoundError
from tracker.store.db import session_scope
from tracker.store.models import TerminationState, must_id
from tracker.web.admin.auth import AdminAuth, Visitor, require_staff
from tracker.web.admin.page_kit import (
    FieldError,
    Fields,
    choice,
    day,
    page,
    refusal,
    required,
    see_other,
    text,
)

PATH = "/admin/terminations"


def read_request(fields: Fields, known: Sequence[KnownTermination]) -> TerminationRequest:
    """The termination a form describes (a shipped notice, by its id, or one typed in); a
    FieldError names the first field that is wrong."""
    known_id = text(fields, "known")
    if known_id:
        try:
            return TerminationRequest.of_known(find_known(known, known_id))
        except NotFoundError as exc:
            raise FieldError("known", "Known notice", f"{exc.message}.") from None
    program = choice(fields, "program", "Program", Program)
    if program is None:
        raise FieldError("program", "Program", "choose the program whose parole ends.")
    effective = day(fields, "effective", "Effective date")
    if effective is None:
        raise FieldError("effective", "Effective date", "enter the date parole ends.")
    notice = day(fields, "notice_date", "Notice date")
    if notice is None:
        raise FieldError("notice_date", "Notice date", "enter the date the notice was published.")
    if effective < notice:
        raise FieldError(
            "effective", "Effective date", f"must be on or after the notice date ({notice})."
        )
    citation = required(fields, "citation", "Citation")
    except_form = choice(fields, "except_form", "Except pending form", Form)
    filed_by = day(fields, "except_filed_by", "Filed by")
    if except_form is not None and filed_by is None:
        raise FieldError(
            "except_filed_by", "Filed by", f"enter the date by which {except_form} must be filed."
        )
    if except_form is None and filed_by is not None:
        raise FieldError("except_form", "Except pending form", "choose the form that was filed.")
    return TerminationRequest(
        program=program,
        effective=effective,
        citation=citation,
        notice_date=notice,
        except_form=except_form,
        except_filed_by=filed_by,
        on_notice=text(fields, "on_notice") == "yes",
    )


def summary(outcome: TerminationOutcome) -> str:
    """The counts in words, as the CLI gives them."""
    cases = "case" if outcome.considered == 1 else "cases"
    return (
        f"{outcome.moved} of {outcome.considered} {cases}; {outcome.under_30_days} now have "
        f"under 30 days left; {outcome.excepted} excepted."
    )


def terminations_routes(app: App, auth: AdminAuth) -> APIRouter:
    """GET/POST /admin/terminations, POST .../preview, .../{id}/stay and .../{id}/lift."""
    router = APIRouter(prefix=PATH)
    secure = app.settings.secure_cookies

    def show(
        request: Request, visitor: Visitor, status_code: int = 200, **context: Any
    ) -> Response:
        with session_scope(app.engine) as session:
            terminations = list_terminations(session)
            known = known_reach(session, app.known_terminations)
            lists = [(t, without_notice(session, must_id(t.id))) for t in terminations]
            missing = [(t, cases) for t, cases in lists if cases]
            today = local_today(app.clock, app.settings.default_timezone)
            return page(
                request,
                "terminations.html",
                {
                    "visitor": visitor,
                    "nav": "terminations",
                    "terminations": terminations,
                    "known": known,
                    "without_notice": missing,
                    "programs": list(Program),
                    "forms": list(Form),
                    "today": today,
                    "values": {},
                    **context,
                },
                status_code,
            )

    # Recording or previewing a termination recomputes every case of a program: it runs
    # in a worker thread, so feeds and Twilio's webhooks are not kept waiting meanwhile.
    def dry_run(wanted: TerminationRequest, actor: str) -> TerminationOutcome:
        return preview_termination(app.engine, wanted, app.policies, app.clock.now(), actor)

    def apply(wanted: TerminationRequest, actor: str) -> TerminationOutcome:
        with session_scope(app.engine) as session:
            return apply_termination(session, wanted, app.policies, app.clock.now(), actor)

    def court_order(
        termination_id: int, state: TerminationState, reason: str, actor: str
    ) -> TerminationOutcome:
        with session_scope(app.engine) as session:
            return set_state(
                session, termination_id, state, reason, app.policies, app.clock.now(), actor
            )

    @router.get("")
    def terminations(request: Request, visitor: Visitor = Depends(auth.signed_in)) -> Response:
        require_staff(visitor.caller)
        return show(request, visitor)

    @router.post("/preview")
    async def preview(request: Request, visitor: Visitor = Depends(auth.signed_in)) -> Response:
        require_staff(visitor.caller)
        fields = await auth.form(request, visitor)
        try:
            wanted = read_request(fields, app.known_terminations)
            outcome = await run_in_threadpool(dry_run, wanted, visitor.caller.actor)
        except InvalidInputError as exc:
            return show(request, visitor, 422, values=dict(fields), **refusal(exc))
        return show(request, visitor, values=dict(fields), preview=outcome, wanted=wanted)

    @router.post("")
    async def record(request: Request, visitor: Visitor = Depends(auth.signed_in)) -> Response:
        require_staff(visitor.caller)
        fields = await auth.form(request, visitor)
        try:
            wanted = read_request(fields, app.known_terminations)
            outcome = await run_in_threadpool(apply, wanted, visitor.caller.actor)
        except InvalidInputError as exc:
            return show(request, visitor, 422, values=dict(fields), **refusal(exc))
        notice = f"Termination {outcome.termination_id} recorded. It moved {summary(outcome)}"
        return see_other(PATH, notice, secure=secure)

    async def court(
        request: Request, visitor: Visitor, termination_id: int, state: TerminationState
    ) -> Response:
        require_staff(visitor.caller)
        fields = await auth.form(request, visitor)
        try:
            reason = required(fields, "citation", "Court order")
            outcome = await run_in_threadpool(
                court_order, termination_id, state, reason, visitor.caller.actor
            )
        except InvalidInputError as exc:
            return show(
                request,
                visitor,
                422,
                row=termination_id,
                reason=text(fields, "citation"),
                **refusal(exc),
            )
        notice = f"Termination {termination_id} is now {state.value}. That moved {summary(outcome)}"
        return see_other(PATH, notice, secure=secure)

    @router.post("/{termination_id:int}/stay")
    async def stay(
        request: Request, termination_id: int, visitor: Visitor = Depends(auth.signed_in)
    ) -> Response:
        return await court(request, visitor, termination_id, TerminationState.STAYED)

    @router.post("/{termination_id:int}/lift")
    async def lift(
        request: Request, termination_id: int, visitor: Visitor = Depends(auth.signed_in)
    ) -> Response:
        return await court(request, visitor, termination_id, TerminationState.LIFTED)

    return router
