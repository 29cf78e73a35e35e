"""`tracker alerts ...`: plan, send, list and forecast the SMS reminders."""

import json
from typing import Annotated, Any

import typer

from tracker.alerts.forecast import forecast
from tracker.alerts.queries import list_alerts
from tracker.alerts.sweep import plan_due
from tracker.cases.recompute import apply_all
from tracker.cli.common import FormatOption, NowOption, check_format, make_app, table
from tracker.sms.base import mask_phone
from tracker.store.db import session_scope
from tracker.store.models import AlertState

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
) -> None:
    """Send the alerts that are due, once each."""
    app = make_app(now)
    outcome = app.dispatcher().run_once(limit)
    typer.echo(
        f"{outcome.sent} sent, {outcome.retried} to retry, {outcome.failed} failed, "
        f"{outcome.skipped} not sent (no longer needed or outside hours), "
        f"{outcome.reconciled} interrupted claim(s) settled ({outcome.recovered} found already "
        "sent)."
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
    """Alerts, soonest first; phone numbers masked."""
    check_format(output, ("table", "json"))
    app = make_app()
    with session_scope(app.engine) as session:
        found = list_alerts(session, case_ref=case, states=state or (), limit=limit)
        rows = [_alert_row(alert, external_id) for alert, external_id in found]
    if output == "json":
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    lines = [[str(r[f]) if f != "body" else str(r[f])[:40] for f in LIST_FIELDS] for r in rows]
    typer.echo(table(LIST_FIELDS, lines) if lines else "No alerts.")


def _alert_row(alert: Any, external_id: str) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "kind": alert.kind,
        "offset_days": alert.offset_days,
        "recipient": mask_phone(alert.recipient),
        "due_at": alert.due_at.isoformat().replace("+00:00", "Z"),
        "state": alert.state.value,
        "language": alert.language,
        "body": alert.body,
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
