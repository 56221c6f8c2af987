"""Figures and knowledge checks in lessons: the figure is in the page, the check's answers are not, and the check
answers with feedback as JSON (with JavaScript) or as a page (without), behind CSRF, never with a 500."""

from __future__ import annotations

import re

import pytest

from tests.quiz_helpers import faster_apps

LESSON = "/courses/kam-pay/lessons/year-end-retention-bonus"
CHECK = f"{LESSON}/checks/check-1"
JSON = {"Accept": "application/json", "Accept-Language": "en"}


@pytest.fixture
def client(make_app, monkeypatch):
    return faster_apps(make_app, monkeypatch)().test_client()


@pytest.mark.parametrize(("lang", "label"), [("de", "Stichtag 31. Dezember:"), ("en", "Cut-off date 31 December:")])
def test_lesson_shows_its_figure_inline_with_a_text_alternative(client, lang: str, label: str) -> None:
    page = client.get(LESSON, headers={"Accept-Language": lang}).get_data(as_text=True)
    figure = re.search(r'<figure class="lesson-figure" id="figure-1">(.*?)</figure>', page, re.S).group(1)
    assert '<svg viewBox="0 0 400 300" role="img" aria-labelledby="figure-1-title"' in figure
    assert re.search(r'<title id="figure-1-title">[^<]{40,}</title>', figure)
    assert label in figure and "<figcaption>" in figure
    assert "style" not in figure and "<script" not in figure


def test_check_form_has_no_answers_and_a_working_token(client) -> None:
    page = client.get(LESSON, headers={"Accept-Language": "en"}).get_data(as_text=True)
    form = re.search(r'<form class="knowledge-check".*?</form>', page, re.S).group(0)
    assert 'action="year-end-retention-bonus/checks/check-1"' in form
    assert "correct" not in form and "feedback" not in form.replace("knowledge-check__feedback", "")
    assert "That is the sum for Plan A" not in page  # feedback stays on the server
    assert "@@csrf_token@@" not in page
    assert re.search(r'src="/static/js/checks\.[0-9a-f]{16}\.js" defer', page)  # hashed name: course/assets.py


def test_every_lesson_has_a_figure_and_a_check_in_both_languages(make_app, monkeypatch) -> None:
    app = faster_apps(make_app, monkeypatch)()
    with app.test_request_context():
        from course.publishing.cache import catalog

        texts = [text for lesson in catalog().course("kam-pay").lessons for text in lesson.texts.values()]
    assert len(texts) == 12
    assert all(text.checks and '<figure class="lesson-figure"' in text.html for text in texts)


def test_right_answer_as_json(client) -> None:
    response = client.post(CHECK, data={"option": "0", "lang": "en"}, headers=JSON)
    assert response.status_code == 200
    assert response.json["correct"] is True and response.json["verdict"] == "Right."
    assert "condition is the plan’s anchor" in response.json["feedback"]


def test_wrong_answer_as_json_in_german(client) -> None:
    response = client.post(CHECK, data={"option": "2", "lang": "de"}, headers={**JSON, "Accept-Language": "de"})
    assert response.json["correct"] is False and response.json["verdict"] == "Nicht ganz."
    assert "Rechnung für Plan A" in response.json["feedback"]


def test_without_javascript_the_feedback_is_a_page_with_a_link_back(client) -> None:
    response = client.post(CHECK, data={"option": "1", "lang": "en"}, headers={"Accept-Language": "en"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Not quite." in page and "pro-rata bonus would reward" in page
    assert f'href="{LESSON}#check-1"' in page


@pytest.mark.parametrize("option", ["", "x", "3", "-1", "99999999999999999999"])
def test_a_missing_or_unknown_option_is_a_400_with_a_message(client, option: str) -> None:
    response = client.post(CHECK, data={"option": option, "lang": "en"}, headers=JSON)
    assert response.status_code == 400
    assert response.json["message"] == "Choose one of the answers, then check it."
    page = client.post(CHECK, data={"option": option}, headers={"Accept-Language": "en"})
    assert page.status_code == 400 and "Choose one of the answers" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "url",
    [
        f"{LESSON}/checks/no-such-check",
        "/courses/kam-pay/lessons/no-such-lesson/checks/check-1",
        "/courses/no-such-course/lessons/year-end-retention-bonus/checks/check-1",
    ],
)
def test_an_unknown_check_is_a_404(client, url: str) -> None:
    assert client.post(url, data={"option": "0"}, headers=JSON).status_code == 404


def test_an_unknown_language_falls_back_to_the_page_language(client) -> None:
    response = client.post(CHECK, data={"option": "0", "lang": "xx"}, headers={**JSON, "Accept-Language": "de"})
    assert response.status_code == 200 and "Anker des Plans" in response.json["feedback"]


@pytest.mark.parametrize("fast", [True, False])
def test_with_csrf_on_the_token_in_the_lesson_form_is_accepted_and_none_is_refused(make_app, monkeypatch, fast) -> None:
    app = faster_apps(make_app, monkeypatch)(WTF_CSRF_ENABLED=True, FAST_PATHS=fast)
    client = app.test_client()
    page = client.get(LESSON, headers={"Accept-Language": "en"}).get_data(as_text=True)
    form = re.search(r'<form class="knowledge-check".*?</form>', page, re.S).group(0)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    refused = client.post(CHECK, data={"option": "0", "lang": "en"}, headers=JSON)
    assert refused.status_code == 400
    accepted = client.post(CHECK, data={"option": "0", "lang": "en", "csrf_token": token}, headers=JSON)
    assert accepted.status_code == 200 and accepted.json["correct"] is True
