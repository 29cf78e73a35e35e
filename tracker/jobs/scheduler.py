"""APScheduler 3 as a ticker over interval jobs that are safe to run from several processes.

APScheduler 3 cannot share a job store between processes, so it holds no state here: each
job asks the database what is due and every change is idempotent.
"""

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from tracker.bootstrap import App
from tracker.cases.expiry import mark_expired

log = logging.getLogger(__name__)
EXPIRY_EVERY_MINUTES = 60
# APScheduler skips a run more than 1 s late by default; a busy machine is later than that.
MISFIRE_GRACE_SECONDS = 300


def expire_job(app: App) -> None:
    """Mark ended cases expired; errors are logged, and the next tick tries again."""
    try:
        moved = mark_expired(app.engine, app.ruleset, app.clock)
    except Exception:
        log.exception("daily status job failed; it runs again at the next tick")
        return
    log.info("status job: %d case(s) marked expired", moved)


def _add_jobs(scheduler: BaseScheduler, app: App) -> None:
    scheduler.add_job(
        expire_job,
        "interval",
        minutes=EXPIRY_EVERY_MINUTES,
        args=[app],
        id="expire",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=MISFIRE_GRACE_SECONDS,
        # The ticker runs on wall time (first run at once); the job itself reads app.clock.
        next_run_time=datetime.now(UTC),
    )


class Ticker:
    """The jobs on a background thread, for `tracker serve`."""

    def __init__(self, app: App) -> None:
        self.scheduler = BackgroundScheduler(timezone="UTC")
        _add_jobs(self.scheduler, app)

    def start(self) -> None:
        self.scheduler.start()

    def stop(self) -> None:
        self.scheduler.shutdown(wait=True)


def run_worker(app: App) -> None:
    """Run the jobs in the foreground until interrupted (`tracker worker`)."""
    scheduler = BlockingScheduler(timezone="UTC")
    _add_jobs(scheduler, app)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("worker stopping")
