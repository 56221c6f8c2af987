"""Before submission no correct answer, score key or per-option correctness reaches the browser.

Every pre-submission response (HTML, JSON, page script) of every bundled quiz, in both languages, is scanned for
each question's secrets: its explanation, every feedback text, the numbers a numeric question accepts, the
accepted short answers, and whatever the question type itself declares secret. A secret that is also public text
(a question or option text gives it away by design) cannot be tested this way and is left out. After submission
the review must contain the explanations: the positive control that shows the scan can find them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

import pytest
from flask import Flask

from course.core.quiz import Question, Quiz, pick, question_type
from course.core.quiz.numbers import format_number
from course.publishing.cache import catalog
from tests.quiz_helpers import (
    COURSE,
    QUIZ_IDS,
    attempt_key,
    faster_apps,
    number_text,
    plain,
    quiz_url,
    start_attempt,
)

LANGS = ("de", "en")
API = "/api/v1"
# Words that would only be on a page that tells which answer is right (compared in lower case).
MARKERS = (
    "correct",
    "richtig",
    "accepted answers",
    "akzeptierte antworten",
    "read again",
    "noch einmal lesen",
    "is-correct",
    "data-correct",
    "answer_key",
    '"right"',
    "verdict",
    'class="outcome',
    'class="explanation"',
    '"result"',
    '"feedback"',
    "mark--",
)
_CSRF = re.compile(r'name="csrf_token" value="[^"]*"')


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    return faster_apps(make_app, monkeypatch)


def readable(body: str, is_json: bool) -> list[str]:
    """The forms a response's text can be searched in: raw, decoded JSON strings, and plain text."""
    body = _CSRF.sub("", body)
    forms = [body]
    if is_json:
        strings: list[str] = []

        def collect(node: object) -> None:
            if isinstance(node, dict):
                for key, value in node.items():
                    strings.append(str(key))
                    collect(value)
            elif isinstance(node, list):
                for value in node:
                    collect(value)
            elif node is not None:
                strings.append(str(node))

        collect(json.loads(body))
        forms += ["\n".join(strings), json.dumps(json.loads(body), ensure_ascii=False)]
    return [*forms, *(plain(form) for form in forms)]


def occurs(secret: str, texts: Iterable[str]) -> bool:
    """`secret` (raw or as plain text) stands as a whole word or phrase in one of `texts`."""
    patterns = [re.compile(rf"(?<![\w-]){re.escape(form)}(?![\w-])") for form in {secret, plain(secret)} if form]
    return any(pattern.search(text) for pattern in patterns for text in texts)


def secrets_of(question: Question) -> set[str]:
    """Everything about a question that would give its answer away, in both languages."""
    kind = question_type(question.type)
    found: set[str] = set()
    for lang in LANGS:
        found |= {pick(question.explanation, lang), *kind.secrets(question.spec, lang)}
        if question.type == "numeric":
            for answer in question.spec.answers:
                numbers = {answer.low, answer.high} | ({answer.value} if answer.value is not None else set())
                found |= {format_number(number, lang) for number in numbers}
                found |= {number_text(number) for number in numbers} | {answer.describe(lang)}
        if question.type == "shorttext":
            found |= {text for answer in question.spec.answers for _lang, texts in answer.accept for text in texts}
    return {secret for secret in found if len(plain(secret)) >= 2}


def public_texts(app: Flask, quiz: Quiz) -> list[str]:
    """What a learner may see before answering: question and option texts, the quiz's and course's own texts."""
    course = course_of(app)
    # The header's "Benachrichtigungen" (notifications) holds "richtig" (right) by chance of German spelling.
    texts = [str(quiz.pass_percent), "Benachrichtigungen"]
    for lang in LANGS:
        texts += [quiz.title(lang), pick(quiz.intros, lang), course.title(lang), course.description(lang)]
        for question in quiz.questions:
            kind = question_type(question.type)
            public = kind.public(question.spec, kind.shuffled(question.spec), lang)
            texts.append(pick(question.text, lang))
            for key in ("options", "prompts", "choices", "items"):
                texts += [choice["text"] for choice in public.get(key, [])]
            texts.append(public.get("unit") or "")
    return [form for text in texts for form in (text, plain(text))]


def course_of(app: Flask):
    with app.test_request_context():
        return catalog().course(COURSE)


def quiz_of(app: Flask, quiz_id: str) -> Quiz:
    return course_of(app).quiz(quiz_id)


