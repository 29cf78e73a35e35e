"""What every command shares: the app for a `--now`, option types, output helpers."""

import getpass
import sys
from contextlib import AbstractContextManager
from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from sqlmodel import Session

from tracker.bootstrap import App
from tracker.cases.edit import CaseEdit, case_edit
from tracker.clock import Clock, FixedClock, RunningClock, SystemClock
from tracker.errors import InvalidInputError
from tracker.settings import load_settings
from tracker.store.models import Case, Parolee

NowOption = Annotated[
    str | None,
    typer.Option(
        "--now",
        help="Act as if it were this instant (ISO 8601; a date alone means noon in "
        "DEFAULT_TIMEZONE). For previews, tests and catching up.",
    ),
]
FormatOption = Annotated[str, typer.Option("--format", help="table, csv or json")]


_opened: list[App] = []


def make_app(
    now: str | None = None,
    *,
    speed: float | None = None,
    listen: tuple[str, int | None] | None = None,
) -> App:
    """The application for this command, on a pinned clock when `--now` is given.

    With a `speed` the clock is not pinned but starts at `--now` and runs on at that many
    times the machine's pace: a long-running worker needs its leases and retries to lapse.
    A process that serves passes where it `listen`s (host, port or None for PORT).
    """
    settings = load_settings()
    if listen is not None:
        settings = settings.served_at(*listen)
    clock: Clock = SystemClock()
    if now is not None:
        start = parse_now(now, settings.default_timezone)
        clock = FixedClock(start) if speed is None else RunningClock(start, speed)
    app = App(settings=settings, clock=clock)
    _opened.append(app)
    return app


# How far `--now` may be from the machine's clock while real messages go out.
CLOCK_TOLERANCE = timedelta(minutes=5)
DrillOption = Annotated[
    bool,
    typer.Option(
        "--drill",
        help="Allow --now (and --speed) with a real SMS backend: for a drill against a "
        "Twilio test account or a fake server. Messages ARE sent.",
    ),
]
SimulateOption = Annotated[
    bool,
    typer.Option(
        "--simulate",
        help="Print what would be sent, as it would read, and send or record nothing.",
    ),
]


def refuse_early_sends(app: App, *, drill: bool, speed: float = 1.0) -> None:
    """Refuse a `--now` (or a fast clock) away from the machine's clock while a real SMS
    backend is set: it would text people days early or late. The console backend prints
    and reaches nobody, so demos keep their clock; a drill on a real backend says so."""
    if app.settings.sms_backend == "console" or drill:
        return
    drift = abs(app.clock.now() - SystemClock().now())
    if drift <= CLOCK_TOLERANCE and speed == 1.0:
        return
    how_far = f"{drift.total_seconds() / 3600:.1f} hours" if speed == 1.0 else f"{speed:g}x fast"
    raise InvalidInputError(
        f"--now is {how_far} from this machine's clock and SMS_BACKEND="
        f"{app.settings.sms_backend} sends real messages: they would reach people on the "
        "wrong day. Add --simulate to see what would go (nothing is sent or recorded); for a "
        "drill, set SMS_BACKEND=console, or add --drill against a test account."
    )


def print_simulation(app: App, limit: int) -> None:
    """What a dispatch pass would send now, one text after another; nothing changes."""
    previews = app.dispatcher().simulate(limit)
    at = app.clock.now().isoformat().replace("+00:00", "Z")
    typer.echo(f"Simulated at {at}: nothing was sent or recorded.")
    going = [p for p in previews if p.body is not None]
    for preview in previews:
        if preview.body is None:
            typer.echo(f"- alert {preview.alert_id} ({preview.kind}): {preview.reason}")
        else:
            typer.echo(f"- alert {preview.alert_id} ({preview.kind}) to {preview.recipient}:")
            typer.echo(f"  {preview.body}".replace("\n", "\n  "))
    typer.echo(f"{len(going)} would be sent, {len(previews) - len(going)} would not.")


def close_apps() -> None:
    """Close the database pools the command opened (runs when the command ends)."""
    while _opened:
        app = _opened.pop()
        if "engine" in app.__dict__:
            app.engine.dispose()


def parse_now(value: str, zone: str) -> datetime:
    """An instant from `--now`: a date (noon local), a local time, or an aware time."""
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(12), ZoneInfo(zone))
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(
            f"--now {value!r}: write a date like 2026-11-29 or a time like 2026-11-29T10:00:00Z"
        ) from None
    return instant if instant.tzinfo else instant.replace(tzinfo=ZoneInfo(zone))


def parse_date(value: str | None, option: str) -> date | None:
    """A date option, or a clear error naming the option."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(f"{option} {value!r}: write the date as YYYY-MM-DD") from None


def actor() -> str:
    """Who is acting, as recorded in histories and the audit trail."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def editing(
    app: App, session: Session, case: Case, parolee: Parolee
) -> AbstractContextManager[CaseEdit]:
    """The CLI user's edit of a case (see `tracker.cases.edit`)."""
    return case_edit(
        session, case, parolee=parolee, by=actor(), policies=app.policies, now=app.clock.now()
    )


def check_format(value: str, allowed: tuple[str, ...]) -> str:
    """Refuse an unknown `--format`."""
    if value not in allowed:
        raise InvalidInputError(f"--format {value!r}: use one of {', '.join(allowed)}")
    return value


def table(headers: list[str], rows: list[list[str]]) -> str:
    """Plain aligned columns, readable in any terminal."""
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def warn(message: str) -> None:
    """A message for the person at the terminal, on stderr."""
    sys.stderr.write(message + "\n")
