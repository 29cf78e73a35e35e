"""Writes the text of each message from the catalog, in the person's language."""

from dataclasses import dataclass
from datetime import date

from tracker.alerts.messages import Catalog
from tracker.alerts.policy import ReminderPolicy
from tracker.domain.holds import held_by
from tracker.domain.model import Deadline, DeadlineKind
from tracker.domain.rules import WORK_INCIDENT_TO_PAROLE
from tracker.sms.segments import segments
from tracker.store.models import Case, DeadlineRow, Parolee

AT_RISK = "at_risk"
WATCH = "watch_for_notice"
# Flags that add a sentence to a reminder, and the note each adds.
NOTES = (
    (AT_RISK, "note.at_risk"),
    ("asylum_year_passed_in_parole", "note.asylum_passed"),
    (WORK_INCIDENT_TO_PAROLE, "note.work_incident"),
    ("capped_at_parole_end", "note.capped"),
)
# Full stops of the scripts we write in ("\u06d4" is the Arabic-script one, used in Pashto).
SENTENCE_ENDS = (".", "!", "?", "\u06d4")


@dataclass(frozen=True)
class DeadlineView:
    """What the messages need of a deadline, whether stored or just computed."""

    kind: DeadlineKind
    act_by: date
    slot: str
    flags: tuple[str, ...] = ()

    @classmethod
    def of_row(cls, row: DeadlineRow) -> "DeadlineView":
        return cls(row.kind, row.act_by, row.slot, tuple(f for f in row.flags.split(",") if f))

    @classmethod
    def of(cls, deadline: Deadline) -> "DeadlineView":
        return cls(deadline.kind, deadline.act_by, deadline.slot, deadline.flags)


@dataclass(frozen=True)
class Composer:
    """The reminder policy, the message catalog and who the messages come from."""

    policy: ReminderPolicy
    catalog: Catalog
    org: str
    help_contact: str

    def segments(self, body: str) -> int:
        """SMS segments the body costs."""
        return segments(body)

    def reminder(
        self, parolee: Parolee, deadline: DeadlineView, contact: str, sent_on: date
    ) -> str:
        """A reminder about one deadline as it reads on `sent_on` (the person's local date),
        with the notes its flags call for."""
        language = parolee.language
        days = (deadline.act_by - sent_on).days
        key = f"reminder.{deadline.kind.value}"
        if WATCH in deadline.flags:
            key = "reminder.annual_asylum_fee_watch"
        text = self._render(language, key, contact, date=deadline.act_by, days=days)
        notes = [note for flag, note in NOTES if flag in deadline.flags]
        if held_by(deadline.flags):
            notes.append("note.hold")
        for note in notes:
            text = _then(text, self._render(language, note, contact))
        return text

    def welcome(
        self, case: Case, parolee: Parolee, upcoming: list[DeadlineView], contact: str
    ) -> str:
        """The first message: who writes, the next date, and how to reply."""
        del case
        first = upcoming[0]
        return self._render(parolee.language, "welcome", contact, date=first.act_by)

    def date_changed(self, parolee: Parolee, end: date, contact: str) -> str:
        """One message when a date moved: the new end of parole."""
        return self._render(parolee.language, "date_changed", contact, date=end)

    def dates(self, parolee: Parolee, upcoming: list[DeadlineView], contact: str) -> str:
        """The answer to DATES: every upcoming date, labelled."""
        if not upcoming:
            return self._render(parolee.language, "reply.dates_none", contact)
        items = [(self.catalog.label(parolee.language, d.kind.value), d.act_by) for d in upcoming]
        return self._render(parolee.language, "reply.dates", contact, dates=items)

    def uscis_decision(self, parolee: Parolee, key: str, form: str, contact: str) -> str:
        """What USCIS decided (`key`: uscis.denied or uscis.rejected), and whom to talk to."""
        return self._render(parolee.language, key, contact, form=form)

    def reply(self, language: str, key: str, contact: str | None = None) -> str:
        """A short answer to a reply (STOP, START, HELP, a language code, anything else)."""
        return self._render(language, key, contact or self.help_contact)

    def _render(
        self,
        language: str,
        key: str,
        contact: str,
        **values: str | int | date | list[tuple[str, date]],
    ) -> str:
        return self.catalog.render(language, key, org=self.org, contact=contact, **values)


def _then(text: str, note: str) -> str:
    """`note` after `text` as a new sentence (texts may end with a name, not a full stop)."""
    text = text.rstrip()
    return f"{text} {note}" if text.endswith(SENTENCE_ENDS) else f"{text}. {note}"
