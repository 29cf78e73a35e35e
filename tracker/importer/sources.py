"""Reads an import file, CSV or XLSX, as a header and rows of cells, each row with the
line (CSV) or sheet row (XLSX) it stands on.

A CSV is UTF-8 (with or without a byte-order mark), UTF-16 with its mark, or another
encoding when asked (`windows-1252`, as Excel for Windows saves "CSV"). An XLSX is read
with calamine; a cell keeps its type (a date cell is a date, a number a float), and the
workbook's date system (1900 or 1904) goes with the rows, for serial numbers.
"""

import codecs
import csv
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook

from tracker.importer.rows import RowError

# What a cell can hold: text from a CSV; from XLSX also numbers, booleans and dates.
Cell = str | float | int | bool | date | datetime | time | timedelta
XLSX_SUFFIXES = (".xlsx", ".xlsm")
ENCODINGS = ("utf-8", "windows-1252", "latin-1")
_DATE1904 = re.compile(rb"<(?:\w+:)?workbookPr\b[^>]*\bdate1904=\"(?:1|true)\"")


class FileProblems(Exception):
    """The file as a whole cannot be imported (unreadable, empty, a bad header)."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class ReadAs:
    """How to read a file: the sheet of a workbook, the encoding of a CSV."""

    sheet: str | None = None
    encoding: str | None = None


AS_IT_COMES = ReadAs()


@dataclass(frozen=True)
class SourceRow:
    """One data row: where it stands (line or sheet row; the header is 1) and its cells."""

    number: int
    cells: list[Cell]


@dataclass
class Source:
    """A file opened for import: its header, where it is, and how to read its rows."""

    header: list[str]
    # "" for a CSV; the sheet's name for a workbook.
    sheet: str = ""
    date1904: bool = False
    _rows: Iterator[SourceRow] = field(default_factory=lambda: iter(()))

    def rows(self) -> Iterator[SourceRow]:
        """The rows after the header, blank ones left out."""
        return self._rows


def open_source(path: Path, how: ReadAs = AS_IT_COMES) -> Source:
    """The file at `path`, opened; FileProblems if it cannot be read."""
    if not path.is_file():
        raise FileProblems([RowError(0, "", str(path), "no such file")])
    if path.suffix.lower() in XLSX_SUFFIXES:
        if how.encoding:
            raise _problem(0, "an encoding is for CSV files; a workbook names its own")
        return _workbook(path, how.sheet)
    if how.sheet:
        raise _problem(0, "--sheet is for XLSX workbooks; this file is read as CSV")
    return _csv(path, how.encoding)


def _problem(line: int, reason: str) -> FileProblems:
    return FileProblems([RowError(line, "", "", reason)])


# --- CSV -------------------------------------------------------------------------------


def _csv(path: Path, encoding: str | None) -> Source:
    lines = _csv_lines(path, encoding)
    reader = csv.reader(lines, strict=True)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise _problem(1, "the file is empty; it needs a header row") from None
    except csv.Error as exc:
        raise _problem(1, f"not valid CSV: {exc}") from None
    return Source(header=header, _rows=_csv_rows(reader))


def _csv_rows(reader: Any) -> Iterator[SourceRow]:
    # csv.reader's type is private (_csv.Reader); Any keeps mypy out of it.
    number = reader.line_num + 1
    try:
        for values in reader:
            if any(v.strip() for v in values):
                yield SourceRow(number, list(values))
            number = reader.line_num + 1
    except csv.Error as exc:
        raise _problem(number, f"not valid CSV: {exc}") from None


def _csv_lines(path: Path, encoding: str | None) -> Iterator[str]:
    """The file's lines as text; a byte-order mark decides UTF-8 or UTF-16."""
    with path.open("rb") as stream:
        start = stream.read(4)
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not start.startswith(
        codecs.BOM_UTF32_LE
    ):
        return _utf16_lines(path)
    if encoding is None or encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        return _byte_lines(path, "utf-8-sig", "UTF-8")
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        known = ", ".join(ENCODINGS)
        raise _problem(0, f"unknown encoding {encoding!r}; use one of {known}") from None
    return _byte_lines(path, name, encoding)


def _byte_lines(path: Path, codec: str, label: str) -> Iterator[str]:
    # Line by line, so an undecodable byte is reported on its line. A newline byte never
    # falls inside a UTF-8 or single-byte character.
    decoder = codecs.getincrementaldecoder(codec)()
    with path.open("rb") as stream:
        for number, raw in enumerate(stream, start=1):
            try:
                yield decoder.decode(raw)
            except UnicodeDecodeError as exc:
                raise _undecodable(number, raw[exc.start], label) from None


def _utf16_lines(path: Path) -> Iterator[str]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-16")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].decode("utf-16", errors="replace").count("\n") + 1
        raise _undecodable(line, data[exc.start], "UTF-16") from None
    yield from text.splitlines(keepends=True)


def _undecodable(line: int, byte: int, label: str) -> FileProblems:
    hint = (
        "save it as UTF-8 CSV and import it again, or say its encoding (--encoding windows-1252)"
        if label == "UTF-8"
        else f"check that it is saved as {label}"
    )
    return _problem(line, f"the file is not {label} (byte {byte:#04x}); {hint}")


# --- XLSX ------------------------------------------------------------------------------


def _workbook(path: Path, sheet: str | None) -> Source:
    try:
        book = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        raise _problem(0, f"not a readable XLSX workbook ({exc})") from None
    names = list(book.sheet_names)
    if not names:
        raise _problem(0, "the workbook has no sheets")
    if sheet is not None and sheet not in names:
        raise _problem(0, f"no sheet named {sheet!r}; the workbook has {', '.join(names)}")
    name = sheet if sheet is not None else names[0]
    table = book.get_sheet_by_name(name)
    first_row = table.start[0] + 1 if table.start else 1
    rows = iter(table.iter_rows())
    header_cells = next(rows, None)
    if header_cells is None or not any(_text(c) for c in header_cells):
        raise FileProblems([RowError(0, "", "", f"sheet {name!r} is empty; it needs a header row")])
    _refuse_merged_header(table.merged_cell_ranges, first_row - 1, name)
    header = [_text(c).strip() for c in header_cells]
    while header and not header[-1]:
        header.pop()
    return Source(
        header=header,
        sheet=name,
        date1904=_date1904(path),
        _rows=_sheet_rows(rows, first_row + 1, len(header)),
    )


def _sheet_rows(rows: Iterator[list[Cell]], first: int, width: int) -> Iterator[SourceRow]:
    for number, cells in enumerate(rows, start=first):
        if any(_text(c).strip() for c in cells):
            kept = list(cells[:width])
            yield SourceRow(number, kept + [""] * (width - len(kept)))


def _refuse_merged_header(
    merged: list[tuple[tuple[int, int], tuple[int, int]]] | None, header_row: int, sheet: str
) -> None:
    for (top, left), (bottom, right) in merged or []:
        if top <= header_row <= bottom and right > left:
            raise FileProblems(
                [
                    RowError(
                        header_row + 1,
                        "",
                        "",
                        f"sheet {sheet!r} has merged header cells (columns {left + 1} to "
                        f"{right + 1}): give every column its own header cell",
                    )
                ]
            )


def _date1904(path: Path) -> bool:
    """Whether the workbook counts days from 1904 (Excel for Mac before 2011)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return bool(_DATE1904.search(archive.read("xl/workbook.xml")))
    except (KeyError, zipfile.BadZipFile, OSError):
        return False


def _text(cell: Cell) -> str:
    return cell if isinstance(cell, str) else str(cell)
