"""Retention: erase people whose cases ended long ago, purge old message texts.

Runs daily (and as `tracker retention run`); idempotent, so any worker may run it.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from tracker.domain.model import AlertState, Status
from tracker.domain.toml_locator import TomlLocator, parse_toml
from tracker.privacy.person import erase_person
from tracker.store.db import session_scope
from tracker.store.models import Alert, Case, InboundMessage, Parolee, StatusChange, must_id

ENDED = (Status.DEPARTED, Status.STATUS_OBTAINED, Status.CLOSED)
SETTLED = (
    AlertState.SENT,
    AlertState.DELIVERED,
    AlertState.FAILED,
    AlertState.CANCELLED,
    AlertState.SUPPRESSED,
)
KEYS = ("after_case_ends_days", "message_text_days")
ACTOR = "retention"
PURGE_BATCH = 1000


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
        outcome.message_texts = _purge_message_texts(session, cutoff, dry_run=dry_run)
        old_replies = session.exec(
            select(InboundMessage).where(
                col(InboundMessage.received_at) < cutoff,
                col(InboundMessage.body).is_not(None) | col(InboundMessage.reply).is_not(None),
            )
        ).all()
        outcome.replies = len(old_replies)
        if dry_run:
            session.rollback()
            return outcome
        for reply in old_replies:
            reply.body, reply.reply = None, None
            session.add(reply)
    return outcome


def _purge_message_texts(session: Session, cutoff: datetime, *, dry_run: bool) -> int:
    """Drop the text of settled alerts last changed before `cutoff`; return how many.

    Oldest first, a batch at a time, through the index of alerts that still hold a text:
    a day's pass reads a day of messages, in constant memory. (Asked for all of them at
    once, PostgreSQL guesses that half of all alerts match and reads every one; given the
    state too, SQLite reads every settled alert through the state index.)
    """
    purged = 0
    after: tuple[datetime, int] | None = None
    while True:
        query = select(Alert).where(col(Alert.updated_at) < cutoff, col(Alert.body).is_not(None))
        if after is not None:
            # Past the batch before: rows not purged (dry run, not settled) still match.
            moment, alert_id = after
            query = query.where(
                col(Alert.updated_at) >= moment,
                (col(Alert.updated_at) > moment) | (col(Alert.id) > alert_id),
            )
        batch = session.exec(
            query.order_by(col(Alert.updated_at), col(Alert.id)).limit(PURGE_BATCH)
        ).all()
        for alert in batch:
            if alert.state in SETTLED:
                purged += 1
                if not dry_run:
                    alert.body = None
                    session.add(alert)
        if len(batch) < PURGE_BATCH:
            return purged
        after = (batch[-1].updated_at, must_id(batch[-1].id))
        session.flush()
        for alert in batch:
            session.expunge(alert)


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
