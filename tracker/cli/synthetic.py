"""`tracker synthetic N`: a large, clearly fake caseload, loaded fast, for benchmarks."""

import sys
from datetime import timedelta
from typing import Annotated

import typer

from tracker.cli.common import NowOption, make_app
from tracker.store.migrate import upgrade
from tracker.synthetic import generate
from tracker.synthetic.spread import external_id


def synthetic_command(
    count: Annotated[int, typer.Argument(min=1, metavar="N", help="How many cases to add.")],
    seed: Annotated[int, typer.Option(min=0, help="The same seed makes the same cases.")] = 1,
    now: NowOption = None,
) -> None:
    """Add N clearly fake cases (external ids SYN<seed>-...), spread like a real caseload,
    with their deadlines, history and outbox; a second run continues the numbering."""
    tracker = make_app(now)
    upgrade(tracker.engine)
    keep = timedelta(days=tracker.retention.message_text_days)
    with typer.progressbar(length=count, label="Synthetic cases", file=sys.stderr) as bar:
        report = generate(
            tracker.engine,
            count,
            seed=seed,
            now=tracker.clock.now(),
            policies=tracker.policies,
            keep_texts=keep,
            progress=bar.update,
        )
    last = external_id(seed, report.first + report.cases - 1)
    typer.echo(
        f"Added {report.cases:,} synthetic cases ({external_id(seed, report.first)} to {last}) "
        f"in {report.seconds:,.1f} s: {report.rows:,} rows, {report.rows_per_second:,.0f} rows/s, "
        f"{report.cases / report.seconds:,.0f} cases/s; {report.alerts_planned:,} reminders "
        "planned."
    )
