"""parse_ruleset: the shipped rules, and errors that say file, line and reason."""

from datetime import date
from pathlib import Path

import pytest

from tracker.domain.model import DeadlineKind, Form, Program, Status
from tracker.domain.rules import FilingCondition, RuleSet
from tracker.domain.rules_config import parse_ruleset
from tracker.errors import ConfigError

SHIPPED = Path(__file__).resolve().parents[2] / "config" / "rules.toml"
SOURCE = "rules.toml"

HEADER = ['ruleset_version = "test-1"', 'holiday_calendar = "US"']


def rule(rule_id: str = "expiry", *extra: str, kind: str = "parole_expiry") -> list[str]:
    """The lines of one valid end_offset [[rule]], with `extra` lines appended."""
    return [
        "",
        "[[rule]]",
        f'id = "{rule_id}"',
        f'kind = "{kind}"',
        "version = 1",
        'formula = "end_offset"',
        "date_offset_days = 0",
        'programs = ["all"]',
        'citation = "8 CFR 212.5(e)"',
        *extra,
    ]


def window(*lines: str) -> list[str]:
    return ["", "[[tps_window]]", *lines]


VALID_WINDOW = (
    'id = "UA-2026"',
    'country = "UA"',
    "opens = 2026-01-01",
    "closes = 2026-03-01",
    "residence_since = 2025-08-16",
    'citation = "91 FR 1"',
)


def text(*blocks: list[str], header: list[str] = HEADER) -> str:
    return "\n".join([*header, *(line for block in blocks for line in block)]) + "\n"


