"""compute_deadlines over hand-built CaseFacts (domain.md, "Deadline kinds")."""

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from tracker.domain.holds import Hold
from tracker.domain.model import (
    CaseFacts,
    Deadline,
    DeadlineKind,
    Decision,
    FilingFacts,
    Form,
    GrantSource,
    Program,
    Status,
    TerminationFacts,
)
from tracker.domain.rules import RuleSet, compute_deadlines
from tracker.domain.rules_config import parse_ruleset

from .test_parole import grant

K = DeadlineKind
ARRIVAL = date(2025, 3, 10)  # a Monday; parole starts the same day
END = date(2027, 3, 10)  # a Wednesday
ASYLUM_FLAG = "asylum_year_passed_in_parole"
REPAROLE_KINDS = {K.REPAROLE_WINDOW_OPENS, K.REPAROLE_FILE_BY}
UNLAWFUL_KINDS = {K.UNLAWFUL_PRESENCE_180, K.UNLAWFUL_PRESENCE_365}


BASE = CaseFacts(
    program=Program.U4U,
    status=Status.PAROLED,
    arrival=ARRIVAL,
    grants=(grant(),),
)


def facts(**overrides: Any) -> CaseFacts:
    return replace(BASE, **overrides)


def arriving(arrival: date) -> CaseFacts:
    """A case paroled in on `arrival` for two years."""
    return facts(arrival=arrival, grants=(grant(arrival, arrival + timedelta(days=730)),))


def filing(form: Form, decision: Decision | None = None) -> FilingFacts:
    return FilingFacts(form=form, filed=date(2026, 1, 5), decision=decision)


def kinds(case: CaseFacts, ruleset: RuleSet) -> set[DeadlineKind]:
    return {d.kind for d in compute_deadlines(case, ruleset)}


def only(case: CaseFacts, ruleset: RuleSet, kind: DeadlineKind) -> Deadline:
    found = [d for d in compute_deadlines(case, ruleset) if d.kind == kind]
    assert len(found) == 1, found
    return found[0]


def dates(deadline: Deadline) -> tuple[date, date]:
    return deadline.date, deadline.act_by


# --- the whole plan of an ordinary case ------------------------------------------------


def test_it_plans_every_deadline_of_an_ordinary_case_sorted_by_date(ruleset: RuleSet) -> None:
    planned = [(d.kind, d.date, d.act_by) for d in compute_deadlines(BASE, ruleset)]
    assert planned == [
        (K.ASYLUM_ONE_YEAR, date(2026, 3, 10), date(2026, 3, 9)),
        (K.REPAROLE_WINDOW_OPENS, date(2026, 9, 11), date(2026, 9, 11)),
        (K.REPAROLE_FILE_BY, date(2026, 12, 10), date(2026, 12, 10)),
        (K.PAROLE_EXPIRY, END, END),
        (K.UNLAWFUL_PRESENCE_180, date(2027, 9, 7), date(2027, 9, 6)),
        (K.UNLAWFUL_PRESENCE_365, date(2028, 3, 9), date(2028, 3, 8)),
    ]


def test_it_sorts_every_kind_by_date(ruleset: RuleSet) -> None:
    case = facts(
        citizenship="CU",
        work_permit_expiry=date(2026, 2, 1),
        filings=(filing(Form.I131),),
    )
    found = compute_deadlines(case, ruleset)
    assert [d.date for d in found] == sorted(d.date for d in found)
    assert [d.kind for d in found] == [
        K.WORK_PERMIT_RENEW_FROM,  # 2025-08-05, 180 days before the card's end
        K.WORK_PERMIT_EXPIRY,  # 2026-02-01
        K.ASYLUM_ONE_YEAR,  # 2026-03-10
        K.CUBAN_ADJUSTMENT_ELIGIBLE,  # 2026-03-11, the day after the anniversary
        K.PAROLE_EXPIRY,
        K.UNLAWFUL_PRESENCE_180,
        K.UNLAWFUL_PRESENCE_365,
    ]


def test_it_names_the_rule_behind_each_deadline(ruleset: RuleSet) -> None:
    for deadline in compute_deadlines(BASE, ruleset):
        rule = ruleset.rule(deadline.kind.value)
        assert deadline.rule_id == rule.id
        assert deadline.rule_version == rule.version
        assert deadline.citation == rule.citation
        assert deadline.key == ""
        assert deadline.slot == deadline.kind.value


# --- parole_expiry ---------------------------------------------------------------------


def test_it_puts_parole_expiry_on_the_effective_end(ruleset: RuleSet) -> None:
    assert dates(only(BASE, ruleset, K.PAROLE_EXPIRY)) == (END, END)


