"""Appointments end to end (biometrics, USCIS interviews, court hearings), on SQLite and on
PostgreSQL: recorded through the CLI, the API and the import; refused, writing nothing,
when a local time names no single instant; reminded at the person's hours across the DST
changes; rescheduled with one "appointment moved" text; and shown in the calendar feeds as
timed events that icalendar, vobject and ical read alike.

Every instant is pinned (T0 and the `--now`s below): nothing reads today's date or the
machine's zone.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import vobject
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar
from sqlmodel import Session, col, select

from tests.builders import (
    SMS_COLUMNS,
    SPEC_COLUMNS,
    MovableClock,
    a_case,
    an_app,
    run_import,
    write_csv,
)
from tracker.alerts.sweep import plan_due
from tracker.bootstrap import App
from tracker.cases.appointments import appointment_json, appointment_of, appointments_of, histories
from tracker.cases.edit import CaseEdit, case_edit
from tracker.cases.repository import find_case
from tracker.domain.appointments import AppointmentRequest, AppointmentStatus, appointment_request
from tracker.importer.report import ImportReport
from tracker.importer.rows import APPOINTMENT_COLUMNS
from tracker.store.db import session_scope
from tracker.store.models import Alert, Appointment, must_id

from ..conftest import ROOT, refused, table_counts
from .cli_harness import Cli
from .test_api import ADMIN, ALICE, Api, api, token_for
from .test_feeds import REP, World, a_row, make_world
from .test_import import snapshot


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# Monday 1 March 2027, 10:00 in New York and 09:00 in Chicago (both still on standard time).
T0 = utc(2027, 3, 1, 15)
AT = "2027-03-01T15:00:00Z"
CHICAGO, NEW_YORK = "America/Chicago", "America/New_York"
COURT = "Chicago Immigration Court, 525 W Van Buren St, Suite 500, Chicago, IL"
ANNEX = "Chicago Immigration Court annex, 536 S Clark St, Chicago, IL"
# Parole runs past every appointment below, and none of its own reminders falls in March.
EXPIRY = "2027-12-31"
# The organisation's name (ORG_SHORT_NAME's default), which every text starts with.
ORG = "Parole Tracker"


@dataclass(frozen=True)
class Given:
    """An appointment as a notice gives it, in the form each way in takes."""

    kind: str = "court_hearing"
    at: str = "2027-03-16 13:00"
    zone: str = CHICAGO
    place: str = COURT

    def options(self) -> tuple[str, ...]:
        """For `tracker case appointment add`."""
        return ("--kind", self.kind, "--at", self.at, "--zone", self.zone, "--place", self.place)

    def body(self) -> dict[str, Any]:
        """For POST /api/v1/cases/{id}/appointments."""
        return {"kind": self.kind, "local_start": self.at, "zone": self.zone, "place": self.place}

    def columns(self) -> dict[str, str]:
        """For the import's appointment_* columns."""
        values = (self.kind, self.at, self.zone, self.place)
        return dict(zip(APPOINTMENT_COLUMNS, values, strict=True))

    def request(self, now: datetime) -> AppointmentRequest:
        return appointment_request(
            kind=self.kind, at=self.at, zone=self.zone, place=self.place, now=now
        )


# 13:00 CDT: Chicago is on daylight time from 14 March.
HEARING = Given()
HEARING_STARTS = utc(2027, 3, 16, 18)
MOVED = Given(at="2027-03-23 13:00", place=ANNEX)
MOVED_STARTS = utc(2027, 3, 23, 18)
# What each wrong appointment is refused with, everywhere: what the message must name.
REFUSALS: dict[str, tuple[Given, tuple[str, ...]]] = {
    "spring gap": (
        replace(HEARING, at="2027-03-14 02:30"),
        ("2027-03-14 02:30 does not exist in America/Chicago", "02:00 CST to 03:00 CDT"),
    ),
    "autumn overlap": (
        replace(HEARING, at="2027-11-07 01:30"),
        (
            "2027-11-07 01:30 happens twice in America/Chicago",
            "01:30 CDT (06:30 UTC)",
            "01:30 CST (07:30 UTC)",
        ),
    ),
    "abbreviated zone": (
        replace(HEARING, zone="CST"),
        ("'CST' is not an IANA time zone name",),
    ),
    "unknown kind": (
        replace(HEARING, kind="dentist"),
        ("unknown appointment kind 'dentist'", "court_hearing"),
    ),
    "past": (
        replace(HEARING, at="2027-02-20 10:00"),
        ("2027-02-20 10:00 in America/Chicago has passed", "--past"),
    ),
}


