"""Writes the rows an import skipped, with their reasons, to a CSV the user can fix."""

import csv
from pathlib import Path

from tracker.csv_safe import neutralise
from tracker.importer.reader import CaseFile
from tracker.importer.rows import RowError


def write_rejects(file: CaseFile, target: Path, errors: list[RowError]) -> None:
    """Copy each rejected row of `file` to `target` under the file's own header (so it
    imports again with the same mapping), with `line` and `errors` columns."""
    reasons: dict[int, list[str]] = {}
    for error in errors:
        column = f"{error.column}: " if error.column else ""
        reasons.setdefault(error.line, []).append(f"{column}{error.reason}")
    records = file.records()
    with target.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["line", *file.header, "errors"])
        for record in records:
            if record.line in reasons:
                width = len(file.header)
                cells = [*record.cells[:width], *[""] * (width - len(record.cells))]
                values = [neutralise(c) for c in cells]
                writer.writerow([record.line, *values, neutralise("; ".join(reasons[record.line]))])
