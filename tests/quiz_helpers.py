"""Helpers for the quiz route, API and leak tests: start attempts, read their layout, answer them right or wrong.

The key is read from the attempt's own stored quiz revision with plain YAML, not through the app's quiz
parser, so a parser that misread `correct: true` would make these tests fail rather than agree with it.
"""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from course.auth import operations as accounts
from course.core.catalog import loader as catalog_loader
from course.extensions import db
from course.models import ContentRevision, QuizAttempt, QuizResult, User
from course.publishing import cache as catalog_cache
from course.publishing import operations as publishing
from tests.conftest import QUIZ_DIR
from tests.sessions import sign_in

COURSE = "kam-pay"
QUIZ_IDS = tuple(sorted(path.stem for path in (QUIZ_DIR / COURSE).glob("*.yml")))
MANDATE = "kam-mandate-quiz"  # seven questions, one of each type
DRAW_QUIZ = "designing-a-kam-bonus-plan-quiz"  # six questions drawn from a pool of eight
_ATTEMPT_URL = re.compile(r"^/attempts/(\d+)$")
_TAG = re.compile(r"<[^>]+>")

_BUILT: dict[tuple, Any] = {}


class _SharedTemplates(BytecodeCache):
    """Compiled templates kept across the tests' apps (Jinja checks each against its source's checksum)."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_TEMPLATES = _SharedTemplates()


def faster_apps(make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Flask]:
    """`make_app` for many small tests: what every app would redo identically is done once per process.

    Catalog builds and compiled templates are shared, and test users get a cheap password hash (these tests
    log in through the session, never with a password).
    """
    reuse_built_catalogs(monkeypatch)
    monkeypatch.setattr(accounts, "generate_password_hash", _cheap_hash)

    def build(**overrides: object) -> Flask:
        app = make_app(**overrides)
        app.jinja_env.bytecode_cache = _TEMPLATES
        return app

    return build


def _cheap_hash(password: str) -> str:
    return generate_password_hash(password, method="pbkdf2:sha256:1")


def reuse_built_catalogs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Share catalog builds between tests: a build parses every lesson and quiz.

    `build_catalog` is pure (files in, frozen catalog out), so the same files give an equal result.
    """
    original = catalog_loader.build_catalog

    def build(files, version: int = 0):  # noqa: ANN001, ANN202 - same signature as the original
        key = (tuple(sorted(files.items())), version)
        if key not in _BUILT:
            _BUILT[key] = original(files, version=version)
        return _BUILT[key]

    monkeypatch.setattr(publishing, "build_catalog", build)
    monkeypatch.setattr(catalog_cache, "build_catalog", build)


def quiz_url(quiz_id: str = MANDATE) -> str:
    return f"/courses/{COURSE}/quizzes/{quiz_id}"


