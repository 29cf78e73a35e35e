"""The SMS backend the settings ask for."""

import httpx

from tracker.clock import Clock
from tracker.errors import SettingsError
from tracker.settings import Settings
from tracker.sms.base import SmsBackend
from tracker.sms.console import ConsoleBackend
from tracker.sms.twilio_backend import TwilioBackend


def make_backend(
    settings: Settings, *, clock: Clock, http: httpx.Client | None = None
) -> SmsBackend:
    """SMS_BACKEND=console (the default) or twilio. `clock` is the app's, so what a backend
    stamps follows `--now` as everything else does."""
    if settings.sms_backend == "twilio":
        return TwilioBackend(settings, http=http)
    if settings.sms_backend == "console":
        return ConsoleBackend(clock=clock)
    raise SettingsError(f"unknown SMS_BACKEND {settings.sms_backend!r}")
