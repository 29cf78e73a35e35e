"""The daily USCIS quota in the database: counted per GMT day, and never overspent by
workers spending at once (separate engines, as separate processes would be), on SQLite and
on PostgreSQL."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

from sqlalchemy import Engine

from tracker.store.db import make_engine
from tracker.uscis.ledger import DbQuotaLedger
from tracker.uscis.ratelimit import QuotaLedger

from ..conftest import KEYRING

DAY = date(2026, 11, 29)


def test_it_counts_each_gmt_day_against_the_budget(engine: Engine) -> None:
    ledger: QuotaLedger = DbQuotaLedger(engine, budget=3)

    spent = [ledger.try_spend(DAY) for _ in range(4)]

    assert spent == [True, True, True, False]
    assert ledger.used(DAY) == 3
    assert ledger.try_spend(DAY + timedelta(days=1))
    assert (ledger.used(DAY), ledger.used(DAY + timedelta(days=1))) == (3, 1)
    assert ledger.used(DAY - timedelta(days=1)) == 0


def test_every_worker_reads_the_same_count(database_url: str, engine: Engine) -> None:
    other = make_engine(database_url, KEYRING)
    try:
        DbQuotaLedger(engine, budget=2).try_spend(DAY)
        elsewhere = DbQuotaLedger(other, budget=2)

        assert elsewhere.used(DAY) == 1
        assert elsewhere.try_spend(DAY)
        assert not DbQuotaLedger(engine, budget=2).try_spend(DAY)
    finally:
        other.dispose()


def test_workers_spending_at_once_never_exceed_the_budget(database_url: str) -> None:
    budget, workers, tries = 25, 4, 12
    engines = [make_engine(database_url, KEYRING) for _ in range(workers)]
    try:
        ledgers = [DbQuotaLedger(e, budget) for e in engines]

        def spend(ledger: DbQuotaLedger) -> int:
            return sum(ledger.try_spend(DAY) for _ in range(tries))

        # Two threads per engine: connections of one process and of several at once.
        with ThreadPoolExecutor(max_workers=2 * workers) as pool:
            granted = sum(pool.map(spend, ledgers + ledgers))

        assert granted == budget
        assert ledgers[0].used(DAY) == budget
    finally:
        for e in engines:
            e.dispose()


def test_a_budget_of_nothing_grants_nothing(engine: Engine) -> None:
    ledger = DbQuotaLedger(engine, budget=0)

    assert not ledger.try_spend(DAY)
    assert ledger.used(DAY) == 0
