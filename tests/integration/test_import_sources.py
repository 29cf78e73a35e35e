"""Importing the files organisations have: XLSX workbooks written by openpyxl (date cells,
serial numbers in both date systems, text dates), CSV in UTF-16 and Windows-1252, through
the shipped mappings and a proposed one. Runs on SQLite and PostgreSQL."""

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from typer.testing import CliRunner

from tests.builders import CONFIG, import_options, run_import, shipped_mapping, write_csv
from tracker.bootstrap import App
from tracker.cli.main import app as cli
from tracker.importer.mapping import MappingError, parse_mapping, shipped
from tracker.importer.sources import ReadAs, open_source
from tracker.importer.suggest import suggest_mapping

from ..conftest import NOW, table_counts

LEGALSERVER = ["Matter/Case ID#", "Client Full Name", "Mobile Phone", "Language",
               "Parole Program", "Date of Arrival", "Parole Start Date",
               "Parole Expiration Date", "SMS Consent", "Date Opened"]  # fmt: skip


def workbook(path: Path, rows: Sequence[Sequence[Any]], *, sheet: str = "Cases",
             date1904: bool = False, merge: str | None = None) -> Path:  # fmt: skip
    """An XLSX at `path` (first row the header), written by openpyxl."""
    book = openpyxl.Workbook()
    page = book.active
    assert page is not None
    page.title = sheet
    if date1904:
        book.epoch = CALENDAR_MAC_1904
    for row in rows:
        page.append(list(row))
    if merge:
        page.merge_cells(merge)
    book.save(path)
    return path


def case_row(ref: str, arrival: object, start: object, expiry: object) -> list[object]:
    return [ref, f"Parolee {ref}", 12025550170, "Ukrainian", "Uniting for Ukraine",
            arrival, start, expiry, "Yes - text OK", "01/02/2025"]  # fmt: skip


def cases(app: App) -> dict[str, tuple[date, str, str | None]]:
    from sqlmodel import select

    from tracker.store.db import session_scope
    from tracker.store.models import Case, Parolee

    with session_scope(app.engine) as session:
        found = session.exec(select(Case, Parolee).join(Parolee)).all()
        return {c.external_id: (c.end_date, p.language, p.phone) for c, p in found}


def test_an_xlsx_with_date_cells_serials_and_text_dates_imports_through_a_mapping(
    app: App, tmp_path: Path
) -> None:
    path = workbook(tmp_path / "report.xlsx", [
        LEGALSERVER,
        case_row("LS-1", date(2025, 9, 1), date(2025, 9, 1), date(2027, 8, 31)),
        case_row("LS-2", 45901, 45901, 46630),  # serial numbers, 1900 system
        case_row("LS-3", "09/01/2025", "09/01/2025", "08/31/2027"),
    ])  # fmt: skip
    options = import_options(mapping=shipped_mapping("legalserver"))

    report = run_import(app, path, options)

    assert report.errors == [] and report.written, report.errors
    assert (report.created, report.sheet, report.unused_columns) == (3, "Cases", ["Date Opened"])
    expiry = date(2027, 8, 31)
    assert cases(app) == dict.fromkeys(("LS-1", "LS-2", "LS-3"), (expiry, "uk", "+12025550170"))


def test_serial_numbers_follow_the_workbooks_1904_date_system(app: App, tmp_path: Path) -> None:
    # 2025-09-01 is serial 44439 counted from 1904 (45901 from 1900).
    path = workbook(tmp_path / "mac.xlsx", [
        LEGALSERVER, case_row("MAC-1", 44439, 44439, 45168),
    ], date1904=True)  # fmt: skip

    report = run_import(app, path, import_options(mapping=shipped_mapping("legalserver")))

    assert report.errors == []
    assert cases(app)["MAC-1"][0] == date(2027, 8, 31)


def test_a_named_sheet_is_read_and_a_missing_one_named(app: App, tmp_path: Path) -> None:
    path = workbook(tmp_path / "two.xlsx", [["Notes"], ["nothing here"]], sheet="Read me")
    book = openpyxl.load_workbook(path)
    second = book.create_sheet("Cases")
    for row in (LEGALSERVER, case_row("S-1", "09/01/2025", "09/01/2025", "08/31/2027")):
        second.append(row)
    book.save(path)
    legalserver = shipped_mapping("legalserver")

    report = run_import(app, path, import_options(mapping=legalserver, read_as=ReadAs("Cases")))
    assert (report.errors, report.created) == ([], 1)

    missing = run_import(app, path, import_options(mapping=legalserver, read_as=ReadAs("Casos")))
    assert missing.unreadable
    assert "no sheet named 'Casos'; the workbook has Read me, Cases" in missing.errors[0].reason


