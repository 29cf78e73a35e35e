"""`tracker terminations ...`: program-wide ends of parole, and court stays."""

from typing import Annotated

import typer

from tracker.cases.terminations import (
    TerminationOutcome,
    TerminationRequest,
    apply_termination,
    list_terminations,
    preview_termination,
    set_state,
)
from tracker.cli.common import NowOption, actor, make_app, parse_date, table
from tracker.domain.model import Form, Program
from tracker.store.db import session_scope
from tracker.store.models import TerminationState

terminations_app = typer.Typer(help="Program-wide terminations of parole.", no_args_is_help=True)


@terminations_app.command("add")
def terminations_add(
    program: Annotated[Program, typer.Argument(help="The program whose parole ends.")],
    effective: Annotated[str, typer.Option(help="The date parole ends (YYYY-MM-DD).")],
    citation: Annotated[str, typer.Option(help="The notice, e.g. '90 FR 13611'.")],
    notice_date: Annotated[
        str | None, typer.Option(help="Publication date; default today.")
    ] = None,
    except_pending: Annotated[
        Form | None, typer.Option(help="Exempt cases with this form pending...")
    ] = None,
    filed_by: Annotated[str | None, typer.Option(help="...filed on or before this date.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count; change nothing.")] = False,
    now: NowOption = None,
) -> None:
    """Record a program termination and move every case it reaches."""
    app = make_app(now)
    instant = app.clock.now()
    request = TerminationRequest(
        program=program,
        effective=parse_date(effective, "--effective") or instant.date(),
        citation=citation,
        notice_date=parse_date(notice_date, "--notice-date") or instant.date(),
        except_form=except_pending,
        except_filed_by=parse_date(filed_by, "--filed-by"),
    )
    if dry_run:
        outcome = preview_termination(app.engine, request, app.policies, instant, actor())
        _print(outcome, "Dry run, nothing changed. The termination would move")
        return
    with session_scope(app.engine) as session:
        outcome = apply_termination(session, request, app.policies, instant, actor())
    _print(outcome, f"Termination {outcome.termination_id} recorded. It moved")


@terminations_app.command("stay")
def terminations_stay(
    termination_id: Annotated[int, typer.Argument(metavar="ID")],
    citation: Annotated[str, typer.Option(help="The court order.")],
    now: NowOption = None,
) -> None:
    """Record a court stay: the termination stops counting; ends go back."""
    _set(termination_id, TerminationState.STAYED, citation, now)


@terminations_app.command("lift")
def terminations_lift(
    termination_id: Annotated[int, typer.Argument(metavar="ID")],
    citation: Annotated[str, typer.Option(help="The order that lifted the stay.")],
    now: NowOption = None,
) -> None:
    """Record that a stay was lifted: the termination counts again."""
    _set(termination_id, TerminationState.LIFTED, citation, now)


@terminations_app.command("list")
def terminations_list() -> None:
    """Every recorded termination, newest first."""
    app = make_app()
    with session_scope(app.engine) as session:
        rows = [
            [str(t.id), t.program.value, t.effective_date.isoformat(), t.state.value, t.citation]
            for t in list_terminations(session)
        ]
    typer.echo(
        table(["id", "program", "effective", "state", "citation"], rows) if rows else "None."
    )


def _set(termination_id: int, state: TerminationState, reason: str, now: str | None) -> None:
    app = make_app(now)
    with session_scope(app.engine) as session:
        outcome = set_state(
            session, termination_id, state, reason, app.policies, app.clock.now(), actor()
        )
    _print(outcome, f"Termination {termination_id} is now {state.value}. That moved")


def _print(outcome: TerminationOutcome, lead: str) -> None:
    typer.echo(
        f"{lead} {outcome.moved} of {outcome.considered} case(s); "
        f"{outcome.under_30_days} now have under 30 days; {outcome.excepted} excepted."
    )
