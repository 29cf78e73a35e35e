"""Random bearer secrets (feed URLs, session cookies, API tokens): only their SHA-256
is stored, so a copy of the database opens nothing."""

import hashlib
import secrets

# 32 bytes: 256 random bits, well past the 128 a guess would have to beat.
TOKEN_BYTES = 32


def new_token() -> str:
    """A new secret: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def digest(token: str) -> str:
    """What the database keeps of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()