def leaks(responses: dict[str, tuple[str, bool]], secrets: dict[str, set[str]]) -> list[tuple[str, str, str]]:
    """(response, question id, secret) for every secret found in a response."""
    found = []
    for name, (body, is_json) in responses.items():
        texts = readable(body, is_json)
        found += [(name, qid, secret) for qid, group in secrets.items() for secret in group if occurs(secret, texts)]
    return found


def secrets_to_look_for(app: Flask, quiz: Quiz, question_ids: Iterable[str]) -> dict[str, set[str]]:
    public = public_texts(app, quiz)
    return {qid: {s for s in secrets_of(quiz.question(qid)) if not occurs(s, public)} for qid in question_ids}


def fetch(client, url: str, lang: str, method: str = "GET", headers: dict | None = None, **kwargs) -> tuple[str, bool]:
    """(body, is JSON) of one request in `lang`."""
    with client.open(url, method=method, headers={"Accept-Language": lang, **(headers or {})}, **kwargs) as response:
        assert response.status_code < 500, url
        return response.get_data(as_text=True), response.mimetype == "application/json"


def pre_submission_responses(client, key, quiz_id: str, lang: str) -> dict[str, tuple[str, bool]]:
    attempt = f"/attempts/{key.attempt_id}"
    typed = next(qid for qid in key.question_ids if key.type(qid) in ("numeric", "single", "multiple", "truefalse"))
    return {
        f"{lang} start": fetch(client, f"{quiz_url(quiz_id)}/attempts", lang, "POST"),
        f"{lang} quiz page": fetch(client, quiz_url(quiz_id), lang),
        f"{lang} take page": fetch(client, attempt, lang),
        f"{lang} take page after saving": fetch(
            client, attempt, lang, "POST", data={**key.form_data(key.wrong_answers()), "save": "1"}
        ),
        f"{lang} take page with saved answers": fetch(client, attempt, lang),
        f"{lang} take page with an error": fetch(
            client, attempt, lang, "POST", data={f"q{key.number(typed)}": "abc", "submit": "1"}
        ),
        f"{lang} unanswered warning": fetch(client, f"{attempt}?confirm=1", lang),
        f"{lang} API start": fetch(client, f"{API}{quiz_url(quiz_id)}/attempts", lang, "POST"),
        f"{lang} API quiz": fetch(client, f"{API}{quiz_url(quiz_id)}", lang),
        f"{lang} API attempt": fetch(client, f"{API}{attempt}", lang),
        f"{lang} API saved answers": fetch(
            client, f"{API}{attempt}/answers", lang, "POST", json={"answers": key.wrong_answers()}
        ),
        f"{lang} API refused submit": fetch(
            client, f"{API}{attempt}/submit", lang, "POST", json={"answers": {typed: "abc"}}
        ),
        f"{lang} page script": fetch(client, "/static/js/quiz.js", lang),
    }


@pytest.mark.parametrize("quiz_id", QUIZ_IDS)
def test_no_key_reaches_the_browser_before_submission(app, client, login_as, make_user, quiz_id: str) -> None:
    login_as(make_user(locale=None))  # the language follows each request's Accept-Language
    attempt_id = start_attempt(client, quiz_id)
    key, quiz = attempt_key(app, attempt_id), quiz_of(app, quiz_id)
    secrets = secrets_to_look_for(app, quiz, key.question_ids)
    assert all(pick(quiz.question(qid).explanation, "en") in secrets[qid] for qid in key.question_ids)
    public = public_texts(app, quiz)

    responses = {}
    for lang in LANGS:
        responses |= pre_submission_responses(client, key, quiz_id, lang)
    assert leaks(responses, secrets) == []
    for name, (body, is_json) in responses.items():
        text = _CSRF.sub("", json.dumps(json.loads(body), ensure_ascii=False) if is_json else body)
        for public_text in sorted(public, key=len, reverse=True):
            text = text.replace(public_text, "") if len(public_text) > 3 else text
        assert [marker for marker in MARKERS if marker in text.lower()] == [], name
    assert_tokens_are_display_positions(app, quiz, key, responses)

    submitted = client.post(f"{API}/attempts/{attempt_id}/submit", json={"answers": {}, "allow_unanswered": True})
    assert submitted.status_code == 200
    for lang in LANGS:
        review = {f"{lang} review": fetch(client, f"/attempts/{attempt_id}/review", lang)}
        result = {f"{lang} API result": fetch(client, f"{API}/attempts/{attempt_id}/result", lang)}
        explanations = {qid: {pick(quiz.question(qid).explanation, lang)} for qid in key.question_ids}
        assert len(leaks(review, explanations)) == len(key.question_ids)  # positive control
        assert len(leaks(result, explanations)) == len(key.question_ids)


