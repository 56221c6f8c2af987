"""The backup format's pure parts: the manifest, the member names a restore accepts, the encryption header."""

from __future__ import annotations

import json

import pytest

from course.core.backup import (
    FORMAT,
    HEADER_SIZE,
    BackupError,
    ChunkCipher,
    EncryptionHeader,
    Manifest,
    Member,
    WrongPassphrase,
    check_member_name,
    normalise_passphrase,
    parse_manifest,
)

DIGEST = "ab" * 32


def manifest(**changes: object) -> bytes:
    data = {
        "format": FORMAT,
        "format_version": 1,
        "database": "sqlite",
        "schema_revision": "0004",
        "created_at": "2026-12-01T03:00:00+00:00",
        "members": [{"name": "database/course.sqlite3", "size": 10, "sha256": DIGEST}],
        **changes,
    }
    return json.dumps(data).encode()


def test_a_manifest_reads_back_as_written() -> None:
    written = Manifest("postgresql", None, "now", (Member("database/course.pgdump", 3, DIGEST),))
    assert parse_manifest(written.to_json()) == written


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff", "not valid JSON"),
        (b"[]", "not a backup of this app"),
        (manifest(format_version=2), "written in backup format 2 by a newer version"),
        (manifest(format_version="1"), "no format version"),
        (manifest(database="mysql"), "unknown database kind 'mysql'"),
        (manifest(schema_revision="0004; DROP"), "malformed schema revision"),
        (manifest(members=[]), "lists no database"),
        (manifest(members=[{"name": "database/course.pgdump", "size": 1, "sha256": DIGEST}]), "lists no database"),
        (manifest(members=[{"name": "database/course.sqlite3", "size": -1, "sha256": DIGEST}]), "no valid size"),
        (manifest(members=[{"name": "database/course.sqlite3", "size": 1, "sha256": "x"}]), "no valid SHA-256"),
        (manifest(members=[{"name": "database/course.sqlite3", "size": 1, "sha256": DIGEST}] * 2), "twice"),
    ],
)
def test_a_bad_manifest_is_named(data: bytes, message: str) -> None:
    with pytest.raises(BackupError, match=message):
        parse_manifest(data)


@pytest.mark.parametrize(
    "name",
    ["database/course.sqlite3", "keys/active.pem", "keys/retired/-Abc_9.pem", "media/" + "a" * 64 + ".png",
     "instance/config.py"],
)  # fmt: skip
def test_the_places_a_backup_writes_are_accepted(name: str) -> None:
    assert check_member_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["../x", "/etc/passwd", "media/../x", "media/..", "media/.hidden", "media/a/b", "keys/retired/../active.pem",
     "media\\..\\x", "instance/other.py", "keys/other.pem", "media/", "database/other", "", 3],
)  # fmt: skip
def test_any_other_member_name_is_refused(name: object) -> None:
    with pytest.raises(BackupError):
        check_member_name(name)


def test_a_forged_header_cannot_demand_a_costly_key_derivation() -> None:
    header = EncryptionHeader(10, 8, 1, b"s" * 16, b"n" * 7, b"c" * 16).to_bytes()
    assert len(header) == HEADER_SIZE and EncryptionHeader.from_bytes(header).log2_n == 10
    costly = EncryptionHeader(30, 8, 1, b"s" * 16, b"n" * 7, b"c" * 16).to_bytes()
    with pytest.raises(BackupError, match="implausible"):
        EncryptionHeader.from_bytes(costly)
    with pytest.raises(BackupError, match="cut short"):
        EncryptionHeader.from_bytes(header[:20])


def test_a_chunk_opens_only_with_its_number_its_place_and_the_passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("course.core.backup.SCRYPT_LOG2_N", 10)
    cipher, header_bytes = ChunkCipher.for_new_archive("correct horse battery", b"s" * 16, b"n" * 7)
    sealed = cipher.seal(0, b"data", last=False)
    header = EncryptionHeader.from_bytes(header_bytes)
    assert ChunkCipher.for_existing_archive("correct horse battery", header).open(0, sealed, last=False) == b"data"
    with pytest.raises(BackupError, match="chunk 2 does not authenticate"):
        cipher.open(1, sealed, last=False)
    with pytest.raises(BackupError, match="chunk 1 does not authenticate"):
        cipher.open(0, sealed, last=True)  # a non-final chunk cannot pass for the end of the stream
    with pytest.raises(WrongPassphrase):
        ChunkCipher.for_existing_archive("correct horse battery!", header)


def test_a_passphrase_typed_with_combining_accents_is_the_same_passphrase() -> None:
    assert normalise_passphrase("Zoe\u0308") == normalise_passphrase("Zoë")
