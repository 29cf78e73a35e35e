"""The admin shows what USCIS said: each filing's history, and notices to act on."""

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tracker.store.models import Role
from tracker.web.app import create_app

from ..conftest import NOW
from .admin_support import add_user, sign_in
from .uscis_support import Filed, World, receipt, uscis_world


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    with uscis_world(database_url, tmp_path, NOW) as made:
        yield made


def test_the_case_page_and_dashboard_show_a_denial_until_it_is_dealt_with(world: World) -> None:
    rosa = Filed("C1", receipt(1), date(2027, 2, 1), language="es")
    world.file(rosa)
    world.uscis.set_status(rosa.receipt, "Case Was Denied", "Caso Fue Negado")
    world.poll()
    [notice] = world.notices()
    add_user(world.app, "staff@example.org", Role.STAFF)
    with TestClient(create_app(world.app)) as client:
        csrf = sign_in(client, "staff@example.org")
        board = client.get("/admin").text
        assert "1</strong> urgent USCIS notices" in board
        assert "USCIS denied Form I-131" in board
        page = client.get(f"/admin/cases/{notice.case_id}").text
        assert "Needs action" in page and "USCIS denied Form I-131" in page
        assert rosa.receipt in page and "Case Was Denied" in page and "Caso Fue Negado" in page
        done = client.post(
            f"/admin/cases/{notice.case_id}/notices/{notice.id}/resolve",
            data={"csrf": csrf},
            follow_redirects=False,
        )
        assert done.status_code == 303
        assert "Needs action" not in client.get(f"/admin/cases/{notice.case_id}").text
        assert "0</strong> urgent USCIS notices" in client.get("/admin").text
        again = client.post(
            f"/admin/cases/{notice.case_id}/notices/{notice.id}/resolve", data={"csrf": csrf}
        )
        assert again.status_code == 422 and "was resolved" in again.text
    [after] = world.notices()
    assert after.resolved_by == "user:staff@example.org"