def line_of(source: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the `occurrence`-th line equal to `needle`."""
    numbers = [n for n, line in enumerate(source.splitlines(), 1) if line == needle]
    return numbers[occurrence - 1]


def error_of(source: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_ruleset(source, SOURCE)
    return caught.value


def assert_error(exc: ConfigError, line: int | None, reason: str) -> None:
    assert exc.source == SOURCE
    assert exc.line == line
    assert exc.reason == reason
    where = f"{SOURCE}:{line}" if line else SOURCE
    assert str(exc) == f"{where}: {reason}"


# --- the shipped rules -----------------------------------------------------------------


def test_it_parses_the_shipped_rules() -> None:
    parsed = parse_ruleset(SHIPPED.read_text(encoding="utf-8"), str(SHIPPED))
    assert parsed.version == "2026.12.2"
    assert parsed.holiday_calendar == "US"
    assert len(parsed.rules) == 17
    assert parsed.work_incident_to_parole == {Program.U4U, Program.OAW}
    assert [(f.year, f.amount_usd) for f in parsed.annual_asylum_fees] == [(2025, 100), (2026, 102)]
    [ukraine] = parsed.tps_windows
    assert (ukraine.country, ukraine.closes, ukraine.residence_since) == (
        "UA",
        date(2025, 4, 19),
        date(2023, 8, 16),
    )
    assert ukraine.citation.startswith("88 FR 56872")


def test_it_covers_every_deadline_kind_with_a_shipped_rule(ruleset: RuleSet) -> None:
    assert {r.kind for r in ruleset.rules} == set(DeadlineKind)
    assert len({r.id for r in ruleset.rules}) == len(ruleset.rules) == len(DeadlineKind)


def test_it_ships_the_offsets_of_domain_md(ruleset: RuleSet) -> None:
    offsets = {
        r.id: (r.date_offset_days, r.act_by_offset_days)
        for r in ruleset.rules
        if r.formula in ("end_offset", "accrual")
    }
    assert offsets == {
        "parole_expiry": (0, 0),
        "reparole_window_opens": (-180, -180),
        "reparole_file_by": (-90, -90),
        "unlawful_presence_180": (181, 180),
        "unlawful_presence_365": (365, 364),
    }


def test_it_ships_reparole_only_for_programs_that_allow_it(ruleset: RuleSet) -> None:
    allowed = {Program.U4U, Program.OAW, Program.CAM, Program.MEDICAL, Program.OTHER}
    assert ruleset.rule("reparole_window_opens").programs == allowed
    assert ruleset.rule("reparole_file_by").programs == allowed
    assert ruleset.rule("parole_expiry").programs == frozenset(Program)


def test_it_ships_the_filing_conditions(ruleset: RuleSet) -> None:
    assert ruleset.rule("asylum_one_year").suppressed_by == (FilingCondition(Form.I589, "filed"),)
    assert ruleset.rule("unlawful_presence_180").suppressed_by == (
        FilingCondition(Form.I589, "pending"),
        FilingCondition(Form.I485, "pending"),
        FilingCondition(Form.I821, "approved"),
    )
    assert ruleset.rule("unlawful_presence_365").at_risk_when == (
        FilingCondition(Form.I131, "pending"),
    )
    assert ruleset.rule("unlawful_presence_365").tolled_by == (Form.I589, Form.I485)
    assert ruleset.rule("work_permit_expiry").cap_at_end_for == {"c11"}
    assert ruleset.rule("cuban_adjustment_eligible").citizenship == frozenset({"CU"})
    assert ruleset.rule("parole_expiry").excluded_statuses == {
        Status.DEPARTED,
        Status.STATUS_OBTAINED,
        Status.CLOSED,
    }


def test_it_parses_a_minimal_ruleset_with_a_window() -> None:
    parsed = parse_ruleset(text(rule(), window(*VALID_WINDOW)), SOURCE)
    assert parsed.version == "test-1"
    assert [r.id for r in parsed.rules] == ["expiry"]
    assert [(w.id, w.country) for w in parsed.tps_windows] == [("UA-2026", "UA")]


# --- errors: file, line and reason -----------------------------------------------------


def test_it_reports_a_toml_syntax_error_with_its_line() -> None:
    source = text(rule("expiry", "note = "))
    exc = error_of(source)
    assert exc.line == line_of(source, "note = ") == 12
    assert exc.reason.startswith("not valid TOML: ")
    assert str(exc).startswith("rules.toml:12: not valid TOML: ")


def test_it_reports_an_unknown_top_level_key() -> None:
    source = text(rule(), header=[*HEADER, 'colour = "red"'])
    assert_error(error_of(source), 3, "colour: unknown top-level key")


def test_it_reports_a_misspelt_table_with_its_line() -> None:
    source = text(rule(), ["", "[[rules]]", 'id = "x"'])
    exc = error_of(source)
    assert exc.reason == "rules: unknown top-level key"
    assert exc.line == line_of(source, "[[rules]]")


def test_it_reports_an_unknown_key_in_a_rule() -> None:
    source = text(rule("first"), rule("second", 'colour = "red"'))
    assert_error(
        error_of(source), line_of(source, 'colour = "red"'), "[[rule]] #2 colour: unknown key"
    )


def test_it_reports_an_unknown_kind() -> None:
    source = text(rule("first"), rule("second", kind="x"))
    exc = error_of(source)
    assert exc.line == line_of(source, 'kind = "x"') == 15
    assert str(exc) == (
        "rules.toml:15: [[rule]] #2 kind: 'x' is not one of "
        + ", ".join(k.value for k in DeadlineKind)
    )


def test_it_reports_an_unknown_program() -> None:
    lines = rule()
    lines[lines.index('programs = ["all"]')] = 'programs = ["U4U", "XYZ"]'
    source = text(lines)
    assert_error(
        error_of(source),
        line_of(source, 'programs = ["U4U", "XYZ"]'),
        "[[rule]] #1 programs: 'XYZ' is not one of U4U, OAW, CHNV, FRP, CAM, medical, other",
    )


def test_it_reports_an_empty_program_list() -> None:
    lines = rule()
    lines[lines.index('programs = ["all"]')] = "programs = []"
    source = text(lines)
    assert_error(
        error_of(source),
        line_of(source, "programs = []"),
        '[[rule]] #1 programs: list the programs, or write ["all"]',
    )


def test_it_reports_an_unknown_status() -> None:
    source = text(rule("expiry", 'excluded_statuses = ["departed", "gone"]'))
    exc = error_of(source)
    assert exc.line == line_of(source, 'excluded_statuses = ["departed", "gone"]')
    assert exc.reason == (
        "[[rule]] #1 excluded_statuses: 'gone' is not one of " + ", ".join(s.value for s in Status)
    )


def test_it_reports_a_missing_id_at_the_table() -> None:
    lines = rule()
    lines.remove('id = "expiry"')
    source = text(rule("first"), lines)
    assert_error(
        error_of(source), line_of(source, "[[rule]]", 2), "[[rule]] #2 missing required key 'id'"
    )


def test_it_reports_a_duplicate_id_at_the_second_one() -> None:
    source = text(rule("expiry"), rule("expiry"))
    assert_error(
        error_of(source),
        line_of(source, 'id = "expiry"', 2),
        "[[rule]] #2 id: duplicate id 'expiry'",
    )


def test_it_reports_a_duplicate_window_id() -> None:
    source = text(rule(), window(*VALID_WINDOW), window(*VALID_WINDOW))
    assert_error(
        error_of(source),
        line_of(source, 'id = "UA-2026"', 2),
        "[[tps_window]] #2 id: duplicate id 'UA-2026'",
    )


def test_it_reports_a_bad_when_in_suppressed_by() -> None:
    bad = 'suppressed_by = [{ form = "I-589", when = "someday" }]'
    source = text(rule("expiry", bad))
    assert_error(
        error_of(source),
        line_of(source, bad),
        "[[rule]] #1 suppressed_by: `when` must be filed, pending or approved",
    )


def test_it_reports_an_unknown_form_in_at_risk_when() -> None:
    bad = 'at_risk_when = [{ form = "I-999", when = "pending" }]'
    source = text(rule("expiry", bad))
    exc = error_of(source)
    assert exc.line == line_of(source, bad)
    assert exc.reason.startswith("[[rule]] #1 at_risk_when: 'I-999' is not one of I-131")


def test_it_reports_an_end_offset_rule_without_date_offset_days() -> None:
    lines = rule()
    lines.remove("date_offset_days = 0")
    source = text(lines)
    assert_error(
        error_of(source),
        line_of(source, 'formula = "end_offset"'),
        "[[rule]] #1 formula: an end_offset rule needs date_offset_days",
    )


def test_it_reports_an_unknown_formula() -> None:
    lines = rule()
    lines[lines.index('formula = "end_offset"')] = 'formula = "guess"'
    source = text(lines)
    assert_error(
        error_of(source),
        line_of(source, 'formula = "guess"'),
        "[[rule]] #1 formula: 'guess' is not one of "
        "end_offset, accrual, anniversary, recorded_date, tps_window, annual_fee, appointment, "
        "response_due",
    )


def test_it_reports_a_version_below_one() -> None:
    lines = rule()
    lines[lines.index("version = 1")] = "version = 0"
    source = text(lines)
    assert_error(
        error_of(source), line_of(source, "version = 0"), "[[rule]] #1 version: must be at least 1"
    )


def test_it_reports_a_window_that_closes_before_it_opens() -> None:
    lines = [*VALID_WINDOW]
    lines[lines.index("closes = 2026-03-01")] = "closes = 2025-12-31"
    source = text(rule(), window(*lines))
    assert_error(
        error_of(source),
        line_of(source, "closes = 2025-12-31"),
        "[[tps_window]] #1 closes: the window closes before it opens",
    )


def test_it_reports_an_unknown_key_in_a_window() -> None:
    source = text(rule(), window(*VALID_WINDOW, "closes_on = 2026-03-01"))
    assert_error(
        error_of(source),
        line_of(source, "closes_on = 2026-03-01"),
        "[[tps_window]] #1 closes_on: unknown key",
    )


def test_it_reports_a_window_date_written_as_a_string() -> None:
    lines = [*VALID_WINDOW]
    lines[lines.index("opens = 2026-01-01")] = 'opens = "2026-01-01"'
    source = text(rule(), window(*lines))
    assert_error(
        error_of(source),
        line_of(source, 'opens = "2026-01-01"'),
        "[[tps_window]] #1 opens: must be a date written as YYYY-MM-DD (no quotes)",
    )


def test_it_reports_a_ruleset_without_rules() -> None:
    exc = error_of(text())
    assert_error(exc, None, "no [[rule]] tables: every case would have no deadlines")


def test_it_reports_an_unknown_holiday_calendar() -> None:
    source = text(rule(), header=['ruleset_version = "test-1"', 'holiday_calendar = "XX"'])
    assert_error(error_of(source), 2, "holiday_calendar: unknown calendar 'XX'")


def test_it_reports_a_missing_ruleset_version() -> None:
    exc = error_of(text(rule(), header=['holiday_calendar = "US"']))
    assert exc.reason == "missing required key 'ruleset_version'"


def test_it_reports_a_rule_written_as_a_plain_table() -> None:
    source = text(["", "[rule]", 'id = "x"'])
    exc = error_of(source)
    assert exc.reason == "rule: write each rule as a [[rule]] table"
