"""Replies from parolees: STOP, START, HELP, DATES, a language code, or anything else.

Every reply is answered; an answer is information, and points to the representative.
A webhook delivered twice (same MessageSid) is answered the same way and applied once.
"""

from dataclasses import dataclass
from datetime import datetime

from babel import Locale
from sqlmodel import Session, col, select

from tracker.alerts.compose import Composer, DeadlineView
from tracker.alerts.consent import give_consent, stop_texting
from tracker.alerts.planner import contact_for, plan_case
from tracker.alerts.policy import local_date
from tracker.alerts.replies import parse_reply
from tracker.sms.base import SmsErrorKind
from tracker.store import audit
from tracker.store.blind import phone_is
from tracker.store.encrypted import session_keyring
from tracker.store.models import Case, DeadlineRow, InboundMessage, Parolee, must_id


@dataclass(frozen=True)
class Inbound:
    """One incoming SMS as the provider reports it."""

    sid: str
    sender: str
    body: str
    # Twilio sends STOP/START/HELP here only for Messaging Services with Advanced Opt-Out.
    opt_out_type: str | None = None


def handle_inbound(session: Session, message: Inbound, composer: Composer, now: datetime) -> str:
    """Apply one reply and return the text to answer it with."""
    seen = session.exec(
        select(InboundMessage).where(InboundMessage.message_sid == message.sid)
    ).first()
    if seen is not None:
        return seen.reply or ""
    # A family may share one phone: a reply speaks for everyone on that number.
    same_phone = phone_is(session_keyring(session), message.sender)
    household = list(session.exec(select(Parolee).where(same_phone)).all())
    if not household:
        # Not someone we know: a neutral answer, and nothing kept but the fact.
        answer = composer.reply("en", "reply.unknown_number")
        session.add(
            InboundMessage(
                message_sid=message.sid, intent="unknown_number", reply=answer, received_at=now
            )
        )
        audit.record(
            session,
            at=now,
            actor="sms",
            action="sms.inbound_unknown",
            entity="inbound",
            entity_id=None,
        )
        return answer
    members = [
        (person, list(session.exec(select(Case).where(Case.parolee_id == person.id)).all()))
        for person in household
    ]
    reply = parse_reply(message.body, composer.catalog, message.opt_out_type)
    cases = [case for _, person_cases in members for case in person_cases]
    contact = contact_for(session, cases[0], composer) if cases else composer.help_contact
    answer = _act(session, members, reply.intent, reply.language, composer, contact, now)
    session.add(
        InboundMessage(
            message_sid=message.sid,
            parolee_id=household[0].id,
            body=message.body if reply.intent == "unknown" else None,
            intent=reply.intent,
            reply=answer,
            received_at=now,
        )
    )
    return answer


def _act(
    session: Session,
    members: list[tuple[Parolee, list[Case]]],
    intent: str,
    language: str | None,
    composer: Composer,
    contact: str,
    now: datetime,
) -> str:
    first = members[0][0]
    if intent == "stop":
        stop_texting(
            session, must_id(first.id), SmsErrorKind.OPTED_OUT, "replied STOP", now, how="sms"
        )
        return composer.reply(first.language, "reply.stop", contact)
    if intent == "start":
        for person, cases in members:
            give_consent(session, person, now, "sms")
            _replan(session, person, cases, composer, now)
        return composer.reply(first.language, "reply.start", contact)
    if intent == "help":
        return composer.reply(first.language, "reply.help", contact)
    if intent == "dates":
        cases = [case for _, person_cases in members for case in person_cases]
        return composer.dates(first, _upcoming(session, first, cases, now), contact)
    if intent == "language" and language:
        for person, cases in members:
            person.language = language
            session.add(person)
            _replan(session, person, cases, composer, now)
        name = Locale.parse(composer.catalog.babel_locale(language)).display_name or language
        return composer.catalog.render(
            language, "reply.language", org=composer.org, contact=contact, language=name
        )
    return composer.reply(first.language, "reply.unknown", contact)


def _upcoming(
    session: Session, parolee: Parolee, cases: list[Case], now: datetime
) -> list[DeadlineView]:
    today = local_date(now, parolee.timezone)
    rows = session.exec(
        select(DeadlineRow)
        .where(col(DeadlineRow.case_id).in_([c.id for c in cases]))
        .where(col(DeadlineRow.cancelled_at).is_(None), col(DeadlineRow.act_by) >= today)
        .order_by(col(DeadlineRow.act_by))
    ).all()
    return [DeadlineView.of_row(row) for row in rows]


def _replan(
    session: Session, parolee: Parolee, cases: list[Case], composer: Composer, now: datetime
) -> None:
    session.flush()
    for case in cases:
        plan_case(session, case, parolee, composer, now)
