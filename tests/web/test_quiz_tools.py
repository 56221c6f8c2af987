"""The quiz as a tool: the question navigator, the ordering widget's markup, the review's summary, whole percentages.

The browser side (the navigator following the answers, dragging and the move buttons) is in
tests/e2e/test_quiz_journey.py; these tests pin what the server sends, with and without JavaScript.
"""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask
from sqlalchemy import update

from course.extensions import db
from course.models import QuizAttempt
from tests.quiz_helpers import MANDATE, attempt_key, faster_apps, plain, quiz_url, start_attempt

EN = {"Accept-Language": "en"}
NBSP = "\u00a0"


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    return faster_apps(make_app, monkeypatch)


def navigator(page: str) -> str:
    match = re.search(r'<nav class="quiz-nav[^"]*".*?</nav>', page, re.S)
    assert match, "no question navigator on the page"
    return match.group(0)


def nav_states(page: str) -> dict[int, tuple[str, str]]:
    """Question number → (state, the words a screen reader hears after the number)."""
    links = re.findall(r'<a class="quiz-nav__link[^"]*" href="#q(\d+)" data-state="(\w+)">(.*?)</a>', page, re.S)
    return {int(n): (state, plain(body)) for n, state, body in links}


def test_take_page_lists_every_question_in_a_navigator_of_plain_links(app, client, login_as, make_user) -> None:
    login_as(make_user(locale="en"))
    attempt_id = start_attempt(client)
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    nav = navigator(page)
    states = nav_states(nav)
    assert list(states) == list(range(1, 8))
    assert states[3] == ("open", "Question 3 ○ : not answered")
    assert all(page.count(f'id="q{n}"') == 1 for n in states)  # every link has its target
    assert "0 of 7 answered" in plain(nav)
    assert 'data-state-checked="checked: {state}"' in nav  # the script's words, without any verdict in them
    # The navigator comes before the form: keyboard users meet it first; it works without the script.
    assert page.index('class="quiz-nav') < page.index('<form class="quiz-form"')


def test_navigator_shows_saved_answers_and_the_verdict_of_a_checked_question(app, client, login_as, make_user) -> None:
    login_as(make_user(locale="de"))
    attempt_id = start_attempt(client)
    key = attempt_key(app, attempt_id)
    single, truefalse = key.of_type("single"), key.of_type("truefalse")
    data = key.form_data({single: key.wrong(single), truefalse: key.right(truefalse)})
    client.post(f"/attempts/{attempt_id}", data={**data, "check": str(key.number(single))})

    states = nav_states(client.get(f"/attempts/{attempt_id}").get_data(as_text=True))
    assert states[key.number(single)][0] == "wrong"
    assert states[key.number(single)][1].endswith("geprüft: nicht richtig")
    assert states[key.number(truefalse)] == ("answered", f"Frage {key.number(truefalse)} ● : beantwortet")
    others = set(states) - {key.number(single), key.number(truefalse)}
    assert {states[n][0] for n in others} == {"open"}


def test_the_hint_on_checking_is_said_once_and_type_hints_sit_in_the_legend(app, client, login_as, make_user) -> None:
    login_as(make_user(locale="en"))
    attempt_id = start_attempt(client)
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    text = plain(page)
    assert text.count("once checked, it can no longer be changed") == 1
    assert "Checking locks this answer." not in text
    assert f"You need 75{NBSP}% to pass." in html.unescape(page)
    legends = re.findall(r"<legend.*?</legend>", page, re.S)
    assert sum("Tick every option that applies." in legend for legend in legends) == 1
    assert page.count("Tick every option that applies.") == 1


