"""The composition root: settings, clock, engine and rules, wired once per process."""

import os
import socket
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine

from tracker.alerts.compose import Composer
from tracker.alerts.dispatcher import Dispatcher
from tracker.alerts.message_files import load_catalog
from tracker.alerts.policy import ReminderPolicy, parse_policy
from tracker.clock import Clock, SystemClock
from tracker.domain.rules import RuleSet
from tracker.domain.rules_config import parse_ruleset
from tracker.errors import ConfigError
from tracker.feeds.policy import FeedPolicy, parse_feed_policy
from tracker.policies import Policies
from tracker.privacy.retention import RetentionPolicy, parse_retention
from tracker.settings import Settings, load_settings
from tracker.sms.factory import make_backend
from tracker.store.db import make_engine


def read_config(path: Path) -> str:
    """The text of a config file, or a ConfigError naming it."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(path), None, "file not found (set CONFIG_DIR?)") from None
    except UnicodeDecodeError:
        raise ConfigError(str(path), None, "not UTF-8 text") from None


def read_ruleset(path: Path) -> RuleSet:
    """Read and check a rules file."""
    return parse_ruleset(read_config(path), str(path))


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
    def composer(self) -> Composer:
        """Reminder policy, message texts and sender, read and checked together."""
        config = self.settings.config_dir
        return Composer(
            policy=read_policy(config / "reminders.toml"),
            catalog=load_catalog(config / "messages"),
            org=self.settings.org_name,
            help_contact=self.settings.help_contact,
        )

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
            backend=make_backend(self.settings),
            policy=self.composer.policy,
            clock=self.clock,
            worker=f"{socket.gethostname()}:{os.getpid()}",
            status_callback=f"{self.settings.public_base_url}/webhooks/twilio/status",
        )

    @cached_property
    def policies(self) -> Policies:
        """What every change to a case is judged by."""
        return Policies(deadlines=self.ruleset, reminders=self.composer)
