"""GIFT's syntax, shared by reading and writing: escapes, question blocks, format names, answer weights.

Reading (reader.py) and writing (exporter.py) must agree on exactly these rules, so they live in one place.
Escaped characters are swapped for placeholders (`protect`) while the structure is split on the unescaped
ones, then swapped back (`restore`).
"""

from __future__ import annotations

import re

FORMATS = ("html", "moodle", "plain", "markdown")
#: Moodle's answer-weight regex (qformat_gift::readquestion); the sign and decimals are captured here
WEIGHT = re.compile(r"^%(-*)([0-9]{1,2}\.?[0-9]*)%")

_ESCAPE = re.compile(r"\\([\\~=#{}:n])")
_SPECIAL = "\\~=#{}:"
# Escaped characters become Unicode noncharacters while the structure is parsed (Moodle uses "&&058;"
# placeholders); noncharacters are meant for exactly this internal use and never appear in real text.
_PLACEHOLDERS = {char: chr(0xFDD0 + index) for index, char in enumerate("~=#{}:\n")}
_RESTORE = str.maketrans({placeholder: char for char, placeholder in _PLACEHOLDERS.items()})
_PHP_WHITESPACE = " \t\n\r\0\x0b"  # what PHP's trim() removes (Python's strip() removes more)


class GiftError(ValueError):
    """A GIFT file or a quiz that cannot be converted at all; the message says why."""


class Skip(Exception):  # noqa: N818 - control flow inside the gift package, never escapes it
    """A question that cannot be converted (either way); `reason` says why."""

    def __init__(self, reason: str, gift_type: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.gift_type = gift_type


def escape(text: str) -> str:
    """Text → GIFT: `\\ ~ = # { } :` get a backslash, a newline becomes `\\n` (carriage returns go)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join("\\" + char if char in _SPECIAL else "\\n" if char == "\n" else char for char in text)


def unescape(text: str) -> str:
    """GIFT → text: `\\~ \\= \\# \\{ \\} \\:` are literals, `\\n` a newline, `\\\\` a backslash; other `\\` stay."""
    return restore(protect(text))


def protect(text: str) -> str:
    """Escaped characters → placeholders, so the structure can be split on the unescaped ones."""

    def replace(match: re.Match[str]) -> str:
        char = match.group(1)
        return "\\" if char == "\\" else _PLACEHOLDERS["\n" if char == "n" else char]

    return _ESCAPE.sub(replace, text)


def restore(text: str) -> str:
    """Placeholders → the characters they stand for, once the structure has been split."""
    return text.translate(_RESTORE)


def trim(text: str) -> str:
    """Trim as PHP does, since Moodle does: only the whitespace PHP's trim() removes."""
    return text.strip(_PHP_WHITESPACE)


def split_blocks(text: str) -> list[list[tuple[int, str]]]:
    """Lines grouped into questions: a blank line ends one. Lines are trimmed, as Moodle does."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = trim(raw)
        if line:
            current.append((number, line))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def format_percent(value: float) -> str:
    """A weight in percent as GIFT and our notes write it: at most five decimals, no trailing zeros."""
    return f"{value:.5f}".rstrip("0").rstrip(".")
