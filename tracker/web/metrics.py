"""GET /metrics: Prometheus text exposition.

Two kinds of numbers, in one answer:
- what the database knows, read at each scrape and the same from every process: alerts
  by state, the dispatch backlog, the USCIS requests spent today, open staff notices,
  the newest scheduler heartbeat;
- this process's own counters and histograms (`tracker.metrics`, plus the client's
  process_* and python_* families). A `tracker web` process sends nothing, so its send
  and job numbers stay empty: scrape each worker on METRICS_PORT for those.

Labels hold states, kinds and codes only, never personal data.
"""

import logging
from collections.abc import Iterator

from fastapi import APIRouter, Response
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from tracker.clock import Clock
from tracker.domain.model import AlertState
from tracker.jobs.gauges import DatabaseGauges, read_gauges
from tracker.store.db import session_scope

log = logging.getLogger(__name__)


class DatabaseCollector(Collector):
    """The database's gauges, read at each scrape; `tracker_database_up` 0 if it failed."""

    def __init__(self, engine: Engine, clock: Clock, uscis_budget: int) -> None:
        self.engine = engine
        self.clock = clock
        self.uscis_budget = uscis_budget

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("tracker_database_up", "1 if the database answered this scrape.")
        try:
            with session_scope(self.engine) as session:
                gauges = read_gauges(session, self.clock)
        except SQLAlchemyError as exc:
            log.warning("metrics: the database did not answer (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from self._families(gauges)

    def _families(self, gauges: DatabaseGauges) -> Iterator[Metric]:
        alerts = GaugeMetricFamily(
            "tracker_alerts", "Alerts by state (whole database).", labels=["state"]
        )
        for state in AlertState:
            alerts.add_metric([state.value], gauges.alerts.get(state, 0))
        yield alerts
        yield _gauge("tracker_alerts_due", "Planned alerts already due: the backlog.", gauges.due)
        yield _gauge(
            "tracker_uscis_quota_used",
            "USCIS Case Status requests spent this GMT day (every worker).",
            gauges.uscis_used,
        )
        yield _gauge(
            "tracker_uscis_quota_budget", "USCIS requests allowed a GMT day.", self.uscis_budget
        )
        notices = GaugeMetricFamily(
            "tracker_staff_notices_open", "Unresolved staff notices.", labels=["urgent"]
        )
        for urgent in (True, False):
            notices.add_metric([str(urgent).lower()], gauges.open_notices.get(urgent, 0))
        yield notices
        health = gauges.scheduler
        yield _gauge(
            "tracker_scheduler_live",
            "Schedulers (worker or serve) that beat within the staleness limit.",
            health.live,
        )
        if health.age_seconds is not None:
            yield _gauge(
                "tracker_scheduler_heartbeat_age_seconds",
                "Seconds since the newest scheduler heartbeat (absent: no scheduler ever).",
                health.age_seconds,
            )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def metrics_routes(engine: Engine, clock: Clock, uscis_budget: int) -> APIRouter:
    """GET /metrics for this process, with the database's gauges."""
    router = APIRouter()
    # Its own registry: the database collector belongs to this app, not to the process
    # (tests build many apps in one process; a worker's METRICS_PORT serves no DB gauges).
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector(engine, clock, uscis_budget))

    @router.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        """Prometheus text format."""
        body = generate_latest(REGISTRY) + generate_latest(database)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return router
