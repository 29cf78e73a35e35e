"""TwilioBackend drives the real twilio SDK against the fake Twilio server on loopback."""

import io
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Protocol

import httpx
import pytest
from twilio.request_validator import RequestValidator

from tests.fakes.loopback import free_port
from tests.fakes.twilio_server import CallbackSink, FakeTwilioServer
from tracker.clock import FixedClock
from tracker.settings import Settings, load_settings
from tracker.sms.base import SmsError, SmsErrorKind
from tracker.sms.console import ConsoleBackend
from tracker.sms.factory import make_backend
from tracker.sms.httpx_client import HttpxTwilioClient
from tracker.sms.twilio_backend import CLOCK_SKEW, TwilioBackend, classify_callback_error

from ..conftest import NOW

TO = "+15551230001"
OTHER = "+15551230002"
BODY = "Reminder: your re-parole application is due on 2026-12-31."
CALLBACK_PATH = "/webhooks/twilio/status?alert=42"
SHORT_TIMEOUT = 0.2


class Backends(Protocol):
    def __call__(
        self,
        timeout: float = 5.0,
        *,
        service: bool = True,
        token: str | None = None,
        from_number: str | None = None,
        base_url: str | None = None,
    ) -> TwilioBackend: ...


def twilio_settings(
    server: FakeTwilioServer,
    *,
    service: bool = True,
    token: str | None = None,
    from_number: str | None = None,
    base_url: str | None = None,
) -> Settings:
    return load_settings(
        sms_backend="twilio",
        twilio_account_sid=server.account_sid,
        twilio_auth_token=token or server.auth_token,
        twilio_messaging_service_sid=server.messaging_service_sid if service else None,
        twilio_from_number=None if service else (from_number or server.from_number),
        twilio_api_base_url=base_url or server.base_url,
    )


@pytest.fixture
def backends(twilio_server: FakeTwilioServer) -> Iterator[Backends]:
    """Makes TwilioBackends on the fake; closes their httpx clients afterwards."""
    clients: list[httpx.Client] = []

    def make(
        timeout: float = 5.0,
        *,
        service: bool = True,
        token: str | None = None,
        from_number: str | None = None,
        base_url: str | None = None,
    ) -> TwilioBackend:
        settings = twilio_settings(
            twilio_server, service=service, token=token, from_number=from_number, base_url=base_url
        )
        http = httpx.Client(timeout=timeout)
        clients.append(http)
        return TwilioBackend(settings, http=http)

    yield make
    for client in clients:
        client.close()


def raised(action: Callable[[], object]) -> SmsError:
    with pytest.raises(SmsError) as caught:
        action()
    return caught.value


def fixed(instant: datetime) -> Callable[[], datetime]:
    return lambda: instant


# -- sending ----------------------------------------------------------------------------------


def test_it_sends_through_the_messaging_service_with_the_status_callback(
    twilio_server: FakeTwilioServer, backends: Backends
) -> None:
    backend = backends(service=True)

    result = backend.send(TO, BODY, "https://tracker.example.org" + CALLBACK_PATH)

    [sent] = twilio_server.sent
    assert result.sid == sent.sid and result.sid.startswith("SM")
    assert result.status == "accepted"  # from the create answer, not a later state
    assert sent.messaging_service_sid == twilio_server.messaging_service_sid
    assert sent.from_ is None
    assert (sent.to, sent.body) == (TO, BODY)
    assert sent.status_callback == "https://tracker.example.org" + CALLBACK_PATH
    [request] = [r for r in twilio_server.requests if r.method == "POST"]
    assert "From" not in request.form
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_it_sends_from_the_number_when_there_is_no_messaging_service(
    twilio_server: FakeTwilioServer, backends: Backends
) -> None:
    backend = backends(service=False)

    result = backend.send(TO, BODY, None)

    [sent] = twilio_server.sent
    assert (result.sid, result.status) == (sent.sid, "queued")
    assert sent.from_ == twilio_server.from_number
    assert sent.messaging_service_sid is None
    assert sent.status_callback is None
    [request] = [r for r in twilio_server.requests if r.method == "POST"]
    assert set(request.form) == {"To", "From", "Body"}


