"""`tracker terminations ...`: program-wide ends of parole, and court stays."""

from datetime import date
from typing import Annotated

import typer

from tracker.cases.terminations import (
    TerminationOutcome,
    TerminationRequest,
    apply_termination,
    find_known,
    get_termination,
    known_reach,
    list_terminations,
    preview_termination,
    reached_count,
    set_state,
    without_notice,
)
from tracker.cli.common import NowOption, actor, make_app, parse_date, table
from tracker.domain.model import Form, Program
from tracker.errors import InvalidInputError
from tracker.store.db import session_scope
from tracker.store.models import TerminationState

terminations_app = typer.Typer(help="Program-wide terminations of parole.", no_args_is_help=True)


@terminations_app.command("add")
def terminations_add(
    program: Annotated[
        Program | None, typer.Argument(help="The program whose parole ends (not with --known).")
    ] = None,
    effective: Annotated[
        str | None, typer.Option(help="The date parole ends (YYYY-MM-DD).")
    ] = None,
    citation: Annotated[str | None, typer.Option(help="The notice, e.g. '90 FR 13611'.")] = None,
    notice_date: Annotated[
        str | None,
        typer.Option(help="Publication date; default today, or the effective date if earlier."),
    ] = None,
    except_pending: Annotated[
        Form | None, typer.Option(help="Exempt cases with this form pending...")
    ] = None,
    filed_by: Annotated[str | None, typer.Option(help="...filed on or before this date.")] = None,
    on_notice: Annotated[
        bool, typer.Option("--on-notice", help="Parole ends only on an individual notice.")
    ] = False,
    known: Annotated[
        str | None, typer.Option("--known", help="Record a shipped notice by its id.")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count; change nothing.")] = False,
    now: NowOption = None,
) -> None:
    """Record a program termination and move every case it reaches."""
    app = make_app(now)
    instant = app.clock.now()
    if known is not None:
        if program or effective or citation or notice_date or except_pending or filed_by:
            raise InvalidInputError("--known takes every detail from the shipped notice; give none")
        request = TerminationRequest.of_known(find_known(app.known_terminations, known))
    else:
        request = _request(
            program,
            effective,
            citation,
            notice_date,
            except_pending,
            filed_by,
            on_notice,
            instant.date(),
        )
    if dry_run:
        outcome = preview_termination(app.engine, request, app.policies, instant, actor())
        _print(outcome, "Dry run, nothing changed. The termination would move")
        return
    with session_scope(app.engine) as session:
        outcome = apply_termination(session, request, app.policies, instant, actor())
    _print(outcome, f"Termination {outcome.termination_id} recorded. It moved")


def _request(
    program: Program | None,
    effective: str | None,
    citation: str | None,
    notice_date: str | None,
    except_pending: Form | None,
    filed_by: str | None,
    on_notice: bool,
    today: date,
) -> TerminationRequest:
    if program is None or effective is None or citation is None:
        raise InvalidInputError(
            "give the PROGRAM, --effective and --citation, or --known ID for a shipped notice"
        )
    ends = parse_date(effective, "--effective")
    assert ends is not None
    return TerminationRequest(
        program=program,
        effective=ends,
        citation=citation,
        # A notice recorded after the fact was published before it took effect.
        notice_date=parse_date(notice_date, "--notice-date") or min(today, ends),
        except_form=except_pending,
        except_filed_by=parse_date(filed_by, "--filed-by"),
        on_notice=on_notice,
    )


@terminations_app.command("known")
def terminations_known() -> None:
    """The published terminations shipped in config/terminations.toml: none applies by
    itself. Each with whether it is recorded and how many cases it would move."""
    app = make_app()
    with session_scope(app.engine) as session:
        reach = known_reach(session, app.known_terminations)
    rows = [
        [r.known.id, r.known.program.value, r.known.effective.isoformat(),
         f"recorded as {r.recorded_id}" if r.recorded_id else "not applied",
         str(r.reaches), str(r.would_move), r.known.citation]
        for r in reach
    ]  # fmt: skip
    header = ["id", "program", "effective", "state", "reaches", "would_move", "citation"]
    typer.echo(table(header, rows) if rows else "No known terminations are listed.")


@terminations_app.command("show")
def terminations_show(termination_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """One recorded termination: what it says, the cases it reached, and the cases still
    waiting for an individual notice."""
    app = make_app()
    with session_scope(app.engine) as session:
        t = get_termination(session, termination_id)
        missing = without_notice(session, termination_id)
        reached = reached_count(session, termination_id)
        known = next((k for k in app.known_terminations if k.id == t.known_id), None)
        lines = [
            f"Termination {t.id}: {t.program.value} parole, effective {t.effective_date} "
            f"(published {t.notice_date}), {t.state.value}",
            f"Citation: {t.citation}",
            "Takes effect: " + ("on individual notice" if t.on_notice else "on its date"),
        ]
        if t.except_form is not None:
            lines.append(
                f"Exception: {t.except_form.value} filed by {t.except_filed_by} and pending"
            )
        if known is not None:
            lines += [f"History ({known.id}):"] + [
                f"  {h.on} {h.event} ({h.citation})" for h in known.history
            ]
        lines.append(f"Reached {reached} case(s).")
        if t.on_notice:
            lines.append(
                f"No individual notice recorded: {len(missing)} case(s)"
                + "".join(f"\n  {c.external_id}" for c in missing)
            )
    typer.echo("\n".join(lines))


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
