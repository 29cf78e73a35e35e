"""The FastAPI application."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response

from tracker.bootstrap import App
from tracker.jobs.heartbeat import scheduler_health
from tracker.jobs.scheduler import Ticker
from tracker.store.db import session_scope
from tracker.web.admin.auth import AdminAuth
from tracker.web.admin.site import install_admin
from tracker.web.api import api_routes
from tracker.web.errors import install_error_answers
from tracker.web.feeds import feed_routes
from tracker.web.metrics import metrics_routes
from tracker.web.webhooks import webhook_routes


def create_app(app: App, *, with_scheduler: bool = False) -> FastAPI:
    """The web application; `with_scheduler` also runs the interval jobs (embedded mode)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        ticker = Ticker(app, app.dispatcher()) if with_scheduler else None
        if ticker:
            ticker.start()
        try:
            yield
        finally:
            if ticker:
                ticker.stop()
            app.engine.dispose()

    web = FastAPI(title="Parole tracker", lifespan=lifespan)
    web.include_router(webhook_routes(app))
    web.include_router(feed_routes(app))
    web.include_router(api_routes(app))
    auth = AdminAuth(app)
    install_admin(web, app, auth)
    install_error_answers(web, auth)
    web.include_router(metrics_routes(app.engine, app.clock, app.settings.uscis_daily_budget))

    @web.get("/healthz")
    def healthz(response: Response) -> dict[str, str | float | int | None]:
        """Whether the database answers, and how long ago a scheduler last ticked.

        503 when the database does not answer, or when every scheduler's heartbeat is
        older than the staleness limit (they died or hang). No heartbeat at all ("none":
        a fresh install, workers scaled to zero) is healthy; see `tracker.jobs.heartbeat`.
        """
        try:
            with session_scope(app.engine) as session:
                health = scheduler_health(session, app.clock.now())
        except Exception as exc:  # any driver error means "not healthy"
            response.status_code = 503
            return {"status": "error", "database": type(exc).__name__}
        if health.state == "stale":
            response.status_code = 503
        return {
            "status": "stale" if health.state == "stale" else "ok",
            "database": "ok",
            "scheduler": health.state,
            "heartbeat_age_seconds": health.age_seconds,
            "schedulers": health.live,
        }

    return web