def test_it_reports_rate_limited_and_succeeds_when_the_caller_retries(
    twilio_server: FakeTwilioServer, backends: Backends
) -> None:
    backend = backends()
    twilio_server.fail_next(429)

    error = raised(lambda: backend.send(TO, BODY, None))
    result = backend.send(TO, BODY, None)

    assert (error.kind, error.code) == (SmsErrorKind.RATE_LIMITED, 20429)
    assert [m.sid for m in twilio_server.sent] == [result.sid]


def test_it_reports_rate_limited_for_a_bare_429(
    twilio_server: FakeTwilioServer, backends: Backends
) -> None:
    twilio_server.fail_next(429, raw_body="Too Many Requests")

    error = raised(lambda: backends().send(TO, BODY, None))

    assert error.kind is SmsErrorKind.RATE_LIMITED


@pytest.mark.parametrize("status", [500, 502, 503])
def test_it_reports_maybe_sent_on_a_server_error(
    twilio_server: FakeTwilioServer, backends: Backends, status: int
) -> None:
    twilio_server.fail_next(status)

    error = raised(lambda: backends().send(TO, BODY, None))

    assert error.kind is SmsErrorKind.MAYBE_SENT


def test_it_finds_a_message_that_a_server_error_hid(
    twilio_server: FakeTwilioServer, backends: Backends
) -> None:
    backend = backends()
    since = datetime.now(UTC)
    twilio_server.fail_next(500, record=True)

    error = raised(lambda: backend.send(TO, BODY, None))
    found = backend.find_sent(TO, BODY, since)

    assert error.kind is SmsErrorKind.MAYBE_SENT
    assert found is not None and found.sid == twilio_server.sent[0].sid


def test_it_reports_maybe_sent_on_a_read_timeout_and_then_finds_the_message(
    twilio_server: FakeTwilioServer, backends: Backends
) -> None:
    backend = backends(timeout=SHORT_TIMEOUT)
    since = datetime.now(UTC)
    twilio_server.delay_next(5.0)  # the fake's stop() cuts this short

    error = raised(lambda: backend.send(TO, BODY, None))

    assert error.kind is SmsErrorKind.MAYBE_SENT
    assert twilio_server.wait_for_sent(1)
    found = backend.find_sent(TO, BODY, since)
    assert found is not None
    assert (found.sid, found.status) == (twilio_server.sent[0].sid, "sent")


def test_it_finds_a_message_still_queued_without_a_sent_date(
    twilio_server: FakeTwilioServer, backends: Backends
) -> None:
    backend = backends(timeout=SHORT_TIMEOUT, service=False)
    twilio_server.auto_send = False
    since = datetime.now(UTC)
    twilio_server.delay_next(5.0)

    error = raised(lambda: backend.send(TO, BODY, None))
    assert twilio_server.wait_for_sent(1)
    found = backend.find_sent(TO, BODY, since)

    assert error.kind is SmsErrorKind.MAYBE_SENT
    assert found is not None and (found.sid, found.status) == (twilio_server.sent[0].sid, "queued")
    lists = [r.query for r in twilio_server.requests if r.method == "GET"]
    assert lists[0]["DateSent>"] == (since - CLOCK_SKEW).date().isoformat()
    assert "DateSent>" not in lists[1]


def test_it_reports_transient_when_the_connection_is_refused(
    twilio_server: FakeTwilioServer, backends: Backends
) -> None:
    backend = backends(base_url=f"http://127.0.0.1:{free_port()}")

    send_error = raised(lambda: backend.send(TO, BODY, None))
    find_error = raised(lambda: backend.find_sent(TO, BODY, datetime.now(UTC)))

    assert send_error.kind is SmsErrorKind.TRANSIENT
    assert find_error.kind is SmsErrorKind.TRANSIENT
    assert twilio_server.requests == []


