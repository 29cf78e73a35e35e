"""The one way to change a case: `with case_edit(session, case, parolee, by=..., ...) as edit:`.

Import, admin, API, CLI, program terminations and the daily expiry job all change cases
through a `CaseEdit`. Its methods check a change and write it (grants, filings, status
history); on leaving the block, once, the edit flushes, recomputes the case's end and
deadlines, re-plans its reminders (`tracker.cases.deadlines.refresh_case`) and writes the
audit rows of what it did (ids, dates and codes only, never personal values). All of it
is in the caller's transaction: a refused change raises and the caller's session rolls
the whole edit back.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from tracker.alerts.outbox import enqueue
from tracker.alerts.planner import can_text
from tracker.alerts.policy import local_date, next_allowed, too_late
from tracker.alerts.schedule import APPOINTMENT_MOVED, Wanted
from tracker.cases.deadlines import refresh_case
from tracker.domain.appointments import (
    AppointmentRequest,
    AppointmentStatus,
    appointment_slot,
    check_move,
)
from tracker.domain.identifiers import normalise_category, normalise_receipt
from tracker.domain.model import (
    DeadlineChange,
    Decision,
    Form,
    GrantFacts,
    GrantSource,
    Status,
)
from tracker.domain.parole import current_grant
from tracker.domain.status import PENDING_STATUS, check_transition
from tracker.errors import InvalidInputError
from tracker.policies import Policies
from tracker.store import audit
from tracker.store.models import (
    Appointment,
    AppointmentChange,
    Case,
    CaseAssignment,
    DeadlineRow,
    Filing,
    Grant,
    Parolee,
    Representative,
    StatusChange,
    must_id,
)


@dataclass(frozen=True)
class StatusRequest:
    """A status change as staff ask for it."""

    target: Status
    reason: str
    # The day the change took effect (departure, termination); defaults to today.
    effective: date | None = None
    new_expiry: date | None = None
    receipt: str | None = None
    form: Form | None = None
    # When a new grant was decided, if after a program termination's notice (a court
    # order, a new parole); unknown means before, so the termination still ends it.
    decided: date | None = None


@dataclass(frozen=True)
class CaseFactsUpdate:
    """Facts staff may set on a case; None leaves a fact as it is, `clear` empties it."""

    birth_date: date | None = None
    work_permit_category: str | None = None
    work_permit_expiry: date | None = None
    parole_fee_due: date | None = None
    clear: frozenset[str] = frozenset()


# What an audit row's detail holds: ids, dates and codes.
Detail = str | int | None

# What a response date answers: a request for evidence, or a notice of intent to deny.
RESPONSE_NOTICES = ("rfe", "noid")

FACT_FIELDS = ("birth_date", "work_permit_category", "work_permit_expiry", "parole_fee_due")


@dataclass
class CaseEdit:
    """Changes to one case made together; see the module's docstring."""

    session: Session
    case: Case
    parolee: Parolee
    by: str
    policies: Policies
    now: datetime
    # What the refresh on leaving changed (after the block).
    changes: list[DeadlineChange] = field(default_factory=list)
    _refresh: bool = False
    _audit: list[tuple[str, dict[str, Detail]]] = field(default_factory=list)

    # -- status -------------------------------------------------------------------------

    def status(self, request: StatusRequest) -> None:
        """Move the case to another status, with the grant or filing the move brings."""
        needs = check_transition(self.case.status, request.target)
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
        before = self.case.status
        today = self.now.date()
        if request.target == Status.PAROLED:
            assert request.new_expiry is not None
            start = request.effective or today
            self._grant(start, request.new_expiry, GrantSource.REPAROLE, decided=request.decided)
            self._approve_pending_reparole(start)
        if request.target == Status.TERMINATED:
            assert request.effective is not None
            # The notice is recorded today; parole ends on the date the notice gives.
            start = min(today, request.effective)
            self._grant(start, request.effective, GrantSource.TERMINATION_NOTICE)
        if request.target == Status.DEPARTED:
            assert request.effective is not None
            self._grant(request.effective, request.effective, GrantSource.DEPARTURE)
        if request.receipt or request.form:
            self._filing(request.form, request.receipt, request.effective or today)
        self._status_step(request.target, request.reason, request.effective)
        self._audited("case.status_changed", before=before.value, after=self.case.status.value)

    def begin(self, *, reason: str) -> None:
        """The first step of a new case's status history (its status as created)."""
        self._status_step(self.case.status, reason, initial=True)

    def expire(self, reason: str) -> None:
        """The daily job's move to `expired` once parole ended with nothing pending; the
        status history records it (the system, not a person, made it: no audit row)."""
        self._status_step(Status.EXPIRED, reason, self.case.end_date)

    # -- grants -------------------------------------------------------------------------

    def initial_grant(self, *, start: date, expiry: date) -> Grant:
        """The grant a new case was paroled under."""
        return self._grant(start, expiry, GrantSource.INITIAL)

    def reparole(
        self,
        *,
        start: date,
        expiry: date,
        note: str | None = None,
        decided: date | None = None,
        reason: str = "re-parole grant recorded",
    ) -> Grant:
        """A re-parole grant. It must start after the current grant did (an earlier start
        would never decide the expiry); it answers a pending I-131, and an expired or
        pending case is paroled again (the status step gives `reason`). `decided`: when it
        was decided, if after a program termination's notice (a court order): the
        termination spares it."""
        newest = self.newest_grant()
        if start <= newest.start:
            raise InvalidInputError(
                f"a re-parole grant starts after the current grant, which started {newest.start}"
            )
        grant = self._grant(start, expiry, GrantSource.REPAROLE, note=note, decided=decided)
        self._approve_pending_reparole(start)
        if self.case.status in (Status.EXPIRED, Status.REPAROLE_PENDING):
            self._status_step(Status.PAROLED, reason)
        self._flush()
        self._audited(
            "case.grant_added", grant=grant.id, start=start.isoformat(), expiry=expiry.isoformat()
        )
        return grant

    def correct_expiry(self, *, expiry: date, note: str) -> Grant:
        """The current grant's expiry, corrected (the same start, a new expiry date)."""
        newest = self.newest_grant()
        return self._grant(newest.start, expiry, GrantSource.CORRECTION, note=note)

    def newest_grant(self) -> GrantFacts:
        """The grant of parole that decides the case's expiry now."""
        grants = self.session.exec(select(Grant).where(Grant.case_id == self.case.id)).all()
        return current_grant(
            GrantFacts(g.start_date, g.expiry_date, g.source, g.id or 0) for g in grants
        )

    # -- filings ------------------------------------------------------------------------

    def filing(
        self,
        *,
        form: Form,
        receipt: str | None,
        filed: date,
        reason: str | None = None,
        moves_status: bool = True,
    ) -> Filing:
        """An application filed; a paroled case whose filing starts a wait moves to that
        pending status (the status step gives `reason`), unless `moves_status` is False
        (the API's contract: a status change is posted on its own)."""
        filing = self._filing(form, receipt, filed)
        pending = PENDING_STATUS.get(form) if moves_status else None
        if pending and self.case.status == Status.PAROLED:
            self._status_step(pending, reason or f"{form.value} filing recorded", filed)
        self._flush()
        self._audited("case.filing_added", filing=filing.id, form=form.value)
        return filing

    def decide(self, filing: Filing, *, decision: Decision, on: date) -> None:
        """A decision on a pending filing. Exceptions and tolling follow from it when the
        case is recomputed; a case that waited only on that filing is paroled again (the
        daily job then marks it expired if its parole has ended)."""
        if filing.case_id != self.case.id:
            raise InvalidInputError(f"that filing is not on case {self.case.external_id}")
        if filing.decision is not None:
            raise InvalidInputError(
                f"the {filing.form.value} was already decided ({filing.decision.value})"
            )
        if on < filing.filed_date:
            raise InvalidInputError(
                f"the decision date {on} is before the {filing.form.value} was filed "
                f"({filing.filed_date})"
            )
        if on > self.now.date():
            raise InvalidInputError(f"the decision date {on} is after today ({self.now.date()})")
        filing.decision, filing.decided_on, filing.updated_at = decision, on, self.now
        self.touch(filing)
        self._flush()
        still = self.session.exec(
            select(Filing.id).where(
                Filing.case_id == self.case.id,
                col(Filing.decision).is_(None),
                col(Filing.form).in_(list(PENDING_STATUS)),
            )
        ).first()
        waiting = (Status.REPAROLE_PENDING, Status.OTHER_STATUS_PENDING)
        if self.case.status in waiting and still is None and decision != Decision.APPROVED:
            self._status_step(Status.PAROLED, f"{filing.form.value} {decision.value}", on)
        self._audited(
            "case.filing_decided",
            filing=filing.id,
            form=filing.form.value,
            decision=decision.value,
            on=on.isoformat(),
        )

    def fee_notice(self, filing: Filing, *, due: date) -> None:
        """The due date of the yearly fee notice USCIS sent for a pending filing."""
        if filing.case_id != self.case.id or filing.decision is not None:
            raise InvalidInputError(f"that filing is not pending on case {self.case.external_id}")
        if due <= filing.filed_date:
            raise InvalidInputError(
                f"the due date {due} is not after the {filing.form.value} was filed "
                f"({filing.filed_date})"
            )
        filing.fee_notice_due, filing.updated_at = due, self.now
        self.touch(filing)
        self._audited("case.fee_notice_recorded", filing=filing.id, due=due.isoformat())

    def response_due(self, filing: Filing, *, due: date, notice: str, tell_parolee: bool) -> None:
        """The response date of USCIS's request for evidence (`notice` rfe) or notice of
        intent to deny (noid) on a pending filing; the person is reminded only if
        `tell_parolee`."""
        if notice not in RESPONSE_NOTICES:
            raise InvalidInputError(f"notice {notice!r}: say rfe or noid")
        if filing.case_id != self.case.id or filing.decision is not None:
            raise InvalidInputError(f"that filing is not pending on case {self.case.external_id}")
        if due <= filing.filed_date:
            raise InvalidInputError(
                f"the response date {due} is not after the {filing.form.value} was filed "
                f"({filing.filed_date})"
            )
        filing.response_due, filing.response_notice = due, notice
        filing.response_tells_parolee, filing.updated_at = tell_parolee, self.now
        self.touch(filing)
        self._audited(
            "case.response_due_recorded", filing=filing.id, due=due.isoformat(), notice=notice
        )

    def pending_filing(self, filing_id: int) -> Filing:
        """A pending filing of this case by id, or a plain error."""
        filing = self.session.get(Filing, filing_id)
        if filing is None or filing.case_id != self.case.id:
            raise InvalidInputError(f"case {self.case.external_id} has no filing {filing_id}")
        if filing.decision is not None:
            raise InvalidInputError(
                f"the {filing.form.value} was already decided ({filing.decision.value})"
            )
        return filing

    def newest_pending(self, form: Form) -> Filing:
        """The case's newest pending filing of `form`, or a plain error."""
        pending = [
            f
            for f in self.session.exec(
                select(Filing).where(Filing.case_id == self.case.id, Filing.form == form)
            ).all()
            if f.decision is None
        ]
        if not pending:
            raise InvalidInputError(
                f"case {self.case.external_id} has no pending {form.value} (--form)"
            )
        return max(pending, key=lambda f: (f.filed_date, f.id or 0))

    # -- appointments -------------------------------------------------------------------

    def appointment(self, request: AppointmentRequest, *, reason: str = "recorded") -> Appointment:
        """A new scheduled appointment, with the first step of its history."""
        appointment = Appointment(
            case_id=must_id(self.case.id),
            kind=request.kind,
            local_start=request.local_start,
            zone=request.zone,
            starts_at=request.starts_at,
            duration_minutes=request.duration_minutes,
            place=request.place,
            source_notice=request.source_notice,
            source_date=request.source_date,
            status=AppointmentStatus.SCHEDULED,
            created_at=self.now,
            created_by=self.by,
            updated_at=self.now,
        )
        self.touch(appointment)
        self._flush()
        self._appointment_step(appointment, None, reason)
        self._audited("case.appointment_added", appointment=appointment.id, kind=request.kind.value)
        return appointment

    def reschedule(
        self, old: Appointment, request: AppointmentRequest, *, reason: str
    ) -> Appointment:
        """A new time (and perhaps place) for `old`, kept as `rescheduled` and linked to
        the new one; the person gets one message with the new time, and the old one's
        reminders are cancelled when the case is re-planned."""
        self._owned(old)
        check_move(old.status, AppointmentStatus.RESCHEDULED)
        new = self.appointment(request, reason=f"rescheduled from appointment {old.id}")
        old.replaced_by_id = new.id
        self._move(old, AppointmentStatus.RESCHEDULED, reason)
        self._tell_moved(new)
        self._audited("case.appointment_rescheduled", appointment=old.id, to=new.id)
        return new

    def appointment_status(
        self, appointment: Appointment, to: AppointmentStatus, reason: str
    ) -> None:
        """Mark an appointment attended, missed or cancelled (a reschedule has its own
        method: it needs the new time)."""
        self._owned(appointment)
        if to == AppointmentStatus.RESCHEDULED:
            raise InvalidInputError("a reschedule needs the new time: use reschedule")
        check_move(appointment.status, to)
        self._move(appointment, to, reason)
        self._audited("case.appointment_status", appointment=appointment.id, status=to.value)

    # -- facts, people ------------------------------------------------------------------

    def set_facts(self, wanted: CaseFactsUpdate) -> list[str]:
        """Set the birth date, work permit and fee due date; return what changed."""
        unknown = wanted.clear - set(FACT_FIELDS)
        if unknown:
            raise InvalidInputError(f"cannot clear {sorted(unknown)[0]!r}; facts: {FACT_FIELDS}")
        birth, today = wanted.birth_date, self.now.date()
        if birth is not None and birth > today:
            raise InvalidInputError(f"the date of birth {birth} is after today ({today})")
        arrival = self.parolee.arrival_date
        if birth is not None and birth > arrival:
            raise InvalidInputError(f"birth_date {birth} is after the arrival ({arrival})")
        category = wanted.work_permit_category
        if category is not None:
            try:
                category = normalise_category(category)
            except ValueError as exc:
                raise InvalidInputError(f"the work permit category {category!r}: {exc}") from None
        values: dict[str, date | str | None] = {
            "birth_date": birth,
            "work_permit_category": category,
            "work_permit_expiry": wanted.work_permit_expiry,
            "parole_fee_due": wanted.parole_fee_due,
        }
        given = {k: v for k, v in values.items() if v is not None or k in wanted.clear}
        changed = []
        for name, value in given.items():
            target: Case | Parolee = self.parolee if name == "birth_date" else self.case
            if getattr(target, name) != value:
                setattr(target, name, value)
                changed.append(name)
        if changed:
            self.case.updated_at = self.parolee.updated_at = self.now
            self.touch(self.case, self.parolee)
            self._audited("case.facts_changed", fields=",".join(changed))
        return changed

    def representative(self, representative_id: int | None) -> bool:
        """Give the case to a representative (or to none), keeping the assignment history
        that calendar feeds follow; False if it already was. Reminders name the
        representative as the person to contact, so they are re-planned."""
        if representative_id is not None and (
            self.session.get(Representative, representative_id) is None
        ):
            raise InvalidInputError("that representative does not exist")
        held = self._assignments()
        wanted = [representative_id] if representative_id else []
        if [a.representative_id for a in held] == wanted:
            return False
        for assignment in held:
            assignment.unassigned_at = self.now
            self.session.add(assignment)
        if representative_id is not None:
            self.session.add(
                CaseAssignment(
                    case_id=must_id(self.case.id),
                    representative_id=representative_id,
                    assigned_at=self.now,
                )
            )
        self.case.representative_id = representative_id
        self.case.updated_at = self.now
        self.touch(self.case)
        self.renamed()
        self._audited("case.representative_assigned", representative=representative_id)
        return True

    def renamed(self) -> None:
        """Mark every deadline and appointment of the case changed (new owner, new name):
        calendars replace events only on a higher SEQUENCE, and revalidate by
        LAST-MODIFIED."""
        self.session.execute(
            update(DeadlineRow)
            .where(col(DeadlineRow.case_id) == must_id(self.case.id))
            .values(sequence=col(DeadlineRow.sequence) + 1, changed_at=self.now)
        )
        self.session.execute(
            update(Appointment)
            .where(col(Appointment.case_id) == must_id(self.case.id))
            .values(sequence=col(Appointment.sequence) + 1, updated_at=self.now)
        )

    # -- the rest -----------------------------------------------------------------------

    def touch(self, *rows: SQLModel) -> None:
        """Rows the caller changed that the rules read (a termination's link to the case,
        the person's zone): store them, and recompute the case on leaving."""
        self.session.add_all(rows)
        self._refresh = True

    def audit_as(self, action: str | None, **values: Detail) -> None:
        """One audit row for the whole edit instead of one per change (the import's
        "case.updated" with the fields it changed); None: the caller audits it."""
        self._audit = [(action, values)] if action else []

    def finish(self) -> list[DeadlineChange]:
        """Recompute the case and write the audit rows; `case_edit` calls it on leaving."""
        if self._refresh:
            self._flush()
            self.changes = refresh_case(
                self.session, self.case, self.parolee, self.policies, self.now
            )
        for action, values in self._audit:
            audit.record(
                self.session,
                at=self.now,
                actor=self.by,
                action=action,
                entity="case",
                entity_id=self.case.id,
                **values,
            )
        return self.changes

    # -- private steps ------------------------------------------------------------------

    def _flush(self) -> None:
        try:
            self.session.flush()
        except IntegrityError as exc:
            raise InvalidInputError(f"the change conflicts with stored data: {exc.orig}") from None

    def _audited(self, action: str, **values: Detail) -> None:
        self._audit.append((action, values))

    def _status_step(
        self, target: Status, reason: str, effective: date | None = None, *, initial: bool = False
    ) -> None:
        self.session.add(
            StatusChange(
                case_id=must_id(self.case.id),
                from_status=None if initial else self.case.status,
                to_status=target,
                changed_at=self.now,
                actor=self.by,
                reason=reason,
                effective_date=effective,
            )
        )
        self.case.status = target
        self.case.updated_at = self.now
        self.touch(self.case)

    def _grant(
        self,
        start: date,
        expiry: date,
        source: GrantSource,
        *,
        note: str | None = None,
        decided: date | None = None,
    ) -> Grant:
        if expiry < start:
            raise InvalidInputError(f"the expiry {expiry} is before the start {start}")
        today = self.now.date()
        if decided is not None and decided > today:
            raise InvalidInputError(f"the decision date {decided} is after today ({today})")
        grant = Grant(
            case_id=must_id(self.case.id),
            start_date=start,
            expiry_date=expiry,
            source=source,
            decided_on=decided,
            recorded_at=self.now,
            recorded_by=self.by,
            note=note,
        )
        self.touch(grant)
        return grant

    def _filing(self, form: Form | None, receipt: str | None, filed: date) -> Filing:
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
            with self.session.no_autoflush:
                other = self.session.exec(
                    select(Filing.id).where(Filing.receipt_number == number)
                ).first()
            if other is not None:
                raise InvalidInputError(f"receipt {number} is already recorded on another filing")
        filing = Filing(
            case_id=must_id(self.case.id),
            form=form,
            receipt_number=number,
            filed_date=filed,
            created_at=self.now,
            updated_at=self.now,
        )
        self.touch(filing)
        return filing

    def _owned(self, appointment: Appointment) -> None:
        if appointment.case_id != self.case.id:
            raise InvalidInputError(f"that appointment is not on case {self.case.external_id}")

    def _move(self, appointment: Appointment, to: AppointmentStatus, reason: str) -> None:
        before = appointment.status
        appointment.status, appointment.updated_at = to, self.now
        appointment.sequence += 1
        self.touch(appointment)
        self._appointment_step(appointment, before, reason)

    def _appointment_step(
        self, appointment: Appointment, before: AppointmentStatus | None, reason: str
    ) -> None:
        self.session.add(
            AppointmentChange(
                appointment_id=must_id(appointment.id),
                from_status=before,
                to_status=appointment.status,
                changed_at=self.now,
                actor=self.by,
                reason=reason.strip()[:500],
            )
        )

    def _tell_moved(self, new: Appointment) -> None:
        """One "appointment moved" text, at the next civil hour, if the person takes texts
        and it can arrive in time."""
        composer = self.policies.reminders
        if composer is None or not can_text(self.parolee):
            return
        policy, zone = composer.policy, self.parolee.timezone
        due = next_allowed(self.now, zone, policy)
        if too_late(due, new.starts_at, policy) or local_date(due, zone) > new.local_start.date():
            return
        slot = appointment_slot(new.kind, must_id(new.id))
        wanted = Wanted(
            APPOINTMENT_MOVED, new.local_start.date(), 0, due, self.parolee.phone or "", slot
        )
        enqueue(self.session, self.case, self.parolee, wanted, self.now)

    def _approve_pending_reparole(self, on: date) -> None:
        """A new grant answers the pending re-parole request (I-131): it is approved."""
        pending = self.session.exec(
            select(Filing).where(
                Filing.case_id == self.case.id,
                Filing.form == Form.I131,
                col(Filing.decision).is_(None),
            )
        ).all()
        for filing in pending:
            filing.decision, filing.decided_on, filing.updated_at = Decision.APPROVED, on, self.now
            self.touch(filing)

    def _assignments(self) -> list[CaseAssignment]:
        return list(
            self.session.exec(
                select(CaseAssignment).where(
                    CaseAssignment.case_id == must_id(self.case.id),
                    col(CaseAssignment.unassigned_at).is_(None),
                )
            ).all()
        )


@contextmanager
def case_edit(
    session: Session,
    case: Case,
    *,
    by: str,
    policies: Policies,
    now: datetime,
    parolee: Parolee | None = None,
) -> Iterator[CaseEdit]:
    """Change `case` (whose person is read unless given) in the block; on leaving,
    recompute and audit it once (see above). `by` is who acts, as the audit names them.

    An error in the block leaves without recomputing: the caller's transaction is rolled
    back, and with it everything the edit wrote.
    """
    person = parolee or session.get(Parolee, case.parolee_id)
    assert person is not None, "a case always has its person"
    edit = CaseEdit(session, case, person, by, policies, now)
    yield edit
    edit.finish()


def end_moved(before: date, case: Case) -> str:
    """The words that tell how a change moved the end of parole (empty if it did not)."""
    return f" Parole now ends {case.end_date} (was {before})." if case.end_date != before else ""
