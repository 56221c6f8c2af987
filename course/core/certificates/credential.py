"""The Open Badges 3.0 credential: build it from a record, sign it, and verify a file offline.

Proof format: an embedded `DataIntegrityProof` with the `eddsa-rdfc-2022` cryptosuite (W3C VC Data
Integrity EdDSA). The credential and the proof options are canonicalised with RDFC-1.0 (URDNA2015, via
PyLD), hashed with SHA-256, and `sha256(proof options) + sha256(credential)` is signed with Ed25519;
`proofValue` is the signature in base58btc multibase. JSON-LD contexts come only from the files
bundled in `contexts/` (see the README there): the loader refuses every other URL, so neither signing
nor verification ever touches the network.

Verification is strict about shape: the credential must look exactly like what `build_credential`
writes (the known fields and no others), because a JSON-LD processor silently drops terms its contexts
do not define, and a field that is dropped is a field the signature does not cover.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from course.core.certificates.record import CertificateRecord, format_instant, parse_instant
from course.core.certificates.signing import base58btc_decode, base58btc_encode
from course.core.errors import N_

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CONTEXTS = (VC_CONTEXT, OB_CONTEXT)
PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
PROOF_PURPOSE = "assertionMethod"
STATUS_ENTRY_TYPE = "BitstringStatusListEntry"
STATUS_PURPOSE = "revocation"
_BUNDLED_FILES = {VC_CONTEXT: "credentials-v2.jsonld", OB_CONTEXT: "ob-context-3.0.3.json"}
MAX_JSON_DEPTH = 64  # a credential is 6 levels deep; Python's JSON parser fails with RecursionError near 1,000
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(r"[\[\]{}]")

VALID = N_("The credential is valid.")
NOT_AN_OBJECT = N_("The credential is not a JSON object.")
MISSING_FIELD = N_("The credential has no %(field)s.")
WRONG_FIELD = N_("The credential's %(field)s is not what this issuer writes.")
UNEXPECTED_FIELD = N_("The credential has a field this issuer never writes: %(field)s.")
NO_PROOF = N_("The credential has no proof (signature).")
WRONG_PROOF_TYPE = N_("The proof is not a DataIntegrityProof with the eddsa-rdfc-2022 cryptosuite.")
UNKNOWN_KEY = N_("The credential was signed with a key this issuer does not publish: %(key)s.")
MALFORMED_SIGNATURE = N_("The proof value is not a base58btc-encoded Ed25519 signature.")
BAD_PROOF = N_("The signature does not match: the credential was changed after issue, or signed with another key.")
UNREADABLE = N_("The credential cannot be read as linked data: %(detail)s")
NOT_YET_VALID = N_("The credential is not valid before %(valid_from)s.")


def json_too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON text nests arrays or objects more than `limit` deep; checked before parsing, without recursion."""
    depth = 0
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub("", text)):
        depth += 1 if match.group() in "[{" else -1
        if depth > limit:
            return True
    return False


class UnknownContext(ValueError):
    """A document named a JSON-LD context that is not bundled; nothing was fetched."""


@dataclass(frozen=True)
class VerificationResult:
    """The verdict, and why: `reason` is an English template marked with N_(), filled from `params`."""

    valid: bool
    reason: str
    params: Mapping[str, object] = field(default_factory=dict, hash=False)

    def text(self) -> str:
        return self.reason % dict(self.params)


@cache
def bundled_contexts() -> dict[str, Any]:
    """The JSON-LD context documents shipped with the package, by URL."""
    folder = resources.files("course.core.certificates") / "contexts"
    return {url: json.loads((folder / name).read_text(encoding="utf-8")) for url, name in _BUNDLED_FILES.items()}


def document_loader(contexts: Mapping[str, Any]) -> Callable[..., dict[str, Any]]:
    """A PyLD loader that serves `contexts` and raises UnknownContext for any other URL."""

    def load(url: str, options: object = None) -> dict[str, Any]:
        if url not in contexts:
            raise UnknownContext(url)
        return {"contextUrl": None, "documentUrl": url, "document": contexts[url]}

    return load


