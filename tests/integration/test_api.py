"""The JSON API under /api/v1: bearer tokens, scope, pages, and writes that recompute."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlmodel import select

from tests.builders import a_case, import_cases
from tracker.accounts.api_tokens import issue_api_token
from tracker.bootstrap import App
from tracker.cases.cursors import encode_cursor
from tracker.cases.terminations import TerminationRequest, apply_termination
from tracker.domain.model import Program
from tracker.store.db import session_scope
from tracker.store.models import ApiToken, AuditEvent, Role, User
from tracker.web.app import create_app

from ..conftest import NOW, table_counts
from .admin_support import add_user

ADMIN, ALICE, BOB = "admin@example.org", "alice@example.org", "bob@example.org"
# external id, name, phone, program, arrival, expiry, A-number, representative
CASES = [
    ("P1", "Olena Testenko", "+12025550171", "U4U", "2025-09-01", "2027-01-31", "012345671",
     ALICE),
    ("P2", "Ivan Testenko", "+12025550172", "U4U", "2025-09-01", "2026-12-31", "012345672",
     ALICE),
    ("P3", "Maria Ejemplo", "+12025550173", "CHNV", "2026-06-01", "2027-03-15", "012345673", BOB),
    ("P4", "Jean Exemple", "+12025550174", "OAW", "2025-10-01", "2026-12-31", "012345674", ""),
    ("P5", "Ana Muestra", "+12025550175", "CAM", "2025-07-01", "2028-06-30", "012345675", ""),
]  # fmt: skip


def seed(app: App, tmp_path: Path) -> None:
    """Import CASES, and an administrator and the representative Alice who can sign in."""
    rows = [
        a_case(
            external_id=ref,
            full_name=name,
            phone=phone,
            program=program,
            arrival_date=arrival,
            parole_start=arrival,
            parole_expiry=expiry,
            a_number=f"A{a_number}",
            representative_name=rep.split("@")[0].title() if rep else "",
            representative_email=rep,
        )
        for ref, name, phone, program, arrival, expiry, a_number, rep in CASES
    ]
    assert import_cases(app, tmp_path / "cases.csv", rows).errors == []
    for email, role in ((ADMIN, Role.ADMIN), (ALICE, Role.REPRESENTATIVE)):
        add_user(app, email, role)


def token_for(app: App, email: str) -> str:
    """A new API token acting as the user with `email`."""
    with session_scope(app.engine) as session:
        return issue_api_token(session, email=email, name="test", now=NOW, actor="test").token


@dataclass
class Api:
    """A client of the API, calling as one user."""

    client: TestClient
    token: str

    def get(self, path: str, **params: Any) -> httpx.Response:
        response: httpx.Response = self.client.get(
            path, params=params or None, headers={"Authorization": f"Bearer {self.token}"}
        )
        return response

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        response: httpx.Response = self.client.post(
            path, json=body, headers={"Authorization": f"Bearer {self.token}"}
        )
        return response

    def patch(self, path: str, body: dict[str, Any]) -> httpx.Response:
        response: httpx.Response = self.client.patch(
            path, json=body, headers={"Authorization": f"Bearer {self.token}"}
        )
        return response


@contextmanager
def api(app: App, tmp_path: Path, email: str = ADMIN) -> Iterator[Api]:
    """The seeded app, called with a token of the user with `email`."""
    seed(app, tmp_path)
    with TestClient(create_app(app)) as client:
        yield Api(client, token_for(app, email))


def external_ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["external_id"] for item in response.json()["items"]]


def test_it_refuses_a_missing_malformed_unknown_or_revoked_token(app: App, tmp_path: Path) -> None:
    with api(app, tmp_path) as admin:
        assert admin.get("/api/v1/cases").status_code == 200
        tries = {
            "none": {},
            "basic": {"Authorization": "Basic YWRtaW46YWRtaW4="},
            "unknown": {"Authorization": "Bearer not-a-token"},
        }
        for name, headers in tries.items():
            response = admin.client.get("/api/v1/cases", headers=headers)
            assert response.status_code == 401, name
            assert response.headers["www-authenticate"].startswith("Bearer"), name
            assert "token" in response.json()["detail"], name
        with session_scope(app.engine) as session:
            for row in session.exec(select(ApiToken)).all():
                row.revoked_at = NOW
                session.add(row)
        revoked = admin.get("/api/v1/cases/P1")
        assert revoked.status_code == 401
        assert revoked.headers["www-authenticate"] == 'Bearer error="invalid_token"'
        assert revoked.json() == {
            "detail": "This API token is not valid: it is unknown, revoked, or its user is "
            "disabled."
        }


def test_it_refuses_the_token_of_a_disabled_user(app: App, tmp_path: Path) -> None:
    with api(app, tmp_path) as admin:
        with session_scope(app.engine) as session:
            user = session.exec(select(User).where(User.email == ADMIN)).one()
            user.disabled_at = NOW
            session.add(user)
        assert admin.get("/api/v1/cases").status_code == 401


def test_it_records_when_a_token_was_last_used(app: App, tmp_path: Path) -> None:
    with api(app, tmp_path) as admin:
        admin.get("/api/v1/cases")
    with session_scope(app.engine) as session:
        assert [t.last_used_at for t in session.exec(select(ApiToken)).all()] == [NOW]


def test_it_lists_cases_a_page_at_a_time_without_repeats(app: App, tmp_path: Path) -> None:
    with api(app, tmp_path) as admin:
        seen: list[str] = []
        cursor: str | None = None
        pages = 0
        while True:
            params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            response = admin.get("/api/v1/cases", **params)
            seen += external_ids(response)
            pages += 1
            cursor = response.json()["next_cursor"]
            if cursor is None:
                break
    assert (seen, pages) == (["P1", "P2", "P3", "P4", "P5"], 3)


def test_it_filters_cases_by_program_status_and_representative(app: App, tmp_path: Path) -> None:
    with api(app, tmp_path) as admin:
        assert external_ids(admin.get("/api/v1/cases", program=["U4U", "CAM"])) == [
            "P1",
            "P2",
            "P5",
        ]
        assert external_ids(admin.get("/api/v1/cases", status="closed")) == []
        first = admin.get("/api/v1/cases/P1").json()
        rep_id = first["representative"]["id"]
        assert external_ids(admin.get("/api/v1/cases", representative_id=rep_id)) == ["P1", "P2"]
        assert admin.get("/api/v1/cases", program="U4U", status="paroled").json()["items"][0] == {
            "id": first["id"], "external_id": "P1", "name": "Olena Testenko", "program": "U4U",
            "status": "paroled", "end_date": "2027-01-31", "representative_id": rep_id,
        }  # fmt: skip


def test_it_shows_a_case_by_external_or_numeric_id_without_phone_or_a_number(
    app: App, tmp_path: Path
) -> None:
    with api(app, tmp_path) as admin:
        response = admin.get("/api/v1/cases/P3")
        assert response.status_code == 200
        case = response.json()
        assert admin.get(f"/api/v1/cases/{case['id']}").json() == case
        everything = response.text + "".join(
            admin.get(f"/api/v1/cases/P3/{part}").text
            for part in ("deadlines", "filings", "status-changes")
        )
    assert {k: case[k] for k in ("external_id", "name", "language", "timezone", "program")} == {
        "external_id": "P3", "name": "Maria Ejemplo", "language": "en",
        "timezone": "America/New_York", "program": "CHNV",
    }  # fmt: skip
    assert (case["status"], case["end_date"]) == ("paroled", "2027-03-15")
    assert case["representative"]["email"] == BOB
    kinds = [d["kind"] for d in case["deadlines"]]
    assert {"parole_expiry", "asylum_one_year"} <= set(kinds)
    assert [d["date"] for d in case["deadlines"]] == sorted(d["date"] for d in case["deadlines"])
    expiry = next(d for d in case["deadlines"] if d["kind"] == "parole_expiry")
    assert expiry["date"] == "2027-03-15" and expiry["citation"] and expiry["rule"]
    for secret in ("2025550173", "012345673", "12345673"):
        assert secret not in everything


def test_it_answers_404_for_a_case_that_does_not_exist(app: App, tmp_path: Path) -> None:
    with api(app, tmp_path) as admin:
        for ref in ("nope", "99999", "99999999999999999999"):
            response = admin.get(f"/api/v1/cases/{ref}/deadlines")
            assert response.status_code == 404
            assert response.json() == {"detail": f"no case with external id or id {ref!r}"}


def test_it_lists_expiring_cases_soonest_first_a_page_at_a_time(app: App, tmp_path: Path) -> None:
    with api(app, tmp_path) as admin:
        response = admin.get("/api/v1/expiring", within=120)
        assert external_ids(response) == ["P2", "P4", "P1", "P3"]
        first = response.json()["items"][0]
        assert (first["days_left"], first["end_date"]) == (32, "2026-12-31")
        assert first["next_deadline"]["kind"] == "parole_expiry"
        assert first["next_deadline"]["act_by"] >= NOW.date().isoformat()
        seen, cursor = [], None
        while True:
            params: dict[str, Any] = {"within": 120, "limit": 1}
            page = admin.get("/api/v1/expiring", **params | ({"cursor": cursor} if cursor else {}))
            seen += external_ids(page)
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break
        assert seen == ["P2", "P4", "P1", "P3"]
        assert external_ids(admin.get("/api/v1/expiring", within=40, program="OAW")) == ["P4"]
        assert external_ids(admin.get("/api/v1/expiring", within=0)) == []


def test_a_representative_sees_and_changes_only_their_own_cases(app: App, tmp_path: Path) -> None:
    with api(app, tmp_path, ALICE) as alice:
        assert external_ids(alice.get("/api/v1/cases")) == ["P1", "P2"]
        assert external_ids(alice.get("/api/v1/expiring", within=3000)) == ["P2", "P1"]
        assert alice.get("/api/v1/cases/P1").status_code == 200
        before = table_counts(app.engine)
        # Another representative's case answers exactly as a case that does not exist.
        for path in ("/api/v1/cases/P3", "/api/v1/cases/P4/filings"):
            response = alice.get(path)
            assert response.status_code == 404, path
            assert response.json()["detail"].startswith("no case with external id or id")
        move = {"to_status": "closed", "reason": "not mine to close"}
        assert alice.post("/api/v1/cases/P3/status-changes", move).status_code == 404
        filing = {"form": "I-765", "filed_date": "2026-11-02"}
        assert alice.post("/api/v1/cases/P4/filings", filing).status_code == 404
        assert table_counts(app.engine) == before
        assert alice.post("/api/v1/cases/P1/filings", filing).status_code == 201


def test_it_records_a_filing_and_recomputes_the_deadlines(app: App, tmp_path: Path) -> None:
    with api(app, tmp_path) as admin:
        body = {"form": "I-589", "receipt_number": "zla-26 1234 5678", "filed_date": "2026-11-20"}
        response = admin.post("/api/v1/cases/P3/filings", body)
        assert response.status_code == 201, response.text
        created = response.json()
        assert created["filing"] | {"id": 0} == {
            "id": 0, "form": "I-589", "receipt_number": "ZLA2612345678",
            "filed_date": "2026-11-20", "decision": None, "decided_on": None,
            "status_text": None,
        }  # fmt: skip
        # A filed asylum application satisfies the one-year deadline: it goes away.
        assert "asylum_one_year" not in [d["kind"] for d in created["case"]["deadlines"]]
        [change] = [c for c in created["deadline_changes"] if c["slot"] == "asylum_one_year"]
        assert (change["old_date"], change["new_date"]) == ("2027-06-01", None)
        listed = admin.get("/api/v1/cases/P3/filings").json()
        assert listed == [created["filing"]]
        assert admin.get("/api/v1/cases/P3/deadlines").json() == created["case"]["deadlines"]
    with session_scope(app.engine) as session:
        query = select(AuditEvent).where(AuditEvent.action == "case.filing_added")
        event = session.exec(query).one()
    # The filing is audited as the admin's and the CLI's are: on its case, naming it.
    assert (event.actor, json.loads(event.detail)["filing"]) == (
        f"user:{ADMIN}",
        created["filing"]["id"],
    )


def test_it_refuses_a_bad_filing_with_reasons_and_writes_nothing(app: App, tmp_path: Path) -> None:
    with api(app, tmp_path) as admin:
        good = {"form": "I-131", "receipt_number": "IOE0912345678", "filed_date": "2026-11-02"}
        assert admin.post("/api/v1/cases/P1/filings", good).status_code == 201
        before = table_counts(app.engine)
        refusals: dict[str, dict[str, Any]] = {
            "receipt number is 3 letters and 10 digits": good | {"receipt_number": "IOE12"},
            "after today (2026-11-29)": good | {"receipt_number": None, "filed_date": "2026-12-01"},
            "YYYY-MM-DD": good | {"receipt_number": None, "filed_date": "02/11/2026"},
            "between 1900-01-01 and 2199-12-31": good | {"receipt_number": None,
                                                         "filed_date": "0001-01-01"},
            "Input should be 'I-131'": good | {"form": "I-999"},
            "Extra inputs are not permitted": good | {"note": "typo of a field"},
            "already recorded on another filing": good,
        }  # fmt: skip
        for message, body in refusals.items():
            response = admin.post("/api/v1/cases/P2/filings", body)
            assert response.status_code == 422, message
            assert message in str(response.json()["detail"]), response.text
        assert table_counts(app.engine) == before


def test_it_changes_status_as_the_cli_does_and_recomputes(app: App, tmp_path: Path) -> None:
    with api(app, tmp_path) as admin:
        pending = {
            "to_status": "reparole_pending", "reason": "I-131 filed",
            "effective_date": "2026-11-20", "form": "I-131", "receipt_number": "IOE0912345678",
        }  # fmt: skip
        response = admin.post("/api/v1/cases/P2/status-changes", pending)
        assert response.status_code == 201, response.text
        step = response.json()["status_change"]
        assert step | {"id": 0} == {
            "id": 0, "from_status": "paroled", "to_status": "reparole_pending",
            "changed_at": "2026-11-29T17:00:00Z", "actor": f"user:{ADMIN}",
            "reason": "I-131 filed", "effective_date": "2026-11-20",
        }  # fmt: skip
        assert [f["form"] for f in admin.get("/api/v1/cases/P2/filings").json()] == ["I-131"]
        approved = {"to_status": "paroled", "reason": "re-parole approved",
                    "new_expiry": "2028-11-30"}  # fmt: skip
        response = admin.post("/api/v1/cases/P2/status-changes", approved)
        assert response.status_code == 201, response.text
        case = response.json()["case"]
        assert (case["status"], case["end_date"]) == ("paroled", "2028-11-30")
        expiry = next(d for d in case["deadlines"] if d["kind"] == "parole_expiry")
        assert expiry["date"] == "2028-11-30"
        moved = [c for c in response.json()["deadline_changes"] if c["slot"] == "parole_expiry"]
        assert [(c["old_date"], c["new_date"]) for c in moved] == [("2026-12-31", "2028-11-30")]
        history = admin.get("/api/v1/cases/P2/status-changes").json()
        assert [h["to_status"] for h in history] == ["paroled", "reparole_pending", "paroled"]
        assert [f["decision"] for f in admin.get("/api/v1/cases/P2/filings").json()] == ["approved"]
        assert external_ids(admin.get("/api/v1/expiring", within=60)) == ["P4"]


def test_it_refuses_an_illegal_move_naming_the_legal_ones(app: App, tmp_path: Path) -> None:
    with api(app, tmp_path) as admin:
        close = {"to_status": "closed", "reason": "left the program"}
        assert admin.post("/api/v1/cases/P1/status-changes", close).status_code == 201
        before = table_counts(app.engine)
        response = admin.post(
            "/api/v1/cases/P1/status-changes", {"to_status": "departed", "reason": "left",
                                                "effective_date": "2026-11-01"}
        )  # fmt: skip
        assert response.status_code == 422
        assert response.json() == {
            "detail": "a case cannot go from closed to departed; from closed it can go to: paroled"
        }
        refusals = {
            "needs new_expiry": {"to_status": "paroled", "reason": "reopened"},
            "String should match pattern": {"to_status": "paroled", "reason": "   ",
                                            "new_expiry": "2027-12-31"},
            "a receipt_number needs its form": {"to_status": "paroled", "reason": "x",
                                                "new_expiry": "2027-12-31",
                                                "receipt_number": "IOE0912345678"},
            "Field required": {"to_status": "paroled", "new_expiry": "2027-12-31"},
            "expiry 2020-01-01 is before the start 2026-11-29": {
                "to_status": "paroled", "reason": "x", "new_expiry": "2020-01-01"},
        }  # fmt: skip
        for message, body in refusals.items():
            response = admin.post("/api/v1/cases/P1/status-changes", body)
            assert response.status_code == 422, message
            assert message in str(response.json()["detail"]), response.text
        assert table_counts(app.engine) == before
        departed = {"to_status": "departed", "reason": "left"}
        response = admin.post("/api/v1/cases/P2/status-changes", departed)
        assert response.json() == {
            "detail": "moving to departed needs effective_date, the day it happened"
        }


def test_it_refuses_bad_query_parameters_with_reasons(app: App, tmp_path: Path) -> None:
    with api(app, tmp_path) as admin:
        refusals = {
            "/api/v1/cases?limit=0": "greater than or equal to 1",
            "/api/v1/cases?limit=201": "less than or equal to 200",
            "/api/v1/cases?program=XYZ": "Input should be",
            "/api/v1/cases?cursor=not-a-cursor": "not a cursor this list gave out",
            "/api/v1/expiring": "Field required",
            "/api/v1/expiring?within=-1": "greater than or equal to 0",
            "/api/v1/expiring?within=100000": "less than or equal to 3660",
        }
        cases_cursor = admin.get("/api/v1/cases", limit=1).json()["next_cursor"]
        # A cursor of one list is not taken by another.
        refusals[f"/api/v1/expiring?within=9&cursor={cases_cursor}"] = "not a cursor"
        for path, message in refusals.items():
            response = admin.get(path)
            assert response.status_code == 422, path
            assert message in str(response.json()["detail"]), response.text


def test_the_openapi_document_describes_the_api(app: App, tmp_path: Path) -> None:
    with api(app, tmp_path) as admin:
        schema = admin.client.get("/openapi.json").json()
    paths = schema["paths"]
    assert not [p for p in paths if p.startswith("/admin")]
    assert {
        "/api/v1/cases", "/api/v1/expiring", "/api/v1/cases/{case_id}",
        "/api/v1/cases/{case_id}/deadlines", "/api/v1/cases/{case_id}/filings",
        "/api/v1/cases/{case_id}/status-changes",
    } <= set(paths)  # fmt: skip
    assert schema["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["bearer"]["description"],
    }
    post = paths["/api/v1/cases/{case_id}/status-changes"]["post"]
    assert set(post["responses"]) == {"201", "400", "401", "404", "422"}
    assert post["security"] == [{"bearer": []}]
    operation_ids = [op["operationId"] for item in paths.values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids))
    case = schema["components"]["schemas"]["CaseOut"]["properties"]
    assert not {"phone", "a_number", "notes"} & set(case)


def test_it_refuses_values_the_database_could_not_store(app: App, tmp_path: Path) -> None:
    # PostgreSQL refuses NUL in text and integers past 2**31 - 1: each must be a 4xx.
    with api(app, tmp_path) as admin:
        assert admin.get("/api/v1/cases/P%001").status_code == 422
        assert admin.get("/api/v1/cases/2147483648").status_code == 404
        assert admin.get("/api/v1/cases", representative_id=2**31).status_code == 422
        far = encode_cursor("cases", [2**40])
        assert admin.get("/api/v1/cases", cursor=far).status_code == 422
        nul = {"to_status": "closed", "reason": "done\x00"}
        assert admin.post("/api/v1/cases/P1/status-changes", nul).status_code == 422


def test_it_answers_a_method_a_path_does_not_take_with_every_method_it_does(
    app: App, tmp_path: Path
) -> None:
    with api(app, tmp_path) as admin:
        response = admin.client.request("PUT", "/api/v1/cases/P1/filings?allow=x")
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, POST"
        assert admin.client.delete("/api/v1/cases").headers["allow"] == "GET"


# --- facts, decisions and notices (issue 13) ---------------------------------------------


def test_it_sets_the_facts_the_rules_read_and_empties_one_with_null(
    app: App, tmp_path: Path
) -> None:
    with api(app, tmp_path) as admin:
        response = admin.patch(
            "/api/v1/cases/P1",
            {"birth_date": "2010-01-15", "work_permit_category": "(c)(11)",
             "work_permit_expiry": "2028-01-01", "parole_fee_due": "2026-12-20"},
        )  # fmt: skip
        assert response.status_code == 200, response.text
        case = response.json()
        assert (case["birth_date"], case["work_permit_category"]) == ("2010-01-15", "c11")
        by_kind = {d["kind"]: d for d in case["deadlines"]}
        # The (c)(11) card ends with parole; the fee is due on the notice's day.
        assert by_kind["work_permit_expiry"]["date"] == "2027-01-31"
        assert by_kind["parole_fee_due"]["date"] == "2026-12-20"
        cleared = admin.patch("/api/v1/cases/P1", {"parole_fee_due": None}).json()
        assert cleared["parole_fee_due"] is None and cleared["birth_date"] == "2010-01-15"
        assert "parole_fee_due" not in {d["kind"] for d in cleared["deadlines"]}


def test_it_refuses_bad_facts_and_writes_nothing(app: App, tmp_path: Path) -> None:
    with api(app, tmp_path) as admin:
        before = table_counts(app.engine)
        for body, fragment in [
            ({"birth_date": "2027-01-01"}, "after today"),
            ({"birth_date": "2025-10-01"}, "after the arrival"),
            ({"work_permit_category": "eleven"}, "not a work permit category"),
            ({"nickname": "x"}, "nickname"),
        ]:
            response = admin.patch("/api/v1/cases/P1", body)
            assert response.status_code == 422, body
            assert fragment in response.text, response.text
        assert table_counts(app.engine) == before


def test_it_records_a_decision_and_refuses_one_before_the_filing(app: App, tmp_path: Path) -> None:
    with api(app, tmp_path) as admin:
        filed = admin.post(
            "/api/v1/cases/P2/filings", {"form": "I-589", "filed_date": "2026-11-01"}
        )
        filing_id = filed.json()["filing"]["id"]
        early = admin.post(
            f"/api/v1/cases/P2/filings/{filing_id}/decision",
            {"decision": "denied", "decided_on": "2026-10-01"},
        )
        assert early.status_code == 422 and "before the I-589 was filed" in early.text
        done = admin.post(
            f"/api/v1/cases/P2/filings/{filing_id}/decision",
            {"decision": "rejected", "decided_on": "2026-11-20"},
        )
        assert done.status_code == 200, done.text
        assert "asylum_one_year" in {d["kind"] for d in done.json()["deadlines"]}
        again = admin.post(
            f"/api/v1/cases/P2/filings/{filing_id}/decision",
            {"decision": "denied", "decided_on": "2026-11-21"},
        )
        assert again.status_code == 422 and "already decided" in again.text
        assert (
            admin.post(
                "/api/v1/cases/P2/filings/999/decision",
                {"decision": "denied", "decided_on": "2026-11-21"},
            ).status_code
            == 404
        )


def test_it_records_an_individual_notice_of_a_termination(app: App, tmp_path: Path) -> None:
    with api(app, tmp_path) as admin:
        request = TerminationRequest(
            program=Program.U4U, effective=date(2026, 12, 15), citation="notice-based test",
            notice_date=date(2026, 11, 15), on_notice=True,
        )  # fmt: skip
        with session_scope(app.engine) as session:
            termination = apply_termination(session, request, app.policies, NOW, "test")
        tid = termination.termination_id
        case = admin.get("/api/v1/cases/P1").json()
        assert case["end_date"] == "2027-01-31"
        assert case["terminations"][0]["notice_received"] is None
        bad = admin.post(
            "/api/v1/cases/P1/termination-notices",
            {"termination_id": tid, "received": "2026-11-01"},
        )
        assert bad.status_code == 422 and "before the termination was published" in bad.text
        good = admin.post(
            "/api/v1/cases/P1/termination-notices",
            {"termination_id": tid, "received": "2026-11-20"},
        )
        assert good.status_code == 200, good.text
        assert good.json()["end_date"] == "2026-12-15"
        assert good.json()["terminations"][0]["notice_received"] == "2026-11-20"
        assert good.json()["holds"] == []
