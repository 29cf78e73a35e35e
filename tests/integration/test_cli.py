"""The `tracker` command as an administrator runs it, on SQLite and on PostgreSQL.

Exit codes, stderr and the absence of tracebacks are checked on the installed command in a
subprocess (run from an empty folder, so no `.env` is read); output is checked in-process
with Click's runner. Every command that takes `--now` gets one: nothing reads today's date.
"""

import csv
import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.builders import config_copy
from tracker.store.db import make_engine

from ..conftest import EXAMPLE_CASES, KEYRING, ROOT, refused, table_counts
from .cli_harness import TODAY, Cli, run_tracker


@pytest.fixture
def examples(cli: Cli) -> Cli:
    """The command with the five worked examples imported."""
    out = cli.ok("import", str(EXAMPLE_CASES), "--now", TODAY)
    assert "5 new, 0 updated" in out
    return cli


@pytest.fixture
def own_config(cli: Cli, tmp_path: Path) -> Cli:
    """The command on a copy of config/ that a test may edit."""
    cli.config_dir = config_copy(tmp_path)
    return cli


def edit_rules(config_dir: Path, old: str, new: str) -> int:
    """Replace the one line `old` of rules.toml with `new`; return its line number."""
    path = config_dir / "rules.toml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    found = [n for n, line in enumerate(lines) if line.rstrip("\n") == old]
    assert len(found) == 1, f"{old!r} is on {len(found)} lines of rules.toml"
    lines[found[0]] = new + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    return found[0] + 1


# --- cases expiring -------------------------------------------------------------------------


def test_it_lists_expiring_cases_as_json_soonest_first(examples: Cli) -> None:
    assert examples.expiring_json() == [
        {"external_id": "E04", "name": "Example Parolee Four", "program": "medical",
         "status": "paroled", "end": "2027-05-24", "days_left": 176,
         "next_deadline": "reparole_file_by", "next_act_by": "2027-02-23"},
        {"external_id": "E01", "name": "Example Parolee One", "program": "U4U",
         "status": "paroled", "end": "2027-08-31", "days_left": 275,
         "next_deadline": "reparole_window_opens", "next_act_by": "2027-03-04"},
        {"external_id": "E03", "name": "Example Parolee Three", "program": "OAW",
         "status": "other_status_pending", "end": "2027-11-10", "days_left": 346,
         "next_deadline": "reparole_window_opens", "next_act_by": "2027-05-14"},
    ]  # fmt: skip


