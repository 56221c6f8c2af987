"""What the site calls itself and how it looks: its name (header, page titles, mails, the default certificate
issuer), the footer text, a logo and an accent colour, from configuration, so an organisation runs the course under
its own name and colours. A name or footer is one text for every language or a text per language; without one, the
built-in text is used in the reader's language.

The logo and the accent are checked once at start (config.py): the logo must be a real PNG or SVG (an SVG is
rebuilt from an allow-list, course/core/media.py), the accent must meet WCAG AA on the light and the dark colour
scheme (course/core/colour.py). Both are then served from fixed bytes under a name with their hash, cached for a
year; the colours as a small stylesheet linked after app.css, because the Content-Security-Policy allows no inline
styles (course/security.py).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, Response, abort, current_app, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from course.assets import cache_for_a_year, content_hash
from course.core import colour
from course.core.media import CheckedImage, MediaRefused, check_image
from course.i18n import LANGUAGES

NAME_MAX = 80
FOOTER_MAX = 400
SETTINGS = {"SITE_NAME": NAME_MAX, "SITE_FOOTER": FOOTER_MAX}
LOGO_MAX_BYTES = 256 * 1024  # a header logo is a few KB; a photo-sized file would slow every first visit
LOGO_MAX_PIXELS = 4_000_000
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"  # as for lesson images: an SVG opened on its own
# app.css's own colours (its :root and dark :root): the accent must stand out against them
# (tests/web/test_branding_look.py checks that the two agree).
LIGHT = colour.Scheme("light", colour.parse("#fbfbf9"), colour.parse("#ffffff"), colour.parse("#1c1f23"))
DARK = colour.Scheme("dark", colour.parse("#121417"), colour.parse("#1b1e22"), colour.parse("#e8eaed"))
SCHEMES = (LIGHT, DARK)


class BrandingError(ValueError):
    """A branding setting that cannot be used; the message says what to write instead."""


def checked(name: str, value: object) -> str | dict[str, str] | None:
    """The setting as given when usable: None, a text, or a mapping of language code to text."""
    limit = SETTINGS[name]
    if value is None:
        return None
    texts = value if isinstance(value, Mapping) else {"*": value}
    if not texts:
        raise BrandingError(f"{name} must not be empty; leave it out for the built-in text.")
    for lang, text in texts.items():
        if lang != "*" and lang not in LANGUAGES:
            raise BrandingError(f"{name} has a text for {lang!r}; the languages are {', '.join(LANGUAGES)}.")
        if not isinstance(text, str) or not text.strip() or len(text) > limit or "\n" in text.strip():
            raise BrandingError(f"{name} must be one line of text of at most {limit} characters, not {text!r}.")
    tidy = {lang: " ".join(text.split()) for lang, text in texts.items()}  # a stray line break would break a subject
    return tidy if isinstance(value, Mapping) else tidy["*"]


def _configured(name: str, lang: str) -> str | None:
    value = current_app.config.get(name)
    if value is None or isinstance(value, str):
        return value
    return value.get(lang) or next(iter(value.values()))


def site_name(lang: str) -> str:
    return _configured("SITE_NAME", lang) or _("KAM course")


def site_footer(lang: str) -> str:
    return _configured("SITE_FOOTER", lang) or _(
        "A course on paying key-account managers: base salary, a year-end bonus for a customer who stays, and"
        " recognition."
    )


# --- Accent colour and logo -------------------------------------------------------------------------------------


def checked_accent(value: object) -> dict[str, str] | None:
    """SITE_ACCENT as {"light": "#rrggbb", "dark": "#rrggbb"}, or None for the built-in colours.

    One colour is used as given on light pages; dark pages get the least tint of it towards white that meets AA
    there. A colour that fails AA stops the start with the ratios it reaches.
    """
    if value is None:
        return None
    if isinstance(value, Mapping):
        if set(value) != {"light", "dark"}:
            raise BrandingError(
                f"SITE_ACCENT must be one colour like '#0b5cad' or {{'light': '#0b5cad', 'dark': '#7fb6f2'}},"
                f" not {dict(value)!r}."
            )
        given = {scheme.name: _parsed_accent(value[scheme.name]) for scheme in SCHEMES}
    else:
        light = _parsed_accent(value)
        given = {"light": light, "dark": colour.dark_variant(light, DARK)}
    for scheme in SCHEMES:
        failed = colour.failures(given[scheme.name], scheme)
        if failed:
            ratios = ", ".join(f"{check.what} {check.ratio:.2f}:1" for check in failed)
            advice = "a lighter colour." if scheme.is_dark else "a darker colour"
            if not scheme.is_dark and not isinstance(value, Mapping):
                advice += " (or give one per scheme: {'light': ..., 'dark': ...})."
            raise BrandingError(
                f"SITE_ACCENT {given[scheme.name].hex} fails WCAG AA contrast on the {scheme.name} colour scheme:"
                f" {ratios}; text needs at least {colour.AA_TEXT}:1. Choose {advice}"
            )
    return {name: accent.hex for name, accent in given.items()}


def _parsed_accent(value: object) -> colour.Colour:
    try:
        return colour.parse(value)
    except colour.ColourError as error:
        raise BrandingError(f"SITE_ACCENT: {error}, e.g. '#0b5cad'.") from None


def checked_logo(value: object, instance_path: Path) -> CheckedImage | None:
    """SITE_LOGO read and checked (a relative path is in the instance folder): a PNG, or an SVG with its sanitised
    bytes. None without the setting."""
    if value is None or value == "":
        return None
    if not isinstance(value, str | Path):
        raise BrandingError(f"SITE_LOGO must be the path of a PNG or SVG file, not {value!r}.")
    path = instance_path / Path(value).expanduser()  # an absolute path stays as it is
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BrandingError(
            f"SITE_LOGO {str(path)!r} does not exist (a relative path is read from the instance folder,"
            f" {str(instance_path)!r})."
        ) from None
    except OSError as error:
        raise BrandingError(f"SITE_LOGO {str(path)!r} cannot be read: {error.strerror}.") from None
    try:
        image = check_image(data, LOGO_MAX_BYTES, LOGO_MAX_PIXELS)
    except MediaRefused as error:
        raise BrandingError(f"SITE_LOGO {str(path)!r} cannot be used: {error}") from None
    if image.extension not in ("png", "svg"):
        raise BrandingError(
            f"SITE_LOGO {str(path)!r} is a JPEG; a logo must be a PNG or an SVG, which can be transparent and so"
            " suit both the light and the dark colour scheme."
        )
    return image


@dataclass(frozen=True)
class Asset:
    """Bytes served under a name that changes with them."""

    name: str
    data: bytes
    media_type: str


@dataclass(frozen=True)
class Brand:
    """The logo and the accent stylesheet, built once at start; empty when neither is configured."""

    logo: Asset | None = None
    logo_size: tuple[int, int] | None = None
    stylesheet: Asset | None = None
    assets: dict[str, Asset] = field(default_factory=dict)


def build(config: Mapping[str, object], instance_path: Path, logger: logging.Logger) -> Brand:
    """Check SITE_LOGO and build what pages link to (SITE_ACCENT checked already); raises BrandingError with what
    to change."""
    logo = stylesheet = size = None
    image = checked_logo(config.get("SITE_LOGO"), instance_path)
    if image:
        if image.removed:
            removed = ", ".join(image.removed)
            logger.warning("SITE_LOGO %s: removed %s, which a logo may not contain", config["SITE_LOGO"], removed)
        logo = _asset("logo", image.extension, image.data, image.media_type)
        size = (image.width, image.height) if image.width and image.height else None
    accent = config.get("SITE_ACCENT")
    if isinstance(accent, Mapping):
        stylesheet = _asset("accent", "css", accent_stylesheet(accent).encode("utf-8"), "text/css")
    return Brand(logo, size, stylesheet, {asset.name: asset for asset in (logo, stylesheet) if asset})


def _asset(stem: str, extension: str, data: bytes, media_type: str) -> Asset:
    return Asset(f"{stem}-{content_hash(data)}.{extension}", data, media_type)


def accent_stylesheet(accent: Mapping[str, str]) -> str:
    """app.css's accent properties for both colour schemes; screen only, so print keeps its black."""
    blocks = ["/* SITE_ACCENT and the shades derived from it (course/branding.py). */"]
    for scheme in SCHEMES:
        shades = colour.shades(colour.parse(accent[scheme.name]), scheme)
        media = "screen and (prefers-color-scheme: dark)" if scheme.is_dark else "screen"
        blocks.append(
            f"@media {media} {{\n  :root {{ --accent: {shades.accent.hex}; --accent-strong: {shades.strong.hex};"
            f" --accent-text: {shades.text.hex}; --accent-soft: {shades.soft.hex}; }}\n}}"
        )
    return "\n".join(blocks) + "\n"


