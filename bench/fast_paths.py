"""In-process cost of each fast path (course/fast/): the page with all of them, with each one turned off, and
with none, so every deviation from plain Flask carries the figure that justifies it.

A learner with some progress is logged in on a fresh SQLite database with the bundled course; each case serves
its page `--requests` times through Flask's test client (no server, no network) after a warm-up, and reports the
median and p95 per request. A fast path is turned off by putting the plain piece back for that case only:

- shells: `FAST_PATHS` off for the page render only (render_template with the holes filled as it renders);
- request user: the ORM `User` instead of the snapshot query;
- CSRF: Flask-WTF signing a token per request;
- sessions: Flask's own cookie interface (serializer built per call);
- login: Flask-Login's session-protection check as shipped.

Then `--submissions` quiz submissions (all answers right) of fresh attempts, each closed by the prepared UPDATE
(course/fast/attempts.py) or by the plain ORM UPDATE.

Usage: .venv/bin/python bench/fast_paths.py [--requests N] [--page URL] [--json PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask  # noqa: E402 - after the path set-up, so the script runs from anywhere
from flask.sessions import SecureCookieSessionInterface  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from flask_login import LoginManager  # noqa: E402
from flask_wtf.csrf import generate_csrf  # noqa: E402

from bench.run import right_answers  # noqa: E402
from course import pages, security  # noqa: E402
from course.auth.operations import session_user, start_session  # noqa: E402
from course.extensions import db  # noqa: E402
from course.fast import attempts as fast_attempts  # noqa: E402
from course.models import LessonProgress, User  # noqa: E402
from course.publishing.cache import catalog  # noqa: E402
from course.quiz import operations as quiz_operations  # noqa: E402

LESSON = "/courses/kam-pay/lessons/kams-are-not-salespeople"


def make_app(folder: Path, database_url: str | None = None) -> tuple[Flask, int]:
    """The app on `database_url` (an empty database), by default a new SQLite file in `folder`."""
    os.environ["COURSE_INSTANCE_PATH"] = str(folder / "instance")
    from course.app import create_app

    url = database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True})
    with app.test_request_context():
        db.create_all()
        course = catalog().course("kam-pay")
        user = User(email="bench@example.org", password_hash="!", display_name="Bench Learner", locale="de")
        db.session.add(user)
        db.session.flush()
        for lesson_id in course.lesson_ids[:3]:
            db.session.add(LessonProgress(user_id=user.id, course_id=course.id, lesson_id=lesson_id))
        db.session.commit()
        return app, user.id


class _PlainPages:
    """Stands in for course.fast inside course/pages.py: the page render takes the plain path."""

    @staticmethod
    def enabled() -> bool:
        return False


@contextlib.contextmanager
def swapped(owner: object, name: str, value: object) -> Iterator[None]:
    original = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, original)


def cases(app: Flask) -> dict[str, Callable[[], contextlib.AbstractContextManager]]:
    manager = app.login_manager

    return {
        "all fast paths": contextlib.nullcontext,
        "without page shells": lambda: swapped(pages, "fast", _PlainPages),
        "without the request-user snapshot": lambda: swapped(manager, "_user_callback", session_user),
        "without the CSRF token cache": lambda: swapped(security, "signed_token", generate_csrf),
        "without the session serializer cache": lambda: swapped(
            app, "session_interface", SecureCookieSessionInterface()
        ),
        "without the login shortcut": lambda: swapped(
            manager, "_session_protection_failed", LoginManager._session_protection_failed.__get__(manager)
        ),
        "plain Flask (FAST_PATHS = False)": lambda: swapped_config(app, "FAST_PATHS", False),
    }


@contextlib.contextmanager
def swapped_config(app: Flask, name: str, value: object) -> Iterator[None]:
    original = app.config[name]
    app.config[name] = value
    try:
        yield
    finally:
        app.config[name] = original


def signed_in(app: Flask, user_id: int) -> FlaskClient:
    """A test client with a live server-side session of the user, as the login form starts one."""
    client = app.test_client()
    with app.app_context():
        user = db.session.get(User, user_id)
        start_session(user, remember=False)
        db.session.commit()
        session_id = user.get_id()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    return client


def measure(app: Flask, user_id: int, url: str, requests: int) -> tuple[float, float]:
    client = signed_in(app, user_id)
    for _ in range(50):
        assert client.get(url).status_code == 200
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def measure_submissions(app: Flask, count: int) -> tuple[float, float]:
    """Median and p95 ms of submitting `count` fresh attempts, each of its own learner."""
    with app.test_request_context():
        course = catalog().course("kam-pay")
        quiz = course.quiz("kam-mandate-quiz")
        made = []
        for _ in range(count):
            email = f"submit-{secrets.token_hex(6)}@example.org"
            user = User(email=email, password_hash="!", display_name="Learner", locale="de")
            db.session.add(user)
            db.session.flush()
            attempt, _created = quiz_operations.start_attempt(user, course, quiz)
            made.append((user.id, attempt.id, attempt.layout))
        db.session.commit()
    times = []
    for user_id, attempt_id, layout in made:
        client = signed_in(app, user_id)
        body = urlencode([*right_answers(quiz, layout, "de"), ("submit", "1")])
        started = time.perf_counter()
        response = client.post(f"/attempts/{attempt_id}", data=body, content_type="application/x-www-form-urlencoded")
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 302
    times = sorted(times[len(times) // 10 :])  # the first tenth warms up
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--page", default=LESSON)
    parser.add_argument("--submissions", type=int, default=500)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app, user_id = make_app(Path(folder))
        results = {}
        for name, context in cases(app).items():
            with context():
                median, p95 = measure(app, user_id, args.page, args.requests)
            results[name] = {"median_ms": round(median, 3), "p95_ms": round(p95, 3)}
        app.config["WTF_CSRF_ENABLED"] = False  # the submissions post without a page to take a token from
        submissions = {}
        plain_close = quiz_operations.close_attempt
        for name, context in (
            ("quiz submission, prepared UPDATE", contextlib.nullcontext),
            (
                "quiz submission, ORM UPDATE",
                lambda: swapped(fast_attempts, "close_attempt", plain_close),
            ),
        ):
            with context():
                median, p95 = measure_submissions(app, args.submissions)
            submissions[name] = {"median_ms": round(median, 3), "p95_ms": round(p95, 3)}
    base = results["all fast paths"]["median_ms"]
    print(f"{args.page}, {args.requests} requests per case, in-process (Flask test client, SQLite)")
    print(f"{'case':<40} {'median ms':>10} {'p95 ms':>8} {'vs all fast':>12}")
    for name, figures in results.items():
        print(
            f"{name:<40} {figures['median_ms']:>10.3f} {figures['p95_ms']:>8.3f} {figures['median_ms'] / base:>11.2f}×"
        )
    print(f"\nquiz submissions, {args.submissions} per case")
    for name, figures in submissions.items():
        print(f"{name:<40} {figures['median_ms']:>10.3f} {figures['p95_ms']:>8.3f}")
    if args.json:
        args.json.write_text(json.dumps({**results, **submissions}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
