"""Polling USCIS: the real client against the fake USCIS server on loopback, the tracker on
SQLite and on PostgreSQL, and one FakeTime for all of them (nothing reads the machine's
clock, and nothing really sleeps)."""

import json
import math
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from tracker.alerts.policy import next_allowed
from tracker.alerts.render import previews
from tracker.bootstrap import App
from tracker.cases.recompute import apply_all
from tracker.domain.model import AlertState, Decision
from tracker.jobs.scheduler import Ticker
from tracker.privacy.person import export_person, person_of
from tracker.store.db import session_scope
from tracker.store.models import Filing, NoticeKind, must_id
from tracker.uscis.errors import CredentialsRejected
from tracker.uscis.poller import hourly_share

from ..conftest import NOW, table_counts
from .uscis_support import Filed, World, client_for, kinds, receipt, uscis_world

INTERVAL = timedelta(hours=24)
# The poller's next read: the interval and half of its jitter (World pins it at 0.5).
NEXT_READ = INTERVAL * 1.05
ALICE = Filed("C1", receipt(1), date(2027, 2, 1))


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    with uscis_world(database_url, tmp_path, NOW) as made:
        yield made


# -- reading and storing ---------------------------------------------------------------------


def test_it_stores_the_first_status_read_with_uscis_own_answer(world: World) -> None:
    world.file(ALICE)

    outcome = world.poll()

    assert (outcome.polled, outcome.changed, outcome.notices) == (1, 1, 0)
    [status] = world.statuses(ALICE.receipt)
    assert (status.status_en, status.status_es) == ("Case Was Received", "Caso Fue Recibido")
    assert (status.form_type, status.event, status.text_changed) == ("I-131", "received", True)
    # Read when the fake answered (the rate limiter spaces requests 100 ms apart).
    read_at = world.uscis.status_requests[-1].at
    assert status.observed_at == status.last_seen_at == read_at
    assert status.modified_at == NOW
    assert json.loads(status.raw)["case_status"]["receiptNumber"] == ALICE.receipt
    state = world.poll_state(ALICE.receipt)
    assert state is not None
    assert (state.last_polled_at, state.last_error) == (read_at, None)
    assert state.next_poll_at == read_at + NEXT_READ
    with session_scope(world.app.engine) as session:
        filing = session.exec(select(Filing)).one()
        assert filing.status_text == "Case Was Received"


def test_a_status_unchanged_across_polls_creates_nothing(world: World) -> None:
    world.file(ALICE)
    world.poll()
    before = table_counts(world.app.engine)

    for _ in range(3):
        world.time.advance(NEXT_READ)
        assert world.poll().changed == 0

    assert len(world.uscis.status_requests) == 4
    # No history, notice or message was added: only each new GMT day's quota row.
    after = table_counts(world.app.engine)
    assert {t: n for t, n in after.items() if after[t] != before[t]} == {"uscis_quota": 4}
    [status] = world.statuses(ALICE.receipt)
    assert status.last_seen_at == world.uscis.status_requests[-1].at


def test_a_new_modified_date_alone_is_history_and_nothing_more(world: World) -> None:
    world.file(ALICE)
    world.uscis.set_status(ALICE.receipt, "Case Was Denied", "Caso Fue Negado")
    world.poll()
    world.time.advance(NEXT_READ)
    world.uscis.case(ALICE.receipt).modified = NOW + NEXT_READ

    assert world.poll().changed == 1

    first, second = world.statuses(ALICE.receipt)
    assert (second.status_en, second.text_changed) == ("Case Was Denied", False)
    assert (first.modified_at, second.modified_at) == (NOW, NOW + NEXT_READ)
    # The decision was acted on once, when it was first seen.
    assert kinds(world.notices()) == ["uscis_denied"]
    assert len(world.alerts("uscis_denied")) == 1


# -- acting on changes -----------------------------------------------------------------------


