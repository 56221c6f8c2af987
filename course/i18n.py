"""Which language a request is served in: the learner's choice, else the browser's."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, session
from flask_login import current_user

LANGUAGES = ("de", "en")
LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}


def select_locale() -> str:
    user = current_user._get_current_object()  # one proxy lookup, not three
    if user.is_authenticated and user.locale in LANGUAGES:
        return user.locale
    if session.get("lang") in LANGUAGES:
        return session["lang"]
    return request.accept_languages.best_match(LANGUAGES) or current_app.config["DEFAULT_LANGUAGE"]


def current_language() -> str:
    """The request's language; the same answer Flask-Babel gets, without building a babel Locale."""
    return select_locale()


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, LANGUAGE_NAMES=LANGUAGE_NAMES)
    # Outside a request (a mail sent from the command line) the template is given its language by the caller.
    app.context_processor(lambda: {"lang": current_language()} if has_request_context() else {})
