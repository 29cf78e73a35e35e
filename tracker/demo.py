"""Clearly fake demo data, imported through the same path as a real case file."""

import csv
import secrets
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import select

from tracker.accounts.users import create_user
from tracker.importer.report import ImportReport
from tracker.importer.rows import COLUMNS
from tracker.importer.service import ImportOptions, import_file
from tracker.policies import Policies
from tracker.store.db import session_scope
from tracker.store.models import Case, Role, User

DEMO_PREFIX = "DEMO-"
DEMO_REPRESENTATIVE = "demo-rep@example.org"
# (program, citizenship, language, zone, days until parole ends, filing form or "")
PROFILES = [
    ("U4U", "UA", "uk", "America/New_York", 12, ""),
    ("U4U", "UA", "ru", "America/Chicago", 45, "I-131"),
    ("OAW", "AF", "fa-AF", "America/Los_Angeles", 80, ""),
    ("OAW", "AF", "ps", "America/Denver", 150, "I-589"),
    ("CHNV", "HT", "ht", "America/New_York", 25, ""),
    ("CHNV", "CU", "es", "America/New_York", 200, ""),
    ("CHNV", "VE", "es", "America/Phoenix", 5, "I-589"),
    ("CAM", "SV", "es", "America/Los_Angeles", 300, ""),
    ("medical", "MX", "es", "America/Chicago", 60, ""),
    ("other", "UA", "en", "Pacific/Honolulu", 120, ""),
]
COPIES = 4


def demo_rows(today: date) -> list[dict[str, str]]:
    """Forty fake cases with ends spread over the next year. Phones are 555-01xx (fictional)."""
    rows = []
    for n in range(len(PROFILES) * COPIES):
        program, country, language, zone, days, form = PROFILES[n % len(PROFILES)]
        end = today + timedelta(days=days + 7 * (n // len(PROFILES)))
        start = end - timedelta(days=729)
        rows.append({
            "external_id": f"{DEMO_PREFIX}{n + 1:03d}",
            "full_name": f"Demo Person {n + 1:02d}",
            "phone": f"+1 202 555 01{n:02d}",
            "language": language,
            "timezone": zone,
            "program": program,
            "citizenship": country,
            "arrival_date": start.isoformat(),
            "parole_start": start.isoformat(),
            "parole_expiry": end.isoformat(),
            "representative_name": "Demo Representative",
            "representative_email": DEMO_REPRESENTATIVE,
            "sms_consent": "yes" if n % 5 else "no",
            "form_type": form,
            "filed_date": (today - timedelta(days=30)).isoformat() if form else "",
        })  # fmt: skip
    return rows


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
        return import_file(engine, path, policies, now, options)


DEMO_ADMIN = "demo-admin@example.org"


def seed_users(engine: Engine, now: datetime) -> list[tuple[str, str, str]]:
    """Demo sign-ins (administrator, and the demo representative) with fresh random
    passwords; returns (email, role, password) for those created, to be shown once."""
    created = []
    with session_scope(engine) as session:
        for email, role in ((DEMO_ADMIN, Role.ADMIN), (DEMO_REPRESENTATIVE, Role.REPRESENTATIVE)):
            if session.exec(select(User).where(User.email == email)).first() is not None:
                continue
            password = secrets.token_urlsafe(12)
            create_user(session, email=email, role=role, password=password, now=now, actor="demo")
            created.append((email, role.value, password))
    return created
