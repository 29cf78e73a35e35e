"""Keeps each case's stored deadlines and end date equal to what the rules compute."""

from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session, col, select

from tracker.alerts.planner import plan_case
from tracker.domain.appointments import AppointmentStatus
from tracker.domain.model import (
    AppointmentFacts,
    CaseFacts,
    Deadline,
    DeadlineChange,
    FilingFacts,
    GrantFacts,
    TerminationException,
    TerminationFacts,
)
from tracker.domain.parole import case_end
from tracker.domain.rules import compute_deadlines
from tracker.policies import Policies
from tracker.store.models import (
    Appointment,
    Case,
    DeadlineRow,
    Filing,
    Grant,
    Parolee,
    ProgramTermination,
    TerminationCase,
)


def case_facts(session: Session, case: Case, parolee: Parolee) -> CaseFacts:
    """Read what the rules need about one case from the database."""
    grants = session.exec(
        select(Grant).where(Grant.case_id == case.id).order_by(col(Grant.id))
    ).all()
    reached = session.exec(
        select(ProgramTermination, TerminationCase)
        .join(TerminationCase)
        .where(TerminationCase.case_id == case.id)
        .order_by(col(ProgramTermination.id))
    ).all()
    filings = session.exec(select(Filing).where(Filing.case_id == case.id)).all()
    appointments = session.exec(
        select(Appointment).where(
            Appointment.case_id == case.id, Appointment.status == AppointmentStatus.SCHEDULED
        )
    ).all()
    return CaseFacts(
        program=case.program,
        status=case.status,
        arrival=parolee.arrival_date,
        asylum_arrival=parolee.asylum_arrival_date,
        birth_date=parolee.birth_date,
        citizenship=parolee.citizenship,
        work_permit_expiry=case.work_permit_expiry,
        work_permit_category=case.work_permit_category,
        parole_fee_due=case.parole_fee_due,
        grants=tuple(
            GrantFacts(
                start=g.start_date,
                expiry=g.expiry_date,
                source=g.source,
                sequence=g.id or 0,
                decided=g.decided_on,
            )
            for g in grants
        ),
        terminations=tuple(termination_facts(t, link) for t, link in reached),
        filings=tuple(
            FilingFacts(
                form=f.form,
                filed=f.filed_date,
                decision=f.decision,
                decided_on=f.decided_on,
                fee_notice_due=f.fee_notice_due,
                response_due=f.response_due,
                response_tells_parolee=f.response_tells_parolee,
            )
            for f in filings
        ),
        appointments=tuple(appointment_facts(a) for a in appointments),
    )


def appointment_facts(appointment: Appointment) -> AppointmentFacts:
    """A scheduled appointment, for the rules."""
    return AppointmentFacts(
        id=appointment.id or 0,
        kind=appointment.kind.value,
        day=appointment.local_start.date(),
        starts_at=appointment.starts_at,
    )


def termination_facts(termination: ProgramTermination, link: TerminationCase) -> TerminationFacts:
    """A stored termination as it reached one case, for the rules."""
    exception = None
    if termination.except_form is not None and termination.except_filed_by is not None:
        exception = TerminationException(termination.except_form, termination.except_filed_by)
    return TerminationFacts(
        effective=termination.effective_date,
        published=termination.notice_date,
        in_force=termination.state.ends_parole,
        on_notice=termination.on_notice,
        notice_received=link.notice_received,
        exception=exception,
    )


def changes_between(stored: list[DeadlineRow], computed: list[Deadline]) -> list[DeadlineChange]:
    """What recomputing would change: new, moved and vanished deadlines."""
    current = {r.slot: r for r in stored if r.cancelled_at is None}
    changes = []
    for deadline in computed:
        row = current.pop(deadline.slot, None)
        if row is None:
            changes.append(
                DeadlineChange(deadline.slot, None, deadline.date, None, deadline.act_by)
            )
        elif (row.date, row.act_by) != (deadline.date, deadline.act_by):
            changes.append(
                DeadlineChange(deadline.slot, row.date, deadline.date, row.act_by, deadline.act_by)
            )
    changes += [DeadlineChange(r.slot, r.date, None, r.act_by, None) for r in current.values()]
    return changes


def stored_deadlines(session: Session, case_id: int) -> list[DeadlineRow]:
    """Every deadline row of a case, cancelled ones included."""
    return list(session.exec(select(DeadlineRow).where(DeadlineRow.case_id == case_id)).all())


def refresh_case(
    session: Session,
    case: Case,
    parolee: Parolee,
    policies: Policies,
    now: datetime,
) -> list[DeadlineChange]:
    """Recompute a case's end and deadlines and store them, in the caller's transaction."""
    facts = case_facts(session, case, parolee)
    case.end_date = case_end(facts)
    session.add(case)
    computed = compute_deadlines(facts, policies.deadlines)
    assert case.id is not None, "flush the case before refreshing it"
    rows = stored_deadlines(session, case.id)
    # Compare before storing: _store updates these same row objects in place.
    changes = changes_between(rows, computed)
    _store(session, case.id, rows, computed, now)
    if policies.reminders is not None:
        # Same transaction: a change and the reminders it calls for commit together.
        plan_case(session, case, parolee, policies.reminders, now, changes)
    return changes


def _store(
    session: Session, case_id: int, rows: list[DeadlineRow], computed: list[Deadline], now: datetime
) -> None:
    by_slot = {r.slot: r for r in rows}
    new = []
    for deadline in computed:
        row = by_slot.pop(deadline.slot, None)
        if row is None:
            new.append(deadline_values(case_id, deadline, now))
        else:
            _update(row, deadline, now)
            session.add(row)
    if new:
        # One multi-row INSERT: building ORM objects costs more than the write itself
        # when a large import adds five or six deadlines per case. Without autoflush the
        # session's pending rows are written together later, not one case at a time.
        with session.no_autoflush:
            session.execute(insert(DeadlineRow), new)
    for row in by_slot.values():
        if row.cancelled_at is None:
            row.cancelled_at = row.changed_at = now
            row.sequence += 1
            session.add(row)


def deadline_values(case_id: int, deadline: Deadline, now: datetime) -> dict[str, object]:
    """The stored row of a newly computed deadline."""
    return {
        "case_id": case_id,
        "slot": deadline.slot,
        "kind": deadline.kind,
        "date": deadline.date,
        "act_by": deadline.act_by,
        "rule_id": deadline.rule_id,
        "rule_version": deadline.rule_version,
        "citation": deadline.citation,
        "flags": ",".join(deadline.flags),
        "starts_at": deadline.starts_at,
        "sequence": 0,
        "computed_at": now,
        "changed_at": now,
        "cancelled_at": None,
    }


def _update(row: DeadlineRow, deadline: Deadline, now: datetime) -> None:
    flags = ",".join(deadline.flags)
    # Anything a calendar shows changed: clients replace the event on a higher SEQUENCE.
    shown = (deadline.date, deadline.act_by, deadline.citation, flags)
    if (row.date, row.act_by, row.citation, row.flags) != shown or row.cancelled_at:
        row.sequence += 1
        row.changed_at = now
    row.date, row.act_by, row.citation, row.flags = shown
    row.kind, row.rule_id, row.rule_version = deadline.kind, deadline.rule_id, deadline.rule_version
    row.starts_at = deadline.starts_at
    row.computed_at = now
    row.cancelled_at = None