# --- in-process: the case edit every way in goes through ---------------------------------


@contextmanager
def editing(app: App, ref: str) -> Iterator[tuple[Session, CaseEdit]]:
    """An edit of case `ref` at the app's clock, as staff ("test") make it."""
    with session_scope(app.engine) as session:
        case, parolee = find_case(session, ref)
        with case_edit(
            session, case, parolee=parolee, by="test", policies=app.policies, now=app.clock.now()
        ) as edit:
            yield session, edit


def add(app: App, ref: str, given: Given = HEARING) -> int:
    """Record `given` on case `ref`; its id."""
    request = given.request(app.clock.now())
    with editing(app, ref) as (_, edit):
        return must_id(edit.appointment(request).id)


def reschedule(app: App, ref: str, appointment_id: int, given: Given = MOVED) -> int:
    """Move appointment `appointment_id` to `given`; the new one's id."""
    request = given.request(app.clock.now())
    with editing(app, ref) as (session, edit):
        old = appointment_of(session, edit.case, appointment_id)
        return must_id(edit.reschedule(old, request, reason="moved by the court").id)


def mark(app: App, ref: str, appointment_id: int, to: AppointmentStatus) -> None:
    with editing(app, ref) as (session, edit):
        edit.appointment_status(appointment_of(session, edit.case, appointment_id), to, "test")


def listed(app: App, ref: str) -> list[dict[str, Any]]:
    """Case `ref`'s appointments as the API and `list --format json` give them."""
    with session_scope(app.engine) as session:
        case, _ = find_case(session, ref)
        found = appointments_of(session, must_id(case.id))
        steps = histories(session, found)
        return [appointment_json(a, steps.get(must_id(a.id), []), app.clock.now()) for a in found]


def alerts_of(app_or_cli: App | Cli) -> list[Alert]:
    with session_scope(app_or_cli.engine) as session:
        return list(session.exec(select(Alert).order_by(col(Alert.id))).all())


# --- 1. the CLI ---------------------------------------------------------------------------


def import_case(cli: Cli, tmp_path: Path, **overrides: str) -> None:
    """Import case A1 at T0: a consenting person with a phone, in New York unless told."""
    row = a_case(external_id="A1", parole_expiry=EXPIRY, **overrides)
    path = write_csv(tmp_path / "A1.csv", [row], SMS_COLUMNS)
    assert "1 new" in cli.ok("import", str(path), "--now", AT)


def cli_listed(cli: Cli, now: str = AT) -> list[dict[str, Any]]:
    out = cli.ok("case", "appointment", "list", "A1", "--format", "json", "--now", now)
    rows: list[dict[str, Any]] = json.loads(out)
    return rows


def cli_add(cli: Cli, given: Given, *extra: str) -> int:
    """`tracker case appointment add A1 ...` at T0; the new appointment's id."""
    before = {a["id"] for a in cli_listed(cli)}
    out = cli.ok("case", "appointment", "add", "A1", *given.options(), *extra, "--now", AT)
    assert out.startswith("Case A1: recorded appointment "), out
    [new] = [a["id"] for a in cli_listed(cli) if a["id"] not in before]
    return int(new)


