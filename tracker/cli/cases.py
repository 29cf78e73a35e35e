"""`tracker cases ...` and `tracker case ...`: review and change cases."""

import csv
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Annotated, Any

import typer

from tracker.cases.edit import CaseFactsUpdate, StatusRequest, end_moved
from tracker.cases.expiry import mark_expired
from tracker.cases.repository import (
    CaseSearch,
    ExpiringCase,
    case_detail,
    expiring,
    find_case,
    search_cases,
)
from tracker.cases.terminations import record_notice
from tracker.cli.common import (
    FormatOption,
    NowOption,
    actor,
    check_format,
    editing,
    make_app,
    parse_date,
    table,
)
from tracker.clock import local_today
from tracker.csv_safe import neutralise
from tracker.domain.holds import Hold
from tracker.domain.model import Decision, Form, Program, Status
from tracker.domain.status import OPEN_STATUSES
from tracker.errors import InvalidInputError
from tracker.store.db import session_scope
from tracker.store.models import StaffNotice, must_id
from tracker.uscis.history import FilingHistory, history_for_case, notices_for_case

cases_app = typer.Typer(help="Review cases.", no_args_is_help=True)
case_app = typer.Typer(help="Show or change one case.", no_args_is_help=True)
USCIS_FIELDS = ["first_seen", "last_seen", "uscis_modified", "event", "status"]
EXPIRING_FIELDS = ["external_id", "name", "program", "status", "end", "days_left", "next_deadline",
                   "next_act_by"]  # fmt: skip


@cases_app.command("expiring")
def cases_expiring(
    within: Annotated[int, typer.Option("--within", min=0, help="Days from today.")],
    program: Annotated[
        list[Program] | None, typer.Option(help="Only this program (repeatable).")
    ] = None,
    status: Annotated[
        list[Status] | None, typer.Option(help="Only this status (repeatable).")
    ] = None,
    output: FormatOption = "table",
    now: NowOption = None,
) -> None:
    """Cases whose parole ends within DAYS, soonest first."""
    check_format(output, ("table", "csv", "json"))
    app = make_app(now)
    today = local_today(app.clock, app.settings.default_timezone)
    with session_scope(app.engine) as session:
        found = expiring(
            session,
            start=today,
            until=today + timedelta(days=within),
            programs=program or (),
            statuses=status or OPEN_STATUSES,
        )
        rows = (_expiring_row(item, today) for item in found)
        _write_rows(rows, output)


def _expiring_row(item: ExpiringCase, today: date) -> dict[str, Any]:
    upcoming = item.next_deadline
    return {
        "external_id": item.case.external_id,
        "name": item.parolee.full_name,
        "program": item.case.program.value,
        "status": item.case.status.value,
        "end": item.case.end_date.isoformat(),
        "days_left": (item.case.end_date - today).days,
        "next_deadline": upcoming.kind.value if upcoming else None,
        "next_act_by": upcoming.act_by.isoformat() if upcoming else None,
    }


def _write_rows(rows: Any, output: str) -> None:
    if output == "json":
        typer.echo(json.dumps(list(rows), indent=2, ensure_ascii=False))
    elif output == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(EXPIRING_FIELDS)
        for row in rows:
            writer.writerow(
                [neutralise("" if row[f] is None else str(row[f])) for f in EXPIRING_FIELDS]
            )
    else:
        lines = [["" if row[f] is None else str(row[f]) for f in EXPIRING_FIELDS] for row in rows]
        typer.echo(table(EXPIRING_FIELDS, lines) if lines else "No cases end in that period.")


@cases_app.command("find")
def cases_find(
    name: Annotated[
        str | None, typer.Option(help="Whole words of the name, in any order and case.")
    ] = None,
    a_number: Annotated[str | None, typer.Option("--a-number", help="A-number.")] = None,
    phone: Annotated[str | None, typer.Option(help="Phone number.")] = None,
    output: FormatOption = "table",
    now: NowOption = None,
) -> None:
    """Find people's cases by name, A-number or phone (every option given must match)."""
    check_format(output, ("table", "csv", "json"))
    if name is None and a_number is None and phone is None:
        raise InvalidInputError("give --name, --a-number or --phone")
    app = make_app(now)
    today = local_today(app.clock, app.settings.default_timezone)
    with session_scope(app.engine) as session:
        found = search_cases(session, CaseSearch(name=name, a_number=a_number, phone=phone), today)
        if not found and output == "table":
            typer.echo("No case matches.")
            return
        _write_rows((_expiring_row(item, today) for item in found), output)


