"""The admin's case page: what it shows, who may see it, and every action on it, each with
its refusal. Runs on SQLite and PostgreSQL; the clock is pinned at NOW."""

import re
from datetime import date
from pathlib import Path

import httpx
from markupsafe import escape
from sqlmodel import col, select

from tests.builders import BASE_COLUMNS, a_case, import_cases
from tracker.bootstrap import App
from tracker.cases.terminations import TerminationRequest, apply_termination
from tracker.domain.contact import LANGUAGES
from tracker.domain.model import AlertState, Decision, GrantSource, Program, Status
from tracker.sms.base import mask_phone
from tracker.store.db import session_scope
from tracker.store.models import (
    Alert,
    AuditEvent,
    Case,
    CaseAssignment,
    DeadlineRow,
    Filing,
    Grant,
    InboundMessage,
    Parolee,
    Role,
)
from tracker.web.admin.case_page import LANGUAGE_NAMES

from ..conftest import NOW, table_counts
from .admin_support import Browser, browser, representative_id

COLUMNS = (*BASE_COLUMNS, "a_number", "representative_name", "representative_email", "sms_consent")
NAME, PHONE = "Olena Testenko", "+12025550170"
ADMIN = "user:admin@example.org"
# An expiry 31 days after NOW: its 30-day reminder falls within the planning horizon.
SOON = "2026-12-30"


def load(app: App, tmp_path: Path, *rows: str, expiry: str = "2027-08-31") -> None:
    """Import cases; each row is external_id,representative email (or empty)."""
    cases = []
    for row in rows:
        ref, rep = row.split(",")
        cases.append(
            a_case(
                external_id=ref,
                full_name=NAME,
                phone=PHONE,
                language="uk",
                parole_expiry=expiry,
                a_number="A012345678",
                representative_name=rep.split("@")[0] if rep else "",
                representative_email=rep,
            )
        )
    assert import_cases(app, tmp_path / "cases.csv", cases, COLUMNS).errors == []


def case_id(app: App, ref: str = "P1") -> int:
    """The internal id of the case with external id `ref`."""
    with session_scope(app.engine) as session:
        found = session.exec(select(Case.id).where(Case.external_id == ref)).one()
    assert found is not None
    return found


def the_case(app: App, ref: str = "P1") -> tuple[Case, Parolee]:
    """The case and its person, as stored now."""
    with session_scope(app.engine) as session:
        return session.exec(
            select(Case, Parolee).join(Parolee).where(Case.external_id == ref)
        ).one()


def alerts(app: App) -> list[Alert]:
    """Every alert, oldest first."""
    with session_scope(app.engine) as session:
        return list(session.exec(select(Alert).order_by(col(Alert.id))).all())


def reminders(app: App) -> list[tuple[str, int, AlertState]]:
    """Kind, offset and state of every alert, oldest first."""
    return [(a.kind, a.offset_days, a.state) for a in alerts(app)]


def audits(app: App, action: str) -> list[AuditEvent]:
    """The audit rows of one action, oldest first."""
    with session_scope(app.engine) as session:
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id))
        return list(session.exec(query).all())


def refused(response: httpx.Response, message: str) -> None:
    """A 422 page that names the problem, and says nothing was saved."""
    assert response.status_code == 422, response.text
    assert "Nothing was saved" in response.text
    assert str(escape(message)) in response.text, response.text


