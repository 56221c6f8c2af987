"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json.

The document itself is data, kept in openapi.yaml beside this module; this only reads it, once.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from course.core.text.yamldoc import safe_load

DOCUMENT = Path(__file__).with_name("openapi.yaml")


@cache
def openapi_document() -> dict:
    """The document as a dict, read once: it never changes while the app runs (callers must not mutate it)."""
    document = safe_load(DOCUMENT.read_text(encoding="utf-8"))
    if not isinstance(document, dict) or "openapi" not in document:
        raise ValueError(f"{DOCUMENT} is not an OpenAPI document")
    return document
