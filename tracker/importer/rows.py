"""One CSV row in, one checked `ImportRow` (or the list of what is wrong with it) out."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import pycountry

from tracker.domain.appointments import (
    AppointmentError,
    AppointmentRequest,
    appointment_request,
)
from tracker.domain.contact import NAME_MAX, normalise_language, normalise_timezone
from tracker.domain.identifiers import (
    normalise_a_number,
    normalise_category,
    normalise_phone,
    normalise_receipt,
)
from tracker.domain.model import Form, Program

COLUMNS = (
    "external_id",
    "full_name",
    "phone",
    "language",
    "timezone",
    "program",
    "citizenship",
    "arrival_date",
    "parole_start",
    "parole_expiry",
    "work_permit_expiry",
    "a_number",
    "representative_name",
    "representative_email",
    "sms_consent",
    "receipt_number",
    "form_type",
    "filed_date",
    "birth_date",
    "work_permit_category",
    "parole_fee_due",
    "appointment_kind",
    "appointment_at",
    "appointment_zone",
    "appointment_place",
)
# An appointment takes all four (at: "YYYY-MM-DD HH:MM", local to the place's zone).
APPOINTMENT_COLUMNS = (
    "appointment_kind",
    "appointment_at",
    "appointment_zone",
    "appointment_place",
)
# Columns a file may leave out: an update then keeps what staff entered.
KEPT_WHEN_ABSENT = ("birth_date", "work_permit_category", "parole_fee_due")
REQUIRED = ("external_id", "full_name", "program", "arrival_date", "parole_start", "parole_expiry")
CONSENT = {"yes": True, "true": True, "1": True, "y": True,
           "no": False, "false": False, "0": False, "n": False, "": False}  # fmt: skip
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_LENGTHS = {"external_id": 64, "full_name": NAME_MAX, "representative_name": 200,
               "representative_email": 254}  # fmt: skip


@dataclass(frozen=True)
class RowError:
    """What is wrong, and where: line (or sheet row) 1 is the header."""

    line: int
    column: str
    value: str
    reason: str
    # A workbook's sheet: `line` is then the sheet's row number.
    sheet: str = ""

    @property
    def where(self) -> str:
        """ "line 4", "sheet 'Cases' row 4", or "file"."""
        if not self.line:
            return f"sheet {self.sheet!r}" if self.sheet else "file"
        return f"sheet {self.sheet!r} row {self.line}" if self.sheet else f"line {self.line}"

    def __str__(self) -> str:
        column = f" column {self.column}" if self.column else ""
        value = f" ({self.value!r})" if self.value else ""
        return f"{self.where}{column}{value}: {self.reason}"


@dataclass(frozen=True)
class ImportRow:
    """A row whose every value has been checked and normalised."""

    line: int
    external_id: str
    full_name: str
    phone: str | None
    language: str
    timezone: str
    program: Program
    citizenship: str | None
    arrival_date: date
    parole_start: date
    parole_expiry: date
    work_permit_expiry: date | None
    a_number: str | None
    representative_name: str | None
    representative_email: str | None
    sms_consent: bool
    receipt_number: str | None
    form_type: Form | None
    filed_date: date | None
    birth_date: date | None = None
    work_permit_category: str | None = None
    parole_fee_due: date | None = None
    # The case's coming appointment, checked (a time that exists, an IANA zone, ahead).
    appointment: AppointmentRequest | None = None
    # The optional columns the file has (see KEPT_WHEN_ABSENT).
    columns: frozenset[str] = frozenset()


def check_header(header: list[str]) -> list[RowError]:
    """Unknown, repeated and missing columns, all reported on line 1."""
    errors = [RowError(1, name, "", "unknown column") for name in header if name not in COLUMNS]
    seen: set[str] = set()
    for name in header:
        if name in seen:
            errors.append(RowError(1, name, "", "column appears twice"))
        seen.add(name)
    errors += [
        RowError(1, n, "", "required column is missing") for n in REQUIRED if n not in header
    ]
    return errors


class _Row:
    """Collects the errors of one row while its values are parsed."""

    def __init__(self, values: dict[str, str], line: int) -> None:
        self.values = {k: (v or "").strip() for k, v in values.items()}
        self.line = line
        self.errors: list[RowError] = []

    def fail(self, column: str, reason: str) -> None:
        self.errors.append(RowError(self.line, column, self.values.get(column, ""), reason))

    def text(self, column: str) -> str | None:
        value = self.values.get(column, "")
        if not value:
            if column in REQUIRED:
                self.fail(column, "required value is empty")
            return None
        limit = MAX_LENGTHS.get(column)
        if limit and len(value) > limit:
            self.fail(column, f"longer than {limit} characters")
            return None
        return value

    def date(self, column: str) -> date | None:
        value = self.text(column)
        if value is None:
            return None
        if not ISO_DATE.match(value):
            self.fail(column, "not a date in the form YYYY-MM-DD")
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(column, "no such date in the calendar")
            return None


def parse_row(
    values: dict[str, str],
    line: int,
    *,
    default_timezone: str,
    today: date,
    now: datetime | None = None,
) -> ImportRow | list[RowError]:
    """Check and normalise one row; return every problem it has, not just the first.
    `now` (default: the start of `today`) is what an appointment must be after."""
    row = _Row(values, line)
    external_id = row.text("external_id")
    full_name = row.text("full_name")
    program = _program(row)
    arrival, start, expiry = (
        row.date("arrival_date"),
        row.date("parole_start"),
        row.date("parole_expiry"),
    )
    if start and expiry and expiry < start:
        row.fail("parole_expiry", f"parole ends before it starts ({start})")
    if arrival and arrival > today:
        row.fail("arrival_date", f"arrival is after today ({today})")
    phone = _checked(row, "phone", normalise_phone)
    consent = _consent(row)
    if consent and phone is None:
        row.fail("sms_consent", "SMS consent needs a phone number")
    rep_name, rep_email = _representative(row)
    receipt, form, filed = _filing(row, today)
    birth = row.date("birth_date")
    if birth and birth > today:
        row.fail("birth_date", f"birth date is after today ({today})")
    elif birth and arrival and birth > arrival:
        row.fail("birth_date", f"birth date is after the arrival ({arrival})")
    parsed = ImportRow(
        line=line,
        external_id=external_id or "",
        full_name=full_name or "",
        phone=phone,
        language=_language(row),
        timezone=_timezone(row, default_timezone),
        program=program or Program.OTHER,
        citizenship=_country(row),
        arrival_date=arrival or date.min,
        parole_start=start or date.min,
        parole_expiry=expiry or date.min,
        work_permit_expiry=row.date("work_permit_expiry"),
        a_number=_checked(row, "a_number", normalise_a_number),
        representative_name=rep_name,
        representative_email=rep_email,
        sms_consent=consent,
        receipt_number=receipt,
        form_type=form,
        filed_date=filed,
        birth_date=birth,
        work_permit_category=_checked(row, "work_permit_category", normalise_category),
        parole_fee_due=row.date("parole_fee_due"),
        appointment=_appointment(row, now or datetime.combine(today, time(0), UTC)),
        columns=frozenset(c for c in KEPT_WHEN_ABSENT if c in values),
    )
    return row.errors or parsed


def _appointment(row: _Row, now: datetime) -> AppointmentRequest | None:
    given = [c for c in APPOINTMENT_COLUMNS if row.values.get(c)]
    if not given:
        return None
    missing = [c for c in APPOINTMENT_COLUMNS if c not in given]
    if missing:
        row.fail(missing[0], "an appointment needs " + ", ".join(APPOINTMENT_COLUMNS))
        return None
    values = {c: row.values[c] for c in APPOINTMENT_COLUMNS}
    try:
        return appointment_request(
            kind=values["appointment_kind"],
            at=values["appointment_at"],
            zone=values["appointment_zone"],
            place=values["appointment_place"],
            now=now,
            # A file read again after the day still names it: the import warns and keeps
            # what it knows rather than refuse the row.
            past=True,
        )
    except AppointmentError as exc:
        row.fail(f"appointment_{exc.field}", exc.message)
        return None


def _checked(row: _Row, column: str, normalise: Callable[[str], str]) -> str | None:
    value = row.text(column)
    if value is None:
        return None
    try:
        return normalise(value)
    except ValueError as exc:
        row.fail(column, str(exc))
        return None


def _program(row: _Row) -> Program | None:
    value = row.text("program")
    if value is None:
        return None
    for program in Program:
        if program.value.lower() == value.lower():
            return program
    row.fail("program", "unknown program; use one of " + ", ".join(p.value for p in Program))
    return None


def _language(row: _Row) -> str:
    return _checked(row, "language", normalise_language) or "en"


def _timezone(row: _Row, default: str) -> str:
    return _checked(row, "timezone", normalise_timezone) or default


def _country(row: _Row) -> str | None:
    value = row.text("citizenship")
    if value is None:
        return None
    code = value.upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        row.fail("citizenship", "not an ISO 3166 two-letter country code such as UA")
        return None
    return code


def _consent(row: _Row) -> bool:
    value = row.values.get("sms_consent", "").lower()
    if value not in CONSENT:
        row.fail("sms_consent", "write yes or no")
        return False
    return CONSENT[value]


def _representative(row: _Row) -> tuple[str | None, str | None]:
    name, email = row.text("representative_name"), row.text("representative_email")
    if email is not None and not EMAIL.match(email):
        row.fail("representative_email", "not an email address")
        email = None
    if name and not email and not row.values.get("representative_email"):
        row.fail("representative_email", "a representative needs an email address")
    if email and not name:
        row.fail("representative_name", "a representative needs a name")
    return name, email.lower() if email else None


def _filing(row: _Row, today: date) -> tuple[str | None, Form | None, date | None]:
    receipt = _checked(row, "receipt_number", normalise_receipt)
    form_text, filed = row.text("form_type"), row.date("filed_date")
    form = None
    if form_text is not None:
        compact = re.sub(r"[\s-]", "", form_text).upper()
        wanted = f"{compact[:1]}-{compact[1:]}"
        form = next((f for f in Form if f.value == wanted), None)
        if form is None:
            row.fail("form_type", "unknown form; use one of " + ", ".join(f.value for f in Form))
    if (receipt or row.values.get("receipt_number")) and not form_text:
        row.fail("form_type", "a receipt number needs its form type")
    if form_text and filed is None and not row.values.get("filed_date"):
        row.fail("filed_date", "a filing needs the date it was filed")
    if filed and not form_text:
        row.fail("form_type", "a filed date needs its form type")
    if filed and filed > today:
        row.fail("filed_date", f"filed after today ({today})")
    return receipt, form, filed
