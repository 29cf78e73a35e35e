"""`tracker keys ...`: make data keys and re-encrypt under the newest one."""

import sys
from typing import Annotated

import typer

from tracker.cli.common import make_app
from tracker.kit.crypto import generate_key
from tracker.privacy.rotation import DEFAULT_BATCH, pending, rotate

keys_app = typer.Typer(help="Data encryption keys.", no_args_is_help=True)


@keys_app.command("generate")
def keys_generate() -> None:
    """Print a new random data key. Put it first in DATA_KEYS, then run `keys rotate`."""
    typer.echo(generate_key())


@keys_app.command("status")
def keys_status() -> None:
    """How many rows still hold a value not under the newest key."""
    app = make_app()
    counts = pending(app.engine, app.settings.keyring)
    newest = app.settings.keyring.newest.key_id
    total = sum(counts.values())
    if not total:
        typer.echo(f"Every value is encrypted with the newest key ({newest}).")
        return
    for table, count in counts.items():
        if count:
            typer.echo(f"{table}: {count} row(s) to re-encrypt")
    typer.echo(f"Run `tracker keys rotate` to move them to key {newest}.")


@keys_app.command("rotate")
def keys_rotate(
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, max=10_000, help="Rows per transaction.")
    ] = DEFAULT_BATCH,
) -> None:
    """Re-encrypt every value under the newest key in DATA_KEYS (resumable).

    Each batch commits on its own: if it stops, run it again and it goes on where it
    left off. When it reports nothing left, older keys can be removed from DATA_KEYS.
    """
    app = make_app()
    keyring = app.settings.keyring
    total = sum(pending(app.engine, keyring).values())
    if not total:
        typer.echo(f"Nothing to do: every value is under the newest key ({keyring.newest.key_id}).")
        return
    with typer.progressbar(length=total, label="Re-encrypting", file=sys.stderr) as bar:
        outcome = rotate(app.engine, keyring, batch_size=batch_size, progress=bar.update)
    for table, rows in outcome.rows.items():
        typer.echo(f"{table}: {rows} row(s)")
    typer.echo(
        f"Done: {outcome.total} row(s) now under key {keyring.newest.key_id}. "
        "Older keys may be removed from DATA_KEYS once every process runs with this list."
    )
