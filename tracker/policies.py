"""What every change to a case is judged by: the deadline rules and the reminder policy."""

from dataclasses import dataclass

from tracker.alerts.compose import Composer
from tracker.domain.rules import RuleSet


@dataclass(frozen=True)
class Policies:
    """The deadline rules, and the composer of reminders (None where SMS is not planned)."""

    deadlines: RuleSet
    reminders: Composer | None = None
