"""What the USCIS client raises. Every message says what went wrong and for which receipt;
none holds a token, the client secret or anything about the person.

UscisError                  USCIS did not tell us a status (a ProviderError: `kind` is
                            the class's name, `permanent` whether asking again can help)
├── BadReceipt              not a receipt number: refused here, or 422 from USCIS
├── NotRecognised           404: USCIS does not know the receipt (yet)
├── QuotaExhausted          the day's request budget is spent; nothing was sent
├── CredentialsRejected     USCIS refused the client id and secret, or a fresh token
├── UnexpectedResponse      an answer we cannot read; names the field
└── TemporaryFailure        try again later (network errors, 5xx, after the retries)
    ├── RateLimited         429 after the retries, or a Retry-After too long to wait
    └── ServiceUnavailable  503: outside USCIS's service hours; never retried here
"""

from datetime import date
from typing import ClassVar

from tracker.errors import ProviderError


class UscisError(ProviderError):
    """A status lookup failed; `receipt` is the receipt number it was for, if any."""

    # Asking again cannot help: the receipt or the credentials must change first.
    is_permanent: ClassVar[bool] = True

    def __init__(
        self, message: str, receipt: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(
            message,
            kind=type(self).__name__,
            permanent=self.is_permanent,
            retry_after=retry_after,
        )
        self.receipt = receipt


class BadReceipt(UscisError):
    """Not a receipt number USCIS accepts (3 letters and 10 digits)."""


class NotRecognised(UscisError):
    """USCIS has no case under this receipt number (a new filing may not be in it yet)."""

    is_permanent = False


class QuotaExhausted(UscisError):
    """The day's request budget is spent: the request was not sent."""

    is_permanent = False

    def __init__(self, day: date, budget: int, receipt: str | None) -> None:
        super().__init__(
            f"USCIS daily quota of {budget} requests for {day.isoformat()} (GMT) is spent:"
            f" receipt {receipt} not checked",
            receipt,
        )
        self.day = day
        self.budget = budget


class CredentialsRejected(UscisError):
    """A configuration problem: retrying will not help until the credentials change."""


class UnexpectedResponse(UscisError):
    """USCIS answered something we cannot read; `field` names the part that was wrong."""

    is_permanent = False

    def __init__(self, receipt: str | None, field: str, problem: str) -> None:
        about = f"for receipt {receipt}" if receipt else "to the access token request"
        super().__init__(f"USCIS's answer {about}: {field} {problem}", receipt)
        self.field = field


class TemporaryFailure(UscisError):
    """USCIS could not answer now; `retry_after` (seconds) is its own hint, if it gave one."""

    is_permanent = False

    def __init__(self, message: str, receipt: str | None, retry_after: float | None = None) -> None:
        super().__init__(message, receipt, retry_after)


class RateLimited(TemporaryFailure):
    """USCIS kept answering 429 Too Many Requests."""


class ServiceUnavailable(TemporaryFailure):
    """USCIS answered 503: the API is outside its service hours (the sandbox keeps office
    hours), so the poller should stop for now rather than spend quota on retries."""
