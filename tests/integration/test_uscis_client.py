"""UscisClient over real HTTP against the fake USCIS server on loopback.

Time is a FakeTime shared by the client and the fake: sleeps are recorded, not waited,
and tokens expire when the test moves the clock. Nothing here reads the machine's clock
or zone.
"""

import itertools
import json
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

import httpx
import pytest
from pydantic import SecretStr

from tests.fakes.loopback import free_port
from tests.fakes.uscis_server import (
    SANDBOX_RECEIPTS_WITH_HISTORY,
    SANDBOX_RECEIPTS_WITHOUT_HISTORY,
    TOKEN_LIFETIME,
    FakeTime,
    FakeUscisServer,
)
from tracker.errors import SettingsError
from tracker.uscis.client import DEFAULT_TIMEOUT, UscisClient
from tracker.uscis.errors import (
    BadReceipt,
    CredentialsRejected,
    NotRecognised,
    QuotaExhausted,
    RateLimited,
    ServiceUnavailable,
    TemporaryFailure,
    UnexpectedResponse,
)
from tracker.uscis.ratelimit import InMemoryQuotaLedger, RetryPolicy, TokenBucket

# A Tuesday afternoon, inside the sandbox's office hours.
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
TODAY = date(2026, 3, 10)
RECEIPT = "EAC9999103402"  # a sandbox case without history
UNKNOWN = "IOE0912345678"


