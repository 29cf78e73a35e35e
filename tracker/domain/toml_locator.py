"""Finds the line of a key in TOML text, so config errors can say where they are.

tomllib reports lines only for syntax errors; for a value that parses but is wrong we
look the key up again in the text: the n-th `[[table]]` header, then the key below it.
"""

import re
import tomllib
from typing import Any

from tracker.errors import ConfigError

_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.-]+)\s*\]\]?")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")
# A key inside a [table], perhaps dotted and quoted: `reminder.parole_expiry =`, `"fa-AF" =`.
_DOTTED_KEY = re.compile(
    r"""^\s*((?:"[^"]*"|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:"[^"]*"|[A-Za-z0-9_-]+))*)\s*="""
)
_AT_LINE = re.compile(r"\(at line (\d+)")


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """Parse TOML text; a syntax error raises ConfigError with its line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, _syntax_error_line(exc), f"not valid TOML: {exc}") from exc


def _syntax_error_line(error: tomllib.TOMLDecodeError) -> int | None:
    """The line of a TOML syntax error (an attribute only from Python 3.14; else in the text)."""
    line = getattr(error, "lineno", None)
    if isinstance(line, int):
        return line
    match = _AT_LINE.search(str(error))
    return int(match.group(1)) if match else None


class TomlLocator:
    """Turns (table, index, key) into a line number of one TOML document."""

    def __init__(self, text: str, source: str) -> None:
        self.lines = text.splitlines()
        self.source = source

    def line_of(self, table: str | None, index: int | None, key: str | None) -> int | None:
        """1-based line of `key` in the `index`-th `[[table]]` (top level when table is None)."""
        start, end = self._span(table, index)
        if start is None:
            return None
        if table is None and key is not None:
            # A top-level name may be a key above the tables, or a table's own header.
            for number, line in enumerate(self.lines):
                header = _HEADER.match(line)
                if header and header.group(1) == key:
                    return number + 1
        if key is not None:
            for number in range(start, end):
                match = _KEY.match(self.lines[number])
                if match and match.group(1) == key:
                    return number + 1
        return start + 1 if table is not None else None

    def check_keys(self, data: dict[str, Any], keys: tuple[str, ...] | set[str]) -> None:
        """Refuse a top-level key not in `keys`, then a key of `keys` that is absent."""
        for key in data:
            if key not in keys:
                raise self.error(None, None, key, "unknown key")
        for key in keys:
            if key not in data:
                raise self.error(None, None, None, f"missing key {key!r}")

    def error(
        self, table: str | None, index: int | None, key: str | None, reason: str
    ) -> ConfigError:
        """A ConfigError pointing at the key, with the table named in the reason."""
        where = f"[[{table}]] #{index + 1}" if table is not None and index is not None else ""
        field = f"{key}: " if key else ""
        prefix = f"{where} " if where else ""
        return ConfigError(self.source, self.line_of(table, index, key), f"{prefix}{field}{reason}")

    def table_error(self, table: str, reason: str) -> ConfigError:
        """A ConfigError pointing at the header of a single `[table]`."""
        return ConfigError(self.source, self._header(table), reason)

    def key_error(self, table: str, key: str, reason: str) -> ConfigError:
        """A ConfigError pointing at `key` (dotted for nested keys) inside a `[table]`."""
        return ConfigError(self.source, self.key_line(table, key), f"[{table}] {key}: {reason}")

    def key_line(self, table: str, key: str) -> int | None:
        """1-based line of `key` (dotted for nested keys) in a `[table]`, else its header's."""
        header = self._header(table)
        if header is not None:
            for number in range(header, len(self.lines)):
                if _HEADER.match(self.lines[number]):
                    break
                match = _DOTTED_KEY.match(self.lines[number])
                if match and _key_name(match.group(1)) == key:
                    return number + 1
        return header

    def _header(self, table: str) -> int | None:
        for number, line in enumerate(self.lines):
            match = _HEADER.match(line)
            if match and match.group(1) == table:
                return number + 1
        return None

    def _span(self, table: str | None, index: int | None) -> tuple[int | None, int]:
        headers = [
            (n, m.group(1)) for n, line in enumerate(self.lines) if (m := _HEADER.match(line))
        ]
        if table is None:
            return 0, headers[0][0] if headers else len(self.lines)
        found = [n for n, name in headers if name == table]
        if index is None or index >= len(found):
            return None, 0
        start = found[index]
        later = [n for n, _ in headers if n > start]
        return start, later[0] if later else len(self.lines)


def _key_name(written: str) -> str:
    """`a . "b"` -> `a.b`: a dotted key as written, as tomllib names it."""
    parts = re.findall(r'"([^"]*)"|([A-Za-z0-9_-]+)', written)
    return ".".join(quoted or bare for quoted, bare in parts)
