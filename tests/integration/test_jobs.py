"""The scheduled jobs: what they do, and how APScheduler is told to run them."""

from pathlib import Path

import httpx
from prometheus_client import REGISTRY
from sqlmodel import select

from tests.builders import SMS_COLUMNS, a_case, import_cases, run_import, twilio_settings
from tests.fakes.twilio_server import FakeTwilioServer
from tracker.alerts.dispatcher import Dispatcher
from tracker.bootstrap import App
from tracker.domain.model import AlertState, Status
from tracker.jobs.heartbeat import BEAT_SECONDS
from tracker.jobs.scheduler import MISFIRE_GRACE_SECONDS, Ticker, dispatch_job, expire_job
from tracker.settings import load_settings
from tracker.sms.twilio_backend import TwilioBackend
from tracker.store.db import session_scope
from tracker.store.models import Alert, Case, StatusChange

from ..conftest import EXAMPLE_CASES, NOW, ROOT


def test_it_marks_ended_cases_expired_as_the_system(app: App) -> None:
    run_import(app, EXAMPLE_CASES)
    expire_job(app)
    expire_job(app)  # a second tick changes nothing more
    with session_scope(app.engine) as session:
        expired = session.exec(select(Case.external_id).where(Case.status == Status.EXPIRED)).all()
        changes = session.exec(
            select(StatusChange).where(StatusChange.to_status == Status.EXPIRED)
        ).all()
    # E02 (CHNV) ended 2026-10-13 with nothing pending; E05 waits on its I-131.
    assert expired == ["E02"]
    assert [(c.actor, c.changed_at) for c in changes] == [("system", NOW)]


def test_it_runs_each_job_once_at_a_time_and_tolerates_a_late_start(app: App) -> None:
    ticker = Ticker(app, app.dispatcher())
    for name in ("expire", "plan", "dispatch"):
        job = ticker.scheduler.get_job(name)
        assert job.max_instances == 1
        assert job.coalesce is True
        # APScheduler's default (1 s) would drop a run that starts a little late.
        assert job.misfire_grace_time >= MISFIRE_GRACE_SECONDS


def twilio_dispatcher(app: App, twilio: FakeTwilioServer, http: httpx.Client) -> Dispatcher:
    settings = load_settings(
        database_url=app.settings.database_url,
        config_dir=ROOT / "config",
        **twilio_settings(twilio),
    )
    return Dispatcher(
        engine=app.engine,
        backend=TwilioBackend(settings, http=http),
        composer=app.composer,
        clock=app.clock,
        worker="jobs-test",
        sleep=lambda _: None,
    )


def import_consenting(app: App, folder: Path, count: int) -> None:
    """`count` consenting cases: one welcome alert each, due now."""
    rows = [
        a_case(external_id=f"J{n}", full_name="Job Person", phone=f"+1202555{150 + n:04d}")
        for n in range(count)
    ]
    assert import_cases(app, folder / "cases.csv", rows, SMS_COLUMNS).errors == []


def planned(app: App) -> int:
    with session_scope(app.engine) as session:
        return len(session.exec(select(Alert).where(Alert.state == AlertState.PLANNED)).all())


def test_it_drains_a_backlog_pass_after_pass_in_one_tick(
    app: App, twilio_server: FakeTwilioServer, tmp_path: Path
) -> None:
    import_consenting(app, tmp_path, 5)
    passes = REGISTRY.get_sample_value("tracker_job_seconds_count", {"job": "dispatch"}) or 0
    with httpx.Client(timeout=5.0) as http:
        dispatch_job(twilio_dispatcher(app, twilio_server, http), batch=2)
    assert (len(twilio_server.sent), planned(app)) == (5, 0)
    # Two full passes, then a short one that ends the run; each pass timed on its own.
    after = REGISTRY.get_sample_value("tracker_job_seconds_count", {"job": "dispatch"})
    assert after == passes + 3


def test_it_leaves_the_rest_of_a_backlog_to_the_next_tick_after_a_retry(
    app: App, twilio_server: FakeTwilioServer, tmp_path: Path
) -> None:
    import_consenting(app, tmp_path, 5)
    twilio_server.fail_next(429, method="POST")
    with httpx.Client(timeout=5.0) as http:
        dispatch_job(twilio_dispatcher(app, twilio_server, http), batch=2)
    # The first pass met a 429 (Twilio is busy): it sent the second alert and stopped.
    assert (len(twilio_server.sent), planned(app)) == (1, 4)


def test_it_ticks_a_heartbeat_beside_the_jobs(app: App) -> None:
    ticker = Ticker(app, app.dispatcher())
    job = ticker.scheduler.get_job("heartbeat")
    assert job.trigger.interval.total_seconds() == BEAT_SECONDS
    assert {j.id for j in ticker.scheduler.get_jobs()} == {
        "expire", "plan", "dispatch", "retention", "heartbeat",
    }  # fmt: skip
