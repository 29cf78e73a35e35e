"""The USCIS poller: reads the status of pending filings, most urgent first, within the
day's quota, and records what changed.

One run (the hourly job, or `tracker uscis poll`):

1. Its share: what is left of the GMT day's budget divided by the hours left in that day,
   rounded up, so the budget is spread over the day and the last hour spends the rest.
   `limit` replaces the share; the budget still holds. Two workers running the job in the
   same hour each take a share of what is left: they spend faster, never more.
2. Claim that many due filings (`tracker.uscis.repository`) in one short transaction: the
   claim moves `next_poll_at` a lease ahead, so another worker skips them (PostgreSQL:
   FOR UPDATE SKIP LOCKED; SQLite: BEGIN IMMEDIATE).
3. Read each status with no transaction open (the client counts every request in the
   ledger's own transaction, and SQLite would otherwise wait on itself), then record it in
   one short transaction: a history row only when the text or modifiedDate differs from
   the last one stored, and what a new status calls for (`tracker.uscis.actions`). The
   next read is due `interval` later plus a random tenth of it, so that filings read
   together drift apart over the days.
4. A spent quota, USCIS outside its service hours (503), repeated 429s, network trouble or
   an unexpected answer end the run; the filings still claimed are due again at once.
   Refused credentials end it too, and are raised: nothing works until they are fixed.
"""

import json
import logging
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Protocol

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from tracker.alerts.compose import Composer
from tracker.clock import Clock
from tracker.domain.model import UscisEvent
from tracker.store.db import session_scope
from tracker.store.models import Case, Filing, Parolee, UscisPoll, UscisStatus, must_id
from tracker.uscis.actions import act_on
from tracker.uscis.errors import (
    BadReceipt,
    CredentialsRejected,
    NotRecognised,
    TemporaryFailure,
    UnexpectedResponse,
    UscisError,
)
from tracker.uscis.events import EventPatterns, squeeze
from tracker.uscis.ratelimit import QuotaLedger, utc_day
from tracker.uscis.repository import add_missing_poll_rows, due_by, pending_filing, priority
from tracker.uscis.response import CaseStatus

log = logging.getLogger(__name__)
# A lookup takes seconds, at most a couple of minutes with every retry: a claim older than
# this belongs to a worker that died, and its filing is due again.
LEASE = timedelta(minutes=10)
# The next read waits the interval plus up to this fraction of it, at random.
JITTER = 0.1
# Errors that concern one receipt: noted on the filing, and the run goes on.
FILING_ERRORS = (NotRecognised, BadReceipt, UnexpectedResponse)


class StatusSource(Protocol):
    """Where statuses come from: `tracker.uscis.client.UscisClient`."""

    def status(self, receipt: str) -> CaseStatus: ...


@dataclass
class PollOutcome:
    """What one run did."""

    share: int = 0
    polled: int = 0
    changed: int = 0
    notices: int = 0
    messages: int = 0
    errors: int = 0
    # Why the run ended before its share was read, if it did.
    stopped: str | None = None
    problems: list[str] = field(default_factory=list)


def hourly_share(left: int, now: datetime) -> int:
    """Filings one hourly run reads: the day's remaining budget over its remaining hours."""
    if left <= 0:
        return 0
    day = now.astimezone(UTC).date()
    midnight = datetime.combine(day + timedelta(days=1), time(), UTC)
    hours = max(1, math.ceil((midnight - now).total_seconds() / 3600))
    return math.ceil(left / hours)


