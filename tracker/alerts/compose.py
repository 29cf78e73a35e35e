"""Writes the text of each message from the catalog, in a given language, for a given day.

Pure: the caller (tracker.alerts.render) reads what a message is about at the instant it
goes, and passes the local date it arrives on, so "in 10 days" is true on arrival.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_time

from tracker.alerts.messages import Catalog, ChangeItem, DateItem, Value
from tracker.alerts.policy import ReminderPolicy
from tracker.alerts.schedule import DeadlineView
from tracker.domain.appointments import APPOINTMENT_DEADLINES
from tracker.domain.holds import held_by
from tracker.domain.model import DeadlineKind
from tracker.domain.rules import WORK_INCIDENT_TO_PAROLE
from tracker.sms.segments import segments

AT_RISK = "at_risk"
WATCH = "watch_for_notice"
HOLD_NOTE = "note.hold"
# Flags that add a sentence to a reminder, and the note each adds.
NOTES = (
    (AT_RISK, "note.at_risk"),
    ("asylum_year_passed_in_parole", "note.asylum_passed"),
    (WORK_INCIDENT_TO_PAROLE, "note.work_incident"),
    ("capped_at_parole_end", "note.capped"),
)
# The notes each kind of reminder can carry, as the rules set their flags (a hold on the
# end of parole and re-parole, the asylum note on the end, the work notes on the card):
# what the budget check renders each reminder with.
POSSIBLE_NOTES: dict[DeadlineKind, tuple[str, ...]] = {
    DeadlineKind.PAROLE_EXPIRY: ("note.asylum_passed", HOLD_NOTE),
    DeadlineKind.REPAROLE_WINDOW_OPENS: (HOLD_NOTE,),
    DeadlineKind.REPAROLE_FILE_BY: (HOLD_NOTE,),
    DeadlineKind.UNLAWFUL_PRESENCE_180: ("note.at_risk",),
    DeadlineKind.UNLAWFUL_PRESENCE_365: ("note.at_risk",),
    DeadlineKind.WORK_PERMIT_EXPIRY: ("note.work_incident", "note.capped"),
}
# Full stops of the scripts we write in ("\u06d4" is the Arabic-script one, used in Pashto).
SENTENCE_ENDS = (".", "!", "?", "\u06d4")
# Which budget (reminders.toml [segment_budgets]) each text is held to.
LISTS = ("welcome", "date_changed")
APPOINTMENT_TEXTS = frozenset(
    {"appointment.moved", *(f"reminder.{kind.value}" for kind in APPOINTMENT_DEADLINES)}
)
# Babel writes "9:30 AM" with a narrow no-break space, which is not GSM-7.
_SPACES = str.maketrans({"\u202f": " ", "\u00a0": " "})


@dataclass(frozen=True)
class AppointmentAt:
    """When and where an appointment is, as its text gives it."""

    # The local time as the place keeps it (naive), and the place's zone.
    local_start: datetime
    zone: str
    place: str
    # The person's zone: when its clock differs from the place's, the time names its zone.
    person_zone: str

    def zone_name(self) -> str | None:
        """The place's zone abbreviation (CST), when the person's clock reads otherwise."""
        at = self.local_start.replace(tzinfo=ZoneInfo(self.zone))
        if at.utcoffset() == at.astimezone(ZoneInfo(self.person_zone)).utcoffset():
            return None
        return at.tzname()


def budget_kind(key: str, with_notes: bool = False) -> str:
    """The `[segment_budgets]` entry a text of `key` is held to."""
    if key == "reply.dates":
        return "dates"
    if key in APPOINTMENT_TEXTS:
        return "appointment"
    if key in LISTS:
        return "list"
    return "with_notes" if with_notes else "text"


@dataclass(frozen=True)
class Composer:
    """The reminder policy, the message catalog and who the messages come from."""

    policy: ReminderPolicy
    catalog: Catalog
    # ORG_SHORT_NAME: the first words of every text.
    org: str
    help_contact: str

    def segments(self, body: str) -> int:
        """SMS segments the body costs."""
        return segments(body)

    def budget(self, key: str, body: str, with_notes: bool = False) -> int:
        """The most segments `body`, a text of `key`, may cost in its encoding."""
        return self.policy.segment_budgets[budget_kind(key, with_notes)].of(body)

    def reminder(self, language: str, deadline: DeadlineView, contact: str, on: date) -> str:
        """A reminder about one deadline as it reads on `on` (the person's local date),
        with the notes its flags call for."""
        key = f"reminder.{deadline.kind.value}"
        if WATCH in deadline.flags:
            key = "reminder.annual_asylum_fee_watch"
        days = (deadline.act_by - on).days
        text = self._render(language, key, contact, date=deadline.act_by, days=days)
        notes = [note for flag, note in NOTES if flag in deadline.flags]
        if held_by(deadline.flags):
            notes.append(HOLD_NOTE)
        return self.with_notes(language, text, notes)

    def appointment(
        self, language: str, deadline: DeadlineView, at: AppointmentAt, contact: str, on: date
    ) -> str:
        """A reminder of an appointment as it reads on `on` (the person's local date):
        its day, time as the place keeps it, and place."""
        key = f"reminder.{deadline.kind.value}"
        day = at.local_start.date()
        time_text = self.time_of(language, at)
        days = (day - on).days
        return self._render(
            language, key, contact, date=day, days=days, time=time_text, place=at.place
        )

    def appointment_moved(
        self, language: str, kind: DeadlineKind, at: AppointmentAt, contact: str
    ) -> str:
        """The one text of a rescheduled appointment: its new day, time and place."""
        label = self.catalog.label(language, kind)
        day, time_text = at.local_start.date(), self.time_of(language, at)
        return self._render(
            language,
            "appointment.moved",
            contact,
            label=label,
            date=day,
            time=time_text,
            place=at.place,
        )

    def time_of(self, language: str, at: AppointmentAt) -> str:
        """The time of day in the language's own way, with the place's zone when the
        person's clock reads another hour."""
        locale = self.catalog.babel_locale(language)
        text = format_time(at.local_start.time(), "short", locale=locale).translate(_SPACES)
        zone = at.zone_name()
        return f"{text} {zone}" if zone else text

    def with_notes(self, language: str, text: str, notes: Sequence[str]) -> str:
        """`text` followed by each note, as new sentences."""
        for note in notes:
            text = _then(text, self.catalog.render(language, note))
        return text

    def welcome(self, language: str, upcoming: Sequence[DeadlineView], contact: str) -> str:
        """The first message: who writes, the coming dates by name (soonest first, as many
        as fit the budget), how to reply and whom to ask."""
        items = [DateItem(d.kind.value, d.act_by) for d in sorted(upcoming, key=_soonest)]
        return self._fitting(language, "welcome", contact, "dates", items)

    def date_changed(self, language: str, changes: Sequence[ChangeItem], contact: str) -> str:
        """One message when dates moved: what moved, from and to (as many as fit)."""
        items = sorted(changes, key=lambda change: change.day)
        return self._fitting(language, "date_changed", contact, "changes", items)

    def dates(self, language: str, upcoming: Sequence[DeadlineView], contact: str) -> str:
        """The answer to DATES: every upcoming date, labelled, soonest first."""
        if not upcoming:
            return self._render(language, "reply.dates_none", contact)
        items = [DateItem(d.kind.value, d.act_by) for d in sorted(upcoming, key=_soonest)]
        return self._fitting(language, "reply.dates", contact, "dates", items)

    def uscis_decision(self, language: str, key: str, form: str, seen: date, contact: str) -> str:
        """What USCIS decided (`key`: uscis.denied or uscis.rejected), when its status said
        so, and whom to talk to."""
        return self._render(language, key, contact, form=form, date=seen)

    def reply(self, language: str, key: str, contact: str | None = None, /, **values: Value) -> str:
        """A short answer to a reply (STOP, START, HELP, a language code, anything else)."""
        return self._render(language, key, contact or self.help_contact, **values)

    def _fitting(
        self,
        language: str,
        key: str,
        contact: str,
        name: str,
        items: Sequence[DateItem] | Sequence[ChangeItem],
    ) -> str:
        """The text with as many of `items` as its budget allows (always the first)."""
        count = len(items)
        while True:
            text = self._render(language, key, contact, **{name: items[:count]})
            if count <= 1 or self.segments(text) <= self.budget(key, text):
                return text
            count -= 1

    def _render(self, language: str, key: str, contact: str, /, **values: Value) -> str:
        return self.catalog.render(language, key, org=self.org, contact=contact, **values)


def _soonest(deadline: DeadlineView) -> tuple[date, str]:
    return deadline.act_by, deadline.kind.value


def _then(text: str, note: str) -> str:
    """`note` after `text` as a new sentence (texts may end with a name, not a full stop)."""
    text = text.rstrip()
    return f"{text} {note}" if text.endswith(SENTENCE_ENDS) else f"{text}. {note}"
