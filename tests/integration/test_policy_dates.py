"""Dates that hold when policy moves them (issue 13), through the `tracker` command on
SQLite and PostgreSQL: terminations recorded after the fact, re-parole grants they still
end, individual notices, exceptions re-checked on every change, shipped notices, import
warnings, and bad input that writes nothing. The reproductions of the issue come first."""

from pathlib import Path

import pytest
from sqlmodel import select

from tests.builders import a_case, write_csv
from tracker.importer.rows import COLUMNS
from tracker.store.db import session_scope
from tracker.store.models import Alert

from ..conftest import refused, table_counts
from .cli_harness import TODAY, Cli

# Days the reproductions were run on: after the CHNV termination took effect.
AFTER_CHNV = "2026-12-06"


def imported(cli: Cli, tmp_path: Path, *rows: dict[str, str], now: str = TODAY) -> str:
    """Import rows (built with `a_case`, plus the new columns) and return the output."""
    path = write_csv(tmp_path / "cases.csv", list(rows), COLUMNS)
    return cli.ok("import", str(path), "--now", now)


def chnv(external_id: str, expiry: str = "2026-10-13", **extra: str) -> dict[str, str]:
    return {
        **a_case(
            external_id=external_id, program="CHNV", citizenship="CU",
            arrival_date="2024-10-14", parole_start="2024-10-14", parole_expiry=expiry,
        ),
        **extra,
    }  # fmt: skip


def frp(external_id: str, **extra: str) -> dict[str, str]:
    return {
        **a_case(
            external_id=external_id, program="FRP", citizenship="HT",
            arrival_date="2024-06-01", parole_start="2024-06-01", parole_expiry="2027-06-01",
        ),
        **extra,
    }  # fmt: skip


def ended(external_id: str) -> dict[str, str]:
    """A U4U case whose parole ended on 2026-03-10."""
    return a_case(
        external_id=external_id, arrival_date="2025-03-10", parole_start="2025-03-10",
        parole_expiry="2026-03-10",
    )  # fmt: skip


def end_of(cli: Cli, ref: str) -> str:
    end: str = cli.show(ref)["end"]
    return end


def dates(cli: Cli, ref: str, kind: str) -> tuple[str, str]:
    found = cli.deadline(ref, kind)
    return found["date"], found["act_by"]


# --- the reproductions ------------------------------------------------------------------


def test_it_records_a_termination_after_its_effective_date(cli: Cli, tmp_path: Path) -> None:
    imported(cli, tmp_path, chnv("C01"), chnv("C02", expiry="2027-01-20"), now=AFTER_CHNV)
    args = ("terminations", "add", "CHNV", "--effective", "2025-04-24", "--citation",
            "90 FR 13611", "--now", AFTER_CHNV)  # fmt: skip
    preview = cli.ok(*args, "--dry-run")
    assert "would move 2 of 2 case(s)" in preview
    applied = cli.ok(*args)
    # The dry run and the apply agree, at a `now` after the effective date. (Its id is not
    # checked: on PostgreSQL the dry run's rolled-back insert used a sequence number.)
    assert "recorded. It moved 2 of 2 case(s); 2 now have under 30 days" in applied
    assert end_of(cli, "C01") == end_of(cli, "C02") == "2025-04-24"
    listing = cli.ok("terminations", "list")
    assert "2025-04-24" in listing and "90 FR 13611" in listing


def test_it_ends_a_reparole_that_starts_after_the_termination(cli: Cli, tmp_path: Path) -> None:
    imported(cli, tmp_path, a_case(external_id="U01", parole_expiry="2027-03-09"))
    cli.ok("case", "status", "U01", "reparole_pending", "--reason", "I-131 filed",
           "--form", "I-131", "--date", "2026-11-20", "--now", TODAY)  # fmt: skip
    cli.ok("case", "status", "U01", "paroled", "--reason", "re-parole approved",
           "--date", "2027-03-10", "--new-expiry", "2029-03-09", "--now", TODAY)  # fmt: skip
    assert end_of(cli, "U01") == "2029-03-09"
    cli.ok("terminations", "add", "U4U", "--effective", "2026-12-20", "--citation", "test notice",
           "--notice-date", "2026-11-20", "--now", TODAY)  # fmt: skip
    assert end_of(cli, "U01") == "2026-12-20"
    # The 180-day mark follows the end: June 2027, not September 2029.
    assert dates(cli, "U01", "unlawful_presence_180") == ("2027-06-19", "2027-06-18")


