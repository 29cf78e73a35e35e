"""`tracker alerts ...`: plan, send, list and forecast the SMS reminders."""

import json
from typing import Annotated, Any

import typer

from tracker.alerts.forecast import forecast
from tracker.alerts.queries import list_alerts
from tracker.alerts.render import previews
from tracker.alerts.sweep import plan_due
from tracker.cases.recompute import apply_all
from tracker.cli.common import (
    DrillOption,
    FormatOption,
    NowOption,
    SimulateOption,
    check_format,
    make_app,
    print_simulation,
    refuse_early_sends,
    table,
)
from tracker.domain.model import AlertState
from tracker.sms.base import mask_phone
from tracker.store.db import session_scope

alerts_app = typer.Typer(help="SMS reminders: plan, send, list, forecast.", no_args_is_help=True)
LIST_FIELDS = [
    "external_id", "kind", "offset_days", "recipient", "due_at", "state", "language", "body",
]  # fmt: skip


@alerts_app.command("plan")
def alerts_plan(
    every_case: Annotated[
        bool, typer.Option("--all", help="Re-plan every case (after changing reminders.toml).")
    ] = False,
    now: NowOption = None,
) -> None:
    """Plan the reminders that are now within reach. Safe to run any number of times."""
    app = make_app(now)
    if every_case:
        changed = apply_all(app.engine, app.policies, app.clock.now())
        typer.echo(f"Re-planned every case ({changed} had deadlines change).")
        return
    added = plan_due(app.engine, app.composer, app.clock.now())
    typer.echo(f"{added} alert(s) planned.")


@alerts_app.command("dispatch")
def alerts_dispatch(
    limit: Annotated[int, typer.Option(min=1, help="Send at most this many.")] = 200,
    now: NowOption = None,
    simulate: SimulateOption = False,
    drill: DrillOption = False,
) -> None:
    """Send the alerts that are due, once each, each text written as it goes.

    With a real SMS backend, a `--now` more than 5 minutes from the machine's clock is
    refused unless `--simulate` (send nothing) or `--drill` (a test account) is given.
    """
    app = make_app(now)
    if simulate:
        print_simulation(app, limit)
        return
    refuse_early_sends(app, drill=drill)
    outcome = app.dispatcher().run_once(limit)
    typer.echo(
        f"{outcome.sent} sent, {outcome.retried} to retry, {outcome.failed} failed, "
        f"{outcome.not_needed} no longer needed, {outcome.waiting} waiting for allowed "
        f"hours, {outcome.reconciled} interrupted claim(s) settled ({outcome.recovered} "
        "found already sent)."
    )


@alerts_app.command("list")
def alerts_list(
    case: Annotated[str | None, typer.Option(help="Only this case (external id).")] = None,
    state: Annotated[
        list[AlertState] | None, typer.Option(help="Only this state (repeatable).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1)] = 200,
    output: FormatOption = "table",
) -> None:
    """Alerts, soonest first; phone numbers masked. A planned message shows as a preview:
    its text as it would read when due (it is written when it is sent)."""
    check_format(output, ("table", "json"))
    app = make_app()
    with session_scope(app.engine) as session:
        found = list_alerts(session, case_ref=case, states=state or (), limit=limit)
        shown = previews(session, [alert for alert, _ in found], app.composer)
        rows = [_alert_row(alert, external_id, shown) for alert, external_id in found]
    if output == "json":
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    lines = [[_cell(row, field) for field in LIST_FIELDS] for row in rows]
    typer.echo(table(LIST_FIELDS, lines) if lines else "No alerts.")


def _cell(row: dict[str, Any], field: str) -> str:
    if field != "body":
        return str(row[field])
    return ("(preview) " if row["preview"] else "") + str(row["body"])[:40]


def _alert_row(alert: Any, external_id: str, shown: dict[int, str]) -> dict[str, Any]:
    # A planned message is written when it goes: show it as it would read when due.
    preview = shown.get(alert.id)
    return {
        "external_id": external_id,
        "kind": alert.kind,
        "offset_days": alert.offset_days,
        "recipient": mask_phone(alert.recipient),
        "due_at": alert.due_at.isoformat().replace("+00:00", "Z"),
        "state": alert.state.value,
        "language": alert.language,
        "body": alert.body if preview is None else preview,
        "preview": preview is not None,
    }


@alerts_app.command("forecast")
def alerts_forecast(
    days: Annotated[int, typer.Option(min=1, max=366, help="How many days ahead.")] = 30,
    now: NowOption = None,
) -> None:
    """Messages, segments and estimated cost per day."""
    app = make_app(now)
    found = forecast(app.engine, app.composer, app.clock.now(), days)
    rows = [
        [d.day.isoformat(), str(d.messages), str(d.segments), f"{d.cost_usd:.2f}"] for d in found
    ]
    typer.echo(table(["day (UTC)", "messages", "segments", "cost USD"], rows))
    total = sum(d.cost_usd for d in found)
    typer.echo(f"Total: {sum(d.messages for d in found)} messages, ${total:.2f}.")
