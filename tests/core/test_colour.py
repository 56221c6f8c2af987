"""Colour contrast in the core: WCAG 2's luminance and ratio, the accent's derived shades, and the promise that a
shade derived from an accepted accent never fails where the accent passes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from course.core.colour import (
    AA_TEXT,
    BLACK,
    WHITE,
    Colour,
    ColourError,
    Scheme,
    checks,
    contrast_ratio,
    dark_variant,
    failures,
    mix,
    parse,
    relative_luminance,
    shades,
)

# app.css's colour schemes (the web layer's copy is checked against the file in tests/web/test_branding_look.py).
LIGHT = Scheme("light", parse("#fbfbf9"), parse("#ffffff"), parse("#1c1f23"))
DARK = Scheme("dark", parse("#121417"), parse("#1b1e22"), parse("#e8eaed"))
colours = st.builds(Colour, *(st.integers(0, 255) for _ in range(3)))
# The first three checks are about the accent itself; the rest about the shades derived from it.
OWN_CHECKS = {"links on the page background", "links on cards", "button text on the accent"}


@pytest.mark.parametrize(
    ("text", "colour"),
    [("#0b5cad", Colour(11, 92, 173)), ("#06C", Colour(0, 102, 204)), (" #FFFFFF ", WHITE), ("#000", BLACK)],
)
def test_hex_colours_in_long_and_short_form(text: str, colour: Colour) -> None:
    assert parse(text) == colour


@pytest.mark.parametrize("text", ["0b5cad", "#0b5ca", "#0b5cadff", "blue", "#ggg", "", None, 42, "rgb(0,0,0)"])
def test_anything_but_a_hex_colour_is_refused(text: object) -> None:
    with pytest.raises(ColourError, match="is not a colour written as #rrggbb or #rgb"):
        parse(text)


def test_luminance_and_ratio_of_known_colours() -> None:
    assert relative_luminance(BLACK) == 0
    assert relative_luminance(WHITE) == pytest.approx(1)
    assert contrast_ratio(WHITE, BLACK) == pytest.approx(21)
    assert contrast_ratio(parse("#777"), WHITE) == pytest.approx(4.48, abs=0.01)  # the well-known near miss
    assert contrast_ratio(parse("#0b5cad"), WHITE) == pytest.approx(6.67, abs=0.01)


@given(colours, colours)
def test_the_ratio_is_symmetric_and_between_1_and_21(first: Colour, second: Colour) -> None:
    ratio = contrast_ratio(first, second)
    assert ratio == pytest.approx(contrast_ratio(second, first))
    assert 1 <= ratio <= 21 + 1e-9
    assert contrast_ratio(first, first) == 1


@given(colours)
def test_black_or_white_always_reaches_aa(colour: Colour) -> None:
    assert max(contrast_ratio(colour, WHITE), contrast_ratio(colour, BLACK)) >= AA_TEXT


def test_mixing_takes_a_share_of_each() -> None:
    assert mix(WHITE, BLACK, 1) == WHITE and mix(WHITE, BLACK, 0) == BLACK
    assert mix(WHITE, BLACK, 0.5) == Colour(128, 128, 128)


def test_the_built_in_accents_pass_and_their_shades_resemble_app_css() -> None:
    assert failures(parse("#0b5cad"), LIGHT) == [] and failures(parse("#7fb6f2"), DARK) == []
    light = shades(parse("#0b5cad"), LIGHT)
    assert (light.strong.hex, light.text.hex) == ("#094a8a", "#ffffff")  # app.css: #084a8c, #ffffff
    assert contrast_ratio(light.soft, parse("#e6f0fa")) < 1.1  # a pale tint like app.css's
    assert shades(parse("#7fb6f2"), DARK).text == DARK.background  # dark text on a light accent


@pytest.mark.parametrize(
    ("accent", "scheme", "failed"),
    [
        ("#ffcc00", LIGHT, "links on the page background"),  # yellow on white
        ("#00a19a", LIGHT, "links on cards"),  # a mid teal: 3.2:1
        ("#0b5cad", DARK, "links on the page background"),  # the light accent on dark pages
    ],
)
def test_an_accent_without_enough_contrast_fails(accent: str, scheme: Scheme, failed: str) -> None:
    found = failures(parse(accent), scheme)
    assert failed in {check.what for check in found}
    assert all(check.ratio < AA_TEXT for check in found)


@given(colours, st.sampled_from([LIGHT, DARK]))
def test_shades_of_a_passing_accent_pass_too(accent: Colour, scheme: Scheme) -> None:
    own = [check for check in checks(shades(accent, scheme), scheme) if check.what in OWN_CHECKS]
    if all(check.passed for check in own):
        assert failures(accent, scheme) == []


@given(colours)
def test_the_dark_variant_of_any_colour_passes_on_dark_pages(accent: Colour) -> None:
    variant = dark_variant(accent, DARK)
    assert failures(variant, DARK) == []
    assert relative_luminance(variant) >= relative_luminance(accent)  # a tint: lighter, never darker


def test_a_dark_variant_is_kept_when_it_passes_already() -> None:
    assert dark_variant(parse("#7fb6f2"), DARK) == parse("#7fb6f2")
