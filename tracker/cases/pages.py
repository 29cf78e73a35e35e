"""The API's lists of cases: only the cases the caller may read, a keyset page at a time.

The last row's sort key goes into an opaque cursor (`tracker.cases.cursors`), so a deep
page stays an index range scan and rows added meanwhile neither repeat nor shift pages.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from tracker.accounts.users import Caller
from tracker.cases.access import readable
from tracker.cases.cursors import decode_cursor, encode_cursor
from tracker.cases.listing import Cursor, after_key
from tracker.cases.repository import ExpiringCase, expiring_query, next_deadlines
from tracker.domain.model import Program, Status
from tracker.store.models import Case, Parolee, must_id


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
    query = select(Case, Parolee).join(Parolee).where(readable(caller)).order_by(col(Case.id))
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
    query = expiring_query(start=start, until=until, programs=programs, statuses=statuses)
    query = query.where(readable(caller))
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
