"""The SMS texts in every language, from `config/messages/<language>.toml`.

Each file holds the language's texts, the reply keywords it understands, a label per
deadline kind and the keys a native speaker still has to review. `en.toml` is the
reference: every other file must have exactly its message keys. Dates are formatted by
babel in the file's `babel_locale`, in its `date_format` (default: the locale's "medium");
a file may name its own `month_names` where CLDR has none (Haitian Creole: babel writes
"30 M09 2026"). Parsing is pure;
`load_catalog` is the only function that reads files. A problem raises ConfigError with
the file, the line and the reason.
"""

import re
import string
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date

from tracker.domain.model import DeadlineKind
from tracker.domain.toml_locator import TomlLocator, parse_toml
from tracker.errors import ConfigError

REFERENCE = "en"
# The languages of the main parolee groups (domain.md); each must have a file.
LANGUAGES = ("en", "es", "uk", "ru", "ht", "fa-AF", "ps")
MESSAGE_KEYS = frozenset(
    {
        *(f"reminder.{kind.value}" for kind in DeadlineKind),
        "note.at_risk",
        "note.asylum_passed",
        "welcome",
        "date_changed",
        "reply.stop",
        "reply.start",
        "reply.help",
        "reply.dates",
        "reply.dates_none",
        "reply.language",
        "reply.unknown",
        "reply.unknown_number",
    }
)
KEYWORD_INTENTS = ("stop", "start", "help", "dates")
# Twilio's own keywords (tech.md): every language file must understand them.
TWILIO_KEYWORDS = {
    "stop": ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"),
    "start": ("START", "YES", "UNSTOP"),
    "help": ("HELP", "INFO"),
    "dates": ("DATES",),
}
# The locale's own compact format, with a month name: 3/4 and 4/3 cannot be confused.
DATE_FORMAT = "medium"

PLACEHOLDERS = frozenset({"org", "contact", "date", "days", "dates", "language"})
_ABOUT_A_DATE = frozenset({"org", "contact", "date", "days"})
_PLAIN = frozenset({"org", "contact"})
# What the composer supplies for each key (tracker.alerts.compose): a text may use no other.
_PLACEHOLDERS_BY_KEY = {
    "welcome": _PLAIN | {"date"},
    "date_changed": _PLAIN | {"date"},
    "reply.dates": _PLAIN | {"dates"},
    "reply.language": _PLAIN | {"language"},
}
_TOP_LEVEL = ("language", "babel_locale", "needs_review", "keywords", "messages", "labels")
_OPTIONAL = ("date_format", "month_names")

Value = str | int | date | Sequence[tuple[str, date]]


def allowed_placeholders(key: str) -> frozenset[str]:
    """The values a caller supplies when rendering `key`."""
    if key.startswith("reminder."):
        return _ABOUT_A_DATE
    if key in _PLACEHOLDERS_BY_KEY:
        return _PLACEHOLDERS_BY_KEY[key]
    return _PLAIN if key in MESSAGE_KEYS else PLACEHOLDERS


def placeholders(text: str) -> list[str]:
    """The placeholder names in `text`, in order; ValueError for a stray brace."""
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]


# Letters that Arabic-script keyboards type in two forms, and invisible joiners.
_SCRIPT_VARIANTS = str.maketrans(
    {"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9", "\u0640": None}
)


def normalise_keyword(text: str) -> str:
    """A reply word as we compare it: no accents, case, whitespace or punctuation around."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = text.translate(_SCRIPT_VARIANTS).casefold()
    text = "".join(char for char in text if unicodedata.category(char) != "Cf")
    start, end = 0, len(text)
    while start < end and _is_edge(text[start]):
        start += 1
    while end > start and _is_edge(text[end - 1]):
        end -= 1
    return "".join(text[start:end].split())


def _is_edge(char: str) -> bool:
    return char.isspace() or unicodedata.category(char)[0] in "PSZC"


@dataclass(frozen=True)
class LanguageFile:
    """One language's texts, as checked by `parse_language`."""

    code: str
    babel_locale: str
    needs_review: frozenset[str]
    keywords: Mapping[str, frozenset[str]]
    messages: Mapping[str, str]
    labels: Mapping[str, str]
    date_format: str = DATE_FORMAT
    # January to December, where babel has no month names for the language.
    month_names: tuple[str, ...] | None = None

    def format_date(self, day: date) -> str:
        """A date as this language's texts show it: a month name, never 3/4 or 4/3."""
        if self.month_names is None:
            return format_date(day, self.date_format, locale=self.babel_locale)
        month = self.month_names[day.month - 1].replace("'", "''")
        return format_date(day, f"d '{month}' y", locale=self.babel_locale)


