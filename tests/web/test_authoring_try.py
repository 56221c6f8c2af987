"""The studio's "try it" mode: a quiz revision as learners see it, graded on the spot, stored nowhere."""

from __future__ import annotations

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient

from course.authoring.tryout import file_order
from course.core.quiz import gift, make_layout, parse_quiz
from course.extensions import db
from course.models import ContentRevision, QuizAttempt, QuizResult
from course.publishing import operations as publishing
from tests.conftest import QUIZ_DIR
from tests.quiz_helpers import COURSE, DRAW_QUIZ, MANDATE, AttemptKey, _questions, count, faster_apps, plain

PATH = f"quizzes/{COURSE}/{MANDATE}.yml"
URL = f"/studio/files/{PATH}/try"
SOURCE = (QUIZ_DIR / COURSE / f"{MANDATE}.yml").read_text(encoding="utf-8")


@pytest.fixture
def app(make_app, monkeypatch) -> Flask:
    app = faster_apps(make_app, monkeypatch)()
    app.test_client().get("/")  # the first request imports the bundled course
    return app


@pytest.fixture
def trainer(app: Flask, client: FlaskClient, make_user, login_as) -> FlaskClient:
    return login_as(make_user(role="trainer", locale="en"))


def key_for(source: str, seed: int | None = None) -> AttemptKey:
    """The answer key in the tokens of the layout the try page uses (file order, or the seed's layout)."""
    quiz, problems = parse_quiz(
        PATH if MANDATE in source else f"quizzes/{COURSE}/{DRAW_QUIZ}.yml", source, COURSE, ("de", "en")
    )
    assert quiz is not None, problems
    layout = file_order(quiz) if seed is None else make_layout(quiz, seed)
    return AttemptKey(0, tuple((slot.question_id, slot.order) for slot in layout), _questions(source))


def only_english(value: object) -> object:
    """Quiz data with every per-language text cut down to its English one."""
    if isinstance(value, dict):
        if set(value) == {"de", "en"}:
            return {"en": value["en"]}
        return {key: only_english(item) for key, item in value.items()}
    if isinstance(value, list):
        return [only_english(item) for item in value]
    return value


def stored_rows(app: Flask) -> tuple[int, int, int]:
    return count(app, QuizAttempt), count(app, QuizResult), count(app, ContentRevision)


@pytest.mark.parametrize(("method", "role", "status"), [
    ("GET", None, 302), ("POST", None, 302), ("GET", "learner", 403), ("POST", "learner", 403),
    ("GET", "trainer", 200), ("GET", "admin", 200),
])  # fmt: skip
def test_only_staff_may_try_a_quiz(app, client, make_user, login_as, method, role, status) -> None:
    if role:
        login_as(make_user(role=role))
    response = client.open(URL, method=method)
    assert response.status_code == status
    if role is None:
        assert response.headers["Location"].startswith("/auth/login")


def test_the_whole_quiz_is_shown_in_file_order_without_answers(trainer) -> None:
    page = trainer.get(URL).get_data(as_text=True)
    key = key_for(SOURCE)
    assert "Question 7 of 7" in page and "Question 8 of" not in page
    positions = [page.index(f"<code>{question_id}</code>") for question_id in key.question_ids]
    assert positions == sorted(positions)
    assert "file order" in page
    assert "Nordwerk" in page  # English question text (the trainer's language)
    assert "is an activity, not a result" not in page  # explanations only after grading
    assert 'name="q1.0"' in page


def test_right_answers_pass_and_nothing_is_stored(app, trainer) -> None:
    before = stored_rows(app)
    key = key_for(SOURCE)
    response = trainer.post(URL, data=key.form_data(key.right_answers("en")))
    assert response.status_code == 200
    text = plain(response.get_data(as_text=True))
    assert "Passed" in text and "(100 %)" in text
    assert "Right: 7 · partly right: 0 · not right: 0" in text
    assert stored_rows(app) == before


def test_wrong_answers_fail_with_explanations_and_feedback(app, trainer) -> None:
    before = stored_rows(app)
    key = key_for(SOURCE)
    response = trainer.post(URL, data=key.form_data(key.wrong_answers()))
    text = plain(response.get_data(as_text=True))
    assert "Not passed yet" in text and "0 of" in text
    assert "it is an activity, not a result" in text  # the explanation of the matching question
    assert "not right: 7" in text
    assert stored_rows(app) == before


def test_unanswered_questions_score_zero(app, trainer) -> None:
    response = trainer.post(URL, data={})
    assert response.status_code == 200
    assert "Not passed yet" in response.get_data(as_text=True)