def test_the_cli_records_an_appointment_and_refuses_bad_ones_writing_nothing(
    cli: Cli, tmp_path: Path
) -> None:
    import_case(cli, tmp_path)
    hearing = cli_add(cli, HEARING)
    [shown] = cli_listed(cli)
    assert shown | {"case_id": 0, "history": []} == {
        "id": hearing, "case_id": 0, "kind": "court_hearing", "local_start": "2027-03-16 13:00",
        "zone": CHICAGO, "starts_at": "2027-03-16T18:00:00+00:00", "ends_at": None,
        "duration_minutes": None, "place": COURT, "source_notice": None, "source_date": None,
        "status": "scheduled", "replaced_by": None, "needs_follow_up": False, "history": [],
    }  # fmt: skip
    [step] = shown["history"]
    assert (step["from"], step["to"], step["at"], step["reason"]) == (
        None, "scheduled", "2027-03-01T15:00:00+00:00", "recorded",
    )  # fmt: skip
    assert step["by"].startswith("cli")
    assert "court_hearing" in cli.kinds("A1")

    before = table_counts(cli.engine)
    for name, (given, fragments) in REFUSALS.items():
        result = cli.run("case", "appointment", "add", "A1", *given.options(), "--now", AT)
        refused(result, *fragments)
        # tracker.cli.main turns every TrackerError into exit 2 (see the report).
        assert result.returncode == 2, (name, result.returncode)
        assert result.stdout == "", name
        assert cli_listed(cli) == [shown], name
    assert table_counts(cli.engine) == before

    # Said to be history, the past one is recorded.
    past = replace(HEARING, kind="biometrics", at="2027-02-20 10:00")
    recorded = cli_add(cli, past, "--past")
    assert [(a["id"], a["status"]) for a in cli_listed(cli)] == [
        (recorded, "scheduled"), (hearing, "scheduled"),
    ]  # fmt: skip

    after_hearing = "2027-03-16T21:00:00Z"
    out = cli.ok("case", "appointment", "mark", "A1", str(hearing), "attended",
                 "--now", after_hearing)  # fmt: skip
    assert out.strip() == f"Case A1: appointment {hearing} is now attended."
    marked = cli_listed(cli, after_hearing)
    before = table_counts(cli.engine)
    result = cli.run("case", "appointment", "mark", "A1", str(hearing), "missed",
                     "--now", after_hearing)  # fmt: skip
    refused(result, "an appointment that is attended cannot become missed")
    assert result.returncode == 2
    assert cli_listed(cli, after_hearing) == marked
    assert table_counts(cli.engine) == before
    [attended] = [a for a in marked if a["id"] == hearing]
    assert [s["to"] for s in attended["history"]] == ["scheduled", "attended"]


# --- 2. a reschedule: one text, the old reminders cancelled --------------------------------


def dispatch(cli: Cli, now: str) -> tuple[list[str], str]:
    """`tracker alerts dispatch` on the console backend: the lines it printed for each text
    (masked number, segments, the text's start), and its summary."""
    *sms, summary = cli.ok("alerts", "dispatch", "--now", now).splitlines()
    assert all(line.startswith("SMS to +1********70 (") for line in sms), sms
    return sms, summary


def test_a_reschedule_cancels_the_old_reminders_and_sends_one_moved_text(
    cli: Cli, tmp_path: Path
) -> None:
    import_case(cli, tmp_path)
    # The welcome goes first, so that what goes later is only what the reschedule did.
    welcome, summary = dispatch(cli, AT)
    assert (len(welcome), summary.split(",")[0]) == (1, "1 sent")
    old = cli_add(cli, HEARING)
    old_slot = f"court_hearing:{old}"
    # A week and a day before: the reminder 7 days before (10:00 in New York on 9 March,
    # still EST) comes within the planning horizon.
    assert cli.ok("alerts", "plan", "--now", "2027-03-08T15:00:00Z") == "1 alert(s) planned.\n"
    [reminder] = [a for a in alerts_of(cli) if a.deadline_slot == old_slot]
    assert (reminder.kind, reminder.offset_days, reminder.state) == ("court_hearing", 7, "planned")
    assert reminder.due_at == utc(2027, 3, 9, 15, 0)

    moved_at = "2027-03-08T16:00:00Z"
    out = cli.ok("case", "appointment", "reschedule", "A1", str(old), "--at", MOVED.at,
                 "--place", MOVED.place, "--now", moved_at)  # fmt: skip
    rows = {a["id"]: a for a in cli_listed(cli, moved_at)}
    [new] = [i for i in rows if i != old]
    assert out.strip() == (
        f"Case A1: {old} rescheduled; now appointment {new}: court_hearing at "
        f"2027-03-23 13:00 {CHICAGO}, {ANNEX}."
    )
    assert (rows[old]["status"], rows[old]["replaced_by"]) == ("rescheduled", new)
    assert [s["to"] for s in rows[old]["history"]] == ["scheduled", "rescheduled"]
    assert (rows[new]["status"], rows[new]["starts_at"], rows[new]["place"]) == (
        "scheduled", MOVED_STARTS.isoformat(), ANNEX,
    )  # fmt: skip
    assert rows[new]["history"][0]["reason"] == f"rescheduled from appointment {old}"

    alerts = alerts_of(cli)
    [moved] = [a for a in alerts if a.kind == "appointment_moved"]
    assert (moved.deadline_slot, moved.about_date, moved.state) == (
        f"court_hearing:{new}", date(2027, 3, 23), "planned",
    )  # fmt: skip
    # At once: 11:00 in New York is inside the sending window.
    assert moved.due_at == utc(2027, 3, 8, 16, 0)
    old_ones = [a for a in alerts if a.deadline_slot == old_slot]
    assert [(a.id, a.state) for a in old_ones] == [(reminder.id, "cancelled")]
    # One message, not a "date changed" besides it.
    assert not [a for a in alerts if a.kind == "date_changed"]

    sms, summary = dispatch(cli, moved_at)
    assert len(sms) == 1, sms
    assert f"): {ORG}: New time for an" in sms[0]  # the console shows 40 characters
    assert summary.startswith("1 sent, 0 to retry, 0 failed")
    [moved] = [a for a in alerts_of(cli) if a.kind == "appointment_moved"]
    assert moved.state == "sent"
    assert moved.body is not None and moved.body.startswith(f"{ORG}: ")
    # The place's time, with its zone: the person's clock in New York reads an hour later.
    for fragment in ("23 March 2027", "1:00 PM CDT", ANNEX, "Immigration court hearing"):
        assert fragment in moved.body, (fragment, moved.body)
    assert "16 March" not in moved.body and COURT not in moved.body
    # Nothing more goes, later the same day.
    assert dispatch(cli, "2027-03-08T20:00:00Z")[0] == []