@dataclass(frozen=True)
class Catalog:
    """Every language's texts; an unknown language falls back to English."""

    files: Mapping[str, LanguageFile]

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.files)

    def render(self, language: str, key: str, /, **values: Value) -> str:
        """The text of `key` in `language` with the given values filled in."""
        file = self._file(language)
        if key not in file.messages:
            raise KeyError(f"unknown message key {key!r}")
        text = file.messages[key]
        filled = {name: self._format(file, value) for name, value in values.items()}
        missing = [name for name in placeholders(text) if name not in filled]
        if missing:
            raise KeyError(f"message {key!r} needs a value for {{{missing[0]}}}")
        return text.format_map(filled)

    def label(self, language: str, kind: DeadlineKind | str) -> str:
        """The short name of a deadline kind, as the DATES reply lists it."""
        value = kind.value if isinstance(kind, DeadlineKind) else kind
        return self._file(language).labels[value]

    def keywords(self, language: str) -> dict[str, frozenset[str]]:
        """Reply words by intent (stop, start, help, dates), as written in the file."""
        return dict(self._file(language).keywords)

    def needs_review(self, language: str) -> frozenset[str]:
        """Keys whose text a native speaker has not reviewed yet."""
        return self._file(language).needs_review

    def babel_locale(self, language: str) -> str:
        """The babel locale of `language` (for its name, say)."""
        return self._file(language).babel_locale

    def format_date(self, language: str, day: date) -> str:
        """A date as the texts of `language` show it."""
        return self._file(language).format_date(day)

    def _file(self, language: str) -> LanguageFile:
        return self.files.get(language) or self.files[REFERENCE]

    def _format(self, file: LanguageFile, value: Value) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, int):
            return str(value)
        if isinstance(value, date):
            return file.format_date(value)
        # Items name a deadline kind, or carry its label already (the composer's way).
        return "\n".join(
            f"{file.labels.get(kind, kind)}: {file.format_date(day)}" for kind, day in value
        )


