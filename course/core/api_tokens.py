"""API tokens for other systems (an HR system's script): their format, their scopes, and the hash that is stored.

A token reads `kamc_<prefix>_<secret>`: the fixed start lets secret scanners and people recognise it, the prefix
names it in lists and logs without revealing it, and only the SHA-256 of the whole token is kept, so the database
cannot hand out a working token. Randomness is passed in, so tests can make tokens with a seeded generator.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

START = "kamc"
PREFIX_LENGTH = 8
SECRET_BYTES = 32
# What a token may do. "users:write" lets a token add and remove group members (the only changes the API offers).
SCOPES = ("users:read", "progress:read", "certificates:read", "users:write")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_FORMAT = re.compile(rf"^{START}_([a-z0-9]{{{PREFIX_LENGTH}}})_([A-Za-z0-9_-]{{20,100}})$")


def make(token_bytes: Callable[[int], bytes], choice: Callable[[str], str]) -> tuple[str, str]:
    """A new token and its prefix; `token_bytes` and `choice` are `secrets.token_bytes` and `secrets.choice`."""
    prefix = "".join(choice(_ALPHABET) for _ in range(PREFIX_LENGTH))
    secret = token_bytes(SECRET_BYTES).hex()
    return f"{START}_{prefix}_{secret}", prefix


def prefix_of(token: str) -> str | None:
    """The prefix of a well-formed token, else None (anything else is not one of ours)."""
    match = _FORMAT.match(token)
    return match.group(1) if match else None


def digest(token: str) -> str:
    """What is stored: the SHA-256 of the whole token, hex. A token has 256 random bits, so no salt or slow hash is
    needed (nobody can try guesses against it faster than against the API)."""
    return hashlib.sha256(token.encode()).hexdigest()


def unknown_scopes(scopes: list[str]) -> list[str]:
    return [scope for scope in scopes if scope not in SCOPES]
