"""The case status machine, every pair of statuses (tracker.domain.status.ALLOWED)."""

import pytest

from tracker.domain.model import Status
from tracker.domain.status import ALLOWED, NEEDS, Needs, allowed_from, check_transition
from tracker.errors import IllegalTransitionError

S = Status
ALLOWED_PAIRS = [(a, b) for a in Status for b in Status if b in ALLOWED[a]]
REFUSED_PAIRS = [(a, b) for a in Status for b in Status if a != b and b not in ALLOWED[a]]


def pair_id(pair: tuple[Status, Status]) -> str:
    return f"{pair[0].value}->{pair[1].value}"


def test_it_has_an_entry_for_every_status() -> None:
    assert set(ALLOWED) == set(Status)
    assert all(a not in ALLOWED[a] for a in Status)
    assert len(ALLOWED_PAIRS) + len(REFUSED_PAIRS) + len(Status) == len(Status) ** 2


@pytest.mark.parametrize("pair", ALLOWED_PAIRS, ids=pair_id)
def test_it_allows_each_listed_transition(pair: tuple[Status, Status]) -> None:
    current, target = pair
    assert check_transition(current, target) == NEEDS.get(target, Needs())


@pytest.mark.parametrize("pair", REFUSED_PAIRS, ids=pair_id)
def test_it_refuses_each_unlisted_transition_naming_the_allowed_ones(
    pair: tuple[Status, Status],
) -> None:
    current, target = pair
    names = ", ".join(sorted(s.value for s in ALLOWED[current]))
    with pytest.raises(IllegalTransitionError) as caught:
        check_transition(current, target)
    assert str(caught.value) == (
        f"a case cannot go from {current.value} to {target.value}; "
        f"from {current.value} it can go to: {names}"
    )
    for allowed in ALLOWED[current]:
        assert allowed.value in caught.value.message


@pytest.mark.parametrize("status", list(Status), ids=str)
def test_it_refuses_a_change_to_the_same_status(status: Status) -> None:
    with pytest.raises(IllegalTransitionError, match=f"^the case is already {status.value}$"):
        check_transition(status, status)


def test_it_names_the_targets_in_a_refusal_from_departed() -> None:
    with pytest.raises(IllegalTransitionError) as caught:
        check_transition(S.DEPARTED, S.EXPIRED)
    assert caught.value.message == (
        "a case cannot go from departed to expired; from departed it can go to: closed, paroled"
    )


def test_it_lets_a_case_with_another_status_only_close() -> None:
    assert allowed_from(S.STATUS_OBTAINED) == {S.CLOSED}
    assert allowed_from(S.CLOSED) == {S.PAROLED}
    assert allowed_from(S.DEPARTED) == {S.PAROLED, S.CLOSED}


@pytest.mark.parametrize(
    "current", [S.REPAROLE_PENDING, S.EXPIRED, S.TERMINATED, S.DEPARTED, S.CLOSED]
)
def test_it_needs_a_new_expiry_to_parole_again(current: Status) -> None:
    assert check_transition(current, S.PAROLED) == Needs(new_expiry=True, date=False)


@pytest.mark.parametrize("target", [S.TERMINATED, S.DEPARTED])
def test_it_needs_a_date_to_terminate_or_depart(target: Status) -> None:
    assert check_transition(S.PAROLED, target) == Needs(new_expiry=False, date=True)


@pytest.mark.parametrize(
    "target", [S.REPAROLE_PENDING, S.OTHER_STATUS_PENDING, S.EXPIRED, S.STATUS_OBTAINED, S.CLOSED]
)
def test_it_needs_nothing_for_other_changes(target: Status) -> None:
    assert check_transition(S.PAROLED, target) == Needs()
