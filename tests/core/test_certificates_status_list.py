"""The revocation status list (W3C Bitstring Status List) and the credential's `credentialStatus` entry."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from course.core.certificates.credential import (
    json_too_deep,
    sign_credential,
    status_entry,
    verify_credential,
)
from course.core.certificates.signing import generate_private_key, key_id
from course.core.certificates.status_list import MIN_BITS, build_list_credential, decode_list, encode_list, is_set
from tests.core.test_certificates_credential import ISSUER, make_credential, make_record

LIST_URL = "https://kurs.example/certificates/status/revocation"


def test_an_empty_list_is_16_kb_of_zeros_gzip_base64url_with_the_u_prefix() -> None:
    encoded = encode_list([])
    assert encoded.startswith("u") and "=" not in encoded
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert bits == bytes(MIN_BITS // 8) and len(bits) == 16 * 1024


def test_index_0_is_the_most_significant_bit_of_the_first_byte() -> None:
    bits = decode_list(encode_list([0, 9]))
    assert bits[:2] == bytes([0b1000_0000, 0b0100_0000])


def test_the_list_grows_past_its_minimum_for_a_large_index() -> None:
    bits = decode_list(encode_list([MIN_BITS + 5]))
    assert is_set(bits, MIN_BITS + 5) and not is_set(bits, MIN_BITS + 4)
    with pytest.raises(ValueError, match="outside"):
        is_set(bits, len(bits) * 8)


@given(st.sets(st.integers(min_value=0, max_value=MIN_BITS + 100), max_size=40))
def test_exactly_the_given_bits_are_set(indexes: set[int]) -> None:
    bits = decode_list(encode_list(indexes))
    assert all(is_set(bits, index) for index in indexes)
    assert sum(bin(byte).count("1") for byte in bits) == len(indexes)


def test_the_same_bits_always_give_the_same_text() -> None:
    assert encode_list([3, 1]) == encode_list([1, 3, 3])


@pytest.mark.parametrize("garbage", ["", "zabc", "u!!!", "u" + base64.urlsafe_b64encode(b"not gzip").decode(), 7])
def test_decoding_garbage_raises_value_error(garbage: object) -> None:
    with pytest.raises(ValueError):
        decode_list(garbage)  # type: ignore[arg-type]


def test_a_gzip_bomb_is_refused() -> None:
    bomb = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(64 * 1024 * 1024))).decode().rstrip("=")
    with pytest.raises(ValueError, match="too long"):
        decode_list(bomb)


def test_the_status_list_credential_signs_like_a_certificate() -> None:
    key = generate_private_key()
    unsigned = build_list_credential(LIST_URL, ISSUER, [4], datetime(2026, 3, 1, tzinfo=UTC))
    signed = sign_credential(unsigned, key, f"{ISSUER}#{key_id(key.public_key())}")
    assert signed["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert signed["credentialSubject"]["statusPurpose"] == "revocation"
    assert is_set(decode_list(signed["credentialSubject"]["encodedList"]), 4)


def test_a_credential_with_a_status_entry_verifies_and_its_entry_is_signed() -> None:
    key = generate_private_key()
    keys = {key_id(key.public_key()): key.public_key()}
    unsigned = make_credential(make_record())
    unsigned["credentialStatus"] = status_entry(LIST_URL, 17)
    signed = sign_credential(unsigned, key, f"{ISSUER}#{key_id(key.public_key())}")
    assert signed["credentialStatus"] == {
        "id": f"{LIST_URL}#17",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "17",
        "statusListCredential": LIST_URL,
    }
    assert verify_credential(signed, keys).valid
    moved = json.loads(json.dumps(signed))
    moved["credentialStatus"].update(statusListIndex="18", id=f"{LIST_URL}#18")
    assert verify_credential(moved, keys).reason.startswith("The signature does not match")
    for field, value in (("statusListIndex", 17), ("statusPurpose", "suspension"), ("id", "x"), ("extra", "x")):
        odd = json.loads(json.dumps(signed))
        odd["credentialStatus"][field] = value
        assert not verify_credential(odd, keys).valid


def test_nesting_depth_is_measured_without_recursion_and_ignores_brackets_in_strings() -> None:
    assert json_too_deep("[" * 100_000 + "]" * 100_000)
    assert json_too_deep('{"a":' * 65 + "1" + "}" * 65)
    assert not json_too_deep('{"a":' * 64 + "1" + "}" * 64)
    assert not json_too_deep(json.dumps({"name": "[[[[" * 100 + '\\"' + "{{" * 100}))
