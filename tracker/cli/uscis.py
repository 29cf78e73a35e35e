"""`tracker uscis ...`: read USCIS case statuses, see tomorrow's plan, and the notices that
status changes left for staff."""

import json
from datetime import datetime
from typing import Annotated, Any

import httpx
import typer

from tracker.cases.repository import find_case
from tracker.cli.common import FormatOption, NowOption, actor, check_format, make_app, table, warn
from tracker.errors import SettingsError
from tracker.store.db import session_scope
from tracker.store.models import StaffNotice, must_id
from tracker.uscis.history import notices_for_case, open_notices, resolve_notice
from tracker.uscis.planner import PollPlan, plan_tomorrow
from tracker.uscis.ratelimit import utc_day

uscis_app = typer.Typer(
    help="USCIS case status: read it, plan tomorrow's reads, act on notices.",
    no_args_is_help=True,
)
PLAN_FIELDS = ["order", "receipt", "form", "case", "case_ends", "last_read", "due_from", "read"]
NOTICE_FIELDS = ["id", "case", "kind", "urgent", "due", "created", "resolved", "message"]


@uscis_app.command("poll")
def uscis_poll(
    limit: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Read up to this many due filings now, instead of this hour's share of "
            "the day's budget (the daily budget still holds).",
        ),
    ] = None,
    now: NowOption = None,
) -> None:
    """Read the USCIS status of due filings, most urgent first, and act on changes.

    Without --limit it does what the hourly job does. With --now, what is due and the
    quota day are judged at that instant; requests still go out at once.
    """
    app = make_app(now)
    if not app.settings.uscis_enabled:
        raise SettingsError(
            "USCIS polling is off: set USCIS_CLIENT_ID and USCIS_CLIENT_SECRET first"
        )
    with httpx.Client() as http:
        outcome = app.uscis_poller(app.uscis_client(http)).run_once(limit)
    if outcome.polled or outcome.errors:
        typer.echo(
            f"Read {outcome.polled} filing(s): {outcome.changed} changed, {outcome.notices} "
            f"notice(s) for staff, {outcome.messages} text(s) planned, {outcome.errors} "
            "error(s)."
        )
    elif not outcome.stopped:
        typer.echo("No filing is due.")
    for problem in outcome.problems:
        typer.echo(f"  {problem}")
    if outcome.stopped:
        warn(f"Stopped: {outcome.stopped}")
    ledger, day = app.uscis_ledger(), utc_day(app.clock)
    typer.echo(f"USCIS requests on {day} (GMT): {ledger.used(day)} of {ledger.budget}.")


@uscis_app.command("plan")
def uscis_plan(
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many filings.")] = 50,
    now: NowOption = None,
) -> None:
    """Tomorrow's reads (GMT day) against the budget, most urgent first. Changes nothing."""
    app = make_app(now)
    settings = app.settings
    with session_scope(app.engine) as session:
        plan = plan_tomorrow(
            session,
            app.clock.now(),
            settings.uscis_poll_interval,
            settings.uscis_daily_budget,
        )
    today = utc_day(app.clock)
    typer.echo(_plan_summary(plan))
    typer.echo(
        f"Today ({today} GMT): {app.uscis_ledger().used(today)} of {plan.budget} requests "
        f"used. Each filing is read at most every {settings.uscis_poll_interval_hours} h."
    )
    if not settings.uscis_enabled:
        typer.echo("Polling is off until USCIS_CLIENT_ID and USCIS_CLIENT_SECRET are set.")
    if not plan.due:
        return
    rows = [
        [
            str(n),
            item.receipt,
            item.form.value,
            item.case_ref,
            item.case_ends.isoformat(),
            _when(item.last_polled_at, "never"),
            _when(item.due_from, "now"),
            "yes" if n <= plan.fits else "waits",
        ]
        for n, item in enumerate(plan.due[:limit], start=1)
    ]
    typer.echo("")
    typer.echo(table(PLAN_FIELDS, rows))
    if len(plan.due) > limit:
        typer.echo(f"... and {len(plan.due) - limit} more (--limit).")


def _plan_summary(plan: PollPlan) -> str:
    head = (
        f"USCIS poll plan for {plan.day} (GMT): {len(plan.due)} filing(s) due, budget "
        f"{plan.budget} requests"
    )
    if not plan.waiting:
        return f"{head}: all fit."
    return (
        f"{head}: {plan.fits} fit, {plan.waiting} wait for a later day (the cases that end latest)."
    )


def _when(moment: datetime | None, otherwise: str) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else otherwise


@uscis_app.command("notices")
def uscis_notices(
    case: Annotated[str | None, typer.Option(help="Only this case (external id or id).")] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Resolved notices too (with --case).")
    ] = False,
    output: FormatOption = "table",
) -> None:
    """What USCIS status changes left for staff to act on: open ones, urgent first."""
    check_format(output, ("table", "json"))
    app = make_app()
    with session_scope(app.engine) as session:
        if case is None:
            found = open_notices(session)
        else:
            case_row, _ = find_case(session, case)
            found = [
                (notice, case_row.external_id)
                for notice in notices_for_case(session, must_id(case_row.id), open_only=not every)
            ]
        rows = [_notice_row(notice, ref) for notice, ref in found]
    if output == "json":
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        typer.echo("No notices.")
        return
    lines = [[_cell(row, name) for name in NOTICE_FIELDS] for row in rows]
    typer.echo(table(NOTICE_FIELDS, lines))


def _cell(row: dict[str, Any], name: str) -> str:
    # The table shows the start of a message and times to the minute (UTC); --format json
    # has all of them.
    text = "-" if row[name] is None else str(row[name])
    if name in ("created", "resolved") and row[name] is not None:
        return text[:16].replace("T", " ")
    return text[:60] if name == "message" else text


def _notice_row(notice: StaffNotice, case_ref: str) -> dict[str, Any]:
    return {
        "id": notice.id,
        "case": case_ref,
        "kind": notice.kind.value,
        "urgent": "yes" if notice.urgent else "no",
        "due": notice.due_date.isoformat() if notice.due_date else None,
        "created": notice.created_at.isoformat(),
        "resolved": notice.resolved_at.isoformat() if notice.resolved_at else None,
        "message": notice.message,
    }


@uscis_app.command("resolve")
def uscis_resolve(
    notice_id: Annotated[int, typer.Argument(metavar="NOTICE_ID", help="The notice's id.")],
    now: NowOption = None,
) -> None:
    """Mark a notice dealt with (it stays in the case's history)."""
    app = make_app(now)
    with session_scope(app.engine) as session:
        notice = resolve_notice(session, notice_id, actor=actor(), now=app.clock.now())
        kind = notice.kind.value
    typer.echo(f"Notice {notice_id} ({kind}) resolved.")
