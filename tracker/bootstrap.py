"""The composition root: settings, clock, engine and rules, wired once per process."""

import os
import socket
import time
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Engine

from tracker.alerts.budget import Longest, check_texts
from tracker.alerts.compose import Composer
from tracker.alerts.dispatcher import Dispatcher
from tracker.alerts.message_files import load_catalog
from tracker.alerts.policy import ReminderPolicy, parse_policy
from tracker.alerts.render import longest_contact
from tracker.clock import Clock, SystemClock
from tracker.domain.holds import parse_holds
from tracker.domain.known_terminations import KnownTermination, parse_known_terminations
from tracker.domain.rules import RuleSet
from tracker.domain.rules_config import parse_ruleset
from tracker.errors import ConfigError, SettingsError
from tracker.feeds.policy import FeedPolicy, parse_feed_policy
from tracker.policies import Policies
from tracker.privacy.retention import RetentionPolicy, parse_retention
from tracker.settings import Settings, load_settings
from tracker.sms.factory import make_backend
from tracker.store.db import make_engine, session_scope
from tracker.uscis.client import UscisClient
from tracker.uscis.events import EventPatterns, parse_event_patterns
from tracker.uscis.ledger import DbQuotaLedger
from tracker.uscis.poller import Poller, StatusSource
from tracker.uscis.ratelimit import TokenBucket


def read_config(path: Path) -> str:
    """The text of a config file, or a ConfigError naming it."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(path), None, "file not found (set CONFIG_DIR?)") from None
    except UnicodeDecodeError:
        raise ConfigError(str(path), None, "not UTF-8 text") from None


def read_ruleset(path: Path) -> RuleSet:
    """Read and check a rules file, with the USCIS holds (`holds.toml`) beside it."""
    holds = path.parent / "holds.toml"
    return replace(
        parse_ruleset(read_config(path), str(path)),
        holds=parse_holds(read_config(holds), str(holds)),
    )


def read_policy(path: Path) -> ReminderPolicy:
    """Read and check the reminder policy."""
    return parse_policy(read_config(path), str(path))


@dataclass
class App:
    """What every command, job and request needs; one per process."""

    settings: Settings = field(default_factory=load_settings)
    clock: Clock = field(default_factory=SystemClock)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url, self.settings.keyring)

    @property
    def rules_path(self) -> Path:
        return self.settings.config_dir / "rules.toml"

    @cached_property
    def ruleset(self) -> RuleSet:
        return read_ruleset(self.rules_path)

    @cached_property
    def known_terminations(self) -> tuple[KnownTermination, ...]:
        """The published terminations shipped as reference data (none applies by itself)."""
        path = self.settings.config_dir / "terminations.toml"
        return parse_known_terminations(read_config(path), str(path))

    @cached_property
    def composer(self) -> Composer:
        """Reminder policy, message texts and sender, read and checked together."""
        config = self.settings.config_dir
        return Composer(
            policy=read_policy(config / "reminders.toml"),
            catalog=load_catalog(config / "messages"),
            org=self.settings.org_short_name,
            help_contact=self.settings.help_contact,
        )

    def check_texts(self) -> list[Longest]:
        """Every text within budget and without foreign links, rendered with ORG_SHORT_NAME
        and the longest contact in the database (ConfigError otherwise)."""
        with session_scope(self.engine) as session:
            contact = longest_contact(session, self.composer)
        host = urlsplit(self.settings.public_base_url or "").hostname
        return check_texts(self.composer, contact, host)

    @cached_property
    def feed_policy(self) -> FeedPolicy:
        """How calendar feeds alarm, remind and keep cancelled events."""
        path = self.settings.config_dir / "feeds.toml"
        return parse_feed_policy(read_config(path), str(path))

    @cached_property
    def retention(self) -> RetentionPolicy:
        """How long personal data is kept."""
        path = self.settings.config_dir / "retention.toml"
        return parse_retention(read_config(path), str(path))

    def dispatcher(self) -> Dispatcher:
        """A dispatcher on the configured SMS backend, named after this process."""
        return Dispatcher(
            engine=self.engine,
            backend=make_backend(self.settings, clock=self.clock),
            composer=self.composer,
            clock=self.clock,
            worker=f"{socket.gethostname()}:{os.getpid()}",
            status_callback=f"{self.settings.base_url}/webhooks/twilio/status",
        )

    @cached_property
    def uscis_events(self) -> EventPatterns:
        """How USCIS status texts map to events (`config/uscis.toml`)."""
        path = self.settings.config_dir / "uscis.toml"
        return parse_event_patterns(read_config(path), str(path))

    def uscis_ledger(self) -> DbQuotaLedger:
        """The day's USCIS request budget, shared by every worker through the database."""
        return DbQuotaLedger(self.engine, self.settings.uscis_daily_budget)

    def uscis_client(self, http: httpx.Client) -> UscisClient:
        """The USCIS client over `http`; SettingsError unless the credentials are set.

        The quota day and tokens follow the app's clock (`--now`); the pace of requests
        follows the machine's, since that is the one USCIS counts by.
        """
        settings = self.settings
        if not settings.uscis_enabled or settings.uscis_client_secret is None:
            raise SettingsError("USCIS polling needs USCIS_CLIENT_ID and USCIS_CLIENT_SECRET")
        return UscisClient(
            http,
            client_id=settings.uscis_client_id or "",
            client_secret=settings.uscis_client_secret,
            clock=self.clock,
            ledger=self.uscis_ledger(),
            base_url=settings.uscis_base_url,
            limiter=TokenBucket(
                settings.uscis_rate_per_second, clock=SystemClock(), sleep=time.sleep
            ),
        )

    def uscis_poller(self, source: StatusSource) -> Poller:
        """The poller reading statuses from `source` (the client, or a test's)."""
        return Poller(
            engine=self.engine,
            source=source,
            ledger=self.uscis_ledger(),
            events=self.uscis_events,
            composer=self.composer,
            clock=self.clock,
            interval=self.settings.uscis_poll_interval,
        )

    @cached_property
    def policies(self) -> Policies:
        """What every change to a case is judged by."""
        return Policies(
            deadlines=self.ruleset,
            reminders=self.composer,
            known_terminations=self.known_terminations,
        )
