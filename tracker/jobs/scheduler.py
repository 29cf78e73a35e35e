"""APScheduler 3 as a ticker over interval jobs that are safe to run from several processes.

APScheduler 3 cannot share a job store between processes, so it holds no state here: each
job asks the database what is due, claims its work there, and every change is idempotent.
Every worker dispatches (the claims share the outbox out); plan, expire, retention and
uscis run in one worker per interval (`tracker.jobs.exclusive`). Every scheduler writes a
heartbeat (`tracker.jobs.heartbeat`) for /healthz.
"""

import logging
import signal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import FrameType

import httpx
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from prometheus_client import start_http_server

from tracker.alerts.dispatcher import Dispatcher, DispatchOutcome
from tracker.alerts.sweep import plan_due
from tracker.bootstrap import App
from tracker.cases.expiry import mark_expired
from tracker.clock import Clock, SystemClock
from tracker.jobs.exclusive import run_exclusive
from tracker.jobs.heartbeat import BEAT_SECONDS, Heartbeat
from tracker.metrics import JOB_RUNS, timed_job
from tracker.privacy.retention import run_retention

log = logging.getLogger(__name__)
# APScheduler skips a run more than 1 s late by default; a busy machine is later than that.
MISFIRE_GRACE_SECONDS = 300
EVERY_SECONDS = {"expire": 3600, "plan": 300, "dispatch": 30, "retention": 86400, "uscis": 3600}
# Jobs one worker runs for all; the others (dispatch) run in every worker.
EXCLUSIVE = frozenset({"expire", "plan", "retention", "uscis"})
# Each USCIS poll starts up to this much late, so that its hour does not always begin at
# the same minute.
USCIS_JITTER_SECONDS = 300
# Alerts one dispatch pass takes at most.
DISPATCH_BATCH = 200


def expire_job(app: App) -> None:
    """Mark ended cases expired."""
    with timed_job("expire"):
        count = mark_expired(app.engine, app.policies, app.clock)
    log.info("status job: %d case(s) marked expired", count)


def plan_job(app: App) -> None:
    """Plan the reminders that came within reach."""
    with timed_job("plan"):
        added = plan_due(app.engine, app.composer, app.clock.now())
    log.info("plan job: %d alert(s) planned", added)


def retention_job(app: App) -> None:
    """Erase and purge what is past its retention period."""
    with timed_job("retention"):
        outcome = run_retention(app.engine, app.retention, app.clock.now())
    log.info(
        "retention job: %d person(s) erased, %d texts purged",
        outcome.people,
        outcome.message_texts + outcome.replies,
    )


def uscis_job(app: App) -> None:
    """Read this hour's share of the due USCIS case statuses."""
    with timed_job("uscis"), httpx.Client() as http:
        outcome = app.uscis_poller(app.uscis_client(http)).run_once()
    log.info(
        "uscis job: %d read, %d changed, %d notice(s), %d error(s)%s",
        outcome.polled,
        outcome.changed,
        outcome.notices,
        outcome.errors,
        f"; stopped: {outcome.stopped}" if outcome.stopped else "",
    )


def dispatch_job(dispatcher: Dispatcher, batch: int = DISPATCH_BATCH) -> None:
    """Send what is due, pass after pass while a backlog lasts.

    A full pass that went well is followed at once by the next, so a backlog drains at
    the policy's rate rather than one batch per tick. A pass with a retry or an error
    ends the run: a provider in trouble gets the interval's pause.
    """
    while True:
        with timed_job("dispatch"):
            outcome = dispatcher.run_once(batch)
        log.info(
            "dispatch job: %d sent, %d to retry, %d failed",
            outcome.sent,
            outcome.retried,
            outcome.failed,
        )
        if dispatcher.stopping or outcome.retried or outcome.errors or _taken(outcome) < batch:
            return


def _taken(outcome: DispatchOutcome) -> int:
    """Alerts a pass took from the outbox (each ends sent, failed, retried or set aside)."""
    return outcome.sent + outcome.failed + outcome.retried + outcome.not_needed + outcome.waiting


