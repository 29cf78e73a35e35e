"""Why a PostgreSQL database did not answer, in words that name the fix.

A skip that says only "not reachable" hides whether the password was refused, the database
is missing or no server listens; each wants a different fix.
"""

import re

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

# What the server or libpq says, and what it means; the first that matches wins.
CAUSES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r'password authentication failed for user "([^"]+)"'), "password refused"),
    (re.compile(r"no password supplied|fe_sendauth"), "no password given"),
    (re.compile(r'database "([^"]+)" does not exist'), "database missing"),
    (re.compile(r'role "([^"]+)" does not exist'), "user missing"),
    (re.compile(r"no pg_hba\.conf entry"), "refused by pg_hba.conf"),
    (re.compile(r"Connection refused|No such file or directory"), "no server listening"),
    (re.compile(r"could not translate host name|Name or service not known"), "unknown host"),
    (re.compile(r"timeout expired|timed out"), "no answer (timed out)"),
]


def why_unreachable(url: str, error: Exception) -> str:
    """One line: where, the cause, and what the server said (never the password)."""
    parsed = make_url(url)
    where = (
        f"PostgreSQL at {parsed.host or 'localhost'}:{parsed.port or 5432}, "
        f"database {parsed.database!r}, user {parsed.username!r}"
    )
    said = str(error.orig if isinstance(error, DBAPIError) and error.orig else error)
    if parsed.password:
        said = said.replace(str(parsed.password), "***")
    cause = next((label for pattern, label in CAUSES if pattern.search(said)), None)
    detail = _last_message(said)
    return f"{where}: {cause or 'not reachable'} ({detail}); set TEST_DATABASE_URL"


def _last_message(said: str) -> str:
    """The words of the server or of libpq, without where they came from (said above)."""
    lines = [line.strip() for line in said.strip().splitlines() if line.strip()]
    first = next((line for line in lines if "FATAL:" in line), lines[0] if lines else said)
    return re.sub(r"^.*failed:\s+(FATAL:\s+)?", "", first)
