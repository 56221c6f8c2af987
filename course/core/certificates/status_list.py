"""W3C Bitstring Status List: the revocation list a credential points to from its `credentialStatus`.

A verifier holding only the credential file fetches the list named in `statusListCredential`, checks the
list's own signature, and reads the bit at `statusListIndex`: 1 means revoked. The list is a signed
`BitstringStatusListCredential` whose `encodedList` is the bitstring GZIP-compressed and base64url-encoded
with the multibase prefix `u`. Bit 0 is the most significant bit of the first byte. The spec asks for at
least 16 KB (131,072 entries), so that one certificate's bit hides among many.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import re
import zlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from course.core.certificates.credential import STATUS_PURPOSE, VC_CONTEXT
from course.core.certificates.record import format_instant

LIST_TYPE = "BitstringStatusList"
CREDENTIAL_TYPE = "BitstringStatusListCredential"
MIN_BITS = 16 * 1024 * 8  # the spec's minimum: 16 KB of bits
MAX_DECODED_BYTES = 16 * 1024 * 1024  # a list bigger than this is not ours; refuse before inflating it all
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


def encode_list(set_bits: Iterable[int], *, min_bits: int = MIN_BITS) -> str:
    """`u` + base64url(gzip(bitstring)) with the given bits set; long enough for every index and `min_bits`."""
    indexes = sorted(set(set_bits))
    if indexes and indexes[0] < 0:
        raise ValueError("a status list index is never negative")
    length = max(min_bits, (indexes[-1] + 1) if indexes else 0)
    bits = bytearray((length + 7) // 8)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(bits), mtime=0)  # mtime 0: the same bits always give the same text
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def decode_list(encoded: str) -> bytes:
    """The bitstring of `encode_list`'s output; raises ValueError on anything else."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise ValueError("not a multibase base64url value")
    text = encoded[1:]
    if not _BASE64URL.fullmatch(text):
        raise ValueError("not base64url")
    try:
        compressed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        bits = inflater.decompress(compressed, MAX_DECODED_BYTES)
    except (binascii.Error, zlib.error) as error:
        raise ValueError("not a GZIP-compressed bitstring") from error
    if inflater.unconsumed_tail:
        raise ValueError("the bitstring is too long")
    if not inflater.eof or not bits:
        raise ValueError("not a complete GZIP-compressed bitstring")
    return bits


def is_set(bits: bytes, index: int) -> bool:
    """The bit at `index` (0 is the most significant bit of the first byte); ValueError past the end."""
    if not 0 <= index < len(bits) * 8:
        raise ValueError("the index is outside the status list")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def build_list_credential(
    list_url: str, issuer_id: str, revoked_indexes: Iterable[int], valid_from: datetime
) -> dict[str, Any]:
    """The unsigned status list credential; sign it with `sign_credential` like a certificate."""
    return {
        "@context": [VC_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", CREDENTIAL_TYPE],
        "issuer": issuer_id,
        "validFrom": format_instant(valid_from),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": LIST_TYPE,
            "statusPurpose": STATUS_PURPOSE,
            "encodedList": encode_list(revoked_indexes),
        },
    }
