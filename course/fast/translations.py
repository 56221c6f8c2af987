"""Template translations looked up once per locale and request, not once per translated string.

Flask-Babel's Jinja callables ask `get_translations()` for every `{{ _('…') }}`: each call finds its context
through `g` three times, reads the locale and turns it into a string for the cache key. A quiz attempt page
translates about 75 strings, and those lookups were about a fifth of its time. Here the translations are kept on
Flask-Babel's own per-request context next to the locale they belong to, and used while that locale is in force;
`force_locale` (a mail in the recipient's language) sets another locale object, so it gets its own translations.
"""

from __future__ import annotations

from flask import Flask
from flask.globals import _cv_app
from flask_babel import get_translations
from jinja2.ext import InternationalizationExtension


def translations():  # noqa: ANN201 - babel's Translations or NullTranslations
    """The translations of the locale in force, as `flask_babel.get_translations()` returns them."""
    app_context = _cv_app.get(None)
    if app_context is None or not app_context.app.config["FAST_PATHS"]:
        return get_translations()
    babel_context = app_context.g.__dict__.get("_flask_babel")
    if babel_context is not None:
        kept = babel_context.__dict__.get("course_translations")
        if kept is not None and kept[0] is babel_context.__dict__.get("babel_locale"):
            return kept[1]
    found = get_translations()  # also settles the locale on Flask-Babel's context
    babel_context = app_context.g._flask_babel
    babel_context.course_translations = (babel_context.babel_locale, found)
    return found


def init_app(app: Flask) -> None:
    """Install the callables Flask-Babel installs, on `translations()` (after `babel.init_app`)."""
    if not any(isinstance(extension, InternationalizationExtension) for extension in app.jinja_env.extensions.values()):
        raise RuntimeError("Flask-Babel's Jinja set-up must come first")
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: translations().ugettext(string),
        ngettext=lambda singular, plural, n: translations().ungettext(singular, plural, n),
        pgettext=lambda context, string: translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: translations().unpgettext(context, singular, plural, n),
        newstyle=True,
    )
