"""USCIS status texts as events (`config/uscis.toml`), parsed and checked; pure.

Each `[[event]]` names a kind and regular expressions. A status title belongs to the
first table with a pattern matching the whole title, ignoring case and runs of spaces;
a title no pattern matches is `other`. A problem in the file raises ConfigError with its
file, line and reason.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tracker.domain.model import UscisEvent
from tracker.domain.toml_locator import TomlLocator, parse_toml
from tracker.errors import ConfigError

KEYS = ("version", "event")
EVENT_KEYS = ("kind", "patterns")
TABLE = "event"

# "... respond by May 29, 2026 ..." / "... response ... no later than 05/29/2026 ...":
# a request for evidence's answer date, where USCIS's description states one (its status
# texts seldom do; the paper notice always does).
_RESPONSE_DUE = re.compile(
    r"\b(?:respond|response|reply|submit)\b[^.;]{0,80}?\b(?:by|before|no later than)\s+"
    r"(?P<date>[A-Z][a-z]{2,8}\.? \d{1,2}, \d{4}|\d{1,2}/\d{1,2}/\d{4})",
    re.IGNORECASE,
)
_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%b. %d, %Y", "%m/%d/%Y")


@dataclass(frozen=True)
class EventRule:
    """One `[[event]]` table: its kind and its compiled patterns."""

    kind: UscisEvent
    patterns: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class EventPatterns:
    """Every rule of `config/uscis.toml`, in file order."""

    version: int
    rules: tuple[EventRule, ...]

    def classify(self, status_text: str) -> UscisEvent:
        """The event a status title means; `other` when no pattern matches."""
        title = squeeze(status_text)
        for rule in self.rules:
            if any(pattern.fullmatch(title) for pattern in rule.patterns):
                return rule.kind
        return UscisEvent.OTHER


def squeeze(text: str) -> str:
    """A title as patterns see it: single spaces, no spaces or full stop at the ends."""
    return " ".join(text.split()).rstrip(".")


def parse_event_patterns(text: str, source: str) -> EventPatterns:
    """Parse `config/uscis.toml`; a problem raises ConfigError with its line."""
    data = parse_toml(text, source)
    where = TomlLocator(text, source)
    where.check_keys(data, KEYS)
    version = data["version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise where.error(None, None, "version", "must be a whole number of at least 1")
    tables = data[TABLE]
    if not isinstance(tables, list) or not tables:
        raise where.error(None, None, TABLE, "write each event as an [[event]] table")
    rules = tuple(_rule(table, index, where) for index, table in enumerate(tables))
    return EventPatterns(version=version, rules=rules)


def _rule(table: Any, index: int, where: TomlLocator) -> EventRule:
    if not isinstance(table, dict):
        raise where.error(None, None, TABLE, "write each event as an [[event]] table")
    for key in table:
        if key not in EVENT_KEYS:
            raise where.error(TABLE, index, key, "unknown key")
    for key in EVENT_KEYS:
        if key not in table:
            raise where.error(TABLE, index, None, f"missing key {key!r}")
    kinds = [kind.value for kind in UscisEvent]
    kind = table["kind"]
    if kind not in kinds:
        raise where.error(TABLE, index, "kind", f"{kind!r} is not one of {', '.join(kinds)}")
    patterns = table["patterns"]
    if not isinstance(patterns, list) or not patterns:
        raise where.error(TABLE, index, "patterns", "must be a non-empty list of patterns")
    return EventRule(UscisEvent(kind), tuple(_compile(p, index, where) for p in patterns))


def _compile(pattern: Any, index: int, where: TomlLocator) -> re.Pattern[str]:
    if not isinstance(pattern, str) or not pattern.strip():
        raise where.error(TABLE, index, "patterns", "every pattern must be non-empty text")
    try:
        # Spaces collapse as they do in titles; a final "." stays: in a pattern it means
        # any character.
        return re.compile(" ".join(pattern.split()), re.IGNORECASE)
    except re.error as exc:
        reason = (
            f"[[{TABLE}]] #{index + 1} patterns: {pattern!r} is not a regular expression: {exc}"
        )
        raise ConfigError(where.source, _line_of(pattern, index, where), reason) from None


def _line_of(pattern: str, index: int, where: TomlLocator) -> int | None:
    """The line that writes `pattern`, below the table's `patterns` key; else that key's."""
    start = where.line_of(TABLE, index, "patterns")
    if start is None:
        return None
    for number in range(start - 1, len(where.lines)):
        if pattern in where.lines[number]:
            return number + 1
    return start


def response_due(description: str | None) -> date | None:
    """The date an answer is due by, when a USCIS description states one; else None."""
    if not description:
        return None
    match = _RESPONSE_DUE.search(description)
    if match is None:
        return None
    written = match["date"]
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(written, pattern).date()
        except ValueError:
            continue
    return None
