"""Column mappings on their own: reading the TOML, matching a header, reading cells."""

from datetime import date, datetime

import pytest

from tests.builders import shipped_mapping
from tracker.importer.mapping import (
    OURS,
    Binding,
    MappingError,
    bind,
    parse_mapping,
    serial_instant,
    squeeze,
)
from tracker.importer.rows import RowError
from tracker.importer.sources import Cell

MAPPING = """
name = "Intake sheet"
[fields.external_id]
columns = ["Case #"]
[fields.full_name]
columns = ["Client Name"]
[fields.language]
columns = ["Preferred language"]
values = { "Ukrainian" = "uk", "Spanish" = "es" }
[fields.arrival_date]
columns = ["Date of Entry"]
formats = ["%m/%d/%Y"]
[fields.parole_start]
columns = ["Paroled"]
formats = ["%m/%d/%Y"]
[fields.parole_expiry]
columns = ["Admit Until", "I-94 until"]
formats = ["%m/%d/%Y"]
[fields.sms_consent]
columns = ["Texts OK?"]
values = { "Y" = "yes", "N" = "no" }
[fields.appointment_at]
columns = ["Biometrics"]
formats = ["%m/%d/%Y %I:%M %p"]
[constants]
program = "U4U"
"""
HEADER = ["CASE #", "client name", "Preferred Language", "date of entry", "Paroled",
          "i-94 until", "Texts OK?", "Notes", "Biometrics"]  # fmt: skip


def bound(header: list[str] = HEADER) -> Binding:
    result = bind(parse_mapping(MAPPING, "intake.toml"), header)
    assert isinstance(result, Binding), result
    return result


def test_names_match_ignoring_case_spaces_and_punctuation() -> None:
    assert squeeze(" Date of  Entry ") == squeeze("date_of_entry") == "dateofentry"
    binding = bound()
    assert binding.source_name("parole_expiry") == "i-94 until"
    assert binding.source_name("program") == "constant program"
    assert binding.unused == ("Notes",)


def test_a_row_reads_as_our_fields() -> None:
    cells = ["C-7", "Olena K", "ukrainian", "03/05/2024", "03/05/2024", "03/04/2026",
             "y", "call after 5", "01/15/2027 09:30 AM"]  # fmt: skip
    values, problems = bound().values(2, list(cells), date1904=False)
    assert problems == []
    assert values == {
        "external_id": "C-7", "full_name": "Olena K", "language": "uk",
        "arrival_date": "2024-03-05", "parole_start": "2024-03-05",
        "parole_expiry": "2026-03-04", "sms_consent": "yes", "program": "U4U",
        "appointment_at": "2027-01-15 09:30",
    }  # fmt: skip


def test_spreadsheet_cells_keep_their_meaning() -> None:
    cells: list[Cell] = ["C-8", "Name", "uk", date(2024, 3, 5), 45356.0, datetime(2026, 3, 4, 0, 0),
             True, 12025550123.0, datetime(2027, 1, 15, 9, 30)]  # fmt: skip
    values, problems = bound().values(3, cells, date1904=False)
    assert problems == []
    assert (values["arrival_date"], values["parole_start"], values["parole_expiry"]) == (
        "2024-03-05", "2024-03-05", "2026-03-04",
    )  # fmt: skip
    assert values["sms_consent"] == "yes"
    assert values["appointment_at"] == "2027-01-15 09:30"


def test_excel_serials_in_both_date_systems() -> None:
    assert serial_instant(1, date1904=False) == datetime(1900, 1, 1)
    assert serial_instant(59, date1904=False) == datetime(1900, 2, 28)
    assert serial_instant(61, date1904=False) == datetime(1900, 3, 1)
    assert serial_instant(45356, date1904=False) == datetime(2024, 3, 5)
    assert serial_instant(43894, date1904=True) == datetime(2024, 3, 5)
    assert serial_instant(45356.5, date1904=False) == datetime(2024, 3, 5, 12, 0)


