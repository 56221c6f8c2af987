"""Which language a request is served in: the learner's choice, else the browser's."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, session
from flask_login import current_user
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from course.core.caching import Cache, cache

LANGUAGES = ("de", "en")
LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}
# Accept-Language header → the first of LANGUAGES it accepts ("" for none).
_BROWSERS: Cache[str] = cache("i18n.browser-languages", 1_024)
_KEPT_HEADER_CHARS = 200  # a browser's header is shorter; a longer one is parsed, not kept


def select_locale() -> str:
    user = current_user._get_current_object()  # one proxy lookup, not three
    return choose_language(
        user.locale if user.is_authenticated else None,
        session.get("lang"),
        request.environ.get("HTTP_ACCEPT_LANGUAGE"),
        current_app.config["DEFAULT_LANGUAGE"],
    )


def choose_language(chosen: str | None, this_session: str | None, accept_language: str | None, default: str) -> str:
    """The learner's own choice, else the one made in this session (the language switch), else the browser's
    first of ours (its Accept-Language header), else the site's default."""
    if chosen in LANGUAGES:
        return chosen
    if this_session in LANGUAGES:
        return this_session
    if not accept_language:
        return default
    if len(accept_language) > _KEPT_HEADER_CHARS:
        return _first_of_ours(accept_language) or default
    # Parsing a browser's header costs about 25 µs, and a browser sends the same one with every request.
    return _BROWSERS.get_or_compute(accept_language, lambda: _first_of_ours(accept_language)) or default


def current_language() -> str:
    """The request's language; the same answer Flask-Babel gets, without building a babel Locale."""
    return select_locale()


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, LANGUAGE_NAMES=LANGUAGE_NAMES)
    # Outside a request (a mail sent from the command line) the template is given its language by the caller.
    app.context_processor(lambda: {"lang": current_language()} if has_request_context() else {})


def _first_of_ours(accept_language: str) -> str:
    return parse_accept_header(accept_language, LanguageAccept).best_match(LANGUAGES) or ""
