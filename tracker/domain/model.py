"""Value types shared by the rules engine, the status machine and the store."""

import datetime as dt
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class Program(StrEnum):
    """Parole programs a case can belong to."""

    U4U = "U4U"
    OAW = "OAW"
    CHNV = "CHNV"
    FRP = "FRP"
    CAM = "CAM"
    MEDICAL = "medical"
    OTHER = "other"


class Status(StrEnum):
    """Where a case stands; changes go through `tracker.domain.status`."""

    PAROLED = "paroled"
    REPAROLE_PENDING = "reparole_pending"
    OTHER_STATUS_PENDING = "other_status_pending"
    EXPIRED = "expired"
    DEPARTED = "departed"
    STATUS_OBTAINED = "status_obtained"
    TERMINATED = "terminated"
    CLOSED = "closed"


class GrantSource(StrEnum):
    """Why a grant exists. Some sources record an early end rather than a grant of parole."""

    INITIAL = "initial"
    REPAROLE = "reparole"
    CORRECTION = "correction"
    TERMINATION_NOTICE = "termination_notice"
    # Parole ends when the person leaves (8 CFR 212.5(e)).
    DEPARTURE = "departure"

    @property
    def ends_early(self) -> bool:
        """True for an early end (termination, departure); False for a grant of parole."""
        return self in (GrantSource.TERMINATION_NOTICE, GrantSource.DEPARTURE)


class Form(StrEnum):
    """USCIS forms the tracker follows."""

    I131 = "I-131"
    I589 = "I-589"
    I821 = "I-821"
    I485 = "I-485"
    I765 = "I-765"


class Decision(StrEnum):
    """Outcome of a filing; a filing without one is pending."""

    APPROVED = "approved"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"
    # Returned unaccepted (wrong fee, missing signature): it was never pending.
    REJECTED = "rejected"


class DeadlineKind(StrEnum):
    """Every kind of deadline the rules can produce."""

    PAROLE_EXPIRY = "parole_expiry"
    REPAROLE_WINDOW_OPENS = "reparole_window_opens"
    REPAROLE_FILE_BY = "reparole_file_by"
    ASYLUM_ONE_YEAR = "asylum_one_year"
    UNLAWFUL_PRESENCE_180 = "unlawful_presence_180"
    UNLAWFUL_PRESENCE_365 = "unlawful_presence_365"
    WORK_PERMIT_EXPIRY = "work_permit_expiry"
    CUBAN_ADJUSTMENT_ELIGIBLE = "cuban_adjustment_eligible"
    TPS_REGISTRATION_CLOSES = "tps_registration_closes"
    PAROLE_FEE_DUE = "parole_fee_due"
    ANNUAL_ASYLUM_FEE_DUE = "annual_asylum_fee_due"
    WORK_PERMIT_RENEW_FROM = "work_permit_renew_from"
    # Appointments (tracker.domain.appointments): the day of one the person must attend.
    BIOMETRICS_APPOINTMENT = "biometrics_appointment"
    USCIS_INTERVIEW = "uscis_interview"
    COURT_HEARING = "court_hearing"
    OTHER_APPOINTMENT = "other_appointment"
    # The day a response to a USCIS request for evidence or notice of intent to deny is due.
    RFE_RESPONSE_DUE = "rfe_response_due"


@dataclass(frozen=True)
class GrantFacts:
    """One period of parole as the rules see it."""

    start: date
    expiry: date
    source: GrantSource
    # Ties on `start` are broken by recording order: a later correction wins.
    sequence: int = 0
    # When the grant was decided, where known: a grant decided after a program
    # termination's notice (a court order, a new parole) is not ended by it.
    decided: date | None = None


@dataclass(frozen=True)
class FilingFacts:
    """One application on another path, as the rules see it."""

    form: Form
    filed: date
    decision: Decision | None = None
    decided_on: date | None = None
    # The due date in the latest yearly fee notice USCIS sent for this filing.
    fee_notice_due: date | None = None
    # The response date of USCIS's request for evidence (or notice of intent to deny),
    # and whether staff chose to remind the person too (else only the representative).
    response_due: date | None = None
    response_tells_parolee: bool = False

    @property
    def pending(self) -> bool:
        return self.decision is None

    @property
    def was_filed(self) -> bool:
        """False for a filing withdrawn or rejected: it satisfies nothing."""
        return self.decision not in (Decision.WITHDRAWN, Decision.REJECTED)


@dataclass(frozen=True)
class AppointmentFacts:
    """A scheduled appointment, as the rules see it."""

    id: int
    # An AppointmentKind value.
    kind: str
    # The day as the place keeps it, and the instant it starts.
    day: date
    starts_at: dt.datetime


@dataclass(frozen=True)
class TerminationException:
    """Who a program termination spares: people with `form` filed by `filed_by` and
    still pending. A denial or withdrawal ends the exception on its date."""

    form: Form
    filed_by: date


@dataclass(frozen=True)
class TerminationFacts:
    """A program termination that reached a case, as the rules see it."""

    effective: date
    # The notice's publication: grants decided after it are not ended by it.
    published: date
    in_force: bool = True
    # True when parole ends only once the person receives an individual notice.
    on_notice: bool = False
    notice_received: date | None = None
    exception: TerminationException | None = None


@dataclass(frozen=True)
class CaseFacts:
    """Everything the rules need to know about one case; nothing else."""

    program: Program
    status: Status
    arrival: date
    grants: tuple[GrantFacts, ...]
    filings: tuple[FilingFacts, ...] = ()
    citizenship: str | None = None
    work_permit_expiry: date | None = None
    work_permit_category: str | None = None
    # A representative may set another arrival for the asylum clock (domain.md).
    asylum_arrival: date | None = None
    terminations: tuple[TerminationFacts, ...] = ()
    birth_date: date | None = None
    parole_fee_due: date | None = None
    # Only the scheduled ones: one attended, missed or moved asks nothing more.
    appointments: tuple[AppointmentFacts, ...] = ()


@dataclass(frozen=True)
class Deadline:
    """A derived date with the rule that produced it."""

    kind: DeadlineKind
    # `dt.date`: the attribute `date` would shadow the type for the lines below it.
    date: dt.date
    act_by: dt.date
    rule_id: str
    rule_version: int
    citation: str
    # Distinguishes several deadlines of one kind (one per TPS window).
    key: str = ""
    flags: tuple[str, ...] = field(default=())
    # An appointment's instant: its day-of reminder must go before it.
    starts_at: dt.datetime | None = None

    @property
    def slot(self) -> str:
        """Stable identity of this deadline within its case."""
        return f"{self.kind.value}:{self.key}" if self.key else self.kind.value


@dataclass(frozen=True)
class DeadlineChange:
    """A deadline that appears, moves or goes away when a case is recomputed."""

    slot: str
    old_date: date | None
    new_date: date | None
    old_act_by: date | None = None
    new_act_by: date | None = None

    @property
    def what(self) -> str:
        if self.old_date is None:
            return "added"
        return "removed" if self.new_date is None else "moved"


class AlertState(StrEnum):
    """The life of one outgoing message."""

    PLANNED = "planned"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SUPPRESSED = "suppressed"


class UscisEvent(StrEnum):
    """What a USCIS case status text means for the tracker (`config/uscis.toml` maps the
    texts to these); `other` is every text no pattern matches."""

    RECEIVED = "received"
    RFE = "rfe"
    # An interview or a biometrics appointment the person must attend.
    APPOINTMENT = "appointment"
    APPROVED = "approved"
    DENIED = "denied"
    REJECTED = "rejected"
    TRANSFERRED = "transferred"
    OTHER = "other"
