"""The USCIS Case Status API client: `UscisClient(...).status(receipt) -> CaseStatus`.

One lookup:

1. the receipt is normalised and checked (3 letters, 10 digits) before anything is sent;
2. a bearer token comes from the cache, or from `POST /oauth/accesstoken` (client
   credentials) when there is none or it is within `refresh_margin` of running out;
3. each try of `GET /case-status/{receipt}` spends one request of the day's quota
   (QuotaExhausted, nothing sent, once the budget is spent), waits for the rate limiter,
   then goes out;
4. 429, 5xx other than 503, and network errors are tried again with backoff; 503 means
   outside service hours and is raised at once;
5. a 401 fetches a new token and tries once more.

The quota counts case-status requests, every try included, and not token requests: the
10,000 a day belong to the Case Status API, and with 30-minute tokens the token requests
are a few dozen a day. If USCIS counts them too, a spent day ends in 429s (RateLimited),
not in anything worse. Token requests do go through the rate limiter.
"""

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from pydantic import SecretStr

from tracker.api_urls import api_base_url
from tracker.clock import Clock
from tracker.domain.identifiers import normalise_receipt
from tracker.errors import SettingsError
from tracker.uscis.errors import (
    BadReceipt,
    CredentialsRejected,
    NotRecognised,
    QuotaExhausted,
    RateLimited,
    ServiceUnavailable,
    TemporaryFailure,
    UnexpectedResponse,
    UscisError,
)
from tracker.uscis.ratelimit import (
    QuotaLedger,
    RetryPolicy,
    TokenBucket,
    parse_retry_after,
    utc_day,
)
from tracker.uscis.response import CaseStatus, parse_case_status, parse_token

SANDBOX_BASE_URL = "https://api-int.uscis.gov"
TOKEN_PATH = "/oauth/accesstoken"
STATUS_PATH = "/case-status/"
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=20.0, write=10.0, pool=5.0)
# Tokens last 30 minutes (expires_in 1799): renew a minute early, so that a token never
# runs out between the check and the request, whatever the clocks' skew.
REFRESH_MARGIN = timedelta(seconds=60)

_ACCEPT_JSON = {"Accept": "application/json"}

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _CachedToken:
    value: str = field(repr=False)
    refresh_at: datetime


