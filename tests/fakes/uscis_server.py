"""A fake USCIS Case Status API on loopback, in the wire format of domain.md.

- POST /oauth/accesstoken      form fields grant_type=client_credentials, client_id,
                               client_secret; an Apigee token answer (`expires_in` "1799",
                               a string, as USCIS's gateway writes it); 401 invalid_client
                               for wrong credentials, 400 for another grant type
- GET  /case-status/{receipt}  `Authorization: Bearer`; `{"case_status": {...}, "message":
                               ...}` with dates as MM-DD-YYYY HH:MM:SS (US Eastern) and
                               `hist_case_status` null for a case without history; 401
                               (Apigee fault) for a missing, revoked or expired token, 422
                               for a malformed receipt, 404 for an unknown one

The sandbox's staging receipt numbers are preloaded (which ones have a history is USCIS's
list; their forms and texts are made up). Tests add cases, change a status between polls
(`set_status`), and inject what the client must survive: `answer_next` (429, 5xx, 503 with
Retry-After, any body), `delay_next` (slow answers), `revoke_tokens`, `closed` (outside
service hours). Tokens expire by the fake's clock: give it the client's FakeTime to move
both. USCIS does not document its 404/422 bodies; the fake answers `{"message": ...}`.
Nothing sleeps unless a test asked for a delay.
"""

import json
import re
import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from tests.fakes.loopback import LoopbackFake, LoopbackHandler

# From USCIS's "Sandbox Test Cases" page, as public clients copy it.
SANDBOX_RECEIPTS_WITH_HISTORY = (
    "EAC9999103403", "EAC9999103404", "EAC9999103405", "EAC9999103410", "EAC9999103411",
    "EAC9999103416", "EAC9999103419", "LIN9999106498", "LIN9999106499", "LIN9999106504",
    "LIN9999106505", "LIN9999106506", "SRC9999102777", "SRC9999102778", "SRC9999102779",
    "SRC9999102780", "SRC9999102781", "SRC9999102782", "SRC9999102783", "SRC9999102784",
    "SRC9999102785", "SRC9999102786", "SRC9999102787", "SRC9999132710", "SRC9999132719",
)  # fmt: skip
SANDBOX_RECEIPTS_WITHOUT_HISTORY = (
    "EAC9999103400", "EAC9999103402", "EAC9999103406", "EAC9999103407", "EAC9999103408",
    "EAC9999103409", "EAC9999103412", "EAC9999103413", "EAC9999103414", "EAC9999103415",
    "EAC9999103420", "EAC9999103421", "EAC9999103424", "EAC9999103425", "EAC9999103426",
    "EAC9999103428", "EAC9999103429", "EAC9999103431", "EAC9999103432", "LIN9999106501",
    "LIN9999106507", "SRC9999132694", "SRC9999132695", "SRC9999132706", "SRC9999132707",
)  # fmt: skip
TOKEN_LIFETIME = 1799
USCIS_ZONE = ZoneInfo("America/New_York")
_RECEIPT = re.compile(r"^[A-Z]{3}[0-9]{10}$")
_STATUS_PATH = re.compile(r"^/case-status/(?P<receipt>[^/]*)$")
# Made-up texts for the preloaded cases: (form, English status, Spanish status).
_SAMPLES = (
    ("I-130", "Case Approval Was Affirmed", "Aprobación De Caso Reafirmada"),
    ("I-131", "Case Was Received", "Caso Fue Recibido"),
    ("I-765", "Case Was Approved", "Caso Fue Aprobado"),
    ("I-589", "Case Is Being Actively Reviewed By USCIS", "Caso Está Siendo Revisado"),
)
_SANDBOX_SUBMITTED = datetime(2023, 9, 5, 18, 28, 46, tzinfo=UTC)

Endpoint = Literal["token", "status"]


def uscis_time(instant: datetime) -> str:
    """USCIS's timestamp format: MM-DD-YYYY HH:MM:SS, US Eastern, no offset."""
    return instant.astimezone(USCIS_ZONE).strftime("%m-%d-%Y %H:%M:%S")


class FakeTime:
    """A clock and a sleep for tests: a sleep records its length and moves the clock on,
    so nothing really waits. Safe to read from the fake server's threads."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeTime needs a timezone-aware start")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self._now += timedelta(seconds=seconds)

    def advance(self, delta: timedelta) -> None:
        """Let time pass without anyone sleeping."""
        with self._lock:
            self._now += delta


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received, `at` an instant of the fake's clock."""

    method: str
    path: str
    form: dict[str, str]
    bearer: str | None
    at: datetime


@dataclass
class FakeCase:
    """A case the fake knows; `history` None answers `hist_case_status: null`."""

    receipt: str
    form_type: str
    text_en: str
    desc_en: str
    text_es: str
    desc_es: str
    submitted: datetime
    modified: datetime
    history: list[dict[str, str]] | None = None

    def payload(self) -> dict[str, Any]:
        return {
            "receiptNumber": self.receipt,
            "formType": self.form_type,
            "submittedDate": uscis_time(self.submitted),
            "modifiedDate": uscis_time(self.modified),
            "current_case_status_text_en": self.text_en,
            "current_case_status_desc_en": self.desc_en,
            "current_case_status_text_es": self.text_es,
            "current_case_status_desc_es": self.desc_es,
            "hist_case_status": None if self.history is None else list(self.history),
        }


