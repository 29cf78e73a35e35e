"""The synthetic caseload: its fast path writes what the slow path (refresh_case, the
planner, the blind-index hooks) would have, the data is fake, and a seed fixes it.
Runs on SQLite and PostgreSQL."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, text
from sqlmodel import col, select
from typer.testing import CliRunner

from tests.benchmarks.scale_support import send_everything_due
from tracker.alerts.planner import plan_case
from tracker.alerts.sweep import plan_due
from tracker.bootstrap import App
from tracker.cases.deadlines import refresh_case
from tracker.cases.expiry import BATCH as EXPIRY_BATCH
from tracker.cases.expiry import PROTECTING, WATCHED, mark_expired
from tracker.cases.repository import CaseSearch, search_cases
from tracker.cli.main import app as cli_app
from tracker.clock import FixedClock
from tracker.domain.model import AlertState, Program, Status
from tracker.privacy.retention import PURGE_BATCH, SETTLED, RetentionPolicy, run_retention
from tracker.store.db import session_scope
from tracker.store.models import Alert, Case, DeadlineRow, Filing, Parolee, Representative, must_id
from tracker.synthetic import generate, representative_email
from tracker.synthetic.spread import FAMILY, GIVEN, fake_cases

from ..cli_support import settings_env
from ..conftest import NOW, ROOT

CASES = 200
RUNNER = CliRunner()
# Fictional numbers only: 555-0100 to 555-0199.
FICTIONAL_PHONE = re.compile(r"^\+1[2-9]\d\d55501\d\d$")


@pytest.fixture
def loaded(app: App) -> App:
    """The app on a database holding CASES synthetic cases of seed 7."""
    report = generate(app.engine, CASES, seed=7, now=NOW, policies=app.policies)
    assert (report.first, report.cases) == (0, CASES)
    return app


def count(engine: Engine, model: type) -> int:
    with session_scope(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_it_writes_every_part_of_a_case(loaded: App) -> None:
    engine = loaded.engine
    assert count(engine, Case) == count(engine, Parolee) == CASES
    assert count(engine, DeadlineRow) > 3 * CASES
    # About 30% file something (and a few re-paroled cases hold their approved I-131).
    assert 0.2 * CASES < count(engine, Filing) < 0.5 * CASES
    with session_scope(engine) as session:
        states = dict(
            session.exec(select(Alert.state, func.count()).group_by(col(Alert.state))).all()
        )
        programs = set(session.exec(select(Case.program).distinct()).all())
        zones = set(session.exec(select(Parolee.timezone).distinct()).all())
    assert states[AlertState.DELIVERED] > CASES / 2
    assert states.get(AlertState.PLANNED, 0) > 0
    assert len(programs) >= 5 and len(zones) >= 8


def test_it_encrypts_fake_personal_data(loaded: App) -> None:
    with loaded.engine.connect() as connection:
        raw = connection.execute(text("SELECT full_name, phone FROM parolee")).all()
    assert all(name.startswith("v1$") for name, _ in raw)
    assert all(phone is None or phone.startswith("v1$") for _, phone in raw)
    with session_scope(loaded.engine) as session:
        people = session.exec(select(Parolee)).all()
        ids = session.exec(select(Case.external_id)).all()
    for person in people:
        given, family = person.full_name.split(" ")
        assert given in GIVEN and family in FAMILY
        assert person.phone is None or FICTIONAL_PHONE.match(person.phone), person.phone
    assert all(i.startswith("SYN7-") for i in ids)


def test_it_finds_a_generated_person_by_their_blind_indexes(loaded: App) -> None:
    with session_scope(loaded.engine) as session:
        person = session.exec(
            select(Parolee).where(col(Parolee.phone).is_not(None)).order_by(col(Parolee.id))
        ).first()
        assert person is not None and person.phone is not None
        found = search_cases(
            session, CaseSearch(name=person.full_name.lower(), phone=person.phone), NOW.date()
        )
    assert person.id in {item.parolee.id for item in found}


def test_it_stores_what_refresh_case_and_the_planner_would(loaded: App) -> None:
    with session_scope(loaded.engine) as session:
        every = session.exec(select(Case, Parolee).join(Parolee).order_by(col(Case.id))).all()
        for case, parolee in every:
            before = {
                (r.slot, r.date, r.act_by, r.rule_id, r.flags, r.citation)
                for r in session.exec(select(DeadlineRow).where(DeadlineRow.case_id == case.id))
            }
            end = case.end_date
            assert refresh_case(session, case, parolee, loaded.policies, NOW) == []
            after = {
                (r.slot, r.date, r.act_by, r.rule_id, r.flags, r.citation)
                for r in session.exec(select(DeadlineRow).where(DeadlineRow.case_id == case.id))
            }
            assert (case.end_date, after) == (end, before), case.external_id
            # The outbox holds what planning at NOW asks for: nothing to add or retire.
            outcome = plan_case(session, case, parolee, loaded.composer, NOW)
            assert (outcome.added, outcome.cancelled, outcome.suppressed) == (0, 0, 0)
        session.rollback()


def test_it_leaves_the_next_sweep_one_day_to_plan(loaded: App) -> None:
    assert plan_due(loaded.engine, loaded.composer, NOW) == 0
    # A day later the sweep plans that day's reminders, not a fortnight of catch-up.
    assert plan_due(loaded.engine, loaded.composer, NOW + timedelta(days=1)) < CASES


def test_it_gives_the_feed_representative_every_fiftieth_case(loaded: App) -> None:
    with session_scope(loaded.engine) as session:
        clients = session.exec(
            select(Case.external_id)
            .join(Representative)
            .where(Representative.email == representative_email(0))
            .order_by(col(Case.external_id))
        ).all()
    assert clients == [f"SYN7-{n:07d}" for n in range(0, CASES, 50)]


def test_it_makes_the_same_cases_for_the_same_seed(app: App) -> None:
    whole = list(fake_cases(7, 0, 120, NOW))
    assert whole == list(fake_cases(7, 0, 120, NOW))
    # Made in two runs, the cases are the ones a single run makes.
    assert whole == list(fake_cases(7, 0, 50, NOW)) + list(fake_cases(7, 50, 120, NOW))
    assert whole != list(fake_cases(8, 0, 120, NOW))
    generate(app.engine, 50, seed=7, now=NOW, policies=app.policies)
    second = generate(app.engine, 70, seed=7, now=NOW, policies=app.policies)
    assert second.first == 50
    with session_scope(app.engine) as session:
        stored = session.exec(
            select(Case, Parolee).join(Parolee).order_by(col(Case.external_id))
        ).all()
    assert [(c.external_id, p.full_name, c.end_date, c.status) for c, p in stored] == [
        (c.external_id, c.full_name, c.end, c.status) for c in whole
    ]


def test_it_continues_the_numbering_from_the_command_line(app: App) -> None:
    env = settings_env(DATABASE_URL=app.settings.database_url, CONFIG_DIR=str(ROOT / "config"))
    command = ["synthetic", "30", "--seed", "3", "--now", NOW.isoformat()]
    first = RUNNER.invoke(cli_app, command, env=env)
    again = RUNNER.invoke(cli_app, command, env=env)
    assert (first.exit_code, again.exit_code) == (0, 0), first.output + again.output
    assert "Added 30 synthetic cases (SYN3-0000000 to SYN3-0000029)" in first.stdout
    assert "(SYN3-0000030 to SYN3-0000059)" in again.stdout
    assert count(app.engine, Case) == 60


def test_it_stores_instants_as_the_application_does(loaded: App) -> None:
    # SQL compares instants as stored (text on SQLite), so the generator must write them
    # in the ORM's format, or equality and cut-offs such as retention's go wrong.
    with session_scope(loaded.engine) as session:
        session.add(
            Case(
                external_id="ORM-1",
                parolee_id=must_id(session.exec(select(Parolee.id)).first()),
                program=Program.U4U,
                status=Status.PAROLED,
                end_date=NOW.date(),
                created_at=NOW.replace(microsecond=123456),
                updated_at=NOW,
            )
        )
    with loaded.engine.connect() as connection:
        stored = connection.execute(text("SELECT external_id, created_at FROM parole_case")).all()
    shapes: dict[bool, set[str]] = {True: set(), False: set()}
    for external_id, created in stored:
        shapes[external_id == "ORM-1"].add(re.sub(r"\d", "9", str(created)))
    assert shapes[False] == shapes[True], shapes


def test_the_expiry_job_moves_exactly_the_ended_cases_across_batches(app: App) -> None:
    generate(app.engine, 1500, seed=11, now=NOW, policies=app.policies)
    later = NOW + timedelta(days=540)
    with session_scope(app.engine) as session:
        pending = set(
            session.exec(
                select(Filing.case_id).where(
                    col(Filing.decision).is_(None), col(Filing.form).in_(PROTECTING)
                )
            )
        )
        expected = {
            case.external_id
            for case, person in session.exec(select(Case, Parolee).join(Parolee))
            if case.status in WATCHED
            and case.id not in pending
            and case.end_date < later.astimezone(ZoneInfo(person.timezone)).date()
        }
        expired_before = set(
            session.exec(select(Case.external_id).where(Case.status == Status.EXPIRED))
        )
    assert len(expected) > EXPIRY_BATCH  # the job works through more than one batch

    moved = mark_expired(app.engine, app.policies, FixedClock(later))

    with session_scope(app.engine) as session:
        expired_now = set(
            session.exec(select(Case.external_id).where(Case.status == Status.EXPIRED))
        )
    assert moved == len(expected) and expired_now - expired_before == expected
    assert mark_expired(app.engine, app.policies, FixedClock(later)) == 0


def test_retention_purges_exactly_the_old_settled_texts_across_batches(app: App) -> None:
    generate(app.engine, 1500, seed=5, now=NOW, policies=app.policies)
    policy = RetentionPolicy(after_case_ends_days=100_000, message_text_days=30)
    later = NOW + timedelta(days=60)
    cutoff = later - timedelta(days=policy.message_text_days)

    def texts() -> dict[int, str | None]:
        with session_scope(app.engine) as session:
            return {must_id(a.id): a.body for a in session.exec(select(Alert))}

    with session_scope(app.engine) as session:
        alerts = session.exec(select(Alert)).all()
        old = [a for a in alerts if a.updated_at < cutoff]
        expected = {must_id(a.id) for a in old if a.state in SETTLED and a.body is not None}
        # A planned message has no text yet: it is written when it is sent.
        assert all(a.body is None for a in alerts if a.state == AlertState.PLANNED)
    assert len(expected) > PURGE_BATCH and len(expected) < len(old)  # unsettled ones among them
    before = texts()

    assert run_retention(app.engine, policy, later, dry_run=True).message_texts == len(expected)
    assert texts() == before
    assert run_retention(app.engine, policy, later).message_texts == len(expected)

    after = texts()
    assert {i for i, body in after.items() if body is None} - {
        i for i, body in before.items() if body is None
    } == expected
    assert all(after[i] == body for i, body in before.items() if i not in expected)


def test_daily_sweeps_plan_every_reminder_a_full_replan_would(app: App) -> None:
    generate(app.engine, 400, seed=3, now=NOW, policies=app.policies)
    added = 0
    # A pass a day for three weeks, at a different hour each day (as after restarts).
    for day in range(1, 22):
        now = NOW + timedelta(days=day, hours=(day * 7) % 24 - 17)
        send_everything_due(app.engine, now)  # as the dispatcher would have
        added += plan_due(app.engine, app.composer, now)
    assert added > 40
    # Planning every case from scratch at the last pass finds nothing the sweeps missed.
    with session_scope(app.engine) as session:
        for case, parolee in session.exec(select(Case, Parolee).join(Parolee)).all():
            outcome = plan_case(session, case, parolee, app.composer, now)
            assert (outcome.added, outcome.cancelled) == (0, 0), case.external_id
        session.rollback()