class UscisClient:
    """Asks USCIS for case statuses over an httpx.Client the caller owns (and closes).

    `clock`, `sleep` and `jitter` are the only sources of time and chance, so tests pin
    them. `limiter` defaults to 10 requests a second on that clock and sleep; `ledger`
    holds the daily budget (one shared by every worker in production).
    """

    def __init__(
        self,
        http: httpx.Client,
        *,
        client_id: str,
        client_secret: SecretStr,
        clock: Clock,
        ledger: QuotaLedger,
        base_url: str = SANDBOX_BASE_URL,
        limiter: TokenBucket | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        refresh_margin: timedelta = REFRESH_MARGIN,
    ) -> None:
        if not client_id or not client_secret.get_secret_value():
            raise SettingsError("UscisClient needs USCIS_CLIENT_ID and USCIS_CLIENT_SECRET")
        base = api_base_url(base_url, "USCIS")
        self._http = http
        self._client_id = client_id
        self._client_secret = client_secret
        self._token_url = base + TOKEN_PATH
        self._status_url = base + STATUS_PATH
        self._clock = clock
        self._ledger = ledger
        self._limiter = limiter or TokenBucket(clock=clock, sleep=sleep)
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._jitter = jitter
        self._timeout = timeout
        self._refresh_margin = refresh_margin
        self._token: _CachedToken | None = None
        self._token_lock = threading.Lock()

    def status(self, receipt: str) -> CaseStatus:
        """What USCIS says about `receipt` now; a UscisError subclass when it cannot tell."""
        number = _normalised(receipt)
        token = self._access_token(number)
        response = self._get_status(number, token)
        if response.status_code == 401:
            _log.info("USCIS refused the access token (receipt %s): fetching a new one", number)
            response = self._get_status(number, self._access_token(number, stale=token))
            if response.status_code == 401:
                raise CredentialsRejected(
                    f"USCIS refused a new access token for receipt {number} (HTTP 401):"
                    " is the Case Status API enabled for these credentials?",
                    number,
                )
        self._raise_for_status(response, number)
        status = parse_case_status(_json(response, number), number)
        _log.info("USCIS status of %s read (modified %s)", number, status.modified_at)
        return status

    def _get_status(self, number: str, token: str) -> httpx.Response:
        headers = {**_ACCEPT_JSON, "Authorization": f"Bearer {token}"}
        return self._send(
            lambda: self._http.get(
                self._status_url + number, headers=headers, timeout=self._timeout
            ),
            number,
            what=f"receipt {number}",
            counted=True,
        )

    def _raise_for_status(self, response: httpx.Response, number: str) -> None:
        code = response.status_code
        if code == 200:
            return
        if code == 404:
            raise NotRecognised(f"USCIS does not recognise receipt {number} (HTTP 404)", number)
        if code == 422:
            raise BadReceipt(f"USCIS refused receipt {number} as malformed (HTTP 422)", number)
        if code == 503:
            raise self._unavailable(response, number)
        raise UscisError(f"USCIS answered HTTP {code} for receipt {number}", number)

    def _access_token(self, number: str, stale: str | None = None) -> str:
        """The cached token unless it is `stale` (refused) or about to run out."""
        with self._token_lock:
            cached = self._token
            if cached and cached.value != stale and self._clock.now() < cached.refresh_at:
                return cached.value
            self._token = self._fetch_token(number)
            return self._token.value

    def _fetch_token(self, number: str) -> _CachedToken:
        asked_at = self._clock.now()
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret.get_secret_value(),
        }
        response = self._send(
            lambda: self._http.post(
                self._token_url, data=form, headers=_ACCEPT_JSON, timeout=self._timeout
            ),
            number,
            what=f"an access token (receipt {number})",
            counted=False,
        )
        code = response.status_code
        if code in (401, 403):
            raise CredentialsRejected(
                f"USCIS refused the client credentials (HTTP {code}) while checking receipt"
                f" {number}: check USCIS_CLIENT_ID and USCIS_CLIENT_SECRET",
                number,
            )
        if code == 503:
            raise self._unavailable(response, number)
        if code != 200:
            raise UscisError(
                f"USCIS answered HTTP {code} to the access token request (receipt {number})",
                number,
            )
        token = parse_token(_json(response, None))
        # A token shorter-lived than twice the margin is still used for half its life.
        margin = min(self._refresh_margin, timedelta(seconds=token.lifetime / 2))
        _log.info("USCIS access token obtained, valid for %d s", token.lifetime)
        return _CachedToken(token.value, asked_at + timedelta(seconds=token.lifetime) - margin)

    def _send(
        self,
        request: Callable[[], httpx.Response],
        number: str,
        *,
        what: str,
        counted: bool,
    ) -> httpx.Response:
        """The first answer that is not retried; TemporaryFailure once the tries run out."""
        attempt = 0
        while True:
            attempt += 1
            if counted:
                self._spend(number)
            self._limiter.acquire()
            try:
                response = request()
            except httpx.TransportError as exc:
                if self._retry.gives_up(attempt, None):
                    raise TemporaryFailure(
                        f"no answer from USCIS for {what} after {attempt} tries:"
                        f" {type(exc).__name__}",
                        number,
                    ) from exc
                self._pause(attempt, None, what, type(exc).__name__)
                continue
            code = response.status_code
            if code != 429 and (code < 500 or code == 503):
                return response
            retry_after = parse_retry_after(response.headers.get("Retry-After"), self._clock.now())
            if self._retry.gives_up(attempt, retry_after):
                kind = RateLimited if code == 429 else TemporaryFailure
                raise kind(
                    f"USCIS answered HTTP {code} for {what} after {attempt} tries",
                    number,
                    retry_after,
                )
            self._pause(attempt, retry_after, what, f"HTTP {code}")

    def _pause(self, attempt: int, retry_after: float | None, what: str, problem: str) -> None:
        wait = self._retry.delay(attempt, retry_after, self._jitter())
        _log.warning(
            "USCIS %s for %s (try %d of %d): trying again in %.1f s",
            problem,
            what,
            attempt,
            self._retry.max_attempts,
            wait,
        )
        self._sleep(wait)

    def _spend(self, number: str) -> None:
        day = utc_day(self._clock)
        if not self._ledger.try_spend(day):
            raise QuotaExhausted(day, self._ledger.budget, number)

    def _unavailable(self, response: httpx.Response, number: str) -> ServiceUnavailable:
        retry_after = parse_retry_after(response.headers.get("Retry-After"), self._clock.now())
        return ServiceUnavailable(
            f"USCIS is unavailable (HTTP 503: outside its service hours?) for receipt {number}",
            number,
            retry_after,
        )


def _normalised(receipt: str) -> str:
    try:
        return normalise_receipt(receipt)
    except ValueError as exc:
        raise BadReceipt(f"{receipt[:20]!r}: {exc}") from None


def _json(response: httpx.Response, number: str | None) -> object:
    try:
        payload: object = response.json()
    except ValueError:
        raise UnexpectedResponse(number, "the body", "is not JSON") from None
    return payload
