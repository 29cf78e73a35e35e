"""Messages true when they arrive: written as they are sent, naming their dates, in every
language, and answered on a shared phone in the language the number last heard.

Through the real twilio SDK to the fake Twilio on loopback, as in test_alerts.py.
"""

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from tests.builders import SMS_COLUMNS, a_case, as_env, csv_text, twilio_settings
from tests.fakes.twilio_server import FakeTwilioServer
from tracker.alerts.languages import choose
from tracker.alerts.messages import LANGUAGES
from tracker.alerts.render import upcoming
from tracker.alerts.sweep import plan_due
from tracker.domain.model import AlertState
from tracker.store.db import session_scope
from tracker.store.models import Alert, Parolee, Representative

from ..conftest import NOW, refused
from .cli_harness import Cli
from .test_alerts import World, import_one, open_world

# The case's parole ends 60 days after the pinned now (2026-11-29).
EXPIRY = date(2027, 1, 28)
OTHER_PHONE = "+12025550171"


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    with open_world(database_url) as opened:
        yield opened


def import_case(world: World, tmp_path: Path, *, expiry: date = EXPIRY, **fields: str) -> None:
    import_one(world, tmp_path, expiry=expiry.isoformat(), **fields)


def sent_bodies(world: World) -> list[str]:
    return [message.body for message in world.twilio.sent]


def at_local_ten(day: date) -> datetime:
    """10:00 in New York on `day` (winter, UTC-5), when reminders go."""
    return datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_reminder_sent_four_days_late_states_the_true_days_left(
    world: World, tmp_path: Path, language: str
) -> None:
    import_case(world, tmp_path, language=language)
    world.dispatcher.run_once()  # the welcome
    catalog = world.app.composer.catalog
    # The 14-day reminder is planned on its day (D) ...
    due_day = EXPIRY - timedelta(days=14)
    world.clock.set(at_local_ten(due_day))
    plan_due(world.app.engine, world.app.composer, world.clock.now())
    [planned] = [a for a in world.alerts() if a.offset_days == 14]
    assert planned.state == AlertState.PLANNED and planned.body is None
    # ... and sent on D+4, after an outage of the dispatcher.
    world.clock.advance(timedelta(days=4))
    outcome = world.dispatcher.run_once()
    assert outcome.sent == 1
    body = sent_bodies(world)[-1]
    file = catalog.file(language)
    assert file.days_phrase(10) in body
    assert file.days_phrase(14) not in body
    assert catalog.format_date(language, planned.about_date) in body
    # The outbox keeps exactly what went.
    [sent] = [a for a in world.alerts() if a.offset_days == 14]
    assert sent.body == body and sent.state == AlertState.SENT and sent.language == language
    assert sent.segments == world.app.composer.segments(body)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_welcome_and_the_date_changed_text_name_their_dates(
    world: World, tmp_path: Path, language: str
) -> None:
    catalog = world.app.composer.catalog
    import_case(world, tmp_path, language=language)
    world.dispatcher.run_once()
    welcome = sent_bodies(world)[-1]
    assert welcome.startswith(world.app.settings.org_short_name)
    file = catalog.file(language)
    # The soonest date first, by name, with its date.
    [sent] = world.alerts()
    with session_scope(world.app.engine) as session:
        first = upcoming(session, [sent.case_id], date(2026, 11, 29))[0]
    assert (
        f"{file.labels[first.kind.value]}: {catalog.format_date(language, first.act_by)}" in welcome
    )
    # A re-parole moves the end a year later: the message says what moved, from and to.
    later = EXPIRY.replace(year=EXPIRY.year + 1)
    import_case(world, tmp_path, language=language, expiry=later)
    world.dispatcher.run_once()
    changed = sent_bodies(world)[-1]
    assert changed != welcome
    assert catalog.format_date(language, later) in changed
    assert catalog.format_date(language, EXPIRY) in changed
    assert file.labels["parole_expiry"] in changed


def test_a_date_moved_twice_before_the_message_goes_is_told_once_from_the_first(
    world: World, tmp_path: Path
) -> None:
    import_case(world, tmp_path)
    world.dispatcher.run_once()
    # Two moves while the dispatcher waits for the next allowed hour (night in New York).
    world.clock.set(datetime(2026, 11, 30, 4, 0, tzinfo=UTC))
    import_case(world, tmp_path, expiry=date(2027, 6, 1))
    import_case(world, tmp_path, expiry=date(2027, 9, 1))
    changed = [a for a in world.alerts() if a.kind == "date_changed"]
    assert len(changed) == 1
    world.clock.set(datetime(2026, 11, 30, 15, 0, tzinfo=UTC))
    world.dispatcher.run_once()
    text = sent_bodies(world)[-1]
    assert "now 1 September 2027, was 28 January 2027" in text
    assert "1 June 2027" not in text