def test_it_moves_parole_expiry_to_a_termination(ruleset: RuleSet) -> None:
    termination = TerminationFacts(effective=date(2026, 5, 31), published=date(2026, 5, 1))
    case = facts(terminations=(termination,))
    expiry = date(2026, 5, 31)
    assert dates(only(case, ruleset, K.PAROLE_EXPIRY)) == (expiry, expiry)
    assert dates(only(case, ruleset, K.UNLAWFUL_PRESENCE_180)) == (
        expiry + timedelta(days=181),
        expiry + timedelta(days=180),
    )


def test_it_moves_parole_expiry_to_a_reparole(ruleset: RuleSet) -> None:
    reparole = grant(date(2027, 1, 4), date(2029, 1, 4), GrantSource.REPAROLE)
    case = facts(grants=(grant(), reparole))
    assert dates(only(case, ruleset, K.PAROLE_EXPIRY)) == (date(2029, 1, 4), date(2029, 1, 4))


@pytest.mark.parametrize(
    "status",
    [
        Status.PAROLED,
        Status.REPAROLE_PENDING,
        Status.OTHER_STATUS_PENDING,
        Status.EXPIRED,
        Status.TERMINATED,
    ],
)
def test_it_keeps_parole_expiry_while_the_case_is_open(ruleset: RuleSet, status: Status) -> None:
    assert K.PAROLE_EXPIRY in kinds(facts(status=status), ruleset)


def test_it_flags_parole_expiry_when_the_asylum_year_passed_in_parole(ruleset: RuleSet) -> None:
    found = compute_deadlines(BASE, ruleset)
    expiry = next(d for d in found if d.kind == K.PAROLE_EXPIRY)
    assert ASYLUM_FLAG in expiry.flags
    assert all(ASYLUM_FLAG not in d.flags for d in found if d.kind != K.PAROLE_EXPIRY)


def test_it_does_not_flag_parole_expiry_when_parole_ends_before_the_asylum_date(
    ruleset: RuleSet,
) -> None:
    case = facts(grants=(grant(ARRIVAL, date(2026, 1, 10)),))
    assert only(case, ruleset, K.PAROLE_EXPIRY).flags == ()


def test_it_does_not_flag_parole_expiry_once_an_i589_is_filed(ruleset: RuleSet) -> None:
    case = facts(filings=(filing(Form.I589),))
    assert ASYLUM_FLAG not in only(case, ruleset, K.PAROLE_EXPIRY).flags


# --- reparole_window_opens / reparole_file_by -----------------------------------------


@pytest.mark.parametrize(
    "program", [Program.U4U, Program.OAW, Program.CAM, Program.MEDICAL, Program.OTHER]
)
def test_it_plans_the_reparole_window_for_programs_that_allow_it(
    ruleset: RuleSet, program: Program
) -> None:
    case = facts(program=program)
    opens = only(case, ruleset, K.REPAROLE_WINDOW_OPENS)
    file_by = only(case, ruleset, K.REPAROLE_FILE_BY)
    assert dates(opens) == (END - timedelta(days=180), END - timedelta(days=180))
    assert dates(file_by) == (END - timedelta(days=90), END - timedelta(days=90))
    assert dates(opens) == (date(2026, 9, 11), date(2026, 9, 11))
    assert dates(file_by) == (date(2026, 12, 10), date(2026, 12, 10))


@pytest.mark.parametrize("program", [Program.CHNV, Program.FRP])
def test_it_plans_no_reparole_for_terminated_programs(ruleset: RuleSet, program: Program) -> None:
    found = kinds(facts(program=program), ruleset)
    assert not found & REPAROLE_KINDS
    assert K.PAROLE_EXPIRY in found


@pytest.mark.parametrize("decision", [None, Decision.APPROVED, Decision.DENIED])
def test_it_drops_the_reparole_deadlines_once_an_i131_is_filed(
    ruleset: RuleSet, decision: Decision | None
) -> None:
    case = facts(filings=(filing(Form.I131, decision),))
    assert not kinds(case, ruleset) & REPAROLE_KINDS


def test_it_plans_the_next_reparole_once_a_new_grant_follows_the_old_request(
    ruleset: RuleSet,
) -> None:
    # The I-131 of 2026-01-05 was for the first grant; the re-parole granted on 2027-03-10
    # runs to 2029-03-09 and needs its own request.
    renewed = grant(END, date(2029, 3, 9), GrantSource.REPAROLE, sequence=1)
    case = facts(grants=(grant(), renewed), filings=(filing(Form.I131, Decision.APPROVED),))
    assert dates(only(case, ruleset, K.REPAROLE_FILE_BY)) == (date(2028, 12, 9),) * 2
    assert dates(only(case, ruleset, K.REPAROLE_WINDOW_OPENS)) == (date(2028, 9, 10),) * 2


def test_it_keeps_the_reparole_deadlines_after_a_withdrawn_i131(ruleset: RuleSet) -> None:
    case = facts(filings=(filing(Form.I131, Decision.WITHDRAWN),))
    assert kinds(case, ruleset) >= REPAROLE_KINDS


