"""`tracker retention run`: erase and purge what is past its retention period."""

from typing import Annotated

import typer

from tracker.cli.common import NowOption, make_app
from tracker.privacy.retention import run_retention

retention_app = typer.Typer(help="Retention of personal data.", no_args_is_help=True)


@retention_app.command("run")
def retention_run(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count; change nothing.")] = False,
    now: NowOption = None,
) -> None:
    """Erase people whose cases ended long ago; purge old message texts (config/retention.toml)."""
    app = make_app(now)
    outcome = run_retention(app.engine, app.retention, app.clock.now(), dry_run=dry_run)
    lead = "Dry run, nothing changed. Would erase" if dry_run else "Erased"
    typer.echo(
        f"{lead} {outcome.people} person(s); {outcome.message_texts} message text(s) and "
        f"{outcome.replies} reply text(s) purged."
    )