def test_an_unreadable_answer_is_shown_at_its_question(app, trainer) -> None:
    key = key_for(SOURCE)
    numeric = key.of_type("numeric")
    data = key.form_data(key.right_answers("en")) | {f"q{key.number(numeric)}": "lots"}
    before = stored_rows(app)
    response = trainer.post(URL, data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "1 answer needs your attention." in page
    assert f'id="q{key.number(numeric)}-error"' in page
    assert stored_rows(app) == before


def test_the_newest_draft_is_tried_and_an_older_revision_on_request(app, trainer) -> None:
    draft = SOURCE.replace("The key-account management mandate", "The mandate, draft")
    with app.app_context():
        saved = publishing.save_draft(PATH, draft, None, publishing.newest_revision(PATH).number)
        number = saved.number
        db.session.commit()
    page = trainer.get(URL).get_data(as_text=True)
    assert "Try it: The mandate, draft" in page and f"Revision {number} (draft)" in page
    older = trainer.get(f"{URL}?revision={number - 1}").get_data(as_text=True)
    assert "Try it: The key-account management mandate" in older and "(published)" in older


def test_the_quiz_language_is_chosen_in_the_url(trainer) -> None:
    german = trainer.get(f"{URL}?lang=de").get_data(as_text=True)
    assert "Ordnen Sie jeder der vier Fragen" in german
    assert "Ordnen Sie" not in trainer.get(f"{URL}?lang=fr").get_data(as_text=True)  # unknown: the page's language


def test_german_answers_are_graded_in_german(app, trainer) -> None:
    key = key_for(SOURCE)
    response = trainer.post(f"{URL}?lang=de", data=key.form_data(key.right_answers("de")))
    assert "(100 %)" in plain(response.get_data(as_text=True))


def test_a_seed_draws_and_shuffles_as_for_a_learner(app, trainer) -> None:
    source = (QUIZ_DIR / COURSE / f"{DRAW_QUIZ}.yml").read_text(encoding="utf-8")
    url = f"/studio/files/quizzes/{COURSE}/{DRAW_QUIZ}.yml/try?seed=1234"
    page = trainer.get(url).get_data(as_text=True)
    key = key_for(source, seed=1234)
    assert len(key.question_ids) == 7
    assert "seed 1234" in page and "Question 7 of 7" in page
    assert [question_id for question_id in _questions(source) if f"<code>{question_id}</code>" in page] == sorted(
        key.question_ids, key=list(_questions(source)).index
    )
    response = trainer.post(url, data=key.form_data(key.right_answers("en")))
    text = plain(response.get_data(as_text=True))  # everything right but the essay, which waits for a trainer
    assert "1 essay waits for a trainer" in text and "Right: 6 · partly right: 0 · not right: 0" in text


def test_a_broken_draft_lists_its_problems_with_line_numbers(app, trainer) -> None:
    broken = SOURCE.replace("pass_percent: 75", "pass_percent: 175").replace("type: single", "type: singular", 1)
    with app.app_context():
        publishing.save_draft(PATH, broken, None, publishing.newest_revision(PATH).number)
        db.session.commit()
    response = trainer.get(URL)
    assert response.status_code == 200
    text = plain(response.get_data(as_text=True))
    assert "This quiz cannot be tried yet" in text
    assert "line 8: pass_percent must be a whole number from 1 to 100 (got 175)" in text
    assert "unknown question type 'singular'" in text


def test_a_quiz_written_in_one_language_so_far_can_be_tried_in_it(app, trainer) -> None:
    english_only = gift.dump_yaml(only_english(yaml.safe_load(SOURCE)))
    with app.app_context():
        publishing.save_draft(PATH, english_only, None, publishing.newest_revision(PATH).number)
        db.session.commit()
    page = plain(trainer.get(f"{URL}?lang=de").get_data(as_text=True))
    assert "Not translated yet: Deutsch." in page
    assert "Match each of the four questions" in page  # English, the only language written
    key = key_for(SOURCE)
    response = trainer.post(URL, data=key.form_data(key.right_answers("en")))
    assert "(100 %)" in plain(response.get_data(as_text=True))


def test_yaml_that_does_not_parse_is_reported_not_a_server_error(app, trainer) -> None:
    with app.app_context():
        publishing.save_draft(PATH, "id: [unclosed\n", None, publishing.newest_revision(PATH).number)
        db.session.commit()
    for method in ("GET", "POST"):
        response = trainer.open(URL, method=method)
        assert response.status_code == 200
        assert "line 1" in plain(response.get_data(as_text=True))


@pytest.mark.parametrize(
    "url",
    [
        f"/studio/files/quizzes/{COURSE}/no-such-quiz.yml/try",
        f"/studio/files/{COURSE}/kam-mandate.en.md/try",
        f"/studio/files/{COURSE}/course.yml/try",
        "/studio/files/quizzes/no-course/x.yml/try",
        f"{URL}?revision=99",
        f"{URL}?revision=0",
        f"{URL}?revision=abc",
        f"{URL}?revision=99999999999999999999",
        f"{URL}?seed=-1",
        f"{URL}?seed=%01",  # a NUL is refused before any view: tests/web/test_bad_input.py
    ],
)
def test_unknown_files_revisions_and_seeds_are_not_found(trainer, url: str) -> None:
    assert trainer.get(url).status_code == 404
