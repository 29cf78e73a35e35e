"""What every change to a case is judged by: the deadline rules and the reminder policy."""

from dataclasses import dataclass

from tracker.alerts.compose import Composer
from tracker.domain.known_terminations import KnownTermination
from tracker.domain.rules import RuleSet


@dataclass(frozen=True)
class Policies:
    """The deadline rules, the composer of reminders (None where SMS is not planned), and
    the published terminations an import checks its rows against."""

    deadlines: RuleSet
    reminders: Composer | None = None
    known_terminations: tuple[KnownTermination, ...] = ()
