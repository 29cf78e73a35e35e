"""What the JSON API reads and writes; these models are the OpenAPI schema.

Least data: a case shows the person's name, language and time zone, never their phone
number, A-number or the case's free-text notes.
"""

import datetime as dt
import re
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from tracker.domain.appointments import (
    DURATION_MAX_MINUTES,
    PLACE_MAX,
    SOURCE_MAX,
    AppointmentKind,
    AppointmentStatus,
)
from tracker.domain.identifiers import normalise_receipt
from tracker.domain.model import DeadlineChange, DeadlineKind, Decision, Form, Program, Status
from tracker.store.models import MAX_ID, DeadlineRow, Filing, Representative, StatusChange

# Text a person types: no control characters (PostgreSQL refuses NUL in text), and at
# least one visible character.
_PLAIN = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
VISIBLE_TEXT = rf"^{_PLAIN}*[^\s\x00-\x1f\x7f]{_PLAIN}*$"
# The dates the rules can compute with: far outside this range, date arithmetic overflows.
EARLIEST, LATEST = date(1900, 1, 1), date(2199, 12, 31)
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _iso_date(value: object) -> object:
    # Pydantic would also read a number as a date (seconds since 1970): refuse it, and any
    # text but YYYY-MM-DD, as the schema's `format: date` says.
    if not (isinstance(value, str) and ISO_DATE.match(value)):
        raise ValueError("write the date as YYYY-MM-DD")
    return value


def _in_range(value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"give a date between {EARLIEST} and {LATEST}")
    return value


# The pattern tells clients the years the validators accept (a whole date, so that
# generated examples are mostly real dates).
DAY_PATTERN = "^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
Day = Annotated[
    date,
    BeforeValidator(_iso_date),
    AfterValidator(_in_range),
    Field(json_schema_extra={"pattern": DAY_PATTERN}),
]
# The schema states the exact form so clients (and generated tests) know it; the check
# itself is the normaliser's, whose refusal explains the form in words.
Receipt = Annotated[
    str,
    AfterValidator(normalise_receipt),
    Field(
        max_length=40,
        description="3 letters and 10 digits, like EAC2612345678 (spaces and dashes ignored).",
        examples=["EAC2612345678"],
        json_schema_extra={"pattern": "^([A-Za-z][ -]?){3}([0-9][ -]?){9}[0-9]$"},
    ),
]
Reason = Annotated[
    str, Field(min_length=1, max_length=2000, pattern=VISIBLE_TEXT, examples=["I-131 filed"])
]


class Input(BaseModel):
    """A request body: no unknown fields (a misspelt optional field is not ignored)."""

    model_config = ConfigDict(extra="forbid")


class ApiError(BaseModel):
    """Every refusal: what went wrong, in words meant for the person who sent it."""

    detail: str


class ValidationIssue(BaseModel):
    """One problem with a request's parameters or body."""

    model_config = ConfigDict(extra="allow")

    loc: list[str | int]
    msg: str
    type: str


class InvalidRequest(BaseModel):
    """A 422: a sentence (a rule of the domain refused it), or a list of the fields that
    are malformed."""

    detail: str | list[ValidationIssue]


class RepresentativeOut(BaseModel):
    """The representative a case is assigned to."""

    id: int
    name: str
    organisation: str | None
    email: str

    @classmethod
    def of(cls, row: Representative) -> "RepresentativeOut":
        assert row.id is not None
        return cls(id=row.id, name=row.name, organisation=row.organisation, email=row.email)


class DeadlineOut(BaseModel):
    """A deadline derived by a rule: the legal date, and the date to act by."""

    kind: DeadlineKind
    # `dt.date`: the field `date` would shadow the type for the lines below it.
    date: dt.date
    act_by: dt.date
    rule: str = Field(description="The id of the rule in config/rules.toml.")
    rule_version: int
    citation: str
    flags: list[str]

    @classmethod
    def of(cls, row: DeadlineRow) -> "DeadlineOut":
        return cls(
            kind=row.kind,
            date=row.date,
            act_by=row.act_by,
            rule=row.rule_id,
            rule_version=row.rule_version,
            citation=row.citation,
            flags=[f for f in row.flags.split(",") if f],
        )


class CaseSummary(BaseModel):
    """One case in a list."""

    id: int
    external_id: str
    name: str
    program: Program
    status: Status
    end_date: date = Field(description="The day parole ends, from the newest grant.")
    representative_id: int | None