def test_it_is_not_suppressed_by_a_filing_of_another_form(ruleset: RuleSet) -> None:
    case = facts(filings=(filing(Form.I765),))
    assert kinds(case, ruleset) >= REPAROLE_KINDS


# --- asylum_one_year -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arrival", "expected_date", "expected_act_by"),
    [
        # Anniversary on a Tuesday: the date itself; act by the Monday.
        (date(2025, 3, 10), date(2026, 3, 10), date(2026, 3, 9)),
        # Anniversary on a Sunday: the Monday; act by the Friday before.
        (date(2025, 3, 8), date(2026, 3, 9), date(2026, 3, 6)),
        # Anniversary on Friday 3 July 2026, Independence Day observed.
        (date(2025, 7, 3), date(2026, 7, 6), date(2026, 7, 2)),
        # Anniversary on Friday 24 December 2027, Christmas observed.
        (date(2026, 12, 24), date(2027, 12, 27), date(2027, 12, 23)),
        # Anniversary on Saturday 31 December 2022; Monday 2 January 2023 is observed.
        (date(2021, 12, 31), date(2023, 1, 3), date(2022, 12, 30)),
        # Anniversary on Martin Luther King Jr. Day 2026.
        (date(2025, 1, 19), date(2026, 1, 20), date(2026, 1, 16)),
        # 29 February: the anniversary is 28 February (a Friday in 2025).
        (date(2024, 2, 29), date(2025, 2, 28), date(2025, 2, 27)),
    ],
)
def test_it_rolls_the_asylum_date_forward_and_act_by_back(
    ruleset: RuleSet, arrival: date, expected_date: date, expected_act_by: date
) -> None:
    deadline = only(arriving(arrival), ruleset, K.ASYLUM_ONE_YEAR)
    assert dates(deadline) == (expected_date, expected_act_by)


def test_it_counts_the_asylum_year_from_the_earliest_arrival_of_the_stay(
    ruleset: RuleSet,
) -> None:
    # Back from a trip abroad on advance parole: the last arrival is later than the parole
    # start. Never the less cautious date by default: the clock runs from the first.
    case = facts(arrival=date(2025, 9, 2))
    assert dates(only(case, ruleset, K.ASYLUM_ONE_YEAR)) == (date(2026, 3, 10), date(2026, 3, 9))


def test_it_counts_the_asylum_year_from_a_later_arrival_staff_marked(ruleset: RuleSet) -> None:
    case = facts(arrival=date(2025, 9, 2), asylum_arrival=date(2025, 9, 2))
    assert dates(only(case, ruleset, K.ASYLUM_ONE_YEAR)) == (date(2026, 9, 2), date(2026, 9, 1))


def test_it_starts_the_asylum_year_again_after_a_departure_and_new_parole(
    ruleset: RuleSet,
) -> None:
    departure = grant(date(2025, 6, 1), date(2025, 6, 1), GrantSource.DEPARTURE)
    again = grant(date(2025, 9, 2), date(2027, 9, 2), GrantSource.REPAROLE)
    case = facts(arrival=date(2025, 9, 2), grants=(grant(), departure, again))
    assert dates(only(case, ruleset, K.ASYLUM_ONE_YEAR)) == (date(2026, 9, 2), date(2026, 9, 1))


def test_it_uses_the_representatives_asylum_arrival(ruleset: RuleSet) -> None:
    case = facts(arrival=date(2025, 9, 2), asylum_arrival=date(2025, 1, 5))
    # 5 January 2026 is a Monday; 1 January is a holiday, so act by Friday the 2nd.
    assert dates(only(case, ruleset, K.ASYLUM_ONE_YEAR)) == (date(2026, 1, 5), date(2026, 1, 2))


def test_it_does_not_let_the_asylum_arrival_move_other_deadlines(ruleset: RuleSet) -> None:
    plain = compute_deadlines(BASE, ruleset)
    moved = compute_deadlines(facts(asylum_arrival=date(2025, 1, 5)), ruleset)
    assert [d for d in plain if d.kind != K.ASYLUM_ONE_YEAR] == [
        d for d in moved if d.kind != K.ASYLUM_ONE_YEAR
    ]


@pytest.mark.parametrize("decision", [None, Decision.APPROVED, Decision.DENIED])
def test_it_drops_the_asylum_deadline_once_an_i589_is_filed(
    ruleset: RuleSet, decision: Decision | None
) -> None:
    case = facts(filings=(filing(Form.I589, decision),))
    assert K.ASYLUM_ONE_YEAR not in kinds(case, ruleset)


def test_it_keeps_the_asylum_deadline_after_a_withdrawn_i589(ruleset: RuleSet) -> None:
    case = facts(filings=(filing(Form.I589, Decision.WITHDRAWN),))
    assert dates(only(case, ruleset, K.ASYLUM_ONE_YEAR)) == (date(2026, 3, 10), date(2026, 3, 9))


# --- unlawful_presence_180 / unlawful_presence_365 -------------------------------------


