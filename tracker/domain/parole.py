"""The effective end of parole, from a case's grants (domain.md, "Dates every rule uses")."""

from collections.abc import Iterable
from datetime import date

from tracker.domain.model import GrantFacts


def current_grant(grants: Iterable[GrantFacts]) -> GrantFacts:
    """The newest grant of parole itself (not a termination): it decides the expiry."""
    parole = [g for g in grants if not g.source.ends_early]
    if not parole:
        raise ValueError("a case needs at least one grant of parole")
    return max(parole, key=lambda g: (g.start, g.sequence))


def effective_end(grants: Iterable[GrantFacts]) -> date:
    """The earliest of the newest grant's expiry and every early end in force.

    An early end (termination, departure) counts only if it came on or after the newest
    grant began: a re-parole granted after it supersedes it. A stayed termination counts
    for nothing.
    """
    grants = tuple(grants)
    newest = current_grant(grants)
    ends = [newest.expiry]
    ends += [
        g.expiry for g in grants if g.source.ends_early and g.in_force and g.start >= newest.start
    ]
    return min(ends)


def first_admission(grants: Iterable[GrantFacts]) -> date:
    """The start of the earliest grant of parole."""
    return min(g.start for g in grants if not g.source.ends_early)
