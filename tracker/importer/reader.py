"""Reads an import file as UTF-8 CSV records, each with the line it starts on."""

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tracker.importer.rows import RowError, check_header


class FileProblems(Exception):
    """The file as a whole cannot be imported (not UTF-8, not CSV, a bad header)."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class Record:
    """One data row: the line it starts on (the header is line 1) and its values."""

    line: int
    values: dict[str, str]
    # Set when the row has more or fewer values than the header has columns.
    width_problem: str | None = None


def records(path: Path) -> Iterator[Record]:
    """Every non-blank data row; raises FileProblems for a file it cannot read."""
    if not path.is_file():
        raise FileProblems([RowError(0, "", str(path), "no such file")])
    reader = csv.reader(_utf8_lines(path), strict=True)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise FileProblems(
            [RowError(1, "", "", "the file is empty; it needs a header row")]
        ) from None
    except csv.Error as exc:
        raise FileProblems([RowError(1, "", "", f"not valid CSV: {exc}")]) from None
    problems = check_header(header)
    if problems:
        raise FileProblems(problems)
    line = reader.line_num + 1
    try:
        for values in reader:
            if any(v.strip() for v in values):
                yield _record(line, header, values)
            line = reader.line_num + 1
    except csv.Error as exc:
        raise FileProblems([RowError(line, "", "", f"not valid CSV: {exc}")]) from None


def _record(line: int, header: list[str], values: list[str]) -> Record:
    if len(values) != len(header):
        # Keep what there is, so the rejects file still shows the row to fix.
        kept = dict(zip(header, values, strict=False))
        return Record(line, kept, f"{len(values)} values for {len(header)} columns")
    return Record(line, dict(zip(header, values, strict=True)))


def _utf8_lines(path: Path) -> Iterator[str]:
    with path.open("rb") as stream:
        for number, raw in enumerate(stream, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                reason = (
                    f"the file is not UTF-8 (byte {raw[exc.start]:#04x}); "
                    "save it as UTF-8 CSV and import it again"
                )
                raise FileProblems([RowError(number, "", "", reason)]) from None
            yield text.removeprefix("\ufeff") if number == 1 else text
