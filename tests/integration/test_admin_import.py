"""The admin's import page: a dry run that writes nothing, then a confirm that imports all
or nothing, once, by the person who uploaded the file. Runs on SQLite and PostgreSQL."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from tests.builders import FILING_COLUMNS, header, run_import
from tracker.bootstrap import App
from tracker.clock import FixedClock
from tracker.importer.rows import REQUIRED
from tracker.store.db import session_scope
from tracker.store.models import AuditEvent, Case, ImportUpload, Role
from tracker.web.app import create_app

from ..conftest import NOW, table_counts
from .admin_support import Browser, add_user, browser, sign_in

HEADER = header(*REQUIRED, *FILING_COLUMNS)
GOOD = (
    HEADER
    + "W1,Olena Testenko,U4U,2025-09-01,2025-09-01,2027-08-31,,,\n"
    + "W2,José López Example,CHNV,2025-01-10,2025-01-10,2027-01-09,IOE0912345678,I-131,2026-10-01\n"
)
CONFIRM = re.compile(r'action="/admin/import/(\d+)/confirm"')
# Tables an upload may write to: the audit trail, and the kept file (a clean one only).
BOOKKEEPING = ("audit_event", "import_upload")


def upload(user: Browser, content: bytes, name: str = "cases.csv") -> httpx.Response:
    """POST the file as the import form does (multipart, with the CSRF token)."""
    response: httpx.Response = user.client.post(
        "/admin/import", data={"csrf": user.csrf}, files={"file": (name, content, "text/csv")}
    )
    return response


def confirm(user: Browser, upload_id: str) -> httpx.Response:
    return user.post_form(f"/admin/import/{upload_id}/confirm", {})


def upload_id_of(page: httpx.Response) -> str:
    found = CONFIRM.search(page.text)
    assert found, page.text
    return found.group(1)


@contextmanager
def signed_in(app: App, email: str) -> Iterator[Browser]:
    """Another browser, signed in as an existing user."""
    with TestClient(create_app(app)) as client:
        yield Browser(client, sign_in(client, email), email)


def case_data(app: App) -> dict[str, int]:
    return {n: c for n, c in table_counts(app.engine).items() if n not in BOOKKEEPING}


def actions(app: App) -> list[str]:
    with session_scope(app.engine) as session:
        rows = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    return [row.action for row in rows if row.action.startswith("import")]


def test_a_dry_run_lists_every_bad_row_and_writes_nothing(app: App) -> None:
    bad = (
        HEADER
        + "B1,Good Row,U4U,2025-09-01,2025-09-01,2027-08-31,,,\n"
        + "B2,Bad Date,U4U,2025-09-01,2025-09-01,2027-02-30,,,\n"
        + "B3,Bad Program,ZZZ,2025-09-01,2025-09-01,2027-08-31,,,\n"
        + "B1,Twice Over,U4U,2025-09-01,2025-09-01,2027-08-31,,,\n"
    )
    with browser(app, "staff@example.org", Role.STAFF) as staff:
        before = table_counts(app.engine)
        page = upload(staff, bad.encode())
    assert page.status_code == 422
    assert "3 row(s) have problems" in page.text and "Confirm import" not in page.text
    rows = re.findall(r"<tr>\s*<td class=\"num\">(\d+)</td>\s*<td>([^<]*)</td>\s*"
                      r"<td>([^<]*)</td>\s*<td>([^<]*)</td>", page.text)  # fmt: skip
    assert [(line, column, value) for line, column, value, _ in rows] == [
        ("3", "parole_expiry", "2027-02-30"),
        ("4", "program", "ZZZ"),
        ("5", "external_id", "B1"),
    ]
    assert "no such date in the calendar" in rows[0][3]
    assert "duplicate external_id: already on line 2" in rows[2][3]
    after = table_counts(app.engine)
    assert {n: c for n, c in after.items() if n != "audit_event"} == {
        n: c for n, c in before.items() if n != "audit_event"
    }
    assert actions(app) == ["import.uploaded"]


def test_a_clean_file_is_imported_once_on_confirmation(app: App) -> None:
    with browser(app, "staff@example.org", Role.STAFF) as staff:
        before = case_data(app)
        checked = upload(staff, GOOD.encode(), "my file.csv")
        assert checked.status_code == 200, checked.text
        assert "Every row is fine" in checked.text and "my file.csv" in checked.text
        assert re.search(r"New cases</th><td class=\"num\">2<", checked.text)
        assert case_data(app) == before  # the dry run wrote no case
        upload_id = upload_id_of(checked)
        done = confirm(staff, upload_id)
        assert done.status_code == 200, done.text
        assert "Cases imported" in done.text
        assert re.search(r"New cases</th><td class=\"num\">2<", done.text)
        again = confirm(staff, upload_id)
        assert again.status_code == 409 and "already been imported" in again.text
    with session_scope(app.engine) as session:
        ids = session.exec(select(Case.external_id).order_by(col(Case.external_id))).all()
        kept = session.exec(select(ImportUpload)).one()
    assert ids == ["W1", "W2"]
    assert kept.imported_at == NOW and kept.content == ""  # no copy kept after the import
    assert actions(app) == ["import.uploaded", "import", "import.confirmed"]


def test_reimporting_the_same_file_changes_nothing(app: App) -> None:
    with browser(app, "staff@example.org", Role.STAFF) as staff:
        confirm(staff, upload_id_of(upload(staff, GOOD.encode())))
        checked = upload(staff, GOOD.encode())
        assert re.search(r"Cases unchanged</th><td class=\"num\">2<", checked.text)
        assert re.search(r"New cases</th><td class=\"num\">0<", checked.text)


def test_a_confirm_imports_nothing_if_the_file_has_gone_bad_since(app: App, tmp_path: Path) -> None:
    with browser(app, "staff@example.org", Role.STAFF) as staff:
        upload_id = upload_id_of(upload(staff, GOOD.encode()))
        # Meanwhile someone records W2's receipt number on another case.
        other = tmp_path / "other.csv"
        other.write_text(
            HEADER + "X9,Other Person,U4U,2025-09-01,2025-09-01,2027-08-31,IOE0912345678,I-131,"
            "2026-10-01\n"
        )
        assert run_import(app, other).written
        before = case_data(app)
        page = confirm(staff, upload_id)
        assert page.status_code == 422
        assert "Nothing was imported" in page.text and "already on another case" in page.text
        assert case_data(app) == before
        # Not spent: it can be confirmed again (here, once the other case gives the number up).
        assert confirm(staff, upload_id).status_code == 422
    with session_scope(app.engine) as session:
        assert session.exec(select(ImportUpload)).one().imported_at is None


def test_only_the_uploader_may_confirm_within_the_hour(app: App) -> None:
    add_user(app, "other@example.org", Role.ADMIN)
    with browser(app, "staff@example.org", Role.STAFF) as staff:
        upload_id = upload_id_of(upload(staff, GOOD.encode()))
        with signed_in(app, "other@example.org") as other:
            refused = confirm(other, upload_id)
        assert refused.status_code == 403 and "uploaded by someone else" in refused.text
        assert isinstance(app.clock, FixedClock)
        app.clock.instant += timedelta(minutes=61)
        expired = confirm(staff, upload_id)
        assert expired.status_code == 410 and "more than an hour old" in expired.text
        missing = confirm(staff, "999999")
        assert missing.status_code == 404 and "Upload the file again" in missing.text
        forged = staff.client.post(f"/admin/import/{upload_id}/confirm", data={"csrf": "x"})
        assert forged.status_code == 403
    with session_scope(app.engine) as session:
        assert session.exec(select(Case)).all() == []


def test_a_representative_may_not_import(app: App) -> None:
    with browser(app, "rep@example.org", Role.REPRESENTATIVE) as rep:
        assert rep.client.get("/admin/import").status_code == 403
        refused = upload(rep, GOOD.encode())
        assert refused.status_code == 403 and "Only administrators and staff" in refused.text
    assert actions(app) == []


def test_a_file_that_is_not_utf8_is_refused_plainly(app: App) -> None:
    latin1 = GOOD.replace("W2", "W3").encode("latin-1")
    with browser(app, "staff@example.org", Role.STAFF) as staff:
        before = table_counts(app.engine)
        page = upload(staff, latin1)
    assert page.status_code == 422
    assert "not saved as UTF-8" in page.text and 'save it as "CSV UTF-8"' in page.text.replace(
        "&#34;", '"'
    )
    assert table_counts(app.engine) == before


@pytest.mark.parametrize("overhead", [64 * 1024, 0])
def test_a_file_over_the_limit_is_refused_plainly(
    app: App, monkeypatch: pytest.MonkeyPatch, overhead: int
) -> None:
    # A small limit stands in for 20 MB; `overhead` 0 refuses on the announced length alone.
    monkeypatch.setattr("tracker.importer.uploads.MAX_BYTES", 100)
    monkeypatch.setattr("tracker.web.admin.imports.FORM_OVERHEAD", overhead)
    with browser(app, "staff@example.org", Role.STAFF) as staff:
        before = table_counts(app.engine)
        page = upload(staff, GOOD.encode())
    assert page.status_code == 413 and "Split it into smaller files" in page.text
    assert table_counts(app.engine) == before


def test_an_empty_file_or_none_at_all_is_refused_plainly(app: App) -> None:
    with browser(app, "staff@example.org", Role.STAFF) as staff:
        empty = upload(staff, b"")
        none = upload(staff, b"", name="")
    assert empty.status_code == 422 and "The file is empty" in empty.text
    assert none.status_code == 422 and "Choose a CSV file to upload" in none.text


def test_the_form_is_labelled_and_takes_csv_files(app: App) -> None:
    with browser(app, "staff@example.org", Role.STAFF) as staff:
        page = staff.client.get("/admin/import")
    assert page.status_code == 200
    assert '<label for="f-file">CSV file</label>' in page.text
    assert 'type="file" accept=".csv,text/csv"' in page.text
    assert 'enctype="multipart/form-data"' in page.text
