"""The effective end of parole, from a case's grants and the program terminations that
reached it (domain.md, "Dates every rule uses" and "What moved in 2025-26")."""

from collections.abc import Iterable, Sequence
from datetime import date

from tracker.domain.model import (
    CaseFacts,
    Decision,
    FilingFacts,
    GrantFacts,
    GrantSource,
    TerminationFacts,
)


def current_grant(grants: Iterable[GrantFacts]) -> GrantFacts:
    """The newest grant of parole itself (not a termination): it decides the expiry."""
    parole = [g for g in grants if not g.source.ends_early]
    if not parole:
        raise ValueError("a case needs at least one grant of parole")
    return max(parole, key=lambda g: (g.start, g.sequence))


def effective_end(
    grants: Iterable[GrantFacts],
    terminations: Iterable[TerminationFacts] = (),
    filings: Sequence[FilingFacts] = (),
) -> date:
    """The earliest of the newest grant's expiry and every early end in force.

    An individual early end (termination notice, departure) counts only if it came on or
    after the newest grant began: a re-parole granted after it supersedes it. A program
    termination ends parole under whatever grant carries it, a re-parole that starts
    later included, unless that grant was decided after the termination's notice.
    """
    grants = tuple(grants)
    newest = current_grant(grants)
    ends = [newest.expiry]
    ends += [g.expiry for g in grants if g.source.ends_early and g.start >= newest.start]
    for termination in terminations:
        if newest.decided is not None and newest.decided > termination.published:
            continue
        end = termination_end(termination, filings)
        if end is not None:
            ends.append(end)
    return min(ends)


def case_end(facts: CaseFacts) -> date:
    """The effective end of parole of one case."""
    return effective_end(facts.grants, facts.terminations, facts.filings)


def termination_end(termination: TerminationFacts, filings: Sequence[FilingFacts]) -> date | None:
    """The day a termination ends this person's parole, or None while it does not:
    stayed, excepted, or waiting for an individual notice that has not been recorded.

    The end is never before the effective date; an individual notice received later, or
    the denial that ends an exception, moves it to that day.
    """
    if not termination.in_force:
        return None
    if termination.on_notice and termination.notice_received is None:
        return None
    ends = [termination.effective]
    if termination.notice_received is not None:
        ends.append(termination.notice_received)
    exception = termination.exception
    if exception is not None:
        # A rejected filing was never pending; a withdrawn one was, until withdrawn.
        qualifying = [
            f
            for f in filings
            if f.form == exception.form
            and f.filed <= exception.filed_by
            and f.decision != Decision.REJECTED
        ]
        if any(f.pending or f.decided_on is None for f in qualifying):
            return None
        # Every qualifying filing was decided against the person (or approved, when
        # parole has given way to status anyway): the exception ended with the last one.
        ends += [f.decided_on for f in qualifying if f.decided_on is not None]
    return max(ends)


def excepted(termination: TerminationFacts, filings: Sequence[FilingFacts]) -> bool:
    """True while the termination's exception spares this person."""
    return (
        termination.in_force
        and termination.exception is not None
        and not (termination.on_notice and termination.notice_received is None)
        and termination_end(termination, filings) is None
    )


def first_admission(grants: Iterable[GrantFacts]) -> date:
    """The start of the earliest grant of parole."""
    return min(g.start for g in grants if not g.source.ends_early)


def stay_began(grants: Iterable[GrantFacts]) -> date:
    """The start of the earliest grant of parole since the person last departed: the
    beginning of the current stay."""
    grants = tuple(grants)
    departures = [g.start for g in grants if g.source == GrantSource.DEPARTURE]
    since = max(departures, default=date.min)
    return min(
        (g.start for g in grants if not g.source.ends_early and g.start > since),
        default=first_admission(grants),
    )
