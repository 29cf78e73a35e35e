"""Re-running the rules over every stored case: preview (diff) and apply."""

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from tracker.cases.deadlines import (
    case_facts,
    changes_between,
    refresh_case,
    stored_deadlines,
)
from tracker.domain.model import DeadlineChange
from tracker.domain.rules import RuleSet, compute_deadlines
from tracker.policies import Policies
from tracker.store.db import session_scope
from tracker.store.models import Case, Parolee

BATCH = 500


def _page(session: Session, after_id: int) -> list[tuple[Case, Parolee]]:
    return list(
        session.exec(
            select(Case, Parolee)
            .join(Parolee)
            .where(col(Case.id) > after_id)
            .order_by(col(Case.id))
            .limit(BATCH)
        ).all()
    )


def _pages(session: Session) -> Iterator[list[tuple[Case, Parolee]]]:
    last_id = 0
    while page := _page(session, last_id):
        last_id = page[-1][0].id or 0
        yield page


def diff_all(engine: Engine, ruleset: RuleSet) -> Iterator[tuple[str, list[DeadlineChange]]]:
    """For each case whose deadlines the rules would change: its external id and the changes."""
    with session_scope(engine) as session:
        for page in _pages(session):
            for case, parolee in page:
                assert case.id is not None
                computed = compute_deadlines(case_facts(session, case, parolee), ruleset)
                changes = changes_between(stored_deadlines(session, case.id), computed)
                if changes:
                    yield case.external_id, changes
            session.expunge_all()


def apply_all(engine: Engine, policies: Policies, now: datetime) -> int:
    """Recompute and store every case's deadlines; return how many cases changed.

    Each page commits on its own, so a million cases never make one long transaction;
    running it again after an interruption finishes the job (it is idempotent).
    """
    changed = 0
    last_id = 0
    while True:
        with session_scope(engine) as session:
            page = _page(session, last_id)
            if not page:
                return changed
            for case, parolee in page:
                if refresh_case(session, case, parolee, policies, now):
                    changed += 1
            last_id = page[-1][0].id or 0
