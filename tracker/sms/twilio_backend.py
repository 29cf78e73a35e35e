"""SmsBackend on Twilio's Messages API, through the real twilio SDK.

Every failure becomes an SmsError whose kind says what to do next (see tracker.sms.base).
Twilio's error messages quote phone numbers: they are masked before they reach an
SmsError or a log line.
"""

import json
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from twilio.base.exceptions import (
    TwilioException,
    TwilioRestException,
    TwilioServiceException,
)
from twilio.rest import Client

from tracker.errors import SettingsError
from tracker.settings import Settings
from tracker.sms.base import SendResult, SmsError, SmsErrorKind, mask_phone
from tracker.sms.httpx_client import HttpxTwilioClient, MaybeSentError, NotSentError

_log = logging.getLogger(__name__)

# Synchronous API error codes (the create call fails). Twilio keeps adding codes: anything
# not listed is classified by its HTTP status.
OPTED_OUT_CODES = frozenset({21610})
UNREACHABLE_CODES = frozenset(
    {
        21211,  # invalid 'To' number
        21614,  # 'To' is not a mobile number
        21635,  # 'To' cannot be reached by SMS (landline / unreachable carrier)
        30006,  # landline or unreachable carrier (normally asynchronous)
    }
)
CONFIGURATION_CODES = frozenset(
    {
        20003,  # authentication failed
        21212,  # invalid 'From' number
        21408,  # sending to this region is not enabled on the account
        21606,  # 'From' is not an SMS-capable number of this account
    }
)
RATE_LIMITED_CODES = frozenset(
    {
        20429,  # too many requests
        21611,  # the sender's queue holds over 10 hours of segments
    }
)

# Asynchronous codes, from a status callback's ErrorCode.
CALLBACK_CODES: dict[int, SmsErrorKind] = {
    30001: SmsErrorKind.TRANSIENT,  # queue overflow
    30002: SmsErrorKind.CONFIGURATION,  # account suspended
    30003: SmsErrorKind.TRANSIENT,  # unreachable handset: may pass
    30004: SmsErrorKind.PERMANENT,  # blocked
    30005: SmsErrorKind.PERMANENT,  # unknown destination
    30006: SmsErrorKind.UNREACHABLE,  # landline or unreachable carrier
    30007: SmsErrorKind.PERMANENT,  # filtered
    30008: SmsErrorKind.PERMANENT,  # unknown error
    30032: SmsErrorKind.CONFIGURATION,  # toll-free number not verified
    30034: SmsErrorKind.CONFIGURATION,  # unregistered US 10DLC number
}

# How far back of `since` a provider timestamp may be and still count (clocks differ).
CLOCK_SKEW = timedelta(seconds=5)
# How many of the newest messages to a number find_sent looks at, per query.
FIND_LIMIT = 100

# E.164 as Twilio quotes it ("+15551234567"), loosely formatted numbers, bare digit runs.
_PHONE = re.compile(r"\+\d[\d ().-]{5,}\d|\b\d{10,15}\b")


def scrub(text: str) -> str:
    """`text` with anything that looks like a phone number masked."""
    return _PHONE.sub(lambda match: mask_phone(re.sub(r"[^\d+]", "", match.group())), text)


def classify_code(code: int | None, status: int | None) -> SmsErrorKind:
    """The kind of a synchronous API error, from its Twilio code and HTTP status."""
    if code in OPTED_OUT_CODES:
        return SmsErrorKind.OPTED_OUT
    if code in UNREACHABLE_CODES:
        return SmsErrorKind.UNREACHABLE
    if code in CONFIGURATION_CODES or status == 401:
        return SmsErrorKind.CONFIGURATION
    if code in RATE_LIMITED_CODES or status == 429:
        return SmsErrorKind.RATE_LIMITED
    if status is not None and 400 <= status < 500:
        return SmsErrorKind.PERMANENT
    # 5xx, or a status that is neither success nor a client error: it may have gone.
    return SmsErrorKind.MAYBE_SENT


def classify_callback_error(code: int | None) -> SmsErrorKind:
    """The kind of a status callback's ErrorCode (failed / undelivered); unknown: PERMANENT."""
    if code is None:
        return SmsErrorKind.PERMANENT
    if code in CALLBACK_CODES:
        return CALLBACK_CODES[code]
    # A synchronous code can come back asynchronously (a Messaging Service sends later).
    if code in OPTED_OUT_CODES:
        return SmsErrorKind.OPTED_OUT
    if code in UNREACHABLE_CODES:
        return SmsErrorKind.UNREACHABLE
    if code in CONFIGURATION_CODES:
        return SmsErrorKind.CONFIGURATION
    return SmsErrorKind.PERMANENT