class ExpiringCaseOut(CaseSummary):
    """A case in the expiring review, with how long is left and what comes next."""

    days_left: int
    next_deadline: DeadlineOut | None = Field(
        description="The earliest deadline whose act-by date is today or later."
    )


class CasePage(BaseModel):
    """A page of cases; pass `next_cursor` as `cursor` for the next page (null: the end)."""

    items: list[CaseSummary]
    next_cursor: str | None


class ExpiringPage(BaseModel):
    """A page of the expiring review; pass `next_cursor` as `cursor` for the next page."""

    items: list[ExpiringCaseOut]
    next_cursor: str | None


class CaseOut(BaseModel):
    """One case with its current deadlines, soonest first."""

    id: int
    external_id: str
    name: str
    language: str = Field(description="BCP 47 tag of the language reminders are sent in.")
    timezone: str = Field(description="IANA time zone reminders are timed in.")
    program: Program
    status: Status
    end_date: date
    work_permit_expiry: date | None
    work_permit_category: str | None = Field(description="As on the card: c11, a05, c08...")
    parole_fee_due: date | None = Field(description="Due date in USCIS's parole fee notice.")
    birth_date: date | None = Field(description="No unlawful presence accrues before 18.")
    representative: RepresentativeOut | None
    deadlines: list[DeadlineOut]
    holds: list["HoldOut"] = Field(
        description="USCIS holds that mark the case's dates: a decision may not come in time."
    )
    terminations: list["CaseTerminationOut"] = Field(
        description="Program terminations that reached the case, with its individual notice."
    )


class HoldOut(BaseModel):
    """A USCIS hold on decisions (config/holds.toml). It moves no date."""

    id: str
    memo: str
    citation: str
    starts: date
    until: date | None = Field(description="The first day it no longer applies, if known.")
    forms: list[Form]


class CaseTerminationOut(BaseModel):
    """A program termination as it reached one case."""

    termination_id: int
    program: Program
    effective: date
    published: date
    state: str = Field(description="in_force, stayed or lifted.")
    citation: str
    on_notice: bool = Field(description="Parole ends only on an individual notice.")
    notice_received: date | None


class CaseFactsIn(Input):
    """Facts the rules read. A field left out keeps its value; null empties it."""

    birth_date: Day | None = None
    work_permit_category: (
        Annotated[str, Field(min_length=2, max_length=12, examples=["c11"])] | None
    ) = None
    work_permit_expiry: Day | None = None
    parole_fee_due: Day | None = None


class DecisionIn(Input):
    """USCIS's decision on a pending filing."""

    decision: Decision
    decided_on: Day = Field(description="The day of the decision; not after today.")


class TerminationNoticeIn(Input):
    """The day the person received an individual notice of a program termination."""

    termination_id: int = Field(ge=1, le=MAX_ID)
    received: Day = Field(description="Not before the termination was published, nor after today.")


class FeeNoticeIn(Input):
    """The due date in USCIS's yearly fee notice for a pending filing (the asylum fee)."""

    due: Day


class ResponseDueIn(Input):
    """The response date of USCIS's request for evidence (rfe) or notice of intent to deny
    (noid) on a pending filing; `tell_parolee` also texts the person."""

    due: Day
    notice: Literal["rfe", "noid"] = "rfe"
    tell_parolee: bool = False


class FilingOut(BaseModel):
    """An application on another path, with USCIS's latest word on it."""

    id: int
    form: Form
    receipt_number: str | None
    filed_date: date
    decision: Decision | None = Field(description="null while the filing is pending.")
    decided_on: date | None
    status_text: str | None

    @classmethod
    def of(cls, row: Filing) -> "FilingOut":
        assert row.id is not None
        return cls(
            id=row.id,
            form=row.form,
            receipt_number=row.receipt_number,
            filed_date=row.filed_date,
            decision=row.decision,
            decided_on=row.decided_on,
            status_text=row.status_text,
        )


class StatusChangeOut(BaseModel):
    """One step of a case's status history: who, when and why."""

    id: int
    from_status: Status | None
    to_status: Status
    changed_at: datetime
    actor: str
    reason: str
    effective_date: date | None

    @classmethod
    def of(cls, row: StatusChange) -> "StatusChangeOut":
        assert row.id is not None
        return cls(
            id=row.id,
            from_status=row.from_status,
            to_status=row.to_status,
            changed_at=row.changed_at,
            actor=row.actor,
            reason=row.reason,
            effective_date=row.effective_date,
        )


