"""The API's reads: only the cases the caller may see, a page at a time.

Pages are keyset pages (the last row's sort key goes into an opaque cursor), so a deep
page stays an index range scan and rows added meanwhile neither repeat nor shift pages.
"""

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import false
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from tracker.accounts.users import Caller
from tracker.cases.listing import Cursor, after_key
from tracker.cases.repository import ExpiringCase, expiring_query, next_deadlines
from tracker.domain.model import Program, Status
from tracker.errors import InvalidInputError, NotFoundError
from tracker.store.models import (
    Case,
    DeadlineRow,
    Filing,
    Parolee,
    Representative,
    StatusChange,
    must_id,
)

# Ids are PostgreSQL `integer`s: a larger number is no id, not a database error.
MAX_ID = 2**31 - 1


def scoped(query: Select[Case, Parolee], caller: Caller) -> Select[Case, Parolee]:
    """`query` limited to the caller's cases (a representative's own; everyone's else)."""
    if caller.sees_all_cases:
        return query
    if caller.representative_id is None:
        return query.where(false())
    return query.where(col(Case.representative_id) == caller.representative_id)


def visible_case(session: Session, ref: str, caller: Caller) -> tuple[Case, Parolee]:
    """A case by external id, or else by id, if the caller may see it.

    A case outside the caller's scope is "not found", exactly as one that does not
    exist: the answer does not tell a representative which other cases there are.
    """
    query = scoped(select(Case, Parolee).join(Parolee), caller)
    row = session.exec(query.where(Case.external_id == ref)).first()
    if row is None and ref.isascii() and ref.isdigit() and int(ref) <= MAX_ID:
        row = session.exec(query.where(Case.id == int(ref))).first()
    if row is None:
        raise NotFoundError(f"no case with external id or id {ref!r}")
    return row


@dataclass(frozen=True)
class Page:
    """Rows of one page, and the cursor of the next (None on the last page)."""

    rows: list[Any]
    next_cursor: str | None


def case_page(
    session: Session,
    caller: Caller,
    *,
    cursor: str | None,
    limit: int,
    programs: Sequence[Program] = (),
    statuses: Sequence[Status] = (),
    representative_id: int | None = None,
) -> Page:
    """Cases in id order, filtered; rows are (Case, Parolee)."""
    query = scoped(select(Case, Parolee).join(Parolee), caller).order_by(col(Case.id))
    if cursor is not None:
        (last_id,) = decode_cursor(cursor, "cases", [int])
        query = query.where(col(Case.id) > last_id)
    if programs:
        query = query.where(col(Case.program).in_(programs))
    if statuses:
        query = query.where(col(Case.status).in_(statuses))
    if representative_id is not None:
        query = query.where(col(Case.representative_id) == representative_id)
    rows = list(session.exec(query.limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1][0] if more else None
    return Page(rows, encode_cursor("cases", [must_id(last.id)]) if last else None)


def expiring_page(
    session: Session,
    caller: Caller,
    *,
    start: date,
    until: date,
    cursor: str | None,
    limit: int,
    programs: Sequence[Program],
    statuses: Sequence[Status],
) -> Page:
    """Cases ending in [start, until], soonest first; rows are `ExpiringCase`s."""
    query = scoped(
        expiring_query(start=start, until=until, programs=programs, statuses=statuses), caller
    )
    if cursor is not None:
        last_end, last_id = decode_cursor(cursor, "expiring", [date.fromisoformat, int])
        query = query.where(after_key(col(Case.end_date), Cursor(last_end, last_id)))
    found = list(session.exec(query.limit(limit + 1)).all())
    more = len(found) > limit
    found = found[:limit]
    upcoming = next_deadlines(session, [must_id(c.id) for c, _ in found], start)
    rows = [ExpiringCase(c, p, upcoming.get(must_id(c.id))) for c, p in found]
    last = found[-1][0] if more else None
    next_cursor = (
        encode_cursor("expiring", [last.end_date.isoformat(), must_id(last.id)]) if last else None
    )
    return Page(rows, next_cursor)


def encode_cursor(kind: str, key: list[Any]) -> str:
    """An opaque cursor holding the sort key of a page's last row."""
    return base64.urlsafe_b64encode(json.dumps([kind, *key]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, parsers: list[Any]) -> list[Any]:
    """The sort key in a cursor of `kind`; a 422-worthy error for anything else."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(parsers) + 1 or raw[0] != kind:
            raise ValueError(cursor)
        key = [parse(value) for parse, value in zip(parsers, raw[1:], strict=True)]
    except (binascii.Error, UnicodeDecodeError, TypeError, ValueError):
        raise InvalidInputError(
            "cursor: not a cursor this list gave out; leave it out to start from the beginning"
        ) from None
    if any(isinstance(value, int) and not 0 <= value <= MAX_ID for value in key):
        raise InvalidInputError("cursor: not a cursor this list gave out")
    return key


def representative(session: Session, case: Case) -> Representative | None:
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


def filings(session: Session, case_id: int) -> list[Filing]:
    """A case's filings, in the order they were recorded."""
    return list(
        session.exec(select(Filing).where(Filing.case_id == case_id).order_by(col(Filing.id)))
    )


def filing(session: Session, case_id: int, filing_id: int) -> Filing:
    """One filing of a case, or "not found" (a filing of another case is not shown)."""
    found = session.get(Filing, filing_id)
    if found is None or found.case_id != case_id:
        raise NotFoundError(f"no filing {filing_id} on this case")
    return found


def status_history(session: Session, case_id: int) -> list[StatusChange]:
    """A case's status changes, oldest first."""
    query = select(StatusChange).where(StatusChange.case_id == case_id)
    return list(session.exec(query.order_by(col(StatusChange.id))).all())
