"""Queries about cases. Routes and CLI commands call these; they never build queries."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, true
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from tracker.accounts.users import Caller
from tracker.cases.access import readable
from tracker.domain.holds import Hold, held_by
from tracker.domain.identifiers import normalise_phone
from tracker.domain.model import Form, Program, Status
from tracker.domain.status import OPEN_STATUSES
from tracker.errors import InvalidInputError, NotFoundError
from tracker.store.blind import a_number_is, name_has_words, phone_is
from tracker.store.encrypted import session_keyring
from tracker.store.models import (
    MAX_ID,
    Case,
    DeadlineRow,
    Filing,
    Grant,
    Parolee,
    ProgramTermination,
    Representative,
    StatusChange,
    TerminationCase,
    must_id,
)

PAGE = 500


def has_pending_filing(forms: tuple[Form, ...]) -> ColumnElement[bool]:
    """In a query of cases: the case has an undecided filing of one of `forms`."""
    return (
        select(Filing.id)
        .where(
            Filing.case_id == Case.id, col(Filing.decision).is_(None), col(Filing.form).in_(forms)
        )
        .exists()
    )


def find_case(session: Session, ref: str, caller: Caller | None = None) -> tuple[Case, Parolee]:
    """A case by its external id, or else by its internal id; with `caller`, only one
    they may read (`tracker.cases.access`). A case outside their scope is "not found",
    exactly as one that does not exist."""
    query = select(Case, Parolee).join(Parolee)
    if caller is not None:
        query = query.where(readable(caller))
    row = session.exec(query.where(Case.external_id == ref)).first()
    # ASCII digits within the range of an id column ("²" is a digit to str.isdigit).
    if row is None and ref.isascii() and ref.isdigit() and int(ref) <= MAX_ID:
        row = session.exec(query.where(Case.id == int(ref))).first()
    if row is None:
        raise NotFoundError(f"no case with external id or id {ref!r}")
    return row


def representative_of(session: Session, case: Case) -> Representative | None:
    """The representative a case is assigned to, if any."""
    if case.representative_id is None:
        return None
    return session.get(Representative, case.representative_id)


def current_deadlines(session: Session, case_id: int) -> list[DeadlineRow]:
    """A case's deadlines that are not cancelled, by date."""
    query = (
        select(DeadlineRow)
        .where(DeadlineRow.case_id == case_id, col(DeadlineRow.cancelled_at).is_(None))
        .order_by(col(DeadlineRow.date), col(DeadlineRow.slot))
    )
    return list(session.exec(query).all())


def filings_of(session: Session, case_id: int) -> list[Filing]:
    """A case's filings, in the order they were recorded."""
    query = select(Filing).where(Filing.case_id == case_id).order_by(col(Filing.id))
    return list(session.exec(query).all())


def filing_of(session: Session, case_id: int, filing_id: int) -> Filing:
    """One filing of a case, or "not found" (a filing of another case is not shown)."""
    found = session.get(Filing, filing_id)
    if found is None or found.case_id != case_id:
        raise NotFoundError(f"no filing {filing_id} on this case")
    return found


def status_history(session: Session, case_id: int) -> list[StatusChange]:
    """A case's status changes, oldest first."""
    query = select(StatusChange).where(StatusChange.case_id == case_id)
    return list(session.exec(query.order_by(col(StatusChange.id))).all())


@dataclass(frozen=True)
class ExpiringCase:
    """One line of the expiring-cases review."""

    case: Case
    parolee: Parolee
    next_deadline: DeadlineRow | None


def expiring_query(
    *,
    start: date,
    until: date,
    programs: Sequence[Program] = (),
    statuses: Sequence[Status] = OPEN_STATUSES,
) -> Select[Case, Parolee]:
    """Cases whose end falls in [start, until], soonest first: a range scan of an index."""
    query = (
        select(Case, Parolee)
        .join(Parolee)
        .where(col(Case.end_date) >= start, col(Case.end_date) <= until)
        .where(status_among(statuses))
        .order_by(col(Case.end_date), col(Case.id))
    )
    if programs:
        query = query.where(col(Case.program).in_(programs))
    return query


