"""Every text, in every language, within its segment budget with the longest values.

A text is rendered with the real ORG_SHORT_NAME, the longest {contact} (the longest one in
the database, or `contact_chars` if that is longer) and the longest value each other
placeholder can take: the longest date of the year in the language, the longest "in N
days" up to the furthest reminder, the longest label, every note a reminder can carry.
Pure: the caller finds the contact. `tracker rules check` and start-up refuse a text
over its budget (`[segment_budgets]` in reminders.toml), naming file, line, language, key
and segments, and a text with a link to anywhere but PUBLIC_BASE_URL's host.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time

from tracker.alerts.compose import POSSIBLE_NOTES, WATCH, AppointmentAt, Composer
from tracker.alerts.links import foreign_links
from tracker.alerts.messages import MESSAGE_KEYS, ChangeItem, DateItem, LanguageFile
from tracker.alerts.schedule import DeadlineView
from tracker.domain.appointments import APPOINTMENT_DEADLINES, PLACE_MAX
from tracker.domain.model import DeadlineKind, Form
from tracker.errors import ConfigError
from tracker.sms.segments import is_gsm7

# Day 28 of every month: the longest date of the year is among them.
_DATES = [date(2026, month, 28) for month in range(1, 13)]
# The longest appointment: a full place, and a time that names its zone (AKST: the
# person's clock in New York reads another hour) at two-digit hours.
_LONGEST_PLACE = "W" * PLACE_MAX
_PLACE_ZONE, _PERSON_ZONE = "America/Anchorage", "America/New_York"
_LONGEST_TIME = time(12, 45)


@dataclass(frozen=True)
class Longest:
    """A text of one key, in one language, as long as it can be."""

    language: str
    key: str
    text: str
    segments: int
    budget: int
    # A reminder followed by every note it can carry.
    with_notes: bool = False

    @property
    def encoding(self) -> str:
        return "GSM-7" if is_gsm7(self.text) else "UCS-2"

    @property
    def over(self) -> bool:
        return self.segments > self.budget

    def describe(self) -> str:
        """ "uk reminder.parole_expiry: 6 segments (UCS-2, 390 characters), budget 5"."""
        key = f"{self.key} with its notes" if self.with_notes else self.key
        return (
            f"{self.language} {key}: {self.segments} segments ({self.encoding}, "
            f"{len(self.text)} characters), budget {self.budget}"
        )


def longest_texts(composer: Composer, contact: str) -> list[Longest]:
    """The longest rendering of every text in every language, with its budget."""
    padded = contact.ljust(composer.policy.contact_chars, "x")
    found = []
    for language in composer.catalog.languages:
        for key, text, with_notes in _renderings(composer, language, padded):
            segments = composer.segments(text)
            budget = composer.budget(key, text, with_notes)
            found.append(Longest(language, key, text, segments, budget, with_notes))
    return found


def check_texts(composer: Composer, contact: str, own_host: str | None) -> list[Longest]:
    """`longest_texts`; ConfigError at the first text over its budget or with a link that
    does not point to `own_host`."""
    found = longest_texts(composer, contact)
    for text in found:
        source, line = composer.catalog.file(text.language).where(text.key)
        if text.over:
            reason = f"{text.describe()} with ORG_SHORT_NAME {composer.org!r}: shorten the text"
            raise ConfigError(source, line, reason)
        links = foreign_links(text.text, own_host)
        if links:
            reason = (
                f"{text.language} {text.key}: a link to {links[0]!r}. Texts link only to "
                "PUBLIC_BASE_URL's host, never a shortener (check ORG_SHORT_NAME and "
                "HELP_CONTACT too)"
            )
            raise ConfigError(source, line, reason)
    return found


def _renderings(composer: Composer, language: str, contact: str) -> Iterator[tuple[str, str, bool]]:
    """(key, longest text, with notes?) for every key people receive."""
    file = composer.catalog.file(language)
    day = _longest_date(file)
    furthest = max((max(days) for days in composer.policy.offsets.values() if days), default=0)
    days = max(range(furthest + 1), key=lambda n: len(file.days_phrase(n)))
    at = AppointmentAt(
        datetime.combine(day, _LONGEST_TIME), _PLACE_ZONE, _LONGEST_PLACE, _PERSON_ZONE
    )
    for kind in DeadlineKind:
        view = DeadlineView(kind, day, kind.value)
        on = date.fromordinal(day.toordinal() - days)
        if kind in APPOINTMENT_DEADLINES:
            yield (
                f"reminder.{kind.value}",
                composer.appointment(language, view, at, contact, on),
                False,
            )
            continue
        text = composer.reminder(language, view, contact, on)
        yield f"reminder.{kind.value}", text, False
        notes = POSSIBLE_NOTES.get(kind, ())
        if notes:
            yield f"reminder.{kind.value}", composer.with_notes(language, text, notes), True
    watch = DeadlineView(DeadlineKind.ANNUAL_ASYLUM_FEE_DUE, day, "fee", (WATCH,))
    on = date.fromordinal(day.toordinal() - days)
    yield "reminder.annual_asylum_fee_watch", composer.reminder(language, watch, contact, on), False
    label = max(DeadlineKind, key=lambda kind: len(file.labels[kind.value])).value
    one = DeadlineView(DeadlineKind(label), day, label)
    # The welcome fits as many dates as its budget allows: one must fit.
    yield "welcome", composer.welcome(language, [one], contact), False
    change = ChangeItem(label, day, day)
    yield "date_changed", composer.date_changed(language, [change], contact), False
    # DATES must list every date a case can have.
    every = [DeadlineView(kind, day, kind.value) for kind in DeadlineKind]
    items = [DateItem(view.kind.value, view.act_by) for view in every]
    yield "reply.dates", composer.reply(language, "reply.dates", contact, dates=items), False
    form = max((form.value for form in Form), key=len)
    for key in ("uscis.denied", "uscis.rejected"):
        yield key, composer.uscis_decision(language, key, form, day, contact), False
    longest = max(APPOINTMENT_DEADLINES, key=lambda kind: len(file.labels[kind.value]))
    yield "appointment.moved", composer.appointment_moved(language, longest, at, contact), False
    # A language keyword is confirmed in the language chosen, naming itself; English (the
    # fallback) may name any of them.
    codes = composer.catalog.languages if language == "en" else (language,)
    names = [composer.catalog.language_name(code, language) for code in codes]
    for key in sorted(MESSAGE_KEYS):
        if key.startswith("reply.language"):
            yield key, composer.reply(language, key, contact, language=max(names, key=len)), False
        elif key.startswith("reply.") and key != "reply.dates":
            yield key, composer.reply(language, key, contact), False


def _longest_date(file: LanguageFile) -> date:
    # A month name outside GSM-7 costs more than a longer one inside it.
    return max(
        _DATES, key=lambda day: (not is_gsm7(file.format_date(day)), len(file.format_date(day)))
    )
