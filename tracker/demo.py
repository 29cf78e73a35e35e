"""Clearly fake demo data, imported through the same path as a real case file.

The demo shows the whole product: consenting cases in every language, two representatives
who each see only their own clients (and cases with none), and every kind of deadline.
"""

import csv
import secrets
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import select

from tracker.accounts.users import create_user
from tracker.cases.edit import case_edit
from tracker.cases.repository import find_case
from tracker.domain.model import Form
from tracker.feeds.tokens import issue
from tracker.importer.report import ImportReport
from tracker.importer.rows import COLUMNS
from tracker.importer.service import ImportOptions, import_file
from tracker.policies import Policies
from tracker.store.db import session_scope
from tracker.store.models import Case, Role, User

DEMO_PREFIX = "DEMO-"
DEMO_ADMIN = "demo-admin@example.org"
# (name, email): each has a sign-in and a calendar feed of their own clients.
REPRESENTATIVES = (
    ("Demo Representative One", "demo-rep@example.org"),
    ("Demo Representative Two", "demo-rep2@example.org"),
)
COPIES = 4
# A Ukrainian who came early in Uniting for Ukraine, before the residence date of the
# Ukraine TPS window in config/rules.toml (2023-08-16): that case shows a TPS deadline.
EARLY_ARRIVAL = date(2023, 5, 10)


@dataclass(frozen=True)
class Profile:
    """One kind of demo case; each is copied COPIES times, a week apart."""

    program: str
    citizenship: str
    language: str
    zone: str
    days_left: int
    form: str = ""
    # Days of the current grant; it starts that long before it ends.
    grant_days: int = 729
    arrival: date | None = None  # default: the grant's start
    work_permit_days: int | None = None  # days from today, where an EAD is recorded
    work_permit_category: str = ""
    # Days from today to the due date of a USCIS parole fee notice, where one came.
    fee_due_days: int | None = None
    # A minor: this many years old today (no unlawful presence before 18).
    age: int | None = None
    # An appointment: kind, days from today, local time at the place (in `zone`), place.
    appointment: tuple[str, int, str, str] | None = None


PROFILES = (
    Profile("U4U", "UA", "uk", "America/New_York", 12, arrival=EARLY_ARRIVAL),
    # Re-parole requested; USCIS's notice asks for the parole fee.
    Profile(
        "U4U",
        "UA",
        "ru",
        "America/Chicago",
        45,
        form="I-131",
        fee_due_days=20,
        appointment=(
            "biometrics",
            9,
            "09:30",
            "USCIS Application Support Center, 101 W Congress Pkwy, Chicago, IL",
        ),
    ),
    Profile(
        "OAW",
        "AF",
        "fa-AF",
        "America/Los_Angeles",
        80,
        work_permit_days=40,
        work_permit_category="c11",
    ),
    Profile(
        "OAW",
        "AF",
        "ps",
        "America/Denver",
        150,
        form="I-589",
        appointment=("uscis_interview", 30, "13:00", "USCIS Denver Field Office, Centennial, CO"),
    ),
    Profile("CHNV", "HT", "ht", "America/New_York", 25),
    # Cuban Adjustment: a year after the parole's start.
    Profile("CHNV", "CU", "es", "America/New_York", 200, grant_days=500),
    Profile(
        "CHNV",
        "VE",
        "es",
        "America/Phoenix",
        5,
        form="I-589",
        appointment=(
            "court_hearing",
            4,
            "08:30",
            "Phoenix Immigration Court, 2035 N Central Ave, Phoenix, AZ",
        ),
    ),
    Profile("CAM", "SV", "es", "America/Los_Angeles", 300, work_permit_days=120),
    Profile(
        "medical", "MX", "es", "America/Chicago", 60, appointment=("other", 12, "15:00", "by video")
    ),
    # Arrived three months ago on a one-year grant: the asylum year and the re-parole
    # window are still ahead.
    Profile("other", "UA", "en", "Pacific/Honolulu", 270, grant_days=364, age=16),
)


