"""The app's own cost per request, without a server or Flask's test client, and where it goes.

The test client builds a request, a cookie jar and a response wrapper for every call: about a third of an
in-process request of a cached page, enough to hide the app's own profile. Here the WSGI environ of one
request (path, session cookie, language) is built once with werkzeug's EnvironBuilder, and each call runs the
app on a copy of it, as gunicorn would hand it over. A learner with some progress is signed in on a fresh
SQLite database with the bundled course (as in bench/fast_paths.py), or on the empty database `--database` names
(PostgreSQL: `postgresql+psycopg://…`; its tables are made).

Prints the median of 5 rounds of `--requests` calls in ms per request; with `--profile N`, cProfile's top N
functions of another round (sorted by `--sort`, cumulative by default).

Usage: .venv/bin/python bench/app_only.py [--page lesson|attempt|overview|PATH] [--requests N] [--profile N]
                                         [--database URL]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask  # noqa: E402 - after the path set-up, so the script runs from anywhere
from werkzeug.test import EnvironBuilder  # noqa: E402

from bench.fast_paths import LESSON, make_app, signed_in  # noqa: E402
from course.extensions import db  # noqa: E402
from course.models import User  # noqa: E402
from course.publishing.cache import catalog  # noqa: E402
from course.quiz import operations as quiz_operations  # noqa: E402

PAGES = {"lesson": LESSON, "overview": "/courses/kam-pay"}


def page_path(app: Flask, user_id: int, page: str) -> str:
    """The path to load: a named page, an open attempt of the learner ("attempt"), or a path as given."""
    if page != "attempt":
        return PAGES.get(page, page)
    with app.test_request_context():
        course = catalog().course("kam-pay")
        attempt, _new = quiz_operations.start_attempt(
            db.session.get(User, user_id), course, course.quiz("kam-mandate-quiz")
        )
        db.session.commit()
        return f"/attempts/{attempt.id}"


def caller(app: Flask, user_id: int, path: str) -> Callable[[], tuple[str, bytes]]:
    """One request as a function: the app run on a copy of an environ built once."""
    client = signed_in(app, user_id)
    client.get(path)
    cookie = "; ".join(f"{c.key}={c.value}" for c in client._cookies.values())  # noqa: SLF001 - the jar's cookies
    headers = {"Cookie": cookie, "Accept-Language": "de", "Host": "localhost"}
    environ = EnvironBuilder(path=path, headers=headers).get_environ()

    def call() -> tuple[str, bytes]:
        status: list[str] = []
        body = b"".join(app({**environ, "wsgi.input": io.BytesIO(b"")}, lambda s, _h, _e=None: status.append(s)))
        return status[0], body

    return call


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--page", default="lesson", help="lesson, attempt, overview or a path")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print cProfile's top N functions")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--database", metavar="URL", help="an empty database instead of a new SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app, user_id = make_app(Path(folder), args.database)
        path = page_path(app, user_id, args.page)
        call = caller(app, user_id, path)
        status, body = call()
        if not status.startswith("200"):
            print(f"{path}: {status}", file=sys.stderr)
            return 1
        for _ in range(min(500, args.requests)):  # warm-up: page shells, fragments, translations
            call()
        rounds = []
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(args.requests):
                call()
            rounds.append((time.perf_counter() - started) / args.requests * 1000)
        print(f"{path}: {statistics.median(rounds):.3f} ms per request (median of 5 rounds of {args.requests})")
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(args.requests):
                call()
            profile.disable()
            pstats.Stats(profile).sort_stats(args.sort).print_stats(args.profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
