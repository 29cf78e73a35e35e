"""The scheduled jobs: what they do, and how APScheduler is told to run them."""

from sqlmodel import select

from tracker.bootstrap import App
from tracker.domain.model import Status
from tracker.importer.service import ImportOptions, import_file
from tracker.jobs.scheduler import MISFIRE_GRACE_SECONDS, Ticker, expire_job
from tracker.store.db import session_scope
from tracker.store.models import Case, StatusChange

from ..conftest import NOW, SHARED


def test_it_marks_ended_cases_expired_as_the_system(app: App) -> None:
    options = ImportOptions(actor="test", default_timezone="America/New_York")
    import_file(app.engine, SHARED / "examples" / "cases.csv", app.policies, NOW, options)
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