def start_attempt(client: FlaskClient, quiz_id: str = MANDATE, csrf_token: str | None = None) -> int:
    """Start (or resume) an attempt through the page's start button; the attempt id from the redirect."""
    response = client.post(f"{quiz_url(quiz_id)}/attempts", data={"csrf_token": csrf_token} if csrf_token else None)
    assert response.status_code == 302, response.get_data(as_text=True)
    match = _ATTEMPT_URL.match(response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def client_for(app: Flask, user: User) -> FlaskClient:
    """A second browser, logged in as `user`."""
    return sign_in(app.test_client(), user.id)


def answer_count(app: Flask) -> int:
    """Answers stored in all attempts (each attempt keeps its answers per question)."""
    with app.app_context():
        return sum(len(answers) for answers in db.session.scalars(select(QuizAttempt.answers)))


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def snapshot(app: Flask) -> dict[str, object]:
    """Every stored quiz answer, attempt and result, to prove a refused request changed nothing."""
    with app.app_context():
        attempts = list(db.session.scalars(select(QuizAttempt).order_by(QuizAttempt.id)))
        results = db.session.scalars(select(QuizResult).order_by(QuizResult.id))
        return {
            "answers": [(a.id, a.answers) for a in attempts],
            "attempts": [(a.id, a.number, a.status, a.score, a.submitted_at) for a in attempts],
            "results": [(r.user_id, r.quiz_id, r.best_percent, r.passed, r.attempts) for r in results],
        }


def stored_responses(app: Flask, attempt_id: int) -> dict[str, object]:
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        return {question_id: saved["response"] for question_id, saved in attempt.answers.items()}


def publish_quiz(app: Flask, quiz_id: str, text: str) -> None:
    """Publish a changed quiz file as a new revision, as `flask course import` would."""
    with app.app_context():
        files, problems = publishing.bundled_files(app.config)
        files[f"quizzes/{COURSE}/{quiz_id}.yml"] = text
        report = publishing.import_files(files, problems)
        assert report.problems == [] and report.created == [f"quizzes/{COURSE}/{quiz_id}.yml"]
        db.session.commit()


def quiz_folder(tmp_path: Path, quiz_id: str = MANDATE, **settings: object) -> Path:
    """A copy of the bundled quizzes with top-level settings of one quiz replaced (e.g. max_attempts=1)."""
    folder = tmp_path / "quizzes"
    shutil.copytree(QUIZ_DIR, folder)
    path = folder / COURSE / f"{quiz_id}.yml"
    text = path.read_text(encoding="utf-8")
    lines = [f"{key}: {value}" for key, value in settings.items()]
    text = text.replace("\nquestions:\n", "\n" + "\n".join(lines) + "\nquestions:\n", 1)
    path.write_text(text, encoding="utf-8")
    return folder


@dataclass(frozen=True)
class AttemptKey:
    """An attempt's layout with the answer key of the revision it started on, in the attempt's tokens."""

    attempt_id: int
    layout: tuple[tuple[str, tuple[str, ...]], ...]  # (question id, authored option ids in display order)
    questions: dict[str, dict]  # question id → the question as written in the quiz file

    @property
    def question_ids(self) -> list[str]:
        return [question_id for question_id, _order in self.layout]

    def number(self, question_id: str) -> int:
        """The question's position on the page: its form fields are named q<number>."""
        return self.question_ids.index(question_id) + 1

    def type(self, question_id: str) -> str:
        return self.questions[question_id]["type"]

    def tokens(self, question_id: str) -> dict[str, str]:
        """Authored option/choice/item id → the token this attempt shows for it (its display position)."""
        order = dict(self.layout)[question_id]
        return {option_id: str(position) for position, option_id in enumerate(order)}

    def of_type(self, kind: str) -> str:
        return next(question_id for question_id in self.question_ids if self.type(question_id) == kind)

    def right(self, question_id: str, lang: str = "en") -> object:
        """The right answer in the API's shape."""
        question, tokens = self.questions[question_id], self.tokens(question_id)
        kind = question["type"]
        if kind == "single":
            return next(tokens[o["id"]] for o in question["options"] if o.get("correct"))
        if kind == "multiple":
            return sorted((tokens[o["id"]] for o in question["options"] if earns_points(o)), key=int)
        if kind == "truefalse":
            return question["answer"]
        if kind == "matching":
            return {str(i): tokens[prompt["match"]] for i, prompt in enumerate(question["prompts"])}
        if kind == "ordering":
            return [tokens[item["id"]] for item in question["items"]]
        if kind == "numeric":
            if "answer" in question:
                return number_text(question["answer"])
            full = next(a for a in question["answers"] if a.get("percent", 100) == 100)
            return number_text(full["value"] if "value" in full else (full["min"] + full["max"]) / 2)
        if kind == "shorttext":
            return accepted_text(question, lang)
        if kind == "blanks":  # a blank's token is its place in the file; its options are shuffled
            return self._blank_answers(question_id, question, lang, right=True)
        if kind == "essay":  # the model answer: a trainer still has to mark it
            return question["explanation"][lang]
        raise AssertionError(f"unknown type {kind}")

    def _blank_answers(self, question_id: str, question: dict, lang: str, right: bool) -> dict[str, str]:
        """Every blank answered right (or wrong), by the blank's token: its place in the file."""
        layout = dict(self.layout)[question_id]
        answers = {}
        for number, blank in enumerate(question["blanks"]):
            if "options" not in blank:
                answers[str(number)] = accepted_text(blank, lang) if right else "certainly not this"
                continue
            order = [item.split(".", 1)[1] for item in layout if item.startswith(f"{blank['id']}.")]
            option = next(o["id"] for o in blank["options"] if bool(o.get("correct")) is right)
            answers[str(number)] = str(order.index(option))
        return answers

    def wrong(self, question_id: str) -> object:
        """An answer that scores 0."""
        question, tokens = self.questions[question_id], self.tokens(question_id)
        kind = question["type"]
        if kind == "single":
            return next(tokens[o["id"]] for o in question["options"] if not earns_points(o))
        if kind == "multiple":
            return sorted((tokens[o["id"]] for o in question["options"] if not earns_points(o)), key=int)
        if kind == "truefalse":
            return not question["answer"]
        if kind == "matching":
            return {
                str(i): next(tokens[c["id"]] for c in question["choices"] if c["id"] != prompt["match"])
                for i, prompt in enumerate(question["prompts"])
            }
        if kind == "ordering":
            return [tokens[item["id"]] for item in reversed(question["items"])]
        if kind == "numeric":
            return "1"
        if kind == "shorttext":
            return "certainly not this"
        if kind == "blanks":
            return self._blank_answers(question_id, question, lang="en", right=False)
        if kind == "essay":  # left empty: it scores 0 and waits for nobody
            return ""
        raise AssertionError(f"unknown type {kind}")

    def right_answers(self, lang: str = "en") -> dict[str, object]:
        return {question_id: self.right(question_id, lang) for question_id in self.question_ids}

    def wrong_answers(self) -> dict[str, object]:
        return {question_id: self.wrong(question_id) for question_id in self.question_ids}

    def form_data(self, answers: dict[str, object]) -> dict[str, object]:
        """Answers in the API's shape → the take page's form fields (q1, q2.0, …)."""
        data: dict[str, object] = {}
        for question_id, value in answers.items():
            name, kind = f"q{self.number(question_id)}", self.type(question_id)
            if kind in ("matching", "blanks"):
                data |= {f"{name}.{key}": given for key, given in value.items()}
            elif kind == "ordering":  # each item gets its position, 1 first
                data |= {f"{name}.{token}": str(position) for position, token in enumerate(value, start=1)}
            elif kind == "truefalse":
                data[name] = "true" if value else "false"
            else:
                data[name] = value
        return data


def accepted_text(question: dict, lang: str) -> str:
    """The first text a short-text question (or a text blank) accepts for full credit in `lang`."""
    if "accept" in question:
        return question["accept"][lang][0]
    return next(a["accept"][lang][0] for a in question["answers"] if a.get("percent", 100) == 100)


def earns_points(option: dict) -> bool:
    """An option that earns points: right (`correct`), partly right or with a positive weight (`percent`)."""
    return bool(option.get("correct")) or option.get("percent", 0) > 0


def plain(text: str) -> str:
    """Text as a reader sees it: tags dropped, entities decoded, white space collapsed (like Jinja's striptags)."""
    return " ".join(html.unescape(_TAG.sub("", text)).split())


def number_text(value: float) -> str:
    """A number as a learner types it in either language: digits only, no separators."""
    return str(int(value)) if float(value).is_integer() else str(value)


def attempt_key(app: Flask, attempt_id: int) -> AttemptKey:
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        source = db.session.get(ContentRevision, attempt.revision_id).source
        layout = tuple((question_id, tuple(order)) for question_id, order in attempt.layout)
    return AttemptKey(attempt_id, layout, _questions(source))


@lru_cache(maxsize=32)
def _questions(source: str) -> dict[str, dict]:
    data = yaml.load(source, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader
    return {question["id"]: question for question in data["questions"]}


def right_answers(app: Flask, attempt_id: int, lang: str = "en") -> dict[str, object]:
    """question id → the right answer in the API's shape, for this attempt's option order."""
    return attempt_key(app, attempt_id).right_answers(lang)
