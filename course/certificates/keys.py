"""The issuer's Ed25519 signing key: read from the instance folder, created there on first use if absent.

The key file is never committed (the instance folder is git-ignored) and is written with mode 0600. Two
processes starting at once both try to create it exclusively; the loser reads the winner's key.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask, current_app

from course.core.certificates.signing import generate_private_key, private_key_from_pem, private_key_to_pem

KEY_FILE_NAME = "certificate-signing-key.pem"


def key_path(app: Flask) -> Path:
    configured = app.config.get("CERTIFICATE_KEY_FILE")
    return Path(configured) if configured else Path(app.instance_path) / KEY_FILE_NAME


def load_or_create(path: Path) -> Ed25519PrivateKey:
    try:
        return private_key_from_pem(path.read_bytes())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process was first
        return private_key_from_pem(path.read_bytes())
    key = generate_private_key()
    with os.fdopen(descriptor, "wb") as file:
        file.write(private_key_to_pem(key))
    return key


def signing_key() -> Ed25519PrivateKey:
    """The app's signing key, loaded once per process."""
    key = current_app.extensions.get("certificate_key")
    if key is None:
        key = load_or_create(key_path(current_app))
        current_app.extensions["certificate_key"] = key
    return key
