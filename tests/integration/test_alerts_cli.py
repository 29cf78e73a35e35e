"""`tracker alerts ...` and `tracker rules check` as an administrator runs them, on SQLite and
on PostgreSQL, with the default console SMS backend.

Exit codes, stderr and what the console backend prints are checked on the installed command
in a subprocess (run from an empty folder, so no `.env` is read); other output in-process
with Click's runner. Every command that takes `--now` gets one: nothing reads today's date.
"""

import csv
import json
import re
import subprocess
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from tests.builders import config_copy
from tracker.alerts.message_files import load_catalog
from tracker.alerts.messages import LANGUAGES, Value
from tracker.cli.main import app as cli_app
from tracker.settings import Settings
from tracker.sms.segments import segments

from ..cli_support import run_installed, settings_env
from ..conftest import EXAMPLE_CASES, NOW, ROOT, refused

AT = NOW.isoformat().replace("+00:00", "Z")  # 2026-11-29T17:00:00Z
LIST_FIELDS = {
    "external_id", "kind", "offset_days", "recipient", "due_at", "state", "language", "body",
    "preview",
}  # fmt: skip
NOTES = {"at_risk": "note.at_risk", "asylum_year_passed_in_parole": "note.asylum_passed"}
MASKED = re.compile(r"\+1\*{8}\d\d")
UTC_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
# One more case for the forecast: parole ends 2026-12-29, so its reminders fall in the next
# 30 days (14, 7, 3 and 1 days before), and its asylum year passed in parole (a note).
EXTRA = (
    "external_id,full_name,phone,language,timezone,program,citizenship,arrival_date,"
    "parole_start,parole_expiry,sms_consent\n"
    "F01,Forecast Parolee,+1 646 555 0175,en,America/New_York,U4U,UA,2025-06-30,2025-06-30,"
    "2026-12-29,yes\n"
)