@cases_app.command("mark-expired")
def cases_mark_expired(now: NowOption = None) -> None:
    """Run the daily job by hand: ended cases with nothing pending become expired."""
    app = make_app(now)
    moved = mark_expired(app.engine, app.policies, app.clock)
    typer.echo(f"{moved} case(s) marked expired.")


@case_app.command("show")
def case_show(
    ref: Annotated[str, typer.Argument(metavar="ID", help="External id or internal id.")],
    output: Annotated[str, typer.Option("--format", help="text or json")] = "text",
) -> None:
    """A case with its deadlines, grants, filings and status history."""
    check_format(output, ("text", "json"))
    app = make_app()
    with session_scope(app.engine) as session:
        data = case_json(session, ref, app.ruleset.holds)
    if output == "json":
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        typer.echo(_case_text(data))


def case_json(session: Any, ref: str, holds: Sequence[Hold]) -> dict[str, Any]:
    """One case as plain data, the shape of `case show --format json`."""
    d = case_detail(session, ref)
    uscis = {h.filing.id: _uscis_json(h) for h in history_for_case(session, must_id(d.case.id))}
    return {
        "id": d.case.id,
        "external_id": d.case.external_id,
        "name": d.parolee.full_name,
        "program": d.case.program.value,
        "status": d.case.status.value,
        "end": d.case.end_date.isoformat(),
        "language": d.parolee.language,
        "timezone": d.parolee.timezone,
        "representative": d.representative.email if d.representative else None,
        "birth_date": _day(d.parolee.birth_date),
        "work_permit_category": d.case.work_permit_category,
        "work_permit_expiry": _day(d.case.work_permit_expiry),
        "parole_fee_due": _day(d.case.parole_fee_due),
        "holds": [
            {"id": h.id, "memo": h.memo, "citation": h.citation, "starts": h.starts.isoformat(),
             "until": _day(h.until), "forms": sorted(f.value for f in h.forms)}
            for h in d.holds(holds)
        ],
        "terminations": [
            {"id": t.id, "program": t.program.value, "effective": t.effective_date.isoformat(),
             "published": t.notice_date.isoformat(), "state": t.state.value,
             "citation": t.citation, "on_notice": t.on_notice,
             "notice_received": _day(link.notice_received)}
            for t, link in d.terminations
        ],
        "deadlines": [
            {"kind": r.kind.value, "date": r.date.isoformat(), "act_by": r.act_by.isoformat(),
             "rule": f"{r.rule_id} v{r.rule_version}", "citation": r.citation,
             "flags": [f for f in r.flags.split(",") if f]}
            for r in d.deadlines
        ],
        "grants": [
            {"start": g.start_date.isoformat(), "expiry": g.expiry_date.isoformat(),
             "source": g.source.value, "recorded_at": g.recorded_at.isoformat(),
             "recorded_by": g.recorded_by}
            for g in d.grants
        ],
        "filings": [
            {"form": f.form.value, "receipt_number": f.receipt_number,
             "filed_date": f.filed_date.isoformat(),
             "decision": f.decision.value if f.decision else None,
             "decided_on": _day(f.decided_on), "fee_notice_due": _day(f.fee_notice_due),
             "response_due": _day(f.response_due), "response_notice": f.response_notice,
             "status_text": f.status_text,
             "uscis": uscis.get(f.id)}
            for f in d.filings
        ],
        "notices": [_notice_json(n) for n in notices_for_case(session, must_id(d.case.id))],
        "status_history": [
            {"from": h.from_status.value if h.from_status else None, "to": h.to_status.value,
             "at": h.changed_at.isoformat(), "actor": h.actor, "reason": h.reason,
             "effective_date": h.effective_date.isoformat() if h.effective_date else None}
            for h in d.history
        ],
    }  # fmt: skip


def _uscis_json(history: FilingHistory) -> dict[str, Any]:
    """A filing's polling state and USCIS history (newest first), as plain data."""
    poll = history.poll
    return {
        "last_polled_at": _iso(poll.last_polled_at if poll else None),
        "next_poll_at": _iso(poll.next_poll_at if poll else None),
        "last_error": poll.last_error if poll else None,
        "history": [
            {"observed_at": s.observed_at.isoformat(), "last_seen_at": s.last_seen_at.isoformat(),
             "modified_at": _iso(s.modified_at), "form_type": s.form_type,
             "status_en": s.status_en, "status_es": s.status_es,
             "description_en": s.description_en, "event": s.event.value,
             "text_changed": s.text_changed}
            for s in history.statuses
        ],
    }  # fmt: skip


