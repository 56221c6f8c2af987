"""Work each server process would otherwise do inside some learner's first request, done when it starts.

Both ways of serving the app (gunicorn and the development server) warm up off the request path: gunicorn
calls `warm_up` from `post_worker_init` (gunicorn.conf.py) before the worker takes requests, and under
`flask run` wsgi.py starts it in a background thread (`served_by_flask_run`), so the development server
answers at once and the first learner finds the caches filled a few seconds later. It covers the sandbox's
per-scenario benchmark search (about 1 s per scenario), the characters the certificate fonts can draw and,
given the app, the published catalog (parsing and rendering every lesson and quiz, about 0.5 s, which every
course page and the sandbox API need) and the compiled templates of the learners' pages. `create_app` stays
free of such work, so tests and CLI commands do not pay for it.

The certificate's PDF drawing (fpdf2 and its fonts, about 60 MB and 0.8 s) is deliberately not warmed: PDFs
are drawn once, at issue, so most processes never draw one, and the first issue in a process pays it once.
"""

from __future__ import annotations

import logging
import threading
import time

import click
from flask import Flask
from flask.helpers import get_debug_flag
from werkzeug.serving import is_running_from_reloader

log = logging.getLogger(__name__)


def warm_up(app: Flask | None = None) -> float:
    """Fill the process-wide caches, and `app`'s catalog and templates; returns the seconds it took."""
    from course.core.certificates.glyphs import covered_codepoints
    from course.core.sandbox.benchmark import warm_up as search_every_scenario

    started = time.perf_counter()
    covered_codepoints()
    search_every_scenario()
    if app is not None:
        _warm_up_app(app)
    seconds = time.perf_counter() - started
    log.info("warmed up in %.1f s (sandbox benchmarks, certificate characters, catalog, templates)", seconds)
    return seconds


# The templates of the pages learners and visitors open: compiled before the first of them arrives. The staff's
# pages (studio, reports, admin) and the mails compile on first use instead, a few milliseconds once per process,
# and are not carried by every worker that never serves them.
LEARNER_TEMPLATES = (
    "base.html",
    "macros.html",
    "learn/",
    "quiz/",
    "sandbox/",
    "certificates/",
    "auth/",
    "account/",
    "notifications/",
    "errors/",
    "site/",
)


def _warm_up_app(app: Flask) -> None:
    """Compile the learners' templates and build the catalog. A database that is not reachable yet must not stop
    the server from starting (gunicorn would give up on the worker): the catalog then loads on first use."""
    from course.publishing.cache import catalog

    try:
        for name in app.jinja_env.list_templates(filter_func=lambda name: name.startswith(LEARNER_TEMPLATES)):
            app.jinja_env.get_template(name)
        with app.app_context():
            catalog()
    except Exception:  # noqa: BLE001 - whatever failed is done on first use instead, as without a warm-up
        log.warning("warm-up of the templates and the catalog failed; the first requests do it", exc_info=True)


def served_by_flask_run() -> bool:
    """Whether the app is being loaded by `flask run` in the process that will serve it: not another command,
    not gunicorn (which warms each worker itself) and not the reloader's watching parent (its child serves)."""
    context = click.get_current_context(silent=True)
    if context is None or context.command.name != "run":
        return False
    reload = context.params.get("reload")
    if reload is None:  # `flask run` reloads by default exactly when debugging
        reload = get_debug_flag()
    return not reload or is_running_from_reloader()


def warm_up_in_background(app: Flask) -> threading.Thread:
    """Start `warm_up` in a daemon thread, so the server takes requests meanwhile; a failure is logged."""
    thread = threading.Thread(target=_warm_up_logged, args=(app,), name="course-warm-up", daemon=True)
    thread.start()
    return thread


def _warm_up_logged(app: Flask) -> None:
    try:
        warm_up(app)
    except Exception:  # the caches then fill on first use, as without a warm-up; the server keeps serving
        log.exception("warm-up failed")
