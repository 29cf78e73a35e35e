"""USCIS's answers, read defensively: the case status and the access token.

USCIS documents its field names loosely (domain.md: "confirm field names against the
sandbox"). So every field is checked for its type; a missing required field or an odd
value raises UnexpectedResponse naming the field, never a KeyError or TypeError. Optional
fields that are missing, null or blank read as None.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tracker.domain.identifiers import normalise_receipt
from tracker.uscis.errors import UnexpectedResponse

# Dates come as "MM-DD-YYYY HH:MM:SS" with no offset. USCIS is an Eastern-time agency and
# the public clients read them as New York time; nothing official says so. Some examples
# show the date alone.
USCIS_ZONE = ZoneInfo("America/New_York")
_TIME_FORMATS = ("%m-%d-%Y %H:%M:%S", "%m-%d-%Y")


@dataclass(frozen=True)
class StatusEvent:
    """One earlier step of a case (an entry of `hist_case_status`)."""

    at: datetime | None
    text_en: str | None
    text_es: str | None


@dataclass(frozen=True)
class CaseStatus:
    """What USCIS says about one receipt now; `raw` is the whole JSON answer."""

    receipt: str
    form_type: str | None
    status_en: str
    status_es: str | None
    description_en: str | None
    description_es: str | None
    submitted_at: datetime | None
    modified_at: datetime | None
    history: tuple[StatusEvent, ...]
    # Left out of repr (long, and no one needs it in a log line) and of the hash (a dict).
    raw: dict[str, Any] = field(repr=False, hash=False)


@dataclass(frozen=True)
class AccessToken:
    """A bearer token and how many seconds USCIS said it lasts."""

    value: str = field(repr=False)
    lifetime: int


def parse_uscis_time(value: str) -> datetime:
    """A USCIS timestamp ("MM-DD-YYYY HH:MM:SS", US Eastern) as an aware datetime in UTC;
    ValueError if it is in neither known format."""
    for pattern in _TIME_FORMATS:
        try:
            local = datetime.strptime(value.strip(), pattern)
        except ValueError:
            continue
        return local.replace(tzinfo=USCIS_ZONE).astimezone(UTC)
    raise ValueError(f"not MM-DD-YYYY HH:MM:SS: {value!r}")


def parse_case_status(payload: object, receipt: str) -> CaseStatus:
    """The CaseStatus in a `GET /case-status/{receipt}` answer, for the receipt asked for."""
    if not isinstance(payload, dict):
        raise UnexpectedResponse(receipt, "the body", f"is {_kind(payload)}, not an object")
    case = _Fields(payload, receipt, "").object("case_status")
    answered = case.required_text("receiptNumber")
    if not _same_receipt(answered, receipt):
        # A status filed under the wrong receipt would tell a person a false outcome.
        raise UnexpectedResponse(
            receipt, case.path("receiptNumber"), f"is {answered[:20]!r}, another receipt"
        )
    return CaseStatus(
        receipt=receipt,
        form_type=case.text("formType"),
        status_en=case.required_text("current_case_status_text_en"),
        status_es=case.text("current_case_status_text_es"),
        description_en=case.text("current_case_status_desc_en"),
        description_es=case.text("current_case_status_desc_es"),
        submitted_at=case.time("submittedDate"),
        modified_at=case.time("modifiedDate"),
        history=tuple(
            StatusEvent(
                at=entry.time("date"),
                text_en=entry.text("completed_text_en"),
                text_es=entry.text("completed_text_es"),
            )
            for entry in case.objects("hist_case_status")
        ),
        raw=payload,
    )


def parse_token(payload: object) -> AccessToken:
    """The token in an answer of `POST /oauth/accesstoken`. USCIS's gateway writes
    `expires_in` as a string ("1799"); a number is accepted too."""
    if not isinstance(payload, dict):
        raise UnexpectedResponse(None, "the body", f"is {_kind(payload)}, not an object")
    fields = _Fields(payload, None, "")
    value = fields.required_text("access_token")
    lifetime = payload.get("expires_in")
    if isinstance(lifetime, str) and lifetime.strip().isdigit():
        lifetime = int(lifetime)
    if isinstance(lifetime, bool) or not isinstance(lifetime, int) or lifetime <= 0:
        raise UnexpectedResponse(None, "expires_in", "is not a positive number of seconds")
    return AccessToken(value=value, lifetime=lifetime)


def _same_receipt(answered: str, receipt: str) -> bool:
    try:
        return normalise_receipt(answered) == receipt
    except ValueError:
        return False


def _kind(value: object) -> str:
    """How JSON would name the type of `value`, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "an object"


class _Fields:
    """Typed reads from one JSON object; `prefix` is its path, for error messages."""

    def __init__(self, data: dict[str, Any], receipt: str | None, prefix: str) -> None:
        self.data = data
        self.receipt = receipt
        self.prefix = prefix

    def path(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def _odd(self, name: str, problem: str) -> UnexpectedResponse:
        return UnexpectedResponse(self.receipt, self.path(name), problem)

    def text(self, name: str) -> str | None:
        value = self.data.get(name)
        if value is not None and not isinstance(value, str):
            raise self._odd(name, f"is {_kind(value)}, not text")
        return (value.strip() or None) if value else None

    def required_text(self, name: str) -> str:
        text = self.text(name)
        if text is None:
            raise self._odd(name, "is missing")
        return text

    def time(self, name: str) -> datetime | None:
        text = self.text(name)
        if text is None:
            return None
        try:
            return parse_uscis_time(text)
        except ValueError:
            raise self._odd(name, f"is {text[:40]!r}, not MM-DD-YYYY HH:MM:SS") from None

    def object(self, name: str) -> "_Fields":
        value = self.data.get(name)
        if not isinstance(value, dict):
            raise self._odd(name, "is missing" if value is None else f"is {_kind(value)}")
        return _Fields(value, self.receipt, self.path(name))

    def objects(self, name: str) -> list["_Fields"]:
        """The objects of a list field; a missing or null list is empty."""
        value = self.data.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._odd(name, f"is {_kind(value)}, not a list")
        items: list[_Fields] = []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                raise self._odd(f"{name}[{index}]", f"is {_kind(item)}, not an object")
            items.append(_Fields(item, self.receipt, self.path(f"{name}[{index}]")))
        return items
