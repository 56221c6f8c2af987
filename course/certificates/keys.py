"""The issuer's Ed25519 signing keys: the active private key in a file, every public key in the database.

The private key lives in CERTIFICATE_KEY_FILE (default: the instance folder, git-ignored, mode 0600); with
several servers, every one of them gets the same file from configuration. The database lists the public half
of every key that ever signed (table certificate_keys, by kid), so every server publishes the same keys and
verification picks the key a certificate names. Rotation (`flask certificates rotate-key`) retires the
active key, moves its file into `certificate-keys-retired/<kid>.pem` beside the active one, and starts a new
one; what the retired key signed stays valid, because its public key stays published.

A key is created only for the site's very first certificate. A missing key file is never replaced silently:
while certificates exist, or another key is the site's active one, issuing stops with `KeyUnavailable`,
whose message tells the operator which file to restore.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask, current_app

from course.certificates import operations
from course.core.certificates.signing import generate_private_key, key_id, private_key_from_pem, private_key_to_pem
from course.models import utcnow

KEY_FILE_NAME = "certificate-signing-key.pem"
RETIRED_DIR_NAME = "certificate-keys-retired"

log = logging.getLogger(__name__)


class KeyUnavailable(RuntimeError):
    """Signing is refused until an operator acts; the message says what to restore or run."""


def key_path(app: Flask) -> Path:
    """The active private key's file (CERTIFICATE_KEY_FILE, default in the instance folder)."""
    configured = app.config.get("CERTIFICATE_KEY_FILE")
    return Path(configured) if configured else Path(app.instance_path) / KEY_FILE_NAME


def retired_dir(app: Flask) -> Path:
    """Where `flask certificates rotate-key` moves retired private keys (`<kid>.pem`), beside the active one."""
    return key_path(app).parent / RETIRED_DIR_NAME


def key_files(app: Flask) -> list[Path]:
    """Every existing file holding signing-key material: the active private key, then the retired ones.

    What a backup must contain besides the database (which holds only public keys).
    """
    active = key_path(app)
    files = [active] if active.is_file() else []
    folder = retired_dir(app)
    if folder.is_dir():
        files.extend(sorted(path for path in folder.glob("*.pem") if path.is_file()))
    return files


def read_key(path: Path) -> Ed25519PrivateKey | None:
    """The private key in `path`, None if there is no such file; KeyUnavailable if it is not a key."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise KeyUnavailable(f"The certificate signing key file {path} cannot be read: {error}") from None
    try:
        return private_key_from_pem(data)
    except (ValueError, TypeError) as error:
        raise KeyUnavailable(f"The certificate signing key file {path} holds no Ed25519 private key: {error}") from None


def _write_new_key(path: Path) -> Ed25519PrivateKey:
    """A new key in a file that did not exist (mode 0600); FileExistsError if another process was first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    key = generate_private_key()
    with os.fdopen(descriptor, "wb") as file:
        file.write(private_key_to_pem(key))
        file.flush()
        os.fsync(file.fileno())
    return key


def _refuse(message: str) -> KeyUnavailable:
    log.error("Certificates cannot be issued: %s", message)
    return KeyUnavailable(message)


def signing_key() -> Ed25519PrivateKey:
    """The key to sign with now: the key file's, if it is the site's active key (registered on first use).

    Creates the key file only when the site has neither certificates nor an active key. Raises
    KeyUnavailable when the file is missing or holds another key than the site's active one. The caller
    commits (a first use registers the key's public half).
    """
    path = key_path(current_app)
    private = read_key(path)
    active = operations.active_key_row()
    if private is None:
        if active is not None:
            raise _refuse(
                f"the key file {path} is missing, but the site's active signing key is {active.kid}. Restore that "
                "file from a backup (or copy it from another server of this site); if it is lost for good, run "
                "`flask certificates rotate-key`: certificates it signed stay valid, its public key stays published."
            )
        last_kid = operations.latest_certificate_key_id()
        if last_kid is not None:
            raise _refuse(
                f"the key file {path} is missing, and certificates signed with key {last_kid} exist. Restore that "
                "file from a backup; if it is lost for good, run `flask certificates rotate-key` to start a new key."
            )
        try:
            private = _write_new_key(path)
            log.info("Created the certificate signing key %s in %s", key_id(private.public_key()), path)
        except FileExistsError:  # another process was first
            private = read_key(path)
            if private is None:
                raise _refuse(f"the key file {path} vanished while it was being created") from None
    kid = key_id(private.public_key())
    if active is None:
        known = operations.key_row(kid)
        if known is not None and known.retired_at is not None:
            raise _refuse(
                f"the key file {path} holds key {kid}, retired on {known.retired_at:%Y-%m-%d}. Install the "
                "site's active key file, or run `flask certificates rotate-key` to start a new key."
            )
        operations.register_key(private.public_key())
    elif active.kid != kid:
        raise _refuse(
            f"the key file {path} holds key {kid}, but the site's active signing key is {active.kid}: every server "
            "of the site needs the same key file. Copy the active key's file here."
        )
    return private


@dataclass(frozen=True)
class Rotation:
    retired: list[str]  # kids retired now
    new_kid: str
    moved_to: Path | None  # where the old private key file went, if there was one


def rotate(app: Flask) -> Rotation:
    """Retire the active key (its public key stays published) and start a new one; the caller commits.

    The database rows are written before the files are swapped. Works when the active key file is lost too:
    that is how an operator recovers from a lost key.
    """
    path = key_path(app)
    old = read_key(path)
    now = utcnow()
    if old is not None and operations.key_row(key_id(old.public_key())) is None:
        operations.register_key(old.public_key())  # it may have signed before keys were recorded
    retired = operations.retire_active_keys(now)
    pending = path.with_name(path.name + ".new")
    pending.unlink(missing_ok=True)  # a rotation that failed before the swap left it; it never signed
    new = _write_new_key(pending)
    new_kid = key_id(new.public_key())
    operations.register_key(new.public_key())
    moved_to = None
    if old is not None:
        folder = retired_dir(app)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        moved_to = folder / f"{key_id(old.public_key())}.pem"
        os.replace(path, moved_to)
    os.replace(pending, path)
    log.info("Rotated the certificate signing key: retired %s, new %s", ", ".join(retired) or "none", new_kid)
    return Rotation(retired=retired, new_kid=new_kid, moved_to=moved_to)
