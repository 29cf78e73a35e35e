"""Calendar feeds end to end: cases imported, a token issued, GET/HEAD /feeds/{token}.ics
through the FastAPI app, and every body parsed by icalendar and by vobject, which must agree.
"""

import base64
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import vobject
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import inspect, text
from sqlmodel import col, select

from tests.builders import (
    PUBLIC,
    MovableClock,
    a_case,
    an_app,
    config_with,
    run_import,
    web_client,
    write_csv,
)
from tracker.bootstrap import App
from tracker.cases.edit import case_edit
from tracker.feeds.tokens import Issued, issue, revoke, rotate
from tracker.store.db import session_scope
from tracker.store.models import (
    Case,
    DeadlineRow,
    FeedToken,
    NoticeKind,
    Representative,
    StaffNotice,
    must_id,
)
from tracker.uscis.history import resolve_notice

from ..conftest import EXAMPLE_CASES, NOW, ROOT

CALENDAR = "text/calendar; charset=utf-8"
REP = "rep@example.org"
OTHER = "other@example.org"
NAME = "Olena Kovalenko Example"
PHONE_DIGITS = "2025550170"
A_NUMBER = "123456789"


@dataclass
class Event:
    """What a test checks of one VEVENT, read by icalendar (and confirmed by vobject)."""

    uid: str
    start: date
    end: date
    summary: str
    description: str
    sequence: int
    status: str
    stamp: datetime
    last_modified: datetime
    triggers: list[timedelta] = field(default_factory=list)


@dataclass
class World:
    """The application on a movable clock, and its web app."""

    app: App
    clock: MovableClock
    web: TestClient
    tmp_path: Path

    def import_rows(self, *rows: dict[str, str], name: str = "cases.csv") -> None:
        self.import_path(write_csv(self.tmp_path / name, rows))

    def import_path(self, path: Path) -> None:
        assert run_import(self.app, path, now=self.clock.now()).errors == []

    def issue(
        self, *, rep: str | None = None, case: str | None = None, privacy: str = "minimal"
    ) -> Issued:
        with session_scope(self.app.engine) as session:
            issued = issue(
                session, now=self.clock.now(), actor="test", representative_email=rep,
                case_ref=case, privacy=privacy,
            )  # fmt: skip
            session.expunge(issued.row)
            return issued

    def get(
        self, token: str, headers: dict[str, str] | None = None, client: TestClient | None = None
    ) -> httpx.Response:
        response: httpx.Response = (client or self.web).get(
            f"/feeds/{token}.ics", headers=headers or {}
        )
        return response

    def events(self, token: str) -> dict[str, Event]:
        response = self.get(token)
        assert response.status_code == 200, response.text
        return parse(response.content)

    def case_id(self, external_id: str) -> int:
        with session_scope(self.app.engine) as session:
            case = session.exec(select(Case).where(Case.external_id == external_id)).one()
            assert case.id is not None
            return case.id

    def deadlines(self, external_id: str) -> list[DeadlineRow]:
        with session_scope(self.app.engine) as session:
            rows = session.exec(
                select(DeadlineRow)
                .join(Case)
                .where(Case.external_id == external_id, col(DeadlineRow.cancelled_at).is_(None))
            ).all()
            for row in rows:
                session.expunge(row)
            return list(rows)

    def token_row(self, token_id: int) -> FeedToken:
        with session_scope(self.app.engine) as session:
            row = session.get(FeedToken, token_id)
            assert row is not None
            session.expunge(row)
            return row


def make_world(database_url: str, tmp_path: Path, config_dir: Path) -> Iterator[World]:
    clock = MovableClock(NOW)
    app = an_app(database_url, clock, config_dir=config_dir, public_base_url=PUBLIC)
    with web_client(app) as web:
        yield World(app, clock, web, tmp_path)
    app.engine.dispose()


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    yield from make_world(database_url, tmp_path, ROOT / "config")