class Clients(Protocol):
    def __call__(
        self,
        *,
        ledger: InMemoryQuotaLedger | None = None,
        limiter: TokenBucket | None = None,
        secret: str | None = None,
        base_url: str | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> UscisClient: ...


@pytest.fixture
def time() -> FakeTime:
    return FakeTime(NOW)


@pytest.fixture
def uscis(time: FakeTime) -> Iterator[FakeUscisServer]:
    """The fake USCIS API on loopback, on the test's clock; fails the test on a fake bug."""
    server = FakeUscisServer(clock=time.now).start()
    try:
        yield server
    finally:
        server.stop()
    assert not server.errors, f"the fake USCIS server failed: {server.errors!r}"


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


@pytest.fixture
def clients(uscis: FakeUscisServer, http: httpx.Client, time: FakeTime) -> Clients:
    """UscisClients on the fake. Unless a test passes its own, the limiter lets 100 requests
    through back to back, so that `time.sleeps` holds the retry backoff alone."""

    def make(
        *,
        ledger: InMemoryQuotaLedger | None = None,
        limiter: TokenBucket | None = None,
        secret: str | None = None,
        base_url: str | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> UscisClient:
        return UscisClient(
            http,
            client_id=uscis.client_id,
            client_secret=SecretStr(secret or uscis.client_secret),
            clock=time,
            ledger=ledger or InMemoryQuotaLedger(),
            base_url=base_url or uscis.base_url,
            limiter=limiter or TokenBucket(burst=100, clock=time, sleep=time.sleep),
            retry=RetryPolicy(max_attempts=4, base_delay=1.0),
            sleep=time.sleep,
            jitter=lambda: 0.5,
            timeout=timeout,
        )

    return make


# -- reading a status ----------------------------------------------------------------------


def test_it_reads_a_sandbox_case_whose_history_is_null(
    clients: Clients, uscis: FakeUscisServer
) -> None:
    status = clients().status(RECEIPT)

    case = uscis.case(RECEIPT)
    assert status.receipt == RECEIPT
    assert (status.form_type, status.status_en, status.status_es) == (
        case.form_type,
        case.text_en,
        case.text_es,
    )
    assert status.modified_at == case.modified.replace(microsecond=0)
    assert status.modified_at is not None and status.modified_at.tzinfo is not None
    assert status.history == ()
    assert status.raw["case_status"]["hist_case_status"] is None


def test_it_reads_a_sandbox_case_with_history(clients: Clients) -> None:
    status = clients().status(SANDBOX_RECEIPTS_WITH_HISTORY[0])

    assert [event.text_en for event in status.history] == ["Case Was Received"]
    assert status.history[0].at == datetime(2023, 9, 5, 18, 28, 46, tzinfo=UTC)


def test_every_sandbox_receipt_answers(clients: Clients) -> None:
    client = clients()

    for receipt in (*SANDBOX_RECEIPTS_WITH_HISTORY, *SANDBOX_RECEIPTS_WITHOUT_HISTORY):
        assert client.status(receipt).receipt == receipt


def test_a_status_change_shows_on_the_next_poll(
    clients: Clients, uscis: FakeUscisServer, time: FakeTime
) -> None:
    client = clients()
    uscis.add_case(UNKNOWN, form_type="I-131", with_history=True)
    assert client.status(UNKNOWN).status_en == "Case Was Received"

    time.advance(timedelta(days=20))
    uscis.set_status(UNKNOWN, "Case Was Approved", "Caso Fue Aprobado")
    status = client.status(UNKNOWN)

    assert (status.status_en, status.status_es) == ("Case Was Approved", "Caso Fue Aprobado")
    assert status.modified_at == NOW + timedelta(days=20)
    assert [(e.at, e.text_en) for e in status.history] == [(NOW, "Case Was Received")]


def test_it_sends_the_receipt_normalised(clients: Clients, uscis: FakeUscisServer) -> None:
    clients().status(" eac-9999-103402 ")

    assert [r.path for r in uscis.status_requests] == [f"/case-status/{RECEIPT}"]


def test_a_malformed_receipt_is_refused_before_anything_is_sent(
    clients: Clients, uscis: FakeUscisServer
) -> None:
    with pytest.raises(BadReceipt) as caught:
        clients().status("EAC99991034")

    assert "'EAC99991034'" in caught.value.message
    assert uscis.requests == []


def test_an_unknown_receipt_is_not_recognised(clients: Clients) -> None:
    with pytest.raises(NotRecognised) as caught:
        clients().status(UNKNOWN)

    assert caught.value.receipt == UNKNOWN
    assert UNKNOWN in caught.value.message


def test_a_422_is_a_bad_receipt(clients: Clients, uscis: FakeUscisServer) -> None:
    uscis.answer_next(422)

    with pytest.raises(BadReceipt) as caught:
        clients().status(RECEIPT)

    assert caught.value.receipt == RECEIPT
    assert len(uscis.status_requests) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("<html>Service Temporarily Unavailable</html>", "the body"),
        (json.dumps({"case_status": None, "message": "Query was successful"}), "case_status"),
        (
            json.dumps({"case_status": {"receiptNumber": RECEIPT, "formType": "I-130"}}),
            "case_status.current_case_status_text_en",
        ),
    ],
)
def test_an_unreadable_answer_names_the_field(
    clients: Clients, uscis: FakeUscisServer, body: str, field: str
) -> None:
    uscis.answer_next(200, body=body)

    with pytest.raises(UnexpectedResponse) as caught:
        clients().status(RECEIPT)

    assert caught.value.field == field
    assert RECEIPT in caught.value.message


# -- tokens ----------------------------------------------------------------------------------


def test_it_fetches_one_token_and_reuses_it(clients: Clients, uscis: FakeUscisServer) -> None:
    client = clients()

    for receipt in SANDBOX_RECEIPTS_WITHOUT_HISTORY[:3]:
        client.status(receipt)

    [token_request] = uscis.token_requests
    assert token_request.form["grant_type"] == "client_credentials"
    assert token_request.form["client_id"] == uscis.client_id
    assert len({r.bearer for r in uscis.status_requests}) == 1


def test_it_renews_the_token_a_minute_before_it_runs_out(
    clients: Clients, uscis: FakeUscisServer, time: FakeTime
) -> None:
    client = clients()
    client.status(RECEIPT)

    time.advance(timedelta(seconds=TOKEN_LIFETIME - 61))
    client.status(RECEIPT)
    assert len(uscis.token_requests) == 1

    time.advance(timedelta(seconds=1))
    client.status(RECEIPT)
    assert len(uscis.token_requests) == 2
    first, second, third = (r.bearer for r in uscis.status_requests)
    assert first == second != third


