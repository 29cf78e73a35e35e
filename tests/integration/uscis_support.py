"""A world for USCIS polling tests: the tracker on the test database, the real UscisClient
and the fake USCIS server on loopback, all on one FakeTime (sleeps are recorded, not
waited; tokens expire when the test moves the clock)."""

import dataclasses
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from sqlmodel import col, select

from tests.builders import FILING_COLUMNS, SMS_COLUMNS, a_case, an_app, import_cases
from tests.fakes.uscis_server import FakeTime, FakeUscisServer
from tracker.bootstrap import App
from tracker.store.db import session_scope
from tracker.store.models import (
    Alert,
    Filing,
    StaffNotice,
    UscisPoll,
    UscisStatus,
)
from tracker.uscis.client import UscisClient
from tracker.uscis.poller import Poller, PollOutcome
from tracker.uscis.ratelimit import TokenBucket

COLUMNS = (*SMS_COLUMNS, *FILING_COLUMNS)


@dataclass(frozen=True)
class Filed:
    """A case with one pending filing, as the tests import it."""

    ref: str
    receipt: str
    ends: date
    form: str = "I-131"
    language: str = "en"
    consent: str = "yes"


def receipt(n: int) -> str:
    """A made-up receipt number, one per test case."""
    return f"IOE09{n:08d}"


@dataclass
class World:
    """The tracker, its poller on the real client, and the fake USCIS it talks to."""

    app: App
    time: FakeTime
    uscis: FakeUscisServer
    client: UscisClient
    poller: Poller
    # Where the test's CSV files go.
    folder: Path

    def poll(self, limit: int | None = None) -> PollOutcome:
        """One run of the poller, as the hourly job makes it."""
        return self.poller.run_once(limit)

    def file(self, *cases: Filed, in_uscis: bool = True) -> None:
        """Import the cases, and let the fake USCIS know their receipts (received now)."""
        rows = [
            a_case(
                external_id=c.ref,
                full_name="Test Person",
                phone=f"+120255501{n:02d}",
                language=c.language,
                parole_expiry=c.ends,
                sms_consent=c.consent,
                receipt_number=c.receipt,
                form_type=c.form,
                filed_date="2026-09-01",
            )
            for n, c in enumerate(cases)
        ]
        path = self.folder / "cases.csv"
        report = import_cases(self.app, path, rows, COLUMNS, self.time.now())
        assert report.errors == [], report.errors
        if in_uscis:
            for c in cases:
                self.uscis.add_case(c.receipt, form_type=c.form)

    def statuses(self, number: str) -> list[UscisStatus]:
        """The history of one receipt, oldest first."""
        with session_scope(self.app.engine) as session:
            return list(
                session.exec(
                    select(UscisStatus)
                    .join(Filing, col(Filing.id) == UscisStatus.filing_id)
                    .where(Filing.receipt_number == number)
                    .order_by(col(UscisStatus.id))
                ).all()
            )

    def poll_state(self, number: str) -> UscisPoll | None:
        with session_scope(self.app.engine) as session:
            filing = session.exec(select(Filing).where(Filing.receipt_number == number)).one()
            return session.get(UscisPoll, filing.id)

    def notices(self) -> list[StaffNotice]:
        with session_scope(self.app.engine) as session:
            return list(session.exec(select(StaffNotice).order_by(col(StaffNotice.id))).all())

    def alerts(self, kind: str) -> list[Alert]:
        with session_scope(self.app.engine) as session:
            return list(
                session.exec(select(Alert).where(Alert.kind == kind).order_by(col(Alert.id))).all()
            )

    def read_receipts(self) -> list[str]:
        """Receipts of the status requests the fake received, in order."""
        return [r.path.rsplit("/", 1)[1] for r in self.uscis.status_requests]


@contextmanager
def uscis_world(
    database_url: str,
    tmp_path: Path,
    start: datetime,
    **settings: Any,
) -> Iterator[World]:
    """The world on `database_url`, its clock at `start`; `settings` override the app's."""
    time = FakeTime(start)
    uscis = FakeUscisServer(clock=time.now).start()
    http = httpx.Client()
    app = an_app(
        database_url,
        time,
        uscis_client_id=uscis.client_id,
        uscis_client_secret=uscis.client_secret,
        uscis_base_url=uscis.base_url,
        **settings,
    )
    try:
        client = client_for(app, http, uscis, time)
        # A mid-way jitter: the next read is due 1.05 intervals later.
        poller = dataclasses.replace(app.uscis_poller(client), chance=lambda: 0.5)
        yield World(app, time, uscis, client, poller, tmp_path)
    finally:
        http.close()
        uscis.stop()
        app.engine.dispose()
    assert not uscis.errors, f"the fake USCIS server failed: {uscis.errors!r}"


def client_for(app: App, http: httpx.Client, uscis: FakeUscisServer, time: FakeTime) -> UscisClient:
    """The real client on the test's time, sharing the app's quota ledger."""
    return UscisClient(
        http,
        client_id=uscis.client_id,
        client_secret=SecretStr(uscis.client_secret),
        clock=time,
        ledger=app.uscis_ledger(),
        base_url=uscis.base_url,
        limiter=TokenBucket(clock=time, sleep=time.sleep),
        sleep=time.sleep,
        jitter=lambda: 0.5,
    )


def kinds(notices: Sequence[StaffNotice]) -> list[str]:
    return [n.kind.value for n in notices]
