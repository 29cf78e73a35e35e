"""The admin's list of cases as queries: filters, search, sort and keyset pages.

Every page is an index range scan that starts where the previous page ended (keyset
pagination), so page 2,000 of a million cases costs what page 1 does; OFFSET would read
and throw away every row before the page.
"""

from collections.abc import Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Engine, UnaryExpression, union
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from tracker.accounts.users import Caller
from tracker.cases.access import readable
from tracker.cases.cursors import decode_cursor, encode_cursor
from tracker.cases.repository import next_deadlines, status_among
from tracker.domain.identifiers import normalise_receipt
from tracker.domain.model import Program, Status
from tracker.domain.status import OPEN_STATUSES
from tracker.kit.crypto import Keyring
from tracker.store.blind import name_has_words
from tracker.store.db import session_scope
from tracker.store.encrypted import session_keyring
from tracker.store.models import Case, DeadlineRow, Filing, Parolee, Representative, must_id

PAGE_SIZE = 50
# Pages of an export: bigger than a screen's, small enough to hold in memory.
EXPORT_PAGE_SIZE = 500
DEFAULT_WITHIN = 90


class Sort(StrEnum):
    """The orders the list offers; each is a keyset of (sort key, case id)."""

    END = "end"
    END_DESC = "end_desc"
    EXTERNAL_ID = "external_id"


@dataclass(frozen=True)
class CaseFilters:
    """What the list shows. Every field given must hold for a case to be listed."""

    # Parole ends between today and today + `within` days, unless `ended` is set.
    within: int = DEFAULT_WITHIN
    # Parole has already ended (before today).
    ended: bool = False
    program: Program | None = None
    # None: every open status (OPEN_STATUSES).
    status: Status | None = None
    representative_id: int | None = None
    # Only cases without a representative.
    unassigned: bool = False
    nothing_filed: bool = False
    unreachable: bool = False
    # Whole words of the name, an external id or a receipt number.
    search: str = ""
    sort: Sort = Sort.END


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: the sort key and id of the last case shown."""

    key: date | str
    case_id: int

    def encode(self, sort: Sort) -> str:
        """The cursor as it travels in a link (see `tracker.cases.cursors`)."""
        key = self.key.isoformat() if isinstance(self.key, date) else self.key
        return encode_cursor(sort.value, [key, self.case_id])

    @classmethod
    def decode(cls, text: str, sort: Sort) -> "Cursor":
        """The cursor in a link; an InvalidInputError when it is not one for `sort`."""
        parse_key = _text if sort == Sort.EXTERNAL_ID else date.fromisoformat
        key, case_id = decode_cursor(text, sort.value, [parse_key, int])
        return cls(key, case_id)


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value


@dataclass(frozen=True)
class ListedCase:
    """One line of the list."""

    case: Case
    parolee: Parolee
    representative: Representative | None
    next_deadline: DeadlineRow | None
    nothing_filed: bool

    @property
    def unreachable(self) -> bool:
        """The provider said the person's number cannot receive SMS."""
        return self.parolee.unreachable_at is not None

    @property
    def opted_out(self) -> bool:
        """The person withdrew their consent to SMS."""
        return self.parolee.sms_consent_withdrawn_at is not None


@dataclass(frozen=True)
class CasePage:
    """One page of the list, and where the next one starts (None on the last page)."""

    rows: list[ListedCase]
    next_cursor: Cursor | None


def listing_query(
    filters: CaseFilters, *, today: date, caller: Caller, keyring: Keyring
) -> Select[Case, Parolee]:
    """Every case matching `filters` that `caller` may see, in the order of `filters.sort`."""
    statuses = (filters.status,) if filters.status else OPEN_STATUSES
    query = select(Case, Parolee).join(Parolee).where(readable(caller), status_among(statuses))
    if filters.ended:
        query = query.where(col(Case.end_date) < today)
    else:
        until = today + timedelta(days=filters.within)
        query = query.where(col(Case.end_date) >= today, col(Case.end_date) <= until)
    if filters.program:
        query = query.where(Case.program == filters.program)
    if filters.unassigned:
        query = query.where(col(Case.representative_id).is_(None))
    elif filters.representative_id is not None:
        query = query.where(Case.representative_id == filters.representative_id)
    if filters.nothing_filed:
        query = query.where(~select(Filing.id).where(Filing.case_id == Case.id).exists())
    if filters.unreachable:
        query = query.where(col(Parolee.unreachable_at).is_not(None))
    if filters.search:
        query = query.where(_matching(keyring, filters.search))
    return query.order_by(*_order(filters.sort))