def test_it_counts_unlawful_presence_from_the_day_after_the_end(ruleset: RuleSet) -> None:
    up180 = only(BASE, ruleset, K.UNLAWFUL_PRESENCE_180)
    up365 = only(BASE, ruleset, K.UNLAWFUL_PRESENCE_365)
    assert dates(up180) == (END + timedelta(days=181), END + timedelta(days=180))
    assert dates(up365) == (END + timedelta(days=365), END + timedelta(days=364))
    # Not rolled to business days: 6 September 2027 is Labor Day.
    assert dates(up180) == (date(2027, 9, 7), date(2027, 9, 6))
    assert dates(up365) == (date(2028, 3, 9), date(2028, 3, 8))
    assert up180.flags == up365.flags == ()


@pytest.mark.parametrize(
    "stopper",
    [
        filing(Form.I589),
        filing(Form.I485),
        filing(Form.I821, Decision.APPROVED),
    ],
    ids=["pending I-589", "pending I-485", "approved I-821 (TPS)"],
)
def test_it_drops_unlawful_presence_while_accrual_is_stopped(
    ruleset: RuleSet, stopper: FilingFacts
) -> None:
    assert not kinds(facts(filings=(stopper,)), ruleset) & UNLAWFUL_KINDS


@pytest.mark.parametrize(
    "filing_",
    [
        filing(Form.I589, Decision.DENIED),
        filing(Form.I589, Decision.WITHDRAWN),
        filing(Form.I485, Decision.DENIED),
        filing(Form.I485, Decision.WITHDRAWN),
        filing(Form.I821, Decision.DENIED),
    ],
    ids=["denied I-589", "withdrawn I-589", "denied I-485", "withdrawn I-485", "denied I-821"],
)
def test_it_keeps_unlawful_presence_when_nothing_stops_accrual(
    ruleset: RuleSet, filing_: FilingFacts
) -> None:
    assert kinds(facts(filings=(filing_,)), ruleset) >= UNLAWFUL_KINDS


def test_it_marks_unlawful_presence_at_risk_under_a_pending_reparole(ruleset: RuleSet) -> None:
    case = facts(filings=(filing(Form.I131),))
    for kind in UNLAWFUL_KINDS:
        deadline = only(case, ruleset, kind)
        assert deadline.flags == ("at_risk",)
        assert deadline == replace(only(BASE, ruleset, kind), flags=("at_risk",))
    assert "at_risk" not in only(case, ruleset, K.PAROLE_EXPIRY).flags


@pytest.mark.parametrize("decision", [Decision.APPROVED, Decision.DENIED, Decision.WITHDRAWN])
def test_it_does_not_mark_at_risk_once_the_reparole_is_decided(
    ruleset: RuleSet, decision: Decision
) -> None:
    case = facts(filings=(filing(Form.I131, decision),))
    for kind in UNLAWFUL_KINDS:
        assert only(case, ruleset, kind).flags == ()


# --- work_permit_expiry ----------------------------------------------------------------


def test_it_plans_the_recorded_work_permit_expiry(ruleset: RuleSet) -> None:
    case = facts(program=Program.CAM, work_permit_expiry=date(2026, 3, 9))
    deadline = only(case, ruleset, K.WORK_PERMIT_EXPIRY)
    assert dates(deadline) == (date(2026, 3, 9), date(2026, 3, 9))
    assert deadline.flags == ()


@pytest.mark.parametrize("program", [Program.U4U, Program.OAW])
def test_it_tells_who_works_incident_to_parole_that_the_card_is_not_the_limit(
    ruleset: RuleSet, program: Program
) -> None:
    case = facts(program=program, work_permit_expiry=date(2026, 3, 9))
    assert only(case, ruleset, K.WORK_PERMIT_EXPIRY).flags == ("work_incident_to_parole",)


def test_it_plans_no_work_permit_expiry_when_none_is_recorded(ruleset: RuleSet) -> None:
    assert K.WORK_PERMIT_EXPIRY not in kinds(BASE, ruleset)


def test_it_flags_a_work_permit_expiring_after_parole_ends(ruleset: RuleSet) -> None:
    cam = Program.CAM
    late = only(facts(program=cam, work_permit_expiry=date(2027, 3, 11)), ruleset,
                K.WORK_PERMIT_EXPIRY)  # fmt: skip
    assert late.flags == ("after_parole_end",)
    on_end = only(facts(program=cam, work_permit_expiry=END), ruleset, K.WORK_PERMIT_EXPIRY)
    assert on_end.flags == ()


# --- cuban_adjustment_eligible ---------------------------------------------------------


