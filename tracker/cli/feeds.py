"""`tracker feeds ...`: calendar subscriptions for representatives and parolees."""

from datetime import datetime
from typing import Annotated

import typer

from tracker.cli.common import actor, make_app, table
from tracker.feeds.listing import feed_lines, feed_urls
from tracker.feeds.tokens import Issued, issue, revoke, rotate
from tracker.store.db import session_scope

feeds_app = typer.Typer(
    help="Calendar feed URLs: issue, list, revoke, rotate.", no_args_is_help=True
)


@feeds_app.command("issue")
def feeds_issue(
    representative: Annotated[
        str | None, typer.Option(help="Every case of this representative (email).")
    ] = None,
    case: Annotated[str | None, typer.Option(help="One case (external id or id).")] = None,
    privacy: Annotated[
        str, typer.Option(help="minimal (initials, case reference) or full (names).")
    ] = "minimal",
) -> None:
    """Print a new feed's URLs; the token is shown only this once."""
    app = make_app()
    with session_scope(app.engine) as session:
        issued = issue(
            session,
            now=app.clock.now(),
            actor=actor(),
            representative_email=representative,
            case_ref=case,
            privacy=privacy,
        )
    _print_urls(app.settings.base_url, issued)


@feeds_app.command("list")
def feeds_list() -> None:
    """Every feed token: whose, privacy level, created, last used, revoked."""
    app = make_app()
    with session_scope(app.engine) as session:
        rows = [
            [str(t.id), t.owner, t.privacy, _when(t.created_at), _when(t.last_used_at),
             _when(t.revoked_at)]
            for t in feed_lines(session)
        ]  # fmt: skip
    headers = ["id", "calendar of", "privacy", "created", "last used", "revoked"]
    typer.echo(table(headers, rows) if rows else "No feeds.")


@feeds_app.command("revoke")
def feeds_revoke(token_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Revoke a feed: its URL answers 404 from now on."""
    app = make_app()
    with session_scope(app.engine) as session:
        revoke(session, token_id, app.clock.now(), actor())
    typer.echo(f"Feed {token_id} revoked.")


@feeds_app.command("rotate")
def feeds_rotate(token_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Replace a feed's URL (the old one stops working); same calendar, same privacy."""
    app = make_app()
    with session_scope(app.engine) as session:
        issued = rotate(session, token_id, app.clock.now(), actor())
    _print_urls(app.settings.base_url, issued)


def _print_urls(base: str, issued: Issued) -> None:
    url, webcal = feed_urls(base, issued.token)
    typer.echo(f"Feed {issued.row.id} ({issued.row.privacy}). Subscribe with:")
    typer.echo(f"  {url}")
    typer.echo(f"  {webcal}")
    typer.echo("Keep it secret: anyone with the link can read the calendar.")


def _when(instant: datetime | None) -> str:
    return instant.isoformat(timespec="minutes") if instant else "-"