class DeadlineChangeOut(BaseModel):
    """A deadline that a change added (no old date), moved, or removed (no new date)."""

    slot: str
    old_date: date | None
    new_date: date | None
    old_act_by: date | None
    new_act_by: date | None

    @classmethod
    def of(cls, change: DeadlineChange) -> "DeadlineChangeOut":
        return cls(
            slot=change.slot,
            old_date=change.old_date,
            new_date=change.new_date,
            old_act_by=change.old_act_by,
            new_act_by=change.new_act_by,
        )


class FilingIn(Input):
    """A filing to record on a case. It does not change the case's status: to move the
    case to reparole_pending as well, post a status change with the form and receipt."""

    form: Form
    receipt_number: Receipt | None = None
    filed_date: Day = Field(description="The day USCIS received it; not after today.")


class StatusChangeIn(Input):
    """A status change, as `tracker case status` takes it.

    Moving to `paroled` needs `new_expiry` (the new grant's end); to `terminated` or
    `departed` needs `effective_date` (the day parole ends). A `receipt_number` needs its
    `form`; together they record the filing the change comes with.
    """

    to_status: Status
    reason: Reason
    effective_date: Day | None = Field(
        default=None, description="The day the change took effect; defaults to today."
    )
    new_expiry: Day | None = Field(default=None, description="Expiry of a new grant.")
    receipt_number: Receipt | None = None
    form: Form | None = None


class FilingCreated(BaseModel):
    """The recorded filing, and the case as its deadlines stand now."""

    filing: FilingOut
    case: CaseOut
    deadline_changes: list[DeadlineChangeOut]


class StatusChanged(BaseModel):
    """The new step of the status history, and the case as it stands now."""

    status_change: StatusChangeOut
    case: CaseOut
    deadline_changes: list[DeadlineChangeOut]


LOCAL_TIME_PATTERN = "^(19|20|21)[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}$"
LocalTime = Annotated[
    str,
    Field(
        pattern=LOCAL_TIME_PATTERN,
        description="The local time at the place, as the notice prints it (24-hour).",
        examples=["2027-01-15 09:30"],
    ),
]
Zone = Annotated[
    str, Field(min_length=1, max_length=64, pattern=VISIBLE_TEXT, examples=["America/Chicago"])
]
Place = Annotated[
    str,
    Field(
        min_length=1,
        max_length=PLACE_MAX,
        pattern=VISIBLE_TEXT,
        examples=["Chicago Immigration Court, 525 W Van Buren St, Suite 500, Chicago, IL"],
    ),
]


class AppointmentIn(Input):
    """An appointment the person must attend, as its notice gives it. One in the past is
    refused unless `past` is true (recording history)."""

    kind: AppointmentKind
    local_start: LocalTime
    zone: Zone = Field(description="The place's IANA time zone.")
    place: Place
    duration_minutes: int | None = Field(default=None, ge=1, le=DURATION_MAX_MINUTES)
    source_notice: str | None = Field(
        default=None, max_length=SOURCE_MAX, pattern=VISIBLE_TEXT, examples=["I-797C"]
    )
    source_date: Day | None = None
    past: bool = False


class RescheduleIn(Input):
    """The new time (and, if it changed, place and zone) of an appointment."""

    local_start: LocalTime
    zone: Zone | None = Field(default=None, description="Defaults to the old one's.")
    place: Place | None = Field(default=None, description="Defaults to the old one's.")
    reason: Reason = "rescheduled"


class AppointmentStatusIn(Input):
    """What became of an appointment (a reschedule has its own route)."""

    status: Literal["attended", "missed", "cancelled"]
    reason: Reason


class AppointmentStepOut(BaseModel):
    """One step of an appointment's status history."""

    from_: AppointmentStatus | None = Field(alias="from")
    to: AppointmentStatus
    at: datetime
    by: str
    reason: str


class AppointmentOut(BaseModel):
    """An appointment, its instant, place, status and history."""

    id: int
    case_id: int
    kind: AppointmentKind
    local_start: str = Field(description="As the place keeps it: YYYY-MM-DD HH:MM.")
    zone: str
    starts_at: datetime
    ends_at: datetime | None
    duration_minutes: int | None
    place: str
    source_notice: str | None
    source_date: date | None
    status: AppointmentStatus
    replaced_by: int | None = Field(description="The appointment that replaced a rescheduled one.")
    needs_follow_up: bool = Field(description="Still scheduled after its day: did the person go?")
    history: list[AppointmentStepOut]
