"""Tomorrow's poll plan against the budget (`tracker uscis plan`); reads, never writes.

Tomorrow is the next GMT day, USCIS's quota day. Every filing that will be due by its end
is listed, most urgent first (`tracker.uscis.repository.priority`), with the budget's
cut-off: each read is one request, so the first `budget` filings are read and the rest
wait for a later day. Retries after errors cost requests too, so the cut-off is a bound.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, select

from tracker.domain.model import Form
from tracker.store.models import Case, Filing, UscisPoll
from tracker.uscis.repository import due_by, pending_filing, priority


@dataclass(frozen=True)
class PlannedRead:
    """One filing due for a read tomorrow."""

    receipt: str
    form: Form
    case_ref: str
    case_ends: date
    last_polled_at: datetime | None
    # None: due now (never read, or overdue).
    due_from: datetime | None


@dataclass(frozen=True)
class PollPlan:
    """The filings due on `day`, in the order they will be read, and the day's budget."""

    day: date
    budget: int
    due: list[PlannedRead]

    @property
    def fits(self) -> int:
        """How many of the due filings the budget covers."""
        return min(self.budget, len(self.due))

    @property
    def waiting(self) -> int:
        """Due filings beyond the budget: the cases that end latest."""
        return len(self.due) - self.fits


def plan_tomorrow(session: Session, now: datetime, interval: timedelta, budget: int) -> PollPlan:
    """The filings due by the end of the GMT day after `now`'s, most urgent first."""
    day = now.astimezone(UTC).date() + timedelta(days=1)
    end = datetime.combine(day + timedelta(days=1), time(), UTC)
    rows = session.exec(
        select(Filing, Case, UscisPoll)
        .join(Case, col(Case.id) == Filing.case_id)
        # A filing never claimed has no poll row yet: it is due like one never read.
        .join(UscisPoll, col(UscisPoll.filing_id) == Filing.id, isouter=True)
        .where(pending_filing(), due_by(end - timedelta(microseconds=1), interval))
        .order_by(*priority())
    ).all()
    due = [
        PlannedRead(
            receipt=filing.receipt_number or "",
            form=filing.form,
            case_ref=case.external_id,
            case_ends=case.end_date,
            last_polled_at=poll.last_polled_at if poll else None,
            due_from=_due_from(poll, interval, now),
        )
        for filing, case, poll in rows
    ]
    return PollPlan(day=day, budget=budget, due=due)


def _due_from(poll: UscisPoll | None, interval: timedelta, now: datetime) -> datetime | None:
    if poll is None:
        return None
    moments = [m for m in (poll.next_poll_at, _plus(poll.last_polled_at, interval)) if m]
    due = max(moments, default=None)
    return due if due is not None and due > now else None


def _plus(moment: datetime | None, interval: timedelta) -> datetime | None:
    return moment + interval if moment is not None else None
