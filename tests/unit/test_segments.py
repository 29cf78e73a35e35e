"""SMS segments: GSM-7 and UCS-2, the extension table, split boundaries, surrogate pairs."""

import pytest

from tracker.sms.segments import is_gsm7, segments


def test_it_counts_plain_text_as_gsm7() -> None:
    assert is_gsm7("Your parole ends on Sep 28, 2026. Reply HELP @ $5 (50%)!")


def test_it_knows_the_accents_and_greek_letters_of_gsm7() -> None:
    assert is_gsm7("año é è ü Ç Ñ Δ Ω ¿¡ §")


@pytest.mark.parametrize(
    "text",
    ["It\u2019s", "\u201cquoted\u201d", "a\u00a0b", "a \u2014 b", "días", "según", "ÈD", "ç"],
)
def test_it_finds_the_characters_that_force_ucs2(text: str) -> None:
    assert not is_gsm7(text)


def test_it_turns_the_whole_message_into_ucs2_for_one_curly_quote() -> None:
    assert segments("a" * 160) == 1
    assert segments("a" * 159 + "\u2019") == 3


@pytest.mark.parametrize("char", list("^{}\\[]~|€"))
def test_it_counts_each_extension_character_as_two_septets(char: str) -> None:
    assert is_gsm7(char)
    assert segments("a" * 158 + char) == 1
    assert segments("a" * 159 + char) == 2


def test_it_fills_a_single_segment_with_80_euro_signs() -> None:
    assert segments("€" * 80) == 1
    assert segments("€" * 81) == 2


@pytest.mark.parametrize(
    ("length", "expected"),
    [(0, 1), (1, 1), (160, 1), (161, 2), (153 * 2, 2), (153 * 2 + 1, 3), (153 * 3, 3)],
)
def test_it_splits_gsm7_at_160_then_153_per_part(length: int, expected: int) -> None:
    assert segments("a" * length) == expected


@pytest.mark.parametrize(
    ("length", "expected"),
    [(1, 1), (70, 1), (71, 2), (67 * 2, 2), (67 * 2 + 1, 3), (67 * 3, 3)],
)
def test_it_splits_ucs2_at_70_then_67_per_part(length: int, expected: int) -> None:
    assert segments("ж" * length) == expected


def test_it_never_splits_an_escape_pair_between_parts() -> None:
    # 306 septets would fit two parts, but the euro sign would straddle them.
    assert segments("a" * 152 + "€" + "a" * 152) == 3
    assert segments("a" * 151 + "€" + "a" * 153) == 2


def test_it_counts_an_emoji_as_two_utf16_code_units() -> None:
    assert not is_gsm7("\U0001f600")
    assert segments("\U0001f600" * 35) == 1
    assert segments("\U0001f600" * 36) == 2


def test_it_never_splits_a_surrogate_pair_between_parts() -> None:
    # 134 code units would fit two parts, but the emoji would straddle them.
    assert segments("ж" * 66 + "\U0001f600" + "ж" * 66) == 3
    assert segments("ж" * 65 + "\U0001f600" + "ж" * 67) == 2


def test_it_treats_cyrillic_and_arabic_script_as_ucs2() -> None:
    assert not is_gsm7("СТОП")
    assert not is_gsm7("کمک")
    assert segments("Допомога: +1 212 555 0199") == 1