def test_it_never_sends_a_token_the_server_would_call_expired(
    clients: Clients, uscis: FakeUscisServer, time: FakeTime
) -> None:
    client = clients()
    client.status(RECEIPT)

    time.advance(timedelta(hours=5))
    client.status(RECEIPT)

    assert len(uscis.token_requests) == 2
    assert len(uscis.status_requests) == 2


def test_a_refused_token_is_renewed_and_the_request_tried_once_more(
    clients: Clients, uscis: FakeUscisServer
) -> None:
    client = clients()
    client.status(RECEIPT)
    uscis.revoke_tokens()

    assert client.status(RECEIPT).receipt == RECEIPT

    assert len(uscis.token_requests) == 2
    assert len(uscis.status_requests) == 3


def test_it_gives_up_when_the_new_token_is_refused_too(
    clients: Clients, uscis: FakeUscisServer
) -> None:
    uscis.answer_next(401, times=2)

    with pytest.raises(CredentialsRejected) as caught:
        clients().status(RECEIPT)

    assert RECEIPT in caught.value.message
    assert len(uscis.token_requests) == 2
    assert len(uscis.status_requests) == 2


def test_wrong_credentials_are_reported_without_the_secret(
    clients: Clients, uscis: FakeUscisServer
) -> None:
    with pytest.raises(CredentialsRejected) as caught:
        clients(secret="wrong-secret-value").status(RECEIPT)

    assert "USCIS_CLIENT_SECRET" in caught.value.message
    assert "wrong-secret-value" not in caught.value.message
    assert len(uscis.token_requests) == 1
    assert uscis.status_requests == []


def test_a_token_request_is_retried_after_a_server_error(
    clients: Clients, uscis: FakeUscisServer, time: FakeTime
) -> None:
    uscis.answer_next(500, endpoint="token")

    clients().status(RECEIPT)

    assert len(uscis.token_requests) == 2
    assert time.sleeps == [0.75]


def test_concurrent_lookups_share_one_token(clients: Clients, uscis: FakeUscisServer) -> None:
    client = clients()

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(client.status, SANDBOX_RECEIPTS_WITHOUT_HISTORY[:8]))

    assert [s.receipt for s in statuses] == list(SANDBOX_RECEIPTS_WITHOUT_HISTORY[:8])
    assert len(uscis.token_requests) == 1


# -- refusals, retries and backoff ---------------------------------------------------------


def test_a_429_waits_as_long_as_retry_after_says(
    clients: Clients, uscis: FakeUscisServer, time: FakeTime
) -> None:
    uscis.answer_next(429, retry_after="7")

    assert clients().status(RECEIPT).receipt == RECEIPT

    assert time.sleeps == [7.0]
    assert len(uscis.status_requests) == 2


def test_server_errors_are_retried_with_exponential_backoff(
    clients: Clients, uscis: FakeUscisServer, time: FakeTime
) -> None:
    uscis.answer_next(500)
    uscis.answer_next(502)
    uscis.answer_next(504)

    clients().status(RECEIPT)

    # 1 s, 2 s, 4 s, each with jitter 0.5: three quarters of it.
    assert time.sleeps == [0.75, 1.5, 3.0]
    assert len(uscis.status_requests) == 4


def test_it_stops_after_the_last_try(
    clients: Clients, uscis: FakeUscisServer, time: FakeTime
) -> None:
    uscis.answer_next(502, times=4)

    with pytest.raises(TemporaryFailure) as caught:
        clients().status(RECEIPT)

    assert type(caught.value) is TemporaryFailure
    assert "HTTP 502" in caught.value.message and RECEIPT in caught.value.message
    assert len(uscis.status_requests) == 4
    assert len(time.sleeps) == 3


def test_429s_to_the_last_try_are_rate_limited(clients: Clients, uscis: FakeUscisServer) -> None:
    uscis.answer_next(429, times=4, retry_after="2")

    with pytest.raises(RateLimited) as caught:
        clients().status(RECEIPT)

    assert caught.value.retry_after == 2.0
    assert len(uscis.status_requests) == 4


