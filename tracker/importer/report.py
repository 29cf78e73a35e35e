"""What an import did, or would do on a dry run."""

from dataclasses import dataclass, field

from tracker.importer.rows import RowError


@dataclass
class ImportReport:
    """What an import did, or would do on a dry run, and every bad row."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    grants_added: int = 0
    errors: list[RowError] = field(default_factory=list)
    # Worth a look, not a reason to refuse the row (a termination the row may predate).
    warnings: list[RowError] = field(default_factory=list)
    written: bool = False
    # The file as a whole could not be read: nothing can be imported, even skipping rows.
    unreadable: bool = False
    # The workbook's sheet read ("" for a CSV), and the file's columns no field takes.
    sheet: str = ""
    unused_columns: list[str] = field(default_factory=list)

    @property
    def bad_lines(self) -> set[int]:
        return {e.line for e in self.errors}
