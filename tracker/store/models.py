"""Database tables. Instants are aware UTC (`UTCDateTime`); legal dates are plain dates.

No `from __future__ import annotations` here: SQLModel reads the annotations at runtime.
"""

import datetime as dt
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from tracker.domain.appointments import AppointmentKind, AppointmentStatus
from tracker.domain.model import (
    AlertState,
    DeadlineKind,
    Decision,
    Form,
    GrantSource,
    Program,
    Status,
    UscisEvent,
)
from tracker.store.encrypted import Encrypted
from tracker.store.types import UTCDateTime


class TerminationState(StrEnum):
    """Whether a program termination currently ends parole."""

    IN_FORCE = "in_force"
    STAYED = "stayed"
    LIFTED = "lifted"

    @property
    def ends_parole(self) -> bool:
        return self in (TerminationState.IN_FORCE, TerminationState.LIFTED)


def enum_type(enum: type[StrEnum]) -> sa.Enum:
    """Store an enum as its value in a VARCHAR, portable across SQLite and PostgreSQL."""
    return sa.Enum(
        enum,
        native_enum=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


# Ids are PostgreSQL `integer`s: a larger number is no id, and is refused as such before
# it reaches the database (which would answer with an error).
MAX_ID = 2**31 - 1


def must_id(value: int | None) -> int:
    """The primary key of a row that has been flushed."""
    if value is None:
        raise ValueError("the row has no id yet: flush the session first")
    return value


def instant(**kwargs: Any) -> Any:
    """A timezone-aware UTC instant column."""
    return Field(sa_type=UTCDateTime, **kwargs)


def secret(context: str, **kwargs: Any) -> Any:
    """A personal field, encrypted at rest; `context` is its `table.column`."""
    return Field(sa_type=Encrypted(context), **kwargs)


def blind_index(**kwargs: Any) -> Any:
    """The keyed blind index of a personal field, for equality lookups."""
    return Field(default=None, max_length=32, index=True, **kwargs)


class Parolee(SQLModel, table=True):
    """A person on parole: who they are and how to reach them."""

    id: int | None = Field(default=None, primary_key=True)
    full_name: str = secret("parolee.full_name")
    phone: str | None = secret("parolee.phone", default=None)
    phone_index: str | None = blind_index()
    language: str = Field(default="en", max_length=10)
    timezone: str = Field(max_length=64)
    citizenship: str | None = Field(default=None, max_length=2)
    arrival_date: date
    # Set by a representative when a trip abroad should not restart the asylum clock.
    asylum_arrival_date: date | None = None
    # Optional: no unlawful presence accrues before 18 (INA 212(a)(9)(B)(iii)(I)).
    birth_date: date | None = None
    a_number: str | None = secret("parolee.a_number", default=None)
    a_number_index: str | None = blind_index()
    sms_consent_at: datetime | None = instant(default=None, nullable=True)
    sms_consent_withdrawn_at: datetime | None = instant(default=None, nullable=True)
    # Set when the provider says the number cannot receive SMS (e.g. Twilio 21211, 21614).
    unreachable_at: datetime | None = instant(default=None, nullable=True)
    unreachable_reason: str | None = Field(default=None, max_length=200)
    # Set by staff to hold all SMS for a while (consent itself is the person's to give).
    sms_paused_at: datetime | None = instant(default=None, nullable=True)
    # Set when the person's identifying data was erased (on request or by retention).
    erased_at: datetime | None = instant(default=None, nullable=True)
    created_at: datetime = instant()
    updated_at: datetime = instant()


class ParoleeNameWord(SQLModel, table=True):
    """The blind index of one whole word of a parolee's name: name search without names."""

    __tablename__ = "parolee_name_word"

    parolee_id: int = Field(foreign_key="parolee.id", primary_key=True)
    word_index: str = Field(max_length=32, primary_key=True, index=True)


class Representative(SQLModel, table=True):
    """An attorney, accredited representative or caseworker."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    organisation: str | None = Field(default=None, max_length=200)
    email: str = Field(max_length=254, unique=True)
    phone: str | None = Field(default=None, max_length=20)
    created_at: datetime = instant()


class Case(SQLModel, table=True):
    """One parolee's case; `end_date` is the effective end of parole, kept current."""

    __tablename__ = "parole_case"
    __table_args__ = (sa.Index("ix_parole_case_status_end", "status", "end_date"),)

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=64, unique=True)
    parolee_id: int = Field(foreign_key="parolee.id", index=True)
    representative_id: int | None = Field(default=None, foreign_key="representative.id", index=True)
    program: Program = Field(sa_type=enum_type(Program))
    status: Status = Field(sa_type=enum_type(Status))
    end_date: date = Field(index=True)
    work_permit_expiry: date | None = None
    # The card's category as printed on it, e.g. c11 (parole-based), a05, c08, a12.
    work_permit_category: str | None = Field(default=None, max_length=8)
    # The due date in USCIS's payment notice for the current parole grant's fee.
    parole_fee_due: date | None = None
    notes: str | None = secret("parole_case.notes", default=None)
    created_at: datetime = instant()
    updated_at: datetime = instant()


