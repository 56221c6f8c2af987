"""Colours and their contrast, so a site's own accent colour is checked against WCAG AA before any page shows it.

An organisation gives one accent colour (or one per colour scheme); the shades the stylesheet needs (hover, the
text on a button, the soft background of a highlighted box) are derived from it here, each chosen so that it
keeps the contrast the accent has. The contrast ratio is WCAG 2's: (L1 + 0.05) / (L2 + 0.05) with L the relative
luminance of sRGB colours, 1:1 for equal colours to 21:1 for black on white.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

AA_TEXT = 4.5  # WCAG 2 AA, normal-size text (1.4.3); buttons and links are normal-size text here
_HEX = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_SOFT_MIXES = tuple(step / 100 for step in range(12, -1, -1))  # the share of the accent in a soft background
_TINT_STEPS = tuple(step / 20 for step in range(21))  # how far a light accent is mixed towards white for dark pages


class ColourError(ValueError):
    """A colour that is not written as #rgb or #rrggbb."""


@dataclass(frozen=True)
class Colour:
    """An sRGB colour, each channel 0 to 255."""

    red: int
    green: int
    blue: int

    @property
    def hex(self) -> str:
        return f"#{self.red:02x}{self.green:02x}{self.blue:02x}"


WHITE = Colour(255, 255, 255)
BLACK = Colour(0, 0, 0)


def parse(text: object) -> Colour:
    """A colour from '#0b5cad' or its short form '#06c'; anything else raises ColourError."""
    match = _HEX.fullmatch(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ColourError(f"{text!r} is not a colour written as #rrggbb or #rgb")
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    return Colour(*(int(digits[start : start + 2], 16) for start in (0, 2, 4)))


def relative_luminance(colour: Colour) -> float:
    """WCAG 2's relative luminance: 0 for black, 1 for white."""

    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(colour.red) + 0.7152 * linear(colour.green) + 0.0722 * linear(colour.blue)


def contrast_ratio(first: Colour, second: Colour) -> float:
    """WCAG 2's contrast ratio, from 1 (the same luminance) to 21 (black and white); the order does not matter."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def mix(colour: Colour, other: Colour, share: float) -> Colour:
    """`share` of `colour` and the rest of `other`, channel by channel in sRGB (as a designer's tint or shade)."""

    def channel(own: int, theirs: int) -> int:
        return round(own * share + theirs * (1 - share))

    return Colour(channel(colour.red, other.red), channel(colour.green, other.green), channel(colour.blue, other.blue))


@dataclass(frozen=True)
class Scheme:
    """A colour scheme's own colours, which the accent must stand out against: the page, cards, body text."""

    name: str
    background: Colour
    surface: Colour
    text: Colour

    @property
    def is_dark(self) -> bool:
        return relative_luminance(self.background) < relative_luminance(WHITE) / 2


@dataclass(frozen=True)
class Shades:
    """The accent and what the stylesheet derives from it: a hover shade further from the page, the text on an
    accent button, and a soft background for highlighted boxes."""

    accent: Colour
    strong: Colour
    text: Colour
    soft: Colour


@dataclass(frozen=True)
class Check:
    """One pair of colours a page shows together, with its contrast ratio."""

    what: str
    ratio: float

    @property
    def passed(self) -> bool:
        return self.ratio >= AA_TEXT


def shades(accent: Colour, scheme: Scheme) -> Shades:
    """The accent's shades for `scheme`, each keeping at least the contrast the accent itself has."""
    away = WHITE if scheme.is_dark else BLACK
    strong = mix(accent, away, 0.7 if scheme.is_dark else 0.8)
    ink = min(scheme.text, scheme.background, key=relative_luminance)  # the scheme's darkest colour
    text = max((WHITE, ink), key=lambda candidate: contrast_ratio(candidate, accent))
    for share in _SOFT_MIXES:  # as much tint as still keeps every text on it readable; 0 is the plain surface
        soft = mix(accent, scheme.surface, share)
        if min(contrast_ratio(soft, colour) for colour in (accent, strong, scheme.text)) >= AA_TEXT:
            break
    return Shades(accent, strong, text, soft)


def checks(colours: Shades, scheme: Scheme) -> list[Check]:
    """Every pair of the accent's shades with the scheme's colours that pages show as text on a background."""
    pairs = [
        ("links on the page background", colours.accent, scheme.background),
        ("links on cards", colours.accent, scheme.surface),
        ("button text on the accent", colours.text, colours.accent),
        ("button text on the hover shade", colours.text, colours.strong),
        ("the hover shade on cards", colours.strong, scheme.surface),
        ("links in highlighted boxes", colours.accent, colours.soft),
        ("text in highlighted boxes", scheme.text, colours.soft),
    ]
    return [Check(what, contrast_ratio(foreground, background)) for what, foreground, background in pairs]


def failures(accent: Colour, scheme: Scheme) -> list[Check]:
    """The checks the accent fails on `scheme`: none means it meets WCAG AA there."""
    return [check for check in checks(shades(accent, scheme), scheme) if not check.passed]


def dark_variant(accent: Colour, scheme: Scheme) -> Colour:
    """The accent for a dark scheme when only one is given: the least tint towards white that passes there."""
    for share in _TINT_STEPS:
        tint = mix(WHITE, accent, share)
        if not failures(tint, scheme):
            return tint
    return WHITE  # passes on any dark scheme with readable text; where even white fails, the caller's check refuses
