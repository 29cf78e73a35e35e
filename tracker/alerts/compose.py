"""Writes the text of each message from the catalog, in the person's language."""

from dataclasses import dataclass
from datetime import date, datetime

from tracker.alerts.messages import Catalog
from tracker.alerts.policy import ReminderPolicy, local_date
from tracker.domain.model import Deadline, DeadlineKind
from tracker.sms.segments import segments
from tracker.store.models import Case, DeadlineRow, Parolee

AT_RISK = "at_risk"
ASYLUM_PASSED = "asylum_year_passed_in_parole"


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
        self, parolee: Parolee, deadline: DeadlineView, contact: str, now: datetime
    ) -> str:
        """A reminder about one deadline, with the notes its flags call for."""
        language = parolee.language
        days = (deadline.act_by - local_date(now, parolee.timezone)).days
        text = self._render(
            language, f"reminder.{deadline.kind.value}", contact, date=deadline.act_by, days=days
        )
        flags = deadline.flags
        if AT_RISK in flags:
            text += " " + self._render(language, "note.at_risk", contact)
        if ASYLUM_PASSED in flags:
            text += " " + self._render(language, "note.asylum_passed", contact)
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
