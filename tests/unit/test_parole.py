"""The effective end of parole (domain.md, "Dates every rule uses")."""

from datetime import date

import pytest

from tracker.domain.model import GrantFacts, GrantSource
from tracker.domain.parole import current_grant, effective_end, first_admission

START = date(2025, 3, 10)
EXPIRY = date(2027, 3, 10)


def grant(
    start: date = START,
    expiry: date = EXPIRY,
    source: GrantSource = GrantSource.INITIAL,
    *,
    sequence: int = 0,
    in_force: bool = True,
) -> GrantFacts:
    return GrantFacts(
        start=start, expiry=expiry, source=source, sequence=sequence, in_force=in_force
    )


INITIAL = grant()


def test_it_ends_on_the_expiry_of_a_single_grant() -> None:
    assert effective_end([INITIAL]) == EXPIRY
    assert current_grant([INITIAL]) == INITIAL


def test_it_lets_a_reparole_supersede_the_initial_grant() -> None:
    reparole = grant(date(2027, 1, 15), date(2029, 1, 15), GrantSource.REPAROLE)
    assert current_grant([INITIAL, reparole]) == reparole
    assert effective_end([INITIAL, reparole]) == date(2029, 1, 15)
    assert effective_end([reparole, INITIAL]) == date(2029, 1, 15)


def test_it_follows_a_reparole_even_when_it_expires_earlier() -> None:
    reparole = grant(date(2026, 6, 1), date(2026, 12, 1), GrantSource.REPAROLE)
    assert effective_end([INITIAL, reparole]) == date(2026, 12, 1)


def test_it_lets_a_correction_with_the_same_start_and_higher_sequence_win() -> None:
    correction = grant(START, date(2027, 2, 10), GrantSource.CORRECTION, sequence=1)
    assert current_grant([INITIAL, correction]) == correction
    assert effective_end([INITIAL, correction]) == date(2027, 2, 10)
    assert effective_end([correction, INITIAL]) == date(2027, 2, 10)


def test_it_lets_a_correction_extend_the_expiry() -> None:
    correction = grant(START, date(2027, 9, 1), GrantSource.CORRECTION, sequence=1)
    assert effective_end([INITIAL, correction]) == date(2027, 9, 1)


def test_it_prefers_the_latest_of_several_corrections() -> None:
    first = grant(START, date(2027, 2, 10), GrantSource.CORRECTION, sequence=1)
    second = grant(START, date(2027, 4, 1), GrantSource.CORRECTION, sequence=2)
    assert effective_end([second, INITIAL, first]) == date(2027, 4, 1)


@pytest.mark.parametrize(
    "source", [GrantSource.TERMINATION_NOTICE, GrantSource.PROGRAM_TERMINATION]
)
def test_it_ends_parole_early_on_a_termination(source: GrantSource) -> None:
    termination = grant(date(2026, 5, 1), date(2026, 6, 1), source)
    assert effective_end([INITIAL, termination]) == date(2026, 6, 1)
    # The termination decides the end, not which grant is current.
    assert current_grant([INITIAL, termination]) == INITIAL


def test_it_ignores_a_stayed_termination() -> None:
    stayed = grant(
        date(2026, 5, 1), date(2026, 6, 1), GrantSource.PROGRAM_TERMINATION, in_force=False
    )
    assert effective_end([INITIAL, stayed]) == EXPIRY


def test_it_ignores_a_termination_older_than_a_later_reparole() -> None:
    termination = grant(date(2026, 5, 1), date(2026, 6, 1), GrantSource.TERMINATION_NOTICE)
    reparole = grant(date(2026, 5, 20), date(2028, 5, 20), GrantSource.REPAROLE)
    assert effective_end([INITIAL, termination, reparole]) == date(2028, 5, 20)


def test_it_counts_a_termination_issued_after_the_reparole() -> None:
    reparole = grant(date(2026, 5, 20), date(2028, 5, 20), GrantSource.REPAROLE)
    termination = grant(date(2026, 8, 1), date(2026, 9, 1), GrantSource.TERMINATION_NOTICE)
    assert effective_end([INITIAL, reparole, termination]) == date(2026, 9, 1)


def test_it_changes_nothing_for_a_termination_after_the_expiry() -> None:
    termination = grant(date(2027, 2, 1), date(2027, 6, 1), GrantSource.PROGRAM_TERMINATION)
    assert effective_end([INITIAL, termination]) == EXPIRY


def test_it_takes_the_earliest_of_several_terminations() -> None:
    program = grant(date(2026, 3, 25), date(2026, 4, 24), GrantSource.PROGRAM_TERMINATION)
    notice = grant(date(2026, 3, 1), date(2026, 3, 8), GrantSource.TERMINATION_NOTICE)
    assert effective_end([program, INITIAL, notice]) == date(2026, 3, 8)


def test_it_accepts_any_iterable_of_grants() -> None:
    termination = grant(date(2026, 5, 1), date(2026, 6, 1), GrantSource.TERMINATION_NOTICE)
    assert effective_end(iter([INITIAL, termination])) == date(2026, 6, 1)


def test_it_refuses_a_case_without_grants() -> None:
    with pytest.raises(ValueError, match="at least one grant"):
        effective_end([])
    with pytest.raises(ValueError, match="at least one grant"):
        current_grant([])


def test_it_refuses_a_case_with_only_terminations() -> None:
    termination = grant(date(2026, 5, 1), date(2026, 6, 1), GrantSource.TERMINATION_NOTICE)
    with pytest.raises(ValueError, match="at least one grant"):
        effective_end([termination])


def test_it_finds_the_first_admission_among_grants() -> None:
    reparole = grant(date(2027, 1, 15), date(2029, 1, 15), GrantSource.REPAROLE)
    termination = grant(date(2024, 1, 1), date(2024, 2, 1), GrantSource.TERMINATION_NOTICE)
    assert first_admission([reparole, termination, INITIAL]) == START
