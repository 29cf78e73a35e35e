"""`tracker import FILE`: bring a case list in, all or nothing, from CSV or XLSX, through
our header or a column mapping; `tracker import suggest FILE` proposes a mapping."""

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from tracker.cli.common import NowOption, actor, make_app, warn
from tracker.errors import InvalidInputError
from tracker.importer.mapping import OURS, ColumnMapping, mapping_named, shipped
from tracker.importer.report import ImportReport
from tracker.importer.service import ImportOptions, import_file
from tracker.importer.sources import FileProblems, ReadAs, open_source
from tracker.importer.suggest import suggest_mapping
from tracker.settings import load_settings

FILE_COMMAND = "file"


class _ImportGroup(TyperGroup):
    """`tracker import FILE ...` runs the `file` command: a path is not a command name."""

    # ctx is typer's vendored click Context, which typer does not export: Any.
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = [FILE_COMMAND, *args]
        return super().parse_args(ctx, args)


import_app = typer.Typer(
    cls=_ImportGroup,
    no_args_is_help=True,
    help="Import cases from CSV or XLSX: tracker import FILE [--mapping M] [--dry-run]; "
    "tracker import suggest FILE writes a mapping to edit and keep.",
)

SheetOption = Annotated[
    str | None, typer.Option("--sheet", help="The workbook's sheet to read (default: the first).")
]
EncodingOption = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help="A CSV's encoding when it is not UTF-8 or UTF-16 with a byte-order mark "
        "(windows-1252, as Excel for Windows saves CSV).",
    ),
]


@import_app.command(FILE_COMMAND)
def import_command(
    path: Annotated[
        Path, typer.Argument(metavar="FILE", help="CSV (UTF-8) or XLSX, one case a row.")
    ],
    mapping: Annotated[
        str | None,
        typer.Option(
            "--mapping",
            help="A column mapping: a TOML file's path, or a shipped one (generic, "
            "legalserver). Without it the file must use our header.",
        ),
    ] = None,
    sheet: SheetOption = None,
    encoding: EncodingOption = None,
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
        read_as=ReadAs(sheet=sheet, encoding=encoding),
        mapping=_mapping(mapping, app.settings.config_dir / "mappings"),
    )
    with typer.progressbar(length=_data_lines(path), label="Importing", file=None) as bar:
        report = import_file(
            app.engine, path, app.policies, app.clock.now(), options, progress=bar.update
        )
    _print(report, dry_run, skip_invalid, rejects)


@import_app.command("suggest")
def suggest_command(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="The CSV or XLSX to map.")],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the mapping here (default: print it)."),
    ] = None,
    sheet: SheetOption = None,
    encoding: EncodingOption = None,
) -> None:
    """Propose a column mapping from FILE's header and first rows, to check and keep."""
    if out is not None and out.exists():
        raise InvalidInputError(f"--out: {out} exists; choose a new file name")
    mappings = load_settings().config_dir / "mappings"
    try:
        source = open_source(path, ReadAs(sheet=sheet, encoding=encoding))
    except FileProblems as exc:
        raise InvalidInputError(str(exc)) from None
    text = suggest_mapping(source, shipped(mappings), name=path.stem)
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    typer.echo(f"Wrote {out}: check it, then: tracker import {path} --mapping {out}")


def _mapping(ref: str | None, mappings: Path) -> ColumnMapping:
    return OURS if ref is None else mapping_named(ref, mappings)


def _data_lines(path: Path) -> int:
    if path.suffix.lower() != ".csv":
        return 0
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
    if report.unused_columns:
        warn("Columns left aside (no field takes them): " + ", ".join(report.unused_columns))
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
