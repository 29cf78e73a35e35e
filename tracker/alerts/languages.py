"""Per language: send the translation (the default, reviewed or not) or English instead.

Translations are machine-drafted until a native speaker clears them (`needs_review` in
each message file). An administrator who would rather people read plain English than an
unreviewed text can choose so per language; the choice is stored and applies to the next
message sent, reply included.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from tracker.alerts.messages import REFERENCE, Catalog
from tracker.errors import NotFoundError
from tracker.store import audit
from tracker.store.models import LanguageChoice


@dataclass(frozen=True)
class LanguageState:
    """One language as the admin page shows it."""

    code: str
    name: str
    to_review: int
    english_instead: bool


def english_instead(session: Session) -> frozenset[str]:
    """The languages an administrator chose to send in English for now."""
    rows = session.exec(select(LanguageChoice).where(LanguageChoice.english_instead)).all()
    return frozenset(row.language for row in rows)


def sending_language(language: str, english: frozenset[str]) -> str:
    """The language a text for a person who reads `language` goes in."""
    return REFERENCE if language in english else language


def language_states(session: Session, catalog: Catalog) -> list[LanguageState]:
    """Every language, how many of its texts await review, and what is sent."""
    chosen = english_instead(session)
    states = []
    for code in catalog.languages:
        file = catalog.file(code)
        pending = len(file.needs_review)
        states.append(LanguageState(code, catalog.language_name(code), pending, code in chosen))
    return states


def choose(
    session: Session,
    catalog: Catalog,
    language: str,
    english: bool,
    *,
    actor: str,
    now: datetime,
) -> None:
    """Record whether `language` is sent as English, in the caller's transaction."""
    if language == REFERENCE or language not in catalog.languages:
        raise NotFoundError(f"language {language!r}: not a translation we have")
    row = session.get(LanguageChoice, language) or LanguageChoice(
        language=language, english_instead=False, changed_at=now
    )
    before = row.english_instead
    row.english_instead, row.changed_at = english, now
    session.add(row)
    if before != english:
        audit.record(
            session,
            at=now,
            actor=actor,
            action="language.english_instead" if english else "language.translation",
            entity="language",
            entity_id=None,
            language=language,
        )
