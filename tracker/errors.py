"""The tracker's error hierarchy, in one place so callers know what to catch.

TrackerError            anything the user can act on; its message is shown as is
├── ConfigError         a config file is wrong (file, line, reason)
├── SettingsError       an environment setting is missing or malformed
├── NotFoundError       a case, termination or other record does not exist
├── IllegalTransitionError  a status change the status machine refuses
└── InvalidInputError   a value given on the CLI, API or in a form is wrong

Import problems are not errors of this kind: an import reports every bad row at once
(see `tracker.importer.rows.RowError`).
"""


class TrackerError(Exception):
    """An error whose message is written for the person who caused it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(TrackerError):
    """A configuration file is malformed or inconsistent."""

    def __init__(self, source: str, line: int | None, reason: str) -> None:
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {reason}")
        self.source = source
        self.line = line
        self.reason = reason


class SettingsError(TrackerError):
    """A setting from the environment or `.env` is missing, malformed or insecure."""


class NotFoundError(TrackerError):
    """The record asked for does not exist."""


class IllegalTransitionError(TrackerError):
    """The status machine does not allow this change."""


class InvalidInputError(TrackerError):
    """A value given by a user is not acceptable."""