def a_row(
    external_id: str = "C1",
    *,
    name: str = NAME,
    expiry: str = "2027-08-31",
    work_permit: str = "",
    rep: str = REP,
    phone: str = "+1 202 555 0170",
) -> dict[str, str]:
    return a_case(
        external_id=external_id,
        full_name=name,
        phone=phone,
        parole_expiry=expiry,
        work_permit_expiry=work_permit,
        a_number=f"A{A_NUMBER}",
        representative_name="Other Rep" if rep == OTHER else "Example Rep",
        representative_email=rep,
    )


def _day(value: Any) -> date:
    assert isinstance(value, date) and not isinstance(value, datetime), value
    return value


def parse(body: bytes) -> dict[str, Event]:
    """The events of a feed by UID, read by icalendar; vobject must read the same."""
    calendar = Calendar.from_ical(body)
    events: dict[str, Event] = {}
    for component in calendar.walk("VEVENT"):
        uid = str(component["UID"])
        assert uid not in events, f"duplicate UID {uid}"
        events[uid] = Event(
            uid=uid,
            start=_day(component.decoded("DTSTART")),
            end=_day(component.decoded("DTEND")),
            summary=str(component["SUMMARY"]),
            description=str(component.get("DESCRIPTION", "")),
            sequence=int(component.decoded("SEQUENCE")),
            status=str(component.get("STATUS", "")),
            stamp=component.decoded("DTSTAMP"),
            last_modified=component.decoded("LAST-MODIFIED"),
            triggers=[a.decoded("TRIGGER") for a in component.walk("VALARM")],
        )
    other = vobject.readOne(body.decode("utf-8"))
    seen = {}
    for vevent in getattr(other, "vevent_list", []):
        seen[vevent.uid.value] = (
            vevent.dtstart.value,
            vevent.dtend.value,
            vevent.summary.value,
            vevent.description.value if hasattr(vevent, "description") else "",
            int(vevent.sequence.value),
            vevent.status.value if hasattr(vevent, "status") else "",
            [a.trigger.value for a in getattr(vevent, "valarm_list", [])],
        )
    assert seen == {
        e.uid: (
            e.start, e.end, e.summary, e.description, e.sequence, e.status, e.triggers
        )
        for e in events.values()
    }  # fmt: skip
    return events


def unfolded(body: bytes) -> str:
    """The body with folded lines joined and text escapes undone, to search for values."""
    joined = body.decode("utf-8").replace("\r\n ", "").replace("\r\n\t", "")
    return joined.replace("\\,", ",").replace("\\;", ";").replace("\\n", "\n")


def alarm_instants(event: Event) -> list[datetime]:
    """When the alarms ring, relative to the all-day start at local midnight."""
    midnight = datetime.combine(event.start, time(0))
    return sorted(midnight + trigger for trigger in event.triggers)


# --- the feed and its events ---------------------------------------------------------------


def test_it_serves_the_example_representatives_deadlines_readable_by_both_parsers(
    world: World,
) -> None:
    world.import_path(EXAMPLE_CASES)
    token = world.issue(rep=REP).token

    response = world.get(token)

    assert response.status_code == 200
    assert response.headers["content-type"] == CALENDAR
    assert response.headers["cache-control"].startswith("private")
    assert response.headers["etag"].startswith('"')
    assert parsedate_to_datetime(response.headers["last-modified"]) == NOW
    events = parse(response.content)
    expected = {
        f"{world.case_id(ext)}-{d.slot}@parole-tracker": (ext, d)
        for ext in ("E01", "E02")
        for d in world.deadlines(ext)
    }
    assert set(events) == set(expected)
    assert len(events) > 5
    initials = {"E01": "E.P.O.", "E02": "E.P.T."}
    for uid, (ext, deadline) in expected.items():
        event = events[uid]
        assert (event.start, event.end) == (deadline.date, deadline.date + timedelta(days=1))
        assert event.summary.endswith(f": {initials[ext]} ({ext})"), event.summary
        assert event.status == "CONFIRMED"
        assert event.sequence == 0
        assert deadline.citation in event.description
        assert f"{PUBLIC}/admin/cases/{deadline.case_id}" in event.description
        assert f"Act by {deadline.act_by.isoformat()}" in event.description
        # Default alarms: 30 and 7 days before act_by, at 09:00.
        at_nine = [datetime.combine(deadline.act_by - timedelta(days=n), time(9)) for n in (30, 7)]
        assert alarm_instants(event) == at_nine
    text_body = response.content.decode("utf-8")
    assert "X-WR-CALNAME:Parole deadlines\r\n" in text_body
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT6H\r\n" in text_body
    assert "X-PUBLISHED-TTL:PT6H\r\n" in text_body
    assert "Example Parolee" not in unfolded(response.content)


