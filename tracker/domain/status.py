"""The case status machine: which changes are legal and what each needs."""

from dataclasses import dataclass

from tracker.domain.model import Form, Status
from tracker.errors import IllegalTransitionError

S = Status

# Cases that still need someone's attention; the default of every "expiring" listing.
OPEN_STATUSES = (
    Status.PAROLED,
    Status.REPAROLE_PENDING,
    Status.OTHER_STATUS_PENDING,
    Status.TERMINATED,
    Status.EXPIRED,
)

# A new filing on a paroled case means the person now waits on that application.
PENDING_STATUS = {
    Form.I131: Status.REPAROLE_PENDING,
    Form.I589: Status.OTHER_STATUS_PENDING,
    Form.I485: Status.OTHER_STATUS_PENDING,
    Form.I821: Status.OTHER_STATUS_PENDING,
}

ALLOWED: dict[Status, frozenset[Status]] = {
    S.PAROLED: frozenset(
        {S.REPAROLE_PENDING, S.OTHER_STATUS_PENDING, S.EXPIRED, S.DEPARTED,
         S.STATUS_OBTAINED, S.TERMINATED, S.CLOSED}
    ),
    S.REPAROLE_PENDING: frozenset(
        {S.PAROLED, S.OTHER_STATUS_PENDING, S.EXPIRED, S.DEPARTED, S.STATUS_OBTAINED,
         S.TERMINATED, S.CLOSED}
    ),
    S.OTHER_STATUS_PENDING: frozenset(
        {S.PAROLED, S.REPAROLE_PENDING, S.EXPIRED, S.DEPARTED, S.STATUS_OBTAINED,
         S.TERMINATED, S.CLOSED}
    ),
    # A late re-parole approval or a new application can follow expiry.
    S.EXPIRED: frozenset(
        {S.PAROLED, S.REPAROLE_PENDING, S.OTHER_STATUS_PENDING, S.DEPARTED,
         S.STATUS_OBTAINED, S.CLOSED}
    ),
    S.TERMINATED: frozenset(
        {S.PAROLED, S.OTHER_STATUS_PENDING, S.EXPIRED, S.DEPARTED, S.STATUS_OBTAINED,
         S.CLOSED}
    ),
    # A person who left may be paroled in again.
    S.DEPARTED: frozenset({S.PAROLED, S.CLOSED}),
    S.STATUS_OBTAINED: frozenset({S.CLOSED}),
    # Reopening a closed case starts it over as paroled, with a grant.
    S.CLOSED: frozenset({S.PAROLED}),
}  # fmt: skip


@dataclass(frozen=True)
class Needs:
    """What a change to a status must come with."""

    new_expiry: bool = False
    date: bool = False


NEEDS: dict[Status, Needs] = {
    # Parole again means a grant with its own expiry.
    S.PAROLED: Needs(new_expiry=True),
    # A termination notice and a departure each have a date that ends parole.
    S.TERMINATED: Needs(date=True),
    S.DEPARTED: Needs(date=True),
}


def allowed_from(current: Status) -> frozenset[Status]:
    """The statuses a case in `current` may move to."""
    return ALLOWED[current]


def check_transition(current: Status, target: Status) -> Needs:
    """Refuse an illegal change with a message naming the legal ones; else say what it needs."""
    if target == current:
        raise IllegalTransitionError(f"the case is already {current.value}")
    allowed = ALLOWED[current]
    if target not in allowed:
        names = ", ".join(sorted(s.value for s in allowed))
        raise IllegalTransitionError(
            f"a case cannot go from {current.value} to {target.value}; from {current.value} "
            f"it can go to: {names}"
        )
    return NEEDS.get(target, Needs())
