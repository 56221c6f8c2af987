"""Backup archives: the manifest, which member names are allowed, and the passphrase encryption format.

An archive is a gzip-compressed tar whose first member is `manifest.json`: the format version, the kind
of database, its schema revision, when it was made, and the size and SHA-256 of every other member. A
restore trusts nothing the manifest does not list and checks every byte against it.

An encrypted archive is that tar.gz sealed in chunks (the STREAM construction of Hoang, Reyhanitabar,
Rogaway and Vizár, as used by age and Tink): a header with the scrypt parameters, salt and nonce prefix,
then 64 KiB chunks, each sealed with ChaCha20-Poly1305 under a nonce of prefix + chunk number + a
"last chunk" flag, with the header as associated data. Reordered, dropped, truncated or altered chunks
fail to open; a file cut at a chunk boundary has no last chunk and is refused as truncated.
"""

from __future__ import annotations

import hmac
import json
import re
import struct
import unicodedata
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

FORMAT = "kam-course-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
MAX_MANIFEST_BYTES = 64 * 1024 * 1024  # about 400,000 media files; a larger one is not ours
DATABASE_KINDS = ("sqlite", "postgresql")
#: The one member that holds the database, per kind: a SQLite file, or a pg_dump archive in custom format.
DATABASE_MEMBERS = {"sqlite": "database/course.sqlite3", "postgresql": "database/course.pgdump"}
ACTIVE_KEY_MEMBER = "keys/active.pem"
LTI_KEY_MEMBER = "keys/lti-tool.pem"  # the LTI tool's RSA key: LMS registrations trust its public half
RETIRED_KEYS_FOLDER = "keys/retired"
CONFIG_MEMBER = "instance/config.py"
MEDIA_FOLDER = "media"

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_REVISION = re.compile(r"^[0-9A-Za-z_]{1,64}$")
_COMPONENT = re.compile(r"^[0-9A-Za-z_-][0-9A-Za-z_.-]{0,199}$")


class BackupError(Exception):
    """An archive or a request the operator must hear about in a sentence (never a traceback)."""


class WrongPassphrase(BackupError):
    pass


@dataclass(frozen=True)
class Member:
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    database: str
    schema_revision: str | None
    created_at: str
    members: tuple[Member, ...]
    format_version: int = FORMAT_VERSION

    @property
    def database_member(self) -> str:
        return DATABASE_MEMBERS[self.database]

    def member(self, name: str) -> Member | None:
        return next((member for member in self.members if member.name == name), None)

    def to_json(self) -> bytes:
        data = {
            "format": FORMAT,
            "format_version": self.format_version,
            "database": self.database,
            "schema_revision": self.schema_revision,
            "created_at": self.created_at,
            "members": [{"name": m.name, "size": m.size, "sha256": m.sha256} for m in self.members],
        }
        return json.dumps(data, indent=1, ensure_ascii=False).encode("utf-8")


def parse_manifest(data: bytes) -> Manifest:
    """The manifest of an archive, checked field by field; BackupError says what is wrong."""
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BackupError("its manifest.json is not valid JSON") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise BackupError("it is not a backup of this app (manifest.json names another format)")
    version = raw.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise BackupError("its manifest.json has no format version")
    if version > FORMAT_VERSION:
        raise BackupError(
            f"it was written in backup format {version} by a newer version of the app; this one reads "
            f"format {FORMAT_VERSION}: restore it with the version that wrote it"
        )
    database, revision, created_at = raw.get("database"), raw.get("schema_revision"), raw.get("created_at")
    if database not in DATABASE_KINDS:
        raise BackupError(f"its manifest.json names an unknown database kind {database!r}")
    if revision is not None and not (isinstance(revision, str) and _REVISION.match(revision)):
        raise BackupError("its manifest.json has a malformed schema revision")
    if not isinstance(created_at, str):
        raise BackupError("its manifest.json has no creation time")
    entries = raw.get("members")
    if not isinstance(entries, list):
        raise BackupError("its manifest.json lists no members")
    members: list[Member] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise BackupError("its manifest.json has a malformed member entry")
        name, size, digest = entry.get("name"), entry.get("size"), entry.get("sha256")
        check_member_name(name)
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise BackupError(f"its manifest.json gives member {name} no valid size")
        if not (isinstance(digest, str) and _SHA256.match(digest)):
            raise BackupError(f"its manifest.json gives member {name} no valid SHA-256")
        members.append(Member(name, size, digest))
    names = [member.name for member in members]
    if len(set(names)) != len(names):
        raise BackupError("its manifest.json lists a member twice")
    if DATABASE_MEMBERS[database] not in names:
        raise BackupError("its manifest.json lists no database")
    if any(name.startswith("database/") and name != DATABASE_MEMBERS[database] for name in names):
        raise BackupError("its manifest.json lists a database of another kind")
    return Manifest(database, revision, created_at, tuple(members), version)


