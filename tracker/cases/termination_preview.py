"""Before a program termination is applied: whether it is already recorded, and its dry
run (the service's own counts, then nothing kept)."""

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, select

from tracker.cases.terminations import TerminationOutcome, TerminationRequest, apply_termination
from tracker.policies import Policies
from tracker.store.models import ProgramTermination


def already_recorded(session: Session, request: TerminationRequest) -> ProgramTermination | None:
    """A termination of the same program, date and citation: recording it twice (a form
    sent twice) would stack a second early end on every case, which one stay would not undo."""
    return session.exec(
        select(ProgramTermination).where(
            ProgramTermination.program == request.program,
            ProgramTermination.effective_date == request.effective,
            ProgramTermination.citation == request.citation,
        )
    ).first()


def preview_termination(
    engine: Engine, request: TerminationRequest, policies: Policies, now: datetime, actor: str
) -> TerminationOutcome:
    """What recording `request` would move, counted by applying it and rolling it back,
    so the numbers are exactly those `terminations add --dry-run` prints."""
    with Session(engine) as session:
        try:
            return apply_termination(session, request, policies, now, actor)
        finally:
            session.rollback()