def assert_tokens_are_display_positions(app, quiz, key, responses: dict[str, tuple[str, bool]]) -> None:
    """Options, choices, prompts and items are named by their position in the attempt, never by authored id."""
    page = responses["en take page"][0]
    for number, question_id in enumerate(key.question_ids, start=1):
        question, kind = key.questions[question_id], key.type(question_id)
        fieldset = page.split(f'id="q{number}"', 1)[1].split("</fieldset>", 1)[0]
        values = re.findall(r'<(?:input|option)[^>]*\svalue="([^"]*)"', fieldset)
        names = sorted(set(re.findall(r'\sname="(q\d+[^"]*)"', fieldset)))
        positions = [str(i) for i in range(len(key.tokens(question_id)))]
        if kind in ("single", "multiple"):
            assert values == positions and names == [f"q{number}"], question_id
        elif kind == "matching":
            prompts = [str(i) for i in range(len(question["prompts"]))]
            assert names == [f"q{number}.{prompt}" for prompt in prompts]
            assert values == ["", *positions] * len(prompts)
        elif kind == "ordering":
            assert names == sorted(f"q{number}.{token}" for token in positions)
            assert values == ["", *(str(int(i) + 1) for i in positions)] * len(positions)
    document = json.loads(responses["en API attempt"][0])
    for item in document["questions"]:
        for field in ("options", "prompts", "choices", "items"):
            if field in item:
                assert [choice["id"] for choice in item[field]] == [str(i) for i in range(len(item[field]))]
                assert set(item[field][0]) == {"id", "text"}
    authored = {
        choice["id"]
        for question in key.questions.values()
        for field in ("options", "prompts", "choices", "items")
        for choice in question.get(field, [])
    }
    course, public = course_of(app), public_texts(app, quiz)
    in_urls = {course.id, *course.lesson_ids, *(q.id for q in course.quizzes), *key.questions}
    distinctive = {oid for oid in authored if "-" in oid and oid not in in_urls and not occurs(oid, public)}
    for name, (body, _is_json) in responses.items():
        assert [oid for oid in distinctive if re.search(rf"(?<![\w-]){re.escape(oid)}(?![\w-])", body)] == [], name


@pytest.mark.parametrize("quiz_id", QUIZ_IDS)
def test_checking_one_question_reveals_only_that_question(app, client, login_as, make_user, quiz_id: str) -> None:
    login_as(make_user(locale=None))
    attempt_id = start_attempt(client, quiz_id)
    key, quiz = attempt_key(app, attempt_id), quiz_of(app, quiz_id)
    checked, others = key.question_ids[0], key.question_ids[1:]
    data = {**key.form_data({checked: key.wrong(checked)}), "check": "1"}
    fragment = fetch(client, f"/attempts/{attempt_id}", "en", "POST", {"X-Requested-With": "fetch"}, data=data)

    for lang in LANGS:
        document = json.loads(fetch(client, f"{API}/attempts/{attempt_id}", lang)[0])
        result = next(question["result"] for question in document["questions"] if question["id"] == checked)
        revealed = readable(json.dumps(result), True)  # what checking that question rightly shows
        secrets = {
            qid: {secret for secret in group if not occurs(secret, revealed)}
            for qid, group in secrets_to_look_for(app, quiz, others).items()
        }
        responses = {
            f"{lang} take page": fetch(client, f"/attempts/{attempt_id}", lang),
            f"{lang} API attempt": fetch(client, f"{API}/attempts/{attempt_id}", lang),
        }
        if lang == "en":
            responses["en page script answer"] = fragment
        assert leaks(responses, secrets) == []
        explanation = {checked: {pick(quiz.question(checked).explanation, lang)}}
        assert len(leaks(responses, explanation)) == len(responses)
        document = json.loads(responses[f"{lang} API attempt"][0])
        assert [q["id"] for q in document["questions"] if "result" in q] == [checked]
        page = responses[f"{lang} take page"][0]
        assert page.count('class="outcome outcome--') == 1 and page.count('class="explanation"') == 1
