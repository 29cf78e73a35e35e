"""Changes staff make to one case from the admin: status, re-parole grants, filings and
the representative. Each recomputes the case's deadlines and reminders in the caller's
transaction and leaves an audit row (ids, dates and codes only, never personal values).

`record_reparole` and `record_filing` are shared with the import, so a grant or filing
has the same effects however it arrives.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from tracker.cases.service import (
    StatusRequest,
    add_filing,
    add_grant,
    approve_pending_reparole,
    assign_representative,
    change_status,
    record_status,
    refresh,
)
from tracker.domain.identifiers import normalise_category
from tracker.domain.model import Decision, Form, GrantFacts, GrantSource, Status
from tracker.domain.parole import current_grant
from tracker.errors import InvalidInputError
from tracker.policies import Policies
from tracker.store import audit
from tracker.store.models import Case, Filing, Grant, Parolee, Representative

# A new filing on a paroled case means the person now waits on that application.
PENDING_STATUS = {
    Form.I131: Status.REPAROLE_PENDING,
    Form.I589: Status.OTHER_STATUS_PENDING,
    Form.I485: Status.OTHER_STATUS_PENDING,
    Form.I821: Status.OTHER_STATUS_PENDING,
}


def end_moved(before: date, case: Case) -> str:
    """The words that tell how a change moved the end of parole (empty if it did not)."""
    return f" Parole now ends {case.end_date} (was {before})." if case.end_date != before else ""


def newest_grant(session: Session, case: Case) -> GrantFacts:
    """The grant of parole that decides the case's expiry now."""
    grants = session.exec(select(Grant).where(Grant.case_id == case.id)).all()
    return current_grant(
        GrantFacts(g.start_date, g.expiry_date, g.source, g.id or 0) for g in grants
    )


def record_reparole(
    session: Session,
    case: Case,
    *,
    start: date,
    expiry: date,
    actor: str,
    reason: str,
    now: datetime,
    note: str | None = None,
    decided: date | None = None,
) -> Grant:
    """Add a re-parole grant: it answers a pending I-131, and an expired or pending case
    is paroled again (the status step gives `reason`). The caller recomputes deadlines."""
    grant = add_grant(
        session, case, start=start, expiry=expiry, source=GrantSource.REPAROLE, actor=actor,
        now=now, note=note, decided=decided,
    )  # fmt: skip
    approve_pending_reparole(session, case, start, now)
    if case.status in (Status.EXPIRED, Status.REPAROLE_PENDING):
        record_status(session, case, Status.PAROLED, actor, reason, now)
    return grant


def record_filing(
    session: Session,
    case: Case,
    *,
    form: Form,
    receipt: str | None,
    filed: date,
    actor: str,
    reason: str,
    now: datetime,
) -> Filing:
    """Add a filing; a paroled case whose filing starts a wait moves to that pending
    status (the status step gives `reason`). The caller recomputes deadlines."""
    filing = add_filing(session, case, form=form, receipt=receipt, filed=filed, now=now)
    pending = PENDING_STATUS.get(form)
    if pending and case.status == Status.PAROLED:
        record_status(session, case, pending, actor, reason, now, filed)
    return filing


def set_status(
    session: Session, case: Case, request: StatusRequest, policies: Policies, now: datetime
) -> None:
    """Change the status as `tracker case status` does, and audit it."""
    before = case.status
    change_status(session, case, request, policies, now)
    audit.record(
        session, at=now, actor=request.actor, action="case.status_changed", entity="case",
        entity_id=case.id, before=before.value, after=case.status.value,
    )  # fmt: skip


