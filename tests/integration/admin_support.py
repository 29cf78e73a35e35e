"""Signing in to the admin from tests: a user, a browser-like client, its CSRF token."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
from fastapi.testclient import TestClient
from sqlmodel import select

from tracker.accounts.users import create_user
from tracker.bootstrap import App
from tracker.store.db import session_scope
from tracker.store.models import Representative, Role
from tracker.web.app import create_app

PASSWORD = "a long test password"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Browser:
    """A signed-in client; `csrf` goes into every form it posts."""

    client: TestClient
    csrf: str
    email: str

    def post_form(
        self, path: str, data: dict[str, str], *, follow_redirects: bool = True
    ) -> httpx.Response:
        """POST a form with this session's CSRF token."""
        response: httpx.Response = self.client.post(
            path, data={"csrf": self.csrf, **data}, follow_redirects=follow_redirects
        )
        return response


def add_user(app: App, email: str, role: Role) -> None:
    """A user with PASSWORD (a representative is linked to the representative with `email`)."""
    with session_scope(app.engine) as session:
        create_user(session, email=email, role=role, password=PASSWORD, now=app.clock.now(),
                    actor="test")  # fmt: skip


def sign_in(client: httpx.Client, email: str, password: str = PASSWORD) -> str:
    """Sign `client` in; return the CSRF token of its session's forms."""
    page = client.get("/admin/login")
    token = _CSRF.search(page.text)
    assert token, page.text
    response = client.post(
        "/admin/login",
        data={"email": email, "password": password, "csrf": token.group(1), "next": "/admin"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    home = client.get("/admin")
    found = _CSRF.search(home.text)
    assert found, home.text
    return found.group(1)


@contextmanager
def browser(
    app: App, email: str = "admin@example.org", role: Role = Role.ADMIN
) -> Iterator[Browser]:
    """A client signed in as a new user with `role`."""
    add_user(app, email, role)
    with TestClient(create_app(app)) as client:
        yield Browser(client, sign_in(client, email), email)


def representative_id(app: App, email: str) -> int:
    """The id of the representative with `email`."""
    with session_scope(app.engine) as session:
        row = session.exec(select(Representative).where(Representative.email == email)).one()
        assert row.id is not None
        return row.id