def load_catalog(directory: Path, languages: Sequence[str] = LANGUAGES) -> Catalog:
    """Read `<language>.toml` for English, every language given and every other file there."""
    codes = list(dict.fromkeys([REFERENCE, *languages]))
    codes += sorted(p.stem for p in directory.glob("*.toml") if p.stem not in codes)
    texts: dict[str, tuple[str, str]] = {}
    for code in codes:
        path = directory / f"{code}.toml"
        try:
            texts[code] = (str(path), path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(str(path), None, f"no message file for language {code!r}") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(str(path), None, f"cannot read the file: {exc}") from exc
    return parse_catalog(texts)


def parse_catalog(texts: Mapping[str, tuple[str, str]]) -> Catalog:
    """Check every language's (source, text); English is the reference for the others."""
    if REFERENCE not in texts:
        raise ConfigError(f"{REFERENCE}.toml", None, "the English file is required")
    source, text = texts[REFERENCE]
    reference = parse_language(text, source, REFERENCE, None)
    files = {REFERENCE: reference}
    for code, (source, text) in texts.items():
        if code != REFERENCE:
            files[code] = parse_language(text, source, code, reference)
    _check_keyword_conflicts(files, texts)
    return Catalog(files)


def parse_language(
    text: str, source: str, code: str, reference: LanguageFile | None
) -> LanguageFile:
    """Check one language file; `reference` is the English file (None for English itself)."""
    data = parse_toml(text, source)
    where = _Where(text, source)
    for key in data:
        if key not in _TOP_LEVEL + _OPTIONAL:
            raise where.top(key, "unknown top-level key")
    for key in _TOP_LEVEL:
        if key not in data:
            raise ConfigError(source, None, f"missing required key {key!r}")
    if data["language"] != code:
        raise where.top("language", f"must be {code!r}, the name of the file")
    babel_locale = _string(data["babel_locale"], where, None, "babel_locale")
    try:
        Locale.parse(babel_locale)
    except (UnknownLocaleError, ValueError) as exc:
        raise where.top("babel_locale", f"unknown babel locale {babel_locale!r}") from exc
    expected = set(reference.messages) if reference else set(MESSAGE_KEYS)
    messages = _messages(data["messages"], where, expected)
    labels = _labels(data["labels"], where)
    english = reference.keywords if reference else None
    keywords = _keywords(data["keywords"], where, english)
    date_format = DATE_FORMAT
    if "date_format" in data:
        date_format = _date_format(data["date_format"], where, babel_locale)
    months = _month_names(data.get("month_names"), where)
    review = _review(data["needs_review"], where, messages)
    return LanguageFile(code, babel_locale, review, keywords, messages, labels, date_format, months)


def _messages(raw: Any, where: "_Where", expected: set[str]) -> dict[str, str]:
    table = _table(raw, where, "messages")
    messages = _flatten(table)
    for key, text in messages.items():
        if key not in expected:
            raise where.key("messages", key, "unknown message key (not in en.toml)")
        _string(text, where, "messages", key)
        try:
            names = placeholders(text)
        except ValueError as exc:
            raise where.key("messages", key, f"broken placeholder: {exc}") from exc
        allowed = allowed_placeholders(key)
        for name in names:
            if name not in PLACEHOLDERS:
                known = ", ".join(f"{{{n}}}" for n in sorted(PLACEHOLDERS))
                reason = f"unknown placeholder {{{name}}} (known: {known})"
                raise where.key("messages", key, reason)
            if name not in allowed:
                reason = f"placeholder {{{name}}} is not available in this message"
                raise where.key("messages", key, reason)
    missing = sorted(expected - set(messages))
    if missing:
        raise where.table("messages", f"missing message key {missing[0]!r} (en.toml has it)")
    return {key: messages[key] for key in sorted(messages)}


def _labels(raw: Any, where: "_Where") -> dict[str, str]:
    table = _table(raw, where, "labels")
    kinds = {kind.value for kind in DeadlineKind}
    for key, text in table.items():
        if key not in kinds:
            raise where.key("labels", key, "unknown deadline kind")
        _string(text, where, "labels", key)
    for kind in DeadlineKind:
        if kind.value not in table:
            raise where.table("labels", f"missing label for deadline kind {kind.value!r}")
    return {kind.value: table[kind.value] for kind in DeadlineKind}


def _keywords(
    raw: Any, where: "_Where", english: Mapping[str, frozenset[str]] | None
) -> dict[str, frozenset[str]]:
    table = _table(raw, where, "keywords")
    result: dict[str, frozenset[str]] = {}
    for key, words in table.items():
        if key not in KEYWORD_INTENTS:
            raise where.key("keywords", key, "unknown intent")
        if not isinstance(words, list) or not words:
            raise where.key("keywords", key, "must be a non-empty list of words")
        result[key] = frozenset(_string(word, where, "keywords", key) for word in words)
    for intent in KEYWORD_INTENTS:
        if intent not in result:
            raise where.table("keywords", f"missing keyword list {intent!r}")
        required = english[intent] if english else frozenset(TWILIO_KEYWORDS[intent])
        have = {normalise_keyword(word) for word in result[intent]}
        absent = sorted(w for w in required if normalise_keyword(w) not in have)
        if absent:
            where_from = "en.toml" if english else "Twilio"
            reason = f"must include the {where_from} words {', '.join(absent)}"
            raise where.key("keywords", intent, reason)
    return result


def _date_format(raw: Any, where: "_Where", babel_locale: str) -> str:
    pattern = _string(raw, where, None, "date_format")
    try:
        sample = format_date(date(2026, 9, 28), pattern, locale=babel_locale)
    except (ValueError, KeyError, AttributeError) as exc:
        raise where.top("date_format", f"not a babel date format: {exc}") from exc
    if "9" in sample.replace("2026", "").replace("28", "") or "28" not in sample:
        raise where.top("date_format", "must show the day and the month's name: 3/4 or 4/3?")
    return pattern


def _month_names(raw: Any, where: "_Where") -> tuple[str, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) != 12:
        raise where.top("month_names", "must list the 12 months, January first")
    return tuple(_string(name, where, None, "month_names") for name in raw)


def _review(raw: Any, where: "_Where", messages: Mapping[str, str]) -> frozenset[str]:
    if not isinstance(raw, list):
        raise where.top("needs_review", "must be a list of keys")
    known = {
        *messages,
        *(f"labels.{kind.value}" for kind in DeadlineKind),
        *(f"keywords.{intent}" for intent in KEYWORD_INTENTS),
        "month_names",
    }
    for entry in raw:
        if entry not in known:
            raise where.top("needs_review", f"unknown key {entry!r}")
    return frozenset(raw)


def _check_keyword_conflicts(
    files: Mapping[str, LanguageFile], texts: Mapping[str, tuple[str, str]]
) -> None:
    """One word must mean one thing in every language: the reply parser tries them all."""
    seen: dict[str, tuple[str, str]] = {}
    for code, file in files.items():
        for intent in KEYWORD_INTENTS:
            for word in sorted(file.keywords[intent]):
                folded = normalise_keyword(word)
                first = seen.setdefault(folded, (intent, code))
                if first[0] != intent:
                    source, text = texts[code]
                    reason = (
                        f"keyword {word!r} means {intent!r} here "
                        f"but {first[0]!r} in {first[1]}.toml"
                    )
                    raise _Where(text, source).key("keywords", intent, reason)


def _table(raw: Any, where: "_Where", name: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise where.top(name, f"write {name} as a [{name}] table")
    return raw


def _string(value: Any, where: "_Where", table: str | None, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        if table is None:
            raise where.top(key, "must be a non-empty string")
        raise where.key(table, key, "must be a non-empty string")
    return value


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """`reply.stop = "..."` parses as nested tables: join the names back with dots."""
    flat: dict[str, Any] = {}
    for name, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = value
    return flat


_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_.-]+)\s*\]")
_DOTTED_KEY = re.compile(
    r"""^\s*((?:"[^"]*"|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:"[^"]*"|[A-Za-z0-9_-]+))*)\s*="""
)