def test_it_plans_cuban_adjustment_a_year_after_the_first_grant(ruleset: RuleSet) -> None:
    reparole = grant(date(2027, 1, 4), date(2029, 1, 4), GrantSource.REPAROLE)
    case = facts(citizenship="CU", arrival=date(2025, 9, 2), grants=(reparole, grant()))
    deadline = only(case, ruleset, K.CUBAN_ADJUSTMENT_ELIGIBLE)
    # From the parole start, not the last arrival; the day after the anniversary (the
    # conservative earliest filing day); not rolled to a business day.
    assert dates(deadline) == (date(2026, 3, 11), date(2026, 3, 11))
    assert deadline.flags == ()


def test_it_keeps_the_cuban_adjustment_date_on_a_weekend(ruleset: RuleSet) -> None:
    case = arriving(date(2025, 3, 7))
    case = replace(case, citizenship="CU")
    assert dates(only(case, ruleset, K.CUBAN_ADJUSTMENT_ELIGIBLE)) == (
        date(2026, 3, 8),
        date(2026, 3, 8),
    )


def test_it_does_not_tie_cuban_adjustment_to_the_end_of_parole(ruleset: RuleSet) -> None:
    # Eligibility does not end with parole: no flag suggests it does.
    case = facts(citizenship="CU", grants=(grant(ARRIVAL, date(2026, 3, 9)),))
    deadline = only(case, ruleset, K.CUBAN_ADJUSTMENT_ELIGIBLE)
    assert deadline.date == date(2026, 3, 11)
    assert deadline.flags == ()


@pytest.mark.parametrize("citizenship", [None, "UA", "VE", "HT"])
def test_it_plans_cuban_adjustment_only_for_cubans(
    ruleset: RuleSet, citizenship: str | None
) -> None:
    assert K.CUBAN_ADJUSTMENT_ELIGIBLE not in kinds(facts(citizenship=citizenship), ruleset)


# --- statuses that end everything ------------------------------------------------------


@pytest.mark.parametrize("status", [Status.DEPARTED, Status.STATUS_OBTAINED, Status.CLOSED])
def test_it_plans_nothing_for_a_case_that_left_parole(ruleset: RuleSet, status: Status) -> None:
    case = facts(
        status=status,
        citizenship="CU",
        work_permit_expiry=date(2026, 6, 1),
        filings=(filing(Form.I131),),
    )
    assert compute_deadlines(case, ruleset) == []


def test_it_drops_the_reparole_deadlines_for_a_terminated_case(ruleset: RuleSet) -> None:
    found = kinds(facts(status=Status.TERMINATED), ruleset)
    assert not found & REPAROLE_KINDS
    assert found >= {K.PAROLE_EXPIRY, K.ASYLUM_ONE_YEAR} | UNLAWFUL_KINDS


# --- tps_registration_closes -----------------------------------------------------------

TPS_RULES = """\
ruleset_version = "test-1"
holiday_calendar = "US"

[[rule]]
id = "tps_registration_closes"
kind = "tps_registration_closes"
version = 3
formula = "tps_window"
programs = ["all"]
excluded_statuses = ["departed", "status_obtained", "closed"]
citation = "8 CFR 244.2"

[[tps_window]]
id = "UA-2026"
country = "ua"
opens = 2026-01-01
closes = 2026-03-02
residence_since = 2025-08-16
citation = "91 FR 1001"

[[tps_window]]
id = "UA-2025"
country = "UA"
opens = 2025-01-17
closes = 2025-07-01
residence_since = 2024-08-16
citation = "90 FR 2002"

[[tps_window]]
id = "UA-2026-rereg"
country = "UA"
registration = "re-registration"
opens = 2026-05-01
closes = 2026-06-30
residence_since = 2023-08-16
citation = "91 FR 4004"

[[tps_window]]
id = "VE-2026"
country = "VE"
opens = 2026-02-01
closes = 2026-04-01
residence_since = 2025-10-01
citation = "91 FR 3003"
"""


@pytest.fixture(scope="module")
def tps_rules() -> RuleSet:
    return parse_ruleset(TPS_RULES, "tps.toml")


def tps_case(citizenship: str | None, arrival: date, *filings: FilingFacts) -> CaseFacts:
    return facts(
        citizenship=citizenship,
        arrival=arrival,
        grants=(grant(arrival, arrival + timedelta(days=730)),),
        filings=filings,
    )


def test_it_plans_the_close_of_a_tps_window_for_a_matching_country(tps_rules: RuleSet) -> None:
    found = compute_deadlines(tps_case("UA", date(2025, 8, 16)), tps_rules)
    assert found == [
        Deadline(
            kind=K.TPS_REGISTRATION_CLOSES,
            date=date(2026, 3, 2),
            act_by=date(2026, 3, 2),
            rule_id="tps_registration_closes",
            rule_version=3,
            citation="8 CFR 244.2; 91 FR 1001",
            key="UA-2026",
        )
    ]
    assert found[0].slot == "tps_registration_closes:UA-2026"