@pytest.mark.parametrize(
    ("position", "cell", "reason"),
    [
        (2, "Klingon", "no mapping for this value"),
        (3, "5 March 2024", "not a date in the form YYYY-MM-DD or %m/%d/%Y (like 03/05/2024)"),
        (4, 60.0, "Excel's 29 February 1900 never was"),
        (5, -3.0, "-3 is not an Excel date"),
        (6, "maybe", "no mapping for this value"),
    ],
)
def test_a_cell_the_mapping_cannot_read_is_named_by_its_column(
    position: int, cell: str | float, reason: str
) -> None:
    cells: list[str | float] = ["C-9", "Name", "uk", "03/05/2024", "03/05/2024", "03/04/2026",
                                "y", "", ""]  # fmt: skip
    cells[position] = cell
    _, problems = bound().values(4, list(cells), date1904=False)
    assert [(p.line, p.column) for p in problems] == [(4, HEADER[position])]
    assert reason in problems[0].reason


def test_a_value_already_ours_passes_a_value_table() -> None:
    cells = ["C-9", "Name", "es", "2024-03-05", "2024-03-05", "2026-03-04", "no", "", ""]
    values, problems = bound().values(2, cells, date1904=False)
    assert (problems, values["language"], values["sms_consent"]) == ([], "es", "no")


def test_a_required_field_left_unmapped_is_refused_on_the_header() -> None:
    result = bind(parse_mapping(MAPPING, "intake.toml"), ["Case #", "Client Name", "Paroled"])
    assert isinstance(result, list)
    reasons = [e.reason for e in result]
    assert any("arrival_date is not mapped: no column 'Date of Entry'" in r for r in reasons)
    assert any("parole_expiry is not mapped" in r for r in reasons)


def test_two_columns_matching_one_field_are_refused() -> None:
    result = bind(parse_mapping(MAPPING, "intake.toml"), [*HEADER, "Case#"])
    assert isinstance(result, list)
    assert result == [
        RowError(1, "CASE #", "", "columns 'CASE #' and 'Case#' both match external_id: "
                 "rename one or name the one to use")
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name = ", "intake.toml: not valid TOML"),
        ('nmae = "x"', "intake.toml: unknown key 'nmae'"),
        ('[fields.fullname]\ncolumns = ["Name"]', "'fullname' is not one of our fields"),
        ("[fields.full_name]\ncolumns = []", "fields.full_name.columns must list"),
        ('[fields.full_name]\ncolumn = ["Name"]', "fields.full_name: unknown key 'column'"),
        ('[fields.arrival_date]\ncolumns = ["A"]\nformats = ["mm/dd"]', "is not a date format"),
        ('[fields.language]\ncolumns = ["L"]\nvalues = { "x" = 1 }', "must be a table of text"),
        ('[constants]\nplanet = "Mars"', "'planet' is not one of our fields"),
        ('[fields.program]\ncolumns = ["P"]\n[constants]\nprogram = "U4U"', "both a column"),
    ],
)
def test_a_bad_mapping_file_names_the_file_and_the_key(text: str, message: str) -> None:
    with pytest.raises(MappingError) as refused:
        parse_mapping(text, "intake.toml")
    assert message in refused.value.message


def test_our_own_header_stays_exact() -> None:
    result = bind(OURS, ["external_id", "Full Name"])
    assert isinstance(result, list)
    assert RowError(1, "Full Name", "", "unknown column") in result


@pytest.mark.parametrize("name", ["generic", "legalserver"])
def test_the_shipped_mappings_read_and_map_every_required_field(name: str) -> None:
    mapping = shipped_mapping(name)
    required = {"external_id", "full_name", "program", "arrival_date", "parole_start",
                "parole_expiry"}  # fmt: skip
    assert required <= set(mapping.fields) | set(mapping.constants)