class Grant(SQLModel, table=True):
    """A period of parole, or an individual early end (termination notice, departure)."""

    __tablename__ = "parole_grant"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="parole_case.id", index=True)
    start_date: date
    expiry_date: date
    source: GrantSource = Field(sa_type=enum_type(GrantSource))
    # When the grant was decided, where staff know it; None: treated as decided before
    # any program termination's notice (the cautious reading).
    decided_on: date | None = None
    recorded_at: datetime = instant()
    recorded_by: str = Field(max_length=200)
    note: str | None = secret("parole_grant.note", default=None)


class Filing(SQLModel, table=True):
    """An application on another path (re-parole, asylum, TPS, adjustment, work permit)."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="parole_case.id", index=True)
    form: Form = Field(sa_type=enum_type(Form))
    receipt_number: str | None = Field(default=None, max_length=13, unique=True)
    filed_date: date
    status_text: str | None = None
    decision: Decision | None = Field(default=None, sa_type=enum_type(Decision), nullable=True)
    decided_on: date | None = None
    # The due date in the latest yearly fee notice (the annual asylum fee).
    fee_notice_due: date | None = None
    # The response date of USCIS's request for evidence or notice of intent to deny
    # (`response_notice`: rfe or noid), and whether the person is texted about it too.
    response_due: date | None = None
    response_notice: str | None = Field(default=None, max_length=8)
    response_tells_parolee: bool = False
    created_at: datetime = instant()
    updated_at: datetime = instant()


class ProgramTermination(SQLModel, table=True):
    """A program-wide end of parole (Federal Register notice), with its court history."""

    __tablename__ = "program_termination"

    id: int | None = Field(default=None, primary_key=True)
    program: Program = Field(sa_type=enum_type(Program))
    effective_date: date
    notice_date: date
    citation: str = Field(max_length=500)
    except_form: Form | None = Field(default=None, sa_type=enum_type(Form), nullable=True)
    except_filed_by: date | None = None
    # True when parole ends only on an individual notice (the later of the two dates).
    on_notice: bool = False
    # The id of the shipped notice in config/terminations.toml this records, if any.
    known_id: str | None = Field(default=None, max_length=64, unique=True)
    state: TerminationState = Field(sa_type=enum_type(TerminationState))
    created_at: datetime = instant()
    created_by: str = Field(max_length=200)


class TerminationCase(SQLModel, table=True):
    """A case a program termination reached, and the individual notice it received."""

    __tablename__ = "termination_case"
    __table_args__ = (sa.UniqueConstraint("termination_id", "case_id", name="uq_termination_case"),)

    id: int | None = Field(default=None, primary_key=True)
    termination_id: int = Field(foreign_key="program_termination.id", index=True)
    case_id: int = Field(foreign_key="parole_case.id", index=True)
    applied_at: datetime = instant()
    notice_received: date | None = None
    notice_recorded_at: datetime | None = instant(default=None, nullable=True)
    notice_recorded_by: str | None = Field(default=None, max_length=200)


class StatusChange(SQLModel, table=True):
    """One step of a case's status history: who, when, why."""

    __tablename__ = "status_change"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="parole_case.id", index=True)
    from_status: Status | None = Field(default=None, sa_type=enum_type(Status), nullable=True)
    to_status: Status = Field(sa_type=enum_type(Status))
    changed_at: datetime = instant()
    actor: str = Field(max_length=200)
    reason: str
    effective_date: date | None = None


