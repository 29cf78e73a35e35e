"""USCIS status texts as events (`config/uscis.toml`): the shipped patterns, what a bad file
says (file, line, reason), and response dates read from USCIS's descriptions."""

from datetime import date
from pathlib import Path

import pytest

from tracker.domain.model import UscisEvent
from tracker.errors import ConfigError
from tracker.uscis.events import EventPatterns, parse_event_patterns, response_due

CONFIG = Path(__file__).resolve().parents[2] / "config" / "uscis.toml"
SOURCE = "uscis.toml"


@pytest.fixture(scope="module")
def shipped() -> EventPatterns:
    return parse_event_patterns(CONFIG.read_text(encoding="utf-8"), str(CONFIG))


@pytest.mark.parametrize(
    ("title", "event"),
    [
        ("Case Was Received", UscisEvent.RECEIVED),
        ("Case Was Received And A Receipt Notice Was Sent", UscisEvent.RECEIVED),
        ("Fingerprint Fee Was Received", UscisEvent.RECEIVED),
        ("Response To USCIS' Request For Evidence Was Received", UscisEvent.RECEIVED),
        ("Request for Evidence Was Sent", UscisEvent.RFE),
        ("Request For Initial Evidence Was Sent", UscisEvent.RFE),
        ("Notice Of Intent To Deny Was Sent", UscisEvent.RFE),
        ("Interview Was Scheduled", UscisEvent.APPOINTMENT),
        ("Biometrics Appointment Was Scheduled", UscisEvent.APPOINTMENT),
        ("Case Was Approved", UscisEvent.APPROVED),
        ("Case Approval Was Affirmed", UscisEvent.APPROVED),
        ("Card Was Mailed To Me", UscisEvent.APPROVED),
        ("New Card Is Being Produced", UscisEvent.APPROVED),
        ("Case Was Denied", UscisEvent.DENIED),
        ("Appeal Was Dismissed", UscisEvent.DENIED),
        ("Case Approval Was Revoked", UscisEvent.DENIED),
        ("Case Was Rejected Because It Was Improperly Filed", UscisEvent.REJECTED),
        ("Case Rejected Because I Sent An Incorrect Fee", UscisEvent.REJECTED),
        ("Case Was Transferred And A New Office Has Jurisdiction", UscisEvent.TRANSFERRED),
        ("Case Transferred To Another Office", UscisEvent.TRANSFERRED),
        ("Case Is Being Actively Reviewed By USCIS", UscisEvent.OTHER),
        ("Case Was Reopened", UscisEvent.OTHER),
    ],
)
def test_the_shipped_patterns_file_common_uscis_texts(
    shipped: EventPatterns, title: str, event: UscisEvent
) -> None:
    assert shipped.classify(title) == event


def test_case_spaces_and_a_final_full_stop_do_not_matter(shipped: EventPatterns) -> None:
    assert shipped.classify("  case was   DENIED. ") == UscisEvent.DENIED


def test_a_pattern_matches_the_whole_title_only(shipped: EventPatterns) -> None:
    # "Denied" inside a longer title is not a denial unless a pattern says so.
    assert shipped.classify("Fee Waiver Was Denied") == UscisEvent.OTHER


def test_the_first_table_that_matches_wins() -> None:
    text = (
        'version = 1\n[[event]]\nkind = "other"\npatterns = ["Case Was Denied For Now"]\n'
        '[[event]]\nkind = "denied"\npatterns = ["Case Was Denied.*"]\n'
    )
    patterns = parse_event_patterns(text, SOURCE)

    assert patterns.classify("Case Was Denied For Now") == UscisEvent.OTHER
    assert patterns.classify("Case Was Denied") == UscisEvent.DENIED


def lines_of(*tables: str) -> str:
    return "version = 1\n" + "".join(tables)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('version = 1\n[[event]\nkind = "rfe"\n', 2, ["not valid TOML"]),
        ('version = 1\nevents = []\n[[event]]\nkind = "rfe"\npatterns = ["x"]\n', 2,
         ["events", "unknown key"]),
        ('version = 0\n[[event]]\nkind = "rfe"\npatterns = ["x"]\n', 1, ["version"]),
        (lines_of('[[event]]\nkind = "rfe"\npatterns = ["x"]\n',
                  '[[event]]\nkind = "refused"\npatterns = ["y"]\n'), 6,
         ["[[event]] #2", "'refused' is not one of", "denied"]),
        (lines_of('[[event]]\nkind = "rfe"\npatterns = [\n    "ok",\n    "Case (Was",\n]\n'), 6,
         ["[[event]] #1 patterns", "'Case (Was'", "not a regular expression"]),
        (lines_of('[[event]]\nkind = "rfe"\npatterns = []\n'), 4, ["non-empty list"]),
        (lines_of('[[event]]\nkind = "rfe"\n'), 2, ["missing key 'patterns'"]),
        (lines_of('[[event]]\nkind = "rfe"\npatterns = ["x"]\nnote = "?"\n'), 5,
         ["note", "unknown key"]),
        ("version = 1\n", None, ["missing key 'event'"]),
    ],
)  # fmt: skip
def test_a_bad_file_is_reported_with_its_line(
    text: str, line: int | None, words: list[str]
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_event_patterns(text, SOURCE)

    error = caught.value
    assert (error.source, error.line) == (SOURCE, line), str(error)
    assert str(error).startswith(f"{SOURCE}:{line}: " if line else f"{SOURCE}: ")
    for word in words:
        assert word in error.reason, error.reason


@pytest.mark.parametrize(
    ("description", "due"),
    [
        ("On March 3, 2026, we sent a request. Please respond by May 29, 2026.", date(2026, 5, 29)),
        ("Your response must be received no later than 05/29/2026.", date(2026, 5, 29)),
        ("Submit the evidence we asked for before Jun 1, 2026.", date(2026, 6, 1)),
        ("On March 3, 2026, we mailed a request for evidence. Follow its instructions.", None),
        ("Please respond by February 30, 2026.", None),
        (None, None),
    ],
)
def test_it_reads_a_response_date_only_where_uscis_states_one(
    description: str | None, due: date | None
) -> None:
    assert response_due(description) == due