# --- 3. reminder hours across the DST changes ---------------------------------------------


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    """The application, its web app and a movable clock set at T0."""
    for opened in make_world(database_url, tmp_path, ROOT / "config"):
        opened.clock.set(T0)
        yield opened


# The hearing, and the instants its reminders are due (7, 3 and 1 days before at 10:00,
# and 09:00 on its day, in the person's Chicago), each day on that day's offset.
ACROSS_DST = {
    "spring forward": (
        HEARING,
        {7: utc(2027, 3, 9, 16, 0), 3: utc(2027, 3, 13, 16, 0),  # CST
         1: utc(2027, 3, 15, 15, 0), 0: utc(2027, 3, 16, 14, 0)},  # CDT
    ),
    "fall back": (
        replace(HEARING, at="2027-11-08 13:00"),
        {7: utc(2027, 11, 1, 15, 0), 3: utc(2027, 11, 5, 15, 0),  # CDT
         1: utc(2027, 11, 7, 16, 0), 0: utc(2027, 11, 8, 15, 0)},  # CST
    ),
}  # fmt: skip


@pytest.mark.parametrize(("hearing", "due"), ACROSS_DST.values(), ids=ACROSS_DST.keys())
def test_reminders_come_at_the_persons_local_hours_across_a_dst_change(
    world: World, hearing: Given, due: dict[int, datetime]
) -> None:
    day = datetime.combine(date.fromisoformat(hearing.at[:10]), time(0), UTC)
    world.clock.set(day - timedelta(days=14) + timedelta(hours=12))
    world.import_rows(a_case(external_id="A1", timezone=CHICAGO, parole_expiry=EXPIRY))
    appointment = add(world.app, "A1", hearing)
    dispatcher = world.app.dispatcher()
    # The sweep runs every few minutes in production, the dispatcher every minute: here the
    # sweep once a day at 12:00 UTC (before any reminder is due) and the dispatcher at
    # 16:30 UTC (after each is due, and over an hour before the hearing).
    while world.clock.now() < day + timedelta(days=1):
        plan_due(world.app.engine, world.app.composer, world.clock.now())
        world.clock.advance(timedelta(hours=4, minutes=30))
        dispatcher.run_once()
        world.clock.advance(timedelta(hours=19, minutes=30))

    reminders = [a for a in alerts_of(world.app) if a.kind == "court_hearing"]
    assert {a.deadline_slot for a in reminders} == {f"court_hearing:{appointment}"}
    assert {a.offset_days: a.due_at for a in reminders} == due
    assert len(reminders) == len(due)
    chicago = ZoneInfo(CHICAGO)
    for alert in reminders:
        local = alert.due_at.astimezone(chicago)
        assert local.strftime("%H:%M") == ("09:00" if alert.offset_days == 0 else "10:00")
        assert local.date() == alert.about_date - timedelta(days=alert.offset_days)
        # Each went on its day, with the hearing's time (the person's clock reads the
        # court's: no zone is named) and place.
        assert alert.state == "sent", (alert.offset_days, alert.state, alert.reason)
        assert alert.body is not None and alert.body.startswith(f"{ORG}: "), alert.body
        assert f"at 1:00 PM, at {COURT}" in alert.body, alert.body


