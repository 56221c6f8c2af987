"""The certificate record, its public id, the name rules, and Ed25519 signing of stored records."""

from __future__ import annotations

import dataclasses
import json
import random
import secrets
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course.core.certificates.record import (
    MAX_NAME_LENGTH,
    CertificateRecord,
    canonical_bytes,
    is_public_id,
    new_public_id,
    record_from_dict,
    record_to_dict,
    validate_name,
)
from course.core.certificates.signing import (
    b64url,
    b64url_decode,
    generate_private_key,
    key_id,
    multikey_document,
    private_key_from_pem,
    private_key_to_pem,
    public_key_from_bytes,
    public_key_from_multibase,
    public_key_jwk,
    public_key_multibase,
    sign_record,
    verify_record,
)

# RFC 8032 §7.1 test 1 / RFC 8037 Appendix A
RFC8032_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")


def make_record(**changes: object) -> CertificateRecord:
    values: dict[str, object] = {
        "public_id": "abqj2dgmjyte5we72rpx6cnaoi",
        "recipient_name": "Zoë Ελένη Юлия 山田",
        "course_id": "kam-pay",
        "course_title": {"de": "KAM-Vergütung", "en": "Paying key-account managers"},
        "course_version": 3,
        "issued_at": datetime(2026, 3, 1, 9, 30, 15, tzinfo=UTC),
        "result": {"lessons_done": 12, "lessons_total": 12, "quiz_best_pct": {"q1": 90.0, "q2": 100}, "sandbox": 78.5},
        "issuer_name": "Akademie Beispiel",
        "issuer_url": "https://kurs.example",
        "language": "de",
    }
    values.update(changes)
    return CertificateRecord(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def private_key():
    return generate_private_key()


# --- public id -----------------------------------------------------------------------------------------


def test_public_id_is_26_lowercase_base32_characters_from_128_bits() -> None:
    fake = random.Random(1234)
    first = new_public_id(fake.randbytes)
    again = new_public_id(random.Random(1234).randbytes)
    assert first == again  # the format depends only on the bytes
    assert len(first) == 26
    assert first == first.lower()
    assert set(first) <= set("abcdefghijklmnopqrstuvwxyz234567")
    assert is_public_id(first)


def test_public_id_edges_of_the_alphabet() -> None:
    assert new_public_id(lambda n: bytes(n)) == "a" * 26
    assert new_public_id(lambda n: b"\xff" * n) == "7" * 25 + "4"


def test_public_id_refuses_a_short_random_source() -> None:
    with pytest.raises(ValueError):
        new_public_id(lambda n: bytes(n - 1))


def test_real_public_ids_are_unique_and_well_formed() -> None:
    ids = [new_public_id(secrets.token_bytes) for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert all(is_public_id(public_id) for public_id in ids)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ABQJ2DGMJYTE5WE72RPX6CNAOI",  # upper case
        "abqj2dgmjyte5we72rpx6cnao",  # 25 characters
        "abqj2dgmjyte5we72rpx6cnaoia",  # 27 characters
        "abqj2dgmjyte5we72rpx6cna0i",  # 0 is not base32
        "abqj2dgmjyte5we72rpx6cnaob",  # last character would carry non-zero padding bits
        "abqj2dgmjyte5we72rpx6cnao/",
        None,
        12345,
    ],
)
def test_malformed_public_ids_are_recognised(text: object) -> None:
    assert not is_public_id(text)


# --- names ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Zoë Müller-Lüdenscheidt", "Zoë Müller-Lüdenscheidt"),
        ("Franc\u0327ois", "François"),  # decomposed input is stored composed (NFC)
        ("Ελένη Παπαδοπούλου", "Ελένη Παπαδοπούλου"),
        ("Юлия Иванова", "Юлия Иванова"),
        ("山田 太郎", "山田 太郎"),
        ("Ana 😀", "Ana 😀"),
        ("  Anna   Maria \n", "Anna Maria"),
        ("x" * MAX_NAME_LENGTH, "x" * MAX_NAME_LENGTH),
    ],
)
def test_valid_names_are_normalised(raw: str, clean: str) -> None:
    assert validate_name(raw) == (clean, [])


@pytest.mark.parametrize(
    ("raw", "messages"),
    [
        ("", ["Enter your name as it should appear on the certificate."]),
        ("   \t ", ["Enter your name as it should appear on the certificate."]),
        ("x" * 121, ["The name is too long: 121 characters, at most 120."]),
        ("Anna\x00", ["The name contains invisible or control characters (U+0000)."]),
        ("An\u200bna", ["The name contains invisible or control characters (U+200B)."]),
        ("Anna\u2028Maria", ["The name contains invisible or control characters (U+2028)."]),
        ("Anna\u2029Maria", ["The name contains invisible or control characters (U+2029)."]),
        ("Ann\u202ea", ["The name contains invisible or control characters (U+202E)."]),
        ("Anna\tMaria", ["The name contains invisible or control characters (U+0009)."]),
        (
            "x" * 121 + "\x07y",
            [
                "The name contains invisible or control characters (U+0007).",
                "The name is too long: 123 characters, at most 120.",
            ],
        ),
    ],
)
def test_invalid_names_give_one_problem_each(raw: str, messages: list[str]) -> None:
    clean, problems = validate_name(raw)
    assert clean is None
    assert [problem.text() for problem in problems] == messages


# --- record --------------------------------------------------------------------------------------------


def test_canonical_bytes_are_sorted_compact_utf8_json_with_a_version() -> None:
    data = canonical_bytes(make_record())
    assert data.startswith('{"course_id":"kam-pay","course_title":{"de":"KAM-Vergütung"'.encode())
    assert b'": ' not in data and b'", "' not in data
    parsed = json.loads(data)
    assert list(parsed) == sorted(parsed)
    assert parsed["v"] == 1
    assert parsed["issued_at"] == "2026-03-01T09:30:15Z"
    assert parsed["course_version"] == "3"


