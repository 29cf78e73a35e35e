"""The one interface every SMS backend implements, and the one error type it raises
(a `tracker.errors.ProviderError`).

SmsError.kind tells the dispatcher what to do next:
- PERMANENT       never retry this message (invalid number, landline, blocked)
- UNREACHABLE     the number cannot receive SMS: flag the case for an administrator
- OPTED_OUT       the recipient replied STOP (Twilio 21610): stop all sending to them
- RATE_LIMITED    not processed (HTTP 429 / 20429): retry later with backoff
- TRANSIENT       not processed, worth retrying (a refused connection before sending)
- MAYBE_SENT      a timeout or 5xx after the request went out: reconcile before retrying
- CONFIGURATION   our account or sender is wrong: retrying cannot help until fixed
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from tracker.errors import ProviderError


class SmsErrorKind(StrEnum):
    """What a failed send means for the next step."""

    PERMANENT = "permanent"
    UNREACHABLE = "unreachable"
    OPTED_OUT = "opted_out"
    RATE_LIMITED = "rate_limited"
    TRANSIENT = "transient"
    MAYBE_SENT = "maybe_sent"
    CONFIGURATION = "configuration"


# Kinds after which sending the same message again cannot help.
PERMANENT_KINDS = frozenset(
    {
        SmsErrorKind.PERMANENT,
        SmsErrorKind.UNREACHABLE,
        SmsErrorKind.OPTED_OUT,
        SmsErrorKind.CONFIGURATION,
    }
)


class SmsError(ProviderError):
    """A send that did not (or may not have) gone through. `message` is the provider's
    reason alone; str() adds the kind and code, for logs."""

    def __init__(
        self,
        kind: SmsErrorKind,
        message: str,
        code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(
            f"{kind.value}: {message}" + (f" (code {code})" if code else ""),
            kind=kind,
            permanent=kind in PERMANENT_KINDS,
            retry_after=retry_after,
        )
        self.kind: SmsErrorKind = kind
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SendResult:
    """What the provider said when it accepted (or, on lookup, had sent) a message."""

    sid: str
    # The provider's status at that moment: queued, accepted, sent, delivered, ...
    status: str


class SmsBackend(Protocol):
    """Sends one SMS, and finds one sent earlier (to reconcile a send that may have gone)."""

    def send(self, to: str, body: str, status_callback: str | None) -> SendResult:
        """Send `body` to `to` (E.164); raise SmsError if it was not accepted."""
        ...

    def find_sent(self, to: str, body: str, since: datetime) -> SendResult | None:
        """A message with this body sent to `to` at or after `since`, if the provider has one."""
        ...


def mask_phone(phone: str | None) -> str:
    """A phone number fit for logs and screens: the first digit and the last two only."""
    if not phone or len(phone) < 6:
        return "***"
    return phone[:2] + "*" * (len(phone) - 4) + phone[-2:]
