"""Partial credit in the browser: a learner's near miss earns part of the points, the review says how much and by
which rule, in both languages; nothing of it shows before the answer is checked or submitted."""

from __future__ import annotations

import html
import re

import pytest
import yaml
from flask import Flask

from course.core.authoring.documents import dump_yaml
from tests.quiz_helpers import (
    COURSE,
    MANDATE,
    QUIZ_DIR,
    attempt_key,
    client_for,
    faster_apps,
    quiz_folder,
    start_attempt,
)

NEAR_MISS = "backing from management"


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    return faster_apps(make_app, monkeypatch)


def with_partial_credit() -> str:
    """The mandate quiz with a partly right option, weights on the multiple-choice question and a short-text near
    miss with its own feedback."""
    data = yaml.safe_load((QUIZ_DIR / COURSE / f"{MANDATE}.yml").read_text(encoding="utf-8"))
    questions = {question["id"]: question for question in data["questions"]}
    single = questions["pay-depends-on"]
    next(option for option in single["options"] if option["id"] == "quarter-revenue")["percent"] = 25
    weights = {"contract-renewed": 40, "complaints-closed": 30, "contacts-confirmed": 30, "twenty-visits": -100}
    for option in questions["good-objectives"]["options"]:
        option.pop("correct", None)
        option["percent"] = weights.get(option["id"], 0)
    short = questions["fourth-question"]
    short["answers"] = [
        {"accept": short.pop("accept"), "patterns": short.pop("patterns")},
        {
            "accept": {"de": ["Rückhalt der Geschäftsleitung"], "en": [NEAR_MISS]},
            "percent": 40,
            "feedback": {
                "de": "Fast: Der Rückhalt der Geschäftsleitung ist ein Teil der gesuchten Unterstützung.",
                "en": "Close: backing from management is one part of the support the question asks about.",
            },
        },
    ]
    return dump_yaml(data)


@pytest.fixture
def partial_app(make_app, tmp_path) -> Flask:
    folder = quiz_folder(tmp_path)
    (folder / COURSE / f"{MANDATE}.yml").write_text(with_partial_credit(), encoding="utf-8")
    return make_app(QUIZ_DIR=str(folder))


def fieldset(page: str, number: int) -> str:
    return page.split('<fieldset class="question')[number].split("</fieldset>")[0]


def text_of(fragment: str) -> str:
    """The fragment's text with its no-break spaces kept (str.split would take them for spaces)."""
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


@pytest.mark.parametrize(
    ("lang", "partly", "scoring", "credit"),
    [
        ("en", "partly right: 25\u00a0%", "Scoring: each option you ticked adds its weight", "Credit for your answer"),
        ("de", "teilweise richtig: 25\u00a0%", "Bewertung: Jede angekreuzte Option zählt", "Punkte für Ihre Antwort"),
    ],
)
def test_the_review_shows_what_a_near_miss_earned_and_by_which_rule(
    partial_app: Flask, make_user, lang: str, partly: str, scoring: str, credit: str
) -> None:
    client = client_for(partial_app, make_user(locale=lang))
    attempt_id = start_attempt(client)
    key = attempt_key(partial_app, attempt_id)
    tokens = key.tokens("good-objectives")
    answers = {
        "pay-depends-on": key.tokens("pay-depends-on")["quarter-revenue"],
        "good-objectives": sorted([tokens["contract-renewed"], tokens["complaints-closed"]], key=int),
        "fourth-question": NEAR_MISS if lang == "en" else "Rückhalt der Geschäftsleitung",
    }
    take = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    for secret in ("25\u00a0%", "Close: backing", "Fast: Der Rückhalt", "−100", "weight", "Gewicht"):
        assert secret not in take  # nothing of the credit before the answers are in
    response = client.post(f"/attempts/{attempt_id}", data={**key.form_data(answers), "submit": "1", "confirm": "1"})
    assert response.status_code == 302
    review = client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)

    single = fieldset(review, key.number("pay-depends-on"))
    assert partly in text_of(single)
    assert re.search(r'<li class="\s*is-chosen is-partial">', single)

    weighted = text_of(fieldset(review, key.number("good-objectives")))
    assert scoring in weighted
    assert ("weight +40\u00a0%" if lang == "en" else "Gewicht +40\u00a0%") in weighted
    assert ("weight −100\u00a0%" if lang == "en" else "Gewicht −100\u00a0%") in weighted

    short = text_of(fieldset(review, key.number("fourth-question")))
    assert credit in short
    assert ("Close: backing" if lang == "en" else "Fast: Der Rückhalt") in short
    # 1 × 25 % of 1 point, 70 % of the multiple-choice points, 40 % of the short-text points: partly right each
    assert text_of(review).count("Partly right" if lang == "en" else "Teilweise richtig") >= 3


def test_checking_one_answer_shows_its_partial_credit_at_once(partial_app: Flask, make_user) -> None:
    client = client_for(partial_app, make_user(locale="en"))
    attempt_id = start_attempt(client)
    key = attempt_key(partial_app, attempt_id)
    number = key.number("pay-depends-on")
    data = {**key.form_data({"pay-depends-on": key.tokens("pay-depends-on")["quarter-revenue"]}), "check": str(number)}
    page = client.post(f"/attempts/{attempt_id}", data=data, follow_redirects=True).get_data(as_text=True)
    checked = text_of(fieldset(page, number))
    assert "Partly right" in checked and "partly right: 25\u00a0%" in checked