def test_it_plans_every_window_the_person_qualifies_for_sorted(tps_rules: RuleSet) -> None:
    found = compute_deadlines(tps_case("UA", date(2024, 8, 16)), tps_rules)
    assert [(d.key, d.date) for d in found] == [
        ("UA-2025", date(2025, 7, 1)),
        ("UA-2026", date(2026, 3, 2)),
    ]


def test_it_skips_a_tps_window_for_a_later_arrival(tps_rules: RuleSet) -> None:
    assert compute_deadlines(tps_case("UA", date(2025, 8, 17)), tps_rules) == []


@pytest.mark.parametrize("citizenship", ["CU", None])
def test_it_skips_a_tps_window_of_another_country(
    tps_rules: RuleSet, citizenship: str | None
) -> None:
    assert compute_deadlines(tps_case(citizenship, date(2024, 1, 2)), tps_rules) == []


def test_it_picks_the_window_of_the_persons_country(tps_rules: RuleSet) -> None:
    found = compute_deadlines(tps_case("VE", date(2024, 1, 2)), tps_rules)
    assert [(d.key, d.date, d.citation) for d in found] == [
        ("VE-2026", date(2026, 4, 1), "8 CFR 244.2; 91 FR 3003")
    ]


@pytest.mark.parametrize("decision", [None, Decision.DENIED])
def test_it_drops_initial_registration_once_an_i821_is_filed(
    tps_rules: RuleSet, decision: Decision | None
) -> None:
    case = tps_case("UA", date(2024, 1, 2), filing(Form.I821, decision))
    assert compute_deadlines(case, tps_rules) == []


def test_it_gives_a_tps_holder_every_re_registration_window(tps_rules: RuleSet) -> None:
    # Holders re-register in each window (8 CFR 244.17); only initial registration goes.
    case = tps_case("UA", date(2024, 1, 2), filing(Form.I821, Decision.APPROVED))
    assert [(d.key, d.date) for d in compute_deadlines(case, tps_rules)] == [
        ("UA-2026-rereg", date(2026, 6, 30))
    ]


@pytest.mark.parametrize("decision", [Decision.WITHDRAWN, Decision.REJECTED])
def test_it_keeps_initial_registration_after_an_i821_that_was_not_filed(
    tps_rules: RuleSet, decision: Decision
) -> None:
    case = tps_case("UA", date(2024, 1, 2), filing(Form.I821, decision))
    assert [d.key for d in compute_deadlines(case, tps_rules)] == ["UA-2025", "UA-2026"]


def test_it_skips_tps_windows_for_a_departed_case(tps_rules: RuleSet) -> None:
    case = replace(tps_case("UA", date(2024, 1, 2)), status=Status.DEPARTED)
    assert compute_deadlines(case, tps_rules) == []


def test_the_shipped_ukraine_window_reaches_only_those_resident_by_its_date(
    ruleset: RuleSet,
) -> None:
    resident = only(tps_case("UA", date(2023, 8, 16)), ruleset, K.TPS_REGISTRATION_CLOSES)
    assert (resident.date, resident.act_by, resident.key) == (
        date(2025, 4, 19),
        date(2025, 4, 19),
        "UA-2023-redesignation",
    )
    assert "88 FR 56872" in resident.citation
    assert K.TPS_REGISTRATION_CLOSES not in kinds(tps_case("UA", date(2023, 8, 17)), ruleset)
    assert K.TPS_REGISTRATION_CLOSES not in kinds(tps_case("VE", date(2023, 1, 2)), ruleset)


# --- unlawful presence, counted as the law counts it ----------------------------------

SHORT = facts(grants=(grant(ARRIVAL, date(2026, 3, 10)),))  # ends Tuesday 2026-03-10


def decided(form: Form, filed: date, decision: Decision, on: date) -> FilingFacts:
    return FilingFacts(form=form, filed=filed, decision=decision, decided_on=on)


def test_it_counts_both_marks_from_the_day_after_the_end(ruleset: RuleSet) -> None:
    assert dates(only(SHORT, ruleset, K.UNLAWFUL_PRESENCE_180)) == (
        date(2026, 9, 7), date(2026, 9, 6),
    )  # fmt: skip
    assert dates(only(SHORT, ruleset, K.UNLAWFUL_PRESENCE_365)) == (
        date(2027, 3, 10), date(2027, 3, 9),
    )  # fmt: skip


def test_it_moves_the_marks_by_the_days_an_asylum_claim_was_pending_after_the_end(
    ruleset: RuleSet,
) -> None:
    denied = decided(Form.I589, date(2026, 1, 5), Decision.DENIED, date(2026, 5, 10))
    case = replace(SHORT, filings=(denied,))
    # Pending 2026-03-11 to 2026-05-09 after the end: 60 days do not count.
    found = only(case, ruleset, K.UNLAWFUL_PRESENCE_180)
    assert dates(found) == (date(2026, 11, 6), date(2026, 11, 5))
    assert "days_not_counted" in found.flags
    assert dates(only(case, ruleset, K.UNLAWFUL_PRESENCE_365)) == (
        date(2027, 5, 9), date(2027, 5, 8),
    )  # fmt: skip