class _Where:
    """Lines of top-level keys (TomlLocator) and of dotted keys inside a [table]."""

    def __init__(self, text: str, source: str) -> None:
        self.locator = TomlLocator(text, source)
        self.lines = text.splitlines()
        self.source = source

    def top(self, key: str, reason: str) -> ConfigError:
        return self.locator.error(None, None, key, reason)

    def table(self, table: str, reason: str) -> ConfigError:
        return ConfigError(self.source, self._header(table), reason)

    def key(self, table: str, key: str, reason: str) -> ConfigError:
        header = self._header(table)
        line = header
        if header is not None:
            for number in range(header, len(self.lines)):
                if _HEADER.match(self.lines[number]):
                    break
                match = _DOTTED_KEY.match(self.lines[number])
                if match and _key_name(match.group(1)) == key:
                    line = number + 1
                    break
        return ConfigError(self.source, line, f"[{table}] {key}: {reason}")

    def _header(self, table: str) -> int | None:
        for number, line in enumerate(self.lines):
            match = _HEADER.match(line)
            if match and match.group(1) == table:
                return number + 1
        return None


def _key_name(written: str) -> str:
    parts = re.findall(r'"([^"]*)"|([A-Za-z0-9_-]+)', written)
    return ".".join(quoted or bare for quoted, bare in parts)
