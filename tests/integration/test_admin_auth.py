"""Admin sign-in: sessions, CSRF, throttling, sign-out, and who may see what."""

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from tracker.accounts.users import create_user
from tracker.bootstrap import App
from tracker.clock import FixedClock
from tracker.errors import InvalidInputError
from tracker.store.db import session_scope
from tracker.store.models import AuditEvent, Role, User, WebSession
from tracker.web.app import create_app

from .admin_support import PASSWORD, add_user, browser


def login_form(client: TestClient) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/admin/login").text)
    assert found
    return found.group(1)


def attempt(client: TestClient, email: str, password: str) -> int:
    data = {"email": email, "password": password, "csrf": login_form(client), "next": "/admin"}
    return int(client.post("/admin/login", data=data, follow_redirects=False).status_code)


def test_a_page_sends_a_stranger_to_sign_in_and_back(app: App) -> None:
    add_user(app, "staff@example.org", Role.STAFF)
    with TestClient(create_app(app)) as client:
        response = client.get("/admin", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/admin/login?next=/admin"
        data = {"email": "STAFF@example.org ", "password": PASSWORD, "csrf": login_form(client),
                "next": "/admin/cases"}  # fmt: skip
        signed = client.post("/admin/login", data=data, follow_redirects=False)
        assert signed.status_code == 303 and signed.headers["location"] == "/admin/cases"
        cookie = signed.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_it_refuses_a_wrong_password_and_an_unknown_email_alike(app: App) -> None:
    add_user(app, "staff@example.org", Role.STAFF)
    with TestClient(create_app(app)) as client:
        assert attempt(client, "staff@example.org", "not the password") == 401
        assert attempt(client, "nobody@example.org", PASSWORD) == 401
        assert client.get("/admin", follow_redirects=False).status_code == 303
    with session_scope(app.engine) as session:
        actions = [e.action for e in session.exec(select(AuditEvent)).all()]
    assert actions.count("user.login_failed") == 2


def test_it_throttles_repeated_failures_then_lets_the_person_in_later(app: App) -> None:
    add_user(app, "staff@example.org", Role.STAFF)
    assert isinstance(app.clock, FixedClock)
    with TestClient(create_app(app)) as client:
        for _ in range(5):
            assert attempt(client, "staff@example.org", "wrong password!") == 401
        # Even the right password waits out the window: guessing gains nothing.
        assert attempt(client, "staff@example.org", PASSWORD) == 429
        app.clock.instant += timedelta(minutes=16)
        assert attempt(client, "staff@example.org", PASSWORD) == 303


def test_a_form_without_its_csrf_token_is_refused(app: App) -> None:
    with browser(app) as admin:
        response = admin.client.post("/admin/logout", data={"csrf": "forged"})
        assert response.status_code == 403
        assert "did not come from this site" in response.text
        assert admin.client.get("/admin").status_code == 200  # still signed in


def test_signing_out_ends_the_session_for_good(app: App) -> None:
    with browser(app) as admin:
        cookie = admin.client.cookies.get("tracker_session")
        assert cookie
        out = admin.post_form("/admin/logout", {}, follow_redirects=False)
        assert out.status_code == 303
        admin.client.cookies.set("tracker_session", cookie)  # a copied cookie
        assert admin.client.get("/admin", follow_redirects=False).status_code == 303
    with session_scope(app.engine) as session:
        [row] = session.exec(select(WebSession)).all()
    assert row.ended_at is not None and row.token_hash != cookie


def test_a_session_expires_after_its_lifetime(app: App) -> None:
    assert isinstance(app.clock, FixedClock)
    with browser(app) as admin:
        app.clock.instant += timedelta(hours=13)
        assert admin.client.get("/admin", follow_redirects=False).status_code == 303


def test_only_local_admin_paths_are_followed_after_sign_in(app: App) -> None:
    add_user(app, "staff@example.org", Role.STAFF)
    with TestClient(create_app(app)) as client:
        data = {"email": "staff@example.org", "password": PASSWORD, "csrf": login_form(client),
                "next": "https://evil.example/admin"}  # fmt: skip
        response = client.post("/admin/login", data=data, follow_redirects=False)
        assert response.headers["location"] == "/admin"


def test_a_representative_sees_only_their_own_numbers(app: App) -> None:
    with browser(app, "rep@example.org", Role.REPRESENTATIVE) as rep:
        page = rep.client.get("/admin")
        assert page.status_code == 200
        assert "assigned to you" in page.text
        assert "/admin/audit" not in page.text and "/admin/import" not in page.text


@pytest.mark.parametrize(
    ("email", "password", "reason"),
    [
        ("not-an-email", PASSWORD, "is not an email address"),
        ("x@example.org", "short", "at least 12 characters"),
    ],
)
def test_users_create_says_what_is_wrong(app: App, email: str, password: str, reason: str) -> None:
    with pytest.raises(InvalidInputError, match=reason):
        add_user_with(app, email, password)


def add_user_with(app: App, email: str, password: str) -> None:
    with session_scope(app.engine) as session:
        create_user(session, email=email, role=Role.STAFF, password=password,
                    now=app.clock.now(), actor="test")  # fmt: skip


def test_passwords_are_stored_as_argon2id_only(app: App) -> None:
    add_user(app, "staff@example.org", Role.STAFF)
    with session_scope(app.engine) as session:
        user = session.exec(select(User)).one()
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
