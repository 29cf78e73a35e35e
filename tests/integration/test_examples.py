"""The worked examples (tests/fixtures/examples: the spec's and this project's own), imported as
a user would, deadline by deadline."""

import json

import pytest
from sqlmodel import select

from tests.builders import run_import
from tracker.bootstrap import App
from tracker.store.db import session_scope
from tracker.store.models import Case, DeadlineRow

from ..conftest import FIXTURES

EXAMPLES = FIXTURES / "examples"


@pytest.mark.parametrize(
    ("cases", "deadlines", "warned"),
    [
        # E02 is CHNV: its I-94 outlasts the shipped termination (not applied).
        ("cases.csv", "expected-deadlines.json", ["E02"]),
        ("policy-cases.csv", "policy-expected-deadlines.json", ["E08", "E09"]),
    ],
)
def test_it_produces_exactly_the_expected_deadlines(
    app: App, cases: str, deadlines: str, warned: list[str]
) -> None:
    expected = json.loads((EXAMPLES / deadlines).read_text())
    report = run_import(app, EXAMPLES / cases)
    assert report.errors == []
    assert report.created == len(expected)
    # Rows that outlast a known termination: a warning, never an error.
    ids = sorted(expected)
    assert [ids[w.line - 2] for w in report.warnings] == warned
    with session_scope(app.engine) as session:
        rows = session.exec(select(Case.external_id, DeadlineRow).join(DeadlineRow)).all()
    actual: dict[str, dict[str, dict[str, str]]] = {}
    for external_id, row in rows:
        actual.setdefault(external_id, {})[row.kind.value] = {
            "act_by": row.act_by.isoformat(),
            "date": row.date.isoformat(),
        }
    assert actual == expected