# --- 4. the API ---------------------------------------------------------------------------


@dataclass
class Office:
    """test_api's five cases and users, called as the administrator, on a clock at T0."""

    admin: Api
    app: App
    clock: MovableClock


@contextmanager
def office(database_url: str, tmp_path: Path) -> Iterator[Office]:
    clock = MovableClock(T0)
    app = an_app(database_url, clock)
    try:
        with api(app, tmp_path, ADMIN) as admin:
            yield Office(admin, app, clock)
    finally:
        app.engine.dispose()


PATH = "/api/v1/cases/P5/appointments"


def test_the_api_records_lists_reschedules_and_marks_appointments(
    database_url: str, tmp_path: Path
) -> None:
    with office(database_url, tmp_path) as at:
        admin = at.admin
        created = admin.post(PATH, HEARING.body())
        assert created.status_code == 201, created.text
        first = created.json()
        assert (first["kind"], first["starts_at"], first["local_start"], first["zone"]) == (
            "court_hearing", "2027-03-16T18:00:00Z", "2027-03-16 13:00", CHICAGO,
        )  # fmt: skip
        assert (first["place"], first["status"], first["replaced_by"]) == (COURT, "scheduled", None)
        assert [(s["from"], s["to"], s["by"]) for s in first["history"]] == [
            (None, "scheduled", f"user:{ADMIN}")
        ]
        assert admin.get(PATH).json() == [first]

        change = {"local_start": MOVED.at, "place": ANNEX, "reason": "court's notice"}
        moved = admin.post(f"{PATH}/{first['id']}/reschedule", change)
        assert moved.status_code == 201, moved.text
        new = moved.json()
        assert (new["starts_at"], new["place"], new["zone"], new["status"]) == (
            "2027-03-23T18:00:00Z", ANNEX, CHICAGO, "scheduled",
        )  # fmt: skip
        both = {a["id"]: a for a in admin.get(PATH).json()}
        assert set(both) == {first["id"], new["id"]}
        assert (both[first["id"]]["status"], both[first["id"]]["replaced_by"]) == (
            "rescheduled", new["id"],
        )  # fmt: skip
        assert both[first["id"]]["history"][-1]["reason"] == "court's notice"

        at.clock.set(utc(2027, 3, 23, 21, 0))
        done = admin.post(f"{PATH}/{new['id']}/status", {"status": "attended", "reason": "went"})
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "attended"
        assert [s["to"] for s in done.json()["history"]] == ["scheduled", "attended"]
        again = admin.post(f"{PATH}/{new['id']}/status", {"status": "missed", "reason": "x"})
        assert again.status_code == 422
        assert "cannot become missed" in again.json()["detail"]


def test_the_api_refuses_a_bad_appointment_naming_the_problem_and_writes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    with office(database_url, tmp_path) as at:
        admin, app = at.admin, at.app
        assert admin.post(PATH, HEARING.body()).status_code == 201
        before, listed_before = table_counts(app.engine), admin.get(PATH).json()
        for name, (given, fragments) in REFUSALS.items():
            response = admin.post(PATH, given.body())
            assert response.status_code == 422, (name, response.text)
            detail = response.json()["detail"]
            if name == "unknown kind":
                # Refused by the schema, naming the field and the kinds it takes.
                [problem] = detail
                assert problem["loc"] == ["body", "kind"]
                assert "'court_hearing'" in problem["msg"]
                continue
            assert isinstance(detail, str), (name, detail)
            for fragment in fragments:
                assert fragment in detail, (name, detail)
        assert admin.get(PATH).json() == listed_before
        assert table_counts(app.engine) == before
        past = replace(HEARING, at="2027-02-20 10:00").body() | {"past": True}
        assert admin.post(PATH, past).status_code == 201


