"""Heading anchors that stay readable for German headings (ä → ae, ß → ss)."""

from __future__ import annotations

import re
import unicodedata

_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def slugify(value: str, separator: str = "-") -> str:
    """Lowercase ASCII slug: umlauts spelled out, other accents dropped, runs of other chars → '-'."""
    value = value.lower().translate(_GERMAN)
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return _NOT_ALNUM.sub(separator, value).strip(separator)
