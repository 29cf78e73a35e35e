"""Encryption of personal fields and keyed blind indexes for looking them up.

Each data key (32 random bytes, newest first in `DATA_KEYS`) yields two subkeys by
HKDF: one for AES-256-GCM, one for HMAC-SHA256 blind indexes. A ciphertext names the key
that made it (`v1$<key id>$<base64>`), so reading never has to guess and a rotation can
find, in SQL, the values still under an older key. The column's name is bound into each
ciphertext as associated data: a value copied into another column does not decrypt.

Blind indexes make equality lookups work without plaintext in the database. Every key
has its own index value, so a lookup asks for all of them and keeps working while a
rotation is half done.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tracker.errors import SettingsError

VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12
# 128 bits of HMAC: collisions are out of reach, and the column stays short.
INDEX_HEX = 32
DECRYPT_CACHE = 4096


class DataKeyError(SettingsError):
    """A data key is malformed, missing, or does not open a stored value."""


@dataclass(frozen=True)
class DataKey:
    """One master key and the subkeys derived from it."""

    key_id: str
    aead: AESGCM
    mac_key: bytes

    @classmethod
    def from_secret(cls, secret: bytes) -> DataKey:
        if len(secret) != KEY_BYTES:
            raise DataKeyError(f"a data key must be {KEY_BYTES} bytes, not {len(secret)}")
        key_id = hashlib.sha256(b"tracker key id" + secret).hexdigest()[:8]
        aead = AESGCM(_derive(secret, b"tracker aes-gcm v1"))
        return cls(key_id, aead, _derive(secret, b"tracker blind index v1"))


def _derive(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(secret)


def generate_key() -> str:
    """A new random data key in the form `DATA_KEYS` takes (URL-safe base64)."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode()


def parse_keys(text: str) -> list[bytes]:
    """The keys of a `DATA_KEYS` value: comma-separated URL-safe base64, newest first."""
    keys = []
    for position, item in enumerate((part.strip() for part in text.split(",")), start=1):
        if not item:
            continue
        try:
            padded = item.encode() + b"=" * (-len(item) % 4)
            secret = base64.b64decode(padded, altchars=b"-_", validate=True)
        except (binascii.Error, ValueError):
            raise DataKeyError(f"key {position} is not URL-safe base64") from None
        if len(secret) != KEY_BYTES:
            raise DataKeyError(
                f"key {position} is {len(secret)} bytes; each key must be {KEY_BYTES} "
                "(make one with `tracker keys generate`)"
            )
        keys.append(secret)
    if not keys:
        raise DataKeyError("no key given")
    return keys


class Keyring:
    """The data keys in use: the first encrypts, all of them decrypt and look up."""

    def __init__(self, secrets: list[bytes]) -> None:
        if not secrets:
            raise DataKeyError("a keyring needs at least one key")
        self.keys = [DataKey.from_secret(s) for s in secrets]
        self._by_id = {k.key_id: k for k in self.keys}
        if len(self._by_id) != len(self.keys):
            raise DataKeyError("the same key is listed twice")
        # A feed or a listing reads the same person's name once per row: remember recent
        # answers (bounded) instead of decrypting the same ciphertext again.
        self._recent = functools.lru_cache(maxsize=DECRYPT_CACHE)(self._decrypt)

    @property
    def newest(self) -> DataKey:
        return self.keys[0]

    def prefix(self) -> str:
        """How every value encrypted under the newest key begins."""
        return f"{VERSION}${self.newest.key_id}$"

    def encrypt(self, plaintext: str, context: str) -> str:
        """Encrypt under the newest key; `context` (the column) must match on decryption."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self.newest.aead.encrypt(nonce, plaintext.encode(), context.encode())
        return self.prefix() + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, token: str, context: str) -> str:
        """The plaintext of `token`, under whichever of our keys made it."""
        return self._recent(token, context)

    def _decrypt(self, token: str, context: str) -> str:
        key_id, body = _split(token, context)
        key = self._by_id.get(key_id)
        if key is None:
            known = ", ".join(self._by_id)
            raise DataKeyError(
                f"{context}: a value is encrypted with key {key_id}, which is not in DATA_KEYS "
                f"(it holds {known}). Put that key back in DATA_KEYS; remove an old key only "
                "after `tracker keys rotate` reports nothing left."
            )
        raw = base64.urlsafe_b64decode(body.encode())
        try:
            plain = key.aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
        except InvalidTag:
            raise DataKeyError(f"{context}: a stored value failed its integrity check") from None
        return plain.decode()

    def needs_rotation(self, token: str) -> bool:
        """True for values under an older key, and for plaintext left from before encryption."""
        return not token.startswith(self.prefix())

    def blind(self, purpose: str, normalised: str) -> str:
        """The newest key's blind index of an already normalised value."""
        return _mac(self.newest.mac_key, purpose, normalised)

    def blinds(self, purpose: str, normalised: str) -> list[str]:
        """Every key's blind index of the value: a lookup matches any of them."""
        return [_mac(k.mac_key, purpose, normalised) for k in self.keys]


def is_ciphertext(value: str) -> bool:
    """True for a value this module encrypted (under any key)."""
    return value.startswith(f"{VERSION}$")


def _mac(key: bytes, purpose: str, value: str) -> str:
    digest = hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()
    return digest[:INDEX_HEX]


def _split(token: str, context: str) -> tuple[str, str]:
    parts = token.split("$", 2)
    if len(parts) != 3 or parts[0] != VERSION:
        raise DataKeyError(
            f"{context}: a stored value is not encrypted; run `tracker keys rotate` to encrypt it"
        )
    return parts[1], parts[2]
