"""Replies from parolees: STOP, START, HELP, DATES, a language code, or anything else.

Every reply is answered; an answer is information, and points to the representative.
A webhook delivered twice (same MessageSid) is answered the same way and applied once.
A family may share one phone: the answer is in the language of the last message we sent
to that number (else the newest case's), and a language keyword changes every case on it.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from tracker.alerts.compose import Composer
from tracker.alerts.consent import give_consent, stop_texting
from tracker.alerts.languages import english_instead, sending_language
from tracker.alerts.planner import plan_case
from tracker.alerts.policy import local_date
from tracker.alerts.render import contact_for, upcoming
from tracker.alerts.replies import Reply, parse_reply
from tracker.domain.model import AlertState
from tracker.sms.base import SmsErrorKind
from tracker.store import audit
from tracker.store.blind import phone_is
from tracker.store.encrypted import session_keyring
from tracker.store.models import Alert, Case, InboundMessage, Parolee, must_id

SENT = (AlertState.SENT, AlertState.DELIVERED)


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
    newest = max(cases, key=lambda case: must_id(case.id), default=None)
    contact = contact_for(session, newest, composer) if newest else composer.help_contact
    speaks = _language_of_number(session, members, newest)
    answer = _act(session, members, reply, speaks, composer, contact, now)
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


def _language_of_number(
    session: Session, members: list[tuple[Parolee, list[Case]]], newest: Case | None
) -> tuple[Parolee, str]:
    """Who the number speaks for and in what language: the last message we sent to it
    (the person it was for, the language it went in), else the newest case's person."""
    people = {must_id(person.id): person for person, _ in members}
    last = session.exec(
        select(Alert.parolee_id, Alert.language)
        .where(col(Alert.parolee_id).in_(list(people)), col(Alert.state).in_(SENT))
        .order_by(col(Alert.sent_at).desc(), col(Alert.id).desc())
        .limit(1)
    ).first()
    if last is not None:
        return people[last[0]], last[1]
    person = people[newest.parolee_id] if newest is not None else members[0][0]
    return person, sending_language(person.language, english_instead(session))


def _act(
    session: Session,
    members: list[tuple[Parolee, list[Case]]],
    reply: Reply,
    speaks: tuple[Parolee, str],
    composer: Composer,
    contact: str,
    now: datetime,
) -> str:
    speaker, language = speaks
    if reply.intent == "stop":
        # An opt-out is a fact about the number: it holds for everyone on it.
        stop_texting(
            session, must_id(speaker.id), SmsErrorKind.OPTED_OUT, "replied STOP", now, how="sms"
        )
        return composer.reply(language, "reply.stop", contact)
    if reply.intent == "start":
        for person, cases in members:
            give_consent(session, person, now, "sms")
            _replan(session, person, cases, composer, now)
        return composer.reply(language, "reply.start", contact)
    if reply.intent == "help":
        return composer.reply(language, "reply.help", contact)
    if reply.intent == "dates":
        case_ids = [case.id for _, person_cases in members for case in person_cases]
        ahead = upcoming(session, case_ids, local_date(now, speaker.timezone))
        return composer.dates(language, ahead, contact)
    if reply.intent == "language" and reply.language:
        chosen = reply.language
        for person, cases in members:
            person.language = chosen
            session.add(person)
            _replan(session, person, cases, composer, now)
        key = "reply.language_shared" if len(members) > 1 else "reply.language"
        written = sending_language(chosen, english_instead(session))
        name = composer.catalog.language_name(chosen, written)
        return composer.reply(written, key, contact, language=name)
    return composer.reply(language, "reply.unknown", contact)


def _replan(
    session: Session, parolee: Parolee, cases: list[Case], composer: Composer, now: datetime
) -> None:
    session.flush()
    for case in cases:
        plan_case(session, case, parolee, composer, now)
