"""The rows one fake case stores, as the importer, the daily job and the planner would
have left them: parolee, name words, case, assignment, grants, filings, status history,
consent history, deadlines and the outbox.

Deadlines come from the same rules `refresh_case` applies (`compute_deadlines` on the
case's facts). The outbox holds what a worker that had been running all along would hold
at `now`: the welcome message, the newest reminder already sent for each deadline (the
planner checks it before catching up), and every reminder due within the planning
horizon, planned. Older sent reminders are left out, to keep a million cases loadable in
minutes; message texts older than the retention period are gone, as retention leaves them.
"""

import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from tracker.alerts.compose import Composer
from tracker.alerts.policy import local_date, reminder_due
from tracker.alerts.schedule import WELCOME, CaseNow, DeadlineView, Wanted, reminders_of
from tracker.domain.model import (
    AlertState,
    CaseFacts,
    Deadline,
    Decision,
    FilingFacts,
    GrantFacts,
    Status,
)
from tracker.domain.parole import effective_end
from tracker.domain.rules import RuleSet, compute_deadlines
from tracker.kit.crypto import Keyring
from tracker.store.blind import index_values, name_word_rows
from tracker.store.models import Parolee
from tracker.synthetic.bulk import BulkTable, Row
from tracker.synthetic.spread import FakeCase

ACTOR = "synthetic"
# In foreign-key order: a table comes after every table it refers to.
TABLES = (
    BulkTable("parolee", ("id", "full_name", "phone", "phone_index", "language", "timezone",
              "citizenship", "arrival_date", "a_number", "a_number_index", "sms_consent_at",
              "sms_consent_withdrawn_at", "created_at", "updated_at")),
    BulkTable("parolee_name_word", ("parolee_id", "word_index")),
    BulkTable("parole_case", ("id", "external_id", "parolee_id", "representative_id",
              "program", "status", "end_date", "work_permit_expiry", "created_at",
              "updated_at")),
    BulkTable("case_assignment", ("case_id", "representative_id", "assigned_at")),
    BulkTable("parole_grant", ("case_id", "start_date", "expiry_date", "source",
              "recorded_at", "recorded_by")),
    BulkTable("filing", ("case_id", "form", "receipt_number", "filed_date", "decision",
              "decided_on", "created_at", "updated_at")),
    BulkTable("status_change", ("case_id", "from_status", "to_status", "changed_at", "actor",
              "reason", "effective_date")),
    BulkTable("consent_event", ("parolee_id", "given", "at", "how", "actor")),
    BulkTable("deadline", ("case_id", "slot", "kind", "date", "act_by", "rule_id",
              "rule_version", "citation", "flags", "sequence", "computed_at", "changed_at")),
    BulkTable("alert", ("case_id", "parolee_id", "kind", "deadline_slot", "about_date",
              "offset_days", "recipient", "recipient_index", "language", "body", "segments",
              "due_at", "state", "attempts", "attempt_started_at", "provider_sid",
              "provider_status", "sent_at", "delivered_at", "created_at", "updated_at")),
)  # fmt: skip
# A delivery receipt comes back about this long after the send.
DELIVERY = timedelta(seconds=30)


@dataclass
class Batch:
    """Rows of many cases, by table, waiting to be inserted together."""

    rows: dict[str, list[Row]] = field(default_factory=lambda: {t.name: [] for t in TABLES})
    cases: int = 0
    alerts_planned: int = 0

    def add(self, table: str, row: Row) -> None:
        self.rows[table].append(row)

    @property
    def total(self) -> int:
        return sum(len(rows) for rows in self.rows.values())


@dataclass(frozen=True)
class Ids:
    """The database ids of one case and its parolee."""

    case: int
    parolee: int


