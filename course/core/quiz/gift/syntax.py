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


def decode(data: bytes) -> tuple[str, str | None, int | None]:
    """A GIFT file's bytes as text, with a note (and its line) when the encoding had to be guessed.

    UTF-8 is what Moodle writes and reads; a byte-order mark is dropped, and UTF-16 (Windows' "Unicode") is
    recognised by its mark. Anything else is read as Windows-1252, the superset of Latin-1 in which older Moodle
    exports and Windows editors save German text, and noted from the first line that is not UTF-8, since the guess
    may be wrong. A file with NUL bytes (and no UTF-16 mark) is no text at all: GiftError.
    """
    for mark, codec in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(mark):
            try:
                return data[len(mark) :].decode(codec), None, None
            except UnicodeDecodeError:
                raise GiftError(f"the file starts like UTF-16 text but is not ({codec})") from None
    if b"\x00" in data:
        raise GiftError("the file is not text (it holds NUL bytes): save it as UTF-8 text")
    try:
        return data.decode("utf-8-sig"), None, None
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:  # one of the five bytes Windows-1252 leaves undefined: Latin-1 maps every byte
        text = data.decode("latin-1")
    note = "not UTF-8: read as Windows-1252 (Latin-1); check umlauts, ß and € from here on"
    return text.removeprefix("\ufeff"), note, line


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