def _matching(keyring: Keyring, text: str) -> ColumnElement[bool]:
    # One union of small index lookups, then the cases by primary key: an OR across
    # tables would make the database test every case in the date range instead.
    # `correlate(None)`: each lookup stands alone, not tied to the outer query's rows.
    lookups = [select(Case.id).where(Case.external_id == text).correlate(None)]
    with suppress(ValueError):  # not shaped like a receipt number: no receipt lookup
        receipt = normalise_receipt(text)
        by_receipt = select(Filing.case_id).where(Filing.receipt_number == receipt)
        lookups.append(by_receipt.correlate(None))
    with suppress(ValueError):  # no word of letters (e.g. "12345"): no name lookup
        words = name_has_words(keyring, text)
        lookups.append(select(Case.id).join(Parolee).where(words).correlate(None))
    return col(Case.id).in_(union(*lookups))


def _order(sort: Sort) -> tuple[UnaryExpression[Any], ...]:
    if sort == Sort.END_DESC:
        return col(Case.end_date).desc(), col(Case.id).desc()
    if sort == Sort.EXTERNAL_ID:
        return col(Case.external_id).asc(), col(Case.id).asc()
    return col(Case.end_date).asc(), col(Case.id).asc()


def _after(sort: Sort, cursor: Cursor) -> ColumnElement[bool]:
    key = col(Case.external_id) if sort == Sort.EXTERNAL_ID else col(Case.end_date)
    return after_key(key, cursor, descending=sort == Sort.END_DESC)


def after_key(
    key: Mapped[str] | Mapped[date], cursor: Cursor, *, descending: bool = False
) -> ColumnElement[bool]:
    """Cases past `cursor` in the order (`key`, case id), for the next keyset page.

    Written as `key >= k AND (key > k OR id > i)`: the first half bounds the index range,
    on SQLite and PostgreSQL alike; the second skips the rows already shown.
    """
    if descending:
        return (key <= cursor.key) & ((key < cursor.key) | (col(Case.id) < cursor.case_id))
    return (key >= cursor.key) & ((key > cursor.key) | (col(Case.id) > cursor.case_id))


def _cursor_of(sort: Sort, case: Case) -> Cursor:
    key = case.external_id if sort == Sort.EXTERNAL_ID else case.end_date
    return Cursor(key, must_id(case.id))


def fetch_page(
    session: Session,
    filters: CaseFilters,
    *,
    today: date,
    caller: Caller,
    after: Cursor | None = None,
    size: int = PAGE_SIZE,
) -> CasePage:
    """The page of `size` cases that follows `after` (the first page without it)."""
    query = listing_query(filters, today=today, caller=caller, keyring=session_keyring(session))
    if after is not None:
        query = query.where(_after(filters.sort, after))
    # One row more than the page tells whether a next page exists, without a COUNT.
    found = session.exec(query.limit(size + 1)).all()
    shown = found[:size]
    rows = _describe(session, shown, today)
    more = len(found) > size
    return CasePage(rows, _cursor_of(filters.sort, shown[-1][0]) if more else None)


def _describe(
    session: Session, found: Sequence[tuple[Case, Parolee]], today: date
) -> list[ListedCase]:
    ids = [must_id(case.id) for case, _ in found]
    if not ids:
        return []
    upcoming = next_deadlines(session, ids, today)
    filed = set(
        session.exec(select(Filing.case_id).where(col(Filing.case_id).in_(ids)).distinct()).all()
    )
    rep_ids = {case.representative_id for case, _ in found if case.representative_id}
    reps = {
        must_id(rep.id): rep
        for rep in session.exec(
            select(Representative).where(col(Representative.id).in_(rep_ids))
        ).all()
    }
    return [
        ListedCase(
            case=case,
            parolee=parolee,
            representative=reps.get(case.representative_id or 0),
            next_deadline=upcoming.get(must_id(case.id)),
            nothing_filed=must_id(case.id) not in filed,
        )
        for case, parolee in found
    ]


def every_page(
    engine: Engine,
    filters: CaseFilters,
    *,
    today: date,
    caller: Caller,
    size: int = EXPORT_PAGE_SIZE,
) -> Iterator[list[ListedCase]]:
    """Every matching case, a page at a time, each page read in its own short session.

    No session stays open between pages: a slow reader of an export holds no
    transaction (nor, on SQLite, the write lock that every transaction there takes).
    """
    after: Cursor | None = None
    while True:
        with session_scope(engine) as session:
            page = fetch_page(session, filters, today=today, caller=caller, after=after, size=size)
        if page.rows:
            yield page.rows
        if page.next_cursor is None:
            return
        after = page.next_cursor


def representative_choices(session: Session) -> list[Representative]:
    """The representatives a filter can pick from, by name."""
    return list(
        session.exec(
            select(Representative).order_by(col(Representative.name), col(Representative.id))
        ).all()
    )