def test_it_follows_the_configured_alarms_reminders_and_refresh(
    database_url: str, tmp_path: Path
) -> None:
    config = config_with(
        tmp_path, "feeds.toml", alarm_days="[14, 0]", reminder_events="true", refresh_hours="12"
    )
    for world in make_world(database_url, tmp_path, config):
        world.import_rows(a_row())
        token = world.issue(rep=REP).token
        response = world.get(token)
        assert response.status_code == 200
        assert "REFRESH-INTERVAL;VALUE=DURATION:PT12H\r\n" in response.text
        assert "X-PUBLISHED-TTL:PT12H\r\n" in response.text
        events = parse(response.content)
        deadlines = world.deadlines("C1")
        for deadline in deadlines:
            uid = f"{deadline.case_id}-{deadline.slot}@parole-tracker"
            at_nine = [
                datetime.combine(deadline.act_by - timedelta(days=n), time(9)) for n in (14, 0)
            ]
            assert alarm_instants(events[uid]) == at_nine
            for days in (14, 0):
                reminder = events[
                    f"{deadline.case_id}-{deadline.slot}-reminder-{days}@parole-tracker"
                ]
                assert reminder.start == deadline.act_by - timedelta(days=days)
                assert reminder.summary.startswith("Reminder: ")
        assert len(events) == 3 * len(deadlines)


def test_it_shows_initials_and_the_case_reference_only_at_minimal_privacy(world: World) -> None:
    world.import_rows(a_row())
    token = world.issue(rep=REP, privacy="minimal").token

    body = world.get(token).content

    events = parse(body)
    assert events
    assert all(e.summary.endswith(": O.K.E. (C1)") for e in events.values())
    for text_body in (body.decode("utf-8"), unfolded(body)):
        for secret in ("Olena", "Kovalenko", NAME, PHONE_DIGITS, "555 0170", A_NUMBER):
            assert secret not in text_body, secret


def test_it_shows_the_name_but_no_phone_or_a_number_at_full_privacy(world: World) -> None:
    world.import_rows(a_row())
    token = world.issue(rep=REP, privacy="full").token

    body = world.get(token).content

    events = parse(body)
    assert events
    assert all(e.summary.endswith(f": {NAME} (C1)") for e in events.values())
    for text_body in (body.decode("utf-8"), unfolded(body)):
        for secret in (PHONE_DIGITS, "555 0170", A_NUMBER):
            assert secret not in text_body, secret


def test_it_keeps_the_uid_and_raises_sequence_when_the_expiry_changes(world: World) -> None:
    world.import_rows(a_row(expiry="2027-08-31"))
    token = world.issue(rep=REP).token
    first = world.get(token)
    uid = f"{world.case_id('C1')}-parole_expiry@parole-tracker"
    before = parse(first.content)[uid]

    world.clock.advance(timedelta(days=1))
    world.import_rows(a_row(expiry="2027-09-30"))
    second = world.get(token)

    after = parse(second.content)[uid]
    assert before.start == date(2027, 8, 31)
    assert after.start == date(2027, 9, 30)
    assert after.sequence == before.sequence + 1
    assert after.last_modified == NOW + timedelta(days=1)
    assert before.last_modified == NOW
    assert second.headers["etag"] != first.headers["etag"]
    assert parsedate_to_datetime(second.headers["last-modified"]) == NOW + timedelta(days=1)
    # The client's old validators no longer match.
    again = world.get(token, {"If-None-Match": first.headers["etag"]})
    assert again.status_code == 200
    again = world.get(token, {"If-Modified-Since": first.headers["last-modified"]})
    assert again.status_code == 200