def test_it_reports_opted_out_recipients(
    twilio_server: FakeTwilioServer, backends: Backends
) -> None:
    twilio_server.opt_out(TO)

    error = raised(lambda: backends().send(TO, BODY, None))

    assert (error.kind, error.code) == (SmsErrorKind.OPTED_OUT, 21610)
    assert twilio_server.sent == []


@pytest.mark.parametrize("code", [21211, 21614, 21635])
def test_it_reports_numbers_that_cannot_get_sms_as_unreachable(
    twilio_server: FakeTwilioServer, backends: Backends, code: int
) -> None:
    twilio_server.number_error(TO, code)

    error = raised(lambda: backends().send(TO, BODY, None))

    assert (error.kind, error.code) == (SmsErrorKind.UNREACHABLE, code)


def test_it_reports_a_malformed_number_as_unreachable(backends: Backends) -> None:
    error = raised(lambda: backends().send("+1555", BODY, None))

    assert (error.kind, error.code) == (SmsErrorKind.UNREACHABLE, 21211)


def test_it_reports_bad_credentials_as_configuration(
    twilio_server: FakeTwilioServer, backends: Backends
) -> None:
    backend = backends(token="0" * 32)

    send_error = raised(lambda: backend.send(TO, BODY, None))
    find_error = raised(lambda: backend.find_sent(TO, BODY, datetime.now(UTC)))

    assert (send_error.kind, send_error.code) == (SmsErrorKind.CONFIGURATION, 20003)
    assert find_error.kind is SmsErrorKind.CONFIGURATION
    assert twilio_server.sent == []


@pytest.mark.parametrize("code", [21606, 21212, 21408])
def test_it_reports_sender_and_region_errors_as_configuration(
    twilio_server: FakeTwilioServer, backends: Backends, code: int
) -> None:
    twilio_server.fail_next(400, code)

    error = raised(lambda: backends(service=False).send(TO, BODY, None))

    assert (error.kind, error.code) == (SmsErrorKind.CONFIGURATION, code)


def test_it_reports_a_from_number_the_account_does_not_own_as_configuration(
    backends: Backends,
) -> None:
    error = raised(lambda: backends(service=False, from_number="+15557770000").send(TO, BODY, None))

    assert (error.kind, error.code) == (SmsErrorKind.CONFIGURATION, 21606)


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (400, 21610, SmsErrorKind.OPTED_OUT),
        (400, 21211, SmsErrorKind.UNREACHABLE),
        (401, 20003, SmsErrorKind.CONFIGURATION),
        (429, 20429, SmsErrorKind.RATE_LIMITED),
        (400, 29999, SmsErrorKind.PERMANENT),
        (503, 20503, SmsErrorKind.MAYBE_SENT),
    ],
)
def test_it_classifies_a_problem_details_body(
    twilio_server: FakeTwilioServer,
    backends: Backends,
    status: int,
    code: int,
    kind: SmsErrorKind,
) -> None:
    """A `type`/`title` body raises TwilioServiceException, not TwilioRestException."""
    twilio_server.fail_next(status, code, problem=True)

    error = raised(lambda: backends().send(TO, BODY, None))

    assert (error.kind, error.code) == (kind, code)


@pytest.mark.parametrize(("status", "code"), [(400, 21617), (400, 29999), (404, 20404)])
def test_it_reports_other_client_errors_as_permanent(
    twilio_server: FakeTwilioServer, backends: Backends, status: int, code: int
) -> None:
    twilio_server.fail_next(status, code)

    error = raised(lambda: backends().send(TO, BODY, None))

    assert (error.kind, error.code) == (SmsErrorKind.PERMANENT, code)


def test_it_reports_an_unreadable_success_as_maybe_sent(
    twilio_server: FakeTwilioServer, backends: Backends
) -> None:
    twilio_server.fail_next(201, raw_body="<html>proxy</html>")

    error = raised(lambda: backends().send(TO, BODY, None))

    assert error.kind is SmsErrorKind.MAYBE_SENT