def test_ordering_offers_position_selects_and_hidden_tools_for_the_script(app, client, login_as, make_user) -> None:
    login_as(make_user(locale="en"))
    attempt_id = start_attempt(client)
    key = attempt_key(app, attempt_id)
    ordering = key.of_type("ordering")
    number, count = key.number(ordering), len(key.tokens(ordering))
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    fieldset = page.split(f'id="q{number}"')[1].split("</fieldset>")[0]
    # Without the script: one position select per item, named as the server has always read them.
    assert sorted(re.findall(rf'name="q{number}\.(\d+)"', fieldset)) == sorted(key.tokens(ordering).values())
    assert fieldset.count("<select") == count
    # For the script: the move buttons and the drag handle, hidden until it runs, and a live status.
    assert fieldset.count('<span class="ordering__tools" hidden>') == count
    assert fieldset.count('data-move="-1"') == count and fieldset.count('data-move="1"') == count
    assert 'data-ordering data-moved="Position {n} of {m}: {item}"' in fieldset
    assert 'role="status" data-ordering-status' in page
    assert "Give each item its position: 1 comes first." in fieldset  # the hint without the script

    # Once checked, the question is locked: no tools, no script hooks.
    data = key.form_data({ordering: key.right(ordering)})
    client.post(f"/attempts/{attempt_id}", data={**data, "check": str(number)})
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    fieldset = page.split(f'id="q{number}"')[1].split("</fieldset>")[0]
    assert "ordering__tools" not in fieldset and "data-ordering" not in fieldset and "ordering__handle" not in fieldset


def test_review_starts_with_counts_and_links_to_every_question(app, client, login_as, make_user) -> None:
    login_as(make_user(locale="en"))
    attempt_id = start_attempt(client)
    key = attempt_key(app, attempt_id)
    ordering = key.of_type("ordering")
    answers = key.right_answers()
    first, second, *rest = key.right(ordering)
    answers[ordering] = [second, first, *rest]  # one pair swapped: partly right
    wrong = [key.of_type("single"), key.of_type("numeric")]
    answers.update({question_id: key.wrong(question_id) for question_id in wrong})
    client.post(f"/attempts/{attempt_id}", data={**key.form_data(answers), "submit": "1"})

    page = client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    result = page.split('<section class="result')[1].split("</section>")[0]
    assert page.index('<section class="result') < page.index('<fieldset class="question')
    assert "Right: 4" in plain(result) and "Partly right: 1" in plain(result) and "Not right: 2" in plain(result)
    states = nav_states(result)
    assert list(states) == list(range(1, 8))
    assert states[key.number(ordering)][0] == "partial"
    assert {states[key.number(question_id)][0] for question_id in wrong} == {"wrong"}
    truefalse = key.number(key.of_type("truefalse"))
    assert states[truefalse][1] == f"Question {truefalse} ✓ : right, 1 / 1 points"
    assert all(f'<fieldset class="question" id="q{n}"' in page for n in states)


def _review_with_stored_score(app: Flask, client, attempt_id: int, percent: float, score: float, passed: bool) -> str:
    """The review after the stored result is set to `percent` (the grading of edge scores is tested in core)."""
    with app.app_context():
        db.session.execute(
            update(QuizAttempt)
            .where(QuizAttempt.id == attempt_id)
            .values(percent=percent, score=score, max_score=8.0, passed=passed)
        )
        db.session.commit()
    return html.unescape(client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True))


@pytest.mark.parametrize(
    ("lang", "percent", "score", "passed", "line"),
    [
        ("en", 66.67, 5.33, False, f"(67{NBSP}%); 75{NBSP}% needed to pass."),
        ("de", 66.67, 5.33, False, f"(67{NBSP}%); zum Bestehen sind 75{NBSP}% nötig."),
        ("en", 74.6, 5.97, False, f"(74{NBSP}%)"),  # a fail never reads as the pass mark
        ("en", 75.0, 6.0, True, f"(75{NBSP}%)"),
        ("en", 99.6, 7.97, True, f"(99{NBSP}%)"),  # short of full marks never reads as 100
    ],
)
def test_review_shows_whole_percentages_that_agree_with_the_result(
    app, client, login_as, make_user, lang: str, percent: float, score: float, passed: bool, line: str
) -> None:
    login_as(make_user(locale=lang))
    attempt_id = start_attempt(client)
    key = attempt_key(app, attempt_id)
    client.post(f"/attempts/{attempt_id}", data={**key.form_data(key.wrong_answers()), "submit": "1"})
    page = _review_with_stored_score(app, client, attempt_id, percent, score, passed)
    assert line in page
    best = "Your best result" if lang == "en" else "Ihr bestes Ergebnis"
    assert f"{best}: {line[1:].split(')')[0]}" in page
    quiz_page = html.unescape(client.get(quiz_url(MANDATE)).get_data(as_text=True))
    assert line[1:].split(")")[0] in quiz_page  # the attempts table on the quiz page says the same
