"""Reminders end to end: planned from deadlines, sent through the real twilio SDK to the fake
Twilio server on loopback, delivery reports and replies through the signed webhooks."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import select
from twilio.request_validator import RequestValidator

from tests.builders import (
    PUBLIC,
    SMS_COLUMNS,
    MovableClock,
    a_case,
    an_app,
    import_cases,
    twilio_settings,
    web_client,
)
from tests.fakes.twilio_server import FakeTwilioServer
from tracker.alerts.dispatcher import RECONCILE_DELAY, Dispatcher
from tracker.alerts.sweep import plan_due
from tracker.bootstrap import App
from tracker.domain.model import AlertState
from tracker.sms.twilio_backend import TwilioBackend
from tracker.store.blind import phone_is
from tracker.store.db import session_scope
from tracker.store.models import Alert, ConsentEvent, InboundMessage, Parolee

from ..conftest import KEYRING, NOW, table_counts

PHONE = "+12025550170"


@dataclass
class World:
    """The application, its dispatcher on the real SDK, the fake Twilio and the web app."""

    app: App
    clock: MovableClock
    twilio: FakeTwilioServer
    dispatcher: Dispatcher
    web: TestClient

    def alerts(self) -> list[Alert]:
        with session_scope(self.app.engine) as session:
            return list(session.exec(select(Alert).order_by(Alert.id)).all())  # type: ignore[arg-type]

    def parolee(self, phone: str = PHONE) -> Parolee:
        with session_scope(self.app.engine) as session:
            found = session.exec(select(Parolee).where(phone_is(KEYRING, phone))).one()
            return found

    def reply(self, body: str, sid: str = "SM" + "1" * 32, sender: str = PHONE) -> httpx.Response:
        params = {"MessageSid": sid, "From": sender, "To": self.twilio.from_number, "Body": body}
        url = f"{PUBLIC}/webhooks/twilio/inbound"
        signature = RequestValidator(self.twilio.auth_token).compute_signature(url, params)
        headers = {"X-Twilio-Signature": str(signature)}
        response: httpx.Response = self.web.post(url, data=params, headers=headers)
        return response


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    with open_world(database_url) as opened:
        yield opened


@contextmanager
def open_world(database_url: str) -> Iterator[World]:
    """The application on `database_url` with a dispatcher on the real SDK against a fake
    Twilio on loopback; everything started is stopped at the end."""
    clock = MovableClock(NOW)
    twilio = FakeTwilioServer(clock=clock.now).start()
    app = an_app(database_url, clock, public_base_url=PUBLIC, **twilio_settings(twilio))
    # A short timeout makes the "maybe sent" test quick; nothing else is slow on loopback.
    http = httpx.Client(timeout=0.5)
    dispatcher = Dispatcher(
        engine=app.engine,
        backend=TwilioBackend(app.settings, http=http),
        composer=app.composer,
        clock=clock,
        worker="test-worker",
        status_callback=f"{PUBLIC}/webhooks/twilio/status",
        sleep=lambda _: None,
    )
    with web_client(app) as web:
        yield World(app, clock, twilio, dispatcher, web)
    http.close()
    twilio.stop()
    app.engine.dispose()
    assert not twilio.errors


def import_one(
    world: World,
    tmp_path: Path,
    *,
    expiry: str = "2027-08-31",
    consent: str = "yes",
    language: str = "en",
    external_id: str = "C1",
    phone: str = PHONE,
    name: str = "Test Person",
) -> None:
    """Import (or re-import) one U4U case in New York through the importer."""
    row = a_case(
        external_id=external_id,
        full_name=name,
        phone=phone,
        language=language,
        parole_expiry=expiry,
        sms_consent=consent,
    )
    path = tmp_path / f"{external_id}.csv"
    assert import_cases(world.app, path, [row], SMS_COLUMNS, world.clock.now()).errors == []


def test_it_welcomes_a_new_case_once_and_sends_it_through_twilio(
    world: World, tmp_path: Path
) -> None:
    import_one(world, tmp_path)
    alerts = world.alerts()
    assert [(a.kind, a.state) for a in alerts] == [("welcome", AlertState.PLANNED)]
    outcome = world.dispatcher.run_once()
    assert outcome.sent == 1
    [message] = world.twilio.sent
    assert message.to == PHONE
    # Written as it went, and kept exactly as sent.
    assert alerts[0].body is None
    [alert] = world.alerts()
    assert message.body == alert.body
    assert message.status_callback == f"{PUBLIC}/webhooks/twilio/status"
    assert (alert.state, alert.provider_sid) == (AlertState.SENT, message.sid)
    # A second pass, a re-plan and a re-import send nothing more.
    assert world.dispatcher.run_once().sent == 0
    import_one(world, tmp_path)
    assert plan_due(world.app.engine, world.app.composer, world.clock.now()) == 0
    assert world.dispatcher.run_once().sent == 0
    assert len(world.twilio.sent) == 1


def test_it_records_delivery_and_ignores_a_late_sent_report(world: World, tmp_path: Path) -> None:
    import_one(world, tmp_path)
    world.dispatcher.run_once()
    [alert] = world.alerts()
    assert alert.provider_sid is not None
    response = world.twilio.deliver(alert.provider_sid, "delivered", client=world.web)
    assert response is not None and response.status_code == 200
    response = world.twilio.deliver(alert.provider_sid, "sent", client=world.web)
    assert response is not None and response.status_code == 200
    [alert] = world.alerts()
    assert (alert.state, alert.provider_status) == (AlertState.DELIVERED, "delivered")


def test_it_sends_nothing_after_stop(world: World, tmp_path: Path) -> None:
    import_one(world, tmp_path)
    response = world.reply("stop")
    assert response.status_code == 200
    assert "<Message>" in response.text
    assert world.parolee().sms_consent_withdrawn_at == NOW
    assert world.dispatcher.run_once().sent == 0
    assert world.twilio.sent == []
    assert [a.state for a in world.alerts()] == [AlertState.CANCELLED]


def test_it_retries_after_429_and_500_and_sends_exactly_once(world: World, tmp_path: Path) -> None:
    import_one(world, tmp_path)
    world.twilio.fail_next(429, code=20429)
    assert world.dispatcher.run_once().retried == 1
    [alert] = world.alerts()
    assert alert.state == AlertState.PLANNED and alert.due_at > NOW
    world.clock.advance(timedelta(hours=1))
    world.twilio.fail_next(500)
    assert world.dispatcher.run_once().retried == 1
    # 500 means "maybe sent": nothing is re-sent until the provider's list is checked,
    # which waits, this second attempt, for the retry backoff (up to twice its base).
    assert world.dispatcher.run_once().sent == 0
    world.clock.advance(RECONCILE_DELAY)
    assert world.dispatcher.run_once().reconciled == 0
    base = world.app.composer.policy.retry_base_seconds
    world.clock.advance(timedelta(seconds=2 * base + 1) - RECONCILE_DELAY)
    outcome = world.dispatcher.run_once()
    assert outcome.reconciled == 1
    assert outcome.sent == 1
    assert len(world.twilio.sent) == 1
    assert world.alerts()[0].state == AlertState.SENT


def test_it_reconciles_a_timeout_instead_of_sending_twice(world: World, tmp_path: Path) -> None:
    import_one(world, tmp_path)
    world.twilio.delay_next(1.5)
    assert world.dispatcher.run_once().retried == 1
    assert world.twilio.wait_for_sent(1)
    world.clock.advance(RECONCILE_DELAY + timedelta(seconds=1))
    outcome = world.dispatcher.run_once()
    # Found at Twilio: recorded as sent with Twilio's sid, not sent again.
    assert (outcome.reconciled, outcome.recovered, outcome.sent) == (1, 1, 0)
    [alert] = world.alerts()
    assert alert.state == AlertState.SENT
    assert alert.provider_sid == world.twilio.sent[0].sid
    assert len(world.twilio.sent) == 1


def test_it_stops_texting_a_number_that_opted_out_at_twilio(world: World, tmp_path: Path) -> None:
    import_one(world, tmp_path)
    world.twilio.opt_out(PHONE)
    assert world.dispatcher.run_once().failed == 1
    [alert] = world.alerts()
    assert (alert.state, alert.error_code) == (AlertState.FAILED, 21610)
    assert world.parolee().sms_consent_withdrawn_at == NOW


def test_it_flags_an_invalid_number_as_unreachable(world: World, tmp_path: Path) -> None:
    import_one(world, tmp_path)
    world.twilio.invalid_number(PHONE)
    assert world.dispatcher.run_once().failed == 1
    assert world.alerts()[0].error_code == 21211
    parolee = world.parolee()
    assert parolee.unreachable_at == NOW
    assert world.dispatcher.run_once().sent == 0


def test_it_refuses_a_wrong_signature_and_changes_nothing(world: World, tmp_path: Path) -> None:
    import_one(world, tmp_path)
    before = table_counts(world.app.engine)
    url = f"{PUBLIC}/webhooks/twilio/inbound"
    params = {"MessageSid": "SM" + "2" * 32, "From": PHONE, "Body": "STOP"}
    for headers in ({"X-Twilio-Signature": "forged"}, {}):
        assert world.web.post(url, data=params, headers=headers).status_code == 403
    status_url = f"{PUBLIC}/webhooks/twilio/status"
    forged = {"MessageSid": "SMx", "MessageStatus": "delivered"}
    assert (
        world.web.post(status_url, data=forged, headers={"X-Twilio-Signature": "x"}).status_code
        == 403
    )
    assert table_counts(world.app.engine) == before
    assert world.parolee().sms_consent_withdrawn_at is None


def test_it_answers_help_dates_and_a_language_code(world: World, tmp_path: Path) -> None:
    import_one(world, tmp_path)
    assert "<Message>" in world.reply("HELP", sid="SM" + "3" * 32).text
    dates = world.reply("dates", sid="SM" + "4" * 32).text
    assert "2027" in dates
    spanish = world.reply("ES", sid="SM" + "5" * 32)
    assert world.parolee().language == "es"
    assert "<Message>" in spanish.text
    # The same webhook delivered twice is answered the same way and applied once.
    again = world.reply("ES", sid="SM" + "5" * 32)
    assert again.text == spanish.text
    with session_scope(world.app.engine) as session:
        assert len(session.exec(select(InboundMessage)).all()) == 3
    # The welcome, planned in English, goes in Spanish: it is written as it is sent.
    world.dispatcher.run_once()
    [alert] = world.alerts()
    assert alert.language == "es"
    assert world.twilio.sent[-1].body.startswith("Parole Tracker: Le enviaremos")


def test_it_answers_an_unknown_number_without_keeping_it(world: World, tmp_path: Path) -> None:
    response = world.reply("hello", sid="SM" + "6" * 32, sender="+12025550999")
    assert response.status_code == 200
    with session_scope(world.app.engine) as session:
        [stored] = session.exec(select(InboundMessage)).all()
    assert (stored.parolee_id, stored.body, stored.intent) == (None, None, "unknown_number")


def test_it_plans_reminders_at_ten_local_across_a_dst_change(world: World, tmp_path: Path) -> None:
    # Parole ends on Sunday 2027-03-14, the day New York moves its clocks forward.
    world.clock.set(datetime(2026, 9, 1, 16, 0, tzinfo=UTC))
    import_one(world, tmp_path, expiry="2027-03-14")
    zone = ZoneInfo("America/New_York")
    # The sweep runs every few minutes in production; once a day is enough here.
    for day in range(200):
        world.clock.set(datetime(2026, 9, 1, 16, 0, tzinfo=UTC) + timedelta(days=day))
        plan_due(world.app.engine, world.app.composer, world.clock.now())
    reminders = [a for a in world.alerts() if a.kind == "parole_expiry"]
    assert {a.offset_days for a in reminders} == {180, 90, 60, 30, 14, 7, 3, 1, 0}
    for alert in reminders:
        local = alert.due_at.astimezone(zone)
        assert (local.hour, local.minute) == (10, 0), alert
        assert local.date() == alert.about_date - timedelta(days=alert.offset_days)


def test_it_welcomes_instead_of_back_filling_and_catches_up_only_the_newest(
    world: World, tmp_path: Path
) -> None:
    # Parole ends 2027-03-31: the 180-day reminder (2026-10-02) passed before the import.
    import_one(world, tmp_path, expiry="2027-03-31")
    plan_due(world.app.engine, world.app.composer, world.clock.now())
    assert [a.kind for a in world.alerts()] == ["welcome"]

    def reminders() -> list[tuple[int, AlertState]]:
        found = [a for a in world.alerts() if a.kind == "parole_expiry"]
        return sorted((a.offset_days, a.state) for a in found)

    # Down from now until 2027-01-20: the 90-day reminder (2026-12-31) was missed.
    world.clock.set(datetime(2027, 1, 20, 17, 0, tzinfo=UTC))
    plan_due(world.app.engine, world.app.composer, world.clock.now())
    assert reminders() == [(90, AlertState.PLANNED)]
    [late] = [a for a in world.alerts() if a.kind == "parole_expiry"]
    assert late.due_at == world.clock.now()  # noon in New York: inside the window
    assert late.body is None  # written when it goes, with the days left then

    # Down again until 2027-03-25: 60, 30, 14 and 7 days passed; only the 7-day one goes.
    world.clock.set(datetime(2027, 3, 25, 17, 0, tzinfo=UTC))
    plan_due(world.app.engine, world.app.composer, world.clock.now())
    # The unsent 90-day reminder is superseded by the newer one: no burst.
    assert reminders() == [(7, AlertState.PLANNED), (90, AlertState.SUPPRESSED)]
    outcome = world.dispatcher.run_once()
    assert outcome.sent == 2  # the welcome and the 7-day reminder
    assert reminders() == [(7, AlertState.SENT), (90, AlertState.SUPPRESSED)]
    assert "31 March 2027 (in 6 days)" in world.twilio.sent[-1].body


def test_it_tells_once_when_a_date_moves_and_cancels_what_no_longer_applies(
    world: World, tmp_path: Path
) -> None:
    # Parole ends 2026-12-01: the 3-day reminder (2026-11-28) passed, the 1-day one is due
    # 2026-11-30 and so within the planning horizon.
    import_one(world, tmp_path, expiry="2026-12-01")
    world.dispatcher.run_once()  # the welcome goes
    plan_due(world.app.engine, world.app.composer, world.clock.now())
    assert {(a.kind, a.offset_days) for a in world.alerts()} >= {("parole_expiry", 1)}
    # A re-parole moves the end a year later, in one transaction with the re-plan.
    import_one(world, tmp_path, expiry="2027-12-01")
    alerts = {(a.kind, a.offset_days): a for a in world.alerts()}
    assert alerts[("parole_expiry", 1)].state == AlertState.CANCELLED
    assert alerts[("parole_expiry", 1)].reason == "the date moved or no longer applies"
    changed = alerts[("date_changed", 0)]
    assert changed.state == AlertState.PLANNED
    world.dispatcher.run_once()
    assert "Parole ends: now 1 December 2027, was 1 December 2026" in world.twilio.sent[-1].body
    # Planning again adds no second "your date changed" message.
    import_one(world, tmp_path, expiry="2027-12-01")
    plan_due(world.app.engine, world.app.composer, world.clock.now())
    assert sum(a.kind == "date_changed" for a in world.alerts()) == 1


def test_it_keeps_personal_data_out_of_logs_in_the_main_flows(
    world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    import_one(world, tmp_path)
    # A send that times out, its reconciliation, a delivery report and two replies.
    world.twilio.delay_next(1.5)
    world.dispatcher.run_once()
    world.twilio.wait_for_sent(1)
    world.clock.advance(RECONCILE_DELAY)
    world.clock.advance(RECONCILE_DELAY)
    world.dispatcher.run_once()
    [alert] = world.alerts()
    assert alert.provider_sid is not None
    world.twilio.deliver(alert.provider_sid, "undelivered", 30003, client=world.web)
    world.reply("DATES", sid="SM" + "7" * 32)
    world.reply("STOP", sid="SM" + "8" * 32)
    text = "\n".join(f"{r.name}: {r.getMessage()}" for r in caplog.records)
    assert caplog.records, "nothing was logged: the test would prove nothing"
    for secret in (PHONE, PHONE[2:], "Test Person"):
        assert secret not in text, f"{secret!r} appears in the logs:\n{text}"


def test_it_applies_a_reply_to_everyone_who_shares_the_phone(world: World, tmp_path: Path) -> None:
    rows = [
        a_case(external_id=ref, full_name=name, phone=PHONE, parole_expiry=expiry)
        for ref, name, expiry in (
            ("F1", "Parent Person", "2027-08-31"),
            ("F2", "Child Person", "2027-09-30"),
        )
    ]
    assert import_cases(world.app, tmp_path / "family.csv", rows, SMS_COLUMNS).errors == []
    dates = world.reply("DATES", sid="SM" + "9" * 32).text
    assert "31 August 2027" in dates and "30 September 2027" in dates
    world.reply("STOP", sid="SM" + "a" * 32)
    with session_scope(world.app.engine) as session:
        family = session.exec(select(Parolee).where(phone_is(KEYRING, PHONE))).all()
    assert [p.sms_consent_withdrawn_at for p in family] == [NOW, NOW]
    assert world.dispatcher.run_once().sent == 0


def test_it_records_stop_and_start_in_the_consent_history(world: World, tmp_path: Path) -> None:
    import_one(world, tmp_path)
    world.reply("STOP", sid="SM" + "b" * 32)
    world.clock.advance(timedelta(hours=1))
    world.reply("START", sid="SM" + "c" * 32)
    with session_scope(world.app.engine) as session:
        steps = session.exec(select(ConsentEvent).order_by(ConsentEvent.id)).all()  # type: ignore[arg-type]
    assert [(s.given, s.how) for s in steps] == [(True, "import"), (False, "sms"), (True, "sms")]
    assert world.parolee().sms_consent_withdrawn_at is None