def test_it_reports_a_failed_lookup_as_transient(
    twilio_server: FakeTwilioServer, backends: Backends
) -> None:
    twilio_server.fail_next(500, method="GET")

    error = raised(lambda: backends().find_sent(TO, BODY, datetime.now(UTC)))

    assert error.kind is SmsErrorKind.TRANSIENT


# -- finding a message sent earlier -----------------------------------------------------------


def test_it_finds_only_the_newest_message_with_that_body_number_and_time(
    twilio_server: FakeTwilioServer, backends: Backends
) -> None:
    backend = backends()
    since = datetime(2026, 11, 29, 17, 0, 0, 500000, tzinfo=UTC)
    sends: list[tuple[timedelta, str, str]] = [
        (timedelta(days=-1), TO, BODY),  # an earlier day
        (timedelta(hours=-1), TO, BODY),  # the same day, earlier
        (timedelta(seconds=10), TO, BODY + " "),  # another body
        (timedelta(seconds=20), OTHER, BODY),  # another number
        (timedelta(seconds=30), TO, BODY),  # a match
        (timedelta(seconds=40), TO, BODY),  # the newest match
        (timedelta(seconds=50), TO, "Something else"),
    ]
    sids: list[str] = []
    for offset, to, body in sends:
        twilio_server.clock = fixed(since + offset)
        sids.append(backend.send(to, body, None).sid)

    found = backend.find_sent(TO, BODY, since)

    assert found is not None and found.sid == sids[5]
    assert backend.find_sent(TO, BODY, since + timedelta(minutes=1)) is None
    assert backend.find_sent(OTHER, BODY + "!", since) is None


def test_it_counts_a_message_created_in_the_same_second(
    twilio_server: FakeTwilioServer, backends: Backends
) -> None:
    """Twilio's timestamps have whole seconds: `since` with microseconds still matches."""
    backend = backends()
    since = datetime(2026, 11, 29, 17, 0, 0, 900000, tzinfo=UTC)
    twilio_server.clock = lambda: since

    sid = backend.send(TO, BODY, None).sid

    found = backend.find_sent(TO, BODY, since)
    assert found is not None and found.sid == sid


def test_it_finds_nothing_when_nothing_was_sent(backends: Backends) -> None:
    assert backends().find_sent(TO, BODY, datetime.now(UTC)) is None


# -- status callbacks -------------------------------------------------------------------------


def test_it_signs_status_callbacks_so_that_request_validator_accepts_them(
    twilio_server: FakeTwilioServer, backends: Backends, callback_sink: CallbackSink
) -> None:
    url = callback_sink.url + CALLBACK_PATH
    sid = backends().send(TO, BODY, url).sid

    answer = twilio_server.deliver(sid, "delivered")
    twilio_server.deliver(sid, "undelivered", 30003)

    assert answer is not None and answer.status_code == 204
    delivered, undelivered = callback_sink.received
    validator = RequestValidator(twilio_server.auth_token)
    signature = delivered.headers["X-Twilio-Signature"]
    assert delivered.url == url
    assert validator.validate(url, delivered.form, signature)
    assert not validator.validate(url.replace("42", "43"), delivered.form, signature)
    assert not RequestValidator("0" * 32).validate(url, delivered.form, signature)
    assert not validator.validate(url, {**delivered.form, "MessageStatus": "failed"}, signature)
    assert delivered.form["MessageSid"] == sid
    assert delivered.form["MessageStatus"] == delivered.form["SmsStatus"] == "delivered"
    assert delivered.form["To"] == TO
    assert delivered.form["AccountSid"] == twilio_server.account_sid
    assert delivered.form["ApiVersion"] == "2010-04-01"
    assert delivered.form["MessagingServiceSid"] == twilio_server.messaging_service_sid
    assert "ErrorCode" not in delivered.form
    assert validator.validate(url, undelivered.form, undelivered.headers["X-Twilio-Signature"])
    assert undelivered.form["ErrorCode"] == "30003"
    assert classify_callback_error(int(undelivered.form["ErrorCode"])) is SmsErrorKind.TRANSIENT
    assert twilio_server.message(sid)["status"] == "undelivered"


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (30003, SmsErrorKind.TRANSIENT),
        (30004, SmsErrorKind.PERMANENT),
        (30005, SmsErrorKind.PERMANENT),
        (30006, SmsErrorKind.UNREACHABLE),
        (30007, SmsErrorKind.PERMANENT),
        (30008, SmsErrorKind.PERMANENT),
        (30034, SmsErrorKind.CONFIGURATION),
        (21610, SmsErrorKind.OPTED_OUT),
        (39999, SmsErrorKind.PERMANENT),
        (None, SmsErrorKind.PERMANENT),
    ],
)
def test_it_classifies_callback_error_codes(code: int | None, kind: SmsErrorKind) -> None:
    assert classify_callback_error(code) is kind


