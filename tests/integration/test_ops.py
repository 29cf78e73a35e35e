"""Operations: /healthz, /metrics, and the dispatcher's process metrics."""

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update
from sqlmodel import col, select

from tests.builders import (
    SMS_COLUMNS,
    a_case,
    an_app,
    import_cases,
    run_import,
    twilio_settings,
    web_client,
)
from tests.fakes.twilio_server import FakeTwilioServer
from tracker.alerts.dispatcher import Dispatcher
from tracker.bootstrap import App
from tracker.clock import FixedClock
from tracker.domain.model import AlertState, Status
from tracker.jobs.heartbeat import STALE_AFTER, Heartbeat
from tracker.sms.twilio_backend import TwilioBackend
from tracker.store.db import session_scope
from tracker.store.models import Alert, Case, NoticeKind, StaffNotice, UscisQuota, WorkerHeartbeat

from ..conftest import EXAMPLE_CASES, NOW

# The example file's people: none of this may reach a metric.
PERSONAL = ("Example Parolee", "555 0170", "5550170", "555-0171", "5550171")


@pytest.fixture
def web(app: App) -> Iterator[TestClient]:
    with web_client(app) as client:
        yield client


def beat(app: App, worker: str, ago: timedelta) -> None:
    Heartbeat(app.engine, worker, FixedClock(NOW - ago)).beat()


def test_it_is_healthy_before_any_scheduler_has_run(web: TestClient) -> None:
    answer = web.get("/healthz")
    assert (answer.status_code, answer.json()) == (
        200,
        {
            "status": "ok",
            "database": "ok",
            "scheduler": "none",
            "heartbeat_age_seconds": None,
            "schedulers": 0,
        },
    )


def test_it_reports_the_newest_heartbeat_and_fails_when_every_one_is_stale(
    app: App, web: TestClient
) -> None:
    beat(app, "worker-a:1", timedelta(seconds=40))
    beat(app, "worker-b:2", timedelta(seconds=12))
    answer = web.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {
        "status": "ok",
        "database": "ok",
        "scheduler": "ok",
        "heartbeat_age_seconds": 12.0,
        "schedulers": 2,
    }
    with app.engine.begin() as connection:
        connection.execute(
            update(WorkerHeartbeat).values(beat_at=NOW - STALE_AFTER - timedelta(seconds=5))
        )
    answer = web.get("/healthz")
    assert answer.status_code == 503
    assert answer.json()["status"] == "stale"
    assert answer.json()["heartbeat_age_seconds"] == STALE_AFTER.total_seconds() + 5


def test_it_answers_503_when_the_database_does_not_answer() -> None:
    nowhere = an_app("postgresql+psycopg://nobody:nothing@127.0.0.1:1/none")
    with web_client(nowhere) as client:
        answer = client.get("/healthz")
        assert (answer.status_code, answer.json()) == (
            503,
            {"status": "error", "database": "OperationalError"},
        )
        metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert samples(metrics.text)["tracker_database_up"] == 0


def samples(text: str) -> dict[str, float]:
    """Every sample of a Prometheus text answer, as `name{label="value",...}` -> value."""
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return found


def seed(app: App) -> None:
    """The example cases (their welcome alerts), some alerts moved on, a quota, notices."""
    assert run_import(app, EXAMPLE_CASES).errors == []
    with app.engine.begin() as connection:
        ids = list(connection.execute(select(Alert.id).order_by(col(Alert.id))).scalars())
        assert len(ids) >= 3
        for alert_id, state in zip(ids, (AlertState.SENT, AlertState.FAILED), strict=False):
            connection.execute(update(Alert).where(col(Alert.id) == alert_id).values(state=state))
        # One planned alert is not due yet: it is not in the backlog.
        connection.execute(
            update(Alert).where(col(Alert.id) == ids[-1]).values(due_at=NOW + timedelta(days=1))
        )
    with session_scope(app.engine) as session:
        case_id = session.exec(select(Case.id).where(Case.status == Status.PAROLED)).first()
        assert case_id is not None
        session.add(UscisQuota(day=NOW.date(), used=42))
        session.add(UscisQuota(day=NOW.date() - timedelta(days=1), used=9000))
        for kind, urgent, resolved in (
            (NoticeKind.USCIS_DENIED, True, None),
            (NoticeKind.USCIS_RFE, True, NOW),
            (NoticeKind.USCIS_APPOINTMENT, False, None),
        ):
            session.add(
                StaffNotice(
                    case_id=case_id, kind=kind, urgent=urgent, message="USCIS says so",
                    created_at=NOW, resolved_at=resolved,
                )
            )  # fmt: skip
    beat(app, "worker-a:1", timedelta(seconds=7))


