"""The daily USCIS quota in the database (`uscis_quota`), shared by every worker.

`try_spend` checks and counts in one statement, `UPDATE ... SET used = used + 1 WHERE day
= :day AND used < :budget`, in its own short transaction, and trusts the row count: on
PostgreSQL a second worker's UPDATE waits for the first one's row lock and then re-checks
`used < budget` against the committed count; SQLite's BEGIN IMMEDIATE lets one writer in
at a time. Either way no two workers can both take the last request of a day.

Its own transaction, not the caller's: the count must stand even when the lookup it paid
for fails, and a caller must never hold a transaction open while it waits for USCIS.
"""

from datetime import date

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from tracker.store.models import UscisQuota


class DbQuotaLedger:
    """A QuotaLedger (`tracker.uscis.ratelimit`) on the `uscis_quota` table."""

    def __init__(self, engine: Engine, budget: int) -> None:
        if budget < 0:
            raise ValueError("a daily budget cannot be negative")
        self._engine = engine
        self._budget = budget

    @property
    def budget(self) -> int:
        """Requests allowed per day."""
        return self._budget

    def try_spend(self, day: date) -> bool:
        """Count one request on `day`; False, counting nothing, if the budget is spent."""
        with self._engine.begin() as connection:
            _ensure_day(connection, day)
            spent = connection.execute(
                update(UscisQuota)
                .where(col(UscisQuota.day) == day, col(UscisQuota.used) < self._budget)
                .values(used=col(UscisQuota.used) + 1)
            )
            return spent.rowcount == 1

    def used(self, day: date) -> int:
        """Requests counted on `day`."""
        with self._engine.connect() as connection:
            used = connection.execute(
                select(col(UscisQuota.used)).where(col(UscisQuota.day) == day)
            ).scalar_one_or_none()
        return used or 0


def _ensure_day(connection: Connection, day: date) -> None:
    """The day's row, created at 0 unless a worker made it first."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    connection.execute(
        dialect.insert(UscisQuota)
        .values(day=day, used=0)
        .on_conflict_do_nothing(index_elements=[col(UscisQuota.day)])
    )
