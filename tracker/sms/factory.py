"""The SMS backend the settings ask for."""

import httpx

from tracker.clock import Clock
from tracker.settings import Settings
from tracker.sms.base import SmsBackend
from tracker.sms.console import ConsoleBackend
from tracker.sms.twilio_backend import TwilioBackend


def make_backend(
    settings: Settings, *, clock: Clock | None = None, http: httpx.Client | None = None
) -> SmsBackend:
    """SMS_BACKEND=console (the default) or twilio."""
    if settings.sms_backend == "twilio":
        return TwilioBackend(settings, http=http)
    if settings.sms_backend == "console":
        return ConsoleBackend(clock=clock)
    raise ValueError(f"unknown SMS_BACKEND {settings.sms_backend!r}")