def to_sms_error(exc: Exception) -> SmsError:
    """An SmsError for anything the SDK (or our transport under it) raised."""
    if isinstance(exc, NotSentError):
        return SmsError(SmsErrorKind.TRANSIENT, f"not sent: {exc}")
    if isinstance(exc, MaybeSentError):
        return SmsError(SmsErrorKind.MAYBE_SENT, f"no answer: {exc}")
    if isinstance(exc, TwilioServiceException):
        code = _int(exc.code)
        status = _int(exc.status)
        text = f"HTTP {status}: {exc.title}" + (f" - {exc.detail}" if exc.detail else "")
        return SmsError(classify_code(code, status), scrub(text), code)
    if isinstance(exc, TwilioRestException):
        status = _int(exc.status)
        code = _int(exc.code)
        if code == status:  # the SDK fills in the status when the body has no code
            code = None
        return SmsError(classify_code(code, status), scrub(f"HTTP {status}: {exc.msg}"), code)
    if isinstance(exc, TwilioException):
        # Page.process_response raises TwilioException("Unable to fetch page", response).
        response = exc.args[1] if len(exc.args) > 1 else None
        status = _int(getattr(response, "status_code", None))
        code = _body_code(getattr(response, "text", None))
        text = str(exc.args[0]) if exc.args else type(exc).__name__
        return SmsError(classify_code(code, status), scrub(f"HTTP {status}: {text}"), code)
    # Not Twilio's: an unreadable 2xx body (a proxy's HTML page), say. The request went out.
    return SmsError(SmsErrorKind.MAYBE_SENT, scrub(f"{type(exc).__name__}: {exc}"))


class TwilioBackend:
    """Sends through Twilio; `http` lets the caller choose timeouts (the backend closes
    only a client it created itself)."""

    def __init__(self, settings: Settings, http: httpx.Client | None = None) -> None:
        sid = settings.twilio_account_sid
        token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
        if not sid or not token:
            raise SettingsError("TwilioBackend needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
        if not (settings.twilio_messaging_service_sid or settings.twilio_from_number):
            raise SettingsError(
                "TwilioBackend needs TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM_NUMBER"
            )
        self._messaging_service_sid = settings.twilio_messaging_service_sid
        self._from_number = settings.twilio_from_number
        self.http_client = HttpxTwilioClient(http, base_url=settings.twilio_api_base_url)
        self._client: Any = Client(sid, token, http_client=self.http_client)

    def close(self) -> None:
        self.http_client.close()

    def __enter__(self) -> "TwilioBackend":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def send(self, to: str, body: str, status_callback: str | None) -> SendResult:
        sender: dict[str, str] = (
            {"messaging_service_sid": self._messaging_service_sid}
            if self._messaging_service_sid
            else {"from_": self._from_number or ""}
        )
        if status_callback:
            sender["status_callback"] = status_callback
        try:
            message = self._client.messages.create(to=to, body=body, **sender)
        except Exception as exc:
            error = to_sms_error(exc)
            _log.warning("SMS to %s not accepted: %s", mask_phone(to), error)
            raise error from None
        sid = message.sid
        if not isinstance(sid, str) or not sid:
            # A success without a message: it may or may not exist.
            raise SmsError(SmsErrorKind.MAYBE_SENT, "Twilio answered without a message sid")
        status = str(message.status or "queued")
        _log.info("SMS to %s accepted: %s %s", mask_phone(to), sid, status)
        return SendResult(sid=sid, status=status)

    def find_sent(self, to: str, body: str, since: datetime) -> SendResult | None:
        """The newest message to `to` with exactly `body`, created or sent at/after `since`.

        Twilio filters by sent date only (a whole GMT day) and a message still queued has
        no sent date: a second query looks at the newest messages to the number without
        a date filter. A lookup has no side effect, so a failure is TRANSIENT, never
        MAYBE_SENT.
        """
        since_utc = since.replace(tzinfo=UTC) if since.tzinfo is None else since.astimezone(UTC)
        floor = since_utc.replace(microsecond=0) - CLOCK_SKEW
        try:
            found = self._newest_match(
                self._client.messages.list(
                    to=to, date_sent_after=floor.date().isoformat(), limit=FIND_LIMIT
                ),
                body,
                floor,
            )
            if found is None:
                found = self._newest_match(
                    self._client.messages.list(to=to, limit=FIND_LIMIT), body, floor
                )
        except Exception as exc:
            error = to_sms_error(exc)
            if error.kind is SmsErrorKind.MAYBE_SENT:
                error = SmsError(SmsErrorKind.TRANSIENT, error.message, error.code)
            _log.warning("SMS lookup for %s failed: %s", mask_phone(to), error)
            raise error from None
        _log.info("SMS lookup for %s: %s", mask_phone(to), found.sid if found else "nothing sent")
        return found

    @staticmethod
    def _newest_match(records: list[Any], body: str, floor: datetime) -> SendResult | None:
        best: tuple[datetime, SendResult] | None = None
        for record in records:
            if record.body != body:
                continue
            stamps = [s for s in (record.date_sent, record.date_created) if s is not None]
            if not stamps or max(stamps) < floor:
                continue
            when = record.date_created or max(stamps)
            if best is None or when > best[0]:
                best = (when, SendResult(sid=str(record.sid), status=str(record.status)))
        return best[1] if best else None


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _body_code(text: object) -> int | None:
    if not isinstance(text, str):
        return None
    try:
        payload = json.loads(text)
    except ValueError:
        return None
    return _int(payload.get("code")) if isinstance(payload, dict) else None
