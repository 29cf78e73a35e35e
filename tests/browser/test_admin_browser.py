"""The admin in a real browser: sign in, review, act, import, and be refused."""

import re
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlmodel import select

from tests.builders import run_import
from tracker.bootstrap import App
from tracker.store.db import session_scope
from tracker.store.models import Case, Role

from ..conftest import EXAMPLE_CASES
from ..integration.admin_support import PASSWORD, add_user
from .conftest import LiveServer


def seed(app: App) -> None:
    assert run_import(app, EXAMPLE_CASES).errors == []
    add_user(app, "admin@example.org", Role.ADMIN)


def sign_in(page: Page, live: LiveServer, email: str) -> None:
    page.goto(f"{live.url}/admin")
    expect(page).to_have_url(re.compile(r"/admin/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def test_an_administrator_signs_in_and_sees_the_dashboard(
    site_app: App, live: LiveServer, page: Page, screenshots: Path
) -> None:
    seed(site_app)
    sign_in(page, live, "admin@example.org")
    expect(page.get_by_role("heading", name="Parole ends")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"\d+ within 90 days"))).to_be_visible()
    page.screenshot(path=str(screenshots / "dashboard.png"), full_page=True)


def test_staff_filter_open_a_case_change_its_status_and_see_the_message_planned(
    site_app: App, live: LiveServer, page: Page, screenshots: Path
) -> None:
    seed(site_app)
    sign_in(page, live, "admin@example.org")
    page.get_by_role("link", name="Expiring cases").click()
    page.get_by_label("Parole ends within (days)").fill("3650")
    page.get_by_label("Program").select_option("U4U")
    page.get_by_role("button", name="Show cases").click()
    rows = page.locator("table tbody tr")
    expect(rows.filter(has_text="E01")).to_have_count(1)
    expect(rows.filter(has_text="E02")).to_have_count(0)  # CHNV
    page.screenshot(path=str(screenshots / "expiring.png"), full_page=True)
    # E05's parole already ended while its re-parole was pending.
    page.get_by_label("Already ended").check()
    page.get_by_role("button", name="Show cases").click()
    expect(rows.filter(has_text="E05")).to_have_count(1)

    page.get_by_role("link", name="E05", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Case E05"))).to_be_visible()
    form = page.locator("#form-status")
    form.get_by_label("New status").select_option("paroled")
    form.get_by_label("Reason").fill("Re-parole approved; new I-94 received")
    form.get_by_label("New grant expiry").fill("2027-02-28")
    form.get_by_role("button", name="Change status").click()
    expect(page.get_by_role("status")).to_be_visible()
    messages = page.locator("table[aria-labelledby=messages] tbody tr")
    expect(
        messages.filter(has_text="planned").filter(has_text=re.compile("[Dd]ate changed"))
    ).to_have_count(1)
    page.screenshot(path=str(screenshots / "case.png"), full_page=True)


def test_an_upload_with_a_bad_row_shows_the_report_and_imports_nothing(
    site_app: App, live: LiveServer, page: Page, screenshots: Path, tmp_path: Path
) -> None:
    seed(site_app)
    bad = tmp_path / "clients.csv"
    lines = EXAMPLE_CASES.read_text(encoding="utf-8").splitlines()
    lines.append("N01,New Person,+1 202 555 0199,en,America/New_York,U4U,UA,2025-09-01,"
                 "2025-09-01,not-a-date,,,,,yes,,,")  # fmt: skip
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sign_in(page, live, "admin@example.org")
    page.get_by_role("link", name="Import").click()
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Check the file").click()
    report = page.locator("main")
    expect(report).to_contain_text("parole_expiry")
    expect(report).to_contain_text("not-a-date")
    expect(page.get_by_role("button", name="Confirm import")).to_have_count(0)
    page.screenshot(path=str(screenshots / "import-report.png"), full_page=True)


def test_a_representative_is_refused_another_representatives_case(
    site_app: App, live: LiveServer, page: Page, screenshots: Path
) -> None:
    seed(site_app)
    add_user(site_app, "rep@example.org", Role.REPRESENTATIVE)
    sign_in(page, live, "rep@example.org")
    own = page.goto(f"{live.url}/admin/cases/{case_id(site_app, 'E01')}")
    assert own is not None and own.status == 200
    other = page.goto(f"{live.url}/admin/cases/{case_id(site_app, 'E03')}")
    assert other is not None and other.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    page.screenshot(path=str(screenshots / "refused.png"), full_page=True)


def case_id(app: App, external_id: str) -> int:
    with session_scope(app.engine) as session:
        case = session.exec(select(Case).where(Case.external_id == external_id)).one()
        assert case.id is not None
        return case.id