def test_errors_name_the_sheet_row_and_the_column_as_the_file_does(
    app: App, tmp_path: Path
) -> None:
    before = table_counts(app.engine)
    path = workbook(tmp_path / "bad.xlsx", [
        LEGALSERVER,
        case_row("B-1", "09/01/2025", "09/01/2025", "08/31/2027"),
        case_row("B-2", "31/08/2025", "09/01/2025", "08/31/2027"),
    ])  # fmt: skip
    path_rows = openpyxl.load_workbook(path)
    page = path_rows.active
    assert page is not None
    page["D3"] = "Klingon"
    path_rows.save(path)

    report = run_import(app, path, import_options(mapping=shipped_mapping("legalserver")))

    shown = sorted(str(e) for e in report.errors)
    assert shown == [
        "sheet 'Cases' row 3 column Date of Arrival ('31/08/2025'): not a date in the form "
        "YYYY-MM-DD or %m/%d/%Y (like 03/05/2024)",
        "sheet 'Cases' row 3 column Language ('Klingon'): no mapping for this value; add it "
        "to the mapping's values for this column",
    ]
    assert not report.written and table_counts(app.engine) == before


@pytest.mark.parametrize(
    ("rows", "merge", "reason"),
    [
        ([], None, "sheet 'Cases' is empty; it needs a header row"),
        ([LEGALSERVER], None, ""),
        ([["Matter/Case ID#", None, "Language"], ["x", "y", "z"]], "A1:B1", "merged header"),
    ],
)
def test_an_empty_header_only_or_merged_sheet_is_refused_plainly(
    app: App, tmp_path: Path, rows: list[list[Any]], merge: str | None, reason: str
) -> None:
    before = table_counts(app.engine)
    path = workbook(tmp_path / "odd.xlsx", rows, merge=merge)

    report = run_import(app, path, import_options(mapping=shipped_mapping("legalserver")))

    if reason:
        assert report.unreadable and reason in report.errors[0].reason, report.errors
    else:
        assert (report.rows, report.created, report.errors) == (0, 0, [])
    assert table_counts(app.engine) == before


def test_utf16_and_windows_1252_csv_files_read_their_letters(app: App, tmp_path: Path) -> None:
    from tests.builders import a_case

    utf16 = write_csv(tmp_path / "u16.csv", [a_case(external_id="U16", full_name="Олена Коваль")],
                      encoding="utf-16")  # fmt: skip
    assert run_import(app, utf16).errors == []

    latin = write_csv(tmp_path / "w.csv", [a_case(external_id="W1", full_name="José Núñez")],
                      encoding="cp1252")  # fmt: skip
    refused = run_import(app, latin)
    assert refused.unreadable
    assert str(refused.errors[0]) == (
        "line 2: the file is not UTF-8 (byte 0xe9); save it as UTF-8 CSV and import it again, "
        "or say its encoding (--encoding windows-1252)"
    )
    read = run_import(app, latin, import_options(read_as=ReadAs(encoding="windows-1252")))
    assert (read.errors, read.created) == ([], 1)


def test_a_proposed_mapping_imports_the_file_it_was_made_from(app: App, tmp_path: Path) -> None:
    header = ["Case ID", "Client Name", "Preferred Language", "Parole Program",
              "Date of Arrival", "Parole Start", "Admit Until", "Office"]  # fmt: skip
    rows = [
        header,
        ["P-1", "Ana", "Spanish", "CHNV", "09/01/2025", "09/01/2025", "08/31/2027", "NYC"],
        ["P-2", "Olha", "uk", "U4U", "09/02/2025", "09/02/2025", "09/01/2027", "Qns"],
    ]
    path = workbook(tmp_path / "intake.xlsx", rows)

    text = suggest_mapping(open_source(path), shipped(CONFIG / "mappings"), name="intake")
    assert '"Spanish" = "es"' in text and 'formats = ["%m/%d/%Y"]' in text
    assert '# Columns left aside (not imported): "Office"' in text
    mapping = parse_mapping(text, "intake.toml")

    report = run_import(app, path, import_options(mapping=mapping))
    assert (report.errors, report.created) == ([], 2)


def test_the_cli_imports_a_workbook_with_a_shipped_mapping_and_suggests_one(
    app: App, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": app.settings.database_url, "CONFIG_DIR": str(CONFIG)}
    path = workbook(tmp_path / "report.xlsx", [
        LEGALSERVER, case_row("CLI-1", "09/01/2025", "09/01/2025", "08/31/2027"),
    ])  # fmt: skip
    runner = CliRunner(env=env)

    dry = runner.invoke(cli, ["import", str(path), "--mapping", "legalserver", "--dry-run",
                              "--now", NOW.isoformat()])  # fmt: skip
    assert dry.exit_code == 0, dry.output
    assert "Dry run, nothing written. Would import: 1 new" in dry.output
    assert "Columns left aside (no field takes them): Date Opened" in dry.output

    out = tmp_path / "mine.toml"
    made = runner.invoke(cli, ["import", "suggest", str(path), "--out", str(out)])
    assert made.exit_code == 0, made.output
    assert parse_mapping(out.read_text(encoding="utf-8"), str(out)).fields["external_id"]

    # The entry point prints a TrackerError's message; in-process it is the exception.
    unknown = runner.invoke(cli, ["import", str(path), "--mapping", "salesforce"])
    assert isinstance(unknown.exception, MappingError)
    assert unknown.exception.message == (
        "no mapping 'salesforce': give a TOML file's path or one of generic, legalserver"
    )