def expiring(
    session: Session,
    *,
    start: date,
    until: date,
    programs: Sequence[Program] = (),
    statuses: Sequence[Status] = OPEN_STATUSES,
) -> Iterator[ExpiringCase]:
    """Cases whose end falls in [start, until], soonest first, read a page at a time.

    One query, fetched in pages: the database walks the index (or sorts) once, where a
    query per page would walk the whole range again for every page.
    """
    query = expiring_query(start=start, until=until, programs=programs, statuses=statuses)
    for page in session.exec(query.execution_options(yield_per=PAGE)).partitions():
        upcoming = next_deadlines(session, [must_id(c.id) for c, _ in page], start)
        for case, parolee in page:
            yield ExpiringCase(case, parolee, upcoming.get(must_id(case.id)))


def status_among(statuses: Sequence[Status]) -> ColumnElement[bool]:
    """Cases in one of `statuses`, written as the statuses left out when there are several.

    SQLite without statistics answers `status IN (five open statuses) ORDER BY end_date`
    from the (status, end) index, one range per status, and sorts the whole date range for
    every page; `status NOT IN (the others)` leaves it the end-date index, read in order.
    """
    wanted = set(statuses)
    if len(wanted) == 1:
        return col(Case.status) == next(iter(wanted))
    others = [s for s in Status if s not in wanted]
    return col(Case.status).not_in(others) if others else true()


@dataclass(frozen=True)
class CaseSearch:
    """What to look a person up by; every given field must match."""

    name: str | None = None
    a_number: str | None = None
    phone: str | None = None


SEARCH_LIMIT = 200


def search_cases(session: Session, search: CaseSearch, today: date) -> list[ExpiringCase]:
    """Cases of the people matching `search`, by blind index (no plaintext is compared).

    A name matches on whole words, ignoring case and accents: "lopez" finds "José López".
    """
    keyring = session_keyring(session)
    query = select(Case, Parolee).join(Parolee)
    try:
        if search.name is not None:
            query = query.where(name_has_words(keyring, search.name))
        if search.a_number is not None:
            query = query.where(a_number_is(keyring, search.a_number))
        if search.phone is not None:
            query = query.where(phone_is(keyring, normalise_phone(search.phone)))
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None
    page = session.exec(query.order_by(col(Case.end_date), col(Case.id)).limit(SEARCH_LIMIT)).all()
    upcoming = next_deadlines(session, [must_id(c.id) for c, _ in page], today)
    return [ExpiringCase(case, parolee, upcoming.get(must_id(case.id))) for case, parolee in page]


def next_deadlines(session: Session, case_ids: list[int], today: date) -> dict[int, DeadlineRow]:
    """For each case, its earliest deadline whose act-by date is today or later."""
    rows = session.exec(
        select(DeadlineRow)
        .where(col(DeadlineRow.case_id).in_(case_ids), col(DeadlineRow.act_by) >= today)
        .where(col(DeadlineRow.cancelled_at).is_(None))
        .order_by(col(DeadlineRow.case_id), col(DeadlineRow.act_by))
    ).all()
    first: dict[int, DeadlineRow] = {}
    for row in rows:
        first.setdefault(row.case_id, row)
    return first


@dataclass(frozen=True)
class CaseDetail:
    """Everything `case show` prints about one case."""

    case: Case
    parolee: Parolee
    representative: Representative | None
    deadlines: list[DeadlineRow]
    grants: list[Grant]
    filings: list[Filing]
    history: list[StatusChange]
    # The program terminations that reached the case, with its individual notice.
    terminations: list[tuple[ProgramTermination, TerminationCase]]

    def holds(self, known: Sequence[Hold]) -> list[Hold]:
        """The USCIS holds that mark any of the case's deadlines."""
        named = {h for d in self.deadlines for h in held_by(d.flags.split(","))}
        return [h for h in known if h.id in named]


def case_detail(session: Session, ref: str) -> CaseDetail:
    """One case with its deadlines, grants, filings and status history."""
    case, parolee = find_case(session, ref)
    case_id = must_id(case.id)
    return CaseDetail(
        case=case,
        parolee=parolee,
        representative=representative_of(session, case),
        deadlines=current_deadlines(session, case_id),
        grants=list(
            session.exec(select(Grant).where(Grant.case_id == case_id).order_by(col(Grant.id)))
        ),
        filings=filings_of(session, case_id),
        history=status_history(session, case_id),
        terminations=case_terminations(session, case_id),
    )


def case_terminations(
    session: Session, case_id: int
) -> list[tuple[ProgramTermination, TerminationCase]]:
    """The program terminations that reached a case, oldest first, with its notice."""
    return list(
        session.exec(
            select(ProgramTermination, TerminationCase)
            .join(TerminationCase)
            .where(TerminationCase.case_id == case_id)
            .order_by(col(ProgramTermination.id))
        ).all()
    )