def test_it_exposes_the_database_gauges_without_personal_data(app: App, web: TestClient) -> None:
    seed(app)
    with session_scope(app.engine) as session:
        planned = len(session.exec(select(Alert).where(Alert.state == AlertState.PLANNED)).all())
    answer = web.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    found = samples(answer.text)
    assert {k: v for k, v in found.items() if k.startswith("tracker_alerts{")} == {
        'tracker_alerts{state="planned"}': planned,
        'tracker_alerts{state="sending"}': 0,
        'tracker_alerts{state="sent"}': 1,
        'tracker_alerts{state="delivered"}': 0,
        'tracker_alerts{state="failed"}': 1,
        'tracker_alerts{state="cancelled"}': 0,
        'tracker_alerts{state="suppressed"}': 0,
    }
    assert found["tracker_alerts_due"] == planned - 1
    assert found["tracker_uscis_quota_used"] == 42
    assert found["tracker_uscis_quota_budget"] == 10_000
    assert found['tracker_staff_notices_open{urgent="true"}'] == 1
    assert found['tracker_staff_notices_open{urgent="false"}'] == 1
    assert found["tracker_scheduler_heartbeat_age_seconds"] == 7
    assert found["tracker_scheduler_live"] == 1
    assert found["tracker_database_up"] == 1
    # The process's own families are there too (empty in a process that sent nothing).
    assert "# TYPE tracker_sms_send_seconds histogram" in answer.text
    assert "# TYPE tracker_job_seconds histogram" in answer.text
    for secret in PERSONAL:
        assert secret not in answer.text


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_it_counts_send_latency_and_twilio_errors_by_code(
    database_url: str, tmp_path: Path, twilio_server: FakeTwilioServer
) -> None:
    app = an_app(database_url, **twilio_settings(twilio_server))
    phones = ["+12025550180", "+12025550181", "+12025550182"]
    rows = [
        a_case(external_id=f"M{n}", full_name="Metric Person", phone=phone)
        for n, phone in enumerate(phones)
    ]
    assert import_cases(app, tmp_path / "cases.csv", rows, SMS_COLUMNS).errors == []
    # The first send meets a 429, the second an invalid number, the third goes.
    twilio_server.invalid_number(phones[1])
    twilio_server.fail_next(429, method="POST")
    before = (
        sample("tracker_sms_send_seconds_count"),
        sample("tracker_sms_errors_total", code="21211", kind="unreachable"),
        sample("tracker_sms_errors_total", code="20429", kind="rate_limited"),
    )
    with httpx.Client(timeout=5.0) as http:
        dispatcher = Dispatcher(
            engine=app.engine,
            backend=TwilioBackend(app.settings, http=http),
            composer=app.composer,
            clock=app.clock,
            worker="metrics-test",
            sleep=lambda _: None,
        )
        outcome = dispatcher.run_once()
    app.engine.dispose()
    assert (outcome.sent, outcome.failed, outcome.retried) == (1, 1, 1)
    after = (
        sample("tracker_sms_send_seconds_count"),
        sample("tracker_sms_errors_total", code="21211", kind="unreachable"),
        sample("tracker_sms_errors_total", code="20429", kind="rate_limited"),
    )
    assert [b - a for a, b in zip(before, after, strict=True)] == [3, 1, 1]
    exposed = "\n".join(f"{s.name} {s.labels}" for m in REGISTRY.collect() for s in m.samples)
    assert not re.search(r"555\d{4}|Metric Person", exposed)
