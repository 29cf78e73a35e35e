"""A person's data: consent history, export, erasure."""

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import SQLModel, select

from tests.builders import BASE_COLUMNS, a_case, import_cases
from tracker.bootstrap import App
from tracker.cases.edit import StatusRequest, case_edit
from tracker.cases.repository import find_case
from tracker.domain.model import AlertState, Status
from tracker.errors import ConfigError
from tracker.privacy.person import erase_person, export_person, person_of
from tracker.privacy.retention import parse_retention, run_retention
from tracker.store.db import session_scope
from tracker.store.models import Alert, AuditEvent, ConsentEvent, StatusChange

from ..conftest import NOW, ROOT, table_counts

NAME, PHONE, A_NUMBER = "Olena Testenko", "+12025550170", "A012345678"
TRACKER = Path(sys.executable).with_name("tracker")


def load(app: App, tmp_path: Path, consent: str = "yes") -> None:
    row = a_case(
        external_id="P1",
        full_name=NAME,
        phone=PHONE,
        language="uk",
        a_number=A_NUMBER,
        sms_consent=consent,
    )
    columns = (*BASE_COLUMNS, "a_number", "sms_consent")
    assert import_cases(app, tmp_path / f"case-{consent}.csv", [row], columns).errors == []


def every_text(app: App) -> str:
    """Every value of every table as text, decrypted: what someone holding the keys sees."""
    parts = []
    with app.engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in connection.execute(table.select()):
                parts += [str(value) for value in row]
    return "\n".join(parts)


def test_it_keeps_the_consent_history_of_an_import_and_its_withdrawal(
    app: App, tmp_path: Path
) -> None:
    load(app, tmp_path, "yes")
    load(app, tmp_path, "yes")  # no change, no new step
    load(app, tmp_path, "no")
    with session_scope(app.engine) as session:
        steps = session.exec(select(ConsentEvent).order_by(ConsentEvent.id)).all()  # type: ignore[arg-type]
    assert [(s.given, s.how, s.actor, s.at) for s in steps] == [
        (True, "import", "test", NOW),
        (False, "import", "test", NOW),
    ]


def test_it_exports_everything_held_about_the_person(app: App, tmp_path: Path) -> None:
    load(app, tmp_path)
    with session_scope(app.engine) as session:
        data = export_person(session, person_of(session, "P1"))
    assert (data["parolee"]["full_name"], data["parolee"]["phone"]) == (NAME, PHONE)
    assert data["parolee"]["a_number"] == A_NUMBER[1:]
    assert not [key for key in data["parolee"] if key.endswith("_index")]
    [case] = data["cases"]
    assert case["external_id"] == "P1"
    assert {d["kind"] for d in case["deadlines"]} >= {"parole_expiry", "asylum_one_year"}
    assert [g["source"] for g in case["grants"]] == ["initial"]
    assert [m["kind"] for m in data["messages_sent"]] == ["welcome"]
    assert [c["given"] for c in data["consent_history"]] == [True]


def test_it_erases_every_personal_detail_and_keeps_an_anonymous_case(
    app: App, tmp_path: Path
) -> None:
    load(app, tmp_path)
    assert NAME in every_text(app) and PHONE in every_text(app)
    with session_scope(app.engine) as session:
        erased = erase_person(session, person_of(session, "P1"), NOW, "test")
    dump = every_text(app)
    for secret in (NAME, PHONE, PHONE[2:], A_NUMBER[1:], "Olena"):
        assert secret not in dump, secret
    assert len(erased) == 1
    with session_scope(app.engine) as session:
        [row] = session.exec(select(AuditEvent).where(AuditEvent.action == "person.erased")).all()
        export = export_person(session, person_of(session, "P1"))
    assert row.detail == f'{{"cases": "{erased[0]}"}}'
    # The case stays, anonymous: its dates still count for the organisation's figures.
    assert export["cases"][0]["deadlines"]


def test_it_asks_before_erasing(app: App, tmp_path: Path) -> None:
    load(app, tmp_path)
    before = table_counts(app.engine)
    env = os.environ | {
        "DATABASE_URL": app.settings.database_url,
        "CONFIG_DIR": str(ROOT / "config"),
    }
    result = subprocess.run(
        [str(TRACKER), "person", "erase", "P1"],
        input="n\n",
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert table_counts(app.engine) == before
    assert NAME in every_text(app)


def end_case(app: App, when: datetime) -> None:
    with session_scope(app.engine) as session:
        case, _ = find_case(session, "P1")
        request = StatusRequest(Status.DEPARTED, "left the U.S.", effective=when.date())
        with case_edit(session, case, by="test", policies=app.policies, now=when) as edit:
            edit.status(request)


def test_it_erases_a_person_a_period_after_their_case_ended(app: App, tmp_path: Path) -> None:
    load(app, tmp_path)
    ended = NOW + timedelta(days=10)
    end_case(app, ended)
    period = app.retention.after_case_ends_days
    early = run_retention(app.engine, app.retention, ended + timedelta(days=period - 1))
    assert early.people == 0
    later = ended + timedelta(days=period + 1)
    preview = run_retention(app.engine, app.retention, later, dry_run=True)
    assert preview.people == 1
    assert NAME in every_text(app)  # a dry run changes nothing
    assert run_retention(app.engine, app.retention, later).people == 1
    assert NAME not in every_text(app) and PHONE not in every_text(app)
    assert run_retention(app.engine, app.retention, later).people == 0  # done once


def test_it_keeps_a_person_while_any_case_is_open(app: App, tmp_path: Path) -> None:
    load(app, tmp_path)
    far = NOW + timedelta(days=5000)
    assert run_retention(app.engine, app.retention, far).people == 0
    assert NAME in every_text(app)


def test_it_keeps_a_person_whose_case_has_no_status_history(app: App, tmp_path: Path) -> None:
    # A bulk loader may write cases without history: nothing says they ended.
    load(app, tmp_path)
    with session_scope(app.engine) as session:
        for step in session.exec(select(StatusChange)).all():
            session.delete(step)
    far = NOW + timedelta(days=5000)
    assert run_retention(app.engine, app.retention, far).people == 0
    with session_scope(app.engine) as session:
        case, _ = find_case(session, "P1")
        case.status = Status.DEPARTED  # ended, but when is unknown
        session.add(case)
    assert run_retention(app.engine, app.retention, far).people == 0
    assert NAME in every_text(app)


def test_it_purges_old_message_texts_and_keeps_the_rows(app: App, tmp_path: Path) -> None:
    load(app, tmp_path)
    with session_scope(app.engine) as session:
        [alert] = session.exec(select(Alert)).all()
        # Sent: the dispatcher kept its text.
        alert.state, alert.body = AlertState.SENT, "Parole Tracker: a text as it went"
        session.add(alert)
    later = NOW + timedelta(days=app.retention.message_text_days + 1)
    outcome = run_retention(app.engine, app.retention, later)
    assert (outcome.people, outcome.message_texts) == (0, 1)
    with session_scope(app.engine) as session:
        [alert] = session.exec(select(Alert)).all()
    assert (alert.body, alert.state) == (None, AlertState.SENT)


def test_it_reports_a_bad_retention_file_with_its_line() -> None:
    text = (ROOT / "config" / "retention.toml").read_text()
    broken = text.replace("message_text_days = 180", "message_text_days = 0")
    line = text[: text.index("message_text_days = 180")].count("\n") + 1
    with pytest.raises(ConfigError) as caught:
        parse_retention(broken, "retention.toml")
    assert caught.value.line == line
    assert "at least 1" in caught.value.reason
