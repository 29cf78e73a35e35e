"""Changes to a case: status, grants and filings. Each one recomputes the deadlines in
the caller's transaction, and leaves a status-history or audit row naming who and why."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from tracker.cases.deadlines import refresh_case
from tracker.domain.identifiers import normalise_receipt
from tracker.domain.model import DeadlineChange, Decision, Form, GrantSource, Status
from tracker.domain.status import check_transition
from tracker.errors import InvalidInputError
from tracker.policies import Policies
from tracker.store.models import (
    Case,
    CaseAssignment,
    DeadlineRow,
    Filing,
    Grant,
    Parolee,
    StatusChange,
    must_id,
)


@dataclass(frozen=True)
class StatusRequest:
    """A status change as an administrator asks for it."""

    target: Status
    reason: str
    actor: str
    # The day the change took effect (departure, termination); defaults to today.
    effective: date | None = None
    new_expiry: date | None = None
    receipt: str | None = None
    form: Form | None = None
    # When a new grant was decided, if after a program termination's notice (a court
    # order, a new parole); unknown means before, so the termination still ends it.
    decided: date | None = None


def change_status(
    session: Session, case: Case, request: StatusRequest, policies: Policies, now: datetime
) -> list[DeadlineChange]:
    """Move a case to another status, with the grant or filing the move brings."""
    needs = check_transition(case.status, request.target)
    if not request.reason.strip():
        raise InvalidInputError("say why the status changes (--reason)")
    if needs.new_expiry and request.new_expiry is None:
        raise InvalidInputError(
            f"moving to {request.target.value} needs the new grant's expiry date (--new-expiry)"
        )
    if needs.date and request.effective is None:
        raise InvalidInputError(
            f"moving to {request.target.value} needs the date it happened (--date)"
        )
    today = now.date()
    if request.target == Status.PAROLED:
        assert request.new_expiry is not None
        start = request.effective or today
        add_grant(
            session,
            case,
            start=start,
            expiry=request.new_expiry,
            source=GrantSource.REPAROLE,
            actor=request.actor,
            now=now,
            decided=request.decided,
        )
        approve_pending_reparole(session, case, start, now)
    if request.target == Status.TERMINATED:
        assert request.effective is not None
        # The notice is recorded today; parole ends on the date the notice gives.
        add_grant(
            session,
            case,
            start=min(today, request.effective),
            expiry=request.effective,
            source=GrantSource.TERMINATION_NOTICE,
            actor=request.actor,
            now=now,
        )
    if request.target == Status.DEPARTED:
        assert request.effective is not None
        add_grant(
            session,
            case,
            start=request.effective,
            expiry=request.effective,
            source=GrantSource.DEPARTURE,
            actor=request.actor,
            now=now,
        )
    if request.receipt or request.form:
        add_filing(
            session,
            case,
            form=request.form,
            receipt=request.receipt,
            filed=request.effective or today,
            now=now,
        )
    record_status(
        session, case, request.target, request.actor, request.reason, now, request.effective
    )
    return refresh(session, case, policies, now)


def record_status(
    session: Session,
    case: Case,
    target: Status,
    actor: str,
    reason: str,
    now: datetime,
    effective: date | None = None,
    *,
    initial: bool = False,
) -> None:
    """Write one step of the status history and set the case's status."""
    session.add(
        StatusChange(
            case_id=must_id(case.id),
            from_status=None if initial else case.status,
            to_status=target,
            changed_at=now,
            actor=actor,
            reason=reason,
            effective_date=effective,
        )
    )
    case.status = target
    case.updated_at = now
    session.add(case)


def add_grant(
    session: Session,
    case: Case,
    *,
    start: date,
    expiry: date,
    source: GrantSource,
    actor: str,
    now: datetime,
    note: str | None = None,
    decided: date | None = None,
) -> Grant:
    """Add a grant to a case's history. The caller recomputes deadlines."""
    if expiry < start:
        raise InvalidInputError(f"the expiry {expiry} is before the start {start}")
    if decided is not None and decided > now.date():
        raise InvalidInputError(f"the decision date {decided} is after today ({now.date()})")
    grant = Grant(
        case_id=must_id(case.id),
        start_date=start,
        expiry_date=expiry,
        source=source,
        decided_on=decided,
        recorded_at=now,
        recorded_by=actor,
        note=note,
    )
    session.add(grant)
    return grant


