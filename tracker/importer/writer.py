"""Writes checked import rows into the store, a batch at a time, in one transaction.

A new case gets its parolee, grant, filing, first status and deadlines; a known case is
updated field by field, and a changed expiry adds a grant rather than overwriting one.
"""

from collections import defaultdict
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from tracker.alerts.consent import consenting, record_consent
from tracker.cases.appointments import appointments_of
from tracker.cases.create import NewCase, NewFiling, create_cases
from tracker.cases.edit import CaseEdit, case_edit
from tracker.domain.appointments import AppointmentRequest, AppointmentStatus
from tracker.domain.model import CaseFacts, FilingFacts, GrantFacts, GrantSource, Status
from tracker.domain.parole import current_grant
from tracker.domain.status import PENDING_STATUS
from tracker.importer.report import ImportReport
from tracker.importer.rows import ImportRow, RowError
from tracker.policies import Policies
from tracker.store.models import (
    Appointment,
    Case,
    CaseAssignment,
    Filing,
    Grant,
    Parolee,
    Representative,
    must_id,
)


class CaseWriter:
    """Writes checked rows, a batch at a time, in the caller's transaction."""

    def __init__(
        self, session: Session, policies: Policies, now: datetime, actor: str, report: ImportReport
    ) -> None:
        self.session = session
        self.policies = policies
        self.now = now
        self.actor = actor
        self.report = report
        self.representatives: dict[str, Representative] = {}

    def write(self, rows: list[ImportRow], *, create: bool = True) -> None:
        """Create the batch's new cases and update its known ones; without `create` (a dry
        run) new cases are only counted."""
        ids = [r.external_id for r in rows]
        existing = {
            c.external_id: (c, p)
            for c, p in self.session.exec(
                select(Case, Parolee).join(Parolee).where(col(Case.external_id).in_(ids))
            ).all()
        }
        receipts = [r.receipt_number for r in rows if r.receipt_number]
        owners = {
            f.receipt_number: f.case_id
            for f in self.session.exec(
                select(Filing).where(col(Filing.receipt_number).in_(receipts))
            ).all()
        }
        fresh = []
        known = _Known.of(self.session, rows, [must_id(c.id) for c, _ in existing.values()])
        for row in rows:
            found = existing.get(row.external_id)
            owner = owners.get(row.receipt_number or "")
            if owner is not None and (found is None or owner != found[0].id):
                self._reject(row, "receipt_number", row.receipt_number, "already on another case")
            elif found is None:
                fresh.append(row)
            elif known.unchanged(row, *found, self.now):
                # Most rows of a re-import: compared with what the batch read, not edited.
                self.report.unchanged += 1
            else:
                self._update(row, *found)
        if not create:
            self.report.created += len(fresh)
            return
        self._create(fresh)
        self.session.flush()
        # Keep memory flat on large files: nothing of this batch is needed again.
        self.session.expunge_all()
        self.representatives.clear()

    def _reject(self, row: ImportRow, column: str, value: str | None, reason: str) -> None:
        self.report.errors.append(RowError(row.line, column, value or "", reason))

    def _representative(self, row: ImportRow) -> int | None:
        email = row.representative_email
        if email is None or row.representative_name is None:
            return None
        rep = (
            self.representatives.get(email)
            or self.session.exec(
                select(Representative).where(Representative.email == email)
            ).first()
        )
        if rep is None:
            rep = Representative(name=row.representative_name, email=email, created_at=self.now)
            self.session.add(rep)
            self.session.flush()
        elif rep.name != row.representative_name:
            rep.name = row.representative_name
            self.session.add(rep)
        self.representatives[email] = rep
        return rep.id

    def _consent(self, parolee: Parolee, *, given: bool) -> None:
        record_consent(
            self.session,
            must_id(parolee.id),
            given=given,
            how="import",
            actor=self.actor,
            now=self.now,
        )

    def _create(self, rows: list[ImportRow]) -> None:
        if not rows:
            return
        new = [self._new_case(r) for r in rows]
        ids = create_cases(self.session, new, self.policies, self.now, by=self.actor)
        for row, case_id in zip(rows, ids, strict=True):
            if row.appointment is not None and row.appointment.starts_at >= self.now:
                # Adding to a case that exists is a change: through the one edit path.
                case = self.session.get(Case, case_id)
                assert case is not None
                with self._edit(case) as edit:
                    edit.appointment(row.appointment, reason="imported")
        self.report.created += len(rows)

    def _new_case(self, row: ImportRow) -> NewCase:
        filing = None
        if row.form_type and row.filed_date:
            filing = NewFiling(row.form_type, row.receipt_number, row.filed_date)
        return NewCase(
            external_id=row.external_id,
            # A new case has nothing staff entered to keep: every column, given or not.
            person={**_person(row, self.now), "birth_date": row.birth_date},
            program=row.program,
            status=_initial_status(row),
            representative_id=self._representative(row),
            grant_start=row.parole_start,
            grant_expiry=row.parole_expiry,
            facts=_facts(row),
            work_permit_expiry=row.work_permit_expiry,
            work_permit_category=row.work_permit_category,
            parole_fee_due=row.parole_fee_due,
            filing=filing,
        )

    def _edit(self, case: Case, parolee: Parolee | None = None) -> AbstractContextManager[CaseEdit]:
        return case_edit(
            self.session,
            case,
            parolee=parolee,
            by=self.actor,
            policies=self.policies,
            now=self.now,
        )

    def _update(self, row: ImportRow, case: Case, parolee: Parolee) -> None:
        with self._edit(case, parolee) as edit:
            self._update_in(edit, row)

    def _update_in(self, edit: CaseEdit, row: ImportRow) -> None:
        case, parolee = edit.case, edit.parolee
        newest = edit.newest_grant()
        if row.parole_start < newest.start:
            reason = (
                f"older than the newest grant on record (starting {newest.start}); not imported"
            )
            self._reject(row, "parole_start", row.parole_start.isoformat(), reason)
            return
        was_consenting = consenting(parolee)
        changed = _assign(parolee, **_person(row, self.now, parolee))
        if consenting(parolee) != was_consenting:
            self._consent(parolee, given=not was_consenting)
        if "full_name" in changed:
            # Calendar events name the person: they must be replaced, not kept.
            edit.renamed()
        changed += _assign(
            case,
            program=row.program,
            work_permit_expiry=row.work_permit_expiry,
            **_present(row, "work_permit_category", "parole_fee_due"),
        )
        if edit.representative(self._representative(row)):
            changed.append("representative")
        if (row.parole_start, row.parole_expiry) != (newest.start, newest.expiry):
            changed.append("grant")
            self._add_grant(edit, row, newest.start)
        if row.form_type and row.filed_date:
            changed += self._upsert_filing(edit, row)
        if row.appointment is not None:
            changed += self._upsert_appointment(edit, row.appointment)
        if not changed:
            self.report.unchanged += 1
            return
        parolee.updated_at = case.updated_at = self.now
        edit.touch(parolee, case)
        edit.audit_as("case.updated", fields=",".join(sorted(set(changed))))
        self.report.updated += 1

    def _add_grant(self, edit: CaseEdit, row: ImportRow, newest_start: date) -> None:
        if row.parole_start != newest_start:
            edit.reparole(
                start=row.parole_start, expiry=row.parole_expiry, reason="re-parole grant imported"
            )
        else:
            edit.correct_expiry(expiry=row.parole_expiry, note="expiry corrected by import")
        self.report.grants_added += 1

    def _upsert_appointment(self, edit: CaseEdit, wanted: AppointmentRequest) -> list[str]:
        """The file's appointment: the case's scheduled one of that kind when it says the
        same, a reschedule of it when the time or place differs, else a new one."""
        current = next(
            (
                a
                for a in appointments_of(self.session, must_id(edit.case.id))
                if a.kind == wanted.kind and a.status == AppointmentStatus.SCHEDULED
            ),
            None,
        )
        same = current is not None and (current.local_start, current.zone, current.place) == (
            wanted.local_start,
            wanted.zone,
            wanted.place,
        )
        if same or wanted.starts_at < self.now:
            return []  # known already, or passed (the validation warned)
        if current is None:
            edit.appointment(wanted, reason="imported")
            return ["appointment"]
        edit.reschedule(current, wanted, reason="rescheduled by import")
        return ["appointment"]

    def _upsert_filing(self, edit: CaseEdit, row: ImportRow) -> list[str]:
        case = edit.case
        query = select(Filing).where(Filing.case_id == case.id)
        if row.receipt_number:
            query = query.where(Filing.receipt_number == row.receipt_number)
        else:
            query = query.where(Filing.form == row.form_type, Filing.filed_date == row.filed_date)
        filing = self.session.exec(query).first()
        if filing is None:
            assert row.form_type is not None and row.filed_date is not None
            edit.filing(
                form=row.form_type,
                receipt=row.receipt_number,
                filed=row.filed_date,
                reason=f"{row.form_type} filing imported",
            )
            return ["filing"]
        changed = _assign(filing, form=row.form_type, filed_date=row.filed_date)
        if changed:
            filing.updated_at = self.now
            self.session.add(filing)
        return changed


