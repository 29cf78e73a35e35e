"""The SMS texts in every language, from `config/messages/<language>.toml`.

Each file holds the language's texts, the reply keywords it understands, a label per
deadline kind, the words for "in 3 days" (one per CLDR plural category), the pattern of a
line in a list of dates, and the keys a native speaker still has to review. `en.toml` is
the reference: every other file must have exactly its keys, and an English
back-translation beside it (`<language>.back.toml`). Dates are formatted by babel in the
file's `babel_locale`, in its `date_format` (default: the locale's "long"); a file may name
its own `month_names` where CLDR has none (Haitian Creole: babel writes "30 M09 2026").
The files are read and checked by `tracker.alerts.message_files`.
"""

import string
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from babel import Locale
from babel.dates import format_date

from tracker.domain.appointments import APPOINTMENT_DEADLINES
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
        # A language keyword from a phone that several cases share changes them all.
        "reply.language_shared",
        "reply.unknown",
        "reply.unknown_number",
        # A USCIS decision the person must talk to their representative about (see
        # tracker.uscis.actions).
        "uscis.denied",
        "uscis.rejected",
        # An appointment rescheduled: its new time and place (tracker.cases.edit).
        "appointment.moved",
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
# The locale's own format with the month's name: 3/4 and 4/3 cannot be confused.
DATE_FORMAT = "long"
# `[days]`: the words for the day itself and the next, then one form per plural category.
DAY_WORDS = ("today", "tomorrow")
# `[formats]`: one line of {dates} and of {changes}, and the values each may use.
LINE_FORMATS = {
    "date_line": frozenset({"label", "date"}),
    "change_line": frozenset({"label", "date", "old_date"}),
}

PLACEHOLDERS = frozenset(
    {"org", "contact", "date", "days", "dates", "changes", "language", "form", "time", "place"}
    | {"label"}
)
_ABOUT_A_DATE = frozenset({"org", "contact", "date", "days"})
# An appointment's reminder also gives its time, as the place keeps it, and its place.
_ABOUT_AN_APPOINTMENT = _ABOUT_A_DATE | {"time", "place"}
APPOINTMENT_REMINDERS = frozenset(f"reminder.{kind.value}" for kind in APPOINTMENT_DEADLINES)
_PLAIN = frozenset({"org", "contact"})
# What the composer supplies for each key (tracker.alerts.compose): a text may use no other.
_PLACEHOLDERS_BY_KEY = {
    "welcome": _PLAIN | {"dates"},
    "date_changed": _PLAIN | {"changes"},
    "reply.dates": _PLAIN | {"dates"},
    "reply.language": _PLAIN | {"language"},
    "reply.language_shared": _PLAIN | {"language"},
    # {form}: the USCIS form, such as I-131; {date}: the day its status said so.
    "uscis.denied": _PLAIN | {"form", "date"},
    "uscis.rejected": _PLAIN | {"form", "date"},
    # {label}: the appointment's kind, as [labels] names it.
    "appointment.moved": _PLAIN | {"label", "date", "time", "place"},
}
# Placeholders every text of a key must use: a reminder names its date and how far it is,
# a list its items.
REQUIRED = {
    "welcome": {"dates"},
    "date_changed": {"changes"},
    "reply.dates": {"dates"},
    "appointment.moved": {"label", "date", "time", "place"},
}


@dataclass(frozen=True)
class DateItem:
    """One line of {dates}: a deadline kind (or a label already looked up) and its date."""

    kind: str
    day: date


@dataclass(frozen=True)
class ChangeItem:
    """One line of {changes}: what moved, from when to when."""

    kind: str
    day: date
    old_day: date


Value = str | int | date | Sequence[DateItem] | Sequence[ChangeItem]


def allowed_placeholders(key: str) -> frozenset[str]:
    """The values a caller supplies when rendering `key`."""
    if key.startswith("note."):
        return frozenset()  # a sentence added to a reminder as it is
    if key in APPOINTMENT_REMINDERS:
        return _ABOUT_AN_APPOINTMENT
    if key.startswith("reminder."):
        return _ABOUT_A_DATE
    if key in _PLACEHOLDERS_BY_KEY:
        return _PLACEHOLDERS_BY_KEY[key]
    return _PLAIN if key in MESSAGE_KEYS else PLACEHOLDERS


