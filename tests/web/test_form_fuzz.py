"""Every form of every role, sent hostile values: never a server error, never a traceback (issue #13, item 4).

The forms are found, not listed: for each role the test crawls the pages reachable by links from a few
starting pages, parses every <form> with lxml and sends it
- once per value class with that value in every field at once,
- once per field with one value class in it and the form's own values elsewhere (the class turns with the
  field, from a seeded order), so every field meets every class in the first pass and each one alone in the
  second,
- with every field sent twice, and without its CSRF token.
The value classes are the ones that once broke a page somewhere: NUL, an encoded lone surrogate, invalid
UTF-8, 10 kB and 1 MB of text, a 5,000-digit integer, 1e309, NaN, negative numbers, RTL marks. It runs with
CSRF protection on, so the tokens are real. Bad input must lose nothing: a refused submission of the quiz
form leaves every stored answer as it was.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode, urljoin, urlsplit

import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient

from course.core.sandbox import recommended_plan
from course.core.sandbox.evaluation import plan_data
from tests.quiz_helpers import COURSE, MANDATE, client_for, faster_apps, snapshot

SEED = 13
MAX_PAGES = 60  # per role; the site has fewer distinct pages than this once ids are folded (see _shape)
HUGE_TEXT = "x" * 1_000_000
VALUES: dict[str, str | bytes] = {
    "nul": "a\x00b",
    "surrogate": b"%ED%A0%80",  # a lone surrogate, UTF-8 encoded: not valid UTF-8
    "invalid-utf8": b"%FF%FE%C3",
    "10kB": "ü" * 10_000,
    "huge-int": "9" * 5_000,
    "1e309": "1e309",
    "nan": "NaN",
    "negative": "-1",
    "very-negative": "-99999999999999999999",
    "rtl": "\u202etxet\u202c\u200f",
    "empty": "",
}
SKIPPED_ACTIONS = ("/auth/logout",)  # it would end the crawl's session, and it reads no field


@dataclass(frozen=True)
class FoundForm:
    page: str
    action: str
    method: str
    fields: tuple[tuple[str, str], ...]  # (name, the value the page gives it), buttons left out
    buttons: tuple[tuple[str, str], ...]

    @property
    def names(self) -> list[str]:
        return sorted({name for name, _value in self.fields + self.buttons if name != "csrf_token"})


@pytest.fixture
def app(make_app, monkeypatch: pytest.MonkeyPatch) -> Flask:
    app = faster_apps(make_app, monkeypatch)(PROPAGATE_EXCEPTIONS=False, WTF_CSRF_ENABLED=True)
    app.test_client().get("/")  # the first request imports the bundled course
    return app


def _shape(url: str) -> str:
    """A URL with its numbers folded, so /attempts/1 and /attempts/2 count as one page."""
    path = urlsplit(url).path
    return "/".join("#" if part.isdigit() else part for part in path.split("/"))


def _forms(page_url: str, html: str) -> Iterator[FoundForm]:
    document = lxml.html.fromstring(html)
    for form in document.forms:
        action = urljoin(page_url, form.get("action") or page_url)
        if urlsplit(action).netloc not in ("", "localhost") or action.startswith(SKIPPED_ACTIONS):
            continue
        fields, buttons = [], []
        for element in form.inputs:
            name = element.get("name")
            if not name:
                continue
            kind = (element.get("type") or "text").lower()
            if element.tag == "button" or kind in {"submit", "image", "reset", "button"}:
                buttons.append((name, element.get("value") or ""))
            elif kind in {"checkbox", "radio"}:
                if element.checked:
                    fields.append((name, element.get("value") or "on"))
            elif kind == "file":
                continue
            else:
                value = element.value
                fields.append((name, (value[0] if value else "") if isinstance(value, list | set) else value or ""))
        method = (form.get("method") or "get").upper()
        yield FoundForm(page_url, urlsplit(action).path, method, tuple(fields), tuple(buttons))


def _kind(app: Flask, form: FoundForm) -> tuple:
    """What makes two forms differ for the fuzzer: the view, the fields, and the kind of file a studio form edits
    (every lesson's editor is the same form; a lesson, a quiz and course.yml are read differently)."""
    endpoint, _args = app.url_map.bind("localhost").match(form.action, method=form.method)
    file_kind = form.action.rsplit(".", 1)[-1] + ("-quiz" if "/quizzes/" in form.action else "")
    return endpoint, form.method, tuple(form.names), file_kind if endpoint.startswith("authoring.") else ""


def crawl(client: FlaskClient, starts: list[str], known: set[tuple]) -> list[FoundForm]:
    """The forms on the pages reachable from `starts` not `known` yet (one per `_kind`); adds them to `known`."""
    queue, seen_pages, forms = list(starts), set(), {}
    while queue and len(seen_pages) < MAX_PAGES:
        url = queue.pop(0)
        if _shape(url) in seen_pages:
            continue
        seen_pages.add(_shape(url))
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        for form in _forms(url, html):
            kind = _kind(client.application, form)
            if kind not in known:
                known.add(kind)
                forms[kind] = form
        for link in lxml.html.fromstring(html).iterlinks():
            element, attribute, target, _pos = link
            if element.tag != "a" or attribute != "href":
                continue
            target = urljoin(url, target.split("#")[0])
            parts = urlsplit(target)
            if parts.netloc in ("", "localhost") and not parts.path.startswith(("/static/", "/media/", "/auth/logout")):
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return list(forms.values())


def _encode(pairs: list[tuple[str, str | bytes]]) -> bytes:
    """A form body; byte values are sent as they are (already percent-encoded), so invalid UTF-8 gets through."""
    parts = []
    for name, value in pairs:
        encoded = value if isinstance(value, bytes) else urlencode({"": value})[1:].encode()
        parts.append(urlencode({name: ""}).encode() + encoded)
    return b"&".join(parts)


def send(client: FlaskClient, form: FoundForm, pairs: list[tuple[str, str | bytes]]):
    body = _encode(pairs)
    if form.method == "GET":
        return client.get(f"{form.action}?{body.decode()}")
    return client.post(form.action, data=body, content_type="application/x-www-form-urlencoded")


def assert_no_server_error(response, form: FoundForm, case: str) -> None:
    # A form may answer with a download (the data export's ZIP): only text is searched for a traceback.
    text = response.get_data(as_text=True) if response.mimetype.startswith("text/") else ""
    assert response.status_code < 500, f"{form.method} {form.action} ({case}): {response.status_code}\n{text[:800]}"
    assert "Traceback" not in text, f"{form.method} {form.action} ({case})"


def _token(form: FoundForm) -> list[tuple[str, str]]:
    return [(name, value) for name, value in form.fields if name == "csrf_token"]


def fuzz_form(client: FlaskClient, form: FoundForm, rng: random.Random) -> int:
    """Send the form every hostile way; the number of requests sent."""
    token = _token(form)
    own = [(name, value) for name, value in form.fields if name != "csrf_token"]
    names = form.names
    classes = list(VALUES)
    sent = 0

    def go(pairs: list[tuple[str, str | bytes]], case: str) -> None:
        nonlocal sent
        assert_no_server_error(send(client, form, token + pairs), form, case)
        sent += 1

    for value_class in classes:  # every field at once
        go([(name, VALUES[value_class]) for name in names], f"all fields {value_class}")
    offset = rng.randrange(len(classes))
    for index, name in enumerate(names):  # each field alone, the class turning with the field
        value_class = classes[(index + offset) % len(classes)]
        go([pair for pair in own if pair[0] != name] + [(name, VALUES[value_class])], f"{name}={value_class}")
    if names:
        go(own + [(names[0], HUGE_TEXT)], f"{names[0]}=1MB")
        go(own + own + [(name, "1") for name in names], "every field twice")
    assert_no_server_error(send(client, form, own), form, "without the CSRF token")
    return sent + 1


def _roles(app: Flask, make_user) -> dict[str, tuple[FlaskClient, list[str]]]:
    """A client per role with its starting pages: a learner with an open attempt and a saved design."""
    learner = client_for(app, make_user(locale="en"))
    token = learner.get("/api/v1/session").get_json()["csrf_token"]
    headers = {"X-CSRFToken": token}
    attempt = learner.post(f"/api/v1/courses/{COURSE}/quizzes/{MANDATE}/attempts", headers=headers).get_json()
    plan = plan_data(recommended_plan("defend"))  # saved as version 1, so the trainers' comment form exists
    design = learner.post(
        f"/api/v1/courses/{COURSE}/sandbox/designs", json={"scenario": "defend", "plan": plan}, headers=headers
    ).get_json()
    course = f"/courses/{COURSE}"
    learner_pages = ["/", course, f"/attempts/{attempt['id']}", f"/sandbox/designs/{design['id']}", f"{course}/sandbox"]
    staff_pages = [
        "/",
        "/studio",
        f"/studio/courses/{COURSE}/learners",
        f"/sandbox/designs/{design['id']}/versions/1",
        f"{course}/sandbox/weights",
        f"/studio/files/quizzes/{COURSE}/{MANDATE}.yml/try",
    ]
    roles = {
        "anonymous": (app.test_client(), ["/", course, "/auth/login", "/auth/register", "/verify"]),
        "learner": (learner, learner_pages),
        "trainer": (client_for(app, make_user(role="trainer", locale="de")), staff_pages),
        "admin": (client_for(app, make_user(role="admin", locale="en")), staff_pages),
    }
    return roles


def test_no_form_of_any_role_answers_hostile_values_with_a_server_error(app: Flask, make_user) -> None:
    rng = random.Random(SEED)
    found: dict[str, list[FoundForm]] = {}
    known: set[tuple] = set()  # a form the trainer was sent is not sent again as the admin
    for role, (client, starts) in _roles(app, make_user).items():
        found[role] = crawl(client, starts, known)
        for form in found[role]:
            if form.method == "POST" and form.names:  # bad input loses nothing: refused, nothing stored
                before = snapshot(app)
                response = send(client, form, [*_token(form), *((name, "a\x00b") for name in form.names)])
                assert response.status_code == 400, f"{form.action}: {response.status_code}"
                assert snapshot(app) == before, form.action
            fuzz_form(client, form, rng)
    endpoints = {_kind(app, form)[0] for forms in found.values() for form in forms}
    assert {
        "auth.login",
        "auth.register",
        "quiz.answer",
        "sandbox.evaluate",
        "sandbox.comment",
        "sandbox.save_weights",
        "authoring.edit",
        "authoring.try_quiz",
        "analytics.learners",
        "site.set_language",
    } <= endpoints, endpoints
