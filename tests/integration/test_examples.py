"""The worked examples (tests/fixtures/examples, the spec's own), imported as a user would,
deadline by deadline."""

import json

from sqlmodel import select

from tracker.bootstrap import App
from tracker.importer.service import ImportOptions, import_file
from tracker.store.db import session_scope
from tracker.store.models import Case, DeadlineRow

from ..conftest import FIXTURES, NOW

EXAMPLES = FIXTURES / "examples"


def test_it_produces_exactly_the_expected_deadlines(app: App) -> None:
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