def add_reparole(
    session: Session,
    case: Case,
    *,
    start: date,
    expiry: date,
    note: str | None,
    actor: str,
    policies: Policies,
    now: datetime,
    decided: date | None = None,
) -> Grant:
    """A re-parole grant entered by staff. It must start after the current grant did:
    an earlier start would never decide the expiry. `decided`: when it was decided, if
    after a program termination's notice (a court order): the termination spares it."""
    newest = newest_grant(session, case)
    if start <= newest.start:
        raise InvalidInputError(
            f"a re-parole grant starts after the current grant, which started {newest.start}"
        )
    grant = record_reparole(
        session, case, start=start, expiry=expiry, actor=actor, now=now, note=note,
        reason="re-parole grant recorded", decided=decided,
    )  # fmt: skip
    refresh(session, case, policies, now)
    audit.record(
        session, at=now, actor=actor, action="case.grant_added", entity="case",
        entity_id=case.id, grant=grant.id, start=start.isoformat(), expiry=expiry.isoformat(),
    )  # fmt: skip
    return grant


def add_application(
    session: Session,
    case: Case,
    *,
    form: Form,
    receipt: str | None,
    filed: date,
    actor: str,
    policies: Policies,
    now: datetime,
) -> Filing:
    """A filing entered by staff."""
    filing = record_filing(
        session, case, form=form, receipt=receipt, filed=filed, actor=actor, now=now,
        reason=f"{form.value} filing recorded",
    )  # fmt: skip
    refresh(session, case, policies, now)
    audit.record(
        session, at=now, actor=actor, action="case.filing_added", entity="case",
        entity_id=case.id, filing=filing.id, form=form.value,
    )  # fmt: skip
    return filing


def pending_filing(session: Session, case: Case, filing_id: int) -> Filing:
    """A pending filing of this case by id, or a plain error."""
    filing = session.get(Filing, filing_id)
    if filing is None or filing.case_id != case.id:
        raise InvalidInputError(f"case {case.external_id} has no filing {filing_id}")
    if filing.decision is not None:
        raise InvalidInputError(
            f"the {filing.form.value} was already decided ({filing.decision.value})"
        )
    return filing


def newest_pending(session: Session, case: Case, form: Form) -> Filing:
    """The case's newest pending filing of `form`, or a plain error."""
    pending = [
        f
        for f in session.exec(
            select(Filing).where(Filing.case_id == case.id, Filing.form == form)
        ).all()
        if f.decision is None
    ]
    if not pending:
        raise InvalidInputError(f"case {case.external_id} has no pending {form.value} (--form)")
    return max(pending, key=lambda f: (f.filed_date, f.id or 0))


def decide_filing(
    session: Session,
    case: Case,
    filing: Filing,
    *,
    decision: Decision,
    on: date,
    actor: str,
    policies: Policies,
    now: datetime,
) -> None:
    """Record a decision on a pending filing. Exceptions and tolling follow from it when
    the case is recomputed; a case that waited only on that filing is paroled again (the
    daily job then marks it expired if its parole has ended)."""
    if filing.case_id != case.id:
        raise InvalidInputError(f"that filing is not on case {case.external_id}")
    if filing.decision is not None:
        raise InvalidInputError(
            f"the {filing.form.value} was already decided ({filing.decision.value})"
        )
    if on < filing.filed_date:
        raise InvalidInputError(
            f"the decision date {on} is before the {filing.form.value} was filed "
            f"({filing.filed_date})"
        )
    if on > now.date():
        raise InvalidInputError(f"the decision date {on} is after today ({now.date()})")
    filing.decision, filing.decided_on, filing.updated_at = decision, on, now
    session.add(filing)
    session.flush()
    still = session.exec(
        select(Filing.id).where(
            Filing.case_id == case.id,
            col(Filing.decision).is_(None),
            col(Filing.form).in_(list(PENDING_STATUS)),
        )
    ).first()
    waiting = (Status.REPAROLE_PENDING, Status.OTHER_STATUS_PENDING)
    if case.status in waiting and still is None and decision != Decision.APPROVED:
        reason = f"{filing.form.value} {decision.value}"
        record_status(session, case, Status.PAROLED, actor, reason, now, on)
    refresh(session, case, policies, now)
    audit.record(
        session, at=now, actor=actor, action="case.filing_decided", entity="case",
        entity_id=case.id, filing=filing.id, form=filing.form.value, decision=decision.value,
        on=on.isoformat(),
    )  # fmt: skip


