"""The FastAPI application."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response
from sqlalchemy import text

from tracker.bootstrap import App
from tracker.jobs.scheduler import Ticker
from tracker.web.admin.site import install_admin
from tracker.web.api import api_routes
from tracker.web.feeds import feed_routes
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
    install_admin(web, app)

    @web.get("/healthz")
    def healthz(response: Response) -> dict[str, str]:
        """Reports whether the database answers."""
        try:
            with app.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:  # any driver error means "not healthy"
            response.status_code = 503
            return {"status": "error", "database": type(exc).__name__}
        return {"status": "ok", "database": "ok"}

    return web