def test_a_retry_after_longer_than_a_minute_is_not_waited_out(
    clients: Clients, uscis: FakeUscisServer, time: FakeTime
) -> None:
    uscis.answer_next(429, retry_after="3600")

    with pytest.raises(RateLimited) as caught:
        clients().status(RECEIPT)

    assert caught.value.retry_after == 3600.0
    assert time.sleeps == []
    assert len(uscis.status_requests) == 1


def test_a_503_is_service_unavailable_at_once(
    clients: Clients, uscis: FakeUscisServer, time: FakeTime
) -> None:
    uscis.answer_next(503, retry_after="Tue, 10 Mar 2026 16:00:00 GMT")

    with pytest.raises(ServiceUnavailable) as caught:
        clients().status(RECEIPT)

    assert caught.value.retry_after == 3600.0
    assert RECEIPT in caught.value.message
    assert time.sleeps == []
    assert len(uscis.status_requests) == 1


def test_outside_service_hours_every_lookup_is_unavailable(
    clients: Clients, uscis: FakeUscisServer
) -> None:
    uscis.closed = True
    client = clients()

    for receipt in SANDBOX_RECEIPTS_WITHOUT_HISTORY[:2]:
        with pytest.raises(ServiceUnavailable):
            client.status(receipt)

    assert len(uscis.status_requests) == 2


def test_a_slow_answer_times_out_and_is_tried_again(
    clients: Clients, uscis: FakeUscisServer, time: FakeTime
) -> None:
    client = clients(timeout=httpx.Timeout(5.0, read=0.05))
    client.status(RECEIPT)  # the token first, so that the delay hits the status request
    uscis.delay_next(2.0)

    assert client.status(RECEIPT).receipt == RECEIPT

    assert len(uscis.status_requests) == 3
    assert time.sleeps == [0.75]


def test_no_server_at_all_fails_after_the_last_try(clients: Clients, time: FakeTime) -> None:
    client = clients(base_url=f"http://127.0.0.1:{free_port()}")

    with pytest.raises(TemporaryFailure) as caught:
        client.status(RECEIPT)

    assert "ConnectError" in caught.value.message and RECEIPT in caught.value.message
    assert time.sleeps == [0.75, 1.5, 3.0]


# -- quota and pace --------------------------------------------------------------------------


def test_the_daily_quota_is_never_exceeded(clients: Clients, uscis: FakeUscisServer) -> None:
    ledger = InMemoryQuotaLedger(budget=5)
    client = clients(ledger=ledger)
    refused = 0

    for receipt in SANDBOX_RECEIPTS_WITHOUT_HISTORY[:7]:
        try:
            client.status(receipt)
        except QuotaExhausted as error:
            assert receipt in error.message and "5 requests" in error.message
            refused += 1

    assert refused == 2
    assert len(uscis.status_requests) == 5
    assert ledger.used(TODAY) == 5


def test_every_try_counts_against_the_quota(clients: Clients, uscis: FakeUscisServer) -> None:
    ledger = InMemoryQuotaLedger(budget=3)
    client = clients(ledger=ledger)
    uscis.answer_next(500)
    client.status(RECEIPT)
    uscis.answer_next(500)

    with pytest.raises(QuotaExhausted):
        client.status(RECEIPT)

    assert len(uscis.status_requests) == 3
    assert ledger.used(TODAY) == 3


def test_the_quota_starts_again_at_midnight_gmt(
    clients: Clients, uscis: FakeUscisServer, time: FakeTime
) -> None:
    ledger = InMemoryQuotaLedger(budget=1)
    client = clients(ledger=ledger)
    time.advance(timedelta(hours=8, minutes=59, seconds=59))  # 23:59:59 GMT, 19:59:59 in NY
    client.status(RECEIPT)
    with pytest.raises(QuotaExhausted):
        client.status(RECEIPT)

    time.advance(timedelta(seconds=1))
    client.status(RECEIPT)

    assert (ledger.used(TODAY), ledger.used(TODAY + timedelta(days=1))) == (1, 1)
    assert len(uscis.status_requests) == 2


