"""Changes staff make to one case from the admin: status, re-parole grants, filings and
the representative. Each recomputes the case's deadlines and reminders in the caller's
transaction and leaves an audit row (ids, dates and codes only, never personal values).

`record_reparole` and `record_filing` are shared with the import, so a grant or filing
has the same effects however it arrives.
"""

from datetime import date, datetime

from sqlmodel import Session, select

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
from tracker.domain.model import Form, GrantFacts, GrantSource, Status
from tracker.domain.parole import current_grant
from tracker.errors import InvalidInputError
from tracker.policies import Policies
from tracker.store import audit
from tracker.store.models import Case, Filing, Grant, Representative

# A new filing on a paroled case means the person now waits on that application.
PENDING_STATUS = {
    Form.I131: Status.REPAROLE_PENDING,
    Form.I589: Status.OTHER_STATUS_PENDING,
    Form.I485: Status.OTHER_STATUS_PENDING,
    Form.I821: Status.OTHER_STATUS_PENDING,
}


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
) -> Grant:
    """Add a re-parole grant: it answers a pending I-131, and an expired or pending case
    is paroled again (the status step gives `reason`). The caller recomputes deadlines."""
    grant = add_grant(
        session, case, start=start, expiry=expiry, source=GrantSource.REPAROLE, actor=actor,
        now=now, note=note,
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
) -> Grant:
    """A re-parole grant entered by staff. It must start after the current grant did:
    an earlier start would never decide the expiry."""
    newest = newest_grant(session, case)
    if start <= newest.start:
        raise InvalidInputError(
            f"a re-parole grant starts after the current grant, which started {newest.start}"
        )
    grant = record_reparole(
        session, case, start=start, expiry=expiry, actor=actor, now=now, note=note,
        reason="re-parole grant recorded",
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
