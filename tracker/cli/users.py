"""`tracker users ...`: accounts for the admin pages and API tokens."""

import sys
from typing import Annotated

import typer

from tracker.accounts.api_tokens import issue_api_token
from tracker.accounts.users import create_user
from tracker.cli.common import actor, make_app
from tracker.store.db import session_scope
from tracker.store.models import Role

users_app = typer.Typer(help="Admin accounts and API tokens.", no_args_is_help=True)


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Argument(help="The address the person signs in with.")],
    role: Annotated[Role, typer.Option("--role", help="admin, staff or representative")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
) -> None:
    """Create a user. Representatives see only the cases assigned to them."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    app = make_app()
    with session_scope(app.engine) as session:
        user = create_user(
            session,
            email=email,
            role=role,
            password=password,
            now=app.clock.now(),
            actor=actor(),
        )
        typer.echo(f"Created {user.role.value} {user.email} (id {user.id}).")


@users_app.command("token")
def users_token(
    email: Annotated[str, typer.Argument(help="The user the token acts as.")],
    name: Annotated[str, typer.Option("--name", help="What will use it.")],
) -> None:
    """Issue a JSON API token acting as a user (shown once; only its hash is kept)."""
    app = make_app()
    with session_scope(app.engine) as session:
        issued = issue_api_token(
            session, email=email, name=name, now=app.clock.now(), actor=actor()
        )
    typer.echo(issued.token)
    typer.echo("Send it as: Authorization: Bearer <token>. It is not shown again.", err=True)