def test_a_representative_cannot_see_or_add_the_appointments_of_anothers_case(
    database_url: str, tmp_path: Path
) -> None:
    with office(database_url, tmp_path) as at:
        admin, app = at.admin, at.app
        # P3 is Bob's; Alice has P1 and P2.
        assert admin.post("/api/v1/cases/P3/appointments", HEARING.body()).status_code == 201
        alice = Api(admin.client, token_for(app, ALICE))
        before = table_counts(app.engine)
        refusals: list[httpx.Response] = [
            alice.get("/api/v1/cases/P3/appointments"),
            alice.post("/api/v1/cases/P3/appointments", MOVED.body()),
            alice.post("/api/v1/cases/P3/appointments/1/reschedule", {"local_start": MOVED.at}),
            alice.post("/api/v1/cases/P3/appointments/1/status",
                       {"status": "cancelled", "reason": "not mine"}),
        ]  # fmt: skip
        for response in refusals:
            assert response.status_code == 404, response.text
            assert response.json() == {"detail": "no case with external id or id 'P3'"}
        assert table_counts(app.engine) == before
        assert alice.get("/api/v1/cases/P1/appointments").json() == []
        assert alice.post("/api/v1/cases/P1/appointments", HEARING.body()).status_code == 201


# --- 5. the import ------------------------------------------------------------------------

WITH_APPOINTMENT = (*SPEC_COLUMNS, *APPOINTMENT_COLUMNS)


def appointment_row(given: Given = HEARING, **values: str) -> dict[str, str]:
    """Case A1 with `given` in the appointment columns, then `values` over them."""
    return a_case(external_id="A1", parole_expiry=EXPIRY) | given.columns() | values


def import_file(
    world: World, name: str, *rows: dict[str, str], columns: tuple[str, ...] = WITH_APPOINTMENT
) -> ImportReport:
    """Import `rows` as file `name` of `columns` at the world's clock; its report."""
    path = write_csv(world.tmp_path / name, rows, columns)
    return run_import(world.app, path, now=world.clock.now())


def stored_appointments(world: World) -> list[tuple[int, str, datetime, str, int | None]]:
    with session_scope(world.app.engine) as session:
        rows = session.exec(select(Appointment).order_by(col(Appointment.id))).all()
        return [
            (must_id(a.id), a.status.value, a.starts_at, a.place, a.replaced_by_id) for a in rows
        ]


def test_the_import_records_the_appointment_of_a_row_and_its_deadline(world: World) -> None:
    report = import_file(world, "cases.csv", appointment_row())
    assert (report.errors, report.created) == ([], 1)
    [(appointment, status, starts, place, replaced)] = stored_appointments(world)
    assert (status, starts, place, replaced) == ("scheduled", HEARING_STARTS, COURT, None)
    [deadline] = [d for d in world.deadlines("A1") if d.kind == "court_hearing"]
    assert (deadline.slot, deadline.date, deadline.act_by, deadline.starts_at) == (
        f"court_hearing:{appointment}", date(2027, 3, 16), date(2027, 3, 16), HEARING_STARTS,
    )  # fmt: skip
    [step] = listed(world.app, "A1")[0]["history"]
    assert (step["to"], step["reason"]) == ("scheduled", "imported")


def test_the_import_refuses_a_partial_or_impossible_appointment_naming_its_column(
    world: World,
) -> None:
    assert import_file(world, "seed.csv", a_case(external_id="S1"), columns=SPEC_COLUMNS).written
    before, values_before = table_counts(world.app.engine), snapshot(world.app.engine)
    partial = appointment_row(appointment_zone="", appointment_place="")
    bad_files: dict[str, tuple[list[dict[str, str]], tuple[str, ...], str, str]] = {
        "two columns empty": ([partial], WITH_APPOINTMENT, "appointment_zone",
                              "an appointment needs appointment_kind, appointment_at"),
        "a column missing": ([appointment_row()], WITH_APPOINTMENT[:-1], "appointment_place",
                             "an appointment needs"),
        "spring gap": ([appointment_row(REFUSALS["spring gap"][0])], WITH_APPOINTMENT,
                       "appointment_at", "does not exist in America/Chicago"),
        "abbreviated zone": ([appointment_row(REFUSALS["abbreviated zone"][0])],
                             WITH_APPOINTMENT, "appointment_zone", "not an IANA time zone"),
    }  # fmt: skip
    for name, (rows, columns, column, reason) in bad_files.items():
        report = import_file(world, "bad.csv", *rows, columns=columns)
        assert [(e.line, e.column) for e in report.errors] == [(2, column)], (name, report.errors)
        assert reason in report.errors[0].reason, (name, report.errors[0].reason)
        assert not report.written, name
    assert table_counts(world.app.engine) == before
    assert snapshot(world.app.engine) == values_before