def add_filing(
    session: Session,
    case: Case,
    *,
    form: Form | None,
    receipt: str | None,
    filed: date,
    now: datetime,
) -> Filing:
    """Record an application; a receipt number already on another case is refused."""
    if form is None:
        raise InvalidInputError("a filing needs its form (--form), e.g. I-131")
    number = None
    if receipt:
        try:
            number = normalise_receipt(receipt)
        except ValueError as exc:
            raise InvalidInputError(f"receipt {receipt!r}: {exc}") from None
        # No autoflush: a bulk import adds many filings, and flushing before each check
        # would write row by row. The unique constraint still guards what is unflushed.
        with session.no_autoflush:
            other = session.exec(select(Filing.id).where(Filing.receipt_number == number)).first()
        if other is not None:
            raise InvalidInputError(f"receipt {number} is already recorded on another filing")
    filing = Filing(
        case_id=must_id(case.id),
        form=form,
        receipt_number=number,
        filed_date=filed,
        created_at=now,
        updated_at=now,
    )
    session.add(filing)
    return filing


def approve_pending_reparole(session: Session, case: Case, on: date, now: datetime) -> None:
    """A new grant answers the pending re-parole request (I-131): record it as approved."""
    pending = session.exec(
        select(Filing).where(
            Filing.case_id == case.id, Filing.form == Form.I131, col(Filing.decision).is_(None)
        )
    ).all()
    for filing in pending:
        filing.decision = Decision.APPROVED
        filing.decided_on = on
        filing.updated_at = now
        session.add(filing)


def refresh(
    session: Session, case: Case, policies: Policies, now: datetime
) -> list[DeadlineChange]:
    """Flush pending changes and recompute the case's end and deadlines."""
    try:
        session.flush()
    except IntegrityError as exc:
        raise InvalidInputError(f"the change conflicts with stored data: {exc.orig}") from None
    parolee = session.get(Parolee, case.parolee_id)
    assert parolee is not None
    return refresh_case(session, case, parolee, policies, now)


def has_pending_filing(forms: tuple[Form, ...]) -> ColumnElement[bool]:
    """In a query of cases: the case has an undecided filing of one of `forms`."""
    return (
        select(Filing.id)
        .where(
            Filing.case_id == Case.id, col(Filing.decision).is_(None), col(Filing.form).in_(forms)
        )
        .exists()
    )


def assign_representative(
    session: Session,
    case: Case,
    representative_id: int | None,
    now: datetime,
    *,
    new_case: bool = False,
) -> bool:
    """Give a case to a representative (or to none), keeping the assignment history that
    calendar feeds follow; False if nothing changed. A bulk import says `new_case` to
    skip the lookup of assignments a new case cannot have."""
    held = (
        []
        if new_case
        else list(
            session.exec(
                select(CaseAssignment).where(
                    CaseAssignment.case_id == must_id(case.id),
                    col(CaseAssignment.unassigned_at).is_(None),
                )
            ).all()
        )
    )
    if [a.representative_id for a in held] == ([representative_id] if representative_id else []):
        return False
    for assignment in held:
        assignment.unassigned_at = now
        session.add(assignment)
    if representative_id is not None:
        session.add(
            CaseAssignment(
                case_id=must_id(case.id), representative_id=representative_id, assigned_at=now
            )
        )
    case.representative_id = representative_id
    case.updated_at = now
    session.add(case)
    touch_deadlines(session, must_id(case.id), now)
    return True


def touch_deadlines(session: Session, case_id: int, now: datetime) -> None:
    """Mark every deadline of a case changed (new owner, new name): calendars replace
    events only on a higher SEQUENCE, and revalidate by LAST-MODIFIED."""
    session.execute(
        update(DeadlineRow)
        .where(col(DeadlineRow.case_id) == case_id)
        .values(sequence=col(DeadlineRow.sequence) + 1, changed_at=now)
    )
