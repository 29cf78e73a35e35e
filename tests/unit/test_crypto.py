"""Data keys: encryption bound to its column, key ids, parsing, blind indexes."""

import base64

import pytest

from tracker.kit.crypto import DataKeyError, Keyring, generate_key, is_ciphertext, parse_keys

OLD, NEW = b"o" * 32, b"n" * 32


def test_it_encrypts_so_that_only_the_same_column_decrypts() -> None:
    keyring = Keyring([NEW])
    token = keyring.encrypt("Olena Testenko", "parolee.full_name")
    assert "Olena" not in token and is_ciphertext(token)
    assert keyring.decrypt(token, "parolee.full_name") == "Olena Testenko"
    with pytest.raises(DataKeyError, match="integrity check"):
        keyring.decrypt(token, "alert.body")


def test_it_encrypts_the_same_value_differently_each_time() -> None:
    keyring = Keyring([NEW])
    assert keyring.encrypt("+12025550170", "parolee.phone") != keyring.encrypt(
        "+12025550170", "parolee.phone"
    )


def test_it_refuses_a_tampered_value() -> None:
    keyring = Keyring([NEW])
    token = keyring.encrypt("A012345678", "parolee.a_number")
    body = bytearray(base64.urlsafe_b64decode(token.split("$")[2]))
    body[-1] ^= 1
    forged = "$".join([*token.split("$")[:2], base64.urlsafe_b64encode(bytes(body)).decode()])
    with pytest.raises(DataKeyError, match="integrity check"):
        keyring.decrypt(forged, "parolee.a_number")


def test_every_key_decrypts_but_only_the_newest_encrypts() -> None:
    old_token = Keyring([OLD]).encrypt("x", "c")
    both = Keyring([NEW, OLD])
    assert both.decrypt(old_token, "c") == "x"
    assert both.needs_rotation(old_token)
    assert not both.needs_rotation(both.encrypt("x", "c"))


def test_it_names_the_missing_key_without_showing_any_key() -> None:
    token = Keyring([OLD]).encrypt("x", "parolee.phone")
    with pytest.raises(DataKeyError) as caught:
        Keyring([NEW]).decrypt(token, "parolee.phone")
    message = caught.value.message
    assert Keyring([OLD]).newest.key_id in message and "parolee.phone" in message
    assert base64.urlsafe_b64encode(NEW).decode() not in message


def test_it_refuses_plaintext_where_ciphertext_belongs() -> None:
    with pytest.raises(DataKeyError, match="tracker keys rotate"):
        Keyring([NEW]).decrypt("Olena Testenko", "parolee.full_name")


def test_blind_indexes_differ_by_key_and_purpose_and_are_stable() -> None:
    both = Keyring([NEW, OLD])
    assert both.blind("phone", "+12025550170") == Keyring([NEW]).blind("phone", "+12025550170")
    assert both.blinds("phone", "+12025550170") == [
        Keyring([k]).blind("phone", "+12025550170") for k in (NEW, OLD)
    ]
    assert both.blind("phone", "1") != both.blind("a_number", "1")
    assert len(both.blind("phone", "1")) == 32


def test_it_reads_keys_newest_first_and_generates_valid_ones() -> None:
    first, second = generate_key(), generate_key()
    assert first != second
    keyring = Keyring(parse_keys(f" {first} , {second},"))
    assert [k.key_id for k in keyring.keys] == [
        Keyring(parse_keys(first)).newest.key_id,
        Keyring(parse_keys(second)).newest.key_id,
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "no key given"),
        ("@@@@", "key 1 is not URL-safe base64"),
        (base64.urlsafe_b64encode(b"k" * 16).decode(), "key 1 is 16 bytes"),
    ],
)
def test_it_refuses_a_malformed_key(text: str, reason: str) -> None:
    with pytest.raises(DataKeyError, match=reason):
        parse_keys(text)


def test_it_refuses_a_key_listed_twice() -> None:
    with pytest.raises(DataKeyError, match="twice"):
        Keyring([NEW, NEW])
