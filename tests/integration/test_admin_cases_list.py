"""The expiring-cases list and its CSV: filters, search, sort, keyset pages, scope.

Runs on SQLite and PostgreSQL; today is 2026-11-29 (the pinned clock, in New York)."""

import csv
import html
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from tests.builders import import_cases
from tracker.accounts.users import Caller
from tracker.bootstrap import App
from tracker.cases.listing import CaseFilters, every_page
from tracker.domain.model import Status
from tracker.store.db import session_scope
from tracker.store.models import AuditEvent, Case, Parolee, Role
from tracker.web.admin.cases_list import CSV_FIELDS

from ..conftest import NOW
from .admin_support import Browser, browser, representative_id

TODAY = date(2026, 11, 29)
COLUMNS = ("external_id", "full_name", "program", "arrival_date", "parole_start", "parole_expiry",
           "representative_name", "representative_email", "receipt_number", "form_type",
           "filed_date")  # fmt: skip
HYPERLINK = '=HYPERLINK("http://evil.example/x","click me")'
ALICE, BOB = "alice@example.org", "bob@example.org"
NAMES = {ALICE: "Alice Advocate", BOB: "Bob Counsel"}
ROW = re.compile(r'<th scope="row"><a href="/admin/cases/\d+">([^<]+)</a></th>')
NEXT = re.compile(r'<a href="([^"]+)" rel="next">')


def ends(days: int) -> str:
    return (TODAY + timedelta(days=days)).isoformat()


def load(app: App, tmp_path: Path, rows: list[dict[str, str]]) -> None:
    """Import `rows` (missing columns empty) as the CLI would."""
    cases = [
        {
            "program": "U4U",
            "arrival_date": "2025-09-01",
            "parole_start": "2025-09-01",
            "representative_name": NAMES.get(row.get("representative_email", ""), ""),
            **row,
        }
        for row in rows
    ]
    report = import_cases(app, tmp_path / "cases.csv", cases, COLUMNS)
    assert report.errors == [] and report.written, report.errors


def the_cases(app: App, tmp_path: Path) -> None:
    """A small office: one case for each filter to find or leave out."""
    load(app, tmp_path, [
        {"external_id": "SOON", "full_name": "Olena Testenko", "parole_expiry": ends(21),
         "representative_email": ALICE},
        {"external_id": "FILED", "full_name": "José López Example", "program": "OAW",
         "parole_expiry": ends(47), "representative_email": BOB,
         "receipt_number": "IOE0912345678", "form_type": "I-131", "filed_date": "2026-10-01"},
        {"external_id": "LATER", "full_name": "Maria Sample", "program": "CHNV",
         "parole_expiry": ends(200)},
        {"external_id": "ENDED", "full_name": "Ended Example", "parole_expiry": ends(-30),
         "representative_email": ALICE},
        {"external_id": "MUTE", "full_name": "Quiet Example", "parole_expiry": ends(60)},
        {"external_id": "DONE", "full_name": "Closed Example", "parole_expiry": ends(10)},
        {"external_id": "EVIL", "full_name": HYPERLINK, "parole_expiry": ends(30)},
    ])  # fmt: skip
    with session_scope(app.engine) as session:
        for case, parolee in session.exec(select(Case, Parolee).join(Parolee)).all():
            if case.external_id == "MUTE":
                parolee.unreachable_at = NOW
                parolee.sms_consent_withdrawn_at = NOW
                session.add(parolee)
            if case.external_id == "DONE":
                case.status = Status.CLOSED
                session.add(case)


def listed(user: Browser, query: str = "") -> list[str]:
    """The external ids on the first page of /admin/cases?query, in order."""
    page = user.client.get(f"/admin/cases?{query}")
    assert page.status_code == 200, page.text
    return ROW.findall(page.text)


