"""Imports a case file, all of it or (with bad rows) nothing.

The file is read once: each row is checked, then written with its batch, in one
transaction. A file with any bad row writes nothing (the transaction is rolled back),
unless the caller skips invalid rows. A dry run writes nothing and holds no long
transaction: new cases are found by batched lookups and only counted; known ones are
compared (with the database's checks) a batch at a time, in short transactions that are
rolled back.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from tracker.cases.terminations import ProgramEnd, termination_ends
from tracker.domain.model import Program
from tracker.importer.mapping import OURS, ColumnMapping
from tracker.importer.reader import CaseFile
from tracker.importer.rejects import write_rejects
from tracker.importer.report import ImportReport
from tracker.importer.rows import ImportRow, RowError, parse_row
from tracker.importer.sources import AS_IT_COMES, FileProblems, ReadAs
from tracker.importer.writer import CaseWriter
from tracker.policies import Policies
from tracker.store import audit
from tracker.store.db import session_scope

BATCH = 500


@dataclass(frozen=True)
class ImportOptions:
    """How to run an import."""

    actor: str
    default_timezone: str
    dry_run: bool = False
    skip_invalid: bool = False
    rejects: Path | None = None
    read_as: ReadAs = AS_IT_COMES
    mapping: ColumnMapping = OURS


class _RollBack(Exception):
    """Raised inside the transaction to undo it (dry run, or bad rows found while writing)."""


def import_file(
    engine: Engine,
    path: Path,
    policies: Policies,
    now: datetime,
    options: ImportOptions,
    progress: Callable[[int], None] = lambda _: None,
) -> ImportReport:
    """Check, then write, the cases in `path`."""
    report = ImportReport()
    file = CaseFile(path, options.read_as, options.mapping)
    try:
        _import(engine, file, policies, now, options, report, progress)
    except FileProblems as exc:
        report.errors = exc.errors
        report.unreadable = True
        return report
    report.sheet = file.sheet
    report.unused_columns = list(file.binding.unused) if file.binding else []
    report.errors = [file.locate(e) for e in report.errors]
    report.warnings = [file.locate(e) for e in report.warnings]
    if (
        options.skip_invalid
        and options.rejects is not None
        and report.errors
        and not options.dry_run
    ):
        write_rejects(file, options.rejects, report.errors)
    return report


def _import(
    engine: Engine,
    file: CaseFile,
    policies: Policies,
    now: datetime,
    options: ImportOptions,
    report: ImportReport,
    progress: Callable[[int], None],
) -> None:
    with session_scope(engine) as session:
        ends = termination_ends(session, policies.known_terminations)
    # One pass: each row is checked, then written with its batch. A bad row (unless
    # skipped) stops the writing, the rest is still checked for the report, and the
    # transaction is rolled back: nothing is written.
    batches = _batches(_checked_rows(file, now, options, report, ends))
    if options.dry_run:
        _dry_run(engine, batches, policies, now, options, report, progress)
        return
    try:
        with session_scope(engine) as session:
            writer = CaseWriter(session, policies, now, options.actor, report)
            for batch in batches:
                if not _refused(report, options):
                    writer.write(batch)
                progress(len(batch))
            if _refused(report, options):
                raise _RollBack
            if report.created or report.updated:
                audit.record(
                    session,
                    at=now,
                    actor=options.actor,
                    action="import",
                    entity="file",
                    entity_id=None,
                    file=file.path.name,
                    created=report.created,
                    updated=report.updated,
                    rejected=len(report.bad_lines),
                )
            report.written = True
    except _RollBack:
        pass


def _refused(report: ImportReport, options: ImportOptions) -> bool:
    """A bad row found, and bad rows are not to be skipped: the file writes nothing."""
    return bool(report.errors) and not options.skip_invalid


def _dry_run(
    engine: Engine,
    batches: Iterator[list[ImportRow]],
    policies: Policies,
    now: datetime,
    options: ImportOptions,
    report: ImportReport,
    progress: Callable[[int], None],
) -> None:
    for batch in batches:
        if not _refused(report, options):
            try:
                with session_scope(engine) as session:
                    writer = CaseWriter(session, policies, now, options.actor, report)
                    writer.write(batch, create=False)
                    raise _RollBack
            except _RollBack:
                pass
        progress(len(batch))


def _checked_rows(
    file: CaseFile,
    now: datetime,
    options: ImportOptions,
    report: ImportReport,
    ends: dict[Program, list[ProgramEnd]],
) -> Iterator[ImportRow]:
    """The file's good rows, checked; every problem of the others goes to `report`."""
    first_line: dict[str, int] = {}
    receipt_line: dict[str, int] = {}
    for record in file.records():
        report.rows += 1
        if record.width_problem:
            report.errors.append(RowError(record.line, "", "", record.width_problem))
            continue
        if record.problems:
            report.errors += record.problems
            continue
        parsed = parse_row(
            record.values,
            record.line,
            default_timezone=options.default_timezone,
            today=now.date(),
            now=now,
        )
        if isinstance(parsed, list):
            report.errors += parsed
            continue
        found = len(report.errors)
        if parsed.external_id in first_line:
            report.errors.append(
                RowError(
                    record.line,
                    "external_id",
                    parsed.external_id,
                    f"duplicate external_id: already on line {first_line[parsed.external_id]}",
                )
            )
        first_line.setdefault(parsed.external_id, record.line)
        receipt = parsed.receipt_number
        if receipt and receipt in receipt_line:
            report.errors.append(
                RowError(
                    record.line,
                    "receipt_number",
                    receipt,
                    f"the same receipt number is on line {receipt_line[receipt]}",
                )
            )
        if receipt:
            receipt_line.setdefault(receipt, record.line)
        report.warnings += [
            RowError(
                record.line, "parole_expiry", parsed.parole_expiry.isoformat(),
                f"{parsed.program.value} parole ends {end.effective} under {end.label}; this "
                "expiry is later. The I-94 may predate the termination: check the case",
            )
            for end in ends.get(parsed.program, [])
            if parsed.parole_expiry > end.effective
        ]  # fmt: skip
        if parsed.appointment is not None and parsed.appointment.starts_at < now:
            report.warnings.append(
                RowError(
                    record.line, "appointment_at", record.values.get("appointment_at", ""),
                    "this appointment has passed: it is not recorded, nor moved, by the import "
                    "(record history with tracker case appointment add --past)",
                )
            )  # fmt: skip
        if len(report.errors) == found:
            yield parsed


def _batches(rows: Iterator[ImportRow]) -> Iterator[list[ImportRow]]:
    batch: list[ImportRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