class CaseRows:
    """Turns fake cases into rows, with the rules and message texts in force."""

    def __init__(
        self,
        *,
        ruleset: RuleSet,
        composer: Composer | None,
        keyring: Keyring,
        now: datetime,
        representatives: dict[int, tuple[int, str]],
        keep_texts: timedelta,
    ) -> None:
        self.ruleset = ruleset
        self.composer = composer
        self.keyring = keyring
        self.now = now
        # Pool number -> (database id, name): the name is the contact the messages give.
        self.representatives = representatives
        self.purged_before = now - keep_texts

    def add(self, batch: Batch, case: FakeCase, ids: Ids) -> None:
        """Every row of `case` into `batch`."""
        indexes = index_values(self.keyring, Parolee, {"phone": case.phone,
                                                       "a_number": case.a_number})  # fmt: skip
        batch.add("parolee", (
            ids.parolee, case.full_name, case.phone, indexes["phone_index"], case.language,
            case.timezone, case.citizenship, case.arrival, case.a_number,
            indexes["a_number_index"], case.created_at if case.consent else None,
            case.consent_withdrawn_at, case.created_at,
            case.consent_withdrawn_at or case.created_at,
        ))  # fmt: skip
        for word in name_word_rows(self.keyring, ids.parolee, case.full_name):
            batch.add("parolee_name_word", (word["parolee_id"], word["word_index"]))
        facts = _facts(case)
        touched = case.expired_at or case.created_at
        pool = case.representative
        representative = None if pool is None else self.representatives[pool]
        rep_id = representative[0] if representative else None
        batch.add("parole_case", (
            ids.case, case.external_id, ids.parolee, rep_id, case.program, case.status,
            effective_end(facts.grants), case.work_permit_expiry, case.created_at, touched,
        ))  # fmt: skip
        if rep_id is not None:
            batch.add("case_assignment", (ids.case, rep_id, case.created_at))
        self._history(batch, case, ids)
        deadlines = compute_deadlines(facts, self.ruleset)
        for d in deadlines:
            batch.add("deadline", (
                ids.case, d.slot, d.kind, d.date, d.act_by, d.rule_id, d.rule_version,
                d.citation, ",".join(d.flags), 0, touched, touched,
            ))  # fmt: skip
        if self.composer is not None and case.consent:
            contact = representative[1] if representative else self.composer.help_contact
            outbox = _Outbox(self, case, ids, indexes["phone_index"], contact)
            outbox.write(batch, self.composer, deadlines)
        batch.cases += 1

    def _history(self, batch: Batch, case: FakeCase, ids: Ids) -> None:
        for n, grant in enumerate(case.grants):
            # Recorded when the case was entered; a re-parole when it was granted.
            at = case.created_at if n == 0 else _at(grant.start, self.now)
            batch.add("parole_grant", (ids.case, grant.start, grant.expiry, grant.source, at,
                                       ACTOR))  # fmt: skip
        for which, f in enumerate(case.filings):
            receipt = f"{f.receipt_prefix}9{which}{ids.case:08d}" if f.receipt_prefix else None
            decision = Decision.APPROVED if f.approved_on else None
            at = max(case.created_at, _at(f.filed, self.now))
            batch.add("filing", (ids.case, f.form, receipt, f.filed, decision, f.approved_on,
                                 at, at))  # fmt: skip
        batch.add("status_change", (ids.case, None, case.initial_status, case.created_at, ACTOR,
                                    "imported", None))  # fmt: skip
        if case.expired_at is not None:
            reason = f"parole ended on {case.end} and no application is pending"
            batch.add("status_change", (ids.case, case.initial_status, Status.EXPIRED,
                                        case.expired_at, "system", reason, case.end))  # fmt: skip
        if case.consent:
            batch.add("consent_event", (ids.parolee, True, case.created_at, "import", ACTOR))
        if case.consent_withdrawn_at is not None:
            batch.add("consent_event", (ids.parolee, False, case.consent_withdrawn_at, "sms",
                                        "sms"))  # fmt: skip