def test_it_lists_expiring_cases_as_csv(examples: Cli) -> None:
    out = examples.ok("cases", "expiring", "--within", "400", "--now", TODAY, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == [
        "external_id", "name", "program", "status", "end", "days_left", "next_deadline",
        "next_act_by",
    ]  # fmt: skip
    assert [(r["external_id"], r["end"], r["days_left"]) for r in rows] == [
        ("E04", "2027-05-24", "176"),
        ("E01", "2027-08-31", "275"),
        ("E03", "2027-11-10", "346"),
    ]


def test_it_lists_expiring_cases_as_a_table(examples: Cli) -> None:
    out = examples.ok("cases", "expiring", "--within", "400", "--now", TODAY)
    lines = out.strip().splitlines()
    assert lines[0].split() == [
        "external_id", "name", "program", "status", "end", "days_left", "next_deadline",
        "next_act_by",
    ]  # fmt: skip
    assert [line.split()[0] for line in lines[1:]] == ["E04", "E01", "E03"]
    assert "E02" not in out and "E05" not in out
    assert re.search(r"^E01 .* 2027-08-31 +275 +reparole_window_opens +2027-03-04$", out, re.M)


def test_it_counts_days_left_from_the_given_day(examples: Cli) -> None:
    rows = examples.ok(
        "cases", "expiring", "--within", "200", "--now", "2027-05-23", "--format", "json"
    )
    assert [(r["external_id"], r["days_left"]) for r in json.loads(rows)] == [
        ("E04", 1), ("E01", 100), ("E03", 171),
    ]  # fmt: skip


def test_it_counts_days_from_the_local_date_of_an_instant(examples: Cli) -> None:
    # 03:00 UTC on 30 November is still 29 November in New York (DEFAULT_TIMEZONE).
    rows = examples.ok(
        "cases", "expiring", "--within", "400", "--now", "2026-11-30T03:00:00Z", "--format",
        "json",
    )  # fmt: skip
    assert [r["days_left"] for r in json.loads(rows)] == [176, 275, 346]


def test_it_says_so_when_nothing_expires(examples: Cli) -> None:
    out = examples.ok("cases", "expiring", "--within", "30", "--now", TODAY)
    assert out.strip() == "No cases end in that period."


def test_it_filters_expiring_cases_by_program(examples: Cli) -> None:
    rows = examples.expiring_json("--program", "U4U")
    assert [r["external_id"] for r in rows] == ["E01"]
    rows = examples.expiring_json("--program", "U4U", "--program", "OAW")
    assert [r["external_id"] for r in rows] == ["E01", "E03"]


def test_it_refuses_an_unknown_format(examples: Cli) -> None:
    result = examples.run("cases", "expiring", "--within", "400", "--now", TODAY, "--format", "xml")
    refused(result, "--format", "'xml'", "table, csv, json")
    assert result.stdout == ""


# --- case show / case status ----------------------------------------------------------------


def test_it_shows_a_case_as_json(examples: Cli) -> None:
    e01 = examples.show("E01")
    assert (e01["external_id"], e01["program"], e01["status"], e01["end"]) == (
        "E01", "U4U", "paroled", "2027-08-31",
    )  # fmt: skip
    assert e01["representative"] == "rep@example.org"
    assert [(d["kind"], d["date"], d["act_by"]) for d in e01["deadlines"]] == [
        ("asylum_one_year", "2026-09-01", "2026-08-31"),
        ("reparole_window_opens", "2027-03-04", "2027-03-04"),
        ("reparole_file_by", "2027-06-02", "2027-06-02"),
        ("parole_expiry", "2027-08-31", "2027-08-31"),
        ("unlawful_presence_180", "2028-02-28", "2028-02-27"),
        ("unlawful_presence_365", "2028-08-30", "2028-08-29"),
    ]
    versions = {"asylum_one_year": 2, "unlawful_presence_180": 2, "unlawful_presence_365": 2}
    for deadline in e01["deadlines"]:
        assert deadline["rule"] == f"{deadline['kind']} v{versions.get(deadline['kind'], 1)}"
        assert deadline["citation"].strip()
    # No USCIS hold marks a Ukrainian's dates; no termination reached the case.
    assert (e01["holds"], e01["terminations"], e01["birth_date"]) == ([], [], None)
    assert [(g["start"], g["expiry"], g["source"]) for g in e01["grants"]] == [
        ("2025-09-01", "2027-08-31", "initial"),
    ]
    assert e01["filings"] == []
    assert [(h["from"], h["to"], h["reason"]) for h in e01["status_history"]] == [
        (None, "paroled", "imported"),
    ]
    e03 = examples.show("E03")
    filings = [(f["form"], f["receipt_number"], f["filed_date"], f["decision"])
               for f in e03["filings"]]  # fmt: skip
    assert filings == [("I-589", "IOE0999999999", "2026-06-01", None)]


def test_it_shows_a_case_as_text(examples: Cli) -> None:
    out = examples.ok("case", "show", "E03")
    assert "Case E03" in out and "Example Parolee Three" in out
    assert "parole ends 2027-11-10" in out
    assert "IOE0999999999" in out


def test_it_reports_a_missing_case_without_a_traceback(examples: Cli) -> None:
    refused(examples.run("case", "show", "NOPE"), "no case", "'NOPE'")


def test_it_drops_the_deadlines_of_a_case_that_departed(examples: Cli) -> None:
    out = examples.ok(
        "case", "status", "E01", "departed", "--reason", "left", "--date", "2026-12-01",
        "--now", TODAY,
    )  # fmt: skip
    assert "E01 is now departed" in out
    e01 = examples.show("E01")
    assert e01["status"] == "departed"
    assert e01["deadlines"] == []
    assert e01["status_history"][-1] | {"at": None, "actor": None} == {
        "from": "paroled", "to": "departed", "at": None, "actor": None, "reason": "left",
        "effective_date": "2026-12-01",
    }  # fmt: skip
    assert [r["external_id"] for r in examples.expiring_json()] == ["E04", "E03"]


def test_it_ends_parole_on_the_departure_date(examples: Cli) -> None:
    # domain.md, "Effective end of parole": parole also ends on departure (8 CFR 212.5(e)).
    examples.ok(
        "case", "status", "E01", "departed", "--reason", "left", "--date", "2026-12-01",
        "--now", TODAY,
    )  # fmt: skip
    assert examples.show("E01")["end"] == "2026-12-01"


def test_it_refuses_an_illegal_status_change_naming_the_allowed_ones(examples: Cli) -> None:
    examples.ok(
        "case", "status", "E01", "departed", "--reason", "left", "--date", "2026-12-01",
        "--now", TODAY,
    )  # fmt: skip
    before = table_counts(examples.engine)
    result = examples.run("case", "status", "E01", "expired", "--reason", "x", "--now", TODAY)
    refused(result, "departed", "expired", "closed, paroled")
    assert table_counts(examples.engine) == before
    assert examples.show("E01")["status"] == "departed"


def test_it_refuses_to_parole_again_without_a_new_expiry(examples: Cli) -> None:
    before = table_counts(examples.engine)
    refused(examples.run("case", "status", "E04", "paroled", "--reason", "x", "--now", TODAY))
    result = examples.run("case", "status", "E03", "paroled", "--reason", "x", "--now", TODAY)
    refused(result, "--new-expiry")
    assert table_counts(examples.engine) == before
    assert examples.show("E03")["status"] == "other_status_pending"


def test_it_paroles_again_with_a_new_grant(examples: Cli) -> None:
    out = examples.ok(
        "case", "status", "E03", "paroled", "--reason", "granted", "--new-expiry",
        "2029-11-10", "--date", "2026-11-20", "--now", TODAY,
    )  # fmt: skip
    assert "Parole now ends 2029-11-10 (was 2027-11-10)" in out
    e03 = examples.show("E03")
    assert (e03["status"], e03["end"]) == ("paroled", "2029-11-10")
    assert e03["grants"][-1]["source"] == "reparole"


def test_it_records_a_reparole_filing_and_drops_the_reparole_deadlines(examples: Cli) -> None:
    examples.ok(
        "case", "status", "E01", "reparole_pending", "--reason", "x", "--receipt",
        "ioe 0123456789", "--form", "I-131", "--now", TODAY,
    )  # fmt: skip
    e01 = examples.show("E01")
    assert e01["status"] == "reparole_pending"
    assert [(f["form"], f["receipt_number"], f["filed_date"], f["decision"])
            for f in e01["filings"]] == [("I-131", "IOE0123456789", TODAY, None)]  # fmt: skip
    kinds = {d["kind"] for d in e01["deadlines"]}
    assert not kinds & {"reparole_window_opens", "reparole_file_by"}
    assert "parole_expiry" in kinds
    # Whether a pending re-parole request stops unlawful presence is unsettled: at risk.
    assert examples.deadline("E01", "unlawful_presence_180")["flags"] == ["at_risk"]


def test_it_approves_the_request_and_plans_the_next_reparole_when_reparoled(
    examples: Cli,
) -> None:
    examples.ok(
        "case", "status", "E01", "reparole_pending", "--reason", "filed", "--receipt",
        "IOE0123456789", "--form", "I-131", "--now", TODAY,
    )  # fmt: skip
    examples.ok(
        "case", "status", "E01", "paroled", "--reason", "I-797 approval", "--new-expiry",
        "2029-08-31", "--date", "2027-08-01", "--now", TODAY,
    )  # fmt: skip
    e01 = examples.show("E01")
    assert [(f["decision"]) for f in e01["filings"]] == ["approved"]
    assert examples.deadline("E01", "reparole_file_by")["date"] == "2029-06-02"
    assert examples.deadline("E01", "unlawful_presence_180")["flags"] == []


def test_it_refuses_a_receipt_already_on_another_case(examples: Cli) -> None:
    before = table_counts(examples.engine)
    result = examples.run(
        "case", "status", "E01", "reparole_pending", "--reason", "x", "--receipt",
        "IOE0999999999", "--form", "I-131", "--now", TODAY,
    )  # fmt: skip
    refused(result, "IOE0999999999")
    assert table_counts(examples.engine) == before


def test_it_refuses_a_receipt_without_its_form(examples: Cli) -> None:
    before = table_counts(examples.engine)
    result = examples.run(
        "case", "status", "E01", "reparole_pending", "--reason", "x", "--receipt",
        "IOE0123456789", "--now", TODAY,
    )  # fmt: skip
    refused(result, "--form")
    assert table_counts(examples.engine) == before


def test_it_moves_the_end_to_the_date_of_a_termination_notice(examples: Cli) -> None:
    out = examples.ok(
        "case", "status", "E01", "terminated", "--date", "2027-01-15", "--reason", "notice",
        "--now", TODAY,
    )  # fmt: skip
    assert "Parole now ends 2027-01-15 (was 2027-08-31)" in out
    e01 = examples.show("E01")
    assert (e01["status"], e01["end"]) == ("terminated", "2027-01-15")
    assert examples.deadline("E01", "parole_expiry")["date"] == "2027-01-15"
    assert e01["grants"][-1]["source"] == "termination_notice"
    assert not examples.kinds("E01") & {"reparole_window_opens", "reparole_file_by"}


def test_it_refuses_a_malformed_date(examples: Cli) -> None:
    result = examples.run(
        "case", "status", "E01", "terminated", "--date", "15/01/2027", "--reason", "notice",
        "--now", TODAY,
    )  # fmt: skip
    refused(result, "--date", "YYYY-MM-DD")


# --- terminations ---------------------------------------------------------------------------


def add_u4u_termination(cli: Cli, *extra: str) -> str:
    return cli.ok(
        "terminations", "add", "U4U", "--effective", "2027-03-01", "--citation", "test notice",
        "--notice-date", TODAY, "--now", TODAY, *extra,
    )  # fmt: skip


def test_it_previews_a_program_termination_without_writing(examples: Cli) -> None:
    before = table_counts(examples.engine)
    out = add_u4u_termination(examples, "--dry-run")
    # U4U: E01 (ends 2027-08-31) moves; E05 ended before the termination, so stays put.
    assert out.strip() == (
        "Dry run, nothing changed. The termination would move 1 of 2 case(s); "
        "0 now have under 30 days; 0 excepted."
    )
    assert table_counts(examples.engine) == before
    assert examples.show("E01")["end"] == "2027-08-31"
    assert examples.ok("terminations", "list").strip() == "None."


def test_it_applies_stays_and_lifts_a_program_termination(examples: Cli) -> None:
    out = add_u4u_termination(examples)
    found = re.match(r"Termination (\d+) recorded\. It moved 1 of 2 case\(s\)", out)
    assert found, out
    number = found.group(1)
    assert examples.show("E01")["end"] == "2027-03-01"
    assert examples.show("E05")["end"] == "2026-02-28"
    assert examples.deadline("E01", "parole_expiry")["date"] == "2027-03-01"

    out = examples.ok("terminations", "stay", number, "--citation", "court", "--now", TODAY)
    # Both U4U cases got the termination's grant; only E01's end moves back.
    assert f"Termination {number} is now stayed. That moved 1 of 2 case(s)" in out
    assert examples.show("E01")["end"] == "2027-08-31"
    assert examples.deadline("E01", "parole_expiry")["date"] == "2027-08-31"

    out = examples.ok("terminations", "lift", number, "--citation", "scotus", "--now", TODAY)
    assert f"Termination {number} is now lifted. That moved 1 of 2 case(s)" in out
    assert examples.show("E01")["end"] == "2027-03-01"
    listing = examples.ok("terminations", "list")
    assert re.search(rf"^{number} +U4U +2027-03-01 +lifted +test notice$", listing, re.M)


def test_it_counts_the_cases_a_termination_leaves_with_under_30_days(examples: Cli) -> None:
    out = examples.ok(
        "terminations", "add", "U4U", "--effective", "2026-12-15", "--citation", "short notice",
        "--notice-date", TODAY, "--now", TODAY,
    )  # fmt: skip
    assert "moved 1 of 2 case(s); 1 now have under 30 days; 0 excepted." in out
    assert examples.expiring_json("--program", "U4U")[0] | {"name": None} == {
        "external_id": "E01", "name": None, "program": "U4U", "status": "paroled",
        "end": "2026-12-15", "days_left": 16, "next_deadline": "parole_expiry",
        "next_act_by": "2026-12-15",
    }  # fmt: skip


def test_it_refuses_to_stay_a_termination_that_does_not_exist(examples: Cli) -> None:
    result = examples.run("terminations", "stay", "999", "--citation", "court", "--now", TODAY)
    refused(result, "999")


def test_it_refuses_to_record_the_same_termination_twice(examples: Cli) -> None:
    add_u4u_termination(examples)
    before = table_counts(examples.engine)
    again = examples.run(
        "terminations", "add", "U4U", "--effective", "2027-03-01", "--citation", "test notice",
        "--notice-date", TODAY, "--now", TODAY,
    )  # fmt: skip
    refused(again, "Termination 1 already records this", "Nothing was changed")
    preview = examples.run(
        "terminations", "add", "U4U", "--effective", "2027-03-01", "--citation", "test notice",
        "--now", TODAY, "--dry-run",
    )  # fmt: skip
    refused(preview, "Termination 1 already records this")
    assert table_counts(examples.engine) == before


def test_it_refuses_to_lift_a_termination_that_was_never_stayed(examples: Cli) -> None:
    add_u4u_termination(examples)
    result = examples.run("terminations", "lift", "1", "--citation", "order", "--now", TODAY)
    refused(result, "termination 1 is not stayed, so there is no stay to lift")
    assert re.search(r"^1 +U4U +2027-03-01 +in_force", examples.ok("terminations", "list"), re.M)


def test_it_excepts_cases_with_an_application_pending_since_before_the_cut_off(
    examples: Cli,
) -> None:
    out = examples.ok(
        "terminations", "add", "OAW", "--effective", "2027-03-01", "--citation", "oaw notice",
        "--notice-date", TODAY, "--except-pending", "I-589", "--filed-by", "2026-07-01",
        "--now", TODAY,
    )  # fmt: skip
    assert "moved 0 of 1 case(s); 0 now have under 30 days; 1 excepted." in out
    assert examples.show("E03")["end"] == "2027-11-10"
    # E03 filed its I-589 on 2026-06-01: a cut-off the day before does not except it.
    out = examples.ok(
        "terminations", "add", "OAW", "--effective", "2027-03-01", "--citation", "oaw notice 2",
        "--notice-date", TODAY, "--except-pending", "I-589", "--filed-by", "2026-05-31",
        "--now", TODAY,
    )  # fmt: skip
    assert "moved 1 of 1 case(s); 0 now have under 30 days; 0 excepted." in out
    assert examples.show("E03")["end"] == "2027-03-01"


# --- rules ----------------------------------------------------------------------------------


def test_it_checks_the_shipped_rules(cli: Cli) -> None:
    out = cli.ok("rules", "check")
    assert out.strip().endswith(": OK")
    assert "17 rules" in out


def test_it_reports_a_bad_rule_with_its_file_and_line(own_config: Cli) -> None:
    line = edit_rules(own_config.config_dir, 'kind = "parole_expiry"', 'kind = "bogus"')
    result = own_config.run("rules", "check")
    refused(result, f"rules.toml:{line}:", "'bogus'")


def test_it_diffs_edited_rules_without_writing_then_applies_them(
    own_config: Cli, tmp_path: Path
) -> None:
    cli = own_config
    cli.ok("import", str(EXAMPLE_CASES), "--now", TODAY)
    edit_rules(cli.config_dir, "date_offset_days = -90", "date_offset_days = -120")
    before = table_counts(cli.engine)

    out = cli.ok("rules", "diff")
    assert out.splitlines() == [
        "E01  reparole_file_by  moved: 2027-06-02 -> 2027-05-03",
        "E03  reparole_file_by  moved: 2027-08-12 -> 2027-07-13",
        "E04  reparole_file_by  moved: 2027-02-23 -> 2027-01-24",
        "3 case(s) would change. Run `tracker rules apply` to store them.",
    ]
    assert table_counts(cli.engine) == before
    assert cli.deadline("E01", "reparole_file_by")["date"] == "2027-06-02"

    cli.ok("rules", "apply", "--now", TODAY)
    assert cli.deadline("E01", "reparole_file_by")["date"] == "2027-05-03"
    assert cli.deadline("E04", "reparole_file_by")["date"] == "2027-01-24"
    assert cli.ok("rules", "diff").strip() == "No stored deadline would change."


def test_it_counts_the_cases_rules_apply_changes(own_config: Cli) -> None:
    cli = own_config
    cli.ok("import", str(EXAMPLE_CASES), "--now", TODAY)
    edit_rules(cli.config_dir, "date_offset_days = -90", "date_offset_days = -120")
    out = cli.ok("rules", "apply", "--now", TODAY)
    assert out.strip() == "3 case(s) had deadlines added, moved or removed."
    out = cli.ok("rules", "apply", "--now", TODAY)
    assert out.strip() == "0 case(s) had deadlines added, moved or removed."


# --- the daily job, --now, demo, db ----------------------------------------------------------


def test_it_marks_ended_cases_without_a_pending_application_expired_once(examples: Cli) -> None:
    out = examples.ok("cases", "mark-expired", "--now", TODAY)
    assert out.strip() == "1 case(s) marked expired."
    e02 = examples.show("E02")
    assert e02["status"] == "expired"
    assert e02["status_history"][-1]["from"] == "paroled"
    assert e02["status_history"][-1]["effective_date"] == "2026-10-13"
    # E05 ended on 2026-02-28 but its I-131 is pending.
    assert examples.show("E05")["status"] == "reparole_pending"
    assert {examples.show(ref)["status"] for ref in ("E01", "E04")} == {"paroled"}

    before = table_counts(examples.engine)
    out = examples.ok("cases", "mark-expired", "--now", TODAY)
    assert out.strip() == "0 case(s) marked expired."
    assert table_counts(examples.engine) == before


def test_it_refuses_a_malformed_now(examples: Cli) -> None:
    result = examples.run("cases", "mark-expired", "--now", "notadate")
    refused(result, "--now", "'notadate'", "2026-11-29")
    assert examples.show("E02")["status"] == "paroled"


def test_it_loads_the_demo_cases_once(cli: Cli) -> None:
    out = cli.ok("demo", "--now", TODAY)
    assert "Demo data: 40 new, 0 already there." in out
    with cli.engine.connect() as connection:
        demo = connection.execute(
            text("SELECT COUNT(*) FROM parole_case WHERE external_id LIKE 'DEMO-%'")
        ).scalar_one()
    assert demo == 40
    before = table_counts(cli.engine)

    out = cli.ok("demo", "--now", TODAY)
    assert "Demo data: 0 new, 40 already there." in out
    assert table_counts(cli.engine) == before


def test_it_upgrades_a_fresh_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'fresh.db'}"
    for _ in range(2):
        result = run_tracker(("db", "upgrade"), url, ROOT / "config", tmp_path)
        assert result.returncode == 0, result.stderr
        assert "Database schema is up to date." in result.stdout
    engine = make_engine(url, KEYRING)
    try:
        assert table_counts(engine)["parole_case"] == 0
    finally:
        engine.dispose()