def test_it_renders_an_unchanged_feed_to_the_same_bytes_later(world: World) -> None:
    world.import_rows(a_row())
    token = world.issue(rep=REP).token

    first = world.get(token)
    world.clock.advance(timedelta(hours=5))
    second = world.get(token)

    assert first.content == second.content
    assert first.headers["etag"] == second.headers["etag"]
    assert first.headers["last-modified"] == second.headers["last-modified"]
    assert {e.stamp for e in parse(second.content).values()} == {NOW}


# --- conditional requests, HEAD ------------------------------------------------------------


def test_it_answers_304_to_a_matching_if_none_match_or_if_modified_since(world: World) -> None:
    world.import_rows(a_row())
    token = world.issue(rep=REP).token
    first = world.get(token)
    etag, modified = first.headers["etag"], first.headers["last-modified"]

    by_etag = world.get(token, {"If-None-Match": etag})
    by_list = world.get(token, {"If-None-Match": f'"nope", {etag}'})
    by_date = world.get(token, {"If-Modified-Since": modified})
    later = format_datetime(NOW + timedelta(days=1), usegmt=True)
    by_later_date = world.get(token, {"If-Modified-Since": later})

    for response in (by_etag, by_list, by_date, by_later_date):
        assert response.status_code == 304
        assert response.content == b""
        assert response.headers["etag"] == etag
        assert response.headers["last-modified"] == modified
        assert response.headers["cache-control"].startswith("private")
    earlier = format_datetime(NOW - timedelta(seconds=1), usegmt=True)
    assert world.get(token, {"If-Modified-Since": earlier}).status_code == 200
    assert world.get(token, {"If-None-Match": '"other"'}).status_code == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2).
    both = world.get(token, {"If-None-Match": '"other"', "If-Modified-Since": modified})
    assert both.status_code == 200
    assert world.get(token, {"If-Modified-Since": "not a date"}).status_code == 200


def test_it_answers_304_to_a_weak_if_none_match(world: World) -> None:
    """RFC 9110 13.1.2: If-None-Match uses the weak comparison; a proxy that compresses
    (nginx gzip) turns the strong ETag into W/"...", and clients send that back."""
    world.import_rows(a_row())
    token = world.issue(rep=REP).token
    etag = world.get(token).headers["etag"]

    assert world.get(token, {"If-None-Match": f"W/{etag}"}).status_code == 304


def test_it_answers_if_modified_since_with_200_after_a_name_change(world: World) -> None:
    """A renamed parolee changes a full-privacy feed's SUMMARY; a client validating with
    If-Modified-Since only must not be told the feed is unchanged."""
    world.import_rows(a_row(name="Olena Kovalenko Example"))
    token = world.issue(rep=REP, privacy="full").token
    first = world.get(token)

    world.clock.advance(timedelta(days=1))
    world.import_rows(a_row(name="Olena Petrenko Example"))
    changed = world.get(token)
    assert "Olena Petrenko Example" in changed.text
    assert changed.headers["etag"] != first.headers["etag"]

    again = world.get(token, {"If-Modified-Since": first.headers["last-modified"]})
    assert again.status_code == 200, (
        "Last-Modified stayed at the deadlines' changed_at although the body changed"
    )