def test_after_downtime_the_next_text_is_the_next_relevant_one_never_a_passed_date(
    world: World, tmp_path: Path
) -> None:
    import_case(world, tmp_path, expiry=date(2026, 12, 10))
    world.dispatcher.run_once()
    # Planned on 2026-12-02 (the 7-day reminder), then nothing runs until after the date.
    world.clock.set(at_local_ten(date(2026, 12, 3)))
    plan_due(world.app.engine, world.app.composer, world.clock.now())
    assert any(a.offset_days == 7 and a.state == AlertState.PLANNED for a in world.alerts())
    world.clock.set(at_local_ten(date(2026, 12, 11)))
    before = len(world.twilio.sent)
    outcome = world.dispatcher.run_once()
    assert outcome.sent == 0 and outcome.not_needed >= 1
    assert len(world.twilio.sent) == before
    # Down through the 3-day reminder's day: the one sent is the 1-day, with its true days.
    import_case(world, tmp_path, external_id="C2", phone=OTHER_PHONE, expiry=date(2026, 12, 20))
    world.dispatcher.run_once()
    world.clock.set(at_local_ten(date(2026, 12, 13)))
    plan_due(world.app.engine, world.app.composer, world.clock.now())
    world.clock.set(at_local_ten(date(2026, 12, 19)))
    plan_due(world.app.engine, world.app.composer, world.clock.now())
    world.dispatcher.run_once()
    last = sent_bodies(world)[-1]
    assert "20 December 2026 (tomorrow)" in last
    assert sum("20 December 2026" in body and "(in" in body for body in sent_bodies(world)) == 0


def test_the_dispatch_summary_tells_not_needed_from_waiting_for_hours(
    world: World, tmp_path: Path
) -> None:
    import_case(world, tmp_path)
    # 23:00 in New York: the welcome waits for 09:00.
    world.clock.set(datetime(2026, 11, 30, 4, 0, tzinfo=UTC))
    with session_scope(world.app.engine) as session:
        for alert in session.exec(select(Alert)).all():
            alert.due_at = world.clock.now()
            session.add(alert)
    outcome = world.dispatcher.run_once()
    assert (outcome.sent, outcome.waiting, outcome.not_needed) == (0, 1, 0)


def test_stop_on_a_shared_phone_is_answered_in_the_language_last_sent_to_it(
    world: World, tmp_path: Path
) -> None:
    catalog = world.app.composer.catalog
    # A Pashto-speaking parent's case, then a Spanish-speaking child's, on one phone. The
    # newest case is the child's; but the last message sent went to the parent.
    import_case(world, tmp_path, language="es", external_id="KID", name="Ana Perez")
    world.dispatcher.run_once()
    import_case(world, tmp_path, language="ps", external_id="PARENT", name="Gul Khan")
    world.dispatcher.run_once()
    assert world.alerts()[-1].language == "ps"
    answer = world.reply("STOP")
    assert answer.status_code == 200
    stop_ps = catalog.render("ps", "reply.stop", org=world.app.settings.org_short_name)
    assert stop_ps in answer.text
    # With the Spanish one sent last, the next reply speaks Spanish.
    world.reply("START", sid="SM" + "2" * 32)
    with session_scope(world.app.engine) as session:
        spanish = session.exec(select(Alert).where(Alert.language == "es")).first()
        assert spanish is not None
        spanish.sent_at = world.clock.now() + timedelta(minutes=1)
        session.add(spanish)
    answer = world.reply("STOP", sid="SM" + "3" * 32)
    stop_es = catalog.render("es", "reply.stop", org=world.app.settings.org_short_name)
    assert stop_es in answer.text


