"""The composition root: settings, clock, engine and rules, wired once per process."""

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine

from tracker.clock import Clock, SystemClock
from tracker.domain.rules import RuleSet
from tracker.domain.rules_config import parse_ruleset
from tracker.errors import ConfigError
from tracker.settings import Settings, load_settings
from tracker.store.db import make_engine


def read_ruleset(path: Path) -> RuleSet:
    """Read and check a rules file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(path), None, "file not found (set CONFIG_DIR?)") from None
    except UnicodeDecodeError:
        raise ConfigError(str(path), None, "not UTF-8 text") from None
    return parse_ruleset(text, str(path))


@dataclass
class App:
    """What every command, job and request needs; one per process."""

    settings: Settings = field(default_factory=load_settings)
    clock: Clock = field(default_factory=SystemClock)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    @property
    def rules_path(self) -> Path:
        return self.settings.config_dir / "rules.toml"

    @cached_property
    def ruleset(self) -> RuleSet:
        return read_ruleset(self.rules_path)