def test_it_spares_a_grant_decided_after_the_notice(cli: Cli, tmp_path: Path) -> None:
    imported(cli, tmp_path, a_case(external_id="U02", parole_expiry="2027-03-09"))
    cli.ok("terminations", "add", "U4U", "--effective", "2027-01-15", "--citation", "test notice",
           "--notice-date", "2026-11-20", "--now", TODAY)  # fmt: skip
    assert end_of(cli, "U02") == "2027-01-15"
    # A court order for this person, decided after the notice: a new grant it does not end.
    cli.ok("case", "grant", "U02", "--start", "2027-01-15", "--expiry", "2028-01-14",
           "--decided", "2026-11-28", "--note", "court order", "--now", TODAY)  # fmt: skip
    assert end_of(cli, "U02") == "2028-01-14"


def test_it_rechecks_the_frp_exception_when_the_adjustment_is_denied(
    cli: Cli, tmp_path: Path
) -> None:
    imported(
        cli, tmp_path,
        frp("F01", form_type="I-485", filed_date="2025-12-01", receipt_number="MSC2512345678"),
        frp("F02"),
        now="2026-01-02",
    )  # fmt: skip
    out = cli.ok("terminations", "add", "--known", "FRP-2025", "--now", "2026-01-02")
    assert "moved 1 of 2 case(s)" in out and "1 excepted" in out
    assert end_of(cli, "F01") == "2027-06-01"
    assert end_of(cli, "F02") == "2026-01-14"
    out = cli.ok("case", "filing", "decide", "F01", "--form", "I-485", "--decision", "denied",
                 "--on", "2026-03-02", "--now", "2026-03-03")  # fmt: skip
    assert "Parole now ends 2026-03-02 (was 2027-06-01)" in out
    # Its person is told the new date.
    with session_scope(cli.engine) as session:
        kinds = [a.kind for a in session.exec(select(Alert)).all()]
    assert "date_changed" in kinds


def test_it_waits_for_individual_notices_and_lists_cases_without_one(
    cli: Cli, tmp_path: Path
) -> None:
    imported(cli, tmp_path, chnv("N01", expiry="2027-06-01"), chnv("N02", expiry="2027-06-01"))
    out = cli.ok("terminations", "add", "CHNV", "--effective", "2026-12-15", "--citation",
                 "notice-based test", "--notice-date", "2026-11-15", "--on-notice",
                 "--now", TODAY)  # fmt: skip
    assert "moved 0 of 2 case(s)" in out
    shown = cli.ok("terminations", "show", "1")
    assert "No individual notice recorded: 2 case(s)" in shown and "N01" in shown
    out = cli.ok("case", "notice", "N01", "--termination", "1", "--received", "2026-11-25",
                 "--now", TODAY)  # fmt: skip
    # The later of the effective date and the notice.
    assert "Parole now ends 2026-12-15 (was 2027-06-01)" in out
    cli.ok("case", "notice", "N02", "--termination", "1", "--received", "2026-11-29",
           "--now", "2026-12-20")  # fmt: skip
    assert end_of(cli, "N02") == "2026-12-15"
    shown = cli.ok("terminations", "show", "1")
    assert "No individual notice recorded: 0 case(s)" in shown
    terminations = cli.show("N01")["terminations"]
    assert terminations == [
        {"id": 1, "program": "CHNV", "effective": "2026-12-15", "published": "2026-11-15",
         "state": "in_force", "citation": "notice-based test", "on_notice": True,
         "notice_received": "2026-11-25"},
    ]  # fmt: skip


