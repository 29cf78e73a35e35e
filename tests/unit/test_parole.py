"""The effective end of parole (domain.md, "Dates every rule uses")."""

from datetime import date

import pytest

from tracker.domain.model import (
    Decision,
    FilingFacts,
    Form,
    GrantFacts,
    GrantSource,
    TerminationException,
    TerminationFacts,
)
from tracker.domain.parole import (
    current_grant,
    effective_end,
    excepted,
    first_admission,
    stay_began,
    termination_end,
)

START = date(2025, 3, 10)
EXPIRY = date(2027, 3, 10)


def grant(
    start: date = START,
    expiry: date = EXPIRY,
    source: GrantSource = GrantSource.INITIAL,
    *,
    sequence: int = 0,
    decided: date | None = None,
) -> GrantFacts:
    return GrantFacts(start=start, expiry=expiry, source=source, sequence=sequence, decided=decided)


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


def test_it_ends_parole_early_on_a_termination_notice() -> None:
    termination = grant(date(2026, 5, 1), date(2026, 6, 1), GrantSource.TERMINATION_NOTICE)
    assert effective_end([INITIAL, termination]) == date(2026, 6, 1)
    # The termination decides the end, not which grant is current.
    assert current_grant([INITIAL, termination]) == INITIAL


PROGRAM_ENDS = TerminationFacts(effective=date(2026, 6, 1), published=date(2026, 5, 1))


def test_it_ends_parole_early_on_a_program_termination() -> None:
    assert effective_end([INITIAL], [PROGRAM_ENDS]) == date(2026, 6, 1)


def test_it_ignores_a_stayed_termination() -> None:
    stayed = TerminationFacts(date(2026, 6, 1), date(2026, 5, 1), in_force=False)
    assert effective_end([INITIAL], [stayed]) == EXPIRY


def test_it_ends_a_reparole_that_starts_after_the_termination() -> None:
    # The reproduction: re-paroled 2027-03-10 to 2029-03-09, termination effective
    # 2026-12-20 (recorded after the re-parole) still ends parole on 2026-12-20.
    reparole = grant(date(2027, 3, 10), date(2029, 3, 9), GrantSource.REPAROLE)
    later = TerminationFacts(effective=date(2026, 12, 20), published=date(2026, 11, 20))
    assert effective_end([INITIAL, reparole], [later]) == date(2026, 12, 20)


def test_it_spares_a_grant_decided_after_the_notice() -> None:
    court_order = grant(
        date(2026, 7, 1), date(2027, 7, 1), GrantSource.REPAROLE, decided=date(2026, 5, 2)
    )
    assert effective_end([INITIAL, court_order], [PROGRAM_ENDS]) == date(2027, 7, 1)
    decided_before = grant(
        date(2026, 7, 1), date(2027, 7, 1), GrantSource.REPAROLE, decided=date(2026, 5, 1)
    )
    assert effective_end([INITIAL, decided_before], [PROGRAM_ENDS]) == date(2026, 6, 1)


def test_it_waits_for_an_individual_notice_when_the_termination_says_so() -> None:
    on_notice = TerminationFacts(date(2026, 6, 1), date(2026, 5, 1), on_notice=True)
    assert effective_end([INITIAL], [on_notice]) == EXPIRY
    received = TerminationFacts(
        date(2026, 6, 1), date(2026, 5, 1), on_notice=True, notice_received=date(2026, 6, 12)
    )
    assert effective_end([INITIAL], [received]) == date(2026, 6, 12)
    early = TerminationFacts(
        date(2026, 6, 1), date(2026, 5, 1), on_notice=True, notice_received=date(2026, 5, 5)
    )
    # The later of the effective date and the notice.
    assert effective_end([INITIAL], [early]) == date(2026, 6, 1)


FRP = TerminationFacts(
    effective=date(2026, 1, 14),
    published=date(2025, 12, 15),
    exception=TerminationException(Form.I485, date(2025, 12, 15)),
)


def i485(filed: date, decision: Decision | None = None, on: date | None = None) -> FilingFacts:
    return FilingFacts(Form.I485, filed, decision, on)


def test_it_spares_an_adjustment_filed_by_the_cutoff_while_it_is_pending() -> None:
    pending = [i485(date(2025, 12, 1))]
    assert termination_end(FRP, pending) is None
    assert excepted(FRP, pending)
    assert effective_end([INITIAL], [FRP], pending) == EXPIRY


def test_it_ends_the_exception_on_the_day_of_a_denial_or_withdrawal() -> None:
    for decision in (Decision.DENIED, Decision.WITHDRAWN):
        decided = [i485(date(2025, 12, 1), decision, date(2026, 4, 2))]
        assert effective_end([INITIAL], [FRP], decided) == date(2026, 4, 2)
        assert not excepted(FRP, decided)
    # A denial before the effective date leaves the effective date.
    early = [i485(date(2025, 12, 1), Decision.DENIED, date(2026, 1, 2))]
    assert effective_end([INITIAL], [FRP], early) == date(2026, 1, 14)


def test_it_gives_no_exception_to_a_late_or_rejected_filing() -> None:
    late = [i485(date(2025, 12, 16))]
    rejected = [i485(date(2025, 12, 1), Decision.REJECTED, date(2025, 12, 20))]
    for filings in (late, rejected):
        assert effective_end([INITIAL], [FRP], filings) == date(2026, 1, 14)
        assert not excepted(FRP, filings)


def test_it_ignores_a_termination_older_than_a_later_reparole() -> None:
    termination = grant(date(2026, 5, 1), date(2026, 6, 1), GrantSource.TERMINATION_NOTICE)
    reparole = grant(date(2026, 5, 20), date(2028, 5, 20), GrantSource.REPAROLE)
    assert effective_end([INITIAL, termination, reparole]) == date(2028, 5, 20)


def test_it_counts_a_termination_issued_after_the_reparole() -> None:
    reparole = grant(date(2026, 5, 20), date(2028, 5, 20), GrantSource.REPAROLE)
    termination = grant(date(2026, 8, 1), date(2026, 9, 1), GrantSource.TERMINATION_NOTICE)
    assert effective_end([INITIAL, reparole, termination]) == date(2026, 9, 1)


def test_it_changes_nothing_for_a_termination_after_the_expiry() -> None:
    after = TerminationFacts(effective=date(2027, 6, 1), published=date(2027, 2, 1))
    assert effective_end([INITIAL], [after]) == EXPIRY


def test_it_takes_the_earliest_of_several_terminations() -> None:
    program = TerminationFacts(effective=date(2026, 4, 24), published=date(2026, 3, 25))
    notice = grant(date(2026, 3, 1), date(2026, 3, 8), GrantSource.TERMINATION_NOTICE)
    assert effective_end([INITIAL, notice], [program]) == date(2026, 3, 8)


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


def test_it_finds_the_start_of_the_current_stay() -> None:
    departure = grant(date(2026, 1, 5), date(2026, 1, 5), GrantSource.DEPARTURE)
    again = grant(date(2026, 4, 1), date(2027, 4, 1), GrantSource.REPAROLE)
    assert stay_began([INITIAL]) == START
    assert stay_began([INITIAL, departure, again]) == date(2026, 4, 1)