def test_a_language_keyword_on_a_shared_phone_changes_every_case_and_says_so(
    world: World, tmp_path: Path
) -> None:
    import_case(world, tmp_path, language="es", external_id="KID")
    import_case(world, tmp_path, language="ps", external_id="PARENT")
    answer = world.reply("uk")
    expected = world.app.composer.reply(
        "uk", "reply.language_shared", None, language=world.app.composer.catalog.language_name("uk")
    )
    assert expected in answer.text
    with session_scope(world.app.engine) as session:
        assert {p.language for p in session.exec(select(Parolee)).all()} == {"uk"}


def test_an_administrator_can_send_english_instead_of_an_unreviewed_translation(
    world: World, tmp_path: Path
) -> None:
    with session_scope(world.app.engine) as session:
        choose(
            session, world.app.composer.catalog, "uk", True, actor="admin@example.org",
            now=world.clock.now(),
        )  # fmt: skip
    import_case(world, tmp_path, language="uk")
    world.dispatcher.run_once()
    body = sent_bodies(world)[-1]
    assert "We will text you before your parole dates" in body
    [welcome] = world.alerts()
    assert welcome.language == "en"


# `--now` with a real SMS backend, and `--simulate`, through the command.

FAR = "2040-01-09T15:00:00Z"  # far from any machine's clock this test will meet
CASE = csv_text(
    [a_case(external_id="N1", full_name="Now Person", phone="+12025550172", parole_expiry=EXPIRY)],
    SMS_COLUMNS,
)


@pytest.fixture
def twilio_env() -> Iterator[tuple[FakeTwilioServer, dict[str, str]]]:
    server = FakeTwilioServer().start()
    yield server, as_env(twilio_settings(server))
    server.stop()


@pytest.mark.parametrize("command", [("alerts", "dispatch"), ("worker",)])
def test_now_far_from_the_clock_is_refused_with_twilio_and_nothing_arrives(
    cli: Cli, tmp_path: Path, twilio_env: tuple[FakeTwilioServer, dict[str, str]],
    command: tuple[str, ...],
) -> None:  # fmt: skip
    server, env = twilio_env
    path = tmp_path / "n.csv"
    path.write_text(CASE)
    cli.ok("import", str(path), "--now", "2026-11-29")
    refused(cli.run(*command, "--now", FAR, **env), "--simulate", "SMS_BACKEND=twilio")
    assert server.sent == []
    with session_scope(cli.engine) as session:
        states = {a.state for a in session.exec(select(Alert)).all()}
    assert states == {AlertState.PLANNED}


def test_simulate_prints_what_would_go_and_records_nothing(
    cli: Cli, tmp_path: Path, twilio_env: tuple[FakeTwilioServer, dict[str, str]]
) -> None:
    server, env = twilio_env
    path = tmp_path / "n.csv"
    path.write_text(CASE)
    cli.ok("import", str(path), "--now", "2026-11-29")
    result = cli.run("alerts", "dispatch", "--now", "2026-11-30T15:00:00Z", "--simulate", **env)
    assert result.returncode == 0, result.stderr
    assert "nothing was sent or recorded" in result.stdout
    assert "to +1********72:" in result.stdout
    assert "Parole Tracker: We will text you before your parole dates." in result.stdout
    assert "1 would be sent, 0 would not." in result.stdout
    assert server.sent == []
    with session_scope(cli.engine) as session:
        [alert] = session.exec(select(Alert)).all()
    assert (alert.state, alert.body, alert.attempts) == (AlertState.PLANNED, None, 0)


def test_the_console_backend_keeps_its_clock_for_drills(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    path.write_text(CASE)
    cli.ok("import", str(path), "--now", "2026-11-29")
    out = cli.ok("alerts", "dispatch", "--now", "2026-11-30T15:00:00Z")
    assert "\n1 sent, 0 to retry, 0 failed, 0 no longer needed, 0 waiting for allowed" in out


def test_rules_check_fails_for_a_text_over_budget_naming_where(cli: Cli, tmp_path: Path) -> None:
    # A representative whose name (with the organisation's phone) is very long.
    with session_scope(cli.engine) as session:
        session.add(
            Representative(
                name="Maria Fernanda de los Angeles Lopez-Gutierrez y Castellanos-Ortega, Esq.",
                email="long@example.org", phone="+12125550100", created_at=NOW,
            )
        )  # fmt: skip
    result = cli.run("rules", "check", ORG_SHORT_NAME="Legal Aid Society NY")
    refused(result, "'Legal Aid Society NY'", "budget")
    assert re.search(r"messages/[a-zA-Z-]+\.toml:\d+: \S+ \S+: \d+ segments", result.stderr)
