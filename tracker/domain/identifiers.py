"""Normalisation of what people type: receipt numbers, A-numbers, names."""

import re
import unicodedata

import phonenumbers

RECEIPT = re.compile(r"^[A-Z]{3}[0-9]{10}$")
A_NUMBER = re.compile(r"^[0-9]{7,9}$")


def normalise_receipt(raw: str) -> str:
    """Upper-case, drop spaces and dashes, then require 3 letters and 10 digits.

    No prefix whitelist: EAC, WAC, LIN, SRC, NBC, MSC, IOE, YSC and others all occur.
    """
    value = re.sub(r"[\s-]", "", raw).upper()
    if not RECEIPT.match(value):
        raise ValueError("a receipt number is 3 letters and 10 digits, like EAC2612345678")
    return value


def normalise_a_number(raw: str) -> str:
    """Nine digits, left-padded with zeros; an optional leading A, spaces and dashes allowed."""
    value = re.sub(r"[\s-]", "", raw).upper().removeprefix("A")
    if not A_NUMBER.match(value):
        raise ValueError("an A-number is A followed by 7 to 9 digits, like A123456789")
    return value.zfill(9)


def normalise_phone(raw: str) -> str:
    """A valid phone number in E.164 form; US numbers may omit +1."""
    try:
        number = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValueError(
            "not a valid phone number (US numbers may omit +1; others need +country code)"
        )
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


_WORD = re.compile(r"[^\W\d_]+")


def name_words(name: str) -> set[str]:
    """The whole words of a name, ignoring case and accents: "José  LÓPEZ" -> {jose, lopez}."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return set(_WORD.findall(plain))


# A work permit category as printed on the card, "C11" or "(c)(11)": a letter, two digits
# and perhaps a letter (c08, a05, a12, c09p).
_CATEGORY = re.compile(r"^[ac]\d{2}[a-z]?$")


def normalise_category(value: str) -> str:
    """A work permit category in the tracker's form: "(c)(11)", "C11" and "c 11" are c11."""
    compact = re.sub(r"[\s()]", "", value).lower()
    if not _CATEGORY.match(compact):
        raise ValueError("not a work permit category such as c11, a05, c08 or a12")
    return compact