# -- phone numbers stay out of output ---------------------------------------------------------


def test_it_never_logs_or_raises_a_full_number(
    twilio_server: FakeTwilioServer, backends: Backends, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    backend = backends()
    twilio_server.invalid_number(OTHER)  # Twilio's 21211 message quotes the number
    since = datetime.now(UTC)

    backend.send(TO, BODY, None)
    backend.find_sent(TO, BODY, since)
    error = raised(lambda: backend.send(OTHER, BODY, None))

    assert caplog.records
    for number in (TO, OTHER, TO[1:], OTHER[1:]):
        assert number not in caplog.text
        assert number not in str(error)
    assert "+1********02" in str(error)


def test_it_prints_console_messages_with_the_number_masked() -> None:
    out = io.StringIO()
    console = ConsoleBackend(stream=out)
    since = datetime.now(UTC)

    result = console.send("+15551234570", "x" * 200, None)

    line = out.getvalue()
    assert "+15551234570" not in line and "5551234570" not in line
    assert line == f"SMS to +1********70 (2 segments): {'x' * 40}…\n"
    assert result.sid.startswith("CONSOLE") and len(result.sid) == len("CONSOLE") + 32
    assert result.status == "sent"
    assert console.find_sent("+15551234570", "x" * 200, since) == result
    assert console.find_sent("+15551234571", "x" * 200, since) is None
    assert console.find_sent("+15551234570", "x" * 200, since + timedelta(hours=1)) is None


def test_it_prints_console_messages_to_stdout_by_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    ConsoleBackend().send(TO, "Hello\nthere", None)

    printed = capsys.readouterr().out
    assert printed == "SMS to +1********01 (1 segment): Hello there\n"
    assert TO not in printed


# -- wiring -----------------------------------------------------------------------------------


def test_it_makes_the_backend_the_settings_ask_for(twilio_server: FakeTwilioServer) -> None:
    clock = FixedClock(NOW)
    console = make_backend(load_settings(sms_backend="console"), clock=clock)
    assert isinstance(console, ConsoleBackend)
    console.send(TO, "Hello", None)
    # The app's clock, not the machine's, stamps what the console backend keeps.
    assert console.messages[0].sent_at == NOW
    twilio = make_backend(twilio_settings(twilio_server), clock=clock)
    assert isinstance(twilio, TwilioBackend)
    twilio.close()


def test_it_rewrites_only_twilio_api_hosts() -> None:
    with httpx.Client() as http:
        client = HttpxTwilioClient(http, base_url="http://127.0.0.1:8080/")
        default = HttpxTwilioClient(http)

    path = "/2010-04-01/Accounts/AC1/Messages.json"
    assert client.rewrite("https://api.twilio.com" + path) == "http://127.0.0.1:8080" + path
    assert client.rewrite("https://api.dublin.ie1.twilio.com" + path) == (
        "http://127.0.0.1:8080" + path
    )
    assert client.rewrite("https://example.org" + path) == "https://example.org" + path
    assert default.rewrite("https://api.twilio.com" + path) == "https://api.twilio.com" + path


def test_it_refuses_to_send_credentials_in_clear_text_off_loopback() -> None:
    with pytest.raises(ValueError, match="loopback"):
        HttpxTwilioClient(base_url="http://api.example.org")