@dataclass
class _Outbox:
    """The alerts of one consenting person's case."""

    maker: CaseRows
    case: FakeCase
    ids: Ids
    phone_index: str | None
    contact: str

    def write(self, batch: Batch, composer: Composer, deadlines: list[Deadline]) -> None:
        views = [DeadlineView.of(d) for d in sorted(deadlines, key=lambda d: d.act_by)]
        zone = self.case.timezone
        entered = local_date(self.case.created_at, zone)
        upcoming = [v for v in views if v.act_by >= entered]
        language = self.case.language
        if upcoming:
            body = composer.welcome(language, upcoming, self.contact)
            self._sent(batch, composer, WELCOME, "", self.case.end, 0, self.case.created_at,
                       body)  # fmt: skip
        if self.case.consent_withdrawn_at is not None:
            return  # no reminder since the STOP (and none planned)
        now = self.maker.now
        today = local_date(now, zone)
        # What the planner has planned now, from the same core (nothing passed: since now).
        facts = CaseNow(self.case.status, zone, self.case.end, self.case.phone or "", views)
        ahead = [v for v in views if v.act_by >= today]
        for wanted in reminders_of(ahead, facts, composer.policy, now, since=now)[0]:
            self._planned(batch, composer, wanted)
        # What it sent before now: the newest reminder of each deadline, sent when due.
        for view in views:
            if not composer.policy.reminds(view.kind, self.case.status):
                continue
            newest = None
            for offset in composer.policy.offsets[view.kind]:
                due = reminder_due(view.act_by, offset, zone, composer.policy)
                if self.case.created_at <= due < now:
                    newest = (offset, due)
            if newest is not None:
                offset, due = newest
                body = composer.reminder(language, view, self.contact, local_date(due, zone))
                self._sent(batch, composer, view.kind.value, view.slot, view.act_by, offset,
                           due, body)  # fmt: skip

    def _planned(self, batch: Batch, composer: Composer, wanted: Wanted) -> None:
        # Written when it is sent, as the planner leaves it.
        due = wanted.due
        planned_at = self._planned_at(composer, due)
        batch.add("alert", (
            self.ids.case, self.ids.parolee, wanted.kind, wanted.slot, wanted.about,
            wanted.offset, self.case.phone, self.phone_index, self.case.language, None, 0, due,
            AlertState.PLANNED, 0, None, None, None, None, None, planned_at, planned_at,
        ))  # fmt: skip
        batch.alerts_planned += 1

    def _sent(
        self,
        batch: Batch,
        composer: Composer,
        kind: str,
        slot: str,
        about: date,
        offset: int,
        due: datetime,
        body: str,
    ) -> None:
        delivered = due + DELIVERY
        kept = body if delivered >= self.maker.purged_before else None
        # Shaped like Twilio's (SM and 32 hex digits), unique per message.
        sid = f"SM{self.ids.case:016x}{offset:04x}{zlib.crc32(kind.encode()):012x}"
        batch.add("alert", (
            self.ids.case, self.ids.parolee, kind, slot, about, offset, self.case.phone,
            self.phone_index, self.case.language, kept, composer.segments(body), due,
            AlertState.DELIVERED, 1, due, sid, "delivered", due, delivered,
            self._planned_at(composer, due), delivered,
        ))  # fmt: skip

    def _planned_at(self, composer: Composer, due: datetime) -> datetime:
        # The sweep plans a reminder when it comes within the horizon, not before the case.
        horizon = timedelta(days=composer.policy.plan_horizon_days)
        return min(max(due - horizon, self.case.created_at), self.maker.now)


def _facts(case: FakeCase) -> CaseFacts:
    """What the rules know of the case, as `case_facts` reads it back from the database."""
    return CaseFacts(
        program=case.program,
        status=case.status,
        arrival=case.arrival,
        citizenship=case.citizenship,
        work_permit_expiry=case.work_permit_expiry,
        grants=tuple(
            GrantFacts(g.start, g.expiry, g.source, sequence=n + 1)
            for n, g in enumerate(case.grants)
        ),
        filings=tuple(
            FilingFacts(f.form, f.filed, Decision.APPROVED if f.approved_on else None)
            for f in case.filings
        ),
    )


def _at(day: date, now: datetime) -> datetime:
    """Office hours across the United States on `day` (19:00 UTC), but not after `now`."""
    return min(datetime.combine(day, time(19), UTC), now)