def test_a_denial_flags_the_case_and_tells_the_person_in_their_language(world: World) -> None:
    rosa = Filed("C1", receipt(1), date(2027, 2, 1), language="es")
    world.file(rosa)
    world.poll()
    world.time.advance(NEXT_READ)
    world.uscis.set_status(rosa.receipt, "Case Was Denied", "Caso Fue Negado")

    outcome = world.poll()

    assert (outcome.changed, outcome.notices, outcome.messages) == (1, 1, 1)
    [alert] = world.alerts("uscis_denied")
    assert (alert.state, alert.language, alert.offset_days) == (AlertState.PLANNED, "es", 0)
    # Written when it goes: the preview names the form and the day its status said so.
    with session_scope(world.app.engine) as session:
        text = previews(session, [alert], world.app.composer)[must_id(alert.id)]
    catalog = world.app.composer.catalog
    assert text.startswith("Parole Tracker: ")
    day = catalog.format_date("es", alert.about_date)
    assert f"El {day}, el estado de su caso" in text
    assert "su Form I-131 fue denegado" in text and text.endswith("your legal representative")
    policy = world.app.composer.policy
    assert alert.due_at == next_allowed(world.time.now(), "America/New_York", policy)
    [notice] = world.notices()
    assert (notice.kind, notice.urgent) == (NoticeKind.USCIS_DENIED, True)
    assert notice.resolved_at is None
    assert notice.message.startswith(f"Urgent: USCIS denied Form I-131 (receipt {rosa.receipt}).")
    assert "sent a text (language es)" in notice.message
    # USCIS's own words go to staff, not to the person.
    assert 'USCIS\'s status: "Case Was Denied".' in notice.message
    assert world.uscis.case(rosa.receipt).desc_en in notice.message
    assert [s.event for s in world.statuses(rosa.receipt)] == ["received", "denied"]


def test_re_planning_the_case_keeps_the_denial_text(world: World) -> None:
    world.file(ALICE)
    world.uscis.set_status(ALICE.receipt, "Case Was Denied", "Caso Fue Negado")
    world.poll()

    apply_all(world.app.engine, world.app.policies, world.time.now())

    [alert] = world.alerts("uscis_denied")
    assert alert.state == AlertState.PLANNED


def test_a_person_we_may_not_text_is_left_to_staff(world: World) -> None:
    quiet = Filed("C1", receipt(1), date(2027, 2, 1), consent="no")
    world.file(quiet)
    world.uscis.set_status(quiet.receipt, "Case Was Rejected Because I Sent An Incorrect Fee")

    outcome = world.poll()

    assert (outcome.notices, outcome.messages) == (1, 0)
    assert world.alerts("uscis_rejected") == []
    [notice] = world.notices()
    assert (notice.kind, notice.urgent) == (NoticeKind.USCIS_REJECTED, True)
    assert "could not be texted" in notice.message


def test_an_approved_reparole_asks_staff_to_record_the_new_grant(world: World) -> None:
    world.file(ALICE)
    world.poll()
    world.time.advance(NEXT_READ)
    world.uscis.set_status(ALICE.receipt, "Case Was Approved", "Caso Fue Aprobado")

    world.poll()

    [notice] = world.notices()
    assert (notice.kind, notice.urgent) == (NoticeKind.USCIS_APPROVED_REPAROLE, False)
    assert "tracker case status C1 paroled --new-expiry YYYY-MM-DD" in notice.message
    assert world.alerts("uscis_denied") == world.alerts("uscis_rejected") == []
    with session_scope(world.app.engine) as session:
        # The new expiry is on the I-797, not in USCIS's status: nothing is recorded here.
        assert session.exec(select(Filing.decision)).one() is None


def test_a_card_after_an_approval_adds_no_second_notice(world: World) -> None:
    permit = Filed("C1", receipt(1), date(2027, 2, 1), form="I-765")
    world.file(permit)
    world.uscis.set_status(permit.receipt, "Case Was Approved")
    world.poll()
    world.time.advance(NEXT_READ)
    world.uscis.set_status(permit.receipt, "Card Was Mailed To Me")

    world.poll()

    assert [s.event for s in world.statuses(permit.receipt)] == ["approved", "approved"]
    assert kinds(world.notices()) == ["uscis_approved"]


def test_a_request_for_evidence_leaves_a_notice_with_its_response_date(world: World) -> None:
    world.file(ALICE)
    world.uscis.set_status(ALICE.receipt, "Request for Evidence Was Sent")
    world.uscis.case(ALICE.receipt).desc_en = (
        "On November 29, 2026, we sent a request for evidence for your Form I-131. Please"
        " respond by February 24, 2027."
    )

    world.poll()

    [notice] = world.notices()
    assert (notice.kind, notice.urgent) == (NoticeKind.USCIS_RFE, False)
    assert notice.due_date == date(2027, 2, 24)
    assert "gives 2027-02-24 as the date to respond by" in notice.message