def check_member_name(name: object) -> str:
    """A member name a restore may act on, or BackupError: only the known places, no `..`, no absolute path.

    Restores never use a name as a path as such: each known place maps to a configured folder, and a name
    contributes at most one plain file name to it.
    """
    if not isinstance(name, str):
        raise BackupError("its manifest.json has a member without a name")
    if name in DATABASE_MEMBERS.values() or name in (ACTIVE_KEY_MEMBER, LTI_KEY_MEMBER, CONFIG_MEMBER):
        return name
    folder, _, file_name = name.rpartition("/")
    if folder in (MEDIA_FOLDER, RETIRED_KEYS_FOLDER) and _COMPONENT.match(file_name):
        return name
    raise BackupError(f"it holds a member the app does not write: {name[:200]!r}")


# --- Encryption ------------------------------------------------------------------------------------------------

ENCRYPTED_MAGIC = b"KAMBKENC"
CHUNK_SIZE = 64 * 1024
TAG_SIZE = 16
SALT_SIZE = 16
NONCE_PREFIX_SIZE = 7
CHECK_SIZE = 16
_HEADER = struct.Struct(f">8sBBBB{SALT_SIZE}s{NONCE_PREFIX_SIZE}s{CHECK_SIZE}s")
HEADER_SIZE = _HEADER.size
ENCRYPTION_VERSION = 1
#: scrypt with N = 2**17, r = 8 takes 128 MiB and about a third of a second: cheap once, dear per guess.
SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P = 17, 8, 1
MIN_PASSPHRASE_LENGTH = 12


@dataclass(frozen=True)
class EncryptionHeader:
    log2_n: int
    r: int
    p: int
    salt: bytes
    nonce_prefix: bytes
    check: bytes  # derived from the passphrase beside the key: tells a wrong passphrase from damage

    def to_bytes(self) -> bytes:
        return _HEADER.pack(
            ENCRYPTED_MAGIC, ENCRYPTION_VERSION, self.log2_n, self.r, self.p, self.salt, self.nonce_prefix, self.check
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> EncryptionHeader:
        if len(data) < HEADER_SIZE:
            raise BackupError("it is encrypted but cut short inside its header")
        magic, version, log2_n, r, p, salt, prefix, check = _HEADER.unpack(data[:HEADER_SIZE])
        if magic != ENCRYPTED_MAGIC:
            raise BackupError("it is not an encrypted backup")
        if version != ENCRYPTION_VERSION:
            raise BackupError(f"it is encrypted in format {version}, which this version of the app cannot read")
        # Bounds keep a forged header from asking for gigabytes of memory or hours of work.
        if not (10 <= log2_n <= 20 and 1 <= r <= 16 and 1 <= p <= 4):
            raise BackupError("its encryption header has implausible key-derivation parameters")
        return cls(log2_n, r, p, salt, prefix, check)


def is_encrypted(start: bytes) -> bool:
    return start.startswith(ENCRYPTED_MAGIC)


def normalise_passphrase(passphrase: str) -> bytes:
    """The same words typed on another system (composed or decomposed accents) give the same key."""
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def _derive(passphrase: str, log2_n: int, r: int, p: int, salt: bytes) -> tuple[bytes, bytes]:
    material = Scrypt(salt=salt, length=32 + CHECK_SIZE, n=2**log2_n, r=r, p=p).derive(normalise_passphrase(passphrase))
    return material[:32], material[32:]


class ChunkCipher:
    """Seals and opens the numbered chunks of one encrypted archive."""

    def __init__(self, key: bytes, header: EncryptionHeader) -> None:
        self._aead = ChaCha20Poly1305(key)
        self._prefix = header.nonce_prefix
        self._associated = header.to_bytes()

    @classmethod
    def for_new_archive(cls, passphrase: str, salt: bytes, nonce_prefix: bytes) -> tuple[ChunkCipher, bytes]:
        """A cipher for a new archive (salt and prefix from the caller's random source) and its header bytes."""
        if len(salt) != SALT_SIZE or len(nonce_prefix) != NONCE_PREFIX_SIZE:
            raise ValueError("salt or nonce prefix of the wrong length")
        key, check = _derive(passphrase, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P, salt)
        header = EncryptionHeader(SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P, salt, nonce_prefix, check)
        return cls(key, header), header.to_bytes()

    @classmethod
    def for_existing_archive(cls, passphrase: str, header: EncryptionHeader) -> ChunkCipher:
        """Raises WrongPassphrase when the passphrase is not the one the archive was sealed with."""
        key, check = _derive(passphrase, header.log2_n, header.r, header.p, header.salt)
        if not hmac.compare_digest(check, header.check):
            raise WrongPassphrase("the passphrase is wrong")
        return cls(key, header)

    def _nonce(self, index: int, last: bool) -> bytes:
        if index >= 2**32:
            raise BackupError("the archive is too large to encrypt (more than 2**32 chunks)")
        return self._prefix + struct.pack(">I?", index, last)

    def seal(self, index: int, plaintext: bytes, *, last: bool) -> bytes:
        return self._aead.encrypt(self._nonce(index, last), plaintext, self._associated)

    def open(self, index: int, ciphertext: bytes, *, last: bool) -> bytes:
        try:
            return self._aead.decrypt(self._nonce(index, last), ciphertext, self._associated)
        except InvalidTag:
            raise BackupError(f"it is damaged: encrypted chunk {index + 1} does not authenticate") from None