def required_placeholders(key: str) -> frozenset[str]:
    """The values every translation of `key` must show."""
    if key.startswith("note."):
        return frozenset()  # a sentence added to a reminder, which names the org
    if key in APPOINTMENT_REMINDERS:
        return frozenset({"org", "date", "days", "time", "place"})
    if key.startswith("reminder."):
        return frozenset({"org", "date", "days"})
    return frozenset({"org", *REQUIRED.get(key, ())})


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


@lru_cache(maxsize=64)
def plural_categories(babel_locale: str) -> frozenset[str]:
    """The CLDR plural categories of a locale's whole numbers, "other" included."""
    return Locale.parse(babel_locale).plural_form.tags | {"other"}


def _plural_form(babel_locale: str, number: int) -> str:
    return str(Locale.parse(babel_locale).plural_form(number))


@dataclass(frozen=True)
class LanguageFile:
    """One language's texts, as checked by `parse_language`."""

    code: str
    babel_locale: str
    needs_review: frozenset[str]
    keywords: Mapping[str, frozenset[str]]
    messages: Mapping[str, str]
    labels: Mapping[str, str]
    # "today", "tomorrow" and one "in {n} days" per plural category of the locale.
    days: Mapping[str, str]
    formats: Mapping[str, str]
    date_format: str = DATE_FORMAT
    # January to December, where babel has no month names for the language.
    month_names: tuple[str, ...] | None = None
    # The English back-translation of every text, by "messages.<key>", "labels.<kind>"...
    back: Mapping[str, str] | None = None
    # Where each message is written, for errors found after parsing (a text over budget).
    source: str = ""
    lines: Mapping[str, int | None] | None = None

    def where(self, key: str) -> tuple[str, int | None]:
        """The file and line of message `key`."""
        return self.source, (self.lines or {}).get(key)

    def format_date(self, day: date) -> str:
        """A date as this language's texts show it: a month name, never 3/4 or 4/3."""
        if self.month_names is None:
            return format_date(day, self.date_format, locale=self.babel_locale)
        month = self.month_names[day.month - 1].replace("'", "''")
        return format_date(day, f"d '{month}' y", locale=self.babel_locale)

    def days_phrase(self, days: int) -> str:
        """How far a date is, as the text says it: "today", "tomorrow", "in 30 days".

        Never negative: a text about a passed date is not sent (a preview of one says
        "today" rather than fail)."""
        if days <= 0:
            return self.days["today"]
        if days == 1:
            return self.days["tomorrow"]
        form = _plural_form(self.babel_locale, days)
        return self.days.get(form, self.days["other"]).format(n=days)

    def line(self, item: DateItem | ChangeItem) -> str:
        """One line of a list of dates or changes, with the kind's label."""
        label = self.labels.get(item.kind, item.kind)
        if isinstance(item, ChangeItem):
            new, old = self.format_date(item.day), self.format_date(item.old_day)
            return self.formats["change_line"].format(label=label, date=new, old_date=old)
        return self.formats["date_line"].format(label=label, date=self.format_date(item.day))


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
        filled = {name: self._format(file, name, value) for name, value in values.items()}
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

    def language_name(self, language: str, in_language: str | None = None) -> str:
        """The name of `language`, in its own words or in `in_language`'s."""
        locale = Locale.parse(self._file(language).babel_locale)
        if in_language is None:
            return locale.display_name or language
        return locale.get_display_name(self._file(in_language).babel_locale) or language

    def format_date(self, language: str, day: date) -> str:
        """A date as the texts of `language` show it."""
        return self._file(language).format_date(day)

    def _file(self, language: str) -> LanguageFile:
        return self.files.get(language) or self.files[REFERENCE]

    def file(self, language: str) -> LanguageFile:
        """The file of `language`, English for an unknown one."""
        return self._file(language)

    def _format(self, file: LanguageFile, name: str, value: Value) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, int):
            return file.days_phrase(value) if name == "days" else str(value)
        if isinstance(value, date):
            return file.format_date(value)
        return "\n".join(file.line(item) for item in value)
