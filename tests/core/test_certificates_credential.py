"""The Open Badges 3.0 credential: shape, eddsa-rdfc-2022 proof, published test vectors, tampering, garbage."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from pyld import jsonld

from course.core.certificates.credential import (
    BAD_PROOF,
    CONTEXTS,
    MALFORMED_SIGNATURE,
    MISSING_FIELD,
    NO_PROOF,
    NOT_AN_OBJECT,
    NOT_YET_VALID,
    OB_CONTEXT,
    UNEXPECTED_FIELD,
    UNKNOWN_KEY,
    VALID,
    VC_CONTEXT,
    WRONG_FIELD,
    WRONG_PROOF_TYPE,
    UnknownContext,
    build_credential,
    bundled_contexts,
    canonical_nquads,
    document_loader,
    hash_data,
    identity_hash,
    recipient_matches,
    sign_credential,
    verify_credential,
)
from course.core.certificates.record import CertificateRecord, validate_name
from course.core.certificates.signing import (
    base58btc_decode,
    base58btc_encode,
    generate_private_key,
    key_id,
    public_key_from_multibase,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "certificates"
CONTEXT_FILES = Path(__file__).resolve().parents[2] / "course" / "core" / "certificates" / "contexts"
ISSUER = "https://kurs.example/certificates/issuer"


def make_record(**changes: object) -> CertificateRecord:
    values: dict[str, object] = {
        "public_id": "abqj2dgmjyte5we72rpx6cnaoi",
        "recipient_name": "Zoë Ελένη Юлия 山田",
        "course_id": "kam-pay",
        "course_title": {"de": "KAM-Vergütung", "en": "Paying key-account managers"},
        "course_version": 3,
        "issued_at": datetime(2026, 3, 1, 9, 30, 15, tzinfo=UTC),
        "result": {"lessons_done": 12, "lessons_total": 12},
        "issuer_name": "Akademie Beispiel",
        "issuer_url": "https://kurs.example",
        "language": "de",
    }
    values.update(changes)
    return CertificateRecord(**values)  # type: ignore[arg-type]


def make_credential(record: CertificateRecord | None = None) -> dict[str, Any]:
    record = record or make_record()
    return build_credential(
        record,
        verify_url=f"https://kurs.example/certificates/{record.public_id}",
        issuer_id=ISSUER,
        achievement_id="https://kurs.example/courses/kam-pay",
        description="Completed the course on paying key-account managers.",
        criteria="Read every lesson, passed every quiz at 80 %, scored 70 or more in the bonus-plan sandbox.",
    )


@pytest.fixture(scope="module")
def private_key() -> Ed25519PrivateKey:
    return generate_private_key()


@pytest.fixture(scope="module")
def keys(private_key):
    return {key_id(private_key.public_key()): private_key.public_key()}


@pytest.fixture(scope="module")
def signed(private_key) -> dict[str, Any]:
    return sign_credential(make_credential(), private_key, f"{ISSUER}#{key_id(private_key.public_key())}")


# --- shape and round trip --------------------------------------------------------------------------------


def test_credential_has_the_open_badges_3_shape(signed) -> None:
    assert signed["@context"] == [VC_CONTEXT, OB_CONTEXT]
    assert signed["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert signed["issuer"] == {
        "id": ISSUER,
        "type": ["Profile"],
        "name": "Akademie Beispiel",
        "url": "https://kurs.example",
    }
    assert signed["validFrom"] == "2026-03-01T09:30:15Z"
    subject = signed["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["identifier"][0]["identityHash"] == identity_hash(
        "Zoë Ελένη Юлия 山田", "abqj2dgmjyte5we72rpx6cnaoi"
    )
    assert "Zoë" not in json.dumps(signed, ensure_ascii=False)  # the name is only hashed
    assert subject["achievement"]["type"] == ["Achievement"]
    assert subject["achievement"]["name"] == "KAM-Vergütung"
    assert set(subject["achievement"]["criteria"]) == {"narrative"}
    proof = signed["proof"]
    assert proof["type"] == "DataIntegrityProof"
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["proofValue"].startswith("z")


def test_signed_credential_verifies(signed, keys) -> None:
    result = verify_credential(signed, keys)
    assert result.valid, result.text()
    assert result.reason == VALID


def test_verification_survives_a_json_round_trip(signed, keys) -> None:
    assert verify_credential(json.loads(json.dumps(signed, ensure_ascii=False)), keys).valid


def test_key_can_be_given_by_its_full_verification_method_id(signed, private_key) -> None:
    assert verify_credential(signed, {signed["proof"]["verificationMethod"]: private_key.public_key()}).valid


def test_signing_is_deterministic_and_needs_no_clock(signed, private_key) -> None:
    again = sign_credential(make_credential(), private_key, signed["proof"]["verificationMethod"])
    assert again == signed
    assert signed["proof"]["created"] == signed["validFrom"]


def test_recipient_can_be_matched_by_name(signed) -> None:
    assert recipient_matches(signed, "  Zoë   Ελένη Юлия 山田 ")
    assert recipient_matches(signed, "Zoe\u0308 Ελένη Юлия 山田")  # decomposed input
    assert not recipient_matches(signed, "Zoe Ελένη Юлия 山田")
    assert not recipient_matches({}, "Zoë")


def test_not_yet_valid_when_checked_before_issue(signed, keys) -> None:
    result = verify_credential(signed, keys, now=datetime(2026, 3, 1, 9, 30, 14, tzinfo=UTC))
    assert (result.valid, result.reason) == (False, NOT_YET_VALID)
    assert verify_credential(signed, keys, now=datetime(2026, 3, 1, 9, 30, 15, tzinfo=UTC)).valid


# --- tampering -------------------------------------------------------------------------------------------


def leaves(value: Any, path: tuple = ()) -> Iterator[tuple]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, (*path, index))
    else:
        yield path


def changed(value: object) -> object:
    if isinstance(value, bool):
        return not value
    if isinstance(value, str):
        return value[:-1] + ("b" if value[-1:] != "b" else "c")  # same length, so base58 stays decodable
    raise AssertionError(f"unexpected leaf {value!r}")


def with_leaf_changed(data: dict, path: tuple) -> dict:
    tampered = copy.deepcopy(data)
    parent = tampered
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = changed(parent[path[-1]])
    return tampered


SIGNED_LEAVES = list(leaves(sign_credential(make_credential(), generate_private_key(), f"{ISSUER}#k")))


@pytest.mark.parametrize("path", SIGNED_LEAVES, ids=lambda path: ".".join(map(str, path)))
def test_changing_any_leaf_of_the_credential_fails_verification(signed, keys, path: tuple) -> None:
    result = verify_credential(with_leaf_changed(signed, path), keys)
    assert not result.valid, path


def test_the_leaf_table_covers_the_whole_credential() -> None:
    assert len(SIGNED_LEAVES) == 28
    assert ("credentialSubject", "identifier", 0, "hashed") in SIGNED_LEAVES
    assert ("proof", "proofValue") in SIGNED_LEAVES


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("name",), "KAM-Vergütung (mit Auszeichnung)"),
        (("validFrom",), "2025-03-01T09:30:15Z"),
        (("credentialSubject", "identifier", 0, "salt"), "aaaaaaaaaaaaaaaaaaaaaaaaaa"),
        (("credentialSubject", "achievement", "criteria", "narrative"), "Nothing."),
        (("issuer", "url"), "https://evil.example"),
        (("proof", "created"), "2026-03-01T09:30:16Z"),
    ],
)
def test_plausible_edits_are_caught_by_the_signature(signed, keys, path: tuple, value: str) -> None:
    tampered = copy.deepcopy(signed)
    parent = tampered
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    assert verify_credential(tampered, keys).reason == BAD_PROOF


def test_wrong_key_fails(signed) -> None:
    other = generate_private_key().public_key()
    result = verify_credential(signed, {signed["proof"]["verificationMethod"]: other})
    assert (result.valid, result.reason) == (False, BAD_PROOF)


# --- garbage in, a precise reason out --------------------------------------------------------------------


def edit(data: dict, change) -> dict:
    copied = copy.deepcopy(data)
    change(copied)
    return copied


GARBAGE = [
    ("list", lambda s: [], NOT_AN_OBJECT, {}),
    ("string", lambda s: json.dumps(s), NOT_AN_OBJECT, {}),
    ("null", lambda s: None, NOT_AN_OBJECT, {}),
    ("number", lambda s: 42, NOT_AN_OBJECT, {}),
    ("no proof", lambda s: edit(s, lambda d: d.pop("proof")), NO_PROOF, {}),
    ("proof is text", lambda s: edit(s, lambda d: d.update(proof="signed")), WRONG_FIELD, {"field": "proof"}),
    (
        "other proof type",
        lambda s: edit(s, lambda d: d["proof"].update(type="Ed25519Signature2020")),
        WRONG_PROOF_TYPE,
        {"field": "proof.type"},
    ),
    (
        "other cryptosuite",
        lambda s: edit(s, lambda d: d["proof"].update(cryptosuite="eddsa-jcs-2022")),
        WRONG_PROOF_TYPE,
        {"field": "proof.type"},
    ),
    (
        "proof list",
        lambda s: edit(s, lambda d: d.update(proof=[d["proof"]])),
        WRONG_FIELD,
        {"field": "proof"},
    ),
    (
        "no proof value",
        lambda s: edit(s, lambda d: d["proof"].pop("proofValue")),
        MISSING_FIELD,
        {"field": "proof.proofValue"},
    ),
    (
        "bad base58",
        lambda s: edit(s, lambda d: d["proof"].update(proofValue="z0OIl+/")),
        MALFORMED_SIGNATURE,
        {},
    ),
    (
        "not multibase",
        lambda s: edit(s, lambda d: d["proof"].update(proofValue=d["proof"]["proofValue"][1:])),
        MALFORMED_SIGNATURE,
        {},
    ),
    (
        "truncated signature",
        lambda s: edit(s, lambda d: d["proof"].update(proofValue=d["proof"]["proofValue"][:40])),
        MALFORMED_SIGNATURE,
        {},
    ),
    (
        "unknown key",
        lambda s: edit(s, lambda d: d["proof"].update(verificationMethod=f"{ISSUER}#old-key")),
        UNKNOWN_KEY,
        {"key": f"{ISSUER}#old-key"},
    ),
    (
        "missing achievement name",
        lambda s: edit(s, lambda d: d["credentialSubject"]["achievement"].pop("name")),
        MISSING_FIELD,
        {"field": "credentialSubject.achievement.name"},
    ),
    (
        "unexpected field",
        lambda s: edit(s, lambda d: d.update(evidence=[])),
        UNEXPECTED_FIELD,
        {"field": "evidence"},
    ),
    (
        "undefined term in subject",
        lambda s: edit(s, lambda d: d["credentialSubject"].update(grade="A")),
        UNEXPECTED_FIELD,
        {"field": "credentialSubject.grade"},
    ),
    (
        "remote context",
        lambda s: edit(s, lambda d: d["@context"].append("https://evil.example/context.json")),
        WRONG_FIELD,
        {"field": "@context"},
    ),
    (
        "issuer as a bare id",
        lambda s: edit(s, lambda d: d.update(issuer=ISSUER)),
        WRONG_FIELD,
        {"field": "issuer"},
    ),
    (
        "hashed as text",
        lambda s: edit(s, lambda d: d["credentialSubject"]["identifier"][0].update(hashed="true")),
        WRONG_FIELD,
        {"field": "credentialSubject.identifier[0].hashed"},
    ),
    (
        "validFrom not a date",
        lambda s: edit(s, lambda d: d.update(validFrom="yesterday")),
        WRONG_FIELD,
        {"field": "validFrom"},
    ),
]


@pytest.mark.parametrize(("label", "make", "reason", "params"), GARBAGE, ids=[row[0] for row in GARBAGE])
def test_garbage_gives_a_specific_reason(signed, keys, label, make, reason: str, params: dict) -> None:
    result = verify_credential(make(signed), keys)
    assert (result.valid, result.reason, dict(result.params)) == (False, reason, params)
    assert result.text()  # the template fills from its parameters


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
        max_leaves=20,
    )
)
def test_verification_never_raises(keys, data: object) -> None:
    assert verify_credential(data, keys).valid is False


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(SIGNED_LEAVES), st.text() | st.booleans() | st.integers() | st.none() | st.floats())
def test_any_value_in_any_field_is_refused_without_raising(signed, keys, path: tuple, value: object) -> None:
    tampered = copy.deepcopy(signed)
    parent = tampered
    for step in path[:-1]:
        parent = parent[step]
    if parent[path[-1]] == value:
        return
    parent[path[-1]] = value
    assert verify_credential(tampered, keys).valid is False


@settings(max_examples=25, deadline=None)
@given(st.text(min_size=1, max_size=120))
def test_any_valid_name_round_trips_through_the_credential(private_key, keys, raw: str) -> None:
    clean, _ = validate_name(raw)
    if clean is None:
        return
    credential = sign_credential(
        make_credential(make_record(recipient_name=clean)), private_key, f"{ISSUER}#{key_id(private_key.public_key())}"
    )
    assert verify_credential(credential, keys).valid
    assert recipient_matches(credential, clean)


# --- contexts and published test vectors -----------------------------------------------------------------


def test_only_bundled_contexts_are_loaded() -> None:
    loader = document_loader(bundled_contexts())
    assert loader(VC_CONTEXT)["document"]["@context"]["@protected"] is True
    with pytest.raises(UnknownContext):
        loader("https://www.w3.org/2018/credentials/v1")
    with pytest.raises(jsonld.JsonLdError):
        canonical_nquads({"@context": "https://evil.example/context.json", "name": "x"})


def test_bundled_context_files_are_unchanged() -> None:
    """Editing a context changes what every issued credential means; see contexts/README.md."""
    digests = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in CONTEXT_FILES.glob("*.json*")}
    assert digests == {
        "credentials-v2.jsonld": "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734",
        "ob-context-3.0.3.json": "01d87cc8b5357af557bfb09428f603c4691c49ef8a6089945a70bda1b96b1db2",
    }
    assert set(bundled_contexts()) == set(CONTEXTS)


def test_open_badges_canonical_form_matches_the_1edtech_test_vector() -> None:
    """1EdTech openbadges-specification ob_v3p0/impl/test-vectors/obv3p0/{document,proof}-canon.txt."""
    credential = json.loads((FIXTURES / "obv3p0-credential.json").read_text(encoding="utf-8"))
    expected = (FIXTURES / "obv3p0-document-canon.txt").read_text(encoding="utf-8")
    assert canonical_nquads(credential) == expected
    proof = {
        "@context": credential["@context"],
        "type": "DataIntegrityProof",
        "created": "2010-01-01T19:23:24Z",
        "verificationMethod": "https://example.edu/issuers/565049#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",
        "cryptosuite": "eddsa-rdfc-2022",
        "proofPurpose": "assertionMethod",
    }
    assert canonical_nquads(proof) == (FIXTURES / "obv3p0-proof-canon.txt").read_text(encoding="utf-8")


def test_open_badges_signature_test_vector() -> None:
    """1EdTech ob_v3p0/impl/linked-data-proof-ob.md: signing key, hash data, signature, proofValue."""
    key = Ed25519PrivateKey.from_private_bytes(
        bytes.fromhex("6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4")
    )
    data = bytes.fromhex(
        "3cf3c265b6c8ebb29b4d5ea310b87d2f31c79b633eff8af561d2e8c97a85c8cb"
        "d994aebd5e53f4af4495dbe9e1155410bae683811107c26acf83671075c163b3"
    )
    signature = key.sign(data)
    assert signature.hex() == (
        "17a898a91832fa58bd66433e18dc8256522bcf84382994c395c23c26cba71ff8"
        "060a2587390e5ed20c4decec45c0c0c9eec1f7d2d1ce91e1ffc992983a74a300"
    )
    proof_value = "zUSD5bjo6mYV1n9i9E6ZwUiHuj4JyZDjCDfDqoJcPi9XJrc9LYstik9mdBvutdwBdquWXjWrwJDVGJrAarvRs8uD"
    assert "z" + base58btc_encode(signature) == proof_value
    assert base58btc_decode(proof_value[1:]) == signature


def test_w3c_eddsa_rdfc_2022_test_vector_verifies_with_the_bundled_v2_context() -> None:
    """w3c/vc-di-eddsa TestVectors/eddsa-rdfc-2022: hash data and signature, end to end through PyLD."""
    signed = json.loads((FIXTURES / "w3c-eddsa-rdfc-2022-signed.json").read_text(encoding="utf-8"))
    contexts = {
        **bundled_contexts(),
        "https://www.w3.org/ns/credentials/examples/v2": json.loads(
            (FIXTURES / "credentials-examples-v2.jsonld").read_text(encoding="utf-8")
        ),
    }
    data = hash_data(signed, signed["proof"], contexts)
    assert data.hex() == (
        "4c4d3890a157f8d611b13c265c2c22f39aa0a567c7c7dd9ba3e45cd579784eeb"
        "517744132ae165a5349155bef0bb0cf2258fff99dfe1dbd914b938d775a36017"
    )
    public = public_key_from_multibase("z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")
    public.verify(base58btc_decode(signed["proof"]["proofValue"][1:]), data)