def test_it_answers_head_with_the_headers_of_get_and_no_body(world: World) -> None:
    world.import_rows(a_row())
    token = world.issue(rep=REP).token

    got = world.get(token)
    head: httpx.Response = world.web.head(f"/feeds/{token}.ics")

    assert head.status_code == 200
    assert head.content == b""
    for name in ("etag", "last-modified", "cache-control", "content-type"):
        assert head.headers[name] == got.headers[name], name
    assert head.headers["content-length"] == str(len(got.content))
    etag = got.headers["etag"]
    conditional: httpx.Response = world.web.head(
        f"/feeds/{token}.ics", headers={"If-None-Match": etag}
    )
    assert conditional.status_code == 304


def test_it_records_every_fetch_in_last_used_at(world: World) -> None:
    world.import_rows(a_row())
    issued = world.issue(rep=REP)
    assert world.token_row(issued.row.id or 0).last_used_at is None

    etag = world.get(issued.token).headers["etag"]
    assert world.token_row(issued.row.id or 0).last_used_at == NOW
    world.clock.advance(timedelta(hours=1))
    world.web.head(f"/feeds/{issued.token}.ics")
    assert world.token_row(issued.row.id or 0).last_used_at == NOW + timedelta(hours=1)
    world.clock.advance(timedelta(hours=1))
    assert world.get(issued.token, {"If-None-Match": etag}).status_code == 304
    assert world.token_row(issued.row.id or 0).last_used_at == NOW + timedelta(hours=2)


# --- tokens: 404, revoke, rotate, storage --------------------------------------------------


def test_it_answers_unknown_malformed_and_revoked_tokens_with_the_same_404(world: World) -> None:
    world.import_rows(a_row())
    issued = world.issue(rep=REP)
    assert world.get(issued.token).status_code == 200
    with session_scope(world.app.engine) as session:
        revoke(session, issued.row.id or 0, world.clock.now(), "test")

    revoked = world.get(issued.token)
    unknown = world.get(issued.token[:-2] + ("AA" if not issued.token.endswith("AA") else "BB"))
    malformed = world.get("x")

    for response in (revoked, unknown, malformed):
        assert response.status_code == 404
        assert response.content == revoked.content
        assert response.headers["content-type"] == revoked.headers["content-type"]
        assert "etag" not in response.headers
    assert b"revoked" not in revoked.content.lower()
    head: httpx.Response = world.web.head(f"/feeds/{issued.token}.ics")
    assert head.status_code == 404


def test_it_gives_a_new_url_on_rotate_and_404_on_the_old_one(world: World) -> None:
    world.import_rows(a_row())
    old = world.issue(rep=REP, privacy="full")
    before = world.get(old.token)
    with session_scope(world.app.engine) as session:
        new = rotate(session, old.row.id or 0, world.clock.now(), "test")
        new_token, new_id = new.token, new.row.id

    assert new_token != old.token
    assert world.get(old.token).status_code == 404
    after = world.get(new_token)
    assert after.status_code == 200
    assert set(parse(after.content)) == set(parse(before.content))
    assert NAME in after.text  # same privacy level
    assert world.token_row(new_id or 0).privacy == "full"


def test_it_stores_only_a_hash_of_a_token_of_at_least_128_random_bits(world: World) -> None:
    world.import_rows(a_row())
    issued = [world.issue(rep=REP), world.issue(case="C1"), world.issue(rep=REP)]
    with session_scope(world.app.engine) as session:
        rotated = rotate(session, issued[2].row.id or 0, world.clock.now(), "test").token
    tokens = [i.token for i in issued] + [rotated]

    assert len(set(tokens)) == len(tokens)
    for token in tokens:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        assert len(raw) * 8 >= 128
        assert world.token_row(issued[0].row.id or 0).token_hash != token
    with session_scope(world.app.engine) as session:
        hashes = set(session.exec(select(FeedToken.token_hash)).all())
    assert hashes == {hashlib.sha256(t.encode()).hexdigest() for t in tokens}
    # Nothing in any table holds a token's text.
    dump = []
    with world.app.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                dump.append(repr(tuple(row)))
    everything = "\n".join(dump)
    for token in tokens:
        assert token not in everything
        assert token[:16] not in everything