class DeadlineRow(SQLModel, table=True):
    """A deadline as last computed; kept (cancelled) when a change removes it."""

    __tablename__ = "deadline"
    __table_args__ = (
        sa.UniqueConstraint("case_id", "slot", name="uq_deadline_case_slot"),
        sa.Index("ix_deadline_act_by", "act_by"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="parole_case.id", index=True)
    slot: str = Field(max_length=80)
    kind: DeadlineKind = Field(sa_type=enum_type(DeadlineKind))
    # `dt.date`: the attribute `date` would shadow the type for the lines below it.
    date: dt.date
    act_by: dt.date
    rule_id: str = Field(max_length=64)
    rule_version: int
    citation: str
    flags: str = Field(default="", max_length=200)
    # Raised whenever the date moves, so calendars replace the old event.
    sequence: int = 0
    # An appointment's instant (its day-of reminder goes before it); None otherwise.
    starts_at: datetime | None = instant(default=None, nullable=True)
    computed_at: datetime = instant()
    changed_at: datetime = instant()
    cancelled_at: datetime | None = instant(default=None, nullable=True)


class Appointment(SQLModel, table=True):
    """Something the person must attend (tracker.domain.appointments), at a local time in
    the zone of its place. A reschedule keeps this row as `rescheduled`, linked to the new
    one; `sequence` rises with every change a calendar shows."""

    __table_args__ = (sa.Index("ix_appointment_status_start", "status", "starts_at"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="parole_case.id", index=True)
    kind: AppointmentKind = Field(sa_type=enum_type(AppointmentKind))
    # As the notice prints it, and the IANA zone of the place; `starts_at` is the instant.
    local_start: datetime = Field(sa_type=sa.DateTime(timezone=False))
    zone: str = Field(max_length=64)
    starts_at: datetime = instant()
    duration_minutes: int | None = None
    place: str = Field(max_length=120)
    # The notice it came from (such as I-797C) and its date.
    source_notice: str | None = Field(default=None, max_length=60)
    source_date: date | None = None
    status: AppointmentStatus = Field(sa_type=enum_type(AppointmentStatus))
    replaced_by_id: int | None = Field(default=None, foreign_key="appointment.id")
    sequence: int = 0
    created_at: datetime = instant()
    created_by: str = Field(max_length=200)
    updated_at: datetime = instant()


class AppointmentChange(SQLModel, table=True):
    """One step of an appointment's status history: who, when, why."""

    __tablename__ = "appointment_change"

    id: int | None = Field(default=None, primary_key=True)
    appointment_id: int = Field(foreign_key="appointment.id", index=True)
    from_status: AppointmentStatus | None = Field(
        default=None, sa_type=enum_type(AppointmentStatus), nullable=True
    )
    to_status: AppointmentStatus = Field(sa_type=enum_type(AppointmentStatus))
    changed_at: datetime = instant()
    actor: str = Field(max_length=200)
    reason: str = Field(default="", max_length=500)


class AuditEvent(SQLModel, table=True):
    """Who did what, when. `detail` never holds names, phone numbers or A-numbers."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = instant(index=True)
    actor: str = Field(max_length=200)
    action: str = Field(max_length=64)
    entity: str = Field(max_length=64)
    entity_id: int | None = None
    detail: str = "{}"


class Alert(SQLModel, table=True):
    """One message to one recipient about one deadline at one offset: the outbox row.

    The unique key makes planning idempotent: a second run, a restart or a second worker
    cannot plan (and so cannot send) the same reminder twice.
    """

    __tablename__ = "alert"
    __table_args__ = (
        sa.UniqueConstraint(
            "case_id",
            "kind",
            "about_date",
            "offset_days",
            "recipient_index",
            "deadline_slot",
            name="uq_alert_key",
        ),
        sa.Index("ix_alert_state_due", "state", "due_at"),
        # Retention purges texts older than its period: only rows still holding one are
        # indexed, so its daily pass reads a day of messages, not every one ever sent.
        sa.Index(
            "ix_alert_text_kept",
            "updated_at",
            sqlite_where=sa.text("body IS NOT NULL"),
            postgresql_where=sa.text("body IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="parole_case.id", index=True)
    parolee_id: int = Field(foreign_key="parolee.id", index=True)
    # A deadline kind for reminders; `welcome`, `date_changed` or a USCIS text otherwise.
    kind: str = Field(max_length=40)
    # The deadline a message is about (its slot): a reminder's, or the new appointment of
    # an "appointment moved"; "" for the others. Part of the key: two appointments of one
    # kind on one day get a reminder each.
    deadline_slot: str = Field(default="", max_length=80)
    # The date the message is about: a reminder's act-by date; the end of parole for a
    # welcome or a date change; the day a USCIS decision was seen.
    about_date: dt.date
    # A reminder's days before its act-by date; 0 for other messages.
    offset_days: int
    # Both are None once erased or purged (see `tracker.privacy`).
    recipient: str | None = secret("alert.recipient", default=None)
    recipient_index: str | None = Field(default=None, max_length=32)
    # The language it was planned in; once sent, the one it went in.
    language: str = Field(max_length=10)
    # What the text is about beyond its kind and date (JSON; see tracker.alerts.render):
    # the text itself is written when it is sent, so that "in 10 days" is true on arrival.
    params: str | None = Field(default=None, sa_type=sa.Text)
    # Exactly what was sent (None until then, and once erased or purged).
    body: str | None = secret("alert.body", default=None)
    # Segments of the text sent (0 until it is written).
    segments: int
    due_at: datetime = instant()
    state: AlertState = Field(sa_type=enum_type(AlertState))
    attempts: int = 0
    # Set while a worker holds the alert; a lapsed lease is reconciled before any retry.
    claimed_by: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = instant(default=None, nullable=True)
    attempt_started_at: datetime | None = instant(default=None, nullable=True)
    provider_sid: str | None = Field(default=None, max_length=64, index=True)
    provider_status: str | None = Field(default=None, max_length=32)
    error_code: int | None = None
    reason: str | None = None
    sent_at: datetime | None = instant(default=None, nullable=True)
    delivered_at: datetime | None = instant(default=None, nullable=True)
    created_at: datetime = instant()
    updated_at: datetime = instant()


class LanguageChoice(SQLModel, table=True):
    """An administrator's choice for one language: send its translation (the default, even
    while it awaits native review) or English instead."""

    __tablename__ = "language_choice"

    language: str = Field(primary_key=True, max_length=10)
    english_instead: bool
    changed_at: datetime = instant()


class InboundMessage(SQLModel, table=True):
    """A reply from a parolee (or an unknown number), and what we answered."""

    __tablename__ = "inbound_message"

    id: int | None = Field(default=None, primary_key=True)
    message_sid: str = Field(max_length=64, unique=True)
    # Unknown numbers are not stored: only the fact that one wrote.
    parolee_id: int | None = Field(default=None, foreign_key="parolee.id", index=True)
    body: str | None = secret("inbound_message.body", default=None)
    intent: str = Field(max_length=20)
    reply: str | None = secret("inbound_message.reply", default=None)
    received_at: datetime = instant(index=True)


class JobState(SQLModel, table=True):
    """Progress of a periodic job that must not redo (or skip) work across restarts."""

    __tablename__ = "job_state"

    name: str = Field(primary_key=True, max_length=64)
    # The planner sweep has planned every reminder whose local date is on or before this...
    planned_through: dt.date | None = None
    # ...and, exactly, every reminder due at or before this instant (its last horizon).
    planned_until: datetime | None = instant(default=None, nullable=True)
    last_run_at: datetime | None = instant(default=None, nullable=True)


class WorkerHeartbeat(SQLModel, table=True):
    """A running scheduler (`tracker worker` or `tracker serve`) and when it last ticked.

    Each process beats every few seconds on the machine's clock and deletes its row when
    it stops cleanly; /healthz reports the newest beat's age. A row that stops moving
    is a scheduler that died (or hangs).
    """

    __tablename__ = "worker_heartbeat"

    # The dispatcher's name for the process: host:pid.
    worker: str = Field(primary_key=True, max_length=100)
    started_at: datetime = instant()
    beat_at: datetime = instant()


class CaseAssignment(SQLModel, table=True):
    """Which representative had a case, and when: a feed shows a case that left it as
    cancelled for a while, so calendar clients remove its events."""

    __tablename__ = "case_assignment"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="parole_case.id", index=True)
    representative_id: int = Field(foreign_key="representative.id", index=True)
    assigned_at: datetime = instant()
    unassigned_at: datetime | None = instant(default=None, nullable=True)


class FeedToken(SQLModel, table=True):
    """A calendar subscription: a secret URL for one representative's cases, or one case.

    Only the SHA-256 of the token is stored; the token itself is shown once, when issued.
    """

    __tablename__ = "feed_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    representative_id: int | None = Field(default=None, foreign_key="representative.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="parole_case.id", index=True)
    # minimal: initials and case reference only; full: names too. Never phones or A-numbers.
    privacy: str = Field(max_length=10)
    created_at: datetime = instant()
    revoked_at: datetime | None = instant(default=None, nullable=True)
    last_used_at: datetime | None = instant(default=None, nullable=True)


class ConsentEvent(SQLModel, table=True):
    """One step of a person's SMS consent: given or withdrawn, when, how and by whom."""

    __tablename__ = "consent_event"

    id: int | None = Field(default=None, primary_key=True)
    parolee_id: int = Field(foreign_key="parolee.id", index=True)
    given: bool
    at: datetime = instant()
    # import, sms (a STOP/START reply), provider (Twilio said the person opted out), admin
    how: str = Field(max_length=20)
    actor: str = Field(max_length=200)


class Role(StrEnum):
    """What a user of the admin may do: representatives see only their own clients."""

    ADMIN = "admin"
    STAFF = "staff"
    REPRESENTATIVE = "representative"


class User(SQLModel, table=True):
    """Someone who signs in to the admin or calls the API."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    role: Role = Field(sa_type=enum_type(Role))
    # argon2id, with its parameters and salt (see `tracker.accounts.passwords`).
    password_hash: str = Field(max_length=200)
    # Set for representatives: whose cases they see.
    representative_id: int | None = Field(default=None, foreign_key="representative.id", index=True)
    created_at: datetime = instant()
    disabled_at: datetime | None = instant(default=None, nullable=True)
    last_login_at: datetime | None = instant(default=None, nullable=True)


class WebSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = instant()
    expires_at: datetime = instant()
    ended_at: datetime | None = instant(default=None, nullable=True)


class LoginFailure(SQLModel, table=True):
    """A failed sign-in, counted to slow down password guessing (across processes)."""

    __tablename__ = "login_failure"

    id: int | None = Field(default=None, primary_key=True)
    # SHA-256 of the lower-cased email, and of the client address: no address kept in clear.
    email_hash: str = Field(max_length=64, index=True)
    client_hash: str = Field(max_length=64, index=True)
    at: datetime = instant(index=True)


class ApiToken(SQLModel, table=True):
    """A bearer token for the JSON API, acting as its user; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    name: str = Field(max_length=100)
    created_at: datetime = instant()
    revoked_at: datetime | None = instant(default=None, nullable=True)
    last_used_at: datetime | None = instant(default=None, nullable=True)


class ImportUpload(SQLModel, table=True):
    """A CSV uploaded in the admin, kept (encrypted) between its dry run and the confirm."""

    __tablename__ = "import_upload"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    filename: str = Field(max_length=200)
    content: str = secret("import_upload.content")
    created_at: datetime = instant()
    imported_at: datetime | None = instant(default=None, nullable=True)


class UscisPoll(SQLModel, table=True):
    """When a filing's USCIS status was last read and may next be read, and the last error.

    A worker claims a filing by moving `next_poll_at` a few minutes ahead (a lease), so
    several workers never read the same receipt at once.
    """

    __tablename__ = "uscis_poll"

    filing_id: int = Field(foreign_key="filing.id", primary_key=True)
    last_polled_at: datetime | None = instant(default=None, nullable=True)
    next_poll_at: datetime | None = instant(default=None, nullable=True)
    last_error: str | None = Field(default=None, max_length=300)
    # Failed reads in a row: a receipt USCIS keeps refusing needs someone to look at it.
    failures: int = 0


class UscisStatus(SQLModel, table=True):
    """A status USCIS reported for a filing, stored when it differs from the one before
    (another text or another modifiedDate); reading the same status again only moves
    `last_seen_at`. `raw` is USCIS's whole answer (JSON), which names no person."""

    __tablename__ = "uscis_status"

    id: int | None = Field(default=None, primary_key=True)
    filing_id: int = Field(foreign_key="filing.id", index=True)
    observed_at: datetime = instant()
    last_seen_at: datetime = instant()
    form_type: str | None = Field(default=None, max_length=20)
    status_en: str
    status_es: str | None = None
    description_en: str | None = None
    description_es: str | None = None
    modified_at: datetime | None = instant(default=None, nullable=True)
    event: UscisEvent = Field(sa_type=enum_type(UscisEvent))
    # False when only modifiedDate moved and the status text is the one before.
    text_changed: bool
    raw: str = Field(sa_type=sa.Text)


class UscisQuota(SQLModel, table=True):
    """Requests sent to the USCIS Case Status API on one GMT day, shared by every worker."""

    __tablename__ = "uscis_quota"

    day: date = Field(primary_key=True)
    used: int = 0


class NoticeKind(StrEnum):
    """What a staff notice asks someone to act on."""

    USCIS_DENIED = "uscis_denied"
    USCIS_REJECTED = "uscis_rejected"
    USCIS_APPROVED_REPAROLE = "uscis_approved_reparole"
    USCIS_APPROVED = "uscis_approved"
    USCIS_RFE = "uscis_rfe"
    USCIS_APPOINTMENT = "uscis_appointment"


class StaffNotice(SQLModel, table=True):
    """Something staff and the case's representative must act on, open until resolved; an
    open urgent notice flags its case. `message` quotes USCIS's own text and never holds a
    person's name, phone number or A-number."""

    __tablename__ = "staff_notice"
    __table_args__ = (
        # One notice of a kind per observed status: a poll that runs twice adds nothing.
        sa.UniqueConstraint("uscis_status_id", "kind", name="uq_staff_notice_status_kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="parole_case.id", index=True)
    filing_id: int | None = Field(default=None, foreign_key="filing.id", index=True)
    uscis_status_id: int | None = Field(default=None, foreign_key="uscis_status.id")
    kind: NoticeKind = Field(sa_type=enum_type(NoticeKind))
    urgent: bool = False
    message: str = Field(sa_type=sa.Text)
    # When an answer is due (an RFE's response date), if USCIS's text gives one.
    due_date: date | None = None
    created_at: datetime = instant()
    resolved_at: datetime | None = instant(default=None, nullable=True)
    resolved_by: str | None = Field(default=None, max_length=200)
