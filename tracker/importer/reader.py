"""An import file read through its mapping: records of our fields, each with where it
stands in the file, and errors that name the file's own columns and rows."""

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from tracker.importer.mapping import OURS, Binding, ColumnMapping, bind
from tracker.importer.rows import RowError
from tracker.importer.sources import AS_IT_COMES, FileProblems, ReadAs, Source, open_source


@dataclass(frozen=True)
class Record:
    """One data row: where it stands (the header is 1) and our fields' text."""

    line: int
    values: dict[str, str]
    # The row as the file has it, for the rejects file.
    cells: tuple[str, ...]
    # Set when a CSV row has more or fewer values than the header has columns.
    width_problem: str | None = None
    # Cells the mapping could not read (a value it has no entry for, a date it cannot read).
    problems: tuple[RowError, ...] = ()


class CaseFile:
    """An import file (CSV or XLSX) and the mapping that reads it."""

    def __init__(
        self, path: Path, how: ReadAs = AS_IT_COMES, mapping: ColumnMapping = OURS
    ) -> None:
        self.path = path
        self.how = how
        self.mapping = mapping
        self.sheet = ""
        self.binding: Binding | None = None

    def records(self) -> Iterator[Record]:
        """Every non-blank data row; raises FileProblems for a file it cannot read."""
        source = open_source(self.path, self.how)
        self.sheet = source.sheet
        bound = bind(self.mapping, source.header)
        if isinstance(bound, list):
            raise FileProblems([self.locate(e) for e in bound])
        self.binding = bound
        return self._records(source, bound)

    @property
    def header(self) -> tuple[str, ...]:
        """The file's header as it names its columns (after `records()`)."""
        return self.binding.header if self.binding else ()

    def locate(self, error: RowError) -> RowError:
        """`error`, naming the column as the file does, on its sheet."""
        located = self.binding.locate(error) if self.binding else error
        return replace(located, sheet=self.sheet) if self.sheet else located

    def _records(self, source: Source, binding: Binding) -> Iterator[Record]:
        width = len(source.header)
        for row in source.rows():
            cells = tuple(c if isinstance(c, str) else str(c) for c in row.cells)
            values, problems = binding.values(row.number, row.cells, source.date1904)
            if len(row.cells) != width:
                # Keep what there is, so the rejects file still shows the row to fix.
                problem = f"{len(row.cells)} values for {width} columns"
                yield Record(row.number, values, cells, problem)
                continue
            yield Record(row.number, values, cells, problems=tuple(problems))
