"""Writing and reading backup archives as streams: tar.gz, optionally sealed with a passphrase.

Neither direction holds an archive in memory: the tar is written through the encryption into the file
chunk by chunk, and a restore decrypts, unpacks and checks each member on its way to the staging folder.
Members are never extracted by tarfile: each is copied, as bytes, to a name this module chooses, so links,
devices and `../` paths in a hostile archive have nothing to act on.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import shutil
import tarfile
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from course.core.backup import (
    CHUNK_SIZE,
    HEADER_SIZE,
    MANIFEST_NAME,
    MAX_MANIFEST_BYTES,
    TAG_SIZE,
    BackupError,
    ChunkCipher,
    EncryptionHeader,
    Manifest,
    Member,
    parse_manifest,
)

_COPY_BUFFER = 1024 * 1024


class EncryptingWriter(io.RawIOBase):
    """A write-only stream that seals what it is given in chunks; `finish` writes the last chunk."""

    def __init__(self, target: BinaryIO, cipher: ChunkCipher, header: bytes) -> None:
        self._target, self._cipher = target, cipher
        self._buffer = bytearray()
        self._index = 0
        target.write(header)

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._buffer += data
        while len(self._buffer) >= CHUNK_SIZE:  # a full chunk is never the last one: the last is shorter
            self._target.write(self._cipher.seal(self._index, bytes(self._buffer[:CHUNK_SIZE]), last=False))
            del self._buffer[:CHUNK_SIZE]
            self._index += 1
        return len(data)

    def finish(self) -> None:
        self._target.write(self._cipher.seal(self._index, bytes(self._buffer), last=True))
        self._buffer.clear()


class DecryptingReader(io.RawIOBase):
    """A read-only stream of an encrypted archive's plaintext; a damaged or cut-short file raises BackupError."""

    def __init__(self, source: BinaryIO, passphrase: str) -> None:
        header = EncryptionHeader.from_bytes(_read_exactly(source, HEADER_SIZE))
        self._source = source
        self._cipher = ChunkCipher.for_existing_archive(passphrase, header)
        self._plain = b""
        self._index = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._plain and not self._done:
            sealed = _read_exactly(self._source, CHUNK_SIZE + TAG_SIZE)
            last = len(sealed) < CHUNK_SIZE + TAG_SIZE
            if last and len(sealed) < TAG_SIZE:
                raise BackupError("it is cut short: the encrypted data ends before its last chunk")
            self._plain = self._cipher.open(self._index, sealed, last=last)
            self._index += 1
            self._done = last
        count = min(len(buffer), len(self._plain))
        buffer[:count] = self._plain[:count]
        self._plain = self._plain[count:]
        return count


def _read_exactly(source: BinaryIO, size: int) -> bytes:
    """Up to `size` bytes; fewer only at the end of the file (a pipe may hand out less per read)."""
    parts, missing = [], size
    while missing:
        part = source.read(missing)
        if not part:
            break
        parts.append(part)
        missing -= len(part)
    return b"".join(parts)


def sha256_of(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as file:
        while block := file.read(_COPY_BUFFER):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


def write_archive(
    out: BinaryIO, database: str, schema_revision: str | None, created_at: str, files: Iterable[tuple[str, Path]]
) -> Manifest:
    """Write manifest.json, then every (member name, file) as a tar.gz into `out`; return the manifest.

    The files are hashed first so the manifest can lead the archive; each is hashed again as it is
    copied, and a file that changed in between fails the backup instead of writing a wrong checksum.
    """
    listed = [(name, path, *sha256_of(path)) for name, path in files]
    manifest = Manifest(database, schema_revision, created_at, tuple(Member(n, s, d) for n, _p, s, d in listed))
    manifest_bytes = manifest.to_json()
    with tarfile.open(fileobj=out, mode="w|gz", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(_tar_info(MANIFEST_NAME, len(manifest_bytes)), io.BytesIO(manifest_bytes))
        for name, path, size, digest in listed:
            with path.open("rb") as file:
                checked = _CheckedReader(file, name)
                tar.addfile(_tar_info(name, size), checked)
                checked.verify(size, digest)
    return manifest


def _tar_info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, 0
    return info


class _CheckedReader:
    """Hands tarfile a file's bytes and remembers their SHA-256."""

    def __init__(self, file: BinaryIO, name: str) -> None:
        self._file, self._name = file, name
        self._digest, self._size = hashlib.sha256(), 0

    def read(self, size: int = -1) -> bytes:
        data = self._file.read(size)
        self._digest.update(data)
        self._size += len(data)
        return data

    def verify(self, size: int, digest: str) -> None:
        if self._file.read(1) or self._size != size or self._digest.hexdigest() != digest:
            raise BackupError(f"{self._name} changed while the backup was written; run the backup again")


def read_archive(source: BinaryIO, staging: Path) -> tuple[Manifest, dict[str, Path]]:
    """Unpack an archive stream into `staging`, checking each member against the manifest.

    Returns the manifest and member name → staged file. Anything unexpected raises BackupError.
    """
    try:
        with tarfile.open(fileobj=source, mode="r|*") as tar:
            return _read_members(tar, staging)
    except BackupError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise BackupError(f"it is not a backup archive, or it is damaged or cut short ({error})") from None


def _read_members(tar: tarfile.TarFile, staging: Path) -> tuple[Manifest, dict[str, Path]]:
    first = tar.next()
    if first is None or first.name != MANIFEST_NAME or not first.isreg():
        raise BackupError("it is not a backup archive of this app (it does not start with manifest.json)")
    if first.size > MAX_MANIFEST_BYTES:
        raise BackupError("its manifest.json is implausibly large")
    manifest = parse_manifest(_read_member(tar, first))
    needed = sum(member.size for member in manifest.members)
    free = shutil.disk_usage(staging).free
    if needed > free:
        raise BackupError(f"it needs {needed:,} bytes to unpack, but {staging.parent} has only {free:,} free")
    staged: dict[str, Path] = {}
    while (info := tar.next()) is not None:  # iterating the TarFile would yield the manifest again
        listed = manifest.member(info.name)
        if listed is None or info.name in staged:
            raise BackupError(f"it holds a member its manifest does not list: {info.name[:200]!r}")
        if not info.isreg():
            raise BackupError(f"its member {info.name} is a link or special file, not a plain file")
        if info.size != listed.size:
            raise BackupError(f"its member {info.name} has {info.size:,} bytes, the manifest says {listed.size:,}")
        target = staging / f"{len(staged):06d}"
        _copy_member(tar, info, target, listed)
        staged[info.name] = target
    missing = [member.name for member in manifest.members if member.name not in staged]
    if missing:
        raise BackupError(f"it is incomplete or cut short: {len(missing)} member(s) missing, e.g. {missing[0]}")
    return manifest, staged


def _read_member(tar: tarfile.TarFile, info: tarfile.TarInfo) -> bytes:
    file = tar.extractfile(info)
    data = file.read() if file else b""
    if len(data) != info.size:
        raise BackupError("it is cut short inside manifest.json")
    return data


def _copy_member(tar: tarfile.TarFile, info: tarfile.TarInfo, target: Path, listed: Member) -> None:
    file = tar.extractfile(info)
    digest, size = hashlib.sha256(), 0
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        while file is not None and (block := file.read(_COPY_BUFFER)):
            digest.update(block)
            size += len(block)
            out.write(block)
    if size != listed.size:
        raise BackupError(f"it is cut short inside member {info.name}")
    if digest.hexdigest() != listed.sha256:
        raise BackupError(f"its member {info.name} does not match its checksum: the archive is damaged")
