"""The CSV import at service level: every bad input is reported and writes nothing; good
rows are normalised; re-imports update, never duplicate. Runs on SQLite and PostgreSQL."""

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from sqlmodel import col, select

from tests.builders import (
    SPEC_COLUMNS,
    a_case,
    csv_text,
    import_cases,
    import_options,
    run_import,
    write_csv,
)
from tracker.bootstrap import App
from tracker.domain.model import DeadlineKind, GrantSource
from tracker.importer.rows import RowError
from tracker.store.db import session_scope
from tracker.store.models import Case, DeadlineRow, Filing, Grant, Parolee

from ..conftest import NOW, table_counts

HYPERLINK = '=HYPERLINK("http://evil.example/x","click me")'
LATER = NOW + timedelta(days=1)


def seed(app: App, tmp_path: Path, *rows: Mapping[str, str]) -> None:
    """Import rows as a first file, so 'unchanged' is checked against a non-empty DB."""
    report = import_cases(app, tmp_path / "seed.csv", rows or [a_case(external_id="S01")])
    assert report.errors == []
    assert report.written


def snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every stored value of every table, ordered by its whole primary key.

    Ordering by the first column alone left tables with a composite key (name
    words) in whatever order PostgreSQL chose, which made the comparison flaky.
    """
    inspector = inspect(engine)
    # Read the keys before opening the connection: SQLite would have the inspector wait
    # for the lock that connection holds.
    keys = {
        name: ", ".join(f'"{c}"' for c in inspector.get_pk_constraint(name)["constrained_columns"])
        for name in table_counts(engine)
    }
    with engine.connect() as connection:
        return {
            name: [
                tuple(r) for r in connection.execute(text(f'SELECT * FROM "{name}" ORDER BY {key}'))
            ]
            for name, key in keys.items()
        }


def stored(engine: Engine, external_id: str) -> tuple[Case, Parolee]:
    with session_scope(engine) as session:
        found = session.exec(
            select(Case, Parolee).join(Parolee).where(Case.external_id == external_id)
        ).one()
    return found[0], found[1]


def grants_of(engine: Engine, external_id: str) -> list[tuple[date, date, GrantSource]]:
    with session_scope(engine) as session:
        grants = session.exec(
            select(Grant).join(Case).where(Case.external_id == external_id).order_by(col(Grant.id))
        ).all()
    return [(g.start_date, g.expiry_date, g.source) for g in grants]


def deadline_dates(engine: Engine, external_id: str) -> dict[DeadlineKind, date]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(DeadlineRow)
            .join(Case)
            .where(Case.external_id == external_id, col(DeadlineRow.cancelled_at).is_(None))
        ).all()
    return {r.kind: r.date for r in rows}


def where(errors: list[RowError]) -> list[tuple[int, str]]:
    return [(e.line, e.column) for e in errors]


# --- Every kind of bad input: reported exactly, and nothing written ------------------------


@dataclass(frozen=True)
class Bad:
    """A bad file and the one error it must produce."""

    rows: list[dict[str, str]]
    line: int
    column: str
    value: str
    reason: str
    columns: tuple[str, ...] = SPEC_COLUMNS
    encoding: str = "utf-8"


FILING = {"form_type": "I-131", "filed_date": "2026-06-01"}
BAD_INPUTS: dict[str, Bad] = {
    "invalid phone": Bad(
        [a_case(phone="555-01", sms_consent="no")], 2, "phone", "555-01", "not a valid phone"
    ),
    "letters as phone": Bad(
        [a_case(phone="call me", sms_consent="no")],
        2,
        "phone",
        "call me",
        "not a valid phone number",
    ),
    "unknown language": Bad([a_case(language="de")], 2, "language", "de", "unsupported language"),
    "unknown time zone": Bad(
        [a_case(timezone="Mars/Olympus_Mons")],
        2,
        "timezone",
        "Mars/Olympus_Mons",
        "not an IANA time zone",
    ),
    "unknown program": Bad([a_case(program="TPS")], 2, "program", "TPS", "unknown program"),
    "unknown country": Bad(
        [a_case(citizenship="XX")], 2, "citizenship", "XX", "not an ISO 3166 two-letter"
    ),
    "three-letter country": Bad(
        [a_case(citizenship="UKR")], 2, "citizenship", "UKR", "not an ISO 3166 two-letter"
    ),
    "impossible date": Bad(
        [a_case(parole_expiry="2027-02-30")],
        2,
        "parole_expiry",
        "2027-02-30",
        "no such date in the calendar",
    ),
    "not an ISO date": Bad(
        [a_case(arrival_date="09/01/2025")],
        2,
        "arrival_date",
        "09/01/2025",
        "not a date in the form YYYY-MM-DD",
    ),
    "expiry before start": Bad(
        [a_case(parole_expiry="2025-08-31")],
        2,
        "parole_expiry",
        "2025-08-31",
        "parole ends before it starts",
    ),
    "duplicate external_id": Bad(
        [a_case(), a_case(full_name="Someone Else", phone="+1 202 555 0171")],
        3,
        "external_id",
        "T01",
        "duplicate external_id: already on line 2",
    ),
    "bad receipt": Bad(
        [a_case(receipt_number="EAC-12345", **FILING)],
        2,
        "receipt_number",
        "EAC-12345",
        "3 letters and 10 digits",
    ),
    "receipt with 11 digits": Bad(
        [a_case(receipt_number="EAC26123456789", **FILING)],
        2,
        "receipt_number",
        "EAC26123456789",
        "3 letters and 10 digits",
    ),
    "same receipt twice in the file": Bad(
        [
            a_case(receipt_number="EAC2612345678", **FILING),
            a_case(external_id="T02", receipt_number="eac 261 234 5678", **FILING),
        ],
        3,
        "receipt_number",
        "EAC2612345678",
        "the same receipt number is on line 2",
    ),
    "bad sms_consent": Bad(
        [a_case(sms_consent="maybe")], 2, "sms_consent", "maybe", "write yes or no"
    ),
    "empty required value": Bad(
        [a_case(full_name="")], 2, "full_name", "", "required value is empty"
    ),
    "unknown column": Bad(
        [a_case()], 1, "nickname", "", "unknown column", columns=(*SPEC_COLUMNS, "nickname")
    ),
    "missing required column": Bad(
        [a_case()],
        1,
        "parole_expiry",
        "",
        "required column is missing",
        columns=tuple(c for c in SPEC_COLUMNS if c != "parole_expiry"),
    ),
    "not UTF-8 (Latin-1)": Bad(
        [a_case(), a_case(external_id="T02", full_name="José Núñez")],
        3,
        "",
        "",
        "not UTF-8",
        encoding="latin-1",
    ),
}


@pytest.mark.parametrize("bad", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_it_reports_each_bad_input_exactly_and_writes_nothing(
    app: App, tmp_path: Path, bad: Bad
) -> None:
    seed(app, tmp_path)
    before, values_before = table_counts(app.engine), snapshot(app.engine)
    path = write_csv(tmp_path / "bad.csv", bad.rows, bad.columns, encoding=bad.encoding)

    report = run_import(app, path)

    assert where(report.errors) == [(bad.line, bad.column)]
    assert report.errors[0].value == bad.value
    assert bad.reason in report.errors[0].reason
    assert not report.written
    assert table_counts(app.engine) == before
    assert snapshot(app.engine) == values_before


def test_it_reports_every_bad_row_of_a_file_not_just_the_first(app: App, tmp_path: Path) -> None:
    before = table_counts(app.engine)
    path = write_csv(
        tmp_path / "bad.csv",
        [
            a_case(external_id="T01", phone="12", sms_consent="no"),
            a_case(external_id="T02"),
            a_case(external_id="T03", language="xx"),
            a_case(external_id="T04", program="nope", parole_expiry="2020-01-01"),
            a_case(external_id="T05"),
            a_case(external_id="T06", timezone="Nowhere/City"),
        ],
    )

    report = run_import(app, path)

    assert where(report.errors) == [
        (2, "phone"),
        (4, "language"),
        (5, "program"),
        (5, "parole_expiry"),
        (7, "timezone"),
    ]
    assert report.bad_lines == {2, 4, 5, 7}
    assert report.created == 0
    assert table_counts(app.engine) == before


def test_it_keeps_line_numbers_right_after_a_multi_line_quoted_field(
    app: App, tmp_path: Path
) -> None:
    before = table_counts(app.engine)
    path = write_csv(
        tmp_path / "multiline.csv",
        [
            a_case(external_id="T01", full_name="Ana\nMaria\nPetrenko", language="zz"),
            a_case(external_id="T02", phone="12", sms_consent="no"),
            a_case(external_id="T03", program="x"),
        ],
    )

    report = run_import(app, path)

    # T01 spans lines 2-4, so T02 starts on line 5 and T03 on line 6.
    assert where(report.errors) == [(2, "language"), (5, "phone"), (6, "program")]
    assert table_counts(app.engine) == before


def test_it_counts_blank_lines_when_numbering_rows(app: App, tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    lines = csv_text([a_case(), a_case(external_id="T02", program="x")]).splitlines(keepends=True)
    path.write_text(lines[0] + lines[1] + "\n,,,\n" + lines[2], encoding="utf-8")

    report = run_import(app, path)

    assert where(report.errors) == [(5, "program")]
    assert report.rows == 2


def test_it_accepts_a_utf8_file_with_a_byte_order_mark(app: App, tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    content = csv_text([a_case(full_name="Олена Коваленко")], newline="\r\n")
    path.write_bytes(content.encode("utf-8-sig"))

    report = run_import(app, path)

    assert report.errors == []
    assert report.created == 1
    assert stored(app.engine, "T01")[1].full_name == "Олена Коваленко"


def test_it_accepts_the_columns_in_any_order(app: App, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "shuffled.csv", [a_case()], tuple(reversed(SPEC_COLUMNS)))

    report = run_import(app, path)

    assert report.errors == []
    assert report.created == 1


def test_it_refuses_an_empty_file_and_writes_nothing(app: App, tmp_path: Path) -> None:
    before = table_counts(app.engine)
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")

    report = run_import(app, path)

    assert where(report.errors) == [(1, "")]
    assert "the file is empty" in report.errors[0].reason
    assert not report.written
    assert table_counts(app.engine) == before


def test_it_imports_zero_rows_from_a_header_only_file_and_writes_nothing(
    app: App, tmp_path: Path
) -> None:
    seed(app, tmp_path)
    before = table_counts(app.engine)
    path = write_csv(tmp_path / "header.csv", [])

    report = run_import(app, path)

    assert report.errors == []
    assert (report.rows, report.created, report.updated, report.unchanged) == (0, 0, 0, 0)
    assert table_counts(app.engine) == before


def test_it_reports_a_row_with_the_wrong_number_of_values(app: App, tmp_path: Path) -> None:
    before = table_counts(app.engine)
    good = csv_text([a_case()])
    path = tmp_path / "width.csv"
    path.write_text(
        good
        + "T02,Too Few,+1 202 555 0171\n"
        + csv_text([a_case(external_id="T03")]).splitlines()[1]
        + ",surplus\n",
        encoding="utf-8",
    )

    report = run_import(app, path)

    assert where(report.errors) == [(3, ""), (4, "")]
    assert f"3 values for {len(SPEC_COLUMNS)} columns" in report.errors[0].reason
    assert (
        f"{len(SPEC_COLUMNS) + 1} values for {len(SPEC_COLUMNS)} columns" in report.errors[1].reason
    )
    assert table_counts(app.engine) == before


def test_it_refuses_a_receipt_already_stored_on_another_case(app: App, tmp_path: Path) -> None:
    seed(app, tmp_path, a_case(external_id="T01", receipt_number="EAC2612345678", **FILING))
    before, values_before = table_counts(app.engine), snapshot(app.engine)
    path = write_csv(
        tmp_path / "second.csv",
        [
            a_case(external_id="T02", phone="+1 202 555 0171"),
            a_case(external_id="T03", receipt_number="EAC-261-234-5678", **FILING),
        ],
    )

    report = run_import(app, path)

    assert where(report.errors) == [(3, "receipt_number")]
    assert report.errors[0].value == "EAC2612345678"
    assert "already on another case" in report.errors[0].reason
    assert not report.written
    assert table_counts(app.engine) == before
    assert snapshot(app.engine) == values_before


def test_it_refuses_a_parole_start_older_than_the_newest_stored_grant(
    app: App, tmp_path: Path
) -> None:
    seed(app, tmp_path, a_case())
    before, values_before = table_counts(app.engine), snapshot(app.engine)
    path = write_csv(
        tmp_path / "old.csv", [a_case(parole_start="2025-03-01", parole_expiry="2027-02-28")]
    )

    report = run_import(app, path)

    assert where(report.errors) == [(2, "parole_start")]
    assert report.errors[0].value == "2025-03-01"
    assert "older than the newest grant on record (starting 2025-09-01)" in (
        report.errors[0].reason
    )
    assert not report.written
    assert table_counts(app.engine) == before
    assert snapshot(app.engine) == values_before
    assert stored(app.engine, "T01")[0].end_date == date(2027, 8, 31)


def test_it_writes_nothing_on_a_dry_run_but_reports_the_counts(app: App, tmp_path: Path) -> None:
    seed(app, tmp_path, a_case())
    before, values_before = table_counts(app.engine), snapshot(app.engine)
    path = write_csv(
        tmp_path / "dry.csv",
        [
            a_case(parole_expiry="2027-10-31"),
            a_case(external_id="T02", phone="+1 202 555 0171"),
            a_case(external_id="T03", phone="+1 202 555 0172"),
        ],
    )

    report = run_import(app, path, import_options(dry_run=True))

    assert report.errors == []
    assert (report.rows, report.created, report.updated, report.grants_added) == (3, 2, 1, 1)
    assert not report.written
    assert table_counts(app.engine) == before
    assert snapshot(app.engine) == values_before


def test_it_runs_the_database_checks_on_a_dry_run(app: App, tmp_path: Path) -> None:
    seed(app, tmp_path, a_case())
    before = table_counts(app.engine)
    path = write_csv(tmp_path / "dry.csv", [a_case(parole_start="2025-01-01")])

    report = run_import(app, path, import_options(dry_run=True))

    assert where(report.errors) == [(2, "parole_start")]
    assert table_counts(app.engine) == before


# --- --skip-invalid and the rejects file ---------------------------------------------------


def read_rejects(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def test_it_imports_the_good_rows_and_writes_the_bad_ones_with_reasons_when_skipping(
    app: App, tmp_path: Path
) -> None:
    seed(app, tmp_path, a_case(external_id="OLD", parole_start="2026-01-01"))
    rejects = tmp_path / "rejects.csv"
    path = write_csv(
        tmp_path / "mixed.csv",
        [
            a_case(external_id="T01", full_name=HYPERLINK),
            a_case(external_id="T02", full_name=HYPERLINK, phone="+12025550170", language="de"),
            a_case(external_id="T03", phone="+1 202 555 0172", full_name="@SUM(A1:A9)"),
            a_case(external_id="OLD", parole_start="2025-01-01", phone="+12025550173"),
            a_case(external_id="T05", phone="12", sms_consent="no", program="nope"),
        ],
    )

    report = run_import(app, path, import_options(skip_invalid=True, rejects=rejects))

    assert report.written
    assert (report.created, report.bad_lines) == (2, {3, 5, 6})
    assert stored(app.engine, "T01")[1].full_name == HYPERLINK
    assert stored(app.engine, "T03")[1].full_name == "@SUM(A1:A9)"
    rows = read_rejects(rejects)
    assert [r["line"] for r in rows] == ["3", "5", "6"]
    assert [r["external_id"] for r in rows] == ["T02", "OLD", "T05"]
    assert rows[0]["full_name"] == "'" + HYPERLINK
    assert rows[0]["phone"] == "+12025550170"
    assert rows[1]["phone"] == "+12025550173"
    assert "language: unsupported language" in rows[0]["errors"]
    assert "parole_start: older than the newest grant on record" in rows[1]["errors"]
    assert "phone: not a valid phone number" in rows[2]["errors"]
    assert "program: unknown program" in rows[2]["errors"]


def test_it_writes_nothing_for_the_skipped_rows_on_a_skipping_dry_run(
    app: App, tmp_path: Path
) -> None:
    before = table_counts(app.engine)
    rejects = tmp_path / "rejects.csv"
    path = write_csv(tmp_path / "mixed.csv", [a_case(), a_case(external_id="T02", language="de")])

    report = run_import(app, path, import_options(dry_run=True, skip_invalid=True, rejects=rejects))

    assert (report.created, report.bad_lines, report.written) == (1, {3}, False)
    assert table_counts(app.engine) == before


def test_it_keeps_the_values_of_a_row_with_the_wrong_width_in_the_rejects_file(
    app: App, tmp_path: Path
) -> None:
    rejects = tmp_path / "rejects.csv"
    path = tmp_path / "width.csv"
    path.write_text(csv_text([a_case()]) + "T02,Short Row,+1 202 555 0171\n", encoding="utf-8")

    report = run_import(app, path, import_options(skip_invalid=True, rejects=rejects))

    assert (report.created, report.bad_lines) == (1, {3})
    rows = read_rejects(rejects)
    assert [r["line"] for r in rows] == ["3"]
    assert f"3 values for {len(SPEC_COLUMNS)} columns" in rows[0]["errors"]
    # The user fixes the rejects file and imports it again: the row's values must be there.
    assert "T02" in rows[0].values()
    assert "Short Row" in rows[0].values()


# --- Re-imports ----------------------------------------------------------------------------


def test_it_changes_nothing_when_the_same_file_is_imported_again(app: App, tmp_path: Path) -> None:
    rows = [
        a_case(),
        a_case(
            external_id="T02",
            phone="(305) 555-0171",
            language="prs",
            representative_name="Rep Name",
            representative_email="Rep@Example.org",
            receipt_number="eac-261-234-5678",
            **FILING,
        ),
    ]
    path = write_csv(tmp_path / "cases.csv", rows)
    assert run_import(app, path).created == 2
    before, values_before = table_counts(app.engine), snapshot(app.engine)

    report = run_import(app, path, now=LATER)

    assert report.errors == []
    assert (report.created, report.updated, report.unchanged, report.grants_added) == (0, 0, 2, 0)
    for name in ("parolee", "parole_case", "parole_grant", "filing", "deadline", "status_change"):
        assert snapshot(app.engine)[name] == values_before[name], name
    assert table_counts(app.engine) == before


def test_it_adds_a_correction_grant_when_a_reimport_changes_the_expiry(
    app: App, tmp_path: Path
) -> None:
    seed(app, tmp_path, a_case())
    old_deadlines = deadline_dates(app.engine, "T01")
    path = write_csv(tmp_path / "fix.csv", [a_case(parole_expiry="2027-10-31")])

    report = run_import(app, path, now=LATER)

    assert (report.updated, report.grants_added, report.created) == (1, 1, 0)
    assert grants_of(app.engine, "T01") == [
        (date(2025, 9, 1), date(2027, 8, 31), GrantSource.INITIAL),
        (date(2025, 9, 1), date(2027, 10, 31), GrantSource.CORRECTION),
    ]
    assert stored(app.engine, "T01")[0].end_date == date(2027, 10, 31)
    new_deadlines = deadline_dates(app.engine, "T01")
    assert old_deadlines[DeadlineKind.PAROLE_EXPIRY] == date(2027, 8, 31)
    assert new_deadlines[DeadlineKind.PAROLE_EXPIRY] == date(2027, 10, 31)
    assert (
        new_deadlines[DeadlineKind.REPAROLE_FILE_BY] > old_deadlines[DeadlineKind.REPAROLE_FILE_BY]
    )
    assert table_counts(app.engine)["parole_case"] == 1


def test_it_adds_a_reparole_grant_when_a_reimport_has_a_later_start(
    app: App, tmp_path: Path
) -> None:
    seed(app, tmp_path, a_case())
    path = write_csv(
        tmp_path / "reparole.csv", [a_case(parole_start="2026-09-01", parole_expiry="2028-08-31")]
    )

    report = run_import(app, path, now=LATER)

    assert (report.updated, report.grants_added) == (1, 1)
    assert grants_of(app.engine, "T01") == [
        (date(2025, 9, 1), date(2027, 8, 31), GrantSource.INITIAL),
        (date(2026, 9, 1), date(2028, 8, 31), GrantSource.REPAROLE),
    ]
    assert stored(app.engine, "T01")[0].end_date == date(2028, 8, 31)
    assert deadline_dates(app.engine, "T01")[DeadlineKind.PAROLE_EXPIRY] == date(2028, 8, 31)


def test_it_withdraws_sms_consent_when_a_reimport_says_no(app: App, tmp_path: Path) -> None:
    seed(app, tmp_path, a_case(sms_consent="yes"))
    assert stored(app.engine, "T01")[1].sms_consent_at == NOW

    report = run_import(app, write_csv(tmp_path / "no.csv", [a_case(sms_consent="no")]), now=LATER)

    assert report.updated == 1
    parolee = stored(app.engine, "T01")[1]
    assert parolee.sms_consent_at == NOW
    assert parolee.sms_consent_withdrawn_at == LATER


def test_it_treats_an_empty_sms_consent_as_no(app: App, tmp_path: Path) -> None:
    seed(app, tmp_path, a_case(sms_consent=""))

    parolee = stored(app.engine, "T01")[1]

    assert parolee.sms_consent_at is None


# --- Normalisation -------------------------------------------------------------------------


def test_it_normalises_language_phone_receipt_and_defaults(app: App, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "cases.csv",
        [
            a_case(
                language="prs",
                phone="(305) 555-0171",
                timezone="",
                citizenship="ua",
                receipt_number="eac-261-234-5678",
                **FILING,
            )
        ],
    )

    report = run_import(app, path)

    assert report.errors == []
    case, parolee = stored(app.engine, "T01")
    assert (parolee.language, parolee.phone, parolee.timezone, parolee.citizenship) == (
        "fa-AF",
        "+13055550171",
        "America/New_York",
        "UA",
    )
    with session_scope(app.engine) as session:
        filing = session.exec(select(Filing).where(Filing.case_id == case.id)).one()
    assert filing.receipt_number == "EAC2612345678"


def test_it_stores_formula_looking_values_as_text(app: App, tmp_path: Path) -> None:
    rows = [
        a_case(full_name=HYPERLINK),
        a_case(external_id="T02", full_name="-Minus +Plus", phone="+1 202 555 0171"),
    ]
    path = write_csv(tmp_path / "formula.csv", rows)

    report = run_import(app, path)

    assert report.errors == []
    assert stored(app.engine, "T01")[1].full_name == HYPERLINK
    assert stored(app.engine, "T02")[1].full_name == "-Minus +Plus"
