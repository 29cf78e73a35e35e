"""A fake Twilio REST API on loopback: the Messages resource, in Twilio's own shapes.

It speaks what the tracker uses of API 2010-04-01 (see tests/fixtures/contracts):

- POST .../Accounts/{AccountSid}/Messages.json      create: 201 + a full message resource
- GET  .../Accounts/{AccountSid}/Messages.json      list: To, From, DateSent, DateSent<,
                                                    DateSent> (= `<=` / `>=` on the wire),
                                                    PageSize, Page (newest first)
- GET  .../Accounts/{AccountSid}/Messages/{Sid}.json fetch

HTTP Basic auth with the account sid and auth token (401 / 20003 otherwise), Twilio error
bodies (`code`, `message`, `more_info`, `status`), and the failures tests need:
`fail_next`, `outage` (failing for a while of the fake's clock), `delay_next`, `opt_out`,
per-number errors, and `deliver` which posts a signed status callback. Nothing sleeps
unless a test asked for a delay.
"""

import base64
import binascii
import contextlib
import email.utils
import json
import math
import re
import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import httpx
from twilio.request_validator import RequestValidator

from tests.fakes.loopback import LoopbackFake, LoopbackHandler

API_VERSION = "2010-04-01"
DEFAULT_FROM = "+15005550006"
# Numbers of the fake account: what a Messaging Service's sender pool picks from.
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_ACCOUNT_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/(?P<rest>.*)$")
_MESSAGE_PATH = re.compile(r"^Messages/(?P<sid>[^/]+)\.json$")
_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")

_GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")

# Twilio's messages for the codes the fake produces ({to}, {from_}, {path} filled in).
ERROR_MESSAGES: dict[int, str] = {
    20001: "Invalid parameter",
    20003: "Authenticate",
    20004: "Method not allowed",
    20404: "The requested resource {path} was not found",
    20429: "Too Many Requests",
    20500: "An internal server error has occurred",
    20503: "Service is unavailable. Please try again",
    21211: "The 'To' number {to} is not a valid phone number.",
    21212: "The 'From' number {from_} is not a valid phone number, shortcode, or alphanumeric"
    " sender ID.",
    21266: "'To' and 'From' number cannot be the same: {to}",
    21408: "Permission to send an SMS has not been enabled for the region indicated by the"
    " 'To' number: {to}.",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21606: "The From phone number {from_} is not a valid, SMS-capable inbound phone number or"
    " short code for your account.",
    21609: "Invalid StatusCallback url",
    21610: "Attempt to send to unsubscribed recipient",
    21611: "This 'From' number has exceeded the maximum number of queued messages",
    21614: "'To' number is not a valid mobile number",
    21617: "The concatenated message body exceeds the 1600 character limit.",
    21635: "'To' number cannot be a landline.",
    21701: "The Messaging Service Sid {service} is invalid.",
}
DEFAULT_CODES = {401: 20003, 404: 20404, 405: 20004, 429: 20429, 500: 20500, 503: 20503}
CALLBACK_ERROR_STATUSES = frozenset({"failed", "undelivered"})


def rfc2822(instant: datetime) -> str:
    """Twilio's timestamp format: `Thu, 24 Aug 2023 05:01:45 +0000`."""
    return email.utils.format_datetime(instant.astimezone(UTC).replace(microsecond=0))


def segments(body: str) -> int:
    """Segments Twilio bills: GSM-7 160 (153 when split), else UCS-2 70 (67)."""
    if all(c in _GSM7 or c in _GSM7_EXTENDED for c in body):
        units = sum(2 if c in _GSM7_EXTENDED else 1 for c in body)
        return 1 if units <= 160 else math.ceil(units / 153)
    units = len(body.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


def error_body(status: int, code: int, message: str) -> dict[str, Any]:
    """Twilio's REST error body."""
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def problem_body(status: int, code: int, message: str, instance: str) -> dict[str, Any]:
    """An RFC 9457 problem body, as newer Twilio services answer (TwilioServiceException)."""
    return {
        "type": f"https://www.twilio.com/docs/errors/{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "code": code,
        "detail": message,
        "instance": instance,
    }


@dataclass
class RecordedRequest:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]


@dataclass
class SentMessage:
    """A message the fake accepted, with what it was sent with."""

    sid: str
    to: str
    body: str
    from_: str | None
    messaging_service_sid: str | None
    status_callback: str | None
    resource: dict[str, Any]


@dataclass
class _Failure:
    status: int
    code: int | None
    method: str | None
    problem: bool
    record: bool
    raw_body: str | None


