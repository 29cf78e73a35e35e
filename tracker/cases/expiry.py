"""The daily job: a case whose parole has ended, with nothing pending, becomes expired."""

from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import col, select

from tracker.cases.edit import case_edit
from tracker.cases.repository import has_pending_filing
from tracker.clock import Clock, local_today
from tracker.domain.model import Form, Status
from tracker.policies import Policies
from tracker.store.db import session_scope
from tracker.store.models import Case, Parolee, must_id

SYSTEM = "system"
# Applications that keep a person from being simply "expired" while they wait.
PROTECTING = (Form.I131, Form.I589, Form.I485, Form.I821)
WATCHED = (Status.PAROLED, Status.REPAROLE_PENDING, Status.OTHER_STATUS_PENDING, Status.TERMINATED)
BATCH = 500


def mark_expired(engine: Engine, policies: Policies, clock: Clock) -> int:
    """Move every ended case with no pending application to `expired`; return how many."""
    now = clock.now()
    # Parole ends at the close of its last day in the person's own zone; no zone is more
    # than a day ahead of UTC, so tomorrow (UTC) bounds the candidates.
    horizon = now.date() + timedelta(days=1)
    watched = (
        col(Case.status).in_(WATCHED),
        col(Case.end_date) < horizon,
        # In SQL, not per case: cases that wait on an application stay ended for months,
        # and every hourly run would read them all again.
        ~has_pending_filing(PROTECTING),
    )
    # The ids first, through the (status, end) index: pages ordered by id would have the
    # database walk every case in id order to find the few that ended.
    with session_scope(engine) as session:
        ids = sorted(must_id(i) for i in session.exec(select(Case.id).where(*watched)))
    moved = 0
    for first in range(0, len(ids), BATCH):
        with session_scope(engine) as session:
            rows = session.exec(
                select(Case, Parolee)
                .join(Parolee)
                .where(col(Case.id).in_(ids[first : first + BATCH]), *watched)
            ).all()
            for case, parolee in rows:
                if case.end_date >= local_today(clock, parolee.timezone):
                    continue
                reason = f"parole ended on {case.end_date} and no application is pending"
                with case_edit(
                    session, case, parolee=parolee, by=SYSTEM, policies=policies, now=now
                ) as edit:
                    edit.expire(reason)
                moved += 1
    return moved
