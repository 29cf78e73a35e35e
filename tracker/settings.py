"""Settings from the environment and `.env`, checked once at startup."""

import unicodedata
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from tracker.errors import SettingsError
from tracker.kit.crypto import DataKeyError, Keyring, parse_keys

# The folder that holds tracker/ and config/: defaults are found from here, not from the
# working directory, so `tracker` works the same from any folder.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "development-only-secret-do-not-use-in-production"
# Development and demo data only: anyone can read this key, so production refuses it.
DEV_DATA_KEY = "ZGV2ZWxvcG1lbnQtb25seS1kYXRhLWtleS0wMDAwMDA="


class Settings(BaseSettings):
    """Every setting the tracker reads; README lists them all."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.db'}"
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    # Comma-separated, newest first: the first encrypts, every one decrypts (see README).
    data_keys: SecretStr = SecretStr(DEV_DATA_KEY)
    # Where people reach the tracker. Unset (development and tests only), links point to
    # where this process serves: `--host`/`--port`, or localhost and PORT.
    public_base_url: str | None = None
    port: int = Field(default=8000, ge=1, le=65535)
    default_timezone: str = "America/New_York"
    config_dir: Path = PROJECT_ROOT / "config"

    # Who the messages come from: the first words of every text, so people know who
    # writes before anything else (Notify.gov's guidance); short, so texts stay short.
    org_short_name: str = Field(default="Parole Tracker", min_length=2, max_length=20)
    # Where people get help when a case has no representative: a person or a number.
    help_contact: str = Field(default="your legal representative", min_length=2, max_length=80)
    # Renamed: kept only to say so (extra settings are otherwise ignored).
    org_name: str | None = None

    sms_backend: Literal["console", "twilio"] = "console"
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_from_number: str | None = None
    # Only tests change this: they point the real SDK at a fake server on loopback.
    twilio_api_base_url: str = "https://api.twilio.com"

    # Polling of USCIS case status is off until both credentials are set.
    uscis_client_id: str | None = None
    uscis_client_secret: SecretStr | None = None
    uscis_base_url: str = Field(default="https://api-int.uscis.gov")
    # Production allows 10,000 requests a GMT day and 10 a second (domain.md).
    uscis_daily_budget: int = Field(default=10_000, ge=1)
    uscis_rate_per_second: float = Field(default=10.0, gt=0)
    # A filing's status is read at most once in this many hours.
    uscis_poll_interval_hours: int = Field(default=24, ge=1, le=24 * 30)

    # Logs of `serve`, `web` and `worker`: text for people, json (one object a line) for a
    # log pipeline. Both mask phone numbers and A-numbers.
    log_format: Literal["text", "json"] = "text"
    # A `tracker worker` serves its own process metrics (send latency, provider errors, job
    # run times) on this port when set: they live in that process, not in `tracker web`.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a database URL: {exc}") from exc
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError("only sqlite:/// and postgresql+psycopg:// URLs are supported")
        return value

    @field_validator("data_keys")
    @classmethod
    def _data_keys(cls, value: SecretStr) -> SecretStr:
        try:
            parse_keys(value.get_secret_value())
        except DataKeyError as exc:
            raise ValueError(exc.message) from None
        return value

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not an IANA time zone such as America/New_York"
            ) from None
        return value

    # The host links name when PUBLIC_BASE_URL is unset (see `served_at`).
    _link_host: str = PrivateAttr(default="localhost")

    @field_validator("public_base_url", "uscis_base_url", "twilio_api_base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _sender(self) -> "Settings":
        if self.org_name is not None:
            raise ValueError(
                "ORG_NAME is now ORG_SHORT_NAME: the organisation's short name, at most 20 "
                "characters, that begins every text"
            )
        for name, value in (
            ("ORG_SHORT_NAME", self.org_short_name),
            ("HELP_CONTACT", self.help_contact),
        ):
            if any(unicodedata.category(char)[0] == "C" for char in value):
                raise ValueError(f"{name}: no control characters or line breaks")
        return self

    @model_validator(mode="after")
    def _twilio_complete(self) -> "Settings":
        if self.sms_backend != "twilio":
            return self
        missing = [
            name
            for name, value in (
                ("TWILIO_ACCOUNT_SID", self.twilio_account_sid),
                ("TWILIO_AUTH_TOKEN", self.twilio_auth_token),
            )
            if not value
        ]
        if not (self.twilio_messaging_service_sid or self.twilio_from_number):
            missing.append("TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM_NUMBER")
        if missing:
            raise ValueError("SMS_BACKEND=twilio needs " + ", ".join(missing))
        return self

    @model_validator(mode="after")
    def _uscis_complete(self) -> "Settings":
        # One credential without the other is a typo, not a choice to leave polling off.
        if bool(self.uscis_client_id) != bool(
            self.uscis_client_secret and self.uscis_client_secret.get_secret_value()
        ):
            raise ValueError(
                "USCIS polling needs both USCIS_CLIENT_ID and USCIS_CLIENT_SECRET (or neither)"
            )
        return self

    @model_validator(mode="after")
    def _secure_outside_development(self) -> "Settings":
        if self.environment != "production":
            return self
        secret = self.secret_key.get_secret_value()
        if secret == DEV_SECRET or len(secret) < 32:
            raise ValueError(
                "SECRET_KEY: set a random value of at least 32 characters in production"
            )
        if DEV_DATA_KEY in self.data_keys.get_secret_value():
            raise ValueError(
                "DATA_KEYS: set your own keys in production (make one: tracker keys generate)"
            )
        if self.public_base_url is None:
            raise ValueError(
                "PUBLIC_BASE_URL: required in production (the https:// address people use)"
            )
        if not self.public_base_url.startswith("https://"):
            raise ValueError("PUBLIC_BASE_URL: must be https:// in production")
        return self

    @property
    def base_url(self) -> str:
        """The address links and callbacks use: PUBLIC_BASE_URL, or where this serves."""
        return self.public_base_url or f"http://{self._link_host}:{self.port}"

    def served_at(self, host: str, port: int | None) -> "Settings":
        """These settings for a process listening on `host`:`port` (PORT when None): unless
        PUBLIC_BASE_URL is set, its links point there."""
        served = self.model_copy(update={"port": self.port if port is None else port})
        served._link_host = _link_host(host)
        return served

    @cached_property
    def keyring(self) -> Keyring:
        """The data keys, newest first."""
        return Keyring(parse_keys(self.data_keys.get_secret_value()))

    @property
    def uscis_enabled(self) -> bool:
        """True when USCIS credentials are set: the poll job runs only then."""
        return bool(self.uscis_client_id and self.uscis_client_secret)

    @property
    def uscis_poll_interval(self) -> timedelta:
        """The least time between two reads of one filing's status."""
        return timedelta(hours=self.uscis_poll_interval_hours)

    @property
    def secure_cookies(self) -> bool:
        """Cookies are sent over HTTPS only, everywhere but on a developer's machine."""
        return self.environment != "development"

    @cached_property
    def is_sqlite(self) -> bool:
        return make_url(self.database_url).get_backend_name() == "sqlite"


def _link_host(host: str) -> str:
    """How a link names the listening address: a wildcard is reached as localhost."""
    if host in ("", "0.0.0.0", "::"):
        return "localhost"
    return f"[{host}]" if ":" in host else host


def load_settings(**overrides: object) -> Settings:
    """Read the settings; a bad one raises SettingsError naming it."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = "_".join(str(p) for p in error["loc"]).upper()
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{name}: {message}" if name else message)
        raise SettingsError("invalid settings: " + "; ".join(problems)) from None