def test_a_reimport_keeps_the_same_appointment_and_reschedules_a_new_time(world: World) -> None:
    assert import_file(world, "cases.csv", appointment_row()).created == 1
    [(first, *_)] = stored_appointments(world)
    values_before = snapshot(world.app.engine)

    world.clock.advance(timedelta(days=1))
    again = import_file(world, "cases.csv", appointment_row())
    assert (again.errors, again.created, again.updated, again.unchanged) == ([], 0, 0, 1)
    for table in ("appointment", "appointment_change", "deadline", "alert"):
        assert snapshot(world.app.engine)[table] == values_before[table], table

    moved = import_file(world, "moved.csv", appointment_row(MOVED))
    assert (moved.errors, moved.created, moved.updated) == ([], 0, 1)
    [old, new] = stored_appointments(world)
    assert old == (first, "rescheduled", HEARING_STARTS, COURT, new[0])
    assert new[1:] == ("scheduled", MOVED_STARTS, ANNEX, None)
    live = {d.slot for d in world.deadlines("A1") if d.kind == "court_hearing"}
    assert live == {f"court_hearing:{new[0]}"}
    # The file read once more changes nothing further.
    assert import_file(world, "moved.csv", appointment_row(MOVED)).unchanged == 1
    assert len(stored_appointments(world)) == 2


# --- 6. the calendar feeds ----------------------------------------------------------------


@dataclass(frozen=True)
class Timed:
    """What a test checks of one timed event (an appointment), as each parser reads it."""

    start: datetime  # in UTC
    location: str
    status: str
    sequence: int
    triggers: tuple[timedelta, ...]


def in_utc(start: datetime) -> datetime:
    """A start that must be aware (a floating time would be read in the machine's zone)."""
    assert start.tzinfo is not None and start.utcoffset() is not None, start
    return start.astimezone(UTC)


def relative(trigger: timedelta | datetime) -> timedelta:
    """An alarm's trigger, which must be relative to the start."""
    assert isinstance(trigger, timedelta), trigger
    return trigger


