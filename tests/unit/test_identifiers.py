"""Receipt numbers and A-numbers as people type them (domain.md, "Receipt numbers")."""

import pytest

from tracker.domain.identifiers import (
    name_words,
    normalise_a_number,
    normalise_phone,
    normalise_receipt,
)


@pytest.mark.parametrize(
    "raw",
    [
        "EAC2612345678",
        "eac2612345678",
        "EAC 26 123 45678",
        "EAC-26-123-45678",
        " eac-2612345678 ",
        "Eac\t2612345678\n",
    ],
)
def test_it_normalises_a_receipt_number(raw: str) -> None:
    assert normalise_receipt(raw) == "EAC2612345678"


@pytest.mark.parametrize(
    "prefix", ["EAC", "WAC", "LIN", "SRC", "NBC", "MSC", "IOE", "YSC", "ZZZ", "abc"]
)
def test_it_accepts_any_three_letter_prefix(prefix: str) -> None:
    assert normalise_receipt(f"{prefix}0912345678") == f"{prefix.upper()}0912345678"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "EAC261234567",  # 9 digits
        "EAC26123456789",  # 11 digits
        "EA2612345678",  # 2 letters
        "EACX2612345678",  # 4 letters
        "E1C2612345678",  # a digit in the prefix
        "1AC2612345678",
        "EAC26123456A8",  # a letter among the digits
        "2612345678EAC",
        "EAC_2612345678",
        "EAC.2612345678",
    ],
)
def test_it_refuses_a_malformed_receipt_number(raw: str) -> None:
    with pytest.raises(ValueError, match="3 letters and 10 digits"):
        normalise_receipt(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("A123456789", "123456789"),
        ("a123456789", "123456789"),
        ("123456789", "123456789"),
        ("A-123-456-789", "123456789"),
        ("A 123 456 789", "123456789"),
        ("A12345678", "012345678"),
        ("12345678", "012345678"),
        ("A1234567", "001234567"),
        ("1234567", "001234567"),
        ("A-012-345-678", "012345678"),
    ],
)
def test_it_normalises_an_a_number_to_nine_digits(raw: str, expected: str) -> None:
    assert normalise_a_number(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "A",
        "A123456",  # 6 digits
        "123456",
        "A1234567890",  # 10 digits
        "AA1234567",
        "B123456789",
        "A12345678X",
        "A12.345.678",
    ],
)
def test_it_refuses_a_malformed_a_number(raw: str) -> None:
    with pytest.raises(ValueError, match="7 to 9 digits"):
        normalise_a_number(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(202) 555-0170", "+12025550170"),
        ("202.555.0170", "+12025550170"),
        ("+1 202 555 0170", "+12025550170"),
        ("+380 44 123 4567", "+380441234567"),
    ],
)
def test_it_normalises_a_phone_number_to_e164(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "555", "not a phone", "+999 1234"])
def test_it_refuses_an_invalid_phone_number(raw: str) -> None:
    with pytest.raises(ValueError, match="not a valid phone number"):
        normalise_phone(raw)


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("José  LÓPEZ", {"jose", "lopez"}),
        ("Olena Testenko-Koval", {"olena", "testenko", "koval"}),
        ("Анна Іваненко", {"анна", "іваненко"}),
        ("O'Brien 3rd", {"o", "brien", "rd"}),
        ("123", set()),
    ],
)
def test_it_splits_a_name_into_whole_words_ignoring_case_and_accents(
    name: str, words: set[str]
) -> None:
    assert name_words(name) == words