def test_it_counts_a_claim_filed_after_the_end_only_from_its_filing(ruleset: RuleSet) -> None:
    late = decided(Form.I589, date(2026, 4, 1), Decision.DENIED, date(2026, 4, 11))
    case = replace(SHORT, filings=(late,))
    assert dates(only(case, ruleset, K.UNLAWFUL_PRESENCE_180)) == (
        date(2026, 9, 17), date(2026, 9, 16),
    )  # fmt: skip


def test_it_joins_overlapping_pending_claims(ruleset: RuleSet) -> None:
    first = decided(Form.I589, date(2026, 1, 5), Decision.DENIED, date(2026, 5, 10))
    second = decided(Form.I485, date(2026, 4, 1), Decision.DENIED, date(2026, 5, 20))
    case = replace(SHORT, filings=(first, second))
    # One span, 2026-03-11 to 2026-05-19: 70 days.
    assert dates(only(case, ruleset, K.UNLAWFUL_PRESENCE_180)) == (
        date(2026, 11, 16), date(2026, 11, 15),
    )  # fmt: skip


def test_it_tolls_nothing_for_a_rejected_claim(ruleset: RuleSet) -> None:
    rejected = decided(Form.I589, date(2026, 1, 5), Decision.REJECTED, date(2026, 5, 10))
    case = replace(SHORT, filings=(rejected,))
    assert dates(only(case, ruleset, K.UNLAWFUL_PRESENCE_180)) == (
        date(2026, 9, 7), date(2026, 9, 6),
    )  # fmt: skip
    # Never filed, so the asylum deadline stands as well.
    assert K.ASYLUM_ONE_YEAR in kinds(case, ruleset)


def test_it_still_suppresses_the_marks_while_a_claim_is_pending(ruleset: RuleSet) -> None:
    pending = FilingFacts(form=Form.I589, filed=date(2026, 1, 5))
    assert not kinds(replace(SHORT, filings=(pending,)), ruleset) & UNLAWFUL_KINDS


def test_it_counts_no_unlawful_presence_before_the_eighteenth_birthday(
    ruleset: RuleSet,
) -> None:
    minor = replace(SHORT, birth_date=date(2009, 6, 1))  # 18 on 2027-06-01: day 1
    found = only(minor, ruleset, K.UNLAWFUL_PRESENCE_180)
    assert dates(found) == (date(2027, 11, 28), date(2027, 11, 27))
    assert "days_not_counted" in found.flags
    adult = replace(SHORT, birth_date=date(2000, 6, 1))
    assert dates(only(adult, ruleset, K.UNLAWFUL_PRESENCE_180)) == (
        date(2026, 9, 7), date(2026, 9, 6),
    )  # fmt: skip


def test_it_keeps_a_pending_reparole_at_risk(ruleset: RuleSet) -> None:
    case = replace(SHORT, filings=(FilingFacts(form=Form.I131, filed=date(2026, 1, 5)),))
    assert only(case, ruleset, K.UNLAWFUL_PRESENCE_180).flags == ("at_risk",)


# --- work permits -----------------------------------------------------------------------


def test_it_caps_a_c11_card_at_the_end_of_parole(ruleset: RuleSet) -> None:
    case = facts(work_permit_expiry=date(2027, 9, 1), work_permit_category="c11")
    found = only(case, ruleset, K.WORK_PERMIT_EXPIRY)
    assert dates(found) == (END, END)
    assert found.flags == ("capped_at_parole_end", "work_incident_to_parole")
    renew = only(case, ruleset, K.WORK_PERMIT_RENEW_FROM)
    assert dates(renew) == (END - timedelta(days=180), END - timedelta(days=180))


def test_it_flags_but_keeps_a_card_of_another_category_after_the_end(ruleset: RuleSet) -> None:
    case = facts(
        program=Program.CHNV, work_permit_expiry=date(2027, 9, 1), work_permit_category="c08"
    )
    found = only(case, ruleset, K.WORK_PERMIT_EXPIRY)
    assert dates(found) == (date(2027, 9, 1), date(2027, 9, 1))
    assert found.flags == ("after_parole_end",)


def test_it_stops_the_renewal_date_while_a_renewal_is_pending(ruleset: RuleSet) -> None:
    case = facts(
        work_permit_expiry=date(2026, 9, 1),
        filings=(FilingFacts(form=Form.I765, filed=date(2026, 4, 1)),),
    )
    assert K.WORK_PERMIT_RENEW_FROM not in kinds(case, ruleset)
    assert K.WORK_PERMIT_EXPIRY in kinds(case, ruleset)


# --- fees -----------------------------------------------------------------------------