def _brand() -> Brand:
    return current_app.extensions.get("brand") or Brand()


def brand_asset(name: str) -> Response:
    """The configured logo or accent stylesheet: fixed bytes under a hashed name, so cached for a year."""
    asset = _brand().assets.get(name)
    if asset is None:
        abort(404)
    response = cache_for_a_year(Response(asset.data, mimetype=asset.media_type))
    response.headers["X-Content-Type-Options"] = "nosniff"
    if asset.media_type == "image/svg+xml":
        response.headers["Content-Security-Policy"] = SVG_POLICY
    return response


def brand_stylesheet() -> str | None:
    """The accent stylesheet's address, or None with the built-in colours."""
    stylesheet = _brand().stylesheet
    return url_for("brand_asset", name=stylesheet.name) if stylesheet else None


def brand_logo() -> Markup:
    """The logo for the header's brand link, beside the site's name (so the image itself says nothing: alt="")."""
    brand = _brand()
    if brand.logo is None:
        return Markup("")
    src = escape(url_for("brand_asset", name=brand.logo.name))
    size = f' width="{brand.logo_size[0]}" height="{brand.logo_size[1]}"' if brand.logo_size else ""
    return Markup(f'<img class="brand__logo" src="{src}" alt=""{size}>')  # noqa: S704 - escaped address, numbers


def init_app(app: Flask) -> None:
    app.add_url_rule("/brand/<name>", "brand_asset", brand_asset)
    app.jinja_env.globals.update(
        site_name=site_name, site_footer=site_footer, brand_stylesheet=brand_stylesheet, brand_logo=brand_logo
    )
