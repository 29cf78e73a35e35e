"""Links in a text: only to our own site, never a shortener or anyone else's.

Numbers that send links in a first text get flagged as spam, and fake "USCIS" texts
carry short links: a text of ours names no address but, optionally, PUBLIC_BASE_URL's.
"""

import re
from urllib.parse import urlsplit

# Top-level domains phones turn into links without a scheme, shorteners' among them
# (bit.ly, t.co, goo.gl, tinyurl.com): "U.S." or "EE.UU." are not addresses.
_TLDS = (
    "com|org|net|gov|edu|info|biz|us|ly|co|io|me|gl|gd|to|cc|tk|be|app|link|site|online|"
    "xyz|top|click|ru|ua|mx|ht|af|es|uk"
)
_LINK = re.compile(
    rf"(?:https?://|www\.)[^\s<>\"']+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:{_TLDS})\b(?:/\S*)?",
    re.IGNORECASE,
)
# What a sentence may end a word with that is not part of an address.
_TRAILING = ".,;:!?)"


def links_in(text: str) -> list[str]:
    """Every address in `text`, as written."""
    return [match.group(0).rstrip(_TRAILING) for match in _LINK.finditer(text)]


def foreign_links(text: str, own_host: str | None) -> list[str]:
    """Addresses in `text` that do not point to `own_host` (PUBLIC_BASE_URL's host)."""
    return [link for link in links_in(text) if own_host is None or _host(link) != own_host]


def _host(link: str) -> str:
    with_scheme = link if "://" in link else f"https://{link}"
    return (urlsplit(with_scheme).hostname or "").lower()