def exported(user: Browser, query: str = "") -> list[dict[str, str]]:
    response = user.client.get(f"/admin/cases.csv?{query}")
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["SOON", "EVIL", "FILED", "MUTE"]),
        ("within=30", ["SOON", "EVIL"]),
        ("within=0", []),
        ("ended=1", ["ENDED"]),
        ("program=OAW&within=3650", ["FILED"]),
        ("program=chnv&within=3650", ["LATER"]),
        ("status=closed", ["DONE"]),
        ("status=reparole_pending", ["FILED"]),
        ("within=90&nothing_filed=1", ["SOON", "EVIL", "MUTE"]),
        ("within=3650&unreachable=1", ["MUTE"]),
        ("representative=none&within=3650", ["EVIL", "MUTE", "LATER"]),
        ("q=olena", ["SOON"]),
        ("q=LOPEZ+jose", ["FILED"]),
        ("q=lop", []),
        ("q=LATER&within=3650", ["LATER"]),
        ("q=later&within=3650", []),
        ("q=ioe-0912345678", ["FILED"]),
        ("q=Maria", []),
        ("q=Maria&within=3650", ["LATER"]),
        ("within=3650&sort=end_desc", ["LATER", "MUTE", "FILED", "EVIL", "SOON"]),
        ("within=3650&sort=external_id", ["EVIL", "FILED", "LATER", "MUTE", "SOON"]),
    ],
)
def test_it_filters_searches_and_sorts(
    app: App, tmp_path: Path, query: str, expected: list[str]
) -> None:
    the_cases(app, tmp_path)
    with browser(app, "staff@example.org", Role.STAFF) as staff:
        assert listed(staff, query) == expected


def test_it_filters_by_representative_and_shows_the_columns(app: App, tmp_path: Path) -> None:
    the_cases(app, tmp_path)
    alice = representative_id(app, ALICE)
    with browser(app) as admin:
        assert listed(admin, f"representative={alice}&within=3650") == ["SOON"]
        assert listed(admin, f"representative={alice}&ended=1") == ["ENDED"]
        page = admin.client.get("/admin/cases?within=3650").text
    row = page[page.index(">FILED<") :].split("</tr>")[0]
    for shown in (
        "José López Example",
        "OAW",
        "reparole pending",
        "2027-01-15",
        ">47<",
        "Bob Counsel",
    ):
        assert shown in row, shown
    assert "Nothing filed" not in row and "act by" in row
    mute = page[page.index(">MUTE<") :].split("</tr>")[0]
    assert "Unreachable" in mute and "Opted out" in mute and "Nothing filed" in mute
    assert "=HYPERLINK(&#34;http" in page


def test_pages_follow_each_other_without_gaps_or_repeats(app: App, tmp_path: Path) -> None:
    # Seven cases a day: pages must break ties between equal end dates by id.
    load(app, tmp_path, [
        {"external_id": f"C{n:03}", "full_name": f"Person Number{n}",
         "parole_expiry": ends(10 + n // 7)}
        for n in range(120)
    ])  # fmt: skip
    with browser(app, "staff@example.org", Role.STAFF) as staff:
        for sort in ("end", "end_desc", "external_id"):
            seen: list[str] = []
            sizes: list[int] = []
            link = f"/admin/cases?within=3650&sort={sort}"
            while link:
                page = staff.client.get(link)
                assert page.status_code == 200
                assert ("First page" in page.text) == bool(sizes)
                assert "offset" not in link
                sizes.append(len(ROW.findall(page.text)))
                seen += ROW.findall(page.text)
                found = NEXT.search(page.text)
                link = html.unescape(found.group(1)) if found else ""
            assert sizes == [50, 50, 20] and len(set(seen)) == 120, sort
            if sort == "end":
                assert seen == [f"C{n:03}" for n in range(120)]
            if sort == "end_desc":
                assert seen[:8] == [f"C{n:03}" for n in range(119, 111, -1)]
            if sort == "external_id":
                assert seen == sorted(seen)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("within=soon", "Parole ends within"),
        ("within=-1", "Parole ends within"),
        ("within=99999999", "Parole ends within"),
        ("program=XYZ", "Program"),
        ("status=pending", "Status"),
        ("representative=alice", "Representative"),
        ("sort=name", "Sort by"),
        ("ended=maybe", "Already ended"),
        ("after=garbage", "Next page"),
        ("after=2026-13-45.7", "Next page"),
        ("sort=external_id&after=C001", "Next page"),
        ("q=" + "x" * 201, "Search"),
    ],
)
def test_a_bad_parameter_is_named_on_the_page(app: App, query: str, field: str) -> None:
    with browser(app, "staff@example.org", Role.STAFF) as staff:
        for path in ("/admin/cases", "/admin/cases.csv"):
            page = staff.client.get(f"{path}?{query}")
            assert page.status_code == 422, page.text
            summary = page.text.split("Please check the filters")[1].split("</ul>")[0]
            assert f">{field}: " in summary, summary
            assert 'aria-invalid="true"' in page.text or field == "Next page"


