"""Ed25519 keys for certificates: create, store as PEM, publish as JWK or Multikey, sign and check records.

The web layer reads and writes the PEM file in the instance folder; these functions only take and
return bytes, so the core does no file I/O and tests never touch the disk.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from course.core.certificates.record import CertificateRecord, canonical_bytes

ED25519_MULTICODEC = b"\xed\x01"  # multicodec prefix of an Ed25519 public key (varint 0xed)
_BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def generate_private_key() -> Ed25519PrivateKey:
    """A new signing key; the app creates one on first start if the instance folder has none."""
    return Ed25519PrivateKey.generate()


def private_key_to_pem(key: Ed25519PrivateKey) -> bytes:
    """PKCS#8 PEM, unencrypted: the instance folder is the secret store, like SECRET_KEY."""
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )


def private_key_from_pem(data: bytes) -> Ed25519PrivateKey:
    """Load `private_key_to_pem`'s output; raises ValueError if it is not an Ed25519 private key."""
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the certificate signing key must be an Ed25519 key")
    return key


def public_key_bytes(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw)


def public_key_from_bytes(raw: bytes) -> Ed25519PublicKey:
    """The 32 raw bytes of an Ed25519 public key; raises ValueError otherwise."""
    return Ed25519PublicKey.from_public_bytes(raw)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict unpadded base64url; raises ValueError on anything else (padding, other alphabets, junk)."""
    if not isinstance(text, str) or "=" in text or len(text) % 4 == 1:
        raise ValueError("not base64url")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise ValueError("not base64url") from error
    if b64url(raw) != text:  # refuses non-alphabet characters and non-zero trailing bits
        raise ValueError("not base64url")
    return raw


def key_id(public_key: Ed25519PublicKey) -> str:
    """The RFC 7638 JWK thumbprint: stable, derived from the key alone, so no registry of ids is needed."""
    members = {"crv": "Ed25519", "kty": "OKP", "x": b64url(public_key_bytes(public_key))}
    canonical = json.dumps(members, sort_keys=True, separators=(",", ":")).encode("ascii")
    return b64url(hashlib.sha256(canonical).digest())


def public_key_jwk(public_key: Ed25519PublicKey) -> dict[str, str]:
    """The public key as a JWK (RFC 8037) with its thumbprint as `kid`, for the JSON key endpoint."""
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64url(public_key_bytes(public_key)),
        "kid": key_id(public_key),
        "alg": "EdDSA",
        "use": "sig",
    }


def base58btc_encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(_BASE58_ALPHABET[remainder])
    leading_zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading_zeros + "".join(reversed(digits))


def base58btc_decode(text: str) -> bytes:
    """Raises ValueError on characters outside the bitcoin alphabet."""
    number = 0
    for char in text:
        index = _BASE58_ALPHABET.find(char)
        if index < 0:
            raise ValueError("not base58btc")
        number = number * 58 + index
    leading_ones = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * leading_ones + body


def public_key_multibase(public_key: Ed25519PublicKey) -> str:
    """`z` + base58btc(0xed01 + key): the Multikey / did:key spelling of the key (z6Mk...)."""
    return "z" + base58btc_encode(ED25519_MULTICODEC + public_key_bytes(public_key))


def public_key_from_multibase(text: str) -> Ed25519PublicKey:
    """Inverse of `public_key_multibase`; raises ValueError on another key type or encoding."""
    if not text.startswith("z"):
        raise ValueError("not a base58btc multibase value")
    raw = base58btc_decode(text[1:])
    if not raw.startswith(ED25519_MULTICODEC) or len(raw) != 34:
        raise ValueError("not an Ed25519 multikey")
    return public_key_from_bytes(raw[2:])


def multikey_document(public_key: Ed25519PublicKey, controller: str) -> dict[str, str]:
    """The verification method an issuer profile publishes, so a wallet can find the key by its id."""
    return {
        "@context": "https://w3id.org/security/multikey/v1",
        "id": f"{controller}#{key_id(public_key)}",
        "type": "Multikey",
        "controller": controller,
        "publicKeyMultibase": public_key_multibase(public_key),
    }


def sign_record(record: CertificateRecord, private_key: Ed25519PrivateKey) -> str:
    """The Ed25519 signature of `canonical_bytes(record)`, base64url without padding (86 characters)."""
    return b64url(private_key.sign(canonical_bytes(record)))


def verify_record(record: CertificateRecord, signature: object, public_key: Ed25519PublicKey) -> bool:
    """Whether `signature` is the issuer's over this exact record; False, never an exception, on garbage."""
    if not isinstance(signature, str):
        return False
    try:
        raw = b64url_decode(signature)
        public_key.verify(raw, canonical_bytes(record))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
