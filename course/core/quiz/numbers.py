"""Numbers as learners type them in German or English, and as the review shows them."""

from __future__ import annotations

import re

from course.core.errors import N_
from course.core.quiz.model import AnswerError

_SEPARATORS = {"de": (".", ","), "en": (",", ".")}  # (thousands, decimal)
_NUMBER = re.compile(r"^[+-]?[0-9][0-9.,]*$|^[+-]?[.,][0-9]+$")
_NOISE = re.compile(r"[\s\u00a0\u202f'’€$%]|euro|eur|usd|chf", re.I)
MAX_LENGTH = 40


def parse_number(text: str, lang: str) -> float:
    """Read `text` with `lang`'s separators; a lone separator before exactly three digits groups thousands."""
    if len(text) > MAX_LENGTH:
        raise AnswerError(N_("A number has at most %(limit)d characters."), limit=MAX_LENGTH)
    cleaned = _NOISE.sub("", text).replace("−", "-")
    if not cleaned or not _NUMBER.match(cleaned):
        raise AnswerError(N_("That is not a number."))
    thousands, decimal = _SEPARATORS.get(lang, _SEPARATORS["en"])
    has_dot, has_comma = "." in cleaned, "," in cleaned
    if has_dot and has_comma:
        last = max(cleaned.rfind("."), cleaned.rfind(","))
        decimal = cleaned[last]
        thousands = "," if decimal == "." else "."
        integer, fraction = cleaned[:last], cleaned[last + 1 :]
        if decimal in integer or not _grouped(integer, thousands):
            raise AnswerError(N_("That is not a number."))
        return float(integer.replace(thousands, "") + "." + fraction)
    separator = "." if has_dot else "," if has_comma else None
    if separator is None:
        return float(cleaned)
    parts = cleaned.split(separator)
    if len(parts) > 2 or (separator == thousands and all(len(p) == 3 for p in parts[1:])):
        if not _grouped(cleaned, separator):
            raise AnswerError(N_("That is not a number."))
        return float(cleaned.replace(separator, ""))
    return float(cleaned.replace(separator, "."))


def _grouped(integer: str, thousands: str) -> bool:
    """Thousands groups are valid: 1–3 leading digits, then groups of exactly three."""
    digits = integer.lstrip("+-")
    if thousands not in digits:
        return digits.isdigit()
    head, *groups = digits.split(thousands)
    return 1 <= len(head) <= 3 and head.isdigit() and all(len(g) == 3 and g.isdigit() for g in groups)


def format_number(value: float, lang: str) -> str:
    """`6000` → "6.000" (de) or "6,000" (en); decimals only where the value has them."""
    thousands, decimal = _SEPARATORS.get(lang, _SEPARATORS["en"])
    text = f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"
    return text.replace(",", "\x00").replace(".", decimal).replace("\x00", thousands)
