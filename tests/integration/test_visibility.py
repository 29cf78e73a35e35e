"""Every route of the web app, enumerated: a representative reads and changes only their own
cases through each one (the rule in `tracker.cases.access`).

The enumeration is the point: a route added later that is in none of the lists below fails
`test_every_route_is_accounted_for` until someone says how it scopes case data.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tracker.bootstrap import App
from tracker.cases.repository import find_case
from tracker.feeds.tokens import issue
from tracker.store.db import session_scope
from tracker.web.app import create_app

from ..conftest import table_counts
from .admin_support import sign_in
from .test_api import ALICE, CASES, seed, token_for

# Alice represents P1 and P2; P3 is Bob's; P4 and P5 have no representative.
OWN, FOREIGN = "P1", "P3"
OWN_NAME = "Olena Testenko"
FOREIGN_NAMES = [name for ref, name, *_, rep in CASES if rep != ALICE]
FOREIGN_A_NUMBERS = [f"A{a}" for ref, _, _, _, _, _, a, rep in CASES if rep != ALICE]

# Routes that read case data without naming a case: their answer to Alice names none of
# the other cases. `own` marks those that list cases, where her own must appear.
LISTS: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/api/v1/cases"): {"own": True},
    ("GET", "/api/v1/expiring"): {"own": True, "params": {"within": 3660}},
    ("GET", "/admin"): {},
    ("GET", "/admin/cases"): {"own": True, "params": {"within": 3660}},
    ("GET", "/admin/cases.csv"): {"own": True, "params": {"within": 3660}},
    ("GET", "/admin/feeds"): {},
    ("GET", "/admin/terminations"): {},
    ("GET", "/admin/forecast"): {},
    ("GET", "/admin/audit"): {},
    ("GET", "/admin/import"): {},
    ("GET", "/admin/languages"): {},
    ("GET", "/admin/languages/{code}"): {"path": {"code": "es"}},
}
# Writes that name no case: organisation-wide, so a representative is refused outright.
STAFF_WRITES = {
    ("POST", "/admin/import"),
    ("POST", "/admin/import/{upload_id}/confirm"),
    ("POST", "/admin/terminations"),
    ("POST", "/admin/terminations/preview"),
    ("POST", "/admin/terminations/{termination_id}/stay"),
    ("POST", "/admin/terminations/{termination_id}/lift"),
    ("POST", "/admin/languages/{code}"),
}
# Writes on a feed: Alice may revoke or rotate only her own (a feed of Bob's case here).
FEED_WRITES = {
    ("POST", "/admin/feeds/{token_id}/revoke"),
    ("POST", "/admin/feeds/{token_id}/rotate"),
}
# Routes that hold no case data for a signed-in caller, or are scoped by something else,
# with where that is tested.
ELSEWHERE = {
    ("GET", "/healthz"): "no case data",
    ("GET", "/metrics"): "counts by state only (test_ops)",
    ("GET", "/openapi.json"): "the API's description",
    ("GET", "/docs"): "the API's description",
    ("GET", "/docs/oauth2-redirect"): "the API's description",
    ("GET", "/redoc"): "the API's description",
    ("GET", "/admin/login"): "signing in",
    ("POST", "/admin/login"): "signing in",
    ("POST", "/admin/logout"): "signing out",
    ("POST", "/admin/feeds"): "issues only her own feed (test_admin_pages)",
    ("GET", "/feeds/{token}.ics"): "the feed's secret token decides (test_feeds)",
    ("HEAD", "/feeds/{token}.ics"): "the feed's secret token decides (test_feeds)",
    ("POST", "/webhooks/twilio/status"): "Twilio's signature decides (test_alerts)",
    ("POST", "/webhooks/twilio/inbound"): "Twilio's signature decides (test_alerts)",
}
# Bodies the API's writes validate before they look the case up.
API_BODIES: dict[str, dict[str, Any]] = {
    "/api/v1/cases/{case_id}": {"work_permit_category": "c11"},
    "/api/v1/cases/{case_id}/filings": {"form": "I-131", "filed_date": "2026-11-20"},
    "/api/v1/cases/{case_id}/status-changes": {
        "to_status": "departed", "reason": "left", "effective_date": "2026-11-20",
    },
    "/api/v1/cases/{case_id}/filings/{filing_id}/decision": {
        "decision": "denied", "decided_on": "2026-11-20",
    },
    "/api/v1/cases/{case_id}/filings/{filing_id}/fee-notice": {"due": "2027-01-01"},
    "/api/v1/cases/{case_id}/filings/{filing_id}/response-due": {"due": "2027-01-01"},
    "/api/v1/cases/{case_id}/termination-notices": {"termination_id": 1, "received": "2026-11-20"},
    "/api/v1/cases/{case_id}/appointments": {
        "kind": "biometrics", "local_start": "2027-01-15 09:30", "zone": "America/Chicago",
        "place": "by video",
    },
    "/api/v1/cases/{case_id}/appointments/{appointment_id}/reschedule": {
        "local_start": "2027-01-20 09:30",
    },
    "/api/v1/cases/{case_id}/appointments/{appointment_id}/status": {
        "status": "attended", "reason": "went",
    },
}  # fmt: skip


@dataclass(frozen=True)
class Endpoint:
    """One method of one route, with its path as the router writes it (no converters)."""

    method: str
    path: str

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path

    @property
    def names_a_case(self) -> bool:
        return "{case_id}" in self.path


def endpoints(web: FastAPI) -> list[Endpoint]:
    """Every method of every route the app answers, 405 answers for other methods aside."""
    found: list[Endpoint] = []
    for route in _routes(web):
        if getattr(route, "name", "") == "not_allowed":
            continue
        path = str(getattr(route, "path_format", None) or getattr(route, "path", ""))
        methods = set(getattr(route, "methods", None) or ())
        if "GET" in methods:
            methods.discard("HEAD")  # Starlette's HEAD of a GET: the same answer, no body
        found.extend(Endpoint(method, path) for method in sorted(methods))
    return found


def _routes(web: FastAPI) -> Iterator[Any]:
    # FastAPI 0.165 keeps included routers as groups; their routes are its route contexts.
    for route in web.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is None:
            yield route
        else:
            yield from contexts() if callable(contexts) else contexts


@dataclass
class Alice:
    """The representative Alice, on the admin (signed in) and on the API (a token)."""

    client: TestClient
    csrf: str
    token: str
    case_ids: dict[str, int]
    feed_id: int

    def call(self, endpoint: Endpoint, ref: str, **extra: Any) -> httpx.Response:
        """Call `endpoint` as Alice on the case `ref` (where its path names one)."""
        values = {"case_id": self.case_ids[ref], "filing_id": 1, "notice_id": 1,
                  "alert_id": 1, "termination_id": 1, "upload_id": 1, "token_id": self.feed_id,
                  "appointment_id": 1,
                  "code": "es", **extra.pop("path", {})}  # fmt: skip
        api = endpoint.path.startswith("/api/")
        if api:
            values["case_id"] = ref
        url = endpoint.path.format(**values)
        if api:
            headers = {"Authorization": f"Bearer {self.token}"}
            body = API_BODIES.get(endpoint.path) if endpoint.method != "GET" else None
            response: httpx.Response = self.client.request(
                endpoint.method, url, headers=headers, json=body, params=extra.get("params")
            )
        elif endpoint.method == "GET":
            response = self.client.get(url, params=extra.get("params"), follow_redirects=False)
        else:
            response = self.client.post(url, data={"csrf": self.csrf}, follow_redirects=False)
        return response


@pytest.fixture
def alice(app: App, tmp_path: Path) -> Iterator[Alice]:
    seed(app, tmp_path)
    with session_scope(app.engine) as session:
        ids = {ref: find_case(session, ref)[0].id or 0 for ref, *_ in CASES}
        # A feed of Bob's case, issued by staff: not Alice's to revoke or rotate.
        feed = issue(session, now=app.clock.now(), actor="test", case_ref=FOREIGN).row.id or 0
    with TestClient(create_app(app)) as client:
        yield Alice(client, sign_in(client, ALICE), token_for(app, ALICE), ids, feed)


def test_every_route_is_accounted_for(app: App) -> None:
    found = endpoints(create_app(app))
    assert len(found) > 40, "the routes were not found: has FastAPI changed how it keeps them?"
    known = set(LISTS) | STAFF_WRITES | FEED_WRITES | set(ELSEWHERE)
    unaccounted = [e.key for e in found if not e.names_a_case and e.key not in known]
    assert unaccounted == [], "say how these routes scope case data"
    assert {e.key for e in found} >= known, "these lists name routes that are gone"


def test_a_representative_reads_only_their_own_cases_through_every_route(
    app: App, alice: Alice
) -> None:
    checked = []
    for endpoint in endpoints(create_app(app)):
        if endpoint.names_a_case and endpoint.method == "GET":
            theirs = alice.call(endpoint, FOREIGN)
            assert theirs.status_code in (403, 404), (endpoint, theirs.text)
            _names_no_one_else(endpoint, theirs)
            mine = alice.call(endpoint, OWN)
            assert mine.status_code == 200, (endpoint, mine.text)
            _names_no_one_else(endpoint, mine)
        elif endpoint.key in LISTS:
            how = LISTS[endpoint.key]
            answer = alice.call(endpoint, OWN, **how)
            assert answer.status_code in (200, 403), (endpoint, answer.text)
            _names_no_one_else(endpoint, answer)
            if how.get("own"):
                assert answer.status_code == 200 and OWN_NAME in answer.text, endpoint
        else:
            continue
        checked.append(endpoint.key)
    # Every case page and list of both the admin and the API was called.
    assert len(checked) >= len(LISTS) + 5


def test_a_representative_changes_only_their_own_cases_through_every_route(
    app: App, alice: Alice
) -> None:
    before = table_counts(app.engine)
    checked = []
    for endpoint in endpoints(create_app(app)):
        if endpoint.names_a_case and endpoint.method != "GET":
            answer = alice.call(endpoint, FOREIGN)
        elif endpoint.key in STAFF_WRITES | FEED_WRITES:
            answer = alice.call(endpoint, OWN)
        else:
            continue
        assert answer.status_code in (403, 404), (endpoint, answer.text)
        _names_no_one_else(endpoint, answer)
        checked.append(endpoint.key)
    assert len(checked) >= 20
    # Nothing was written by any of the refused requests (sign-in aside).
    after = table_counts(app.engine)
    assert {t: n for t, n in after.items() if t != "audit_event"} == {
        t: n for t, n in before.items() if t != "audit_event"
    }


def _names_no_one_else(endpoint: Endpoint, answer: httpx.Response) -> None:
    for secret in FOREIGN_NAMES + FOREIGN_A_NUMBERS:
        assert secret not in answer.text, (endpoint, secret)
