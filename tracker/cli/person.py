"""`tracker person ...`: what is held about one parolee, and erasing it."""

import json
from typing import Annotated

import typer

from tracker.cli.common import actor, make_app
from tracker.privacy.person import erase_person, export_person, person_of
from tracker.store.db import session_scope

person_app = typer.Typer(help="One person's data: export, erase.", no_args_is_help=True)
CaseRef = Annotated[
    str, typer.Argument(metavar="ID", help="A case of the person (external id or id).")
]


@person_app.command("export")
def person_export(ref: CaseRef) -> None:
    """Print everything held about the person of case ID, as JSON."""
    app = make_app()
    with session_scope(app.engine) as session:
        data = export_person(session, person_of(session, ref))
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@person_app.command("erase")
def person_erase(
    ref: CaseRef,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase the name, phone, A-number, notes and messages of the person of case ID."""
    app = make_app()
    if not yes:
        typer.confirm(
            f"Erase every personal detail of the person of case {ref}? This cannot be undone.",
            abort=True,
        )
    with session_scope(app.engine) as session:
        case_ids = erase_person(session, person_of(session, ref), app.clock.now(), actor())
    typer.echo(f"Erased. {len(case_ids)} case(s) kept without personal data.")
