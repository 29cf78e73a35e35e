"""`tracker import FILE.csv`: bring a case list in, all or nothing."""

from pathlib import Path
from typing import Annotated

import typer

from tracker.cli.common import NowOption, actor, make_app, warn
from tracker.errors import InvalidInputError
from tracker.importer.report import ImportReport
from tracker.importer.service import ImportOptions, import_file


def import_command(
    path: Annotated[Path, typer.Argument(metavar="FILE.csv", help="UTF-8 CSV, one case a row.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and count; write nothing.")
    ] = False,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Import the good rows; reject the bad ones.")
    ] = False,
    rejects: Annotated[
        Path | None,
        typer.Option("--rejects", help="Write rejected rows here (with --skip-invalid)."),
    ] = None,
    now: NowOption = None,
) -> None:
    """Import cases; re-importing an external_id updates that case, never duplicates it."""
    if rejects is not None and not skip_invalid:
        raise InvalidInputError("--rejects goes with --skip-invalid")
    app = make_app(now)
    options = ImportOptions(
        actor=actor(),
        default_timezone=app.settings.default_timezone,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        rejects=rejects,
    )
    with typer.progressbar(length=_data_lines(path), label="Importing", file=None) as bar:
        report = import_file(
            app.engine, path, app.policies, app.clock.now(), options, progress=bar.update
        )
    _print(report, dry_run, skip_invalid, rejects)


def _data_lines(path: Path) -> int:
    try:
        with path.open("rb") as stream:
            return max(sum(1 for _ in stream) - 1, 0)
    except OSError:
        return 0


def _print(report: ImportReport, dry_run: bool, skip_invalid: bool, rejects: Path | None) -> None:
    for error in report.errors:
        warn(str(error))
    for warning in report.warnings:
        warn(f"warning: {warning}")
    counts = (
        f"{report.created} new, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.grants_added} grant(s) added"
    )
    bad = len(report.bad_lines)
    if report.unreadable:
        warn("Nothing imported: the file cannot be read as a case file.")
        raise typer.Exit(1)
    if report.errors and not skip_invalid:
        warn(f"Nothing imported: {bad} row(s) have problems. Fix them, or use --skip-invalid.")
        raise typer.Exit(1)
    if dry_run:
        typer.echo(f"Dry run, nothing written. Would import: {counts}; {bad} row(s) rejected.")
        return
    typer.echo(f"Imported: {counts}.")
    if bad:
        where = f" They are in {rejects}." if rejects else ""
        warn(f"{bad} row(s) rejected.{where}")
