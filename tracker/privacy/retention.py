"""Retention: erase people whose cases ended long ago, purge old message texts.

Runs daily (and as `tracker retention run`); idempotent, so any worker may run it.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from tracker.domain.model import Status
from tracker.domain.toml_locator import TomlLocator, parse_toml
from tracker.privacy.person import erase_person
from tracker.store.db import session_scope
from tracker.store.models import Alert, AlertState, Case, InboundMessage, Parolee, StatusChange

ENDED = (Status.DEPARTED, Status.STATUS_OBTAINED, Status.CLOSED)
SETTLED = (AlertState.SENT, AlertState.DELIVERED, AlertState.FAILED, AlertState.CANCELLED,
           AlertState.SUPPRESSED)  # fmt: skip
KEYS = ("after_case_ends_days", "message_text_days")
ACTOR = "retention"


@dataclass(frozen=True)
class RetentionPolicy:
    """How long personal data is kept."""

    after_case_ends_days: int
    message_text_days: int


@dataclass
class RetentionOutcome:
    """What a retention pass erased (or, on a dry run, would erase)."""

    people: int = 0
    message_texts: int = 0
    replies: int = 0


def parse_retention(text: str, source: str) -> RetentionPolicy:
    """Parse the retention periods; a problem raises ConfigError with its line."""
    data = parse_toml(text, source)
    where = TomlLocator(text, source)
    where.check_keys(data, KEYS)
    for key in KEYS:
        value = data[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise where.error(None, None, key, f"{key} must be a whole number of days, at least 1")
    return RetentionPolicy(data["after_case_ends_days"], data["message_text_days"])


def run_retention(
    engine: Engine, policy: RetentionPolicy, now: datetime, *, dry_run: bool = False
) -> RetentionOutcome:
    """Erase and purge what is past its period, in one transaction (none on a dry run)."""
    outcome = RetentionOutcome()
    with session_scope(engine) as session:
        for parolee in _people_to_erase(session, now - timedelta(days=policy.after_case_ends_days)):
            outcome.people += 1
            if not dry_run:
                erase_person(session, parolee, now, ACTOR)
        cutoff = now - timedelta(days=policy.message_text_days)
        # Settled is checked here, not in SQL: given the state too, SQLite reads every
        # settled alert through the state index instead of the few that still hold text.
        old_alerts = [
            alert
            for alert in session.exec(
                select(Alert).where(col(Alert.updated_at) < cutoff, col(Alert.body).is_not(None))
            )
            if alert.state in SETTLED
        ]
        old_replies = session.exec(
            select(InboundMessage).where(
                col(InboundMessage.received_at) < cutoff,
                col(InboundMessage.body).is_not(None) | col(InboundMessage.reply).is_not(None),
            )
        ).all()
        outcome.message_texts, outcome.replies = len(old_alerts), len(old_replies)
        if dry_run:
            session.rollback()
            return outcome
        for alert in old_alerts:
            alert.body = None
            session.add(alert)
        for reply in old_replies:
            reply.body, reply.reply = None, None
            session.add(reply)
    return outcome


def _people_to_erase(session: Session, ended_before: datetime) -> list[Parolee]:
    """People not yet erased whose every case ended before `ended_before`.

    Starts from the cases that ended (the status index) and checks each one's person,
    rather than testing every person against every case.
    """
    recent_change = (
        select(StatusChange.id)
        .where(StatusChange.case_id == Case.id, col(StatusChange.changed_at) >= ended_before)
        .exists()
    )
    # A bulk loader may leave a case without history: nothing then says when it ended.
    no_history = ~select(StatusChange.id).where(StatusChange.case_id == Case.id).exists()
    # A case still open, ended too recently, or of unknown end holds its person back.
    held = (
        select(Case.id)
        .where(Case.parolee_id == Parolee.id)
        .where(col(Case.status).not_in(ENDED) | recent_change | no_history)
        .exists()
    )
    ended = select(Case.parolee_id).where(col(Case.status).in_(ENDED))
    return list(
        session.exec(
            select(Parolee)
            .where(col(Parolee.id).in_(ended), col(Parolee.erased_at).is_(None))
            .where(~held)
        ).all()
    )
