"""Writes the rows an import skipped, with their reasons, to a CSV the user can fix."""

import csv
from pathlib import Path

from tracker.csv_safe import neutralise
from tracker.importer.reader import records
from tracker.importer.rows import COLUMNS, RowError


def write_rejects(source: Path, target: Path, errors: list[RowError]) -> None:
    """Copy each rejected row of `source` to `target`, with `line` and `errors` columns."""
    reasons: dict[int, list[str]] = {}
    for error in errors:
        column = f"{error.column}: " if error.column else ""
        reasons.setdefault(error.line, []).append(f"{column}{error.reason}")
    with target.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["line", *COLUMNS, "errors"])
        for record in records(source):
            if record.line in reasons:
                values = [neutralise(record.values.get(c, "")) for c in COLUMNS]
                writer.writerow([record.line, *values, neutralise("; ".join(reasons[record.line]))])
