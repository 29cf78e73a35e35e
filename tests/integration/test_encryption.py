"""Encryption at rest: a dump shows no personal data; keys rotate; lookups use blind indexes."""

import csv
import logging
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import SQLModel, select
from typer.testing import CliRunner

from tests.builders import BASE_COLUMNS, a_case, an_app, import_cases, run_import, write_csv
from tracker.alerts.inbound import Inbound, handle_inbound
from tracker.bootstrap import App
from tracker.cases.repository import CaseSearch, find_case, search_cases
from tracker.cli.main import app as cli_app
from tracker.errors import NotFoundError, TrackerError
from tracker.feeds.tokens import issue
from tracker.kit.crypto import DataKeyError, Keyring, generate_key, parse_keys
from tracker.privacy.rotation import pending, rotate
from tracker.store.blind import a_number_is, name_has_words, phone_is
from tracker.store.db import make_engine, session_scope
from tracker.store.migrate import upgrade
from tracker.store.models import Case, Grant, Parolee
from tracker.web.app import create_app

from ..cli_support import settings_env
from ..conftest import EXAMPLE_CASES, KEYRING, NOW, ROOT

COLUMNS = (*BASE_COLUMNS, "a_number", "sms_consent")
PEOPLE = [
    ("P1", "Olena Testenko", "+12025550190", "A012345678"),
    ("P2", "José López", "+12025550191", "A087654321"),
    ("P3", "Jose Lopez Garcia", "+12025550192", "A011122233"),
]
OLD, NEW = generate_key(), generate_key()


_opened: list[App] = []


def app_with(database_url: str, keys: str) -> App:
    app = an_app(database_url, data_keys=keys)
    _opened.append(app)
    return app


@pytest.fixture(autouse=True)
def _close_apps() -> Iterator[None]:
    yield
    while _opened:
        _opened.pop().engine.dispose()


def load(app: App, tmp_path: Path) -> None:
    """The worked examples, three more people, a reply, and notes on a case and a grant."""
    people = [
        a_case(external_id=i, full_name=n, phone=p, language="uk", a_number=a)
        for i, n, p, a in PEOPLE
    ]
    path = write_csv(tmp_path / "people.csv", people, COLUMNS)
    for source in (EXAMPLE_CASES, path):
        assert run_import(app, source).errors == []
    with session_scope(app.engine) as session:
        sender = PEOPLE[0][2]
        message = Inbound("SM" + "5" * 32, sender, "This is Olena Testenko, A012345678, call me")
        handle_inbound(session, message, app.composer, NOW)
        case = session.exec(select(Case).where(Case.external_id == "P1")).one()
        case.notes = "Olena Testenko asked about +12025550190"
        grant = session.exec(select(Grant).where(Grant.case_id == case.id)).one()
        grant.note = "Approved for Olena Testenko"
        session.add_all([case, grant])


def secrets() -> list[str]:
    """Every name, phone number and A-number loaded, in the forms people write them."""
    found = []
    with EXAMPLE_CASES.open(encoding="utf-8") as handle:
        rows = [(r["full_name"], r["phone"], r["a_number"]) for r in csv.DictReader(handle)]
    for name, phone, a_number in [*rows, *((n, p, a) for _, n, p, a in PEOPLE)]:
        found.append(name)
        digits = "".join(c for c in phone if c.isdigit())
        if digits:
            found += [f"+{digits}" if len(digits) > 10 else f"+1{digits}", digits[-10:]]
        if a_number:
            found.append(a_number.removeprefix("A").zfill(9))
    return found


