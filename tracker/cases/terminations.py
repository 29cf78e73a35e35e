"""Program-wide terminations of parole: preview, apply, individual notices, and court
stays and lifts. A termination reaches every open case of its program; the rules decide,
on every change to a case, whether and when it ends that case's parole (exceptions and
notices are conditions, re-evaluated each time)."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from tracker.accounts.users import Caller
from tracker.cases.access import readable
from tracker.cases.deadlines import case_facts, termination_facts
from tracker.cases.edit import case_edit
from tracker.domain.known_terminations import KnownTermination
from tracker.domain.model import FilingFacts, Form, Program, Status
from tracker.domain.parole import excepted
from tracker.errors import InvalidInputError, NotFoundError
from tracker.policies import Policies
from tracker.store import audit
from tracker.store.models import (
    Case,
    Filing,
    Parolee,
    ProgramTermination,
    TerminationCase,
    TerminationState,
    must_id,
)

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
    on_notice: bool = False
    known_id: str | None = None

    @classmethod
    def of_known(cls, known: KnownTermination) -> "TerminationRequest":
        """The request that records a shipped notice as it was published."""
        return cls(
            program=known.program,
            effective=known.effective,
            citation=known.citation,
            notice_date=known.published,
            except_form=known.except_form,
            except_filed_by=known.except_filed_by,
            on_notice=known.on_notice,
            known_id=known.id,
        )


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
    if request.effective < request.notice_date:
        raise InvalidInputError(
            f"the effective date {request.effective} is before the notice's publication "
            f"({request.notice_date}, --notice-date)"
        )
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
        on_notice=request.on_notice,
        known_id=request.known_id,
        state=TerminationState.IN_FORCE,
        created_at=now,
        created_by=actor,
    )
    session.add(termination)
    session.flush()
    outcome = TerminationOutcome(must_id(termination.id))
    for case in _cases_of(session, request.program):
        link = TerminationCase(
            termination_id=outcome.termination_id, case_id=must_id(case.id), applied_at=now
        )
        before = case.end_date
        with case_edit(session, case, by=actor, policies=policies, now=now) as edit:
            edit.touch(link)
        outcome.considered += 1
        _count(outcome, before, case.end_date, now.date())
        if excepted(termination_facts(termination, link), _filings(session, case)):
            outcome.excepted += 1
    audit.record(
        session,
        at=now,
        actor=actor,
        action="termination.applied",
        entity="program_termination",
        entity_id=termination.id,
        program=request.program.value,
        effective=request.effective.isoformat(),
        moved=outcome.moved,
        known=request.known_id,
    )
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
        select(TerminationCase.case_id)
        .where(TerminationCase.termination_id == termination_id)
        .order_by(col(TerminationCase.case_id))
    ).all()
    for case_id in case_ids:
        case = session.get(Case, case_id)
        assert case is not None
        before = case.end_date
        outcome.considered += 1
        # The termination's state is a fact the rules read for every case it reached.
        with case_edit(session, case, by=actor, policies=policies, now=now) as edit:
            edit.touch(case)
        _count(outcome, before, case.end_date, now.date())
    audit.record(
        session,
        at=now,
        actor=actor,
        action=f"termination.{state.value}",
        entity="program_termination",
        entity_id=termination_id,
        reason=reason,
    )
    return outcome


def already_recorded(session: Session, request: TerminationRequest) -> ProgramTermination | None:
    """A termination of the same program, date and citation, or of the same shipped
    notice: recording it twice (a form sent twice) would stack a second early end on every
    case, which one stay would not undo."""
    same = (
        (ProgramTermination.program == request.program)
        & (ProgramTermination.effective_date == request.effective)
        & (ProgramTermination.citation == request.citation)
    )
    if request.known_id is not None:
        same = same | (ProgramTermination.known_id == request.known_id)
    return session.exec(select(ProgramTermination).where(same)).first()


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


def _filings(session: Session, case: Case) -> Sequence[FilingFacts]:
    return case_facts(session, case, _parolee(session, case)).filings


def _parolee(session: Session, case: Case) -> Parolee:
    parolee = session.get(Parolee, case.parolee_id)
    assert parolee is not None
    return parolee


def _count(outcome: TerminationOutcome, before: date, after: date, today: date) -> None:
    if after != before:
        outcome.moved += 1
        if after - today < timedelta(days=URGENT_DAYS):
            outcome.under_30_days += 1


def record_notice(
    session: Session,
    case: Case,
    termination_id: int,
    received: date,
    policies: Policies,
    now: datetime,
    actor: str,
) -> TerminationCase:
    """Record the day the person received an individual notice of a termination that
    reached their case: parole ends on the later of that day and the effective date."""
    termination = session.get(ProgramTermination, termination_id)
    if termination is None:
        raise NotFoundError(f"no program termination with id {termination_id} (--termination)")
    link = session.exec(
        select(TerminationCase).where(
            TerminationCase.termination_id == termination_id,
            TerminationCase.case_id == must_id(case.id),
        )
    ).first()
    if link is None:
        raise InvalidInputError(
            f"termination {termination_id} ({termination.program.value}) did not reach case "
            f"{case.external_id}, so it has no notice to record"
        )
    if received < termination.notice_date:
        raise InvalidInputError(
            f"the notice's date {received} is before the termination was published "
            f"({termination.notice_date})"
        )
    if received > now.date():
        raise InvalidInputError(f"the notice's date {received} is after today ({now.date()})")
    link.notice_received = received
    link.notice_recorded_at = now
    link.notice_recorded_by = actor
    with case_edit(session, case, by=actor, policies=policies, now=now) as edit:
        edit.touch(link)
        edit.audit_as(
            "termination.notice_recorded",
            termination=termination_id,
            received=received.isoformat(),
        )
    return link


def without_notice(
    session: Session, termination_id: int | None = None, caller: Caller | None = None
) -> list[Case]:
    """Open cases under an in-force, notice-based termination with no individual notice
    recorded: their parole has not ended under it yet, and someone should find out."""
    query = (
        select(Case)
        .join(TerminationCase, col(TerminationCase.case_id) == col(Case.id))
        .join(ProgramTermination)
        .where(
            col(ProgramTermination.on_notice),
            col(ProgramTermination.state).in_(_ENDING),
            col(TerminationCase.notice_received).is_(None),
            col(Case.status).not_in(UNAFFECTED),
        )
        .order_by(col(Case.id))
    )
    if termination_id is not None:
        query = query.where(TerminationCase.termination_id == termination_id)
    if caller is not None:
        query = query.where(readable(caller))
    return list(session.exec(query).unique().all())


_ENDING = [s for s in TerminationState if s.ends_parole]


@dataclass(frozen=True)
class KnownReach:
    """A shipped notice, whether it is recorded, and how many open cases it would reach
    and move (its program's cases ending after its effective date, exceptions aside)."""

    known: KnownTermination
    recorded_id: int | None
    reaches: int
    would_move: int


def known_reach(session: Session, known: Sequence[KnownTermination]) -> list[KnownReach]:
    """Each shipped notice with its counts, for `terminations known` and the admin."""
    return [_reach(session, k) for k in known]


def not_applied(session: Session, known: Sequence[KnownTermination]) -> list[KnownReach]:
    """The shipped notices not yet recorded that would reach at least one case."""
    return [r for r in known_reach(session, known) if r.recorded_id is None and r.reaches]


def _reach(session: Session, known: KnownTermination) -> KnownReach:
    recorded = session.exec(
        select(ProgramTermination.id).where(ProgramTermination.known_id == known.id)
    ).first()
    open_cases = (col(Case.program) == known.program) & col(Case.status).not_in(UNAFFECTED)
    reaches = session.exec(select(func.count()).select_from(Case).where(open_cases)).one()
    moving = open_cases & (col(Case.end_date) > known.effective)
    if known.except_form is not None and known.except_filed_by is not None:
        spared = (
            select(Filing.id)
            .where(
                Filing.case_id == Case.id,
                Filing.form == known.except_form,
                col(Filing.filed_date) <= known.except_filed_by,
                col(Filing.decision).is_(None),
            )
            .exists()
        )
        moving = moving & ~spared
    would_move = (
        0
        if known.on_notice
        else session.exec(select(func.count()).select_from(Case).where(moving)).one()
    )
    return KnownReach(known, recorded, reaches, would_move)


def find_known(known: Sequence[KnownTermination], known_id: str) -> KnownTermination:
    """A shipped notice by id, or a plain error naming the ones there are."""
    for item in known:
        if item.id == known_id:
            return item
    names = ", ".join(k.id for k in known) or "none"
    raise NotFoundError(f"no known termination {known_id!r} (--known); known: {names}")


def get_termination(session: Session, termination_id: int) -> ProgramTermination:
    """A recorded termination, or NotFoundError."""
    termination = session.get(ProgramTermination, termination_id)
    if termination is None:
        raise NotFoundError(f"no program termination with id {termination_id}")
    return termination


def reached_count(session: Session, termination_id: int) -> int:
    """How many cases a recorded termination reached."""
    return session.exec(
        select(func.count())
        .select_from(TerminationCase)
        .where(TerminationCase.termination_id == termination_id)
    ).one()


@dataclass(frozen=True)
class ProgramEnd:
    """A day a program's parole ends under a known or recorded termination."""

    effective: date
    label: str


def termination_ends(
    session: Session, known: Sequence[KnownTermination]
) -> dict[Program, list[ProgramEnd]]:
    """By program: every recorded termination in force and every shipped notice not
    recorded, for the import to warn about rows that may predate them."""
    ends: dict[Program, list[ProgramEnd]] = {}
    recorded = list_terminations(session)
    for t in recorded:
        if t.state.ends_parole:
            label = f"{t.citation} (termination {t.id}, recorded)"
            ends.setdefault(t.program, []).append(ProgramEnd(t.effective_date, label))
    applied = {t.known_id for t in recorded}
    for k in known:
        if k.id not in applied:
            label = f"{k.citation} (known notice {k.id}, not applied)"
            ends.setdefault(k.program, []).append(ProgramEnd(k.effective, label))
    return ends
