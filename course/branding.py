"""What the site calls itself: its name (header, page titles, mails, the default certificate issuer) and the footer
text, from configuration, so an organisation runs the course under its own name. Each setting is one text for every
language or a text per language; without one, the built-in text is used in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask, current_app
from flask_babel import gettext as _

from course.i18n import LANGUAGES

NAME_MAX = 80
FOOTER_MAX = 400
SETTINGS = {"SITE_NAME": NAME_MAX, "SITE_FOOTER": FOOTER_MAX}


class BrandingError(ValueError):
    """A site name or footer setting that cannot be used; the message says what to write instead."""


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


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(site_name=site_name, site_footer=site_footer)