# --- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [("DATABASE_URL", "nonsense"), ("DATABASE_URL", "mysql://x@localhost/db"),
     ("DEFAULT_TIMEZONE", "Mars/Base"), ("PUBLIC_BASE_URL", "localhost:8000"),
     ("ENVIRONMENT", "staging")],
)  # fmt: skip
def test_it_stops_on_a_malformed_setting_naming_it(tmp_path: Path, name: str, value: str) -> None:
    database = tmp_path / "never.db"
    args = ("cases", "expiring", "--within", "30", "--now", TODAY)
    url = value if name == "DATABASE_URL" else f"sqlite:///{database}"
    extra = {} if name == "DATABASE_URL" else {name: value}
    result = run_tracker(args, url, ROOT / "config", tmp_path, **extra)
    refused(result, f"{name}:")
    assert not database.exists()


def test_it_refuses_production_with_the_default_secret(tmp_path: Path) -> None:
    database = tmp_path / "never.db"
    result = run_tracker(
        ("db", "upgrade"), f"sqlite:///{database}", ROOT / "config", tmp_path,
        ENVIRONMENT="production", PUBLIC_BASE_URL="https://tracker.example.org",
    )  # fmt: skip
    refused(result, "SECRET_KEY")
    assert not database.exists()


@pytest.mark.parametrize(
    ("args", "problem"),
    [(("worker", "--speed", "60"), "--speed needs --now"),
     (("worker", "--now", TODAY, "--speed", "0"), "'--speed'")],
)  # fmt: skip
def test_it_runs_a_worker_faster_only_from_a_given_now(
    tmp_path: Path, args: tuple[str, ...], problem: str
) -> None:
    database = tmp_path / "never.db"
    result = run_tracker(args, f"sqlite:///{database}", ROOT / "config", tmp_path)
    refused(result, problem)
    assert not database.exists()


def test_it_diffs_what_a_new_rule_version_moves_on_stored_cases(own_config: Cli) -> None:
    # The database as the previous Cuban Adjustment rule left it (the anniversary itself).
    cli = own_config
    edit_rules(cli.config_dir, "date_offset_days = 1", "date_offset_days = 0  # before v2")
    cli.ok("import", str(EXAMPLE_CASES), "--now", TODAY)
    assert cli.deadline("E02", "cuban_adjustment_eligible")["date"] == "2025-10-14"
    edit_rules(cli.config_dir, "date_offset_days = 0  # before v2", "date_offset_days = 1")
    assert cli.ok("rules", "diff").splitlines() == [
        "E02  cuban_adjustment_eligible  moved: 2025-10-14 -> 2025-10-15",
        "1 case(s) would change. Run `tracker rules apply` to store them.",
    ]
    cli.ok("rules", "apply", "--now", TODAY)
    found = cli.deadline("E02", "cuban_adjustment_eligible")
    assert (found["date"], found["rule"]) == ("2025-10-15", "cuban_adjustment_eligible v2")