def test_it_ends_parole_on_a_notice_received_after_the_effective_date(
    cli: Cli, tmp_path: Path
) -> None:
    imported(cli, tmp_path, chnv("N03", expiry="2027-06-01"), now="2026-12-20")
    cli.ok("terminations", "add", "--known", "CHNV-2025", "--now", "2026-12-20")
    assert end_of(cli, "N03") == "2025-04-24"
    cli.ok("case", "notice", "N03", "--termination", "1", "--received", "2025-06-13",
           "--now", "2026-12-20")  # fmt: skip
    assert end_of(cli, "N03") == "2025-06-13"


# --- shipped notices --------------------------------------------------------------------


def test_it_lists_known_notices_with_the_cases_they_would_move(cli: Cli, tmp_path: Path) -> None:
    imported(cli, tmp_path, chnv("K01"), chnv("K02", expiry="2025-03-01"), frp("K03"))
    listing = cli.ok("terminations", "known")
    assert "CHNV-2025" in listing and "FRP-2025" in listing
    chnv_line = next(line for line in listing.splitlines() if line.startswith("CHNV-2025"))
    # K02's parole ended before the effective date: reached, not moved.
    assert chnv_line.split()[3:6] == ["not", "applied", "2"] and chnv_line.split()[6] == "1"
    # None applies by itself: a fresh database has no termination in force.
    assert end_of(cli, "K01") == "2026-10-13"
    assert cli.ok("terminations", "list").strip() == "None."
    cli.ok("terminations", "add", "--known", "CHNV-2025", "--now", TODAY)
    assert "recorded as 1" in cli.ok("terminations", "known")
    result = cli.run("terminations", "add", "--known", "CHNV-2025", "--now", TODAY)
    refused(result, "Termination 1 already records this")


def test_it_shows_the_history_of_a_shipped_notice(cli: Cli, tmp_path: Path) -> None:
    imported(cli, tmp_path, chnv("K04"))
    cli.ok("terminations", "add", "--known", "CHNV-2025", "--now", TODAY)
    shown = cli.ok("terminations", "show", "1")
    assert "Noem v. Doe, No. 24A1079" in shown and "Takes effect: on its date" in shown


def test_it_warns_when_an_imported_row_outlasts_a_termination(cli: Cli, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [chnv("W01", expiry="2026-10-13")], COLUMNS)
    result = cli.run("import", str(path), "--now", TODAY)
    assert result.returncode == 0, result.stderr
    assert "warning: line 2 column parole_expiry ('2026-10-13'): CHNV parole ends 2025-04-24" in (
        result.stderr
    )
    assert "known notice CHNV-2025, not applied" in result.stderr
    # A warning, not an error: the row is imported as it is.
    assert end_of(cli, "W01") == "2026-10-13"


# --- unlawful presence, work permits, fees, on real cases --------------------------------


def test_it_moves_unlawful_presence_after_an_asylum_denial(cli: Cli, tmp_path: Path) -> None:
    imported(cli, tmp_path, ended("A01"))
    base = dates(cli, "A01", "unlawful_presence_180")
    assert base == ("2026-09-07", "2026-09-06")
    cli.ok("case", "filing", "add", "A01", "--form", "I-589", "--filed", "2026-01-05",
           "--now", "2026-01-06")  # fmt: skip
    assert "unlawful_presence_180" not in cli.kinds("A01")
    cli.ok("case", "filing", "decide", "A01", "--form", "I-589", "--decision", "denied",
           "--on", "2026-05-10", "--now", "2026-05-11")  # fmt: skip
    # Pending from the day after the end (2026-03-10) to the denial: 60 days not counted.
    assert dates(cli, "A01", "unlawful_presence_180") == ("2026-11-06", "2026-11-05")
    assert "days_not_counted" in cli.deadline("A01", "unlawful_presence_180")["flags"]