# --- what a feed covers --------------------------------------------------------------------


def test_it_shows_only_its_case_on_a_case_token(world: World) -> None:
    world.import_rows(a_row("C1"), a_row("C2", phone="+1 202 555 0171"))
    token = world.issue(case="C1").token

    response = world.get(token)

    events = parse(response.content)
    c1 = world.case_id("C1")
    assert set(events) == {f"{c1}-{d.slot}@parole-tracker" for d in world.deadlines("C1")}
    assert "(C2)" not in response.text


def test_it_keeps_a_vanished_deadline_cancelled_for_cancelled_days_then_drops_it(
    world: World,
) -> None:
    world.import_rows(a_row(work_permit="2027-03-01"))
    token = world.issue(rep=REP).token
    uid = f"{world.case_id('C1')}-work_permit_expiry@parole-tracker"
    before = world.events(token)[uid]
    assert before.status == "CONFIRMED"

    world.clock.advance(timedelta(days=1))
    world.import_rows(a_row(work_permit=""))
    gone_at = world.clock.now()
    cancelled = world.events(token)[uid]

    assert cancelled.status == "CANCELLED"
    assert cancelled.sequence == before.sequence + 1
    assert cancelled.last_modified == gone_at
    assert cancelled.triggers == []
    world.clock.advance(timedelta(days=29))
    assert world.events(token)[uid].status == "CANCELLED"
    world.clock.advance(timedelta(days=2))
    later = world.events(token)
    assert uid not in later
    assert later  # the other deadlines stay


def _to_other_by_import(world: World) -> None:
    world.import_rows(a_row(rep=OTHER))


def _to_other_by_service(world: World) -> None:
    with session_scope(world.app.engine) as session:
        case = session.exec(select(Case).where(Case.external_id == "C1")).one()
        other = session.exec(select(Representative).where(Representative.email == OTHER)).one()
        now, policies = world.clock.now(), world.app.policies
        with case_edit(session, case, by="test", policies=policies, now=now) as edit:
            assert edit.representative(other.id)


@pytest.mark.parametrize("move", [_to_other_by_import, _to_other_by_service])
def test_it_cancels_a_moved_case_in_the_first_feed_and_adds_it_to_the_second(
    world: World, move: Callable[[World], None]
) -> None:
    world.import_rows(a_row("C1"), a_row("K9", rep=OTHER, phone="+1 202 555 0171"))
    first_token = world.issue(rep=REP).token
    second_token = world.issue(rep=OTHER).token
    c1 = {f"{world.case_id('C1')}-{d.slot}@parole-tracker" for d in world.deadlines("C1")}
    before = world.events(first_token)
    assert set(before) == c1
    assert not c1 & set(world.events(second_token))
    first_etag = world.get(first_token).headers["etag"]

    world.clock.advance(timedelta(days=1))
    move(world)
    first = world.get(first_token)
    after = parse(first.content)
    second = world.events(second_token)

    assert first.headers["etag"] != first_etag
    assert world.get(first_token, {"If-None-Match": first_etag}).status_code == 200
    assert set(after) == c1
    for uid in c1:
        assert after[uid].status == "CANCELLED"
        assert after[uid].sequence > before[uid].sequence
        assert after[uid].triggers == []
        assert second[uid].status == "CONFIRMED"
    world.clock.advance(timedelta(days=31))
    assert not c1 & set(world.events(first_token))
    assert c1 <= set(world.events(second_token))


# --- rate limit ----------------------------------------------------------------------------


def test_it_limits_each_client_to_the_configured_rate(database_url: str, tmp_path: Path) -> None:
    config = config_with(tmp_path, "feeds.toml", rate_limit_per_minute="3")
    for world in make_world(database_url, tmp_path, config):
        world.import_rows(a_row())
        token = world.issue(rep=REP).token
        other = TestClient(world.web.app, client=("203.0.113.9", 40000))

        codes = [world.get(token).status_code for _ in range(3)]
        limited = world.get(token)
        unknown_limited = world.get("x")

        assert codes == [200, 200, 200]
        assert limited.status_code == 429
        assert "retry-after" in limited.headers
        assert unknown_limited.status_code == 429
        assert world.get(token, client=other).status_code == 200


