"""config/terminations.toml and config/holds.toml: the shipped data, and errors that say
file, line and reason."""

from datetime import date
from pathlib import Path

import pytest

from tracker.domain.holds import parse_holds
from tracker.domain.known_terminations import parse_known_terminations
from tracker.domain.model import Form, Program
from tracker.errors import ConfigError

CONFIG = Path(__file__).resolve().parents[2] / "config"


def test_it_ships_the_chnv_and_frp_notices() -> None:
    text = (CONFIG / "terminations.toml").read_text(encoding="utf-8")
    chnv, frp = parse_known_terminations(text, "terminations.toml")
    assert (chnv.id, chnv.program, chnv.published, chnv.effective) == (
        "CHNV-2025", Program.CHNV, date(2025, 3, 25), date(2025, 4, 24),
    )  # fmt: skip
    assert chnv.citation.startswith("90 FR 13611")
    assert [h.on for h in chnv.history] == [date(2025, 4, 14), date(2025, 5, 30), date(2025, 6, 12)]
    assert (frp.id, frp.program, frp.effective) == ("FRP-2025", Program.FRP, date(2026, 1, 14))
    assert (frp.except_form, frp.except_filed_by) == (Form.I485, date(2025, 12, 15))
    assert frp.citation.startswith("90 FR 58032")
    assert not chnv.on_notice and not frp.on_notice


def test_it_ships_the_holds_lifted_by_the_court() -> None:
    holds = parse_holds((CONFIG / "holds.toml").read_text(encoding="utf-8"), "holds.toml")
    by_id = {h.id: h for h in holds}
    assert by_id["PM-602-0192-asylum"].countries is None
    assert len(by_id["PM-602-0192"].countries or ()) == 19
    assert len(by_id["PM-602-0194"].countries or ()) == 39
    assert {"AF", "CU", "HT", "VE"} <= (by_id["PM-602-0194"].countries or set())
    assert all(h.lifted == date(2026, 6, 11) for h in holds)


TERMINATION = """\
[[termination]]
id = "X"
program = "U4U"
published = 2026-01-01
effective = 2026-02-01
citation = "test"
"""


@pytest.mark.parametrize(
    ("replace", "by", "line", "reason"),
    [
        ('program = "U4U"', 'program = "XX"', 3, "[[termination]] #1 program: 'XX' is not one of"),
        (
            "effective = 2026-02-01",
            "effective = 2025-12-01",
            5,
            "[[termination]] #1 effective: takes effect before it was published",
        ),
        (
            'citation = "test"',
            'citation = "test"\ntakes_effect = "later"',
            7,
            "[[termination]] #1 takes_effect: write on_date or on_notice",
        ),
        (
            'citation = "test"',
            'citation = "test"\nwhen = 1',
            7,
            "[[termination]] #1 when: unknown key",
        ),
        (
            'citation = "test"',
            'citation = "test"\n'
            'exception = { form = "I-485", filed_by = 2026-01-01, pending = false }',
            7,
            "[[termination]] #1 exception: only a pending filing can be an exception",
        ),
    ],
)
def test_it_says_where_a_termination_is_wrong(
    replace: str, by: str, line: int, reason: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_known_terminations(TERMINATION.replace(replace, by), "t.toml")
    assert caught.value.line == line
    assert caught.value.reason.startswith(reason)


def test_it_refuses_two_terminations_with_one_id() -> None:
    with pytest.raises(ConfigError, match="duplicate id 'X'"):
        parse_known_terminations(TERMINATION + "\n" + TERMINATION, "t.toml")


HOLD = """\
[[hold]]
id = "H"
memo = "PM-1"
citation = "test"
starts = 2026-01-01
forms = ["I-131"]
countries = ["AF"]
"""


@pytest.mark.parametrize(
    ("replace", "by", "reason"),
    [
        ('forms = ["I-131"]', 'forms = ["I-999"]', "[[hold]] #1 forms: 'I-999' is not one of"),
        (
            'countries = ["AF"]',
            'countries = ["Afghanistan"]',
            "[[hold]] #1 countries: 'Afghanistan' is not an ISO 3166 code",
        ),
        ('countries = ["AF"]', "countries = []", "[[hold]] #1 countries: list at least one"),
        (
            "starts = 2026-01-01",
            "starts = 2026-01-01\nlifted = 2025-12-01",
            "[[hold]] #1 lifted: must be after the start",
        ),
        ("starts = 2026-01-01", 'starts = "2026-01-01"', "[[hold]] #1 starts: must be a date"),
    ],
)
def test_it_says_where_a_hold_is_wrong(replace: str, by: str, reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_holds(HOLD.replace(replace, by), "h.toml")
    assert caught.value.reason.startswith(reason)
    assert caught.value.line is not None