def test_it_tolls_nothing_for_a_rejected_filing(cli: Cli, tmp_path: Path) -> None:
    imported(cli, tmp_path, ended("A02"))
    cli.ok("case", "filing", "add", "A02", "--form", "I-589", "--filed", "2026-01-05",
           "--now", "2026-01-06")  # fmt: skip
    cli.ok("case", "filing", "decide", "A02", "--form", "I-589", "--decision", "rejected",
           "--on", "2026-05-10", "--now", "2026-05-11")  # fmt: skip
    assert dates(cli, "A02", "unlawful_presence_180") == ("2026-09-07", "2026-09-06")
    # A rejected I-589 was never filed: the asylum deadline comes back too.
    assert "asylum_one_year" in cli.kinds("A02")


def test_it_counts_unlawful_presence_from_the_eighteenth_birthday(cli: Cli, tmp_path: Path) -> None:
    imported(cli, tmp_path, {**a_case(external_id="M01", parole_expiry="2027-08-31"),
                             "birth_date": "2010-01-15"})  # fmt: skip
    assert dates(cli, "M01", "unlawful_presence_180") == ("2028-07-13", "2028-07-12")
    cli.ok("case", "set", "M01", "--clear", "birth_date", "--now", TODAY)
    assert dates(cli, "M01", "unlawful_presence_180") == ("2028-02-28", "2028-02-27")


def test_it_caps_a_parole_based_work_permit_at_the_end_of_parole(cli: Cli, tmp_path: Path) -> None:
    imported(cli, tmp_path, {**a_case(external_id="W02", parole_expiry="2027-08-31",
                                     work_permit_expiry="2028-02-01"),
                             "work_permit_category": "(c)(11)"})  # fmt: skip
    found = cli.deadline("W02", "work_permit_expiry")
    assert (found["date"], found["flags"]) == (
        "2027-08-31",
        ["capped_at_parole_end", "work_incident_to_parole"],
    )
    assert cli.show("W02")["work_permit_category"] == "c11"
    assert dates(cli, "W02", "work_permit_renew_from") == ("2027-03-04", "2027-03-04")
    cli.ok("case", "set", "W02", "--work-permit-category", "a12", "--now", TODAY)
    assert cli.deadline("W02", "work_permit_expiry")["date"] == "2028-02-01"


def test_it_reminds_of_the_parole_fee_and_the_yearly_asylum_fee(cli: Cli, tmp_path: Path) -> None:
    imported(cli, tmp_path, {**a_case(external_id="P01", form_type="I-589",
                                     filed_date="2025-12-01"),
                             "parole_fee_due": "2026-12-20"})  # fmt: skip
    assert dates(cli, "P01", "parole_fee_due") == ("2026-12-20", "2026-12-20")
    fees = [d for d in cli.show("P01")["deadlines"] if d["kind"] == "annual_asylum_fee_due"]
    assert [(d["date"], d["flags"]) for d in fees] == [("2026-12-01", ["watch_for_notice"])]
    assert "$102 for 2026" in fees[0]["citation"]
    cli.ok("case", "filing", "fee-notice", "P01", "--due", "2026-12-31", "--now", "2026-12-02")
    fees = [d for d in cli.show("P01")["deadlines"] if d["kind"] == "annual_asylum_fee_due"]
    assert sorted((d["date"], d["flags"]) for d in fees) == [
        ("2026-12-31", []), ("2027-12-01", ["watch_for_notice"]),
    ]  # fmt: skip


