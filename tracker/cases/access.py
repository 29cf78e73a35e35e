"""Who may read which case: the one rule, as a query condition and for a loaded case.

Administrators and staff read every case; a representative reads the cases assigned to
them, and none while their account is not linked to a representative. Every read of
cases (admin pages, CSV export, dashboard, API, feeds page, search) goes through
`readable`; a page that already holds a case asks `may_read`. Both follow `_owner`, so
the rule is written once. A case the caller may not read is answered as one that does
not exist, wherever the answer could tell a representative which other cases there are.
"""

from sqlalchemy import ColumnElement, false, true
from sqlmodel import col

from tracker.accounts.users import Caller
from tracker.store.models import Case

# `_owner`'s answers besides a representative's id.
EVERY_CASE = "every case"
NO_CASE = "no case"


def _owner(caller: Caller) -> int | str:
    """Whose cases the caller reads: a representative's id, EVERY_CASE or NO_CASE."""
    if caller.sees_all_cases:
        return EVERY_CASE
    return NO_CASE if caller.representative_id is None else caller.representative_id


def readable(caller: Caller) -> ColumnElement[bool]:
    """In a query of cases: the cases `caller` may read."""
    owner = _owner(caller)
    if owner == EVERY_CASE:
        return true()
    if owner == NO_CASE:
        return false()
    return col(Case.representative_id) == owner


def may_read(caller: Caller, case: Case) -> bool:
    """Whether `caller` may read `case` (the rule of `readable`, for a loaded case)."""
    return reads_for(caller, case.representative_id)


def reads_for(caller: Caller, representative_id: int | None) -> bool:
    """Whether `caller` reads what belongs to this representative (their cases, their
    calendar feed); None is no representative, which only staff read."""
    owner = _owner(caller)
    return owner == EVERY_CASE or (representative_id is not None and owner == representative_id)


def own_representative(caller: Caller) -> int | None:
    """The representative whose cases alone a caller reads; None when they read every
    case or none (see `reads_for`)."""
    owner = _owner(caller)
    return owner if isinstance(owner, int) else None
