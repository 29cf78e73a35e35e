"""Queries of the poll queue: which filings are read, in which order, and when they are due.

A filing is polled while its case is open and it has a receipt number and no decision
recorded. The most urgent come first: the case that ends soonest, then filings never
read, then those read longest ago.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from tracker.domain.status import OPEN_STATUSES
from tracker.store.models import Case, Filing, UscisPoll


def pending_filing() -> ColumnElement[bool]:
    """A filing USCIS still has to decide, on an open case (join Filing and Case)."""
    return and_(
        col(Filing.receipt_number).is_not(None),
        col(Filing.decision).is_(None),
        col(Case.status).in_(OPEN_STATUSES),
    )


def due_by(moment: datetime, interval: timedelta) -> ColumnElement[bool]:
    """The filing may be read at `moment`: not claimed or scheduled later, and not read in
    the `interval` before it (a filing with no poll row has never been read)."""
    return and_(
        or_(col(UscisPoll.next_poll_at).is_(None), col(UscisPoll.next_poll_at) <= moment),
        or_(
            col(UscisPoll.last_polled_at).is_(None),
            col(UscisPoll.last_polled_at) <= moment - interval,
        ),
    )


def priority() -> tuple[Any, ...]:
    """ORDER BY of the queue: the case that ends soonest, never read, read longest ago."""
    return (
        col(Case.end_date),
        # False sorts first on both databases: filings never read before the others.
        col(UscisPoll.last_polled_at).is_not(None),
        col(UscisPoll.last_polled_at),
        col(Filing.id),
    )


def add_missing_poll_rows(connection: Connection) -> None:
    """Give every pending filing its poll row, so that claims are plain conditional
    updates; a row another worker adds at the same moment is left as it is."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    missing = (
        select(col(Filing.id), literal(0))
        .join(Case, col(Case.id) == Filing.case_id)
        .where(pending_filing())
        .where(
            ~select(col(UscisPoll.filing_id)).where(col(UscisPoll.filing_id) == Filing.id).exists()
        )
    )
    connection.execute(
        dialect.insert(UscisPoll)
        .from_select(["filing_id", "failures"], missing)
        .on_conflict_do_nothing(index_elements=[col(UscisPoll.filing_id)])
    )