def by_icalendar(body: bytes) -> tuple[dict[str, Timed], set[str]]:
    """The timed events by UID, and the TZIDs the VTIMEZONEs define; every DTSTART's
    TZID must be one of them (RFC 5545 3.2.19)."""
    calendar = Calendar.from_ical(body)
    zones = {str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")}
    found = {}
    for event in calendar.walk("VEVENT"):
        start = event.decoded("DTSTART")
        if not isinstance(start, datetime):
            continue  # a deadline: all day
        assert event["DTSTART"].params["TZID"] in zones, event["DTSTART"].params
        found[str(event["UID"])] = Timed(
            start=in_utc(start),
            location=str(event["LOCATION"]),
            status=str(event["STATUS"]),
            sequence=int(event.decoded("SEQUENCE")),
            triggers=tuple(a.decoded("TRIGGER") for a in event.walk("VALARM")),
        )
    return found, zones


def by_vobject(body: bytes) -> dict[str, Timed]:
    found = {}
    for event in getattr(vobject.readOne(body.decode("utf-8")), "vevent_list", []):
        start = event.dtstart.value
        if not isinstance(start, datetime):
            continue
        found[event.uid.value] = Timed(
            start=in_utc(start),
            location=event.location.value,
            status=event.status.value,
            sequence=int(event.sequence.value),
            triggers=tuple(a.trigger.value for a in getattr(event, "valarm_list", [])),
        )
    return found


def by_ical(body: bytes) -> tuple[dict[str, Timed], set[str]]:
    calendar = IcsCalendarStream.calendar_from_ics(body.decode("utf-8"))
    found = {}
    for event in calendar.events:
        if not isinstance(event.dtstart, datetime):
            continue
        assert event.status is not None and event.location is not None
        found[event.uid] = Timed(
            start=in_utc(event.dtstart),
            location=event.location,
            status=str(event.status.value),
            sequence=int(event.sequence or 0),
            triggers=tuple(relative(a.trigger) for a in event.alarm),
        )
    return found, {zone.tz_id for zone in calendar.timezones}


def timed_events(world: World, token: str) -> dict[str, Timed]:
    """The feed's appointments by UID: icalendar and ical must read the same (vobject's
    reading is checked on its own, below)."""
    response = world.get(token)
    assert response.status_code == 200, response.text
    found, zones = by_icalendar(response.content)
    assert by_ical(response.content) == (found, zones)
    return found


def uid(world: World, appointment_id: int, ref: str = "A1") -> str:
    return f"{world.case_id(ref)}-appointment-{appointment_id}@parole-tracker"


ALARMS = (timedelta(days=-1), timedelta(hours=-2))
# After the autumn change: 09:00 EST in New York.
INTERVIEW = Given(kind="uscis_interview", at="2027-11-08 09:00", zone=NEW_YORK,
                  place="USCIS New York Field Office, 26 Federal Plaza, New York, NY")  # fmt: skip
INTERVIEW_STARTS = utc(2027, 11, 8, 14)


def test_the_feeds_show_appointments_as_timed_events_icalendar_and_ical_agree_on(
    world: World,
) -> None:
    world.import_rows(a_row("A1"), a_row("A2"))
    hearing, interview = add(world.app, "A1", HEARING), add(world.app, "A1", INTERVIEW)
    other = add(world.app, "A2", HEARING)
    case_token = world.issue(case="A1").token
    rep_token = world.issue(rep=REP).token

    ours = {
        uid(world, hearing): Timed(HEARING_STARTS, COURT, "CONFIRMED", 0, ALARMS),
        uid(world, interview): Timed(INTERVIEW_STARTS, INTERVIEW.place, "CONFIRMED", 0, ALARMS),
    }
    assert timed_events(world, case_token) == ours
    assert timed_events(world, rep_token) == ours | {
        uid(world, other, "A2"): Timed(HEARING_STARTS, COURT, "CONFIRMED", 0, ALARMS)
    }
    body = world.get(case_token).text
    assert f"DTSTART;TZID={CHICAGO}:20270316T130000\r\n" in body
    assert f"DTSTART;TZID={NEW_YORK}:20271108T090000\r\n" in body
    assert "TRIGGER:-P1D\r\n" in body and "TRIGGER:-PT2H\r\n" in body
    _, zones = by_icalendar(world.get(case_token).content)
    assert {CHICAGO, NEW_YORK} <= zones


def test_a_rescheduled_or_cancelled_appointment_shows_cancelled_under_its_uid(
    world: World,
) -> None:
    world.import_rows(a_row("A1"))
    old = add(world.app, "A1", HEARING)
    token = world.issue(case="A1").token
    before = timed_events(world, token)[uid(world, old)]

    world.clock.advance(timedelta(hours=1))
    new = reschedule(world.app, "A1", old)
    events = timed_events(world, token)
    assert set(events) == {uid(world, old), uid(world, new)}
    gone = events[uid(world, old)]
    assert (gone.start, gone.status, gone.triggers) == (HEARING_STARTS, "CANCELLED", ())
    assert gone.sequence > before.sequence
    assert events[uid(world, new)] == Timed(MOVED_STARTS, ANNEX, "CONFIRMED", 0, ALARMS)

    world.clock.advance(timedelta(hours=1))
    mark(world.app, "A1", new, AppointmentStatus.CANCELLED)
    cancelled = timed_events(world, token)[uid(world, new)]
    assert (cancelled.start, cancelled.status, cancelled.triggers) == (
        MOVED_STARTS, "CANCELLED", (),
    )  # fmt: skip
    assert cancelled.sequence > 0


def test_vobject_reads_the_same_instants_as_icalendar_and_ical(world: World) -> None:
    """vobject reads a TZID through the feed's VTIMEZONE (icalendar and ical go by the
    IANA name): the VTIMEZONE must give the same instant, in summer time too."""
    world.import_rows(a_row("A1"))
    hearing, interview = add(world.app, "A1", HEARING), add(world.app, "A1", INTERVIEW)
    body = world.get(world.issue(case="A1").token).content
    found, _ = by_icalendar(body)
    assert found[uid(world, hearing)].start == HEARING_STARTS
    assert found[uid(world, interview)].start == INTERVIEW_STARTS
    assert by_vobject(body) == found
