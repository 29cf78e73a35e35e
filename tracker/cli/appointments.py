"""`tracker case appointment ...`: record a case's appointments, reschedule, cancel and mark
them. Texts to the person are planned, never sent, here: the worker sends them."""

import json
from datetime import datetime
from typing import Annotated

import typer

from tracker.cases.appointments import (
    appointment_json,
    appointment_of,
    appointments_of,
    histories,
    local_start,
    missed_unmarked,
)
from tracker.cases.repository import find_case
from tracker.cli.common import FormatOption, NowOption, check_format, editing, make_app, parse_date
from tracker.domain.appointments import (
    AppointmentKind,
    AppointmentRequest,
    AppointmentStatus,
    appointment_request,
)
from tracker.store.db import session_scope
from tracker.store.models import Appointment

appointment_app = typer.Typer(
    help="A case's appointments: biometrics, USCIS interviews, court hearings.",
    no_args_is_help=True,
)
RefArgument = Annotated[str, typer.Argument(metavar="ID", help="External id or internal id.")]
AppointmentArgument = Annotated[
    int, typer.Argument(metavar="APPOINTMENT", help="The appointment's id (see list).")
]
AtOption = Annotated[
    str,
    typer.Option(
        "--at", help='Local time at the place, as the notice prints it: "YYYY-MM-DD HH:MM".'
    ),
]
ZoneOption = Annotated[
    str, typer.Option("--zone", help="The place's IANA time zone, e.g. America/Chicago.")
]
PlaceOption = Annotated[
    str, typer.Option("--place", help='The address, the court\'s name and address, or "by video".')
]
KINDS = ", ".join(k.value for k in AppointmentKind)
FOLLOW_UP = " (still scheduled after its day: did the person go?)"


def _request(
    *,
    kind: str,
    at: str,
    zone: str,
    place: str,
    now: datetime,
    duration: int | None,
    notice: str | None,
    notice_date: str | None,
    past: bool,
) -> AppointmentRequest:
    return appointment_request(
        kind=kind,
        at=at,
        zone=zone,
        place=place,
        now=now,
        duration_minutes=duration,
        source_notice=notice,
        source_date=parse_date(notice_date, "--notice-date"),
        past=past,
    )


def _said(appointment: Appointment) -> str:
    return (
        f"appointment {appointment.id}: {appointment.kind.value} at "
        f"{local_start(appointment)}, {appointment.place}"
    )


@appointment_app.command("add")
def appointment_add(
    ref: RefArgument,
    kind: Annotated[str, typer.Option("--kind", help=f"One of: {KINDS}.")],
    at: AtOption,
    zone: ZoneOption,
    place: PlaceOption,
    duration: Annotated[
        int | None, typer.Option("--duration", help="Minutes, if the notice says.")
    ] = None,
    notice: Annotated[
        str | None, typer.Option("--notice", help="The notice it came from, e.g. I-797C.")
    ] = None,
    notice_date: Annotated[
        str | None, typer.Option("--notice-date", help="The notice's date (YYYY-MM-DD).")
    ] = None,
    past: Annotated[
        bool, typer.Option("--past", help="Record an appointment that already happened.")
    ] = False,
    now: NowOption = None,
) -> None:
    """Record an appointment the person must attend; reminders follow from it."""
    app = make_app(now)
    request = _request(
        kind=kind, at=at, zone=zone, place=place, now=app.clock.now(), duration=duration,
        notice=notice, notice_date=notice_date, past=past,
    )  # fmt: skip
    with session_scope(app.engine) as session:
        case, parolee = find_case(session, ref)
        with editing(app, session, case, parolee) as edit:
            added = edit.appointment(request)
        typer.echo(f"Case {case.external_id}: recorded {_said(added)}.")


