"""The worked examples in shared/examples, imported as a user would, deadline by deadline."""

import json
import os

import pytest
from sqlmodel import select

from tracker.bootstrap import App
from tracker.importer.service import ImportOptions, import_file
from tracker.store.db import session_scope
from tracker.store.models import Case, DeadlineRow

from ..conftest import NOW, SHARED

EXAMPLES = SHARED / "examples"


def test_it_produces_exactly_the_expected_deadlines(app: App) -> None:
    if not EXAMPLES.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{EXAMPLES} is missing: CI must check the worked examples")
        pytest.skip(f"{EXAMPLES} is not here")
    expected = json.loads((EXAMPLES / "expected-deadlines.json").read_text())
    report = import_file(
        app.engine,
        EXAMPLES / "cases.csv",
        app.policies,
        NOW,
        ImportOptions(actor="test", default_timezone="America/New_York"),
    )
    assert report.errors == []
    assert report.created == len(expected)
    with session_scope(app.engine) as session:
        rows = session.exec(select(Case.external_id, DeadlineRow).join(DeadlineRow)).all()
    actual: dict[str, dict[str, dict[str, str]]] = {}
    for external_id, row in rows:
        actual.setdefault(external_id, {})[row.kind.value] = {
            "act_by": row.act_by.isoformat(),
            "date": row.date.isoformat(),
        }
    assert actual == expected