def canonical_nquads(document: Mapping[str, Any], contexts: Mapping[str, Any] | None = None) -> str:
    """RDFC-1.0 (URDNA2015) canonical N-Quads of a JSON-LD document, contexts from `contexts` only."""
    from pyld import jsonld  # about 10 MB: loaded by the first certificate signed or checked, not by every worker

    loader = document_loader(bundled_contexts() if contexts is None else contexts)
    return jsonld.normalize(
        dict(document),
        {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": loader},
    )


def hash_data(
    document: Mapping[str, Any], proof_options: Mapping[str, Any], contexts: Mapping[str, Any] | None = None
) -> bytes:
    """What eddsa-rdfc-2022 signs: sha256(canonical proof options) + sha256(canonical document).

    `document` is without its proof and `proof_options` without `proofValue`; the options take the
    document's `@context`, as the cryptosuite specifies.
    """
    options = {key: value for key, value in proof_options.items() if key != "proofValue"}
    options["@context"] = document["@context"]
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    proof_hash = hashlib.sha256(canonical_nquads(options, contexts).encode("utf-8")).digest()
    document_hash = hashlib.sha256(canonical_nquads(unsecured, contexts).encode("utf-8")).digest()
    return proof_hash + document_hash


def identity_hash(name: str, salt: str) -> str:
    """OB 3.0 IdentityHash of a name: "sha256$" + hex(sha256(name + salt)), name NFC-normalised."""
    text = unicodedata.normalize("NFC", name) + salt
    return "sha256$" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def status_entry(list_url: str, index: int) -> dict[str, str]:
    """A `credentialStatus` (W3C Bitstring Status List): the credential's revocation bit in the issuer's list.

    The index is written as a string, as the spec asks.
    """
    if index < 0:
        raise ValueError("a status list index is never negative")
    return {
        "id": f"{list_url}#{index}",
        "type": STATUS_ENTRY_TYPE,
        "statusPurpose": STATUS_PURPOSE,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def build_credential(
    record: CertificateRecord,
    *,
    verify_url: str,
    issuer_id: str,
    achievement_id: str,
    description: str,
    criteria: str,
    credential_status: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The unsigned OpenBadgeCredential for a record, with `credential_status` (see `status_entry`) if given.

    The learner is named only by a salted hash (the salt is the public id), so the file reveals the
    name only to someone who already knows it; the course title is in the record's language.
    """
    title = record.course_title.get(record.language) or next(iter(record.course_title.values()), record.course_id)
    status = {"credentialStatus": dict(credential_status)} if credential_status is not None else {}
    return {
        "@context": list(CONTEXTS),
        "id": verify_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": title,
        "issuer": {"id": issuer_id, "type": ["Profile"], "name": record.issuer_name, "url": record.issuer_url},
        "validFrom": format_instant(record.issued_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "hashed": True,
                    "identityHash": identity_hash(record.recipient_name, record.public_id),
                    "identityType": "name",
                    "salt": record.public_id,
                }
            ],
            "achievement": {
                "id": achievement_id,
                "type": ["Achievement"],
                "name": title,
                "description": description,
                "criteria": {"narrative": criteria},
            },
        },
        **status,
    }


def sign_credential(
    credential: Mapping[str, Any],
    private_key: Ed25519PrivateKey,
    verification_method: str,
    *,
    created: datetime | None = None,
) -> dict[str, Any]:
    """The credential with an embedded eddsa-rdfc-2022 proof.

    `created` defaults to the credential's `validFrom`, so signing needs no clock and signing the same
    record twice gives the same file (Ed25519 is deterministic).
    """
    unsecured = {key: value for key, value in credential.items() if key != "proof"}
    proof = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": format_instant(created) if created else unsecured["validFrom"],
        "verificationMethod": verification_method,
        "proofPurpose": PROOF_PURPOSE,
    }
    signature = private_key.sign(hash_data(unsecured, proof))
    return {**unsecured, "proof": {**proof, "proofValue": "z" + base58btc_encode(signature)}}


def recipient_matches(credential: Mapping[str, Any], name: str) -> bool:
    """Whether `name` (as a person would type it) is the one the credential's identifier hashes."""
    clean = " ".join(unicodedata.normalize("NFC", name).split())
    try:
        identifiers = credential["credentialSubject"]["identifier"]
        return any(item["identityHash"] == identity_hash(clean, item["salt"]) for item in identifiers)
    except (KeyError, TypeError):
        return False


# --- verification ------------------------------------------------------------------------------------


class _ShapeError(Exception):
    def __init__(self, reason: str, field: str) -> None:
        super().__init__(field)
        self.reason = reason
        self.field = field


def _object(value: object, path: str, required: set[str], optional: frozenset[str] = frozenset()) -> dict:
    if not isinstance(value, dict):
        raise _ShapeError(WRONG_FIELD, path)
    prefix = f"{path}." if path else ""
    for key in sorted(required):
        if key not in value:
            raise _ShapeError(MISSING_FIELD, prefix + key)
    for key in sorted(value, key=str):
        if key not in required and key not in optional:
            raise _ShapeError(UNEXPECTED_FIELD, prefix + str(key))
    return value


def _text(value: object, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _ShapeError(WRONG_FIELD, path)
    return value


def _instant(value: object, path: str) -> datetime:
    try:
        return parse_instant(_text(value, path))
    except ValueError:
        raise _ShapeError(WRONG_FIELD, path) from None


def _types(value: object, path: str, expected: set[str]) -> None:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or set(values) != expected or len(values) != len(expected):
        raise _ShapeError(WRONG_FIELD, path)


def _check_shape(data: dict) -> None:
    _object(
        data,
        "",
        {"@context", "id", "type", "name", "issuer", "validFrom", "credentialSubject"},
        frozenset({"proof", "credentialStatus"}),
    )
    if data["@context"] != list(CONTEXTS):
        raise _ShapeError(WRONG_FIELD, "@context")
    _text(data["id"], "id")
    _types(data["type"], "type", {"VerifiableCredential", "OpenBadgeCredential"})
    _text(data["name"], "name")
    issuer = _object(data["issuer"], "issuer", {"id", "type", "name", "url"})
    _types(issuer["type"], "issuer.type", {"Profile"})
    for key in ("id", "name", "url"):
        _text(issuer[key], f"issuer.{key}")
    _instant(data["validFrom"], "validFrom")
    subject = _object(
        data["credentialSubject"], "credentialSubject", {"type", "identifier", "achievement"}, frozenset({"id"})
    )
    _types(subject["type"], "credentialSubject.type", {"AchievementSubject"})
    if "id" in subject:
        _text(subject["id"], "credentialSubject.id")
    identifiers = subject["identifier"]
    if not isinstance(identifiers, list) or not identifiers:
        raise _ShapeError(WRONG_FIELD, "credentialSubject.identifier")
    for index, item in enumerate(identifiers):
        path = f"credentialSubject.identifier[{index}]"
        _object(item, path, {"type", "hashed", "identityHash", "identityType"}, frozenset({"salt"}))
        _types(item["type"], f"{path}.type", {"IdentityObject"})
        if not isinstance(item["hashed"], bool):
            raise _ShapeError(WRONG_FIELD, f"{path}.hashed")
        for key in ("identityHash", "identityType", "salt"):
            if key in item:
                _text(item[key], f"{path}.{key}")
    achievement = _object(
        subject["achievement"], "credentialSubject.achievement", {"id", "type", "name", "description", "criteria"}
    )
    _types(achievement["type"], "credentialSubject.achievement.type", {"Achievement"})
    for key in ("id", "name", "description"):
        _text(achievement[key], f"credentialSubject.achievement.{key}")
    criteria = _object(achievement["criteria"], "credentialSubject.achievement.criteria", {"narrative"})
    _text(criteria["narrative"], "credentialSubject.achievement.criteria.narrative")
    if "credentialStatus" in data:
        _check_status_shape(data["credentialStatus"])


def _check_status_shape(value: object) -> None:
    status = _object(
        value, "credentialStatus", {"id", "type", "statusPurpose", "statusListIndex", "statusListCredential"}
    )
    if status["type"] != STATUS_ENTRY_TYPE:
        raise _ShapeError(WRONG_FIELD, "credentialStatus.type")
    if status["statusPurpose"] != STATUS_PURPOSE:
        raise _ShapeError(WRONG_FIELD, "credentialStatus.statusPurpose")
    index = status["statusListIndex"]
    if not isinstance(index, str) or not index.isascii() or not index.isdigit():
        raise _ShapeError(WRONG_FIELD, "credentialStatus.statusListIndex")
    list_url = _text(status["statusListCredential"], "credentialStatus.statusListCredential")
    if status["id"] != f"{list_url}#{index}":
        raise _ShapeError(WRONG_FIELD, "credentialStatus.id")


def _check_proof_shape(proof: object) -> dict:
    if not isinstance(proof, dict):
        raise _ShapeError(WRONG_FIELD, "proof")
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise _ShapeError(WRONG_PROOF_TYPE, "proof.type")
    _object(proof, "proof", {"type", "cryptosuite", "created", "verificationMethod", "proofPurpose", "proofValue"})
    _instant(proof["created"], "proof.created")
    if proof["proofPurpose"] != PROOF_PURPOSE:
        raise _ShapeError(WRONG_FIELD, "proof.proofPurpose")
    _text(proof["verificationMethod"], "proof.verificationMethod")
    _text(proof["proofValue"], "proof.proofValue")
    return proof


def _find_key(keys: Mapping[str, Ed25519PublicKey], method: str) -> Ed25519PublicKey | None:
    """Look the key up by the full verification method id, then by its fragment (the key id)."""
    if method in keys:
        return keys[method]
    fragment = method.partition("#")[2]
    return keys.get(fragment) if fragment else None


def verify_credential(
    data: object, public_keys: Mapping[str, Ed25519PublicKey], *, now: datetime | None = None
) -> VerificationResult:
    """Check a credential file offline: its shape, its key, its signature, and (given `now`) its date.

    `public_keys` maps verification method ids, or key ids (the fragment after #), to the issuer's
    published keys. Never raises on bad input; the result says what is wrong and where.
    """
    if not isinstance(data, dict):
        return VerificationResult(False, NOT_AN_OBJECT)
    if "proof" not in data:
        return VerificationResult(False, NO_PROOF)
    try:
        proof = _check_proof_shape(data["proof"])
        _check_shape(data)
    except _ShapeError as error:
        return VerificationResult(False, error.reason, {"field": error.field})
    key = _find_key(public_keys, proof["verificationMethod"])
    if key is None:
        return VerificationResult(False, UNKNOWN_KEY, {"key": proof["verificationMethod"]})
    try:
        signature = base58btc_decode(proof["proofValue"][1:]) if proof["proofValue"].startswith("z") else b""
    except ValueError:
        signature = b""
    if len(signature) != 64:
        return VerificationResult(False, MALFORMED_SIGNATURE)
    try:
        signed = hash_data(data, proof)
    except Exception as error:  # noqa: BLE001 - a verifier reports unreadable input, it does not crash on it
        return VerificationResult(False, UNREADABLE, {"detail": type(error).__name__})
    try:
        key.verify(signature, signed)
    except InvalidSignature:
        return VerificationResult(False, BAD_PROOF)
    valid_from = parse_instant(data["validFrom"])
    if now is not None and now < valid_from:
        return VerificationResult(False, NOT_YET_VALID, {"valid_from": data["validFrom"]})
    return VerificationResult(True, VALID, {"key": proof["verificationMethod"]})
