"""New cases, many at once (an import's): every row a new case stores, inserted a table at
a time in the caller's transaction.

Nothing is decided here: the end of parole, the deadlines and the messages come from the
same rules (`compute_deadlines`), the same planner core (`schedule.plan`) and the same
row shapes (`deadline_values`, `alert_values`) as every change to a case; this module
only writes them without building an ORM object per row, which a large import cannot
afford. A change to a case once it exists goes through `tracker.cases.edit`.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, SQLModel

from tracker.alerts import schedule
from tracker.alerts.outbox import add_alerts, alert_values
from tracker.alerts.schedule import CaseNow, DeadlineView
from tracker.cases.deadlines import deadline_values
from tracker.domain.model import CaseFacts, Form, GrantSource, Program, Status
from tracker.domain.parole import case_end
from tracker.domain.rules import compute_deadlines
from tracker.policies import Policies
from tracker.store.blind import index_values, name_word_rows
from tracker.store.encrypted import session_keyring
from tracker.store.models import (
    Case,
    CaseAssignment,
    ConsentEvent,
    DeadlineRow,
    Filing,
    Grant,
    Parolee,
    ParoleeNameWord,
    StatusChange,
)


@dataclass(frozen=True)
class NewFiling:
    """The application a new case arrives with."""

    form: Form
    receipt: str | None
    filed: date


@dataclass(frozen=True)
class NewCase:
    """Everything a new case is created with, checked already."""

    external_id: str
    # The person's columns, as `Parolee` names them (plaintext: the store encrypts).
    person: Mapping[str, Any]
    program: Program
    status: Status
    representative_id: int | None
    grant_start: date
    grant_expiry: date
    facts: CaseFacts
    work_permit_expiry: date | None = None
    work_permit_category: str | None = None
    parole_fee_due: date | None = None
    filing: NewFiling | None = None


def create_cases(
    session: Session, cases: Sequence[NewCase], policies: Policies, now: datetime, *, by: str
) -> list[int]:
    """Store `cases`, with their deadlines and first messages; their ids, in order."""
    if not cases:
        return []
    keyring = session_keyring(session)
    people = [
        {**c.person, **index_values(keyring, Parolee, c.person), "created_at": now,
         "updated_at": now}
        for c in cases
    ]  # fmt: skip
    parolee_ids = _inserted(session, Parolee, people)
    _insert(session, ParoleeNameWord, [
        word for pid, c in zip(parolee_ids, cases, strict=True)
        for word in name_word_rows(keyring, pid, c.person["full_name"])
    ])  # fmt: skip
    _insert(session, ConsentEvent, [
        {"parolee_id": pid, "given": True, "at": now, "how": "import", "actor": by}
        for pid, c in zip(parolee_ids, cases, strict=True) if c.person["sms_consent_at"]
    ])  # fmt: skip
    case_ids = _inserted(session, Case, [
        {"external_id": c.external_id, "parolee_id": pid, "representative_id":
         c.representative_id, "program": c.program, "status": c.status,
         "end_date": case_end(c.facts), "work_permit_expiry": c.work_permit_expiry,
         "work_permit_category": c.work_permit_category, "parole_fee_due": c.parole_fee_due,
         "created_at": now, "updated_at": now}
        for c, pid in zip(cases, parolee_ids, strict=True)
    ])  # fmt: skip
    pairs = list(zip(case_ids, cases, strict=True))
    _insert(session, CaseAssignment, [
        {"case_id": cid, "representative_id": c.representative_id, "assigned_at": now}
        for cid, c in pairs if c.representative_id is not None
    ])  # fmt: skip
    _insert(session, Grant, [
        {"case_id": cid, "start_date": c.grant_start, "expiry_date": c.grant_expiry,
         "source": GrantSource.INITIAL, "recorded_at": now, "recorded_by": by}
        for cid, c in pairs
    ])  # fmt: skip
    _insert(session, Filing, [
        {"case_id": cid, "form": c.filing.form, "receipt_number": c.filing.receipt,
         "filed_date": c.filing.filed, "created_at": now, "updated_at": now}
        for cid, c in pairs if c.filing is not None
    ])  # fmt: skip
    _insert(session, StatusChange, [
        {"case_id": cid, "from_status": None, "to_status": c.status, "changed_at": now,
         "actor": by, "reason": "imported", "effective_date": None}
        for cid, c in pairs
    ])  # fmt: skip
    alerts = []
    deadline_rows = []
    for (cid, case), pid, person in zip(pairs, parolee_ids, people, strict=True):
        computed = compute_deadlines(case.facts, policies.deadlines)
        deadline_rows += [deadline_values(cid, d, now) for d in computed]
        composer = policies.reminders
        if composer is None or not _may_text(person):
            continue
        views = [DeadlineView.of(d) for d in sorted(computed, key=lambda d: d.act_by)]
        facts = CaseNow(case.status, person["timezone"], case_end(case.facts), person["phone"],
                        views)  # fmt: skip
        for wanted in schedule.plan(facts, [], composer.policy, now).add:
            alerts.append(alert_values(cid, pid, person["language"], wanted, now))
    _insert(session, DeadlineRow, deadline_rows)
    add_alerts(session, alerts)
    return case_ids


def _may_text(person: Mapping[str, Any]) -> bool:
    # As `can_text` asks of a stored person; a new one is neither unreachable nor paused.
    return bool(person["sms_consent_at"] and not person["sms_consent_withdrawn_at"]
                and person["phone"])  # fmt: skip


def _inserted(session: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> list[int]:
    """Insert `rows` and return their new ids, in the rows' order."""
    table = model.__table__  # type: ignore[attr-defined]
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return [int(row[0]) for row in session.execute(statement, rows)]


def _insert(session: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(model.__table__), rows)  # type: ignore[attr-defined]