def dump(engine: Engine) -> str:
    """What a stolen database or backup holds: every file byte (SQLite) or pg_dump's output."""
    url = engine.url
    engine.dispose()
    if url.get_backend_name() == "sqlite":
        path = Path(str(url.database))
        lines = "\n".join(sqlite3.connect(path).iterdump())
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        return lines + "\n" + raw.decode("utf-8", errors="replace")
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    result = subprocess.run(
        ["pg_dump", "--no-owner", "--dbname", plain], capture_output=True, text=True, check=True
    )
    return result.stdout


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table as the application reads it, blind indexes left out."""
    tables = {}
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            if table.name == "parolee_name_word":
                continue
            columns = [c for c in table.columns if not c.name.endswith("_index")]
            query = select(*columns).order_by(*table.primary_key.columns)
            tables[table.name] = [tuple(row) for row in connection.execute(query)]
    return tables


def found_cases(engine: Engine, search: CaseSearch) -> set[str]:
    with session_scope(engine) as session:
        return {item.case.external_id for item in search_cases(session, search, NOW.date())}


def test_a_dump_shows_no_name_phone_or_a_number(database_url: str, tmp_path: Path) -> None:
    app = app_with(database_url, NEW)
    load(app, tmp_path)
    everything = dump(app.engine)
    assert "parolee" in everything and "v1$" in everything, "the dump holds no data"
    leaks = [s for s in secrets() if s in everything]
    assert leaks == []
    # The application itself still reads them.
    assert "Olena Testenko" in str(snapshot(app.engine))


def test_keys_rotate_in_resumable_batches_and_the_old_key_can_go(
    database_url: str, tmp_path: Path
) -> None:
    old = app_with(database_url, OLD)
    load(old, tmp_path)
    before = snapshot(old.engine)
    old.engine.dispose()

    both = app_with(database_url, f"{NEW},{OLD}")
    keyring = both.settings.keyring
    to_do = sum(pending(both.engine, keyring).values())
    assert to_do > 10

    def stop_after_first_batch(_rows: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotate(both.engine, keyring, batch_size=4, progress=stop_after_first_batch)
    assert sum(pending(both.engine, keyring).values()) == to_do - 4
    # Half rotated, every lookup still finds people under either key.
    assert found_cases(both.engine, CaseSearch(phone=PEOPLE[0][2])) == {"P1"}

    assert rotate(both.engine, keyring, batch_size=4).total == to_do - 4
    assert sum(pending(both.engine, keyring).values()) == 0
    assert rotate(both.engine, keyring).total == 0
    both.engine.dispose()

    new = app_with(database_url, NEW)
    assert snapshot(new.engine) == before
    assert found_cases(new.engine, CaseSearch(name="testenko")) == {"P1"}
    assert found_cases(new.engine, CaseSearch(a_number="A-012-345-678")) == {"P1"}
    assert found_cases(new.engine, CaseSearch(phone="(202) 555-0190")) == {"P1"}
    old_id = Keyring(parse_keys(OLD)).newest.key_id
    assert f"v1${old_id}$" not in dump(new.engine)

    with pytest.raises(DataKeyError, match="not in DATA_KEYS"):
        snapshot(app_with(database_url, OLD).engine)


def test_lookups_find_people_by_whole_words_a_number_and_phone(
    database_url: str, tmp_path: Path
) -> None:
    app = app_with(database_url, NEW)
    load(app, tmp_path)
    engine = app.engine
    assert found_cases(engine, CaseSearch(name="lopez")) == {"P2", "P3"}
    assert found_cases(engine, CaseSearch(name="JOSÉ  garcía")) == {"P3"}
    assert found_cases(engine, CaseSearch(name="Lope")) == set()  # whole words only
    assert found_cases(engine, CaseSearch(name="example parolee one")) == {"E01"}
    assert found_cases(engine, CaseSearch(a_number="87654321")) == {"P2"}
    assert found_cases(engine, CaseSearch(phone="+1 202 555 0191")) == {"P2"}
    assert found_cases(engine, CaseSearch(name="lopez", phone="2025550192")) == {"P3"}
    with session_scope(engine) as session:
        keyring = app.settings.keyring
        [by_phone] = session.exec(select(Parolee).where(phone_is(keyring, "+12025550190"))).all()
        [by_a] = session.exec(select(Parolee).where(a_number_is(keyring, "A012345678"))).all()
        [by_name] = session.exec(select(Parolee).where(name_has_words(keyring, "olena"))).all()
    assert by_phone.id == by_a.id == by_name.id


def test_a_renamed_or_erased_person_is_found_by_the_new_name_only(
    database_url: str, tmp_path: Path
) -> None:
    app = app_with(database_url, NEW)
    load(app, tmp_path)
    with session_scope(app.engine) as session:
        person = session.exec(select(Parolee).where(name_has_words(app.settings.keyring, "olena")))
        parolee = person.one()
        parolee.full_name = "Olena Kovalenko"
        session.add(parolee)
    assert found_cases(app.engine, CaseSearch(name="testenko")) == set()
    assert found_cases(app.engine, CaseSearch(name="kovalenko olena")) == {"P1"}


def invoke(url: str, *args: str) -> Any:
    env = settings_env(DATABASE_URL=url, CONFIG_DIR=str(ROOT / "config"))
    return CliRunner().invoke(cli_app, list(args), env=env)


def test_db_upgrade_encrypts_what_an_older_version_stored_in_plaintext(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url, KEYRING)
    upgrade(engine, "0004")
    stamp = "2026-11-29 17:00:00.000000"
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO parolee (id, full_name, phone, language, timezone, arrival_date, "
                "a_number, created_at, updated_at) VALUES (1, 'Olena Testenko', '+12025550190', "
                "'uk', 'America/New_York', '2025-09-01', '012345678', :at, :at)"
            ),
            {"at": stamp},
        )
        connection.execute(
            text(
                "INSERT INTO parole_case (id, external_id, parolee_id, program, status, end_date,"
                " notes, created_at, updated_at) VALUES (1, 'OLD-1', 1, 'U4U', 'paroled', "
                "'2027-08-31', 'call Olena Testenko', :at, :at)"
            ),
            {"at": stamp},
        )
    engine.dispose()

    result = invoke(url, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "Encrypted 2 row(s)" in result.output

    assert [s for s in ("Olena Testenko", "+12025550190", "012345678") if s in dump(engine)] == []
    assert found_cases(engine, CaseSearch(name="olena", a_number="12345678")) == {"OLD-1"}
    with session_scope(engine) as session:
        case = session.exec(select(Case)).one()
    assert case.notes == "call Olena Testenko"
    again = invoke(url, "db", "upgrade")
    assert again.exit_code == 0 and "Encrypted" not in again.output


def test_the_keys_commands_rotate_and_report(sqlite_url: str, tmp_path: Path) -> None:
    app = app_with(sqlite_url, OLD)
    load(app, tmp_path)
    app.engine.dispose()
    env = settings_env(DATABASE_URL=sqlite_url, CONFIG_DIR=str(ROOT / "config"))
    runner = CliRunner()
    key = runner.invoke(cli_app, ["keys", "generate"], env=env)
    assert key.exit_code == 0
    assert parse_keys(key.stdout.strip())
    status = runner.invoke(cli_app, ["keys", "status"], env=env | {"DATA_KEYS": f"{NEW},{OLD}"})
    assert status.exit_code == 0 and "parolee: 8 row(s) to re-encrypt" in status.stdout
    rotated = runner.invoke(
        cli_app, ["keys", "rotate", "--batch-size", "2"], env=env | {"DATA_KEYS": f"{NEW},{OLD}"}
    )
    assert rotated.exit_code == 0, rotated.output
    assert "Done:" in rotated.stdout
    after = runner.invoke(cli_app, ["keys", "status"], env=env | {"DATA_KEYS": NEW})
    assert "Every value is encrypted with the newest key" in after.stdout
    found = runner.invoke(
        cli_app, ["cases", "find", "--name", "lopez", "--format", "json"],
        env=env | {"DATA_KEYS": NEW},
    )  # fmt: skip
    assert found.exit_code == 0, found.output
    assert '"P2"' in found.stdout and '"P3"' in found.stdout
    wrong = runner.invoke(cli_app, ["case", "show", "P1"], env=env | {"DATA_KEYS": OLD})
    assert wrong.exit_code != 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["cases", "find"], "give --name, --a-number or --phone"),
        (["cases", "find", "--phone", "555"], "not a valid phone number"),
        (["cases", "find", "--a-number", "A12"], "an A-number is A followed by 7 to 9 digits"),
        (["cases", "find", "--name", "123"], "at least one word"),
    ],
)
def test_a_bad_search_says_what_is_wrong(sqlite_url: str, args: list[str], message: str) -> None:
    result = invoke(sqlite_url, *args)
    assert isinstance(result.exception, TrackerError)
    assert message in result.exception.message


def test_it_keeps_personal_data_out_of_logs_in_import_cli_and_feed_flows(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app = app_with(database_url, NEW)
    bad = a_case(
        external_id="X1",
        full_name="Olena Testenko",
        phone="+1 202 555",
        language="uk",
        a_number="A012345678",
    )
    assert import_cases(app, tmp_path / "bad.csv", [bad], COLUMNS).errors
    load(app, tmp_path)
    env = {"DATA_KEYS": NEW}
    for args in (
        ["cases", "find", "--name", "olena testenko"],
        ["cases", "find", "--phone", "+12025550190"],
        ["case", "show", "P1"],
        ["person", "export", "P1"],
        ["cases", "expiring", "--within", "400", "--now", "2026-11-29"],
    ):
        result = CliRunner().invoke(
            cli_app,
            args,
            env=settings_env(DATABASE_URL=database_url, CONFIG_DIR=str(ROOT / "config")) | env,
        )
        assert result.exit_code == 0, result.output
    with session_scope(app.engine) as session:
        issued = issue(
            session, now=NOW, actor="test", representative_email="rep@example.org", privacy="full"
        )
    with TestClient(create_app(app)) as web:
        response = web.get(f"/feeds/{issued.token}.ics")
    assert response.status_code == 200 and "Example Parolee One" in response.text
    text_logged = "\n".join(f"{r.name}: {r.getMessage()}" for r in caplog.records)
    assert caplog.records, "nothing was logged: the test would prove nothing"
    leaks = [s for s in secrets() if s in text_logged]
    assert leaks == [], text_logged


@pytest.mark.parametrize("ref", ["²", "99999999999999999999", "-1", "E01 "])
def test_an_odd_case_reference_is_simply_not_found(database_url: str, ref: str) -> None:
    app = app_with(database_url, NEW)
    with session_scope(app.engine) as session, pytest.raises(NotFoundError, match="no case"):
        find_case(session, ref)