@dataclass
class Poller:
    """Reads due filings' statuses through `source` and records them."""

    engine: Engine
    source: StatusSource
    ledger: QuotaLedger
    events: EventPatterns
    composer: Composer
    clock: Clock
    interval: timedelta
    # Where the jitter comes from (tests pin it).
    chance: Callable[[], float] = random.random

    def run_once(self, limit: int | None = None) -> PollOutcome:
        """One run: claim this hour's share (or `limit`) of due filings and read them."""
        now = self.clock.now()
        left = self.ledger.budget - self.ledger.used(utc_day(self.clock))
        outcome = PollOutcome(share=min(left, limit) if limit else hourly_share(left, now))
        if outcome.share <= 0:
            outcome.stopped = "the day's USCIS budget is spent"
            return outcome
        claimed = self.claim(outcome.share, now)
        for position, (filing_id, receipt) in enumerate(claimed):
            try:
                status = self.source.status(receipt)
            except FILING_ERRORS as error:
                self._failed(filing_id, error)
                outcome.errors += 1
                outcome.problems.append(error.message)
                continue
            except UscisError as error:
                wait = error.retry_after if isinstance(error, TemporaryFailure) else None
                self.release([f for f, _ in claimed[position:]], wait)
                outcome.stopped = error.message
                log.warning("USCIS poll stopped: %s", error.message)
                if isinstance(error, CredentialsRejected):
                    raise
                break
            self._record(filing_id, status, outcome)
        return outcome

    def claim(self, count: int, now: datetime) -> list[tuple[int, str]]:
        """Take up to `count` due filings, most urgent first: (filing id, receipt)."""
        with session_scope(self.engine) as session:
            add_missing_poll_rows(session.connection())
            due = due_by(now, self.interval)
            candidates = (
                select(UscisPoll.filing_id)
                .join(Filing, col(Filing.id) == UscisPoll.filing_id)
                .join(Case, col(Case.id) == Filing.case_id)
                .where(pending_filing(), due)
                .order_by(*priority())
                .limit(count)
                .with_for_update(skip_locked=True, of=UscisPoll)
            )
            # Lock first, then update those rows: PostgreSQL may re-run a LIMIT subquery
            # inside an UPDATE for each row and so take more than `count`.
            ids = list(session.exec(candidates).all())
            if not ids:
                return []
            session.exec(
                update(UscisPoll)
                .where(col(UscisPoll.filing_id).in_(ids))
                .values(next_poll_at=now + LEASE)
            )
            rows = session.exec(
                select(Filing.id, Filing.receipt_number)
                .join(UscisPoll, col(UscisPoll.filing_id) == Filing.id)
                .join(Case, col(Case.id) == Filing.case_id)
                .where(col(Filing.id).in_(ids))
                .order_by(*priority())
            ).all()
        return [(filing_id, receipt) for filing_id, receipt in rows if filing_id and receipt]

    def release(self, filing_ids: list[int], wait: float | None = None) -> None:
        """Give claimed filings back (the run stopped before reading them): due at once, or
        after the `wait` seconds USCIS asked for (Retry-After)."""
        if not filing_ids:
            return
        due = self.clock.now() + timedelta(seconds=wait or 0)
        with session_scope(self.engine) as session:
            session.exec(
                update(UscisPoll)
                .where(col(UscisPoll.filing_id).in_(filing_ids))
                .values(next_poll_at=due)
            )

    def _next_read(self, now: datetime) -> datetime:
        return now + self.interval * (1 + JITTER * self.chance())

    def _failed(self, filing_id: int, error: UscisError) -> None:
        """A receipt USCIS refused or answered oddly: noted, and read again next interval."""
        now = self.clock.now()
        log.warning("USCIS status of filing %s not read: %s", filing_id, error.message)
        with session_scope(self.engine) as session:
            poll = session.get(UscisPoll, filing_id)
            if poll is None:
                return
            poll.last_polled_at, poll.next_poll_at = now, self._next_read(now)
            poll.last_error = error.message[:300]
            poll.failures += 1
            session.add(poll)

    def _record(self, filing_id: int, status: CaseStatus, outcome: PollOutcome) -> None:
        now = self.clock.now()
        with session_scope(self.engine) as session:
            poll = session.get(UscisPoll, filing_id)
            filing = session.get(Filing, filing_id)
            if poll is None or filing is None:
                return
            if filing.receipt_number != status.receipt:
                # The receipt was corrected while USCIS was asked about the old one: the
                # answer is not this filing's, and the new receipt is due at once.
                poll.next_poll_at = now
                session.add(poll)
                return
            poll.last_polled_at, poll.next_poll_at = now, self._next_read(now)
            poll.last_error, poll.failures = None, 0
            session.add(poll)
            outcome.polled += 1
            latest = session.exec(
                select(UscisStatus)
                .where(UscisStatus.filing_id == filing_id)
                .order_by(col(UscisStatus.id).desc())
                .limit(1)
            ).first()
            if latest is not None and _same(latest, status):
                latest.last_seen_at = now
                session.add(latest)
                return
            outcome.changed += 1
            self._store_change(session, filing, latest, status, now, outcome)

    def _store_change(
        self,
        session: Session,
        filing: Filing,
        latest: UscisStatus | None,
        status: CaseStatus,
        now: datetime,
        outcome: PollOutcome,
    ) -> None:
        row = UscisStatus(
            filing_id=must_id(filing.id),
            observed_at=now,
            last_seen_at=now,
            form_type=status.form_type,
            status_en=status.status_en,
            status_es=status.status_es,
            description_en=status.description_en,
            description_es=status.description_es,
            modified_at=status.modified_at,
            event=self.events.classify(status.status_en),
            text_changed=latest is None or _text(latest.status_en) != _text(status.status_en),
            raw=json.dumps(status.raw, ensure_ascii=False, sort_keys=True),
        )
        session.add(row)
        session.flush()
        filing.status_text, filing.updated_at = status.status_en, now
        session.add(filing)
        log.info("USCIS status of filing %s changed (%s)", filing.id, row.event.value)
        case = session.get(Case, filing.case_id)
        assert case is not None
        parolee = session.get(Parolee, case.parolee_id)
        assert parolee is not None
        previous: UscisEvent | None = latest.event if latest is not None else None
        acted = act_on(
            session,
            case=case,
            parolee=parolee,
            filing=filing,
            status=row,
            previous=previous,
            composer=self.composer,
            now=now,
        )
        outcome.notices += acted.notices
        outcome.messages += acted.messages


def _text(status_text: str) -> str:
    return squeeze(status_text).casefold()


def _same(stored: UscisStatus, status: CaseStatus) -> bool:
    """No change: the same text (as patterns compare it) and the same modifiedDate."""
    return _text(stored.status_en) == _text(status.status_en) and (
        stored.modified_at == status.modified_at
    )
