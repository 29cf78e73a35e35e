"""`tracker rules ...`: check the rules config, and see what a change would move."""

from typing import Annotated

import typer

from tracker.alerts.messages import MESSAGE_KEYS
from tracker.cases.recompute import apply_all, diff_all
from tracker.cli.common import NowOption, make_app

rules_app = typer.Typer(help="Check and apply the deadline rules in config/.", no_args_is_help=True)


@rules_app.command("check")
def rules_check() -> None:
    """Validate config/rules.toml, reminders.toml, messages/, feeds.toml, retention.toml and
    uscis.toml.

    A problem is reported with file, line and reason.
    """
    app = make_app()
    ruleset = app.ruleset
    typer.echo(
        f"{app.rules_path}: ruleset {ruleset.version}, {len(ruleset.rules)} rules, "
        f"{len(ruleset.tps_windows)} TPS windows: OK"
    )
    composer = app.composer  # reads reminders.toml and every message file
    config = app.settings.config_dir
    policy = composer.policy
    offsets = sum(len(days) for days in policy.offsets.values())
    budgets = ", ".join(f"{name} {b.gsm7}/{b.ucs2}" for name, b in policy.segment_budgets.items())
    typer.echo(
        f"{config / 'reminders.toml'}: {len(policy.offsets)} deadline kinds, {offsets} "
        f"reminder offsets, segment budgets (GSM-7/UCS-2) {budgets}: OK"
    )
    catalog = composer.catalog
    waiting = {
        code: len(file.needs_review & file.messages.keys()) for code, file in catalog.files.items()
    }
    pending = sum(waiting.values())
    # The review count goes before ": OK": every line of a clean check ends with it.
    review = (
        f", {pending} texts in {sum(1 for n in waiting.values() if n)} languages "
        "await native review"
        if pending
        else ""
    )
    typer.echo(
        f"{config / 'messages'}: {len(catalog.languages)} languages, "
        f"{len(MESSAGE_KEYS)} texts each{review}: OK"
    )
    longest = app.check_texts()
    typer.echo(
        f"Every text within its budget with ORG_SHORT_NAME {composer.org!r} and the longest "
        "contact, no links; the longest per language:"
    )
    for language in catalog.languages:
        mine = [text for text in longest if text.language == language]
        worst = max(mine, key=lambda text: (text.segments / text.budget, len(text.text)))
        typer.echo(f"  {worst.describe()}: OK")
    feeds = app.feed_policy
    typer.echo(
        f"{config / 'feeds.toml'}: alarms {list(feeds.alarm_days)} days before, cancelled "
        f"events kept {feeds.cancelled_days} days: OK"
    )
    kept = app.retention
    typer.echo(
        f"{config / 'retention.toml'}: people erased {kept.after_case_ends_days} days after "
        f"their cases end, message texts purged after {kept.message_text_days} days: OK"
    )
    events = app.uscis_events
    patterns = sum(len(rule.patterns) for rule in events.rules)
    typer.echo(
        f"{config / 'uscis.toml'}: USCIS status texts, version {events.version}, "
        f"{len(events.rules)} events, {patterns} patterns: OK"
    )


@rules_app.command("diff")
def rules_diff(
    limit: Annotated[int, typer.Option(help="Show at most this many cases.")] = 200,
) -> None:
    """Show which stored deadlines the current rules would add, move or remove. Changes nothing."""
    app = make_app()
    cases = shown = 0
    for external_id, changes in diff_all(app.engine, app.ruleset):
        cases += 1
        if shown < limit:
            shown += 1
            for change in changes:
                typer.echo(
                    f"{external_id}  {change.slot}  {change.what}: "
                    f"{change.old_date or '-'} -> {change.new_date or '-'}"
                )
    if cases == 0:
        typer.echo("No stored deadline would change.")
    else:
        more = f" (first {shown} shown)" if cases > shown else ""
        typer.echo(f"{cases} case(s) would change{more}. Run `tracker rules apply` to store them.")


@rules_app.command("apply")
def rules_apply(now: NowOption = None) -> None:
    """Recompute and store every case's deadlines with the current rules."""
    app = make_app(now)
    changed = apply_all(app.engine, app.policies, app.clock.now())
    typer.echo(f"{changed} case(s) had deadlines added, moved or removed.")
