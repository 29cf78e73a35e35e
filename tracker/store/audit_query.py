"""Reading the audit trail: filters, and keyset pages on the row id (newest first)."""

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, or_, select

from tracker.store.models import AuditEvent

PAGE = 100


@dataclass(frozen=True)
class AuditFilter:
    """What to show. Dates are UTC days, both ends included. An action also matches the
    actions under it: "feed" finds "feed.issued" and "feed.revoked"."""

    actor: str | None = None
    action: str | None = None
    entity: str | None = None
    entity_id: int | None = None
    since: date | None = None
    until: date | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        """The WHERE clauses of these filters."""
        found: list[ColumnElement[bool]] = []
        if self.actor:
            found.append(col(AuditEvent.actor).icontains(self.actor, autoescape=True))
        if self.action:
            family = col(AuditEvent.action).startswith(self.action + ".", autoescape=True)
            found.append(or_(col(AuditEvent.action) == self.action, family))
        if self.entity:
            found.append(col(AuditEvent.entity) == self.entity)
        if self.entity_id is not None:
            found.append(col(AuditEvent.entity_id) == self.entity_id)
        if self.since:
            found.append(col(AuditEvent.at) >= datetime.combine(self.since, time(), UTC))
        if self.until:
            end = datetime.combine(self.until + timedelta(days=1), time(), UTC)
            found.append(col(AuditEvent.at) < end)
        return found


@dataclass(frozen=True)
class AuditLine:
    """One event, with its detail read back into pairs."""

    event: AuditEvent
    detail: list[tuple[str, str]]


@dataclass(frozen=True)
class AuditPage:
    """One page, newest first, with the cursors of its neighbours (None at either end)."""

    lines: list[AuditLine] = field(default_factory=list)
    older: int | None = None  # pass as `before` for the next, older page
    newer: int | None = None  # pass as `after` for the previous, newer page


def audit_page(
    session: Session,
    filters: AuditFilter,
    *,
    before: int | None = None,
    after: int | None = None,
    size: int = PAGE,
) -> AuditPage:
    """The `size` newest events older than `before`, or the `size` oldest newer than
    `after` (the page before this one); the newest page when neither is given."""
    where = filters.conditions()
    ident = col(AuditEvent.id)
    if after is not None:
        rows = list(
            session.exec(
                select(AuditEvent).where(*where, ident > after).order_by(ident).limit(size + 1)
            )
        )
        more_newer, rows = len(rows) > size, rows[:size][::-1]
        more_older = _exists(session, where, ident < rows[-1].id) if rows else False
    else:
        query = select(AuditEvent).where(*where).order_by(ident.desc()).limit(size + 1)
        if before is not None:
            query = query.where(ident < before)
        rows = list(session.exec(query))
        more_older, rows = len(rows) > size, rows[:size]
        more_newer = (
            before is not None and bool(rows) and _exists(session, where, ident > rows[0].id)
        )
    return AuditPage(
        lines=[AuditLine(event, _detail(event.detail)) for event in rows],
        older=rows[-1].id if more_older else None,
        newer=rows[0].id if more_newer else None,
    )


def _exists(
    session: Session, where: list[ColumnElement[bool]], beyond: ColumnElement[bool]
) -> bool:
    return session.exec(select(AuditEvent.id).where(*where, beyond).limit(1)).first() is not None


def _detail(raw: str) -> list[tuple[str, str]]:
    # Written by `audit.record` as a JSON object; show anything else as it is.
    try:
        parsed = json.loads(raw)
    except ValueError:
        return [("detail", raw)]
    if not isinstance(parsed, dict):
        return [("detail", raw)]
    return [(str(key), "" if value is None else str(value)) for key, value in parsed.items()]
