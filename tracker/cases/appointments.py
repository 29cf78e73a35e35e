"""Reading appointments: a case's, one by id, their history, and the lists staff work
from (this week's, and the missed ones that need a follow-up). Changes go through
`tracker.cases.edit` (`appointment`, `reschedule`, `appointment_status`)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from tracker.accounts.users import Caller
from tracker.cases.access import readable
from tracker.domain.appointments import LOCAL_FORMAT, AppointmentStatus
from tracker.errors import NotFoundError
from tracker.store.models import MAX_ID, Appointment, AppointmentChange, Case


def appointments_of(session: Session, case_id: int) -> list[Appointment]:
    """A case's appointments, every status, soonest first."""
    return list(
        session.exec(
            select(Appointment)
            .where(Appointment.case_id == case_id)
            .order_by(col(Appointment.starts_at), col(Appointment.id))
        ).all()
    )


def appointment_of(session: Session, case: Case, appointment_id: int) -> Appointment:
    """The case's appointment `appointment_id`, or NotFoundError."""
    found = session.get(Appointment, appointment_id) if 0 < appointment_id <= MAX_ID else None
    if found is None or found.case_id != case.id:
        raise NotFoundError(f"case {case.external_id} has no appointment {appointment_id}")
    return found


def histories(
    session: Session, appointments: list[Appointment]
) -> dict[int, list[AppointmentChange]]:
    """Each appointment's status history, oldest first, by appointment id."""
    ids = [a.id for a in appointments if a.id is not None]
    found: dict[int, list[AppointmentChange]] = defaultdict(list)
    if ids:
        rows = session.exec(
            select(AppointmentChange)
            .where(col(AppointmentChange.appointment_id).in_(ids))
            .order_by(col(AppointmentChange.changed_at), col(AppointmentChange.id))
        ).all()
        for row in rows:
            found[row.appointment_id].append(row)
    return found


def local_start(appointment: Appointment) -> str:
    """ "2027-01-15 09:30 America/Chicago": the time as the place keeps it."""
    return f"{appointment.local_start:{LOCAL_FORMAT}} {appointment.zone}"


def ends_at(appointment: Appointment) -> datetime | None:
    """When it ends, if its duration is known."""
    if appointment.duration_minutes is None:
        return None
    return appointment.starts_at + timedelta(minutes=appointment.duration_minutes)


def missed_unmarked(appointment: Appointment, now: datetime) -> bool:
    """Still `scheduled` after its day (at its place): someone must find out what happened."""
    today_there = now.astimezone(ZoneInfo(appointment.zone)).date()
    return (
        appointment.status == AppointmentStatus.SCHEDULED
        and appointment.local_start.date() < today_there
    )


def appointment_json(
    appointment: Appointment, history: list[AppointmentChange], now: datetime
) -> dict[str, Any]:
    """An appointment as the API and `--format json` give it."""
    end = ends_at(appointment)
    return {
        "id": appointment.id,
        "case_id": appointment.case_id,
        "kind": appointment.kind.value,
        "local_start": appointment.local_start.strftime(LOCAL_FORMAT),
        "zone": appointment.zone,
        "starts_at": appointment.starts_at.isoformat(),
        "ends_at": end.isoformat() if end else None,
        "duration_minutes": appointment.duration_minutes,
        "place": appointment.place,
        "source_notice": appointment.source_notice,
        "source_date": appointment.source_date.isoformat() if appointment.source_date else None,
        "status": appointment.status.value,
        "replaced_by": appointment.replaced_by_id,
        "needs_follow_up": missed_unmarked(appointment, now),
        "history": [
            {
                "from": step.from_status.value if step.from_status else None,
                "to": step.to_status.value,
                "at": step.changed_at.isoformat(),
                "by": step.actor,
                "reason": step.reason,
            }
            for step in history
        ],
    }


@dataclass(frozen=True)
class AppointmentLine:
    """An appointment in a list across cases."""

    appointment: Appointment
    external_id: str


def appointments_between(
    session: Session, caller: Caller, start: datetime, until: datetime
) -> list[AppointmentLine]:
    """Scheduled appointments starting in [start, until) on cases `caller` reads, soonest first."""
    rows = session.exec(
        select(Appointment, Case.external_id)
        .join(Case, col(Case.id) == Appointment.case_id)
        .where(readable(caller))
        .where(Appointment.status == AppointmentStatus.SCHEDULED)
        .where(col(Appointment.starts_at) >= start, col(Appointment.starts_at) < until)
        .order_by(col(Appointment.starts_at))
    ).all()
    return [AppointmentLine(a, ext) for a, ext in rows]


def needing_follow_up(session: Session, caller: Caller, now: datetime) -> list[AppointmentLine]:
    """Appointments still `scheduled` after their day, on cases `caller` reads: did the
    person go? Oldest first."""
    # A day later than the start in UTC is after its local day everywhere; the exact
    # local test then keeps only those whose day has ended where they were.
    rows = session.exec(
        select(Appointment, Case.external_id)
        .join(Case, col(Case.id) == Appointment.case_id)
        .where(readable(caller))
        .where(Appointment.status == AppointmentStatus.SCHEDULED)
        .where(col(Appointment.starts_at) < now)
        .order_by(col(Appointment.starts_at))
    ).all()
    return [AppointmentLine(a, ext) for a, ext in rows if missed_unmarked(a, now)]