def _representative(n: int) -> tuple[str, str]:
    """Clients alternate between the two representatives; every 13th case has none."""
    if n % 13 == 12:
        return ("", "")
    return REPRESENTATIVES[(n + n // len(PROFILES)) % len(REPRESENTATIVES)]


def demo_rows(today: date) -> list[dict[str, str]]:
    """Forty fake cases with ends spread over the next year. Phones are 555-01xx (fictional).

    Every eighth says no to texts; the others, in every language, consent.
    """
    rows = []
    for n in range(len(PROFILES) * COPIES):
        profile = PROFILES[n % len(PROFILES)]
        end = today + timedelta(days=profile.days_left + 7 * (n // len(PROFILES)))
        start = end - timedelta(days=profile.grant_days)
        rep_name, rep_email = _representative(n)
        work_permit = (
            today + timedelta(days=profile.work_permit_days)
            if profile.work_permit_days is not None
            else None
        )
        rows.append(
            {
                **_appointment(profile, today),
                "external_id": f"{DEMO_PREFIX}{n + 1:03d}",
                "full_name": f"Demo Person {n + 1:02d}",
                "phone": f"+1 202 555 01{n:02d}",
                "language": profile.language,
                "timezone": profile.zone,
                "program": profile.program,
                "citizenship": profile.citizenship,
                "arrival_date": (profile.arrival or start).isoformat(),
                "parole_start": start.isoformat(),
                "parole_expiry": end.isoformat(),
                "work_permit_expiry": work_permit.isoformat() if work_permit else "",
                "representative_name": rep_name,
                "representative_email": rep_email,
                "sms_consent": "no" if n % 8 == 7 else "yes",
                "form_type": profile.form,
                "filed_date": (today - timedelta(days=30)).isoformat() if profile.form else "",
                "work_permit_category": profile.work_permit_category,
                "parole_fee_due": _days_from(today, profile.fee_due_days),
                "birth_date": (
                    today.replace(year=today.year - profile.age, day=1).isoformat()
                    if profile.age is not None
                    else ""
                ),
            }
        )
    return rows


def _appointment(profile: Profile, today: date) -> dict[str, str]:
    if profile.appointment is None:
        return {}
    kind, days, at, place = profile.appointment
    day = (today + timedelta(days=days)).isoformat()
    return {
        "appointment_kind": kind,
        "appointment_at": f"{day} {at}",
        "appointment_zone": profile.zone,
        "appointment_place": place,
    }


def _days_from(today: date, days: int | None) -> str:
    return (today + timedelta(days=days)).isoformat() if days is not None else ""


def has_cases(engine: Engine) -> bool:
    """True once any case is stored."""
    with session_scope(engine) as session:
        return session.exec(select(Case.id).limit(1)).first() is not None


def seed(engine: Engine, policies: Policies, now: datetime, timezone: str) -> ImportReport:
    """Import the demo cases (again: re-running updates them, never duplicates)."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo.csv"
        with path.open("w", encoding="utf-8", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=list(COLUMNS), restval="")
            writer.writeheader()
            writer.writerows(demo_rows(today))
        options = ImportOptions(actor="demo", default_timezone=timezone)
        report = import_file(engine, path, policies, now, options)
    _request_for_evidence(engine, policies, now, today)
    return report


# The demo case whose pending asylum application got a request for evidence, and when
# the response is due (days from today); the person is texted too.
RFE_CASE, RFE_DAYS = f"{DEMO_PREFIX}004", 25


def _request_for_evidence(engine: Engine, policies: Policies, now: datetime, today: date) -> None:
    with session_scope(engine) as session:
        case, parolee = find_case(session, RFE_CASE)
        with case_edit(
            session, case, parolee=parolee, by="demo", policies=policies, now=now
        ) as edit:
            filing = edit.newest_pending(Form.I589)
            if filing.response_due is None:
                due = today + timedelta(days=RFE_DAYS)
                edit.response_due(filing, due=due, notice="rfe", tell_parolee=True)


def issue_feeds(engine: Engine, now: datetime) -> list[tuple[str, str]]:
    """A new calendar feed for each demo representative: (email, token), shown once."""
    with session_scope(engine) as session:
        return [
            (email, issue(session, now=now, actor="demo", representative_email=email).token)
            for _, email in REPRESENTATIVES
        ]


def seed_users(engine: Engine, now: datetime) -> list[tuple[str, str, str]]:
    """Demo sign-ins (an administrator, and each demo representative) with fresh random
    passwords; returns (email, role, password) for those created, to be shown once."""
    accounts = [(DEMO_ADMIN, Role.ADMIN)] + [(e, Role.REPRESENTATIVE) for _, e in REPRESENTATIVES]
    created = []
    with session_scope(engine) as session:
        for email, role in accounts:
            if session.exec(select(User).where(User.email == email)).first() is not None:
                continue
            password = secrets.token_urlsafe(12)
            create_user(session, email=email, role=role, password=password, now=now, actor="demo")
            created.append((email, role.value, password))
    return created
