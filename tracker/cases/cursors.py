"""The one cursor of every keyset page: the admin's case list and the API's lists.

A cursor holds the sort key of the last row shown, tagged with the kind of list it came
from, as URL-safe base64 of a JSON array: opaque to the people who pass it along, and
refused (an InvalidInputError) when it is not one this kind of list gave out.
"""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any

from tracker.errors import InvalidInputError
from tracker.store.models import MAX_ID


def encode_cursor(kind: str, key: Sequence[str | int]) -> str:
    """An opaque cursor holding the sort key of a page's last row."""
    return base64.urlsafe_b64encode(json.dumps([kind, *key]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, parsers: Sequence[Callable[[Any], Any]]) -> list[Any]:
    """The sort key in a cursor of `kind`, each part read by its parser."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(parsers) + 1 or raw[0] != kind:
            raise ValueError(cursor)
        key = [parse(value) for parse, value in zip(parsers, raw[1:], strict=True)]
    except (binascii.Error, UnicodeDecodeError, TypeError, ValueError):
        raise InvalidInputError(
            "cursor: not a cursor this list gave out; leave it out to start from the beginning"
        ) from None
    if any(isinstance(value, int) and not 0 <= value <= MAX_ID for value in key):
        raise InvalidInputError("cursor: not a cursor this list gave out")
    return key
