"""APScheduler 3 as a ticker over interval jobs that are safe to run from several processes.

APScheduler 3 cannot share a job store between processes, so it holds no state here: each
job asks the database what is due, claims its work there, and every change is idempotent.
"""

import logging
import signal
from collections.abc import Callable
from datetime import UTC, datetime
from types import FrameType

import httpx
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from tracker.alerts.dispatcher import Dispatcher
from tracker.alerts.sweep import plan_due
from tracker.bootstrap import App
from tracker.cases.expiry import mark_expired
from tracker.privacy.retention import run_retention

log = logging.getLogger(__name__)
# APScheduler skips a run more than 1 s late by default; a busy machine is later than that.
MISFIRE_GRACE_SECONDS = 300
EVERY_SECONDS = {"expire": 3600, "plan": 300, "dispatch": 30, "retention": 86400, "uscis": 3600}
# Each USCIS poll starts up to this much early or late, so that workers started together do
# not all ask USCIS at the same moment.
USCIS_JITTER_SECONDS = 300


def expire_job(app: App) -> None:
    """Mark ended cases expired."""
    log.info(
        "status job: %d case(s) marked expired", mark_expired(app.engine, app.policies, app.clock)
    )


def plan_job(app: App) -> None:
    """Plan the reminders that came within reach."""
    log.info("plan job: %d alert(s) planned", plan_due(app.engine, app.composer, app.clock.now()))


def retention_job(app: App) -> None:
    """Erase and purge what is past its retention period."""
    outcome = run_retention(app.engine, app.retention, app.clock.now())
    log.info("retention job: %d person(s) erased, %d texts purged", outcome.people,
             outcome.message_texts + outcome.replies)  # fmt: skip


def uscis_job(app: App) -> None:
    """Read this hour's share of the due USCIS case statuses."""
    with httpx.Client() as http:
        outcome = app.uscis_poller(app.uscis_client(http)).run_once()
    log.info(
        "uscis job: %d read, %d changed, %d notice(s), %d error(s)%s",
        outcome.polled,
        outcome.changed,
        outcome.notices,
        outcome.errors,
        f"; stopped: {outcome.stopped}" if outcome.stopped else "",
    )


def dispatch_job(dispatcher: Dispatcher) -> None:
    """Send what is due."""
    outcome = dispatcher.run_once()
    log.info(
        "dispatch job: %d sent, %d to retry, %d failed",
        outcome.sent,
        outcome.retried,
        outcome.failed,
    )


def _guarded(name: str, job: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        try:
            job()
        except Exception:
            # Logged, not swallowed into an APScheduler warning; the next tick tries again.
            log.exception("%s job failed; it runs again at its next tick", name)

    return run


def _add_jobs(scheduler: BaseScheduler, app: App, dispatcher: Dispatcher) -> None:
    jobs: dict[str, Callable[[], None]] = {
        "expire": lambda: expire_job(app),
        "plan": lambda: plan_job(app),
        "dispatch": lambda: dispatch_job(dispatcher),
        "retention": lambda: retention_job(app),
    }
    # USCIS polling stays off until the credentials are set (design.md: Running).
    if app.settings.uscis_enabled:
        jobs["uscis"] = lambda: uscis_job(app)
    for name, job in jobs.items():
        scheduler.add_job(
            _guarded(name, job),
            "interval",
            seconds=EVERY_SECONDS[name],
            jitter=USCIS_JITTER_SECONDS if name == "uscis" else None,
            id=name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
            # The ticker runs on wall time (first run at once); the jobs read app.clock.
            next_run_time=datetime.now(UTC),
        )


class Ticker:
    """The jobs on a background thread, for `tracker serve`."""

    def __init__(self, app: App, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.scheduler = BackgroundScheduler(timezone="UTC")
        _add_jobs(self.scheduler, app, dispatcher)

    def start(self) -> None:
        self.scheduler.start()

    def stop(self) -> None:
        self.dispatcher.stopping = True
        self.scheduler.shutdown(wait=True)


def run_worker(app: App, dispatcher: Dispatcher) -> None:
    """Run the jobs in the foreground; SIGTERM lets the message in flight finish first."""
    scheduler = BlockingScheduler(timezone="UTC")
    _add_jobs(scheduler, app, dispatcher)

    def stop(signum: int, frame: FrameType | None) -> None:
        del frame
        log.info("signal %d: finishing the message in flight, then stopping", signum)
        dispatcher.stopping = True
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scheduler.start()