@dataclass
class _Answer:
    status: int
    payload: Any = None
    raw: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Injected:
    endpoint: Endpoint
    answer: _Answer


def _fault(text: str, code: str) -> dict[str, Any]:
    """Apigee's error body (gateway refusals: tokens, rates)."""
    return {"fault": {"faultstring": text, "detail": {"errorcode": code}}}


class FakeUscisServer(LoopbackFake):
    """The fake; `start()` it (or use it as a context manager), then give the client
    `base_url`, `client_id` and `client_secret`."""

    thread_name = "fake-uscis"

    def __init__(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self.client_id = client_id or uuid.uuid4().hex[:32]
        self.client_secret = client_secret or uuid.uuid4().hex[:16]
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        # True: outside service hours, every case-status request answers 503.
        self.closed = False
        self._lock = threading.Lock()
        self._cases: dict[str, FakeCase] = {}
        self._tokens: dict[str, datetime] = {}  # token -> expiry
        self._requests: list[RecordedRequest] = []
        self._injected: deque[_Injected] = deque()
        self._delays: deque[float] = deque()
        self._load_sandbox_cases()

    # -- life cycle ------------------------------------------------------------------------

    def handler_class(self) -> type[LoopbackHandler]:
        return _Handler

    # -- cases -----------------------------------------------------------------------------

    def add_case(
        self,
        receipt: str,
        *,
        form_type: str = "I-131",
        text_en: str = "Case Was Received",
        text_es: str = "Caso Fue Recibido",
        with_history: bool = False,
    ) -> FakeCase:
        """A case received now, by the fake's clock."""
        now = self.clock()
        case = FakeCase(
            receipt=receipt,
            form_type=form_type,
            text_en=text_en,
            desc_en=f"On {now:%B %d, %Y}, we updated your Form {form_type}, Receipt Number"
            f" {receipt}.",
            text_es=text_es,
            desc_es=f"El {now:%d/%m/%Y}, actualizamos su Formulario {form_type}, Número de"
            f" Recibo {receipt}.",
            submitted=now,
            modified=now,
            history=[] if with_history else None,
        )
        with self._lock:
            self._cases[receipt] = case
        return case

    def set_status(self, receipt: str, text_en: str, text_es: str | None = None) -> None:
        """The case moves on (now, by the fake's clock); its old status joins its history."""
        now = self.clock()
        with self._lock:
            case = self._cases[receipt]
            step = {
                "date": uscis_time(case.modified),
                "completed_text_en": case.text_en,
                "completed_text_es": case.text_es,
            }
            case.history = [*(case.history or []), step]
            case.text_en = text_en
            case.text_es = text_es or text_en
            case.desc_en = f"On {now:%B %d, %Y}, {text_en.lower()}: Receipt Number {receipt}."
            case.desc_es = f"El {now:%d/%m/%Y}: {case.text_es}, Número de Recibo {receipt}."
            case.modified = now

    def case(self, receipt: str) -> FakeCase:
        """The fake's record of a case, as it would answer for it now."""
        with self._lock:
            return self._cases[receipt]

    # -- failure injection -----------------------------------------------------------------

    def answer_next(
        self,
        status: int,
        *,
        times: int = 1,
        endpoint: Endpoint = "status",
        retry_after: str | None = None,
        body: str | None = None,
    ) -> None:
        """The next `times` requests to `endpoint` answer `status` instead (a Retry-After
        header if given; `body` as is, else an Apigee fault or `{"message": ...}`)."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        if body is not None:
            answer = _Answer(status, raw=body, headers=headers)
        elif status == 429:
            violation = _fault("Spike arrest violation", "policies.ratelimit.SpikeArrestViolation")
            answer = _Answer(status, violation, headers=headers)
        else:
            answer = _Answer(status, {"message": f"fake error {status}"}, headers=headers)
        with self._lock:
            self._injected.extend(_Injected(endpoint, answer) for _ in range(times))

    def delay_next(self, seconds: float, times: int = 1) -> None:
        """Hold the answers to the next `times` requests for `seconds` of real time."""
        with self._lock:
            self._delays.extend([seconds] * times)

    def revoke_tokens(self) -> None:
        """Every token issued so far is refused (401) from now on."""
        with self._lock:
            self._tokens.clear()

    # -- what happened ---------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def token_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == "/oauth/accesstoken"]

    @property
    def status_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.startswith("/case-status/")]

    # -- the API ---------------------------------------------------------------------------

    def _load_sandbox_cases(self) -> None:
        receipts = [*SANDBOX_RECEIPTS_WITH_HISTORY, *SANDBOX_RECEIPTS_WITHOUT_HISTORY]
        for index, receipt in enumerate(receipts):
            form, text_en, text_es = _SAMPLES[index % len(_SAMPLES)]
            modified = _SANDBOX_SUBMITTED + timedelta(days=30 + index)
            history = None
            if receipt in SANDBOX_RECEIPTS_WITH_HISTORY:
                history = [
                    {
                        "date": uscis_time(_SANDBOX_SUBMITTED),
                        "completed_text_en": "Case Was Received",
                        "completed_text_es": "Caso Fue Recibido",
                    }
                ]
            self._cases[receipt] = FakeCase(
                receipt=receipt,
                form_type=form,
                text_en=text_en,
                desc_en=f"{text_en}: your Form {form}, Receipt Number {receipt}.",
                text_es=text_es,
                desc_es=f"{text_es}: su Formulario {form}, Número de Recibo {receipt}.",
                submitted=_SANDBOX_SUBMITTED,
                modified=modified,
                history=history,
            )

    def _handle(self, method: str, path: str, form: dict[str, str], auth: str | None) -> _Answer:
        bearer = auth[7:] if auth and auth.startswith("Bearer ") else None
        request = RecordedRequest(method, path, form, bearer, self.clock())
        with self._lock:
            self._requests.append(request)
        endpoint: Endpoint | None = None
        if path == "/oauth/accesstoken" and method == "POST":
            endpoint = "token"
        elif _STATUS_PATH.match(path) and method == "GET":
            endpoint = "status"
        if endpoint is None:
            return _Answer(404, {"message": f"no route for {method} {path}"})
        with self._lock:
            injected = next((i for i in self._injected if i.endpoint == endpoint), None)
            if injected is not None:
                self._injected.remove(injected)
        if injected is not None:
            return injected.answer
        if endpoint == "token":
            return self._token(form)
        return self._status(path, bearer)

    def _token(self, form: dict[str, str]) -> _Answer:
        grant = form.get("grant_type", "")
        if grant != "client_credentials":
            body = {"ErrorCode": "invalid_request", "Error": f"Unsupported grant type : {grant}"}
            return _Answer(400, body)
        if form.get("client_id") != self.client_id:
            return _Answer(401, {"ErrorCode": "invalid_client", "Error": "ClientId is Invalid"})
        if form.get("client_secret") != self.client_secret:
            body = {"ErrorCode": "invalid_client", "Error": "Client credentials are invalid"}
            return _Answer(401, body)
        now = self.clock()
        token = uuid.uuid4().hex[:28]
        with self._lock:
            self._tokens[token] = now + timedelta(seconds=TOKEN_LIFETIME)
        return _Answer(
            200,
            {
                "refresh_token_expires_in": "0",
                "api_product_list": "[Case Status API - Sandbox]",
                "api_product_list_json": ["Case Status API - Sandbox"],
                "organization_name": "uscis",
                "token_type": "BearerToken",
                "issued_at": str(int(now.timestamp() * 1000)),
                "client_id": self.client_id,
                "access_token": token,
                "application_name": "parole-tracker-tests",
                "scope": "",
                "expires_in": str(TOKEN_LIFETIME),
                "refresh_count": "0",
                "status": "approved",
            },
        )

    def _status(self, path: str, bearer: str | None) -> _Answer:
        if self.closed:
            return _Answer(503, {"message": "The service is not available at this time."})
        with self._lock:
            expiry = self._tokens.get(bearer) if bearer else None
        if expiry is None:
            return _Answer(401, _fault("Invalid access token", "oauth.v2.InvalidAccessToken"))
        if self.clock() >= expiry:
            fault = _fault("Access Token expired", "keymanagement.service.access_token_expired")
            return _Answer(401, fault)
        match = _STATUS_PATH.match(path)
        receipt = match["receipt"] if match else ""
        if not _RECEIPT.match(receipt):
            return _Answer(422, {"message": f"Invalid receipt number format: {receipt[:20]}"})
        with self._lock:
            case = self._cases.get(receipt)
            payload = case.payload() if case else None
        if payload is None:
            return _Answer(404, {"message": f"Receipt number {receipt} was not found."})
        return _Answer(200, {"case_status": payload, "message": "Query was successful"})


class _Handler(LoopbackHandler):
    server_version = "Apigee"

    def serve(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8") if length else ""
        form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        path = urlsplit(self.path).path
        try:
            answer = fake._handle(self.command, path, form, self.headers.get("Authorization"))
        except Exception as exc:  # a bug in the fake: answer 500 and let the test see it
            fake.errors.append(exc)
            answer = _Answer(500, {"message": "fake bug"})
        with fake._lock:
            delay = fake._delays.popleft() if fake._delays else 0.0
        if delay and fake._stopping.wait(delay):
            self.close_connection = True
            return
        self._answer(answer)

    def _answer(self, answer: _Answer) -> None:
        text = answer.raw if answer.raw is not None else json.dumps(answer.payload)
        data = text.encode("utf-8")
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:  # the client gave up (a timeout on its side)
            self.close_connection = True