def test_it_raises_sequence_again_when_a_moved_case_comes_back(world: World) -> None:
    """The first feed showed the events CANCELLED at SEQUENCE n+1; when the case returns,
    the CONFIRMED events must come with a higher SEQUENCE, or clients keep them cancelled."""
    world.import_rows(a_row("C1"), a_row("K9", rep=OTHER, phone="+1 202 555 0171"))
    token = world.issue(rep=REP).token
    world.clock.advance(timedelta(days=1))
    world.import_rows(a_row("C1", rep=OTHER), name="away.csv")
    cancelled = world.events(token)
    assert {e.status for e in cancelled.values()} == {"CANCELLED"}

    world.clock.advance(timedelta(days=1))
    world.import_rows(a_row("C1", rep=REP), name="back.csv")
    back = world.events(token)

    assert set(back) == set(cancelled)
    for uid, event in back.items():
        assert event.status == "CONFIRMED"
        assert event.sequence > cancelled[uid].sequence, uid


def test_it_answers_if_modified_since_with_200_when_a_case_arrives(world: World) -> None:
    """A case assigned to a representative adds events to their feed, though none of its
    deadlines changed: Last-Modified must move past what the client last saw."""
    world.import_rows(a_row("C1"), a_row("K9", rep=OTHER, phone="+1 202 555 0171"))
    token = world.issue(rep=OTHER).token
    first = world.get(token)

    world.clock.advance(timedelta(days=1))
    _to_other_by_service(world)
    arrived = world.get(token)
    assert f"({'C1'})" in arrived.text
    assert arrived.headers["etag"] != first.headers["etag"]

    again = world.get(token, {"If-Modified-Since": first.headers["last-modified"]})
    assert again.status_code == 200, "Last-Modified did not move when the case arrived"


# --- USCIS requests for evidence -----------------------------------------------------------


def test_it_shows_a_uscis_rfe_response_date_until_it_is_dealt_with(world: World) -> None:
    world.import_rows(a_row())
    token = world.issue(rep=REP).token
    case_id = world.case_id("C1")
    with session_scope(world.app.engine) as session:
        dated, undated = (
            StaffNotice(
                case_id=case_id, kind=NoticeKind.USCIS_RFE, message="Request for evidence.",
                due_date=due, created_at=world.clock.now(),
            )
            for due in (date(2027, 1, 20), None)
        )  # fmt: skip
        session.add_all([dated, undated])
        session.flush()
        notice_id = must_id(dated.id)
    uid = f"{case_id}-uscis-rfe-{notice_id}@parole-tracker"

    events = world.events(token)
    event = events[uid]
    assert (event.start, event.end, event.status, event.sequence) == (
        date(2027, 1, 20), date(2027, 1, 21), "CONFIRMED", 0,
    )  # fmt: skip
    assert event.summary == "Respond to USCIS request for evidence: O.K.E. (C1)"
    assert event.description.startswith(
        "Act by 2027-01-20. Source: USCIS case status (request for evidence). Case: "
    )
    assert "Request for evidence." not in unfolded(world.get(token).content)  # no USCIS text
    assert [u for u in events if "uscis-rfe" in u] == [uid]  # none without a date
    assert uid in world.events(world.issue(case="C1").token)

    world.clock.advance(timedelta(days=1))
    with session_scope(world.app.engine) as session:
        resolve_notice(session, notice_id, actor="test", now=world.clock.now())
    cancelled = world.events(token)[uid]
    assert (cancelled.status, cancelled.sequence) == ("CANCELLED", 1)
    assert cancelled.last_modified == world.clock.now()
    assert cancelled.triggers == []
    world.clock.advance(timedelta(days=31))
    assert uid not in world.events(token)
