"""Base URLs of the services we call with credentials."""

from urllib.parse import urlsplit

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def api_base_url(url: str, service: str) -> str:
    """`url` without a trailing slash; plain http only on loopback (tests' fake servers).

    Credentials travel with the requests: never in clear text over a network.
    """
    base = url.rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) base URL: {url!r}")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        raise ValueError(f"a plain http:// {service} base URL must be on loopback")
    return base