@dataclass
class _Outage:
    seconds: float
    status: int
    method: str | None
    carried_out_every: int
    # Set by the first request it fails: the outage lasts `seconds` from there.
    until: datetime | None = None
    failed: int = 0


@dataclass
class _Message:
    resource: dict[str, Any]
    from_: str | None
    status_callback: str | None
    created: datetime
    sent_on: date | None = None

    def snapshot(self) -> SentMessage:
        r = self.resource
        return SentMessage(
            sid=r["sid"],
            to=r["to"],
            body=r["body"],
            from_=self.from_,
            messaging_service_sid=r["messaging_service_sid"],
            status_callback=self.status_callback,
            resource=json.loads(json.dumps(r)),
        )


@dataclass
class _Answer:
    status: int
    payload: dict[str, Any] | None = None
    raw: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"


class _ApiError(Exception):
    def __init__(self, status: int, code: int, **fill: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        template = ERROR_MESSAGES.get(code, "Error {code}")
        self.message = template.format_map(_Fill(code=str(code), **fill))


class _Fill(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


class FakeTwilioServer(LoopbackFake):
    """The fake; `start()` it (or use it as a context manager), then point
    TWILIO_API_BASE_URL at `base_url`."""

    thread_name = "fake-twilio"

    def __init__(
        self,
        *,
        account_sid: str | None = None,
        auth_token: str | None = None,
        messaging_service_sid: str | None = None,
        from_number: str = DEFAULT_FROM,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self.account_sid = account_sid or "AC" + uuid.uuid4().hex
        self.auth_token = auth_token or uuid.uuid4().hex
        self.messaging_service_sid = messaging_service_sid or "MG" + uuid.uuid4().hex
        self.from_number = from_number
        # Numbers the account owns: a From outside them is 21606.
        self.numbers: set[str] = {from_number}
        # Tests may replace it to create messages "yesterday".
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        # True: a created message moves to "sent" (with date_sent) right after the 201,
        # as Twilio does within a second. False: it stays queued/accepted, date_sent null.
        self.auto_send = True
        self._lock = threading.Lock()
        self._sent_changed = threading.Condition(self._lock)
        self._messages: dict[str, _Message] = {}
        self._order: list[str] = []
        self._requests: list[RecordedRequest] = []
        self._failures: deque[_Failure] = deque()
        self._outage: _Outage | None = None
        self._delays: deque[float] = deque()
        self._opted_out: set[str] = set()
        self._number_errors: dict[str, int] = {}

    # -- life cycle ------------------------------------------------------------------------

    def handler_class(self) -> type[LoopbackHandler]:
        return _Handler

    @property
    def messages_path(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"

    # -- failure injection -----------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        code: int | None = None,
        times: int = 1,
        *,
        method: str | None = None,
        problem: bool = False,
        record: bool = False,
        raw_body: str | None = None,
    ) -> None:
        """The next `times` API requests (of `method`, if given) fail with `status`.

        `code` defaults to Twilio's for the status (429: 20429, 500: 20500, ...).
        `problem`: answer an RFC 9457 body (`type`/`title`), as newer Twilio services do.
        `record`: a create is still carried out before the failure answer (5xx "maybe sent").
        `raw_body`: answer this text instead of JSON (a proxy's HTML page).
        """
        with self._lock:
            for _ in range(times):
                self._failures.append(
                    _Failure(status, code, method and method.upper(), problem, record, raw_body)
                )

    def delay_next(self, seconds: float, times: int = 1) -> None:
        """Hold the answer to the next `times` requests for `seconds`. The request is carried
        out first: a create the client gave up on is still recorded (maybe sent)."""
        with self._lock:
            self._delays.extend([seconds] * times)

    def outage(
        self,
        seconds: float,
        status: int = 500,
        *,
        method: str | None = "POST",
        carried_out_every: int = 0,
    ) -> None:
        """Fail every API request (of `method`) with `status` for `seconds` of the fake's
        clock, from the first one it fails; `fail_next` failures go first.

        `carried_out_every`: every n-th failing create is still carried out (a 5xx after the
        message went: "maybe sent"); 0: none is.
        """
        with self._lock:
            self._outage = _Outage(seconds, status, method and method.upper(), carried_out_every)

    @property
    def outage_failures(self) -> int:
        """Requests the outage has failed so far."""
        with self._lock:
            return self._outage.failed if self._outage else 0

    def opt_out(self, number: str) -> None:
        """The recipient replied STOP: creates to them answer 21610."""
        with self._lock:
            self._opted_out.add(number)

    def opt_in(self, number: str) -> None:
        with self._lock:
            self._opted_out.discard(number)

    def number_error(self, number: str, code: int) -> None:
        """Creates to `number` always fail with `code` (HTTP 400)."""
        with self._lock:
            self._number_errors[number] = code

    def invalid_number(self, number: str) -> None:
        self.number_error(number, 21211)

    def not_mobile(self, number: str) -> None:
        self.number_error(number, 21614)

    # -- what happened ---------------------------------------------------------------------

    @property
    def sent(self) -> list[SentMessage]:
        """Every message the fake accepted, oldest first (snapshots)."""
        with self._lock:
            return [self._messages[sid].snapshot() for sid in self._order]

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def message(self, sid: str) -> dict[str, Any]:
        """The current resource of one message."""
        with self._lock:
            return self._messages[sid].snapshot().resource

    def wait_for_sent(self, count: int, timeout: float = 2.0) -> bool:
        """Wait until at least `count` messages were accepted (no polling)."""
        with self._sent_changed:
            return self._sent_changed.wait_for(lambda: len(self._order) >= count, timeout)

    def deliver(
        self,
        sid: str,
        status: str = "delivered",
        error_code: int | None = None,
        *,
        client: httpx.Client | None = None,
    ) -> httpx.Response | None:
        """Move a message to `status` and POST its status callback the way Twilio does
        (form fields, X-Twilio-Signature). None if the message has no StatusCallback.

        `client`: post with it (a Starlette TestClient is one) instead of a real connection.
        """
        now = self._now()
        with self._lock:
            message = self._messages[sid]
            resource = message.resource
            if status in CALLBACK_ERROR_STATUSES and error_code is None:
                error_code = 30008
            if status not in CALLBACK_ERROR_STATUSES:
                error_code = None
            if resource["date_sent"] is None and status not in ("queued", "accepted"):
                self._mark_sent(message, now)
            resource["status"] = status
            resource["error_code"] = error_code
            resource["error_message"] = None if error_code is None else f"Error {error_code}"
            resource["date_updated"] = rfc2822(now)
            url = message.status_callback
            params = {
                "AccountSid": self.account_sid,
                "ApiVersion": API_VERSION,
                "From": resource["from"] or self.from_number,
                "MessageSid": sid,
                "MessageStatus": status,
                "SmsSid": sid,
                "SmsStatus": status,
                "To": resource["to"],
            }
            if resource["messaging_service_sid"]:
                params["MessagingServiceSid"] = resource["messaging_service_sid"]
            if error_code is not None:
                params["ErrorCode"] = str(error_code)
        if url is None:
            return None
        signature = RequestValidator(self.auth_token).compute_signature(url, params)
        headers = {
            "X-Twilio-Signature": str(signature),
            "User-Agent": "TwilioProxy/1.1",
            "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
        }
        if client is not None:
            return client.post(url, data=params, headers=headers)
        with httpx.Client(timeout=5.0) as own:
            return own.post(url, data=params, headers=headers)

    # -- the API ---------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self.clock().astimezone(UTC).replace(microsecond=0)

    def _handle(self, request: RecordedRequest, authorization: str | None) -> _Answer:
        with self._lock:
            self._requests.append(request)
        match = _ACCOUNT_PATH.match(request.path)
        if match is None:
            raise _ApiError(404, 20404, path=request.path)
        if not self._authorized(authorization):
            answer = self._error(_ApiError(401, 20003))
            answer.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
            return answer
        if match["account"] != self.account_sid:
            raise _ApiError(404, 20404, path=request.path)
        now = self._now()
        with self._lock:
            failure = self._pop_failure(request.method) or self._outage_failure(request, now)
        if failure is not None:
            if failure.record and request.method == "POST":
                with contextlib.suppress(_ApiError):
                    self._route(request, match["rest"])
            return self._failure_answer(failure, request)
        return self._route(request, match["rest"])

    def _authorized(self, authorization: str | None) -> bool:
        if not authorization or not authorization.startswith("Basic "):
            return False
        try:
            decoded = base64.b64decode(authorization[6:], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, _, password = decoded.partition(":")
        return user == self.account_sid and password == self.auth_token

    def _pop_failure(self, method: str) -> _Failure | None:
        for index, failure in enumerate(self._failures):
            if failure.method is None or failure.method == method:
                del self._failures[index]
                return failure
        return None

    def _outage_failure(self, request: RecordedRequest, now: datetime) -> _Failure | None:
        outage = self._outage
        if outage is None or outage.method not in (None, request.method):
            return None
        if outage.until is None:
            outage.until = now + timedelta(seconds=outage.seconds)
        if now >= outage.until:
            return None
        outage.failed += 1
        every = outage.carried_out_every
        record = every > 0 and outage.failed % every == 0
        return _Failure(outage.status, None, request.method, False, record, None)

    def _failure_answer(self, failure: _Failure, request: RecordedRequest) -> _Answer:
        if failure.raw_body is not None:
            return _Answer(failure.status, raw=failure.raw_body, content_type="text/html")
        code = failure.code or DEFAULT_CODES.get(failure.status, failure.status)
        error = _ApiError(failure.status, code, to=request.form.get("To", ""))
        if failure.problem:
            body = problem_body(error.status, error.code, error.message, request.path)
            return _Answer(error.status, body, content_type="application/problem+json")
        return _Answer(error.status, error_body(error.status, error.code, error.message))

    def _error(self, error: _ApiError) -> _Answer:
        return _Answer(error.status, error_body(error.status, error.code, error.message))

    def _route(self, request: RecordedRequest, rest: str) -> _Answer:
        if rest == "Messages.json":
            if request.method == "POST":
                return self._create(request.form)
            if request.method == "GET":
                return self._list(request.query)
            raise _ApiError(405, 20004)
        found = _MESSAGE_PATH.match(rest)
        if found is None:
            raise _ApiError(404, 20404, path=request.path)
        if request.method != "GET":
            raise _ApiError(405, 20004)
        with self._lock:
            message = self._messages.get(found["sid"])
            if message is None:
                raise _ApiError(404, 20404, path=request.path)
            return _Answer(200, json.loads(json.dumps(message.resource)))

    def _create(self, form: dict[str, str]) -> _Answer:
        to = form.get("To", "")
        from_ = form.get("From") or None
        service = form.get("MessagingServiceSid") or None
        body = form.get("Body", "")
        callback = form.get("StatusCallback") or None
        if not to:
            raise _ApiError(400, 21604)
        if not from_ and not service:
            raise _ApiError(400, 21603)
        if not body:
            raise _ApiError(400, 21602)
        if len(body) > 1600:
            raise _ApiError(400, 21617)
        if service and (service != self.messaging_service_sid or not _SERVICE_SID.match(service)):
            raise _ApiError(400, 21701, service=service)
        if from_ and from_ not in self.numbers:
            raise _ApiError(400, 21606, from_=from_)
        if callback and urlsplit(callback).scheme not in ("http", "https"):
            raise _ApiError(400, 21609)
        if not _E164.match(to):
            raise _ApiError(400, 21211, to=to)
        if from_ == to:
            raise _ApiError(400, 21266, to=to)
        now = self._now()
        with self._lock:
            if to in self._number_errors:
                raise _ApiError(400, self._number_errors[to], to=to, from_=from_ or "")
            if to in self._opted_out:
                raise _ApiError(400, 21610, to=to)
            sid = "SM" + uuid.uuid4().hex
            uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}"
            resource: dict[str, Any] = {
                "account_sid": self.account_sid,
                "api_version": API_VERSION,
                "body": body,
                "date_created": rfc2822(now),
                "date_sent": None,
                "date_updated": rfc2822(now),
                "direction": "outbound-api",
                "error_code": None,
                "error_message": None,
                "from": from_,
                "messaging_service_sid": service,
                # A Messaging Service has not picked a sender yet: 0 segments so far.
                "num_media": "0",
                "num_segments": "0" if service and not from_ else str(segments(body)),
                "price": None,
                "price_unit": "USD",
                "sid": sid,
                "status": "accepted" if service else "queued",
                "subresource_uris": {
                    "media": f"{uri}/Media.json",
                    "feedback": f"{uri}/Feedback.json",
                },
                "to": to,
                "uri": f"{uri}.json",
            }
            message = _Message(resource, from_, callback, now)
            answer = _Answer(201, json.loads(json.dumps(resource)))
            if self.auto_send:
                self._mark_sent(message, now)
                resource["status"] = "sent"
            self._messages[sid] = message
            self._order.append(sid)
            self._sent_changed.notify_all()
        return answer

    def _mark_sent(self, message: _Message, now: datetime) -> None:
        resource = message.resource
        count = segments(resource["body"])
        resource["from"] = resource["from"] or self.from_number
        resource["num_segments"] = str(count)
        resource["date_sent"] = rfc2822(now)
        resource["date_updated"] = rfc2822(now)
        resource["price"] = f"-{0.0083 * count:.5f}"
        message.sent_on = now.date()

    def _list(self, query: dict[str, str]) -> _Answer:
        try:
            page_size = int(query.get("PageSize", "50"))
            page = int(query.get("Page", "0"))
        except ValueError:
            raise _ApiError(400, 20001) from None
        if not 1 <= page_size <= 1000 or page < 0:
            raise _ApiError(400, 20001)
        to, from_ = query.get("To"), query.get("From")
        # On the wire `DateSent>=D` is the key `DateSent>` with the value D (and `<=` alike).
        on = _parse_day(query["DateSent"]) if "DateSent" in query else None
        after = _parse_day(query["DateSent>"]) if "DateSent>" in query else None
        before = _parse_day(query["DateSent<"]) if "DateSent<" in query else None

        def wanted(m: _Message) -> bool:
            if to is not None and m.resource["to"] != to:
                return False
            if from_ is not None and m.resource["from"] != from_:
                return False
            if on is None and after is None and before is None:
                return True
            # A message not sent yet has no sent date: no DateSent filter matches it.
            day = m.sent_on
            return (
                day is not None
                and (on is None or day == on)
                and (after is None or day >= after)
                and (before is None or day <= before)
            )

        with self._lock:
            chosen = [
                self._messages[sid] for sid in reversed(self._order) if wanted(self._messages[sid])
            ]
            chosen.sort(key=lambda m: m.created, reverse=True)  # stable: newest first
            start = page * page_size
            window = chosen[start : start + page_size]
            records = [json.loads(json.dumps(m.resource)) for m in window]
            more = start + page_size < len(chosen)
        filters = [(k, v) for k, v in query.items() if k not in ("PageSize", "Page", "PageToken")]

        def page_uri(number: int, token: bool) -> str:
            params = [*filters, ("PageSize", str(page_size)), ("Page", str(number))]
            if token:
                params.append(("PageToken", f"PASM{number * page_size}"))
            return f"{self.messages_path}?{urlencode(params)}"

        payload = {
            "end": start + max(len(records) - 1, 0),
            "first_page_uri": page_uri(0, False),
            "next_page_uri": page_uri(page + 1, True) if more else None,
            "page": page,
            "page_size": page_size,
            "previous_page_uri": page_uri(page - 1, page > 1) if page > 0 else None,
            "start": start,
            "uri": page_uri(page, "PageToken" in query),
            "messages": records,
        }
        return _Answer(200, payload)


def _parse_day(value: str) -> date:
    """A DateSent filter's day: `YYYY-MM-DD`, an ISO datetime, or RFC 2822."""
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(value).astimezone(UTC).date()
    except (TypeError, ValueError):
        raise _ApiError(400, 20001) from None


class _Handler(LoopbackHandler):
    server_version = "nginx"

    def serve(self) -> None:
        fake = self.server.fake
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8") if length else ""
        form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        request = RecordedRequest(
            method=self.command,
            path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            form=form,
            headers={k: v for k, v in self.headers.items() if k.lower() != "authorization"},
        )
        try:
            answer = fake._handle(request, self.headers.get("Authorization"))
        except _ApiError as error:
            answer = fake._error(error)
        except Exception as exc:  # a bug in the fake: answer 500 and let the test see it
            fake.errors.append(exc)
            answer = _Answer(500, error_body(500, 20500, ERROR_MESSAGES[20500]))
        with fake._lock:
            delay = fake._delays.popleft() if fake._delays else 0.0
        if delay and fake._stopping.wait(delay):
            self.close_connection = True
            return
        self._answer(answer)

    def _answer(self, answer: _Answer) -> None:
        if answer.raw is not None:
            data = answer.raw.encode("utf-8")
        else:
            data = json.dumps(answer.payload).encode("utf-8")
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Twilio-Request-Id", "RQ" + uuid.uuid4().hex)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:  # the client gave up (a timeout on its side)
            self.close_connection = True


@dataclass
class ReceivedCallback:
    """One request a CallbackSink received."""

    url: str
    form: dict[str, str]
    headers: dict[str, str]


class CallbackSink:
    """A loopback HTTP endpoint that records the POSTs it gets (status callbacks)."""

    def __init__(self) -> None:
        self.received: list[ReceivedCallback] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> "CallbackSink":
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8")
                host = self.headers.get("Host", "")
                sink.received.append(
                    ReceivedCallback(
                        url=f"http://{host}{self.path}",
                        form=dict(parse_qsl(raw, keep_blank_values=True)),
                        headers=dict(self.headers.items()),
                    )
                )
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the callback sink is not running")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()
        self._httpd = None
        self._thread = None