def test_requests_are_spaced_by_the_rate_limiter(
    clients: Clients, uscis: FakeUscisServer, time: FakeTime
) -> None:
    client = clients(limiter=TokenBucket(clock=time, sleep=time.sleep))

    for receipt in SANDBOX_RECEIPTS_WITHOUT_HISTORY[:4]:
        client.status(receipt)

    assert time.sleeps == pytest.approx([0.1] * 4)  # the token request went first, free
    moments = [r.at for r in uscis.requests]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(moments)]
    assert gaps == pytest.approx([0.1] * 4)


# -- configuration and logs ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["http://api-int.uscis.gov", "ftp://127.0.0.1", "api-int.uscis.gov"]
)
def test_the_base_url_must_be_https_or_on_loopback(http: httpx.Client, url: str) -> None:
    with pytest.raises(ValueError):
        UscisClient(
            http,
            client_id="id",
            client_secret=SecretStr("secret"),
            clock=FakeTime(NOW),
            ledger=InMemoryQuotaLedger(),
            base_url=url,
        )


def test_it_needs_credentials(http: httpx.Client) -> None:
    with pytest.raises(SettingsError, match="USCIS_CLIENT_ID"):
        UscisClient(
            http,
            client_id="",
            client_secret=SecretStr(""),
            clock=FakeTime(NOW),
            ledger=InMemoryQuotaLedger(),
        )


def test_no_token_or_secret_reaches_the_log(
    clients: Clients, uscis: FakeUscisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = clients()
    client.status(RECEIPT)
    uscis.revoke_tokens()
    uscis.answer_next(500)
    client.status(RECEIPT)

    tokens = {r.bearer for r in uscis.status_requests if r.bearer}
    assert len(tokens) == 2
    assert RECEIPT in caplog.text
    for secret in (uscis.client_secret, *tokens):
        assert secret not in caplog.text


# -- the fake speaks USCIS's wire format ------------------------------------------------------


def token_of(http: httpx.Client, uscis: FakeUscisServer) -> str:
    answer = http.post(
        f"{uscis.base_url}/oauth/accesstoken",
        data={
            "grant_type": "client_credentials",
            "client_id": uscis.client_id,
            "client_secret": uscis.client_secret,
        },
    )
    assert answer.status_code == 200
    body = answer.json()
    assert (body["expires_in"], body["token_type"]) == ("1799", "BearerToken")
    return str(body["access_token"])


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"grant_type": "password"}, 400, "invalid_request"),
        ({"grant_type": "client_credentials", "client_id": "someone"}, 401, "invalid_client"),
    ],
)
def test_the_fake_refuses_other_grants_and_clients(
    http: httpx.Client, uscis: FakeUscisServer, form: dict[str, str], status: int, error: str
) -> None:
    answer = http.post(f"{uscis.base_url}/oauth/accesstoken", data=form)

    assert (answer.status_code, answer.json()["ErrorCode"]) == (status, error)


def test_the_fake_refuses_a_missing_or_expired_token(
    http: httpx.Client, uscis: FakeUscisServer, time: FakeTime
) -> None:
    url = f"{uscis.base_url}/case-status/{RECEIPT}"
    token = token_of(http, uscis)
    assert http.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200

    missing = http.get(url)
    time.advance(timedelta(seconds=TOKEN_LIFETIME))
    expired = http.get(url, headers={"Authorization": f"Bearer {token}"})

    assert missing.status_code == expired.status_code == 401
    assert missing.json()["fault"]["detail"]["errorcode"] == "oauth.v2.InvalidAccessToken"
    assert expired.json()["fault"]["faultstring"] == "Access Token expired"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/case-status/EAC99991034", 422),
        ("/case-status/eac9999103402", 422),
        (f"/case-status/{UNKNOWN}", 404),
        ("/case-status", 404),
    ],
)
def test_the_fake_refuses_malformed_and_unknown_receipts(
    http: httpx.Client, uscis: FakeUscisServer, path: str, status: int
) -> None:
    token = token_of(http, uscis)

    answer = http.get(uscis.base_url + path, headers={"Authorization": f"Bearer {token}"})

    assert answer.status_code == status