@dataclass
class _Known:
    """What a batch's known cases hold beyond their rows, read a table at a time, to tell
    the rows that change nothing from those that go through an edit."""

    grants: dict[int, GrantFacts]
    assigned: dict[int, list[int]]
    filings: dict[int, list[Filing]]
    appointments: dict[int, list[Appointment]]
    representatives: dict[str, Representative]

    @classmethod
    def of(cls, session: Session, rows: list[ImportRow], case_ids: list[int]) -> "_Known":
        """Read it for the known cases `case_ids` of `rows`."""
        found: dict[int, list[GrantFacts]] = defaultdict(list)
        for g in session.exec(select(Grant).where(col(Grant.case_id).in_(case_ids))).all():
            found[g.case_id].append(GrantFacts(g.start_date, g.expiry_date, g.source, g.id or 0))
        assigned: dict[int, list[int]] = defaultdict(list)
        for held in session.exec(
            select(CaseAssignment).where(
                col(CaseAssignment.case_id).in_(case_ids),
                col(CaseAssignment.unassigned_at).is_(None),
            )
        ).all():
            assigned[held.case_id].append(held.representative_id)
        filings: dict[int, list[Filing]] = defaultdict(list)
        for f in session.exec(select(Filing).where(col(Filing.case_id).in_(case_ids))).all():
            filings[f.case_id].append(f)
        appointments: dict[int, list[Appointment]] = defaultdict(list)
        if any(r.appointment for r in rows):
            for a in session.exec(
                select(Appointment)
                .where(
                    col(Appointment.case_id).in_(case_ids),
                    Appointment.status == AppointmentStatus.SCHEDULED,
                )
                # As `appointments_of` orders them: the import compares with the first.
                .order_by(col(Appointment.starts_at), col(Appointment.id))
            ).all():
                appointments[a.case_id].append(a)
        emails = {r.representative_email for r in rows if r.representative_email}
        representatives = {
            r.email: r
            for r in session.exec(
                select(Representative).where(col(Representative.email).in_(emails))
            ).all()
        }
        grants = {case_id: current_grant(g) for case_id, g in found.items()}
        return cls(grants, assigned, filings, appointments, representatives)

    def unchanged(self, row: ImportRow, case: Case, parolee: Parolee, now: datetime) -> bool:
        """True if importing `row` would change nothing (an edit decides the rest)."""
        case_id = must_id(case.id)
        newest = self.grants[case_id]
        person = _person(row, now, parolee)
        wanted_case = {"program": row.program, "work_permit_expiry": row.work_permit_expiry,
                       **_present(row, "work_permit_category", "parole_fee_due")}  # fmt: skip
        return (
            (row.parole_start, row.parole_expiry) == (newest.start, newest.expiry)
            and all(getattr(parolee, k) == v for k, v in person.items())
            and all(getattr(case, k) == v for k, v in wanted_case.items())
            and self.assigned.get(case_id, []) == self._representative_ids(row)
            and self._same_filing(row, case_id)
            and self._same_appointment(row, case_id, now)
        )

    def _representative_ids(self, row: ImportRow) -> list[int] | None:
        if row.representative_email is None or row.representative_name is None:
            return []
        rep = self.representatives.get(row.representative_email)
        # None never equals a list: a new or renamed representative is a change.
        return [must_id(rep.id)] if rep and rep.name == row.representative_name else None

    def _same_filing(self, row: ImportRow, case_id: int) -> bool:
        if not (row.form_type and row.filed_date):
            return True
        return any(
            f.form == row.form_type
            and f.filed_date == row.filed_date
            and (f.receipt_number == row.receipt_number if row.receipt_number else True)
            for f in self.filings.get(case_id, [])
        )

    def _same_appointment(self, row: ImportRow, case_id: int, now: datetime) -> bool:
        wanted = row.appointment
        if wanted is None or wanted.starts_at < now:
            return True
        held = self.appointments.get(case_id, [])
        current = next((a for a in held if a.kind == wanted.kind), None)
        return current is not None and (current.local_start, current.zone, current.place) == (
            wanted.local_start,
            wanted.zone,
            wanted.place,
        )


