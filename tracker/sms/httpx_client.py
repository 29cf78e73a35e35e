"""The twilio SDK's HTTP transport, on an httpx.Client we own (timeouts, pooling).

The SDK builds every URL on `https://api.twilio.com` (or a regional `api.*.twilio.com`
host). When a different API base URL is configured (tests point it at a fake server on
loopback), that prefix is rewritten. Failures below HTTP become `TransportFailure`s that
say whether the request may have reached Twilio:

- NotSentError    nothing left this machine (connection refused, connect or pool timeout)
- MaybeSentError  the request (or part of it) went out and no answer came back
"""

import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
from twilio.base.exceptions import TwilioException
from twilio.http import HttpClient
from twilio.http.response import Response

from tracker.api_urls import api_base_url
from tracker.sms.base import mask_phone

TWILIO_API_BASE_URL = "https://api.twilio.com"
# The SDK's hosts: api.twilio.com, and api.{edge}.{region}.twilio.com with an edge/region.
_API_HOST = re.compile(r"^api(\.[a-z0-9-]+){0,2}\.twilio\.com$")
_PHONE_VALUE = re.compile(r"^\+?\d{6,15}$")

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=20.0, write=10.0, pool=5.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=10, max_keepalive_connections=5)

_log = logging.getLogger(__name__)


class TransportFailure(TwilioException):  # type: ignore[misc]
    """No HTTP answer: the exchange failed on the network or timed out."""

    request_sent: bool = True

    def __init__(self, method: str, path: str, cause: Exception) -> None:
        # The path only: a list request's query string holds phone numbers.
        super().__init__(f"{method} {path}: {type(cause).__name__}: {cause}")
        self.method = method
        self.path = path
        self.cause = cause


class NotSentError(TransportFailure):
    """Nothing was sent: no connection could be made. Safe to retry."""

    request_sent = False


class MaybeSentError(TransportFailure):
    """The request went out and no answer came back: Twilio may have acted on it."""

    request_sent = True


class _MaskPhonesInUrls(logging.Filter):
    """httpx logs every request's URL at INFO: a list query holds `To=+1555...`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(
            isinstance(arg, httpx.URL) and arg.query for arg in record.args
        ):
            record.args = tuple(
                _masked_url(arg) if isinstance(arg, httpx.URL) else arg for arg in record.args
            )
        return True


def _masked_url(url: httpx.URL) -> str:
    pairs = [
        f"{key}={mask_phone(value) if _PHONE_VALUE.match(value) else value}"
        for key, value in url.params.multi_items()
    ]
    return f"{url.copy_with(query=None)}?{'&'.join(pairs)}"


def _mask_phones_in_httpx_logs() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _MaskPhonesInUrls) for f in logger.filters):
        logger.addFilter(_MaskPhonesInUrls())


def make_http_client(timeout: httpx.Timeout | float | None = None) -> httpx.Client:
    """An httpx client with our timeouts and pool limits."""
    return httpx.Client(
        timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
        limits=DEFAULT_LIMITS,
        follow_redirects=False,
    )


class HttpxTwilioClient(HttpClient):  # type: ignore[misc]
    """`twilio.http.HttpClient` on an httpx.Client; pass it as `Client(..., http_client=)`."""

    def __init__(
        self,
        http: httpx.Client | None = None,
        base_url: str = TWILIO_API_BASE_URL,
        logger: logging.Logger = _log,
    ) -> None:
        super().__init__(logger, is_async=False, timeout=None)
        base = api_base_url(base_url, "Twilio API")
        _mask_phones_in_httpx_logs()
        self._owns_http = http is None
        self.http = http if http is not None else make_http_client()
        self.base_url = base
        self._rewrite = base != TWILIO_API_BASE_URL

    def close(self) -> None:
        """Close the httpx client if this object created it."""
        if self._owns_http:
            self.http.close()

    def rewrite(self, url: str) -> str:
        """The URL to call: the SDK's API host replaced by the configured base URL."""
        if not self._rewrite:
            return url
        parts = urlsplit(url)
        if parts.scheme != "https" or not _API_HOST.match(parts.hostname or ""):
            return url
        rest = url[len(f"{parts.scheme}://{parts.netloc}") :]
        return self.base_url + rest

    def request(
        self,
        method: str,
        uri: str,
        params: Mapping[str, object] | None = None,
        data: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Any:
        """Make the request; a `twilio.http.response.Response` for any HTTP status."""
        if timeout is not None and timeout <= 0:
            raise ValueError(timeout)
        method = method.upper()
        url = self.rewrite(uri)
        path = urlsplit(url).path
        content_type = (headers or {}).get("Content-Type", "")
        body: dict[str, Any] = {}
        if data:
            if content_type in ("application/json", "application/scim+json"):
                body["json"] = dict(data)
            else:
                body["data"] = dict(data)
        wait: Any = timeout if timeout is not None else (self.timeout or httpx.USE_CLIENT_DEFAULT)
        self._test_only_last_response = None
        _log.debug("Twilio request %s %s", method, path)
        try:
            answer = self.http.request(
                method,
                url,
                params=_query(params) if params else None,
                headers=dict(headers) if headers else None,
                auth=auth,
                timeout=wait,
                follow_redirects=allow_redirects,
                **body,
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise NotSentError(method, path, exc) from exc
        except (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.ProxyError) as exc:
            raise NotSentError(method, path, exc) from exc
        except httpx.HTTPError as exc:
            # Read/write timeouts, a connection dropped mid-exchange, a bad response.
            raise MaybeSentError(method, path, exc) from exc
        _log.debug("Twilio response %s %s: HTTP %s", method, path, answer.status_code)
        response = Response(answer.status_code, answer.text, dict(answer.headers))
        self._test_only_last_response = response
        return response


def _query(params: Mapping[str, object]) -> httpx.QueryParams:
    """Query pairs; a list value repeats its key, as requests would send it."""
    pairs: list[tuple[str, str | int | float | bool | None]] = []
    for key, value in params.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            if item is None:
                continue
            text = ("true" if item else "false") if isinstance(item, bool) else str(item)
            pairs.append((key, text))
    return httpx.QueryParams(pairs)