def test_a_request_for_evidence_without_a_date_says_where_to_find_it(world: World) -> None:
    world.file(ALICE)
    world.uscis.set_status(ALICE.receipt, "Request For Initial Evidence Was Sent")

    world.poll()

    [notice] = world.notices()
    assert (notice.kind, notice.due_date) == (NoticeKind.USCIS_RFE, None)
    assert "take it from the request itself" in notice.message


# -- when and what is read -------------------------------------------------------------------


def test_a_filing_is_read_at_most_once_an_interval(world: World) -> None:
    world.file(ALICE)
    world.poll()

    world.time.advance(INTERVAL)
    assert world.poll().polled == 0
    assert world.poll(limit=10).polled == 0  # --limit lifts the hour's share, not this
    world.time.advance(NEXT_READ - INTERVAL)
    assert world.poll().polled == 1

    assert len(world.uscis.status_requests) == 2


def test_decided_filings_are_not_read(world: World) -> None:
    decided = Filed("C2", receipt(2), date(2027, 1, 1))
    world.file(ALICE, decided)
    with session_scope(world.app.engine) as session:
        filing = session.exec(select(Filing).where(Filing.receipt_number == decided.receipt)).one()
        filing.decision = Decision.APPROVED
        session.add(filing)

    world.poll()

    assert world.read_receipts() == [ALICE.receipt]


def test_over_a_day_the_quota_holds_and_the_most_urgent_come_first(
    database_url: str, tmp_path: Path
) -> None:
    budget, count = 20, 30
    midnight = datetime(2026, 11, 30, tzinfo=UTC)
    with uscis_world(database_url, tmp_path, midnight, uscis_daily_budget=budget) as world:
        # Case n ends n days after the first: the lower n, the more urgent.
        first_end = date(2027, 1, 1)
        cases = [
            Filed(f"C{n:02d}", receipt(n), first_end + timedelta(days=n))
            for n in reversed(range(count))
        ]
        world.file(*cases)
        world.time.advance(timedelta(minutes=10))
        per_run = []
        for hour in range(24):
            left = budget - world.app.uscis_ledger().used(midnight.date())
            share = hourly_share(left, world.time.now())
            per_run.append(world.poll().polled)
            assert per_run[-1] == min(share, left), f"hour {hour}"
            world.time.advance(timedelta(hours=1))

        requests = world.uscis.status_requests
        assert all(r.at.date() == midnight.date() for r in requests)
        assert len(requests) == world.app.uscis_ledger().used(midnight.date()) == budget
        assert world.read_receipts() == [receipt(n) for n in range(budget)]
        # Spread over the day, not spent in the first hour: ceil(20 / 24) an hour at first.
        assert per_run[0] == math.ceil(budget / 24) == 1
        assert sum(1 for n in per_run if n) >= 12
        # A token lasts 30 minutes: each hourly run renewed it before use, never after a 401.
        assert len(world.uscis.token_requests) == sum(1 for n in per_run if n)

        # The next GMT day's budget starts with the filings that waited.
        world.time.advance(timedelta(minutes=10))
        world.poll(limit=count)
        assert world.read_receipts()[budget:] == [receipt(n) for n in range(budget, count)]


def test_a_run_survives_a_429_and_a_refused_token(world: World) -> None:
    cases = [Filed(f"C{n}", receipt(n), date(2027, 1, 1) + timedelta(days=n)) for n in range(3)]
    world.file(*cases)
    world.poll(limit=1)
    world.uscis.revoke_tokens()
    world.uscis.answer_next(429, retry_after="7")

    outcome = world.poll(limit=2)

    assert (outcome.polled, outcome.stopped) == (2, None)
    assert 7.0 in world.time.sleeps
    assert len(world.uscis.token_requests) == 2
    # Every try counts: 1, then a 401, the 429, the answer, and the third filing.
    assert world.app.uscis_ledger().used(NOW.date()) == len(world.uscis.status_requests) == 5