def _person(row: ImportRow, now: datetime, current: Parolee | None = None) -> dict[str, object]:
    consent_at = current.sms_consent_at if current else None
    withdrawn_at = current.sms_consent_withdrawn_at if current else None
    consenting = consent_at is not None and withdrawn_at is None
    if row.sms_consent and not consenting:
        consent_at, withdrawn_at = now, None
    elif not row.sms_consent and consenting:
        withdrawn_at = now
    return {
        "full_name": row.full_name,
        "phone": row.phone,
        "language": row.language,
        "timezone": row.timezone,
        "citizenship": row.citizenship,
        "arrival_date": row.arrival_date,
        **_present(row, "birth_date"),
        "a_number": row.a_number,
        "sms_consent_at": consent_at,
        "sms_consent_withdrawn_at": withdrawn_at,
    }


def _present(row: ImportRow, *columns: str) -> dict[str, object]:
    """The values of optional columns the file has: a file without them keeps what staff
    entered."""
    return {c: getattr(row, c) for c in columns if c in row.columns}


def _assign(target: object, **values: object) -> list[str]:
    """Set attributes that differ; return the names of those that changed."""
    changed = [name for name, value in values.items() if getattr(target, name) != value]
    for name in changed:
        setattr(target, name, values[name])
    return changed


def _initial_status(row: ImportRow) -> Status:
    return PENDING_STATUS.get(row.form_type, Status.PAROLED) if row.form_type else Status.PAROLED


def _facts(row: ImportRow) -> CaseFacts:
    filings: tuple[FilingFacts, ...] = ()
    if row.form_type and row.filed_date:
        filings = (FilingFacts(form=row.form_type, filed=row.filed_date),)
    return CaseFacts(
        program=row.program,
        status=_initial_status(row),
        arrival=row.arrival_date,
        birth_date=row.birth_date,
        citizenship=row.citizenship,
        work_permit_expiry=row.work_permit_expiry,
        work_permit_category=row.work_permit_category,
        parole_fee_due=row.parole_fee_due,
        grants=(GrantFacts(row.parole_start, row.parole_expiry, GrantSource.INITIAL),),
        filings=filings,
    )