def _notice_json(notice: StaffNotice) -> dict[str, Any]:
    return {
        "id": notice.id,
        "kind": notice.kind.value,
        "urgent": notice.urgent,
        "due_date": notice.due_date.isoformat() if notice.due_date else None,
        "created_at": notice.created_at.isoformat(),
        "resolved_at": _iso(notice.resolved_at),
        "resolved_by": notice.resolved_by,
        "message": notice.message,
    }


def _day(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _case_text(data: dict[str, Any]) -> str:
    lines = [
        f"Case {data['external_id']} (id {data['id']}): {data['name']}",
        f"Program {data['program']}, status {data['status']}, parole ends {data['end']}",
        "",
        "Deadlines:",
        table(
            ["kind", "date", "act_by", "rule", "citation"],
            [
                [x["kind"], x["date"], x["act_by"], x["rule"], x["citation"]]
                for x in data["deadlines"]
            ],
        ),
        "",
        "Grants:",
        table(
            ["start", "expiry", "source"],
            [[g["start"], g["expiry"], g["source"]] for g in data["grants"]],
        ),
        "",
        "Status history:",
        table(
            ["at", "from", "to", "by", "reason"],
            [
                [h["at"], h["from"] or "-", h["to"], h["actor"], h["reason"]]
                for h in data["status_history"]
            ],
        ),
    ]
    for t in data["terminations"]:
        notice = f", notice received {t['notice_received']}" if t["notice_received"] else ""
        if t["on_notice"] and not t["notice_received"]:
            notice = ", no individual notice recorded"
        lines.append(
            f"Termination {t['id']}: {t['program']} effective {t['effective']} ({t['state']})"
            f"{notice}"
        )
    for h in data["holds"]:
        lines.append(
            f"USCIS hold {h['id']} ({', '.join(h['forms'])}): a decision may not come before "
            f"the dates it marks. {h['citation']}"
        )
    if data["filings"]:
        filings = [
            [f["form"], f["receipt_number"] or "-", f["filed_date"], f["decision"] or "pending"]
            for f in data["filings"]
        ]
        lines += ["", "Filings:", table(["form", "receipt", "filed", "decision"], filings)]
        lines += _uscis_text(data["filings"])
    if data["notices"]:
        lines += ["", "Notices (open first):"]
        for n in data["notices"]:
            state = f"resolved {n['resolved_at'][:10]}" if n["resolved_at"] else "open"
            urgent = " URGENT" if n["urgent"] else ""
            due = f", respond by {n['due_date']}" if n["due_date"] else ""
            lines.append(f"#{n['id']} {n['kind']}{urgent} ({state}{due}): {n['message']}")
    return "\n".join(lines)


def _uscis_text(filings: list[dict[str, Any]]) -> list[str]:
    """Each filing's USCIS history, newest first, as `case show` prints it."""
    lines: list[str] = []
    for f in filings:
        uscis = f["uscis"]
        if not f["receipt_number"] or uscis is None:
            continue
        read = _minute(uscis["last_polled_at"]) or "never"
        error = f"; last error: {uscis['last_error']}" if uscis["last_error"] else ""
        lines += [
            "",
            f"USCIS history of {f['receipt_number']} ({f['form']}): last read {read}{error}",
        ]
        rows = [_uscis_row(h) for h in uscis["history"]]
        if rows:
            lines.append(table(USCIS_FIELDS, rows))
    return lines


def _uscis_row(h: dict[str, Any]) -> list[str]:
    spanish = f" / {h['status_es']}" if h["status_es"] else ""
    return [
        _minute(h["observed_at"]) or "",
        _minute(h["last_seen_at"]) or "",
        _minute(h["modified_at"]) or "-",
        h["event"],
        h["status_en"] + spanish,
    ]


def _minute(moment: str | None) -> str | None:
    """An ISO instant to the minute, as the tables show times (UTC)."""
    return moment[:16].replace("T", " ") if moment else None


@case_app.command("status")
def case_status(
    ref: Annotated[str, typer.Argument(metavar="ID", help="External id or internal id.")],
    status: Annotated[Status, typer.Argument(help="The new status.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the status changes.")],
    on: Annotated[str | None, typer.Option("--date", help="When it happened (YYYY-MM-DD).")] = None,
    new_expiry: Annotated[
        str | None, typer.Option(help="Expiry of a new grant (YYYY-MM-DD).")
    ] = None,
    receipt: Annotated[str | None, typer.Option(help="Receipt number of a filing.")] = None,
    form: Annotated[Form | None, typer.Option(help="Form of that filing.")] = None,
    decided: Annotated[
        str | None,
        typer.Option(help="When a new grant was decided, if after a program termination."),
    ] = None,
    now: NowOption = None,
) -> None:
    """Change a case's status; the status machine refuses illegal moves."""
    app = make_app(now)
    request = StatusRequest(
        target=status,
        reason=reason,
        effective=parse_date(on, "--date"),
        new_expiry=parse_date(new_expiry, "--new-expiry"),
        receipt=receipt,
        form=form,
        decided=parse_date(decided, "--decided"),
    )
    if receipt and form is None:
        raise InvalidInputError("--receipt needs --form, e.g. --form I-131")
    with session_scope(app.engine) as session:
        case, parolee = find_case(session, ref)
        before = case.end_date
        with editing(app, session, case, parolee) as edit:
            edit.status(request)
        moved = end_moved(before, case)
    typer.echo(f"Case {case.external_id} is now {status.value}.{moved}")


filing_app = typer.Typer(help="Applications on a case.", no_args_is_help=True)
case_app.add_typer(filing_app, name="filing")


@filing_app.command("add")
def case_filing_add(
    ref: Annotated[str, typer.Argument(metavar="ID", help="External id or internal id.")],
    form: Annotated[Form, typer.Option("--form", help="The form filed, e.g. I-589.")],
    filed: Annotated[str, typer.Option("--filed", help="The day it was filed (YYYY-MM-DD).")],
    receipt: Annotated[str | None, typer.Option(help="Its receipt number.")] = None,
    now: NowOption = None,
) -> None:
    """Record an application filed for a case."""
    app = make_app(now)
    filed_on = parse_date(filed, "--filed")
    assert filed_on is not None
    instant = app.clock.now()
    if filed_on > instant.date():
        raise InvalidInputError(f"--filed {filed_on} is after today ({instant.date()})")
    with session_scope(app.engine) as session:
        case, parolee = find_case(session, ref)
        with editing(app, session, case, parolee) as edit:
            edit.filing(form=form, receipt=receipt, filed=filed_on)
        typer.echo(f"Case {case.external_id}: {form.value} filed {filed_on} recorded.")


@filing_app.command("decide")
def case_filing_decide(
    ref: Annotated[str, typer.Argument(metavar="ID", help="External id or internal id.")],
    form: Annotated[Form, typer.Option("--form", help="The form decided.")],
    decision: Annotated[Decision, typer.Option("--decision", help="What USCIS decided.")],
    on: Annotated[str, typer.Option("--on", help="The day of the decision (YYYY-MM-DD).")],
    now: NowOption = None,
) -> None:
    """Record the decision on a case's pending application."""
    app = make_app(now)
    day = parse_date(on, "--on")
    assert day is not None
    with session_scope(app.engine) as session:
        case, parolee = find_case(session, ref)
        before = case.end_date
        with editing(app, session, case, parolee) as edit:
            edit.decide(edit.newest_pending(form), decision=decision, on=day)
        moved = end_moved(before, case)
        typer.echo(f"Case {case.external_id}: {form.value} {decision.value} on {day}.{moved}")


@case_app.command("notice")
def case_notice(
    ref: Annotated[str, typer.Argument(metavar="ID", help="External id or internal id.")],
    termination: Annotated[int, typer.Option("--termination", help="The termination's id.")],
    received: Annotated[str, typer.Option("--received", help="The day the notice arrived.")],
    now: NowOption = None,
) -> None:
    """Record that the person received an individual notice of a program termination."""
    app = make_app(now)
    day = parse_date(received, "--received")
    assert day is not None
    with session_scope(app.engine) as session:
        case, _ = find_case(session, ref)
        before = case.end_date
        record_notice(session, case, termination, day, app.policies, app.clock.now(), actor())
        moved = end_moved(before, case)
        typer.echo(
            f"Case {case.external_id}: notice of termination {termination} received {day}.{moved}"
        )


@filing_app.command("fee-notice")
def case_filing_fee_notice(
    ref: Annotated[str, typer.Argument(metavar="ID", help="External id or internal id.")],
    due: Annotated[str, typer.Option("--due", help="The due date in USCIS's fee notice.")],
    form: Annotated[Form, typer.Option("--form", help="The pending form charged.")] = Form.I589,
    now: NowOption = None,
) -> None:
    """Record the due date of a yearly fee notice (the annual asylum fee)."""
    app = make_app(now)
    day = parse_date(due, "--due")
    assert day is not None
    with session_scope(app.engine) as session:
        case, parolee = find_case(session, ref)
        with editing(app, session, case, parolee) as edit:
            edit.fee_notice(edit.newest_pending(form), due=day)
        typer.echo(f"Case {case.external_id}: {form.value} fee due {day} recorded.")


@filing_app.command("response")
def case_filing_response(
    ref: Annotated[str, typer.Argument(metavar="ID", help="External id or internal id.")],
    due: Annotated[str, typer.Option("--due", help="The response date in USCIS's notice.")],
    form: Annotated[Form, typer.Option("--form", help="The pending form it is about.")],
    notice: Annotated[
        str, typer.Option("--notice", help="rfe (request for evidence) or noid (intent to deny).")
    ] = "rfe",
    tell_parolee: Annotated[
        bool,
        typer.Option(
            "--tell-parolee", help="Also text the person that documents are needed from them."
        ),
    ] = False,
    now: NowOption = None,
) -> None:
    """Record the response date of a request for evidence or notice of intent to deny: a
    deadline in the representative's calendar, and texts to the person if asked."""
    app = make_app(now)
    day = parse_date(due, "--due")
    assert day is not None
    with session_scope(app.engine) as session:
        case, parolee = find_case(session, ref)
        with editing(app, session, case, parolee) as edit:
            edit.response_due(
                edit.newest_pending(form), due=day, notice=notice, tell_parolee=tell_parolee
            )
        who = "the representative and the person" if tell_parolee else "the representative"
        typer.echo(f"Case {case.external_id}: {form.value} response due {day}, for {who}.")


@case_app.command("set")
def case_set(
    ref: Annotated[str, typer.Argument(metavar="ID", help="External id or internal id.")],
    birth_date: Annotated[str | None, typer.Option(help="Date of birth (YYYY-MM-DD).")] = None,
    work_permit_category: Annotated[
        str | None, typer.Option(help="The card's category, e.g. c11, a05, c08.")
    ] = None,
    work_permit_expiry: Annotated[
        str | None, typer.Option(help="The card's expiry date (YYYY-MM-DD).")
    ] = None,
    parole_fee_due: Annotated[
        str | None, typer.Option(help="Due date in USCIS's parole fee notice (YYYY-MM-DD).")
    ] = None,
    clear: Annotated[
        list[str] | None, typer.Option(help="Empty this fact (repeatable), e.g. birth_date.")
    ] = None,
    now: NowOption = None,
) -> None:
    """Set facts the rules read: birth date, work permit, parole fee due date."""
    app = make_app(now)
    update = CaseFactsUpdate(
        birth_date=parse_date(birth_date, "--birth-date"),
        work_permit_category=work_permit_category,
        work_permit_expiry=parse_date(work_permit_expiry, "--work-permit-expiry"),
        parole_fee_due=parse_date(parole_fee_due, "--parole-fee-due"),
        clear=frozenset(clear or ()),
    )
    with session_scope(app.engine) as session:
        case, parolee = find_case(session, ref)
        with editing(app, session, case, parolee) as edit:
            changed = edit.set_facts(update)
        what = ", ".join(changed) if changed else "nothing (the values were already set)"
        typer.echo(f"Case {case.external_id}: changed {what}.")


@case_app.command("grant")
def case_grant(
    ref: Annotated[str, typer.Argument(metavar="ID", help="External id or internal id.")],
    start: Annotated[str, typer.Option(help="The day the new grant starts (YYYY-MM-DD).")],
    expiry: Annotated[str, typer.Option(help="The day it ends (YYYY-MM-DD).")],
    decided: Annotated[
        str | None,
        typer.Option(help="When it was decided, if after a program termination's notice."),
    ] = None,
    note: Annotated[str | None, typer.Option(help="A note kept with the grant.")] = None,
    now: NowOption = None,
) -> None:
    """Add a re-parole grant (a new period of parole) to a case."""
    app = make_app(now)
    begins, ends = parse_date(start, "--start"), parse_date(expiry, "--expiry")
    assert begins is not None and ends is not None
    with session_scope(app.engine) as session:
        case, parolee = find_case(session, ref)
        with editing(app, session, case, parolee) as edit:
            edit.reparole(
                start=begins, expiry=ends, note=note, decided=parse_date(decided, "--decided")
            )
        typer.echo(
            f"Case {case.external_id}: re-parole grant added. Parole now ends {case.end_date}."
        )
