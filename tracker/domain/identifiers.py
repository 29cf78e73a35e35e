"""Normalisation of the identifiers people type: receipt numbers and A-numbers."""

import re

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
