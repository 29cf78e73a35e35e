"""How a person is reached, as people type it: name, language and time zone.

The import and the admin's contact form check values with these same functions, so a
value one accepts the other accepts too. Phone numbers and A-numbers are checked in
`tracker.domain.identifiers`.
"""

from functools import cache
from zoneinfo import available_timezones

# What people write -> the BCP 47 code of a language we have messages in.
LANGUAGES = {"en": "en", "es": "es", "uk": "uk", "ru": "ru", "ht": "ht", "fa-af": "fa-AF",
             "prs": "fa-AF", "ps": "ps"}  # fmt: skip
NAME_MAX = 200


def normalise_language(raw: str) -> str:
    """The BCP 47 code of a supported language; a ValueError for any other."""
    code = LANGUAGES.get(raw.strip().lower().replace("_", "-"))
    if code is None:
        raise ValueError("unsupported language; use en, es, uk, ru, ht, fa-AF (or prs) or ps")
    return code


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def normalise_timezone(raw: str) -> str:
    """An IANA time zone name, as given; a ValueError if there is no such zone."""
    value = raw.strip()
    if value not in _zones():
        raise ValueError("not an IANA time zone such as America/New_York")
    return value


def normalise_name(raw: str) -> str:
    """A person's full name, trimmed; a ValueError if empty or too long."""
    value = raw.strip()
    if not value:
        raise ValueError("a name is needed")
    if len(value) > NAME_MAX:
        raise ValueError(f"longer than {NAME_MAX} characters")
    return value