@appointment_app.command("list")
def appointment_list(
    ref: RefArgument, output: FormatOption = "table", now: NowOption = None
) -> None:
    """A case's appointments, every status, with their history (json)."""
    check_format(output, ("table", "json"))
    app = make_app(now)
    moment = app.clock.now()
    with session_scope(app.engine) as session:
        case, _ = find_case(session, ref)
        found = appointments_of(session, case.id or 0)
        steps = histories(session, found)
        if output == "json":
            rows = [appointment_json(a, steps.get(a.id or 0, []), moment) for a in found]
            typer.echo(json.dumps(rows, indent=2))
            return
        if not found:
            typer.echo(f"Case {case.external_id} has no appointments.")
            return
        for a in found:
            follow = (
                " (still scheduled after its day: did the person go?)"
                if missed_unmarked(a, moment)
                else ""
            )
            moved = f", moved to {a.replaced_by_id}" if a.replaced_by_id else ""
            typer.echo(
                f"{a.id}  {a.kind.value:<16} {local_start(a)}  {a.status.value}{moved}{follow}"
            )
            typer.echo(f"    {a.place}")


@appointment_app.command("reschedule")
def appointment_reschedule(
    ref: RefArgument,
    appointment_id: AppointmentArgument,
    at: AtOption,
    zone: Annotated[
        str | None, typer.Option("--zone", help="The new place's zone (default: the old one's).")
    ] = None,
    place: Annotated[
        str | None, typer.Option("--place", help="The new place (default: the same).")
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why it moved.")] = "rescheduled",
    notice: Annotated[str | None, typer.Option("--notice", help="The new notice.")] = None,
    notice_date: Annotated[str | None, typer.Option("--notice-date", help="Its date.")] = None,
    now: NowOption = None,
) -> None:
    """Move an appointment to a new time: the old one is kept as rescheduled, its reminders
    are cancelled, and the person gets one text with the new time."""
    app = make_app(now)
    with session_scope(app.engine) as session:
        case, parolee = find_case(session, ref)
        old = appointment_of(session, case, appointment_id)
        request = _request(
            kind=old.kind.value, at=at, zone=zone or old.zone, place=place or old.place,
            now=app.clock.now(), duration=old.duration_minutes,
            notice=notice or old.source_notice, notice_date=notice_date, past=False,
        )  # fmt: skip
        with editing(app, session, case, parolee) as edit:
            new = edit.reschedule(old, request, reason=reason)
        typer.echo(f"Case {case.external_id}: {old.id} rescheduled; now {_said(new)}.")


@appointment_app.command("cancel")
def appointment_cancel(
    ref: RefArgument,
    appointment_id: AppointmentArgument,
    reason: Annotated[str, typer.Option("--reason", help="Why it was cancelled.")] = "cancelled",
    now: NowOption = None,
) -> None:
    """Cancel an appointment: its reminders stop and calendars show it cancelled."""
    _mark(ref, appointment_id, AppointmentStatus.CANCELLED, reason, now)


@appointment_app.command("mark")
def appointment_mark(
    ref: RefArgument,
    appointment_id: AppointmentArgument,
    outcome: Annotated[str, typer.Argument(metavar="attended|missed", help="What happened.")],
    reason: Annotated[str, typer.Option("--reason", help="A note kept in its history.")] = "",
    now: NowOption = None,
) -> None:
    """Record whether the person went."""
    if outcome not in ("attended", "missed"):
        raise typer.BadParameter(f"{outcome!r}: say attended or missed")
    _mark(ref, appointment_id, AppointmentStatus(outcome), reason or outcome, now)


def _mark(
    ref: str, appointment_id: int, to: AppointmentStatus, reason: str, now: str | None
) -> None:
    app = make_app(now)
    with session_scope(app.engine) as session:
        case, parolee = find_case(session, ref)
        appointment = appointment_of(session, case, appointment_id)
        with editing(app, session, case, parolee) as edit:
            edit.appointment_status(appointment, to, reason)
        typer.echo(f"Case {case.external_id}: appointment {appointment_id} is now {to.value}.")