def _guarded(name: str, run: Callable[[], bool]) -> Callable[[], None]:
    """`run` (True if it ran, False if skipped) with its outcome counted and errors logged."""

    def tick() -> None:
        try:
            ran = run()
        except Exception:
            JOB_RUNS.labels(job=name, outcome="failed").inc()
            # Logged, not swallowed into an APScheduler warning; the next tick tries again.
            log.exception("%s job failed; it runs again at its next tick", name)
            return
        JOB_RUNS.labels(job=name, outcome="ran" if ran else "skipped").inc()

    return tick


def _always(job: Callable[[], None]) -> Callable[[], bool]:
    def run() -> bool:
        job()
        return True

    return run


def _add_jobs(
    scheduler: BaseScheduler,
    app: App,
    dispatcher: Dispatcher,
    heartbeat: Heartbeat,
    speed: float = 1.0,
) -> None:
    """The interval jobs; `speed` divides every interval."""
    # Which worker runs a job this interval is decided on the ticker's clock: wall time.
    wall = SystemClock()
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
        # A drill's worker (`--speed`) ticks as much faster as its clock runs.
        every = EVERY_SECONDS[name] / speed
        run = _always(job)
        if name in EXCLUSIVE:
            run = _exclusive(app, name, timedelta(seconds=every), wall, job)
        jitter = USCIS_JITTER_SECONDS / speed if name == "uscis" else None
        _add(scheduler, name, _guarded(name, run), every, jitter)
    # The heartbeat tells of the ticker itself, on wall time at any `--speed`.
    _add(scheduler, "heartbeat", _guarded("heartbeat", _always(heartbeat.beat)), BEAT_SECONDS)


def _exclusive(
    app: App, name: str, every: timedelta, wall: Clock, job: Callable[[], None]
) -> Callable[[], bool]:
    def run() -> bool:
        return run_exclusive(app.engine, name, every, wall, job)

    return run


def _add(
    scheduler: BaseScheduler,
    name: str,
    tick: Callable[[], None],
    seconds: float,
    jitter: float | None = None,
) -> None:
    scheduler.add_job(
        tick,
        "interval",
        seconds=seconds,
        jitter=jitter,
        id=name,
        # APScheduler's own log lines name the job by this.
        name=name,
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
        self.heartbeat = Heartbeat(app.engine, dispatcher.worker)
        self.scheduler = BackgroundScheduler(timezone="UTC")
        _add_jobs(self.scheduler, app, dispatcher, self.heartbeat)

    def start(self) -> None:
        self.scheduler.start()

    def stop(self) -> None:
        self.dispatcher.stopping = True
        self.scheduler.shutdown(wait=True)
        _forget(self.heartbeat)


def run_worker(app: App, dispatcher: Dispatcher, speed: float = 1.0) -> None:
    """Run the jobs in the foreground; SIGTERM lets the message in flight finish first.

    `speed` divides every interval: a drill whose clock runs that much faster (see
    `tracker worker --speed`). With METRICS_PORT set, the process metrics are served there.
    """
    heartbeat = Heartbeat(app.engine, dispatcher.worker)
    scheduler = BlockingScheduler(timezone="UTC")
    _add_jobs(scheduler, app, dispatcher, heartbeat, speed)
    port = app.settings.metrics_port
    server = start_http_server(port)[0] if port else None

    def stop(signum: int, frame: FrameType | None) -> None:
        del frame
        if dispatcher.stopping:
            # A second signal (a supervisor that signals the whole process group, say)
            # lands inside the first one's shutdown: let that one finish.
            log.info("signal %d: already stopping", signum)
            return
        log.info("signal %d: finishing the message in flight, then stopping", signum)
        dispatcher.stopping = True
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        scheduler.start()
    finally:
        if server is not None:
            server.shutdown()
        _forget(heartbeat)


def _forget(heartbeat: Heartbeat) -> None:
    try:
        heartbeat.stop()
    except Exception:
        # The database may be what stopped us; the row then goes stale, as a crash's would.
        log.warning("could not remove this worker's heartbeat", exc_info=True)
