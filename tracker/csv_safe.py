"""CSV output that spreadsheets cannot run as formulas."""

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Phone numbers and signed numbers start with + or - but cannot call anything.
HARMLESS = re.compile(r"^[+-]?[0-9][0-9 ().-]*$")


def neutralise(value: str) -> str:
    """Prefix a quote to a cell a spreadsheet would read as a formula (CSV injection)."""
    if value.startswith(FORMULA_START) and not HARMLESS.match(value):
        return "'" + value
    return value
