"""Renders feed items as an iCalendar document (icalendar 7).

Every value that ends up in the document is derived from the data, never from the time
of rendering: an unchanged feed renders to the same bytes, so its ETag is stable.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event

from tracker.domain.holds import held_by
from tracker.feeds.policy import FeedPolicy
from tracker.feeds.query import RFE_RESPONSE, FeedAppointment, FeedItem

PRODID = "-//Parole Tracker//Calendar feed//EN"
UID_DOMAIN = "parole-tracker"
# Alarms ring at 09:00 on their day (all-day events start at local midnight).
ALARM_HOUR = 9
LABELS = {
    "parole_expiry": "Parole ends",
    "reparole_window_opens": "Re-parole filing window opens",
    "reparole_file_by": "File re-parole by",
    "asylum_one_year": "Asylum one-year deadline",
    "unlawful_presence_180": "180 days of unlawful presence",
    "unlawful_presence_365": "One year of unlawful presence",
    "work_permit_expiry": "Work permit expires",
    "cuban_adjustment_eligible": "Cuban Adjustment: earliest filing day",
    "tps_registration_closes": "TPS registration closes",
    "parole_fee_due": "Parole fee due",
    "annual_asylum_fee_due": "Annual asylum fee",
    "work_permit_renew_from": "Work permit renewal can be filed",
    RFE_RESPONSE: "Respond to USCIS request for evidence",
    "biometrics_appointment": "Biometrics appointment",
    "uscis_interview": "USCIS interview",
    "court_hearing": "Immigration court hearing",
    "other_appointment": "Appointment",
    "rfe_response_due": "Respond to USCIS request (evidence or intent to deny)",
}


def initials(full_name: str) -> str:
    """ "Example Parolee One" -> "E.P.O." (the minimal privacy level shows no names)."""
    return "".join(f"{word[0].upper()}." for word in full_name.split() if word)


def render_feed(
    items: list[FeedItem],
    *,
    feed_id: int,
    name: str,
    privacy: str,
    policy: FeedPolicy,
    admin_url: str,
) -> bytes:
    """The calendar of `items`, as bytes."""
    # A fixed UID: Calendar.new() would make a random one, and every render would differ.
    calendar = Calendar.new(prodid=PRODID, name=name, uid=f"feed-{feed_id}@{UID_DOMAIN}")
    refresh = timedelta(hours=policy.refresh_hours)
    # The refresh_interval setter leaves out VALUE=DURATION, which RFC 7986 requires.
    calendar.add("REFRESH-INTERVAL", refresh, parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", f"PT{policy.refresh_hours}H")
    for item in items:
        if item.appointment is not None:
            calendar.add_component(
                _appointment_event(item, item.appointment, privacy, policy, admin_url)
            )
            continue
        calendar.add_component(_event(item, privacy, policy, admin_url))
        if policy.reminder_events:
            for days in policy.alarm_days:
                calendar.add_component(_reminder_event(item, days, privacy))
    _add_timezones(calendar, [item.appointment for item in items if item.appointment])
    return bytes(calendar.to_ical())


def _add_timezones(calendar: Calendar, appointments: list[FeedAppointment]) -> None:
    """A VTIMEZONE for every zone an appointment names (RFC 5545 3.2.19: each TZID needs
    one), covering only the years the appointments fall in, one RDATE per line: vobject
    reads only the first date of a comma-separated RDATE list, and would put a summer
    appointment an hour off."""
    if not appointments:
        return
    years = [at.local_start.year for at in appointments]
    calendar.add_missing_timezones(date(min(years) - 1, 1, 1), date(max(years) + 2, 1, 1))
    for zone in calendar.walk("VTIMEZONE"):
        for observance in zone.subcomponents:
            listed = observance.pop("RDATE", [])
            for dates in listed if isinstance(listed, list) else [listed]:
                for one in dates.dts:
                    observance.add("RDATE", one.dt)


def last_modified(items: list[FeedItem], fallback: datetime) -> datetime:
    """When the feed last changed: its newest event change."""
    return max((item.changed_at for item in items), default=fallback)


def _uid(item: FeedItem) -> str:
    return f"{item.case_id}-{item.slot}@{UID_DOMAIN}"


def _summary(item: FeedItem, privacy: str) -> str:
    who = item.full_name if privacy == "full" else initials(item.full_name)
    return f"{LABELS.get(item.kind, item.kind)}: {who} ({item.external_id})"


def _event(item: FeedItem, privacy: str, policy: FeedPolicy, admin_url: str) -> Event:
    link = f"{admin_url}/cases/{item.case_id}"
    basis = "Source" if item.kind == RFE_RESPONSE else "Rule"
    holds = held_by(item.flags.split(","))
    held = (
        f"USCIS hold ({', '.join(holds)}): a decision may not come before this date.\n"
        if holds
        else ""
    )
    description = (
        f"Act by {item.act_by.isoformat()}. {basis}: {item.citation}. Case: {link}\n"
        f"{held}Information, not legal advice."
    )
    event = Event.new(
        uid=_uid(item),
        summary=_summary(item, privacy),
        description=description,
        start=item.date,
        end=item.date + timedelta(days=1),
        sequence=item.sequence,
        stamp=item.changed_at,
        last_modified=item.changed_at,
        url=link,
    )
    event.add("STATUS", "CANCELLED" if item.cancelled else "CONFIRMED")
    event.add("TRANSP", "TRANSPARENT")
    if not item.cancelled:
        lead = (item.date - item.act_by).days
        for days in policy.alarm_days:
            before = timedelta(days=lead + days) - timedelta(hours=ALARM_HOUR)
            alarm = Alarm.new_display(
                description=f"{_summary(item, privacy)}: act by {item.act_by.isoformat()}",
                trigger=-before,
                uid=f"{item.case_id}-{item.slot}-alarm-{days}@{UID_DOMAIN}",
            )
            event.add_component(alarm)
    return event


def _appointment_event(
    item: FeedItem, at: FeedAppointment, privacy: str, policy: FeedPolicy, admin_url: str
) -> Event:
    """A timed event at the place's local time (DTSTART;TZID=, with its VTIMEZONE), with
    LOCATION; rescheduled or cancelled ones are CANCELLED, under the same UID."""
    link = f"{admin_url}/cases/{item.case_id}"
    start = at.local_start.replace(tzinfo=ZoneInfo(at.zone))
    status = at.status.capitalize()
    if at.replaced_by is not None:
        status = f"Rescheduled: the new time is its own event (appointment {at.replaced_by})"
    description = (
        f"{status}. {start:%Y-%m-%d %H:%M} {at.zone}. Source: {item.citation}. "
        f"Case: {link}\nInformation, not legal advice."
    )
    event = Event.new(
        uid=_uid(item),
        summary=_summary(item, privacy),
        description=description,
        start=start,
        end=start + timedelta(minutes=at.duration_minutes) if at.duration_minutes else None,
        location=at.place,
        sequence=item.sequence,
        stamp=item.changed_at,
        last_modified=item.changed_at,
        url=link,
    )
    event.add("STATUS", "CANCELLED" if item.cancelled else "CONFIRMED")
    if at.status == "scheduled" and not item.cancelled:
        for minutes in policy.appointment_alarm_minutes:
            alarm = Alarm.new_display(
                description=f"{_summary(item, privacy)}: {start:%Y-%m-%d %H:%M} {at.place}",
                trigger=-timedelta(minutes=minutes),
                uid=f"{item.case_id}-{item.slot}-alarm-{minutes}m@{UID_DOMAIN}",
            )
            event.add_component(alarm)
    return event


def _reminder_event(item: FeedItem, days: int, privacy: str) -> Event:
    day = item.act_by - timedelta(days=days)
    event = Event.new(
        uid=f"{item.case_id}-{item.slot}-reminder-{days}@{UID_DOMAIN}",
        summary=f"Reminder: {_summary(item, privacy)}, act by {item.act_by.isoformat()}",
        start=day,
        end=day + timedelta(days=1),
        sequence=item.sequence,
        stamp=item.changed_at,
        last_modified=item.changed_at,
    )
    # Cancelled with its deadline, so clients remove it rather than keep a stale copy.
    event.add("STATUS", "CANCELLED" if item.cancelled else "CONFIRMED")
    return event