def test_a_representative_sees_only_their_own_cases(app: App, tmp_path: Path) -> None:
    the_cases(app, tmp_path)
    bob = representative_id(app, BOB)
    with browser(app, ALICE, Role.REPRESENTATIVE) as alice:
        assert listed(alice, "within=3650") == ["SOON"]
        assert listed(alice, "ended=1") == ["ENDED"]
        # The representative filter is not theirs to widen their scope with.
        assert listed(alice, f"within=3650&representative={bob}") == ["SOON"]
        assert listed(alice, "q=jose+lopez&within=3650") == []
        assert 'name="representative"' not in alice.client.get("/admin/cases").text
        assert [r["external_id"] for r in exported(alice, "within=3650")] == ["SOON"]


def test_the_csv_holds_every_matching_case_made_safe(app: App, tmp_path: Path) -> None:
    the_cases(app, tmp_path)
    with browser(app) as admin:
        response = admin.client.get("/admin/cases.csv?within=3650&q=example")
        rows = exported(admin, "within=3650")
        none = admin.client.get("/admin/cases.csv?program=FRP").text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="cases-2026-11-29.csv"'
    # "evil.example" in the formula is a whole word "example" too.
    assert [r["external_id"] for r in csv.DictReader(io.StringIO(response.text))] == [
        "EVIL", "FILED", "MUTE"]  # fmt: skip
    assert [r["external_id"] for r in rows] == ["SOON", "EVIL", "FILED", "MUTE", "LATER"]
    evil = rows[1]
    assert evil["name"] == "'" + HYPERLINK
    assert rows[2] == {
        "external_id": "FILED", "name": "José López Example", "program": "OAW",
        "status": "reparole_pending", "end": "2027-01-15", "days_left": "47",
        "next_deadline": rows[2]["next_deadline"], "next_act_by": rows[2]["next_act_by"],
        "representative": "Bob Counsel", "nothing_filed": "no", "unreachable": "no",
        "opted_out": "no",
    }  # fmt: skip
    assert rows[2]["next_deadline"] and rows[2]["next_act_by"] >= TODAY.isoformat()
    assert (rows[3]["unreachable"], rows[3]["opted_out"], rows[3]["nothing_filed"]) == (
        "yes", "yes", "yes")  # fmt: skip
    assert none.splitlines() == [",".join(CSV_FIELDS)]
    with session_scope(app.engine) as session:
        events = session.exec(
            select(AuditEvent)
            .where(AuditEvent.action == "cases.exported")
            .order_by(col(AuditEvent.id))
        ).all()
    assert len(events) == 3
    assert all("example" not in e.detail and "López" not in e.detail for e in events)
    assert '"searched": 1' in events[0].detail and '"within": 3650' in events[0].detail


def test_an_export_reads_the_cases_a_page_at_a_time(app: App, tmp_path: Path) -> None:
    load(app, tmp_path, [
        {"external_id": f"C{n:03}", "full_name": f"Person Number{n}", "parole_expiry": ends(n)}
        for n in range(12)
    ])  # fmt: skip
    everyone = Caller(0, "staff@example.org", Role.STAFF, None)
    pages = every_page(app.engine, CaseFilters(), today=TODAY, caller=everyone, size=5)
    assert [[row.case.external_id for row in page] for page in pages] == [
        ["C000", "C001", "C002", "C003", "C004"],
        ["C005", "C006", "C007", "C008", "C009"],
        ["C010", "C011"],
    ]