@dataclass
class Tracker:
    """The tracker command on one database and one config folder."""

    url: str
    config_dir: Path
    cwd: Path

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The installed command in a subprocess, with only the settings given here."""
        settings = {"DATABASE_URL": self.url, "CONFIG_DIR": str(self.config_dir)}
        return run_installed(self.cwd, settings, *args)

    def ok(self, *args: str) -> str:
        """Run a command in this process (Click's runner) that must succeed; its stdout."""
        env = settings_env(DATABASE_URL=self.url, CONFIG_DIR=str(self.config_dir))
        result = CliRunner().invoke(cli_app, list(args), env=env)
        assert result.exit_code == 0, (
            f"tracker {' '.join(args)} exited {result.exit_code}: {result.exception!r}\n"
            f"{result.output}"
        )
        return result.stdout

    def alerts(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = json.loads(self.ok("alerts", "list", "--format", "json"))
        return rows

    def case(self, external_id: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.ok("case", "show", external_id, "--format", "json"))
        return data


def cases_in(path: Path) -> dict[str, dict[str, str]]:
    """The rows of an import file, by external id."""
    with path.open(encoding="utf-8", newline="") as file:
        return {row["external_id"]: row for row in csv.DictReader(file)}


def phone_forms(path: Path) -> list[str]:
    """Every way a phone number of the file could show in full: as written, E.164, digits."""
    forms = []
    for row in cases_in(path).values():
        digits = re.sub(r"\D", "", row["phone"])
        national = digits[-10:]
        forms += [row["phone"], f"+1{national}", national, f"{national[3:6]}-{national[6:]}"]
    return forms


def assert_no_phone(text: str, *paths: Path) -> None:
    for path in paths:
        for form in phone_forms(path):
            assert form not in text, f"a full phone number ({form}) is shown:\n{text}"


@pytest.fixture
def tracker(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Tracker:
    """The command on an empty migrated database, with the shipped config, in an empty folder."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return Tracker(database_url, ROOT / "config", cwd)


@pytest.fixture
def examples(tracker: Tracker) -> Tracker:
    """The command with the five worked examples imported at NOW."""
    out = tracker.ok("import", str(EXAMPLE_CASES), "--now", AT)
    assert "5 new, 0 updated" in out
    return tracker


@pytest.fixture
def extra(tmp_path: Path) -> Path:
    path = tmp_path / "extra.csv"
    path.write_text(EXTRA, encoding="utf-8")
    return path


# --- alerts list ---------------------------------------------------------------------------


def test_it_lists_alerts_with_masked_recipients_and_utc_times(examples: Tracker) -> None:
    out = examples.ok("alerts", "list", "--format", "json")
    rows: list[dict[str, Any]] = json.loads(out)
    assert rows
    for row in rows:
        assert set(row) == LIST_FIELDS
        assert MASKED.fullmatch(row["recipient"]), row["recipient"]
        assert UTC_ISO.fullmatch(row["due_at"]), row["due_at"]
        # Nothing is sent yet: each text is a preview, as it would read when due.
        assert row["body"] and row["preview"] is True
    assert_no_phone(out, EXAMPLE_CASES)
    assert_no_phone(examples.ok("alerts", "list"), EXAMPLE_CASES)


def test_it_welcomes_each_consenting_case_with_a_phone(examples: Tracker) -> None:
    welcomes = {row["external_id"]: row for row in examples.alerts() if row["kind"] == "welcome"}
    # E04 gave no consent.
    assert sorted(welcomes) == ["E01", "E02", "E03", "E05"]
    rows = cases_in(EXAMPLE_CASES)
    for external_id, welcome in welcomes.items():
        assert welcome["state"] == "planned"
        assert welcome["language"] == rows[external_id]["language"]
        assert welcome["recipient"].endswith(rows[external_id]["phone"][-2:])
    # At once where it is inside the sending window; 08:00 in Anchorage waits until 09:00.
    assert {w["due_at"] for k, w in welcomes.items() if k != "E05"} == {AT}
    assert welcomes["E05"]["due_at"] == "2026-11-29T18:00:00Z"


def test_it_refuses_an_unknown_list_format(examples: Tracker) -> None:
    refused(examples.run("alerts", "list", "--format", "xml"), "--format 'xml'", "table, json")


# --- alerts dispatch -----------------------------------------------------------------------


def test_it_dispatches_through_the_console_with_masked_numbers_only_once(
    examples: Tracker,
) -> None:
    first = examples.run("alerts", "dispatch", "--now", AT)
    assert first.returncode == 0, first.stderr
    assert_no_phone(first.stdout + first.stderr, EXAMPLE_CASES)
    lines = first.stdout.splitlines()
    sms = [line for line in lines if line.startswith("SMS to ")]
    assert len(sms) == 3, first.stdout
    assert all(re.match(r"SMS to \+1\*{8}\d\d \(\d segments?\): ", line) for line in sms), sms
    assert [line for line in lines if line not in sms] == [
        "3 sent, 0 to retry, 0 failed, 0 no longer needed, 0 waiting for allowed hours, "
        "0 interrupted claim(s) settled (0 found already sent)."
    ]
    states = {row["external_id"]: row["state"] for row in examples.alerts()}
    # E05's welcome is due at 09:00 in Anchorage, an hour from now.
    assert states == {"E01": "sent", "E02": "sent", "E03": "sent", "E05": "planned"}

    second = examples.run("alerts", "dispatch", "--now", AT)
    assert second.returncode == 0, second.stderr
    assert "SMS to" not in second.stdout
    assert second.stdout.startswith("0 sent, ")
    assert_no_phone(second.stdout + second.stderr, EXAMPLE_CASES)
    assert {row["external_id"]: row["state"] for row in examples.alerts()} == states


# --- alerts plan ---------------------------------------------------------------------------


def test_it_plans_the_same_reminders_only_once(examples: Tracker) -> None:
    # 30 days before E05's one year without status (act by 2027-02-27), at_risk: I-131 pending.
    at = "2027-01-27T17:00:00Z"
    assert examples.ok("alerts", "plan", "--now", at) == "1 alert(s) planned.\n"
    planned = examples.alerts()
    assert examples.ok("alerts", "plan", "--now", at) == "0 alert(s) planned.\n"
    assert examples.ok("alerts", "plan", "--now", "2027-01-27T18:00:00Z") == (
        "0 alert(s) planned.\n"
    )
    assert examples.alerts() == planned
    (reminder,) = [row for row in planned if row["kind"] != "welcome"]
    assert (reminder["external_id"], reminder["kind"], reminder["offset_days"]) == (
        "E05", "unlawful_presence_365", 30,
    )  # fmt: skip
    # 10:00 in Anchorage; the reminder carries its note and stays within the budget.
    assert reminder["due_at"] == "2027-01-28T19:00:00Z"
    catalog = load_catalog(ROOT / "config" / "messages")
    note = catalog.render("ru", "note.at_risk")
    assert reminder["body"].endswith(" " + note)
    budgets = reminder_policy()["segment_budgets"]
    assert segments(reminder["body"]) <= budgets["with_notes"]["ucs2"]


def test_it_tells_the_days_left_on_the_day_each_reminder_goes_out(
    tracker: Tracker, extra: Path
) -> None:
    tracker.ok("import", str(extra), "--now", AT)
    # F01's parole ends 2026-12-29. On 12-27 the planner sends the missed reminder 3 days
    # before at once, and plans those 1 day and 0 days before (within its 2-day horizon).
    # Each is previewed as it will read when due: the late one says 2 days, not 3.
    assert tracker.ok("alerts", "plan", "--now", "2026-12-27T17:00:00Z") == (
        "3 alert(s) planned.\n"
    )
    new_york = ZoneInfo("America/New_York")
    left = {}
    for row in tracker.alerts():
        if row["kind"] == "parole_expiry":
            sent = datetime.fromisoformat(row["due_at"]).astimezone(new_york).date()
            left[row["offset_days"]] = ((date(2026, 12, 29) - sent).days, row["body"])
    assert sorted(left) == [0, 1, 3]
    words = {2: "(in 2 days)", 1: "(tomorrow)", 0: "(today)"}
    for days, body in left.values():
        assert f"29 December 2026 {words[days]}" in body, f"sent {days} days before:\n{body}"


# --- alerts forecast -----------------------------------------------------------------------


def reminder_policy() -> dict[str, Any]:
    with (ROOT / "config" / "reminders.toml").open("rb") as file:
        return tomllib.load(file)


def expected_day(tracker: Tracker, day: date, files: list[Path]) -> tuple[int, int]:
    """Messages and segments on `day` (UTC), worked out from the stored deadlines and the
    planned welcome messages, with the offsets of reminders.toml."""
    policy = reminder_policy()
    send_time = datetime.strptime(policy["send_time"], "%H:%M").time()
    catalog = load_catalog(ROOT / "config" / "messages")
    org = Settings.model_fields["org_short_name"].default
    bodies = [
        row["body"]
        for row in tracker.alerts()
        if row["kind"] == "welcome" and row["state"] == "planned"
        if max(date.fromisoformat(row["due_at"][:10]), NOW.date()) == day
    ]
    rows = {k: v for path in files for k, v in cases_in(path).items()}
    for external_id, row in rows.items():
        if row["sms_consent"] != "yes" or not row["phone"]:
            continue
        case = tracker.case(external_id)
        zone = ZoneInfo(case["timezone"])
        contact = row.get("representative_name") or Settings.model_fields["help_contact"].default
        muted = policy["suppressed_in_status"].get(case["status"], [])
        for deadline in case["deadlines"]:
            kind, act_by = deadline["kind"], date.fromisoformat(deadline["act_by"])
            if kind in muted:
                continue
            for offset in policy["offsets"].get(kind, []):
                due = datetime.combine(act_by - timedelta(days=offset), send_time, zone)
                if due < NOW or due.astimezone(ZoneInfo("UTC")).date() != day:
                    continue
                # Written on the day it goes: the days left then.
                days = (act_by - due.date()).days
                about: dict[str, Value] = {"date": act_by, "days": days}
                language = row["language"]
                body = catalog.render(language, f"reminder.{kind}", org=org, contact=contact,
                                      **about)  # fmt: skip
                for flag in deadline["flags"]:
                    if flag in NOTES:
                        # A text ending with a name gets a full stop before its note.
                        stop = "" if body.endswith(".") else "."
                        body += f"{stop} {catalog.render(language, NOTES[flag])}"
                bodies.append(body)
    return len(bodies), sum(segments(body) for body in bodies)


def test_it_forecasts_messages_segments_and_cost_per_day(examples: Tracker, extra: Path) -> None:
    examples.ok("import", str(extra), "--now", AT)
    out = examples.ok("alerts", "forecast", "--days", "30", "--now", AT)
    lines = out.splitlines()
    assert lines[0].split() == ["day", "(UTC)", "messages", "segments", "cost", "USD"]
    days = [line.split() for line in lines[1:-1]]
    assert [d[0] for d in days] == [str(NOW.date() + timedelta(days=n)) for n in range(30)]
    table = {date.fromisoformat(d[0]): (int(d[1]), int(d[2]), d[3]) for d in days}
    price = reminder_policy()["cost_per_segment_usd"]
    total_messages = sum(messages for messages, _, _ in table.values())
    total_cost = sum(count * price for _, count, _ in table.values())
    assert lines[-1] == f"Total: {total_messages} messages, ${total_cost:.2f}."

    files = [EXAMPLE_CASES, extra]
    # Today: the five welcome messages (E01, E02, E03, E05 and F01).
    # 2026-12-15: F01's parole ends in 14 days (10:00 in New York, 15:00 UTC).
    for day in (NOW.date(), date(2026, 12, 15)):
        messages, count = expected_day(examples, day, files)
        assert messages > 0
        assert table[day] == (messages, count, f"{count * price:.2f}"), day
    assert table[date(2026, 11, 29)][0] == 5
    assert table[date(2026, 12, 15)][0] == 1


# --- rules check ---------------------------------------------------------------------------


def test_it_checks_the_rules_reminders_messages_and_feeds(
    tracker: Tracker,
) -> None:
    lines = tracker.ok("rules", "check").splitlines()
    config = ROOT / "config"
    assert len(lines) == 14, lines
    files = [line for line in lines if not line.startswith(("Every text", "  "))]
    assert [line.split(": ")[0] for line in files] == [
        str(config / "rules.toml"),
        str(config / "reminders.toml"),
        str(config / "messages"),
        str(config / "feeds.toml"),
        str(config / "retention.toml"),
        str(config / "uscis.toml"),
    ]
    assert all(line.endswith(": OK") for line in files), lines
    assert "segment budgets (GSM-7/UCS-2) text 3/5" in lines[1]
    assert "7 languages, 37 texts each" in lines[2]
    # The longest text of each language, with its segments beside its budget.
    longest = lines[4:11]
    assert [line.split()[0] for line in longest] == list(LANGUAGES)
    assert all(re.search(r": \d+ segments \((GSM-7|UCS-2), \d+ characters\), budget \d+: OK$", line)
               for line in longest), longest  # fmt: skip
    assert "in 6 languages await native review" in lines[2]


def test_it_names_the_file_line_and_key_of_an_unknown_placeholder(
    tracker: Tracker, tmp_path: Path
) -> None:
    config = config_copy(tmp_path)
    path = config / "messages" / "es.toml"
    lines = path.read_text(encoding="utf-8").splitlines()
    (line,) = [n for n, text in enumerate(lines, 1) if text.startswith("reply.stop = ")]
    lines[line - 1] = lines[line - 1].replace("{org}", "{organizacion}", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tracker.config_dir = config

    result = tracker.run("rules", "check")
    refused(result, f"es.toml:{line}:", "reply.stop", "{organizacion}")
    assert result.returncode == 2
