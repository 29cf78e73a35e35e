"""Program-wide terminations of parole: preview, apply, and record court stays and lifts."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from tracker.cases.service import add_grant, refresh
from tracker.domain.model import Decision, Form, GrantSource, Program, Status
from tracker.errors import InvalidInputError, NotFoundError
from tracker.policies import Policies
from tracker.store import audit
from tracker.store.models import Case, Filing, Grant, ProgramTermination, TerminationState

# Parole has already ended for these; a termination changes nothing for them.
UNAFFECTED = (Status.DEPARTED, Status.STATUS_OBTAINED, Status.CLOSED)
URGENT_DAYS = 30


@dataclass(frozen=True)
class TerminationRequest:
    """A termination as published: which program, from when, and who is excepted."""

    program: Program
    effective: date
    citation: str
    notice_date: date
    except_form: Form | None = None
    except_filed_by: date | None = None


@dataclass
class TerminationOutcome:
    """How many cases a termination (or its stay or lift) moves."""

    termination_id: int
    considered: int = 0
    moved: int = 0
    excepted: int = 0
    under_30_days: int = 0


def apply_termination(
    session: Session, request: TerminationRequest, policies: Policies, now: datetime, actor: str
) -> TerminationOutcome:
    """Record the termination and end parole early for every case it reaches; refuse one
    already recorded (see `preview_termination` for a dry run)."""
    if not request.citation.strip():
        raise InvalidInputError("a termination needs its citation (--citation), e.g. 90 FR 13611")
    if (request.except_form is None) != (request.except_filed_by is None):
        raise InvalidInputError("--except-pending and --filed-by go together")
    same = already_recorded(session, request)
    if same is not None:
        raise InvalidInputError(
            f"Termination {same.id} already records this: {request.program} parole ending "
            f"{request.effective} under {request.citation}. Nothing was changed."
        )
    termination = ProgramTermination(
        program=request.program,
        effective_date=request.effective,
        notice_date=request.notice_date,
        citation=request.citation,
        except_form=request.except_form,
        except_filed_by=request.except_filed_by,
        state=TerminationState.IN_FORCE,
        created_at=now,
        created_by=actor,
    )
    session.add(termination)
    session.flush()
    assert termination.id is not None
    outcome = TerminationOutcome(termination.id)
    for case in _cases_of(session, request.program):
        outcome.considered += 1
        if _excepted(session, case, request):
            outcome.excepted += 1
            continue
        before = case.end_date
        add_grant(
            session, case, start=request.notice_date, expiry=request.effective,
            source=GrantSource.PROGRAM_TERMINATION, actor=actor, now=now,
            termination_id=termination.id,
        )  # fmt: skip
        refresh(session, case, policies, now)
        _count(outcome, before, case.end_date, now.date())
    audit.record(
        session, at=now, actor=actor, action="termination.applied", entity="program_termination",
        entity_id=termination.id, program=request.program.value,
        effective=request.effective.isoformat(), moved=outcome.moved,
    )  # fmt: skip
    return outcome


def set_state(
    session: Session,
    termination_id: int,
    state: TerminationState,
    reason: str,
    policies: Policies,
    now: datetime,
    actor: str,
) -> TerminationOutcome:
    """Record a court stay or its lifting, and recompute every case the termination reached."""
    termination = session.get(ProgramTermination, termination_id)
    if termination is None:
        raise NotFoundError(f"no program termination with id {termination_id}")
    if termination.state == state:
        raise InvalidInputError(f"termination {termination_id} is already {state.value}")
    if state == TerminationState.IN_FORCE:
        raise InvalidInputError("a termination is put back in force by lifting its stay")
    if state == TerminationState.LIFTED and termination.state != TerminationState.STAYED:
        raise InvalidInputError(
            f"termination {termination_id} is not stayed, so there is no stay to lift."
        )
    if not reason.strip():
        raise InvalidInputError("say what the court did (--citation)")
    termination.state = state
    session.add(termination)
    outcome = TerminationOutcome(termination_id)
    case_ids = session.exec(
        select(Grant.case_id).where(Grant.termination_id == termination_id).distinct()
    ).all()
    for case_id in case_ids:
        case = session.get(Case, case_id)
        assert case is not None
        before = case.end_date
        outcome.considered += 1
        refresh(session, case, policies, now)
        _count(outcome, before, case.end_date, now.date())
    audit.record(
        session, at=now, actor=actor, action=f"termination.{state.value}",
        entity="program_termination", entity_id=termination_id, reason=reason,
    )  # fmt: skip
    return outcome


def already_recorded(session: Session, request: TerminationRequest) -> ProgramTermination | None:
    """A termination of the same program, date and citation: recording it twice (a form
    sent twice) would stack a second early end on every case, which one stay would not undo."""
    return session.exec(
        select(ProgramTermination).where(
            ProgramTermination.program == request.program,
            ProgramTermination.effective_date == request.effective,
            ProgramTermination.citation == request.citation,
        )
    ).first()


def preview_termination(
    engine: Engine, request: TerminationRequest, policies: Policies, now: datetime, actor: str
) -> TerminationOutcome:
    """What recording `request` would move, counted by applying it and rolling it back:
    the counts are exact, not estimated."""
    with Session(engine) as session:
        try:
            return apply_termination(session, request, policies, now, actor)
        finally:
            session.rollback()


def list_terminations(session: Session) -> list[ProgramTermination]:
    """Every termination, newest first."""
    return list(
        session.exec(select(ProgramTermination).order_by(col(ProgramTermination.id).desc()))
    )


def _cases_of(session: Session, program: Program) -> Iterator[Case]:
    return iter(
        session.exec(
            select(Case)
            .where(Case.program == program, col(Case.status).not_in(UNAFFECTED))
            .order_by(col(Case.id))
        ).all()
    )


def _excepted(session: Session, case: Case, request: TerminationRequest) -> bool:
    if request.except_form is None or request.except_filed_by is None:
        return False
    filing = session.exec(
        select(Filing.id).where(
            Filing.case_id == case.id,
            Filing.form == request.except_form,
            col(Filing.filed_date) <= request.except_filed_by,
            col(Filing.decision).is_(None) | (Filing.decision == Decision.APPROVED),
        )
    ).first()
    return filing is not None


def _count(outcome: TerminationOutcome, before: date, after: date, today: date) -> None:
    if after != before:
        outcome.moved += 1
        if after - today < timedelta(days=URGENT_DAYS):
            outcome.under_30_days += 1
