"""The tool's RSA key for LTI 1.3: it signs deep-linking responses and the client assertions that fetch service
tokens (grades, rosters); platforms check those signatures against the public half, published at /lti/jwks.json.

The private key lives in LTI_KEY_FILE (default: lti-tool-key.pem in the instance folder, git-ignored, mode 0600),
created on first use. With several servers, every one gets the same file from configuration (a server with its
own key would sign what the platforms cannot check). The key id is the RFC 7638 thumbprint of the public key, so
every server names the same key the same way.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, current_app

from course.core import caching

if TYPE_CHECKING:
    from jwcrypto.jwk import JWK

KEY_FILE_NAME = "lti-tool-key.pem"

log = logging.getLogger(__name__)


def key_path(app: Flask) -> Path:
    configured = app.config.get("LTI_KEY_FILE")
    return Path(configured) if configured else Path(app.instance_path) / KEY_FILE_NAME


def _create(path: Path) -> None:
    """A new key in a file that did not exist (mode 0600); another process that was first wins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
        file.flush()
        os.fsync(file.fileno())
    log.info("Created the LTI tool key in %s", path)


_KEYS: caching.Cache[JWK] = caching.cache("lti.tool-key", 4)  # by (file, modification time)


def tool_key() -> JWK:
    """The tool's private key, created on first use. jwcrypto is imported here: a site without LTI platforms
    never needs it, and it weighs about 10 MB per process."""
    from jwcrypto import jwk

    path = key_path(current_app)
    if not path.is_file():
        _create(path)
    return _KEYS.get_or_compute((str(path), path.stat().st_mtime), lambda: jwk.JWK.from_pem(path.read_bytes()))


def key_id() -> str:
    return tool_key().thumbprint()


def private_key_pem() -> str:
    """The private key in PEM, as pylti1p3's ToolConfig takes it."""
    return tool_key().export_to_pem(private_key=True, password=None).decode()


def public_key_pem() -> str:
    return tool_key().export_to_pem().decode()


def jwks() -> dict:
    """The public key set platforms fetch (/lti/jwks.json)."""
    public = tool_key().export_public(as_dict=True)
    return {"keys": [{**public, "kid": key_id(), "alg": "RS256", "use": "sig"}]}
