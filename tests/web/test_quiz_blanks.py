"""Blanks in the browser: a select and a text field inside the sentence, each labelled, answered without JavaScript,
checked on its own, reviewed blank by blank in both languages; a bad blank is refused at the question."""

from __future__ import annotations

import html
import re

import pytest

from tests.quiz_helpers import attempt_key, client_for, faster_apps, start_attempt

QUIZ = "year-end-retention-bonus-quiz"
QUESTION = "complete-the-rule"


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    return faster_apps(make_app, monkeypatch)


def fieldset(page: str, number: int) -> str:
    return page.split('<fieldset class="question')[number].split("</fieldset>")[0]


def text_of(fragment: str) -> str:
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def open_question(app, make_user, lang: str):
    client = client_for(app, make_user(locale=lang))
    attempt_id = start_attempt(client, QUIZ)
    key = attempt_key(app, attempt_id)
    return client, attempt_id, key, key.number(QUESTION)


@pytest.mark.parametrize(
    ("lang", "before", "label"),
    [
        ("en", "paid in January only if the customer", "Blank 1 of 2"),
        ("de", "wenn der Kunde am 31. Dezember", "Lücke 1 von 2"),
    ],
)
def test_the_blanks_stand_inside_the_sentence_each_with_its_label(app, make_user, lang, before, label) -> None:
    client, attempt_id, _key, number = open_question(app, make_user, lang)
    question = fieldset(client.get(f"/attempts/{attempt_id}").get_data(as_text=True), number)
    select = re.search(
        rf'{re.escape(before)}\s*<span class="blank"><label class="visually-hidden" for="(q{number}-b0)">', question
    )
    assert select, question
    assert label in question
    assert f'<select class="blank__field" id="q{number}-b0" name="q{number}.0"' in question
    assert (
        '<input class="blank__field blank__field--text" type="text"' in question and f'name="q{number}.1"' in question
    )
    assert "{{" not in question and "blank-gap" not in question  # the fields stand where the markers were
    assert ("Fill in the blanks." if lang == "en" else "Füllen Sie die Lücken aus.") in question


@pytest.mark.parametrize("lang", ["en", "de"])
def test_blanks_are_graded_one_by_one_and_reviewed_in_the_texts_order(app, make_user, lang: str) -> None:
    client, attempt_id, key, number = open_question(app, make_user, lang)
    right = key.right(QUESTION, lang)
    answers = key.right_answers(lang) | {QUESTION: {"0": right["0"], "1": "15 %"}}  # the variable share: wrong
    response = client.post(f"/attempts/{attempt_id}", data={**key.form_data(answers), "submit": "1"})
    assert response.status_code == 302
    review = client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    shown = text_of(fieldset(review, number))
    if lang == "en":
        assert "Partly right" in shown and "Points: 0.5 / 1" in shown
        assert "(1) is still doing business with Steinhoff is still doing business with Steinhoff" in shown
        assert "(2) 15 % 85% · 85\u00a0% · 85 percent" in shown
        assert "15% is the variable part" in shown
    else:
        assert "Teilweise richtig" in shown and "Punkte: 0,5 / 1" in shown
        assert "(2) 15 % 85\u00a0% · 85% · 85\u00a0Prozent" in shown
        assert "15\u00a0% sind der variable Teil" in shown
    assert '<span class="blank-gap">(1)</span>' in fieldset(review, number)  # the sentence with numbered gaps


def test_checking_the_blanks_locks_them_and_shows_their_outcome(app, make_user) -> None:
    client, attempt_id, key, number = open_question(app, make_user, "en")
    answers = {QUESTION: key.right(QUESTION, "en")}
    data = {**key.form_data(answers), "check": str(number)}
    page = client.post(f"/attempts/{attempt_id}", data=data, follow_redirects=True).get_data(as_text=True)
    question = fieldset(page, number)
    assert "Right" in text_of(question) and "Points: 1 / 1" in text_of(question)
    assert re.search(r'<select class="blank__field"[^>]*disabled', question)
    assert 'value="85%" disabled' in question or re.search(r'value="85%"[^>]*disabled', question)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("0", "9", "That choice is not one of the options shown."), ("5", "x", "That blank is not part of the question.")],
)
def test_a_bad_blank_is_refused_at_its_question_and_the_other_answers_are_kept(
    app, make_user, field: str, value: str, message: str
) -> None:
    client, attempt_id, key, number = open_question(app, make_user, "en")
    data = {f"q{number}.{field}": value, f"q{number}.1": "85 percent", "save": "1"}
    response = client.post(f"/attempts/{attempt_id}", data=data)
    page = (
        response.get_data(as_text=True)
        if response.status_code != 302
        else client.get(response.headers["Location"]).get_data(as_text=True)
    )
    question = fieldset(page, number)
    assert message in text_of(question)
    assert 'value="85 percent"' in question