def test_it_puts_the_parole_fee_on_the_notices_due_date(ruleset: RuleSet) -> None:
    found = only(facts(parole_fee_due=date(2026, 12, 20)), ruleset, K.PAROLE_FEE_DUE)
    assert dates(found) == (date(2026, 12, 20), date(2026, 12, 20))
    assert "8 U.S.C. 1804" in found.citation
    assert K.PAROLE_FEE_DUE not in kinds(BASE, ruleset)


def test_it_watches_each_year_an_asylum_claim_is_pending(ruleset: RuleSet) -> None:
    pending = FilingFacts(form=Form.I589, filed=date(2025, 12, 1))
    found = [
        d
        for d in compute_deadlines(facts(filings=(pending,)), ruleset)
        if d.kind == K.ANNUAL_ASYLUM_FEE_DUE
    ]
    assert [(d.date, d.key, d.flags) for d in found] == [
        (date(2026, 12, 1), "2025-12-01:watch", ("watch_for_notice",))
    ]
    assert found[0].citation.endswith(
        "$102 for 2026 (90 FR 52693 (Nov. 21, 2025), effective Jan. 1, 2026)"
    )


def test_it_puts_the_yearly_fee_on_the_notices_date_and_watches_the_next_year(
    ruleset: RuleSet,
) -> None:
    noticed = FilingFacts(form=Form.I589, filed=date(2025, 12, 1), fee_notice_due=date(2027, 1, 4))
    found = sorted(
        (d.date, d.flags, d.citation.rsplit(";", 1)[-1].strip())
        for d in compute_deadlines(facts(filings=(noticed,)), ruleset)
        if d.kind == K.ANNUAL_ASYLUM_FEE_DUE
    )
    assert found == [
        (date(2027, 1, 4), (), "amount for 2027 not yet set"),
        (date(2027, 12, 1), ("watch_for_notice",), "amount for 2027 not yet set"),
    ]


def test_it_charges_no_yearly_fee_on_a_decided_claim(ruleset: RuleSet) -> None:
    done = decided(Form.I589, date(2025, 12, 1), Decision.DENIED, date(2026, 2, 1))
    assert K.ANNUAL_ASYLUM_FEE_DUE not in kinds(facts(filings=(done,)), ruleset)


# --- USCIS holds ----------------------------------------------------------------------


def held(ruleset: RuleSet, *holds: Hold) -> RuleSet:
    return replace(ruleset, holds=holds)


HOLD = Hold(
    id="PM-TEST", memo="PM-TEST", citation="test memo", starts=date(2026, 1, 1),
    forms=frozenset({Form.I131, Form.I589}), countries=frozenset({"AF"}),
)  # fmt: skip


def test_it_marks_the_expiry_and_reparole_dates_a_hold_covers(ruleset: RuleSet) -> None:
    case = facts(program=Program.OAW, citizenship="AF")
    found = compute_deadlines(case, held(ruleset, HOLD))
    marked = {d.kind for d in found if "hold:PM-TEST" in d.flags}
    assert marked == {K.PAROLE_EXPIRY, K.REPAROLE_WINDOW_OPENS, K.REPAROLE_FILE_BY}
    # A hold moves no date.
    assert [d.date for d in found] == [d.date for d in compute_deadlines(case, ruleset)]


def test_it_marks_nothing_for_another_country_or_after_the_hold(ruleset: RuleSet) -> None:
    ukrainian = compute_deadlines(facts(citizenship="UA"), held(ruleset, HOLD))
    assert not any(f.startswith("hold:") for d in ukrainian for f in d.flags)
    lifted = replace(HOLD, lifted=date(2026, 6, 11))
    found = compute_deadlines(facts(program=Program.OAW, citizenship="AF"), held(ruleset, lifted))
    # The end (2027-03-10) comes after the lifting: unmarked.
    assert not any(f.startswith("hold:") for d in found for f in d.flags)


def test_it_marks_a_pending_application_of_a_held_form_for_every_nationality(
    ruleset: RuleSet,
) -> None:
    asylum = Hold(
        id="ASY", memo="ASY", citation="test", starts=date(2026, 1, 1),
        forms=frozenset({Form.I589}), countries=None,
    )  # fmt: skip
    pending = FilingFacts(form=Form.I589, filed=date(2026, 1, 5))
    found = only(facts(filings=(pending,)), held(ruleset, asylum), K.PAROLE_EXPIRY)
    assert "hold:ASY" in found.flags
    assert "hold:ASY" not in only(BASE, held(ruleset, asylum), K.PAROLE_EXPIRY).flags


def test_the_shipped_holds_are_lifted_by_the_vacatur(ruleset: RuleSet) -> None:
    assert {h.id for h in ruleset.holds} == {"PM-602-0192-asylum", "PM-602-0192", "PM-602-0194"}
    assert {h.until for h in ruleset.holds} == {date(2026, 6, 11)}
    afghan = facts(program=Program.OAW, citizenship="AF")
    assert not any(
        f.startswith("hold:") for d in compute_deadlines(afghan, ruleset) for f in d.flags
    )