def test_record_keeps_issue_time_in_utc_to_the_second() -> None:
    local = datetime(2026, 3, 1, 10, 30, 15, 987654, tzinfo=timezone(timedelta(hours=1)))
    assert make_record(issued_at=local).issued_at == datetime(2026, 3, 1, 9, 30, 15, tzinfo=UTC)
    with pytest.raises(ValueError):
        make_record(issued_at=datetime(2026, 3, 1, 9, 30))  # noqa: DTZ001 - naive on purpose


def test_record_round_trips_through_a_dict() -> None:
    record = make_record()
    assert record_from_dict(json.loads(json.dumps(record_to_dict(record)))) == record
    with pytest.raises(ValueError):
        record_from_dict({**record_to_dict(record), "v": 2})


# --- keys ----------------------------------------------------------------------------------------------


def test_private_key_round_trips_through_pem(private_key) -> None:
    pem = private_key_to_pem(private_key)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    loaded = private_key_from_pem(pem)
    assert key_id(loaded.public_key()) == key_id(private_key.public_key())


def test_jwk_and_thumbprint_match_rfc_8037() -> None:
    public = public_key_from_bytes(RFC8032_PUBLIC)
    jwk = public_key_jwk(public)
    assert jwk["kty"] == "OKP"
    assert jwk["crv"] == "Ed25519"
    assert jwk["x"] == "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    assert jwk["kid"] == key_id(public) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_multibase_matches_the_open_badges_test_vector() -> None:
    public = public_key_from_bytes(bytes.fromhex("4bdeafde2ea8beefadd8c699b5c7e0704cf51154d52e17b20b71337ca04cc5a5"))
    multibase = public_key_multibase(public)
    assert multibase == "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
    assert public_key_multibase(public_key_from_multibase(multibase)) == multibase
    document = multikey_document(public, "https://kurs.example/issuer")
    assert document["id"] == f"https://kurs.example/issuer#{key_id(public)}"
    assert document["publicKeyMultibase"] == multibase


@pytest.mark.parametrize("text", ["6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi", "z0OIl", "zabc"])
def test_bad_multibase_keys_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        public_key_from_multibase(text)


@pytest.mark.parametrize("text", ["a=", "ab+c", "ab/c", "a", "ab c", "abc\n"])
def test_b64url_decoding_is_strict(text: str) -> None:
    with pytest.raises(ValueError):
        b64url_decode(text)


# --- signing records -----------------------------------------------------------------------------------


def test_signed_record_verifies(private_key) -> None:
    record = make_record()
    signature = sign_record(record, private_key)
    assert len(signature) == 86
    assert verify_record(record, signature, private_key.public_key())
    assert sign_record(record, private_key) == signature  # Ed25519 is deterministic


def test_signature_fails_with_another_key(private_key) -> None:
    record = make_record()
    assert not verify_record(record, sign_record(record, private_key), generate_private_key().public_key())


TAMPERED = [
    ("public_id", "abqj2dgmjyte5we72rpx6cnaoa"),
    ("recipient_name", "Zoe Ελένη Юлия 山田"),
    ("course_id", "kam-pay-2"),
    ("course_title", {"de": "KAM-Vergütung!", "en": "Paying key-account managers"}),
    ("course_title", {"de": "KAM-Vergütung"}),
    ("course_version", "4"),
    ("issued_at", datetime(2026, 3, 1, 9, 30, 16, tzinfo=UTC)),
    ("result", {"lessons_done": 11, "lessons_total": 12, "quiz_best_pct": {"q1": 90.0, "q2": 100}, "sandbox": 78.5}),
    ("result", {"lessons_done": 12, "lessons_total": 12, "quiz_best_pct": {"q1": 90.5, "q2": 100}, "sandbox": 78.5}),
    ("issuer_name", "Akademie Beispiel GmbH"),
    ("issuer_url", "https://kurs.example/"),
    ("language", "en"),
]


@pytest.mark.parametrize(("name", "value"), TAMPERED, ids=[name for name, _ in TAMPERED])
def test_changing_any_field_of_a_record_breaks_its_signature(private_key, name: str, value: object) -> None:
    record = make_record()
    signature = sign_record(record, private_key)
    assert not verify_record(dataclasses.replace(record, **{name: value}), signature, private_key.public_key())


def test_every_record_field_is_covered_by_the_tampering_table() -> None:
    assert {field.name for field in dataclasses.fields(CertificateRecord)} == {name for name, _ in TAMPERED}


@pytest.mark.parametrize(
    "signature",
    [None, 42, b"bytes", "", "not base64!", "AAAA", "=" * 86, "A" * 86, "A" * 85, "A" * 87],
)
def test_garbage_signatures_are_rejected_without_raising(private_key, signature: object) -> None:
    assert verify_record(make_record(), signature, private_key.public_key()) is False


def test_truncated_signature_is_rejected(private_key) -> None:
    record = make_record()
    signature = sign_record(record, private_key)
    assert not verify_record(record, signature[:-2], private_key.public_key())
    assert not verify_record(record, b64url(b64url_decode(signature)[:-1]), private_key.public_key())


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=140))
def test_any_accepted_name_round_trips_through_signing(private_key, raw: str) -> None:
    clean, problems = validate_name(raw)
    if clean is None:
        assert problems
        return
    assert 0 < len(clean) <= MAX_NAME_LENGTH
    record = make_record(recipient_name=clean)
    stored = record_from_dict(json.loads(canonical_bytes(record)))
    assert verify_record(stored, sign_record(record, private_key), private_key.public_key())
