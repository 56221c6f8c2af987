"""The certificate record as the app stores and signs it, its public id, and the rules for the learner's name.

`canonical_bytes` is what the Ed25519 signature covers: the record as JSON with sorted keys, no
whitespace, non-ASCII characters kept as UTF-8 (``ensure_ascii=False``), no NaN or infinity, and a
``"v": 1`` format version, so any later change of layout is a new version rather than a silent break
of every stored signature. Times are UTC, to the second, written ``YYYY-MM-DDTHH:MM:SSZ``.
"""

from __future__ import annotations

import base64
import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from course.core.errors import N_

FORMAT_VERSION = 1
PUBLIC_ID_BYTES = 16  # 128 random bits: unguessable, and collisions never happen in practice
PUBLIC_ID_LENGTH = 26  # base32 of 16 bytes without padding
MAX_NAME_LENGTH = 120
_PUBLIC_ID = re.compile(r"[a-z2-7]{25}[aeimquy4]")  # the last character carries only 3 of its 5 bits
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})  # controls, invisible formatting, line breaks


@dataclass(frozen=True)
class Problem:
    """What is wrong with an input: an English template marked with N_() and its parameters."""

    message: str
    params: Mapping[str, object] = field(default_factory=dict)

    def text(self) -> str:
        return self.message % dict(self.params)


@dataclass(frozen=True)
class CertificateRecord:
    """Everything a certificate states; the signature covers `canonical_bytes(record)`.

    `issued_at` is converted to UTC and cut to whole seconds, and `course_version` is kept as text, so
    the values survive a round trip through any database column unchanged.
    """

    public_id: str
    recipient_name: str
    course_id: str
    course_title: Mapping[str, str] = field(hash=False)  # language code -> title
    course_version: str
    issued_at: datetime
    result: Mapping[str, object] = field(hash=False)  # e.g. lessons done/total, best quiz percents
    issuer_name: str
    issuer_url: str
    language: str

    def __post_init__(self) -> None:
        if self.issued_at.tzinfo is None or self.issued_at.utcoffset() is None:
            raise ValueError("issued_at must be timezone-aware")
        object.__setattr__(self, "issued_at", self.issued_at.astimezone(UTC).replace(microsecond=0))
        object.__setattr__(self, "course_version", str(self.course_version))
        object.__setattr__(self, "course_title", dict(self.course_title))
        object.__setattr__(self, "result", dict(self.result))


def format_instant(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, to the second: the one spelling the signature and the credential use."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_instant(text: str) -> datetime:
    """Read `format_instant`'s spelling back; raises ValueError on anything else."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def new_public_id(token_bytes: Callable[[int], bytes]) -> str:
    """128 random bits as 26 lowercase base32 characters: URL-safe, no 0/1/8/9 to confuse with O/l/B/g.

    Pass `secrets.token_bytes`; tests pass a seeded fake.
    """
    raw = token_bytes(PUBLIC_ID_BYTES)
    if len(raw) != PUBLIC_ID_BYTES:
        raise ValueError("token_bytes returned the wrong number of bytes")
    return base64.b32encode(raw).decode("ascii").rstrip("=").lower()


def is_public_id(text: object) -> bool:
    """Whether `text` is shaped like a public id, so a malformed URL is told apart from an unknown id."""
    return isinstance(text, str) and _PUBLIC_ID.fullmatch(text) is not None


def validate_name(text: str) -> tuple[str | None, list[Problem]]:
    """The name as it will be printed and signed, or None and every problem found.

    NFC-normalised, trimmed, runs of spaces collapsed; control and invisible formatting characters and
    line or paragraph separators are refused, since they could hide text or break the PDF layout.
    """
    name = unicodedata.normalize("NFC", text).strip()
    problems: list[Problem] = []
    if not name:
        return None, [Problem(N_("Enter your name as it should appear on the certificate."))]
    bad = sorted({char for char in name if unicodedata.category(char) in _FORBIDDEN_CATEGORIES})
    if bad:
        problems.append(
            Problem(
                N_("The name contains invisible or control characters (%(codes)s)."),
                {"codes": ", ".join(f"U+{ord(char):04X}" for char in bad)},
            )
        )
    name = re.sub(r"\s+", " ", name)
    if len(name) > MAX_NAME_LENGTH:
        problems.append(
            Problem(
                N_("The name is too long: %(length)d characters, at most %(max)d."),
                {"length": len(name), "max": MAX_NAME_LENGTH},
            )
        )
    return (None, problems) if problems else (name, [])


def record_to_dict(record: CertificateRecord) -> dict[str, object]:
    """The record as plain JSON data, with the format version; what `canonical_bytes` serialises."""
    return {
        "v": FORMAT_VERSION,
        "public_id": record.public_id,
        "recipient_name": record.recipient_name,
        "course_id": record.course_id,
        "course_title": dict(record.course_title),
        "course_version": record.course_version,
        "issued_at": format_instant(record.issued_at),
        "result": dict(record.result),
        "issuer_name": record.issuer_name,
        "issuer_url": record.issuer_url,
        "language": record.language,
    }


def record_from_dict(data: Mapping[str, object]) -> CertificateRecord:
    """Rebuild a record from `record_to_dict`'s output; raises ValueError on another format version."""
    if data.get("v") != FORMAT_VERSION:
        raise ValueError(f"unknown certificate record format {data.get('v')!r}")
    return CertificateRecord(
        public_id=str(data["public_id"]),
        recipient_name=str(data["recipient_name"]),
        course_id=str(data["course_id"]),
        course_title=dict(data["course_title"]),  # type: ignore[call-overload]
        course_version=str(data["course_version"]),
        issued_at=parse_instant(str(data["issued_at"])),
        result=dict(data["result"]),  # type: ignore[call-overload]
        issuer_name=str(data["issuer_name"]),
        issuer_url=str(data["issuer_url"]),
        language=str(data["language"]),
    )


def canonical_bytes(record: CertificateRecord) -> bytes:
    """Deterministic UTF-8 JSON of the record (sorted keys, no whitespace): the bytes that get signed."""
    return json.dumps(
        record_to_dict(record), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")
