"""Response dates of USCIS requests for evidence: a deadline per pending filing, texted to
the person only where staff chose so."""

from dataclasses import replace
from datetime import UTC, date, datetime

from tracker.alerts.schedule import CaseNow, DeadlineView, reminders_of
from tracker.domain.model import DeadlineKind, Decision, Form, Status
from tracker.domain.rules import STAFF_ONLY, RuleSet, compute_deadlines

from .test_rules import facts, filing, only
from .test_schedule import PHONE, POLICY

DUE = date(2027, 2, 1)
ASKED = replace(filing(Form.I589), response_due=DUE)


def test_a_pending_filing_with_a_response_date_has_a_deadline_for_the_representative(
    ruleset: RuleSet,
) -> None:
    deadline = only(facts(filings=(ASKED,)), ruleset, DeadlineKind.RFE_RESPONSE_DUE)
    assert (deadline.date, deadline.act_by) == (DUE, DUE)
    assert deadline.flags == (STAFF_ONLY,)
    assert "103.2(b)(8)" in deadline.citation


def test_telling_the_person_drops_the_representative_only_flag(ruleset: RuleSet) -> None:
    told = replace(ASKED, response_tells_parolee=True)
    deadline = only(facts(filings=(told,)), ruleset, DeadlineKind.RFE_RESPONSE_DUE)
    assert STAFF_ONLY not in deadline.flags


def test_a_decided_filing_has_no_response_date(ruleset: RuleSet) -> None:
    decided = replace(ASKED, decision=Decision.APPROVED, decided_on=date(2027, 1, 10))
    kinds = {d.kind for d in compute_deadlines(facts(filings=(decided,)), ruleset)}
    assert DeadlineKind.RFE_RESPONSE_DUE not in kinds


def _reminders(flags: tuple[str, ...]) -> list[int]:
    view = DeadlineView(DeadlineKind.RFE_RESPONSE_DUE, DUE, "rfe_response_due:x", flags)
    case = CaseNow(Status.OTHER_STATUS_PENDING, "America/New_York", date(2027, 6, 1), PHONE, [])
    offsets = set()
    # A pass at each midnight (UTC) of the month before: every reminder comes into reach.
    for day in range(1, 32):
        now = datetime(2027, 1, day, tzinfo=UTC)
        wanted, _ = reminders_of([view], case, POLICY, now, since=now)
        offsets |= {w.offset for w in wanted}
    return sorted(offsets, reverse=True)


def test_only_a_response_date_staff_chose_to_tell_is_texted() -> None:
    assert _reminders((STAFF_ONLY,)) == []
    assert _reminders(()) == list(POLICY.offsets[DeadlineKind.RFE_RESPONSE_DUE])
