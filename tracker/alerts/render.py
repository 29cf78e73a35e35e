"""What an alert says, written at the instant it goes out (or previewed for its due time).

The planner stores what a message is about: its kind, the deadline (slot and act-by date),
the offset, and `params` for the rest. Here the text is written from what is true at the
instant given: "in 10 days" counts to the day it arrives in the person's zone; the welcome
lists the dates the case has then; "date changed" gives each date as it stands now.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from tracker.alerts.compose import AppointmentAt, Composer
from tracker.alerts.languages import english_instead, sending_language
from tracker.alerts.messages import ChangeItem
from tracker.alerts.policy import local_date
from tracker.alerts.schedule import (
    APPOINTMENT_MOVED,
    DATE_CHANGED,
    USCIS_DENIED,
    USCIS_REJECTED,
    WELCOME,
    DeadlineView,
)
from tracker.domain.appointments import APPOINTMENT_DEADLINES, AppointmentStatus, appointment_id_of
from tracker.domain.model import AlertState, DeadlineChange
from tracker.domain.rules import STAFF_ONLY
from tracker.store.models import Alert, Appointment, Case, DeadlineRow, Parolee, Representative

# A USCIS decision the person must hear about (tracker.uscis.actions), and its text.
USCIS_TEXTS = {USCIS_DENIED: "uscis.denied", USCIS_REJECTED: "uscis.rejected"}


@dataclass(frozen=True)
class Rendered:
    """A text as it goes (or would go) at one instant."""

    body: str
    language: str
    segments: int


def contact_for(session: Session, case: Case, composer: Composer) -> str:
    """Whom the messages tell the person to contact: their representative (with a phone
    when we have one), else the organisation's HELP_CONTACT."""
    if case.representative_id is not None:
        rep = session.get(Representative, case.representative_id)
        if rep is not None:
            return _contact(rep)
    return composer.help_contact


def _contact(rep: Representative) -> str:
    return f"{rep.name}, {rep.phone}" if rep.phone else rep.name


def longest_contact(session: Session, composer: Composer) -> str:
    """The longest {contact} any text can carry now: a representative's, or HELP_CONTACT."""
    # Ordered by the length of name and phone together, the way `contact_for` joins them.
    length = func.length(Representative.name) + func.coalesce(func.length(Representative.phone), 0)
    rep = session.exec(select(Representative).order_by(length.desc()).limit(1)).first()
    contacts = [composer.help_contact]
    if rep is not None:
        contacts.append(_contact(rep))
    return max(contacts, key=len)


def upcoming(session: Session, case_ids: Sequence[int | None], today: date) -> list[DeadlineView]:
    """The deadlines of these cases still ahead on `today` (the person's date), soonest
    first; those for the representative alone are not the person's to hear of."""
    rows = session.exec(
        select(DeadlineRow)
        .where(col(DeadlineRow.case_id).in_(list(case_ids)))
        .where(col(DeadlineRow.cancelled_at).is_(None), col(DeadlineRow.act_by) >= today)
        .order_by(col(DeadlineRow.act_by))
    ).all()
    views = [DeadlineView.of_row(row) for row in rows]
    return [view for view in views if STAFF_ONLY not in view.flags]


def change_params(changes: Sequence[DeadlineChange], deadlines: Sequence[DeadlineView]) -> str:
    """`params` of a "date changed" alert: each moved deadline's slot, kind and old date."""
    kinds = {d.slot: d.kind.value for d in deadlines}
    moved = []
    for change in changes:
        was = change.old_act_by or change.old_date
        if change.what == "moved" and change.slot in kinds and was is not None:
            moved.append({"slot": change.slot, "kind": kinds[change.slot], "was": was.isoformat()})
    return json.dumps({"changes": moved}, sort_keys=True)


def merge_change_params(stored: str | None, fresh: str) -> str:
    """A date that moved twice before the message went: keep what the person last heard."""
    old = {c["slot"]: c for c in _params(stored).get("changes", [])}
    for change in _params(fresh).get("changes", []):
        old.setdefault(change["slot"], change)
    return json.dumps({"changes": sorted(old.values(), key=lambda c: c["slot"])}, sort_keys=True)