def test_a_response_date_reminds_the_person_only_when_staff_say_so(
    cli: Cli, tmp_path: Path
) -> None:
    imported(cli, tmp_path, a_case(external_id="R01", form_type="I-589", filed_date="2025-12-01"))
    base = ("case", "filing", "response", "R01", "--form", "I-589", "--now", "2026-12-02")
    cli.ok(*base, "--due", "2026-12-28", "--notice", "noid")
    deadline = cli.deadline("R01", "rfe_response_due")
    assert (deadline["date"], deadline["flags"]) == ("2026-12-28", ["staff_only"])
    assert "103.2(b)(8)" in deadline["citation"]
    assert cli.show("R01")["filings"][0]["response_notice"] == "noid"
    cli.ok("alerts", "plan", "--all", "--now", "2026-12-13T12:00:00Z")
    assert texts_about(cli, "rfe_response_due") == []
    cli.ok(*base, "--due", "2026-12-28", "--tell-parolee")
    assert cli.deadline("R01", "rfe_response_due")["flags"] == []
    cli.ok("alerts", "plan", "--all", "--now", "2026-12-13T12:00:00Z")
    assert texts_about(cli, "rfe_response_due") == [14]


def texts_about(cli: Cli, kind: str) -> list[int]:
    """The offsets of the planned alerts of `kind`."""
    with session_scope(cli.engine) as session:
        rows = session.exec(select(Alert).where(Alert.kind == kind, Alert.state == "planned"))
        return sorted(alert.offset_days for alert in rows)


# --- bad input: a plain error, non-zero exit, nothing written ----------------------------


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (
            ("case", "notice", "B01", "--termination", "1", "--received", "2026-10-01"),
            ("before the termination was published (2026-11-15)",),
        ),
        (
            ("case", "notice", "B01", "--termination", "9", "--received", "2026-11-20"),
            ("no program termination with id 9",),
        ),
        (
            (
                "case",
                "filing",
                "decide",
                "B01",
                "--form",
                "I-589",
                "--decision",
                "denied",
                "--on",
                "2026-01-01",
            ),
            ("before the I-589 was filed (2026-02-01)",),
        ),
        (
            (
                "case",
                "filing",
                "decide",
                "B01",
                "--form",
                "I-485",
                "--decision",
                "denied",
                "--on",
                "2026-03-01",
            ),
            ("has no pending I-485",),
        ),
        (
            (
                "case",
                "filing",
                "decide",
                "B01",
                "--form",
                "I-999",
                "--decision",
                "denied",
                "--on",
                "2026-03-01",
            ),
            ("I-999",),
        ),
        (("case", "set", "B01", "--birth-date", "2027-01-01"), ("after today",)),
        (("case", "set", "B01", "--birth-date", "2025-10-01"), ("after the arrival",)),
        (
            ("case", "set", "B01", "--work-permit-category", "eleven"),
            ("not a work permit category",),
        ),
        (("terminations", "add", "--known", "NOPE"), ("no known termination 'NOPE'",)),
        (
            (
                "terminations",
                "add",
                "CHNV",
                "--effective",
                "2026-01-01",
                "--citation",
                "x",
                "--notice-date",
                "2026-02-01",
            ),
            ("before the notice's publication",),
        ),
    ],
)
def test_it_refuses_bad_input_and_writes_nothing(
    cli: Cli, tmp_path: Path, args: tuple[str, ...], fragments: tuple[str, ...]
) -> None:
    imported(cli, tmp_path, chnv("B01", expiry="2027-06-01", form_type="I-589",
                                 filed_date="2026-02-01", arrival_date="2024-10-14"))  # fmt: skip
    cli.ok("terminations", "add", "CHNV", "--effective", "2026-12-15", "--citation", "notice",
           "--notice-date", "2026-11-15", "--on-notice", "--now", TODAY)  # fmt: skip
    before = table_counts(cli.engine)
    result = cli.run(*args, "--now", TODAY)
    refused(result, *fragments)
    assert table_counts(cli.engine) == before


def test_it_refuses_a_birth_date_after_arrival_in_the_import(cli: Cli, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "c.csv", [{**a_case(external_id="B02"), "birth_date": "2025-10-01"}], COLUMNS
    )
    result = cli.run("import", str(path), "--now", TODAY)
    refused(result, "column birth_date ('2025-10-01'): birth date is after the arrival")
