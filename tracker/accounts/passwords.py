"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106's second choice)."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
_hasher = PasswordHasher()


def check_strength(password: str) -> None:
    """Refuse a password too short to resist guessing (a ValueError saying why)."""
    if len(password) < MIN_LENGTH:
        raise ValueError(f"a password needs at least {MIN_LENGTH} characters")
    if password.strip() != password:
        raise ValueError("a password must not begin or end with a space")


def hash_password(password: str) -> str:
    """The argon2id hash of `password`, salt and parameters included."""
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """True if `password` matches the stored hash."""
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(stored)


# Verified when the email is unknown, so that a wrong email takes as long as a wrong
# password and response times do not reveal who has an account.
DUMMY_HASH = hash_password("not a real password, only for constant timing")
