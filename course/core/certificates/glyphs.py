"""Which characters a certificate can print, read from the bundled fonts' character maps alone.

Pages that only warn about a name the PDF cannot draw, or preview the certificate as it will print, need just
this; the drawing itself (fpdf2 with fontTools' subsetter, tens of MB per process) loads only where a PDF is
drawn, which since PDFs are kept from issue is once per certificate.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

from fontTools import ttLib

FONT_DIR = Path(__file__).resolve().parent / "fonts"
SANS = ("sans", "", "DejaVuSans.ttf")
SERIF_BOLD = ("serif", "B", "DejaVuSerif-Bold.ttf")
FONTS = (SANS, SERIF_BOLD)

# Latin (with extensions and Vietnamese), combining marks, Greek, Cyrillic, and the punctuation,
# currency and letterlike signs that dates, results and translated labels use.
SUPPORTED_RANGES = (
    (0x0020, 0x007E),
    (0x00A0, 0x024F),
    (0x02B0, 0x036F),
    (0x0370, 0x03FF),
    (0x0400, 0x052F),
    (0x1E00, 0x1EFF),
    (0x1F00, 0x1FFF),
    (0x2010, 0x205E),
    (0x20A0, 0x20C0),
    (0x2100, 0x214F),
    (0xFFFD, 0xFFFD),
)
# The letters of most European names and labels: a smaller font cut, loaded faster per document.
COMMON_RANGES = (
    (0x0020, 0x007E),
    (0x00A0, 0x017F),
    (0x0218, 0x021B),
    (0x0370, 0x03CE),
    (0x0400, 0x045F),
    (0x2010, 0x2026),
    (0x20AC, 0x20AC),
    (0x2116, 0x2116),
    (0xFFFD, 0xFFFD),
)
REPLACEMENT = "\ufffd"


@cache
def covered_codepoints(ranges: tuple[tuple[int, int], ...] = SUPPORTED_RANGES) -> frozenset[int]:
    """The characters of `ranges` every bundled font has: exactly what the font cut for those ranges draws
    (tested against the cut, not assumed from the ranges)."""
    covered = {codepoint for start, end in ranges for codepoint in range(start, end + 1)}
    for _family, _style, filename in FONTS:
        with ttLib.TTFont(FONT_DIR / filename, lazy=True) as font:
            covered &= set(font.getBestCmap())
    return frozenset(covered)


def unsupported_characters(text: str) -> set[str]:
    """Characters of `text` the certificate cannot draw (they print as U+FFFD), e.g. CJK, Arabic, emoji."""
    covered = covered_codepoints()
    return {char for char in normalise(text) if ord(char) not in covered}


_BREAKING_SPACE = re.compile(r"[^\S\u00a0\u202f]+")  # any run of whitespace but the no-break spaces


def normalise(text: str) -> str:
    """NFC on one line, without control and format characters: how every text of the certificate is set."""
    text = _BREAKING_SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()
    return "".join(char for char in text if unicodedata.category(char) not in ("Cc", "Cf"))


def printable(text: str) -> str:
    """`text` as the certificate draws it: NFC, one line, unsupported characters replaced by U+FFFD."""
    covered = covered_codepoints()
    return "".join(char if ord(char) in covered else REPLACEMENT for char in normalise(text)).strip()