def posted(admin: Browser, path: str, data: dict[str, str]) -> httpx.Response:
    """POST a form, expect the redirect back to the case page, and follow it."""
    response = admin.post_form(path, data, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert re.fullmatch(r"/admin/cases/\d+", response.headers["location"])
    page: httpx.Response = admin.client.get(response.headers["location"])
    return page


def test_it_shows_everything_about_a_case_and_audits_the_view(app: App, tmp_path: Path) -> None:
    load(app, tmp_path, "P1,rep@example.org")
    with session_scope(app.engine) as session:
        parolee = session.exec(select(Parolee)).one()
        session.add(
            InboundMessage(
                message_sid="SM1",
                parolee_id=parolee.id,
                body="DATES",
                intent="dates",
                reply="Your dates: ...",
                received_at=NOW,
            )
        )
        deadlines = session.exec(select(DeadlineRow)).all()
    with browser(app) as admin:
        page = admin.client.get(f"/admin/cases/{case_id(app)}")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    text = page.text
    assert f"Case P1: {NAME}" in text and "Parole expiry" in text
    for row in deadlines:
        assert str(escape(row.citation)) in text and f"{row.rule_id} v{row.rule_version}" in text
    # The welcome message, with its recipient masked; the reply; the consent history.
    assert mask_phone(PHONE) in text and "Welcome" in text
    assert "DATES" in text and "Your dates: ..." in text
    assert "<td>given</td><td>import</td><td>test</td>" in text
    assert "rep@example.org" in text and "A012345678" in text
    [view] = audits(app, "case.viewed")
    assert (view.actor, view.entity, view.entity_id, view.detail) == (
        ADMIN,
        "case",
        case_id(app),
        "{}",
    )


def test_an_unknown_case_is_not_found(app: App, tmp_path: Path) -> None:
    load(app, tmp_path, "P1,")
    with browser(app) as admin:
        assert admin.client.get("/admin/cases/9999").status_code == 404
        response = admin.post_form("/admin/cases/9999/sms/pause", {})
        assert response.status_code == 404 and "no case with id 9999" in response.text


ACTIONS = (
    "status",
    "grants",
    "filings",
    "sms/pause",
    "sms/resume",
    "contact",
    "representative",
    "alerts/1/resend",
)


def test_a_representative_sees_their_own_cases_only(app: App, tmp_path: Path) -> None:
    load(app, tmp_path, "P1,rep@example.org", "P2,other@example.org")
    mine, theirs = case_id(app, "P1"), case_id(app, "P2")
    with browser(app, "rep@example.org", Role.REPRESENTATIVE) as rep:
        assert rep.client.get(f"/admin/cases/{theirs}").status_code == 403
        before = table_counts(app.engine)
        for action in ACTIONS:
            response = rep.post_form(f"/admin/cases/{theirs}/{action}", {"reason": "x"})
            assert response.status_code == 403, action
        assert table_counts(app.engine) == before
        page = rep.client.get(f"/admin/cases/{mine}")
        assert page.status_code == 200
        # Reassigning is the organisation's decision: no form, and the action is refused.
        assert "other@example.org" not in page.text
        assert rep.post_form(f"/admin/cases/{mine}/representative", {}).status_code == 403
        posted(rep, f"/admin/cases/{mine}/sms/pause", {})
    assert the_case(app, "P1")[1].sms_paused_at == NOW


def test_a_form_without_its_csrf_token_changes_nothing(app: App, tmp_path: Path) -> None:
    load(app, tmp_path, "P1,")
    with browser(app) as admin:
        before = table_counts(app.engine)
        response = admin.client.post(
            f"/admin/cases/{case_id(app)}/status",
            data={"csrf": "forged", "target": "closed", "reason": "done"},
        )
    assert response.status_code == 403 and "did not come from this site" in response.text
    assert table_counts(app.engine) == before
    assert the_case(app)[0].status == Status.PAROLED


def options_of(page: str, select_id: str) -> list[str]:
    """The values a list on the page offers (its empty choice left out)."""
    found = re.search(rf'<select id="{select_id}".*?</select>', page, re.S)
    assert found, page
    return [v for v in re.findall(r'<option value="([^"]*)"', found.group(0)) if v]


def test_it_offers_only_the_moves_the_status_machine_allows(app: App, tmp_path: Path) -> None:
    load(app, tmp_path, "P1,")
    with browser(app) as admin:
        page = admin.client.get(f"/admin/cases/{case_id(app)}").text
        assert "paroled" not in options_of(page, "status-target")
        assert set(options_of(page, "status-target")) == {
            "reparole_pending",
            "other_status_pending",
            "expired",
            "departed",
            "status_obtained",
            "terminated",
            "closed",
        }
        page = posted(
            admin,
            f"/admin/cases/{case_id(app)}/status",
            {"target": "status_obtained", "reason": "green card"},
        ).text
        assert "The case is now status_obtained." in page
        assert options_of(page, "status-target") == ["closed"]


def test_a_re_parole_by_status_change_recomputes_deadlines_and_re_plans_messages(
    app: App, tmp_path: Path
) -> None:
    # Parole ends in 31 days: the 30-day reminder is due tomorrow, so it is planned.
    load(app, tmp_path, "P1,", expiry=SOON)
    assert ("parole_expiry", 30, AlertState.PLANNED) in reminders(app)
    path = f"/admin/cases/{case_id(app)}/status"
    with browser(app) as admin:
        posted(
            admin,
            path,
            {
                "target": "reparole_pending",
                "reason": "filed I-131",
                "form": "I-131",
                "receipt": "ioe 0912345678",
            },
        )
        page = posted(
            admin,
            path,
            {
                "target": "paroled",
                "reason": "re-parole approved",
                "effective": "2026-11-29",
                "new_expiry": "2027-11-28",
            },
        )
    assert f"Parole now ends 2027-11-28 (was {SOON})." in page.text
    case, _ = the_case(app)
    assert (case.status, case.end_date) == (Status.PAROLED, date(2027, 11, 28))
    with session_scope(app.engine) as session:
        grants = session.exec(select(Grant).order_by(col(Grant.id))).all()
        [filing] = session.exec(select(Filing)).all()
        expiry = session.exec(select(DeadlineRow).where(DeadlineRow.slot == "parole_expiry")).one()
    assert [g.source for g in grants] == [GrantSource.INITIAL, GrantSource.REPAROLE]
    assert (filing.receipt_number, filing.decision) == ("IOE0912345678", Decision.APPROVED)
    assert expiry.date == date(2027, 11, 28)
    # The reminder for the old date is withdrawn; the person is told the date moved.
    assert ("parole_expiry", 30, AlertState.CANCELLED) in reminders(app)
    assert ("date_changed", 0, AlertState.PLANNED) in reminders(app)
    assert [a.detail for a in audits(app, "case.status_changed")] == [
        '{"after": "reparole_pending", "before": "paroled"}',
        '{"after": "paroled", "before": "reparole_pending"}',
    ]


def test_an_illegal_move_is_refused_naming_the_legal_ones(app: App, tmp_path: Path) -> None:
    load(app, tmp_path, "P1,")
    path = f"/admin/cases/{case_id(app)}/status"
    with browser(app) as admin:
        posted(admin, path, {"target": "departed", "reason": "left", "effective": "2026-11-20"})
        before = table_counts(app.engine)
        response = admin.post_form(path, {"target": "expired", "reason": "ran out"})
        refused(
            response,
            "New status: a case cannot go from departed to expired; "
            "from departed it can go to: closed, paroled.",
        )
        # What was typed is kept, and the invalid field is marked for screen readers.
        assert "ran out" in response.text and 'aria-invalid="true"' in response.text
        assert table_counts(app.engine) == before
        assert len(audits(app, "case.viewed")) == 1  # the GET after the redirect only


def test_a_move_that_needs_a_date_says_so(app: App, tmp_path: Path) -> None:
    load(app, tmp_path, "P1,")
    path = f"/admin/cases/{case_id(app)}/status"
    with browser(app) as admin:
        before = table_counts(app.engine)
        refused(
            admin.post_form(path, {"target": "terminated", "reason": "notice"}),
            "Date: moving to terminated needs the date it happened.",
        )
        refused(
            admin.post_form(
                path, {"target": "terminated", "reason": "notice", "effective": "2026-02-30"}
            ),
            "Date: '2026-02-30' is not a date; write it as YYYY-MM-DD.",
        )
        refused(
            admin.post_form(path, {"target": "closed", "reason": " "}),
            "Reason: please fill this in.",
        )
        refused(
            admin.post_form(
                path, {"target": "reparole_pending", "reason": "filed", "receipt": "EAC2612345678"}
            ),
            "Form: a receipt number needs its form, for example I-131.",
        )
        assert table_counts(app.engine) == before


def test_it_adds_a_re_parole_grant(app: App, tmp_path: Path) -> None:
    load(app, tmp_path, "P1,")
    path = f"/admin/cases/{case_id(app)}/grants"
    with browser(app) as admin:
        before = table_counts(app.engine)
        refused(
            admin.post_form(path, {"start": "2027-09-01", "expiry": "2027-08-01"}),
            "Expiry: it is before the start (2027-09-01).",
        )
        refused(
            admin.post_form(path, {"start": "2025-01-01", "expiry": "2026-12-31"}),
            "Start: a re-parole grant starts after the current grant, which started 2025-09-01.",
        )
        assert table_counts(app.engine) == before
        page = posted(
            admin, path, {"start": "2027-08-31", "expiry": "2028-08-30", "note": "approved by mail"}
        )
    assert "Re-parole grant added. Parole now ends 2028-08-30." in page.text
    assert "approved by mail" in page.text
    with session_scope(app.engine) as session:
        grant = session.exec(select(Grant).where(Grant.source == GrantSource.REPAROLE)).one()
    assert (grant.start_date, grant.expiry_date, grant.recorded_by) == (
        date(2027, 8, 31),
        date(2028, 8, 30),
        ADMIN,
    )
    assert the_case(app)[0].end_date == date(2028, 8, 30)
    assert len(audits(app, "case.grant_added")) == 1


def test_it_adds_a_filing(app: App, tmp_path: Path) -> None:
    load(app, tmp_path, "P1,")
    path = f"/admin/cases/{case_id(app)}/filings"
    with browser(app) as admin:
        before = table_counts(app.engine)
        refused(
            admin.post_form(path, {"form": "I-589", "receipt": "EAC12", "filed": "2026-11-01"}),
            "Receipt number: a receipt number is 3 letters and 10 digits, like EAC2612345678.",
        )
        refused(
            admin.post_form(path, {"form": "I-589", "filed": "2026-11-30"}),
            "Filed on: it is after today (2026-11-29).",
        )
        refused(
            admin.post_form(path, {"filed": "2026-11-01"}), "Form: choose the form that was filed."
        )
        assert table_counts(app.engine) == before
        page = posted(
            admin, path, {"form": "I-589", "receipt": "eac 26 123 45678", "filed": "2026-11-01"}
        )
        assert "I-589 filing added. The case is other_status_pending." in page.text
        # The same receipt number cannot be on two filings.
        refused(
            admin.post_form(
                path, {"form": "I-765", "receipt": "EAC2612345678", "filed": "2026-11-02"}
            ),
            "Receipt number: receipt EAC2612345678 is already recorded on another filing.",
        )
    with session_scope(app.engine) as session:
        filing = session.exec(select(Filing)).one()
    assert (filing.receipt_number, filing.filed_date) == ("EAC2612345678", date(2026, 11, 1))
    assert the_case(app)[0].status == Status.OTHER_STATUS_PENDING


def test_it_assigns_a_representative_and_calendars_follow(app: App, tmp_path: Path) -> None:
    load(app, tmp_path, "P1,rep@example.org", "P2,other@example.org")
    path = f"/admin/cases/{case_id(app)}/representative"
    other = representative_id(app, "other@example.org")
    with browser(app) as admin:
        refused(
            admin.post_form(path, {"representative": "99999"}),
            "Representative: that representative does not exist.",
        )
        refused(
            admin.post_form(path, {"representative": "x"}),
            "Representative: choose one from the list.",
        )
        page = posted(admin, path, {"representative": str(other)})
        assert "Representative assigned." in page.text
        assert f'<option value="{other}" selected>' in page.text
        posted(admin, path, {"representative": ""})
    case, _ = the_case(app)
    assert case.representative_id is None
    with session_scope(app.engine) as session:
        held = session.exec(select(CaseAssignment).where(CaseAssignment.case_id == case.id)).all()
        sequences = session.exec(
            select(DeadlineRow.sequence).where(DeadlineRow.case_id == case.id)
        ).all()
    assert [a.unassigned_at for a in held] == [NOW, NOW]
    assert min(sequences) >= 2  # each change told calendar clients to replace the events
    assert [a.detail for a in audits(app, "case.representative_assigned")] == [
        f'{{"representative": {other}}}',
        '{"representative": null}',
    ]


def test_pausing_holds_every_message_and_resuming_plans_them_again(
    app: App, tmp_path: Path
) -> None:
    load(app, tmp_path, "P1,", expiry=SOON)
    planned = [("welcome", 0, AlertState.PLANNED), ("parole_expiry", 30, AlertState.PLANNED)]
    assert sorted(reminders(app)) == sorted(planned)
    base = f"/admin/cases/{case_id(app)}/sms"
    with browser(app) as admin:
        page = posted(admin, f"{base}/pause", {})
        assert "SMS paused" in page.text and "Resume SMS" in page.text
        assert {(a.state, a.reason) for a in alerts(app)} == {(AlertState.CANCELLED, "SMS paused")}
        assert the_case(app)[1].sms_paused_at == NOW
        page = posted(admin, f"{base}/resume", {})
        assert "SMS resumed" in page.text and "Pause SMS" in page.text
    assert sorted(reminders(app)) == sorted(planned)
    assert all(a.due_at >= NOW and a.reason is None for a in alerts(app))
    assert the_case(app)[1].sms_paused_at is None
    assert len(audits(app, "sms.paused")) == len(audits(app, "sms.resumed")) == 1


def fail(app: App, alert_id: int) -> None:
    """Make an alert failed, as the dispatcher leaves one that gave up."""
    with session_scope(app.engine) as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        alert.state, alert.attempts, alert.error_code = AlertState.FAILED, 5, 30008
        alert.reason, alert.provider_sid = "undelivered (transient)", "SM123"
        session.add(alert)


def test_a_failed_message_can_be_sent_again(app: App, tmp_path: Path) -> None:
    load(app, tmp_path, "P1,", "P2,")
    first, second = alerts(app)
    path = f"/admin/cases/{case_id(app)}/alerts/{first.id}/resend"
    with browser(app) as admin:
        refused(
            admin.post_form(path, {}),
            "Only a failed message can be sent again; this one is planned.",
        )
        fail(app, must(first.id))
        fail(app, must(second.id))
        page = admin.client.get(f"/admin/cases/{case_id(app)}").text
        assert "Send again" in page and "30008" in page
        # Another case's message is not this case's to resend.
        other = f"/admin/cases/{case_id(app)}/alerts/{second.id}/resend"
        assert admin.post_form(other, {}).status_code == 404
        page = posted(admin, path, {}).text
        assert "will be sent again" in page
    resent, untouched = alerts(app)
    assert (resent.state, resent.due_at, resent.attempts, resent.error_code) == (
        AlertState.PLANNED,
        NOW,
        0,
        None,
    )
    assert (resent.reason, resent.provider_sid) == (f"resent by {ADMIN}", None)
    assert untouched.state == AlertState.FAILED
    [row] = audits(app, "alert.resent")
    assert (
        row.detail == f'{{"alert": {first.id}, "previous_error": 30008, "previous_sid": "SM123"}}'
    )


def must(value: int | None) -> int:
    """An id that must be there."""
    assert value is not None
    return value


def test_it_corrects_contact_data_as_the_import_checks_it(app: App, tmp_path: Path) -> None:
    load(app, tmp_path, "P1,")
    path = f"/admin/cases/{case_id(app)}/contact"
    good = {
        "full_name": "Olena Novak",
        "phone": "(202) 555-0199",
        "language": "prs",
        "timezone": "America/Chicago",
        "a_number": "a 98765432",
    }
    with session_scope(app.engine) as session:
        sequences = dict(session.exec(select(DeadlineRow.slot, DeadlineRow.sequence)).all())
    with browser(app) as admin:
        before = table_counts(app.engine)
        for field, value, message in [
            (
                "phone",
                "12345",
                "Phone: not a valid phone number (US numbers may omit +1; "
                "others need +country code).",
            ),
            (
                "timezone",
                "Mars/Olympus_Mons",
                "Time zone: not an IANA time zone such as America/New_York.",
            ),
            (
                "language",
                "de",
                "Language: unsupported language; use en, es, uk, ru, ht, fa-AF (or prs) or ps.",
            ),
            ("a_number", "B12", "A-number: an A-number is A followed by 7 to 9 digits"),
            ("full_name", "", "Name: enter the person's full name."),
        ]:
            refused(admin.post_form(path, {**good, field: value}), message)
        refused(
            admin.post_form(path, {**good, "phone": ""}),
            "Phone: the person agreed to SMS reminders, so the number cannot be removed.",
        )
        assert table_counts(app.engine) == before
        page = posted(admin, path, good).text
        assert "Contact details saved: A-number, name, language, phone, time zone." in page
    _, person = the_case(app)
    assert (person.full_name, person.phone, person.language, person.timezone, person.a_number) == (
        "Olena Novak",
        "+12025550199",
        "fa-AF",
        "America/Chicago",
        "098765432",
    )
    with session_scope(app.engine) as session:
        after = dict(session.exec(select(DeadlineRow.slot, DeadlineRow.sequence)).all())
    assert all(after[slot] == sequences[slot] + 1 for slot in sequences)  # calendars renamed
    # The welcome not yet sent goes to the new number, in the new language.
    [welcome] = alerts(app)
    assert (welcome.recipient, welcome.state, welcome.language) == (
        "+12025550199",
        AlertState.PLANNED,
        "fa-AF",
    )
    [row] = audits(app, "case.contact_changed")
    assert row.detail == '{"fields": "a_number,full_name,language,phone,timezone"}'


def test_saving_unchanged_contact_data_changes_nothing(app: App, tmp_path: Path) -> None:
    load(app, tmp_path, "P1,")
    same = {
        "full_name": NAME,
        "phone": PHONE,
        "language": "uk",
        "timezone": "America/New_York",
        "a_number": "A012345678",
    }
    with browser(app) as admin:
        page = posted(admin, f"/admin/cases/{case_id(app)}/contact", same)
    assert "Nothing changed in the contact details." in page.text
    assert audits(app, "case.contact_changed") == []


def test_the_contact_form_offers_every_language_the_import_accepts() -> None:
    assert set(LANGUAGE_NAMES) == set(LANGUAGES.values())


# --- facts, decisions, fee notices and termination notices (issue 13) --------------------


def test_it_saves_the_facts_the_rules_read(app: App, tmp_path: Path) -> None:
    load(app, tmp_path, "P1,")
    path = f"/admin/cases/{case_id(app)}/facts"
    with browser(app) as admin:
        before = table_counts(app.engine)
        refused(
            admin.post_form(path, {"birth_date": "2026-12-01"}),
            "The date of birth 2026-12-01 is after today (2026-11-29).",
        )
        refused(
            admin.post_form(path, {"work_permit_category": "eleven"}),
            "Work permit category: not a work permit category such as c11, a05, c08 or a12.",
        )
        assert table_counts(app.engine) == before
        page = posted(
            admin, path,
            {"birth_date": "2010-01-15", "work_permit_category": "C11",
             "work_permit_expiry": "2028-02-01", "parole_fee_due": "2026-12-20"},
        )  # fmt: skip
        assert "Saved: birth date, work permit category, work permit expiry, parole fee due." in (
            page.text
        )
        assert 'value="c11"' in page.text and "capped at parole end" in page.text
        case, person = the_case(app)
        assert (person.birth_date, case.work_permit_expiry) == (
            date(2010, 1, 15), date(2028, 2, 1),
        )  # fmt: skip
        # An emptied field empties its fact.
        page = posted(admin, path, {"birth_date": "2010-01-15"})
        assert "Saved: work permit category, work permit expiry, parole fee due." in page.text
    case, _ = the_case(app)
    assert case.work_permit_category is None and case.parole_fee_due is None


def test_it_records_a_decision_on_a_pending_filing(app: App, tmp_path: Path) -> None:
    load(app, tmp_path, "P1,")
    cid = case_id(app)
    with browser(app) as admin:
        posted(admin, f"/admin/cases/{cid}/filings", {"form": "I-589", "filed": "2026-11-01"})
        with session_scope(app.engine) as session:
            filing = session.exec(select(Filing).where(Filing.case_id == cid)).one()
        path = f"/admin/cases/{cid}/decisions"
        before = table_counts(app.engine)
        refused(
            admin.post_form(path, {"filing": str(filing.id), "decision": "denied",
                                   "on": "2026-10-01"}),
            "Decided on: the decision date 2026-10-01 is before the I-589 was filed (2026-11-01).",
        )  # fmt: skip
        refused(
            admin.post_form(path, {"filing": str(filing.id), "on": "2026-11-20"}),
            "Decision: choose what USCIS decided.",
        )
        assert table_counts(app.engine) == before
        page = posted(
            admin, path, {"filing": str(filing.id), "decision": "denied", "on": "2026-11-20"}
        )
        assert "Decision recorded: denied on 2026-11-20." in page.text
        assert "Record a decision" not in page.text  # nothing pending is left
    assert the_case(app)[0].status == Status.PAROLED


def test_it_records_a_yearly_asylum_fee_notice(app: App, tmp_path: Path) -> None:
    load(app, tmp_path, "P1,")
    cid = case_id(app)
    with browser(app) as admin:
        posted(admin, f"/admin/cases/{cid}/filings", {"form": "I-589", "filed": "2025-12-01"})
        with session_scope(app.engine) as session:
            filing = session.exec(select(Filing).where(Filing.case_id == cid)).one()
        page = posted(
            admin,
            f"/admin/cases/{cid}/fee-notices",
            {"filing": str(filing.id), "due": "2026-12-31"},
        )
        assert "Fee notice recorded: due 2026-12-31." in page.text
    with session_scope(app.engine) as session:
        rows = session.exec(
            select(DeadlineRow).where(
                DeadlineRow.case_id == cid, DeadlineRow.kind == "annual_asylum_fee_due"
            )
        ).all()
        fees = sorted(r.date for r in rows)
    assert fees == [date(2026, 12, 31), date(2027, 12, 1)]


def test_it_records_an_individual_termination_notice(app: App, tmp_path: Path) -> None:
    load(app, tmp_path, "P1,")
    cid = case_id(app)
    request = TerminationRequest(
        program=Program.U4U, effective=date(2026, 12, 15), citation="notice-based test",
        notice_date=date(2026, 11, 15), on_notice=True,
    )  # fmt: skip
    with session_scope(app.engine) as session:
        tid = apply_termination(session, request, app.policies, NOW, "test").termination_id
    path = f"/admin/cases/{cid}/termination-notices"
    with browser(app) as admin:
        page = admin.client.get(f"/admin/cases/{cid}")
        assert "no individual notice recorded" in page.text
        refused(
            admin.post_form(path, {"termination": str(tid), "received": "2026-11-01"}),
            "Received on: the notice's date 2026-11-01 is before the termination was published",
        )
        page = posted(admin, path, {"termination": str(tid), "received": "2026-11-20"})
        assert "Notice recorded: received 2026-11-20. Parole now ends 2026-12-15" in page.text
        board = admin.client.get("/admin/terminations")
        assert "No individual notice recorded" not in board.text