def record_fee_notice(
    session: Session,
    case: Case,
    filing: Filing,
    *,
    due: date,
    actor: str,
    policies: Policies,
    now: datetime,
) -> None:
    """Record the due date of the yearly fee notice USCIS sent for a pending filing."""
    if filing.case_id != case.id or filing.decision is not None:
        raise InvalidInputError(f"that filing is not pending on case {case.external_id}")
    if due <= filing.filed_date:
        raise InvalidInputError(
            f"the due date {due} is not after the {filing.form.value} was filed "
            f"({filing.filed_date})"
        )
    filing.fee_notice_due, filing.updated_at = due, now
    session.add(filing)
    refresh(session, case, policies, now)
    audit.record(
        session, at=now, actor=actor, action="case.fee_notice_recorded", entity="case",
        entity_id=case.id, filing=filing.id, due=due.isoformat(),
    )  # fmt: skip


@dataclass(frozen=True)
class CaseFactsUpdate:
    """Facts staff may set on a case; None leaves a fact as it is, `clear` empties it."""

    birth_date: date | None = None
    work_permit_category: str | None = None
    work_permit_expiry: date | None = None
    parole_fee_due: date | None = None
    clear: frozenset[str] = frozenset()


FACT_FIELDS = ("birth_date", "work_permit_category", "work_permit_expiry", "parole_fee_due")


def update_facts(
    session: Session,
    case: Case,
    parolee: Parolee,
    update: CaseFactsUpdate,
    *,
    actor: str,
    policies: Policies,
    now: datetime,
) -> list[str]:
    """Set a case's birth date, work permit and fee due date; return what changed."""
    unknown = update.clear - set(FACT_FIELDS)
    if unknown:
        raise InvalidInputError(f"cannot clear {sorted(unknown)[0]!r}; facts: {FACT_FIELDS}")
    birth = update.birth_date
    if birth is not None and birth > now.date():
        raise InvalidInputError(f"the date of birth {birth} is after today ({now.date()})")
    if birth is not None and birth > parolee.arrival_date:
        raise InvalidInputError(f"birth_date {birth} is after the arrival ({parolee.arrival_date})")
    category = update.work_permit_category
    if category is not None:
        try:
            category = normalise_category(category)
        except ValueError as exc:
            raise InvalidInputError(f"the work permit category {category!r}: {exc}") from None
    values: dict[str, date | str | None] = {
        "birth_date": birth,
        "work_permit_category": category,
        "work_permit_expiry": update.work_permit_expiry,
        "parole_fee_due": update.parole_fee_due,
    }
    wanted = {k: v for k, v in values.items() if v is not None or k in update.clear}
    changed = []
    for name, value in wanted.items():
        target: Case | Parolee = parolee if name == "birth_date" else case
        if getattr(target, name) != value:
            setattr(target, name, value)
            session.add(target)
            changed.append(name)
    if changed:
        case.updated_at = parolee.updated_at = now
        refresh(session, case, policies, now)
        audit.record(
            session, at=now, actor=actor, action="case.facts_changed", entity="case",
            entity_id=case.id, fields=",".join(changed),
        )  # fmt: skip
    return changed


def reassign(
    session: Session,
    case: Case,
    representative_id: int | None,
    *,
    actor: str,
    policies: Policies,
    now: datetime,
) -> bool:
    """Give the case to a representative (or to none); False if it already was."""
    if representative_id is not None and session.get(Representative, representative_id) is None:
        raise InvalidInputError("that representative does not exist")
    if not assign_representative(session, case, representative_id, now):
        return False
    # Reminders name the representative as the person to contact: re-plan them.
    refresh(session, case, policies, now)
    audit.record(
        session, at=now, actor=actor, action="case.representative_assigned", entity="case",
        entity_id=case.id, representative=representative_id,
    )  # fmt: skip
    return True
