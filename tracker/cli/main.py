"""The `tracker` command: groups, the run commands, and one place that turns errors into
plain messages on stderr with a non-zero exit (never a traceback for a user's mistake)."""

import sys
from typing import Annotated

import typer
import uvicorn
from sqlalchemy.exc import DBAPIError

from tracker import demo
from tracker.bootstrap import App
from tracker.cli.alerts import alerts_app
from tracker.cli.appointments import appointment_app
from tracker.cli.cases import case_app, cases_app
from tracker.cli.common import (
    DrillOption,
    NowOption,
    close_apps,
    make_app,
    print_simulation,
    refuse_early_sends,
    warn,
)
from tracker.cli.feeds import feeds_app
from tracker.cli.imports import import_app
from tracker.cli.keys import keys_app
from tracker.cli.person import person_app
from tracker.cli.retention import retention_app
from tracker.cli.rules import rules_app
from tracker.cli.synthetic import synthetic_command
from tracker.cli.terminations import terminations_app
from tracker.cli.uscis import uscis_app
from tracker.cli.users import users_app
from tracker.errors import InvalidInputError, TrackerError
from tracker.jobs.scheduler import run_worker
from tracker.logging_setup import configure_logging
from tracker.privacy.rotation import rotate
from tracker.store.migrate import upgrade
from tracker.web.app import create_app

app = typer.Typer(
    help="Parole tracker: deadlines of humanitarian parole, and the reminders that follow.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(cases_app, name="cases")
app.add_typer(case_app, name="case")
case_app.add_typer(appointment_app, name="appointment")
app.add_typer(rules_app, name="rules")
app.add_typer(terminations_app, name="terminations")
app.add_typer(alerts_app, name="alerts")
app.add_typer(feeds_app, name="feeds")
app.add_typer(person_app, name="person")
app.add_typer(retention_app, name="retention")
app.add_typer(keys_app, name="keys")
app.add_typer(users_app, name="users")
app.add_typer(uscis_app, name="uscis")
app.add_typer(import_app, name="import")
app.command("synthetic")(synthetic_command)


@app.callback()
def _root(ctx: typer.Context) -> None:
    ctx.call_on_close(close_apps)


HostOption = Annotated[str, typer.Option(help="Address to listen on.")]
PortOption = Annotated[
    int | None, typer.Option(min=1, max=65535, help="Port to listen on (default: PORT, or 8000).")
]


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the newest version."""
    tracker = make_app()
    encrypted = _upgrade(tracker)
    if encrypted:
        typer.echo(f"Encrypted {encrypted} row(s) written before encryption at rest.")
    typer.echo("Database schema is up to date.")


def _upgrade(tracker: App) -> int:
    """Migrate, then encrypt what an older version left in plaintext; return those rows."""
    upgrade(tracker.engine)
    return rotate(tracker.engine, tracker.settings.keyring).total


@app.command("demo")
def demo_command(now: NowOption = None) -> None:
    """Load clearly fake demo cases (DEMO-001...) with dates around today."""
    _load_demo(make_app(now))


def _load_demo(tracker: App) -> None:
    """Migrate, load the demo (again: it updates, never duplicates), and say how to look."""
    _upgrade(tracker)
    now = tracker.clock.now()
    report = demo.seed(tracker.engine, tracker.policies, now, tracker.settings.default_timezone)
    typer.echo(
        f"Demo data: {report.created} new, {report.updated + report.unchanged} already there."
    )
    typer.echo("Try: tracker cases expiring --within 90   and   tracker case show DEMO-001")
    base = tracker.settings.base_url
    if report.created:
        for email, token in demo.issue_feeds(tracker.engine, now):
            typer.echo(f"Calendar feed of {email}: {base}/feeds/{token}.ics")
    for email, role, password in demo.seed_users(tracker.engine, now):
        typer.echo(
            f"Admin sign-in ({role}): {base}/admin  email {email}  password {password}  "
            "(shown once)"
        )


@app.command("serve")
def serve(host: HostOption = "127.0.0.1", port: PortOption = None) -> None:
    """Run everything in one process (embedded default): web and scheduled jobs.

    On a first run with an empty database it migrates and loads the demo data. Links it
    prints and serves point to where it listens, unless PUBLIC_BASE_URL is set.
    """
    tracker = make_app(listen=(host, port))
    _logs(tracker)
    _upgrade(tracker)
    if not demo.has_cases(tracker.engine):
        _load_demo(tracker)
    tracker.check_texts()
    port = tracker.settings.port
    typer.echo(
        f"Serving on {tracker.settings.base_url} (listening on {host}:{port}; health: "
        "/healthz). Stop with Ctrl-C."
    )
    # log_config=None: uvicorn's records go through our handler (format, masking).
    uvicorn.run(create_app(tracker, with_scheduler=True), host=host, port=port, log_config=None)


@app.command("web")
def web(host: HostOption = "0.0.0.0", port: PortOption = None) -> None:
    """Run the web process only (no scheduled jobs); scale it out freely."""
    tracker = make_app(listen=(host, port))
    _logs(tracker)
    tracker.check_texts()
    port = tracker.settings.port
    uvicorn.run(create_app(tracker), host=host, port=port, proxy_headers=True, log_config=None)


@app.command("worker")
def worker(
    now: NowOption = None,
    speed: Annotated[
        float,
        typer.Option(
            min=1.0,
            help="With --now: run the jobs' clock and their intervals this many times "
            "faster than real time (fault drills: 60 makes a minute pass in a second).",
        ),
    ] = 1.0,
    simulate: Annotated[
        bool,
        typer.Option(
            "--simulate",
            help="Print what the first dispatch would send at --now, then stop; nothing is "
            "sent or recorded.",
        ),
    ] = False,
    drill: DrillOption = False,
) -> None:
    """Run the scheduled jobs (plan, dispatch, status) in the foreground until SIGTERM.

    `--now` starts the jobs' clock at that instant, from where it runs on (drills and
    tests): a pinned clock would never let a lease lapse or a retry come due. With a real
    SMS backend, a `--now` more than 5 minutes from the machine's clock, or a `--speed`,
    is refused: use `--simulate`, SMS_BACKEND=console, or `--drill` against a test account.
    """
    if speed != 1.0 and now is None:
        raise InvalidInputError("--speed needs --now: the machine's own clock keeps its pace")
    tracker = make_app(now, speed=speed)
    if simulate:
        print_simulation(tracker, limit=200)
        return
    refuse_early_sends(tracker, drill=drill, speed=speed)
    _logs(tracker)
    # Start-up refuses a text over its budget or with a foreign link (ConfigError).
    tracker.check_texts()
    run_worker(tracker, tracker.dispatcher(), speed)


def _logs(tracker: App) -> None:
    """The long-running processes log INFO too, in LOG_FORMAT."""
    configure_logging(tracker.settings.log_format, verbose=True)


def main() -> None:
    """Entry point of the `tracker` command."""
    configure_logging()
    try:
        app()
    except TrackerError as exc:
        warn(f"error: {exc.message}")
        sys.exit(2)
    except DBAPIError as exc:
        # Not a user's typo, but not worth a traceback either: say what the database said.
        first_line = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        warn(
            f"error: the database refused the operation ({first_line}). Is DATABASE_URL right, "
            "and has `tracker db upgrade` been run?"
        )
        sys.exit(3)