def uscis_params(form: str) -> str:
    """`params` of a USCIS decision text: the form decided."""
    return json.dumps({"form": form})


def previews(session: Session, alerts: Sequence[Alert], composer: Composer) -> dict[int, str]:
    """The text each planned alert would have at its due time, by alert id; a message
    with nothing left to say gets none."""
    found = {}
    for alert in alerts:
        if alert.state == AlertState.PLANNED and alert.id is not None:
            rendered = render_alert(session, alert, composer, alert.due_at)
            if rendered is not None:
                found[alert.id] = rendered.body
    return found


def render_alert(
    session: Session, alert: Alert, composer: Composer, at: datetime
) -> Rendered | None:
    """The alert's text as it reads at `at`; None if there is nothing left to say (the
    date moved back, the deadline went away, the case has no date ahead)."""
    parolee = session.get(Parolee, alert.parolee_id)
    case = session.get(Case, alert.case_id)
    if parolee is None or case is None:
        return None
    language = sending_language(parolee.language, english_instead(session))
    today = local_date(at, parolee.timezone)
    contact = contact_for(session, case, composer)
    body = _body(session, alert, composer, language, today, contact, parolee.timezone)
    if body is None:
        return None
    return Rendered(body, language, composer.segments(body))


def _body(
    session: Session,
    alert: Alert,
    composer: Composer,
    language: str,
    today: date,
    contact: str,
    zone: str,
) -> str | None:
    if alert.kind == WELCOME:
        ahead = upcoming(session, [alert.case_id], today)
        return composer.welcome(language, ahead, contact) if ahead else None
    if alert.kind == DATE_CHANGED:
        changes = _changes(session, alert, today)
        return composer.date_changed(language, changes, contact) if changes else None
    if alert.kind in USCIS_TEXTS:
        form = str(_params(alert.params).get("form", ""))
        key = USCIS_TEXTS[alert.kind]
        # The alert's date is the day the decision was seen.
        return composer.uscis_decision(language, key, form, alert.about_date, contact)
    row = current_deadline(session, alert.case_id, alert.deadline_slot)
    if row is None or row.act_by != alert.about_date:
        return None
    if alert.kind == APPOINTMENT_MOVED or row.kind in APPOINTMENT_DEADLINES:
        at = appointment_at(session, alert.case_id, row.slot, zone)
        if at is None:
            return None
        if alert.kind == APPOINTMENT_MOVED:
            return composer.appointment_moved(language, row.kind, at, contact)
        return composer.appointment(language, DeadlineView.of_row(row), at, contact, today)
    return composer.reminder(language, DeadlineView.of_row(row), contact, today)


def appointment_at(
    session: Session, case_id: int, slot: str, person_zone: str
) -> AppointmentAt | None:
    """When and where the scheduled appointment of deadline `slot` is; None if the slot
    is no appointment's or it is no longer scheduled."""
    appointment_id = appointment_id_of(slot)
    row = session.get(Appointment, appointment_id) if appointment_id is not None else None
    if row is None or row.case_id != case_id or row.status != AppointmentStatus.SCHEDULED:
        return None
    return AppointmentAt(row.local_start, row.zone, row.place, person_zone)


def _changes(session: Session, alert: Alert, today: date) -> list[ChangeItem]:
    """Each moved date as it stands now; one that moved back, or went, is left out."""
    items = []
    for change in _params(alert.params).get("changes", []):
        row = current_deadline(session, alert.case_id, change["slot"])
        was = date.fromisoformat(change["was"])
        if row is None or row.act_by == was:
            continue
        if row.act_by >= today:
            items.append(ChangeItem(change["kind"], row.act_by, was))
    return items


def current_deadline(session: Session, case_id: int, slot: str) -> DeadlineRow | None:
    """The case's deadline in `slot` as it stands, None if it went away (or "" is given)."""
    if not slot:
        return None
    row = session.exec(
        select(DeadlineRow).where(DeadlineRow.case_id == case_id, DeadlineRow.slot == slot)
    ).first()
    return None if row is None or row.cancelled_at is not None else row


def _params(raw: str | None) -> dict[str, Any]:
    return dict(json.loads(raw)) if raw else {}
