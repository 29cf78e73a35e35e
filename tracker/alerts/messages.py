"""The SMS texts in every language, from `config/messages/<language>.toml`.

Each file holds the language's texts, the reply keywords it understands, a label per
deadline kind and the keys a native speaker still has to review. `en.toml` is the
reference: every other file must have exactly its message keys. Dates are formatted by
babel in the file's `babel_locale`, in its `date_format` (default: the locale's "medium");
a file may name its own `month_names` where CLDR has none (Haitian Creole: babel writes
"30 M09 2026"). The files are read and checked by `tracker.alerts.message_files`.
"""

import string
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date

from tracker.domain.model import DeadlineKind

REFERENCE = "en"
# The languages of the main parolee groups (domain.md); each must have a file.
LANGUAGES = ("en", "es", "uk", "ru", "ht", "fa-AF", "ps")
MESSAGE_KEYS = frozenset(
    {
        *(f"reminder.{kind.value}" for kind in DeadlineKind),
        # The yearly fee's anniversary, before USCIS's notice gives the due date.
        "reminder.annual_asylum_fee_watch",
        "note.at_risk",
        "note.asylum_passed",
        "note.hold",
        "note.work_incident",
        "note.capped",
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
        # A USCIS decision the person must talk to their representative about (see
        # tracker.uscis.actions).
        "uscis.denied",
        "uscis.rejected",
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

PLACEHOLDERS = frozenset({"org", "contact", "date", "days", "dates", "language", "form"})
_ABOUT_A_DATE = frozenset({"org", "contact", "date", "days"})
_PLAIN = frozenset({"org", "contact"})
# What the composer supplies for each key (tracker.alerts.compose): a text may use no other.
_PLACEHOLDERS_BY_KEY = {
    "welcome": _PLAIN | {"date"},
    "date_changed": _PLAIN | {"date"},
    "reply.dates": _PLAIN | {"dates"},
    "reply.language": _PLAIN | {"language"},
    # {form}: the USCIS form, such as I-131.
    "uscis.denied": _PLAIN | {"form"},
    "uscis.rejected": _PLAIN | {"form"},
}

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
