"""Helpers for the token API and webhook tests: tokens, a learner who finishes the course through the app, a real
HTTP receiver for webhooks, and the app itself served over real HTTP for an HR script."""

from __future__ import annotations

import contextlib
import http.server
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from flask import Flask
from werkzeug.serving import make_server

from course.api import tokens
from course.extensions import db
from course.models import LessonProgress, QuizResult, SandboxResult, User
from course.publishing.cache import catalog

COURSE = "kam-pay"


def make_token(app: Flask, *scopes: str, name: str = "HR sync", expires_at=None) -> str:  # noqa: ANN001
    """A token with these scopes (all of them if none are named); returns its plain text."""
    with app.test_request_context():
        _row, plain = tokens.create_token(name, scopes or tokens.rules.SCOPES, expires_at, by=None)
        db.session.commit()
        return plain


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def nearly_complete(app: Flask, user: User, course_id: str = COURSE) -> str:
    """Record every step of the course but its last lesson, as the views would; returns that lesson's URL."""
    with app.test_request_context():
        course = catalog().course(course_id)
        for lesson_id in course.lesson_ids[:-1]:
            db.session.add(LessonProgress(user_id=user.id, course_id=course.id, lesson_id=lesson_id))
        for quiz in course.quizzes:
            db.session.add(
                QuizResult(
                    user_id=user.id, course_id=course.id, quiz_id=quiz.id, best_percent=90.0, passed=True, attempts=1
                )
            )
        db.session.add(
            SandboxResult(user_id=user.id, course_id=course.id, best_score=82.0, assigned_score=82.0, other_score=82.0)
        )
        db.session.commit()
        return f"/courses/{course.id}/lessons/{course.lesson_ids[-1]}"


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1: records each POST; answers with the next status (or (status, body)) in
    `answers` (default 204), after `delay` seconds."""

    url: str = ""
    deliveries: list[Delivery] = field(default_factory=list)
    answers: queue.SimpleQueue = field(default_factory=queue.SimpleQueue)
    delay: float = 0.0

    def clear(self) -> None:
        self.deliveries.clear()
        self.delay = 0.0
        while not self.answers.empty():
            self.answers.get_nowait()


@contextlib.contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            receiver.deliveries.append(Delivery(self.path, dict(self.headers.items()), body))
            if receiver.delay:
                time.sleep(receiver.delay)
            answer = 204 if receiver.answers.empty() else receiver.answers.get_nowait()
            status, content = answer if isinstance(answer, tuple) else (answer, b"")
            try:
                self.send_response(status)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)
            except (BrokenPipeError, ConnectionResetError):  # the sender gave up waiting
                pass

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's name
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/course"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def served(build: Callable[[str], Flask]) -> Iterator[tuple[Flask, str]]:
    """An app on a real HTTP server in a thread (werkzeug's), built by `build(base_url)` once the port is known (so
    PUBLIC_URL, and with it every `next` link, points at the server); yields the app and its base URL."""
    apps: list[Flask] = []
    server = make_server("127.0.0.1", 0, lambda environ, start: apps[0](environ, start), threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    apps.append(build(base))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield apps[0], base
    finally:
        server.shutdown()
        server.server_close()