def test_a_spent_quota_stops_the_run_and_gives_the_filings_back(
    database_url: str, tmp_path: Path
) -> None:
    with uscis_world(database_url, tmp_path, NOW, uscis_daily_budget=2) as world:
        late = Filed("C2", receipt(2), date(2027, 6, 1))
        world.file(ALICE, late)
        world.uscis.answer_next(500)  # its retry spends the second request

        outcome = world.poll(limit=2)

        assert outcome.polled == 1
        assert outcome.stopped is not None and "quota of 2 requests" in outcome.stopped
        state = world.poll_state(late.receipt)
        assert state is not None
        assert state.last_polled_at is None
        assert state.next_poll_at is not None and state.next_poll_at <= world.time.now()
        assert world.poll().stopped == "the day's USCIS budget is spent"


def test_outside_service_hours_the_run_stops_and_records_nothing(world: World) -> None:
    world.file(ALICE, Filed("C2", receipt(2), date(2027, 6, 1)))
    world.uscis.closed = True

    outcome = world.poll(limit=2)

    assert outcome.polled == 0 and outcome.stopped is not None and "503" in outcome.stopped
    assert len(world.uscis.status_requests) == 1
    assert world.statuses(ALICE.receipt) == []
    state = world.poll_state(ALICE.receipt)
    assert state is not None and state.last_polled_at is None
    assert state.next_poll_at is not None and state.next_poll_at <= world.time.now()


def test_a_retry_after_from_uscis_holds_the_filings_back_that_long(world: World) -> None:
    world.file(ALICE)
    world.uscis.answer_next(503, retry_after="3600")

    assert world.poll().stopped is not None

    state = world.poll_state(ALICE.receipt)
    assert state is not None
    assert state.next_poll_at == world.time.now() + timedelta(hours=1)


def test_an_unknown_receipt_is_noted_and_the_run_goes_on(world: World) -> None:
    unknown = Filed("C0", receipt(0), date(2027, 1, 1))
    world.file(unknown, in_uscis=False)
    world.file(ALICE)

    outcome = world.poll(limit=2)

    assert (outcome.polled, outcome.errors) == (1, 1)
    state = world.poll_state(unknown.receipt)
    assert state is not None
    assert state.last_error is not None and "does not recognise" in state.last_error
    assert state.failures == 1
    assert state.next_poll_at == world.uscis.status_requests[0].at + NEXT_READ
    assert len(world.statuses(ALICE.receipt)) == 1


def test_refused_credentials_end_the_run_with_the_error(world: World) -> None:
    world.file(ALICE)
    world.uscis.client_secret = "changed-at-uscis"

    with pytest.raises(CredentialsRejected):
        world.poll()

    state = world.poll_state(ALICE.receipt)
    assert state is not None and state.last_polled_at is None
    assert state.next_poll_at is not None and state.next_poll_at <= world.time.now()


def test_two_workers_never_read_the_same_filing(world: World) -> None:
    cases = [Filed(f"C{n}", receipt(n), date(2027, 1, 1) + timedelta(days=n)) for n in range(8)]
    world.file(*cases)
    with httpx.Client() as http, ThreadPoolExecutor(max_workers=2) as pool:
        other = world.app.uscis_poller(client_for(world.app, http, world.uscis, world.time))
        runs = [pool.submit(poller.run_once, 4) for poller in (world.poller, other)]
        outcomes = [run.result() for run in runs]

    assert sorted(o.polled for o in outcomes) == [4, 4]
    assert sorted(world.read_receipts()) == sorted(c.receipt for c in cases)


# -- the job ---------------------------------------------------------------------------------


def test_the_hourly_job_runs_once_credentials_are_set(world: World) -> None:
    job = Ticker(world.app, world.app.dispatcher()).scheduler.get_job("uscis")

    assert job is not None
    assert job.trigger.interval == timedelta(hours=1)
    assert job.trigger.jitter == 300
    assert job.max_instances == 1


def test_without_credentials_there_is_no_uscis_job(app: App) -> None:
    assert not app.settings.uscis_enabled
    assert Ticker(app, app.dispatcher()).scheduler.get_job("uscis") is None


def test_the_persons_export_holds_their_uscis_history_and_notices(world: World) -> None:
    world.file(ALICE)
    world.uscis.set_status(ALICE.receipt, "Case Was Denied", "Caso Fue Negado")
    world.poll()

    with session_scope(world.app.engine) as session:
        [case] = export_person(session, person_of(session, "C1"))["cases"]

    assert [h["status_en"] for h in case["uscis_history"]] == ["Case Was Denied"]
    assert [n["kind"] for n in case["notices"]] == ["uscis_denied"]
