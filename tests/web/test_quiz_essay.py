"""Essays graded by a trainer: the learner writes, submits and waits; the attempt waits in the trainer's queue (their
groups only); the trainer's mark and comment complete the result, which then counts; the learner is told; a grade
given meanwhile is a conflict, never overwritten; bad input is refused at its field."""

from __future__ import annotations

import html
import re

import pytest
import yaml
from flask import Flask
from sqlalchemy import select

from course.core.authoring.documents import dump_yaml
from course.extensions import db
from course.groups import operations as groups
from course.models import Notification, QuizAnswer, QuizAttempt, QuizResult, User
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

ESSAY = "explain-the-plan"
ESSAY_QUESTION = {
    "id": ESSAY,
    "type": "essay",
    "points": 2,
    "lesson": "kam-mandate",
    "text": {"de": "Begründen Sie in drei Sätzen den Plan.", "en": "Explain in three sentences why the plan fits."},
    "explanation": {"de": "Ein guter Plan belohnt die Bindung.", "en": "A good plan rewards retention."},
    "rubric": {"de": "Nennt Bindung und Auftrag.", "en": "Names retention and the mandate."},
    "max_chars": 600,
}


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    return faster_apps(make_app, monkeypatch)


@pytest.fixture
def essay_app(make_app, tmp_path) -> Flask:
    folder = quiz_folder(tmp_path)
    path = folder / COURSE / f"{MANDATE}.yml"
    data = yaml.safe_load((QUIZ_DIR / COURSE / f"{MANDATE}.yml").read_text(encoding="utf-8"))
    data["questions"].append(ESSAY_QUESTION)
    path.write_text(dump_yaml(data), encoding="utf-8")
    return make_app(QUIZ_DIR=str(folder))


def text_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def submit_with_essay(app: Flask, client, essay: str = "Retention is paid.\nThe mandate decides.") -> int:
    attempt_id = start_attempt(client)
    key = attempt_key(app, attempt_id)
    answers = {question_id: key.right(question_id) for question_id in key.question_ids if question_id != ESSAY}
    data = {**key.form_data(answers), f"q{key.number(ESSAY)}": essay, "submit": "1", "confirm": "1"}
    assert client.post(f"/attempts/{attempt_id}", data=data).status_code == 302
    return attempt_id


def grading_form(client, attempt_id: int) -> dict:
    """The grading page's hidden fields as the browser would send them back."""
    page = client.get(f"/grading/{attempt_id}").get_data(as_text=True)
    return dict(re.findall(r'<input[^>]*name="(csrf_token|base)"[^>]*value="([^"]*)"', page))


def attempt(app: Flask, attempt_id: int) -> QuizAttempt:
    with app.app_context():
        found = db.session.get(QuizAttempt, attempt_id)
        db.session.expunge(found)
        return found


def result_of(app: Flask, user_id: int) -> QuizResult | None:
    with app.app_context():
        return db.session.scalar(select(QuizResult).where(QuizResult.user_id == user_id, QuizResult.quiz_id == MANDATE))


@pytest.mark.parametrize("lang", ["en", "de"])
def test_an_essay_waits_for_a_trainer_and_counts_once_graded(essay_app: Flask, make_user, lang: str) -> None:
    learner = make_user(locale=lang)
    client = client_for(essay_app, learner)
    attempt_id = submit_with_essay(essay_app, client, "Retention is paid.\n<script>alert(1)</script>")
    waiting = attempt(essay_app, attempt_id)
    assert waiting.status == "grading" and waiting.percent is None
    assert result_of(essay_app, learner.id) is None  # no result and no progress yet
    review = client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    assert ("Waiting for a trainer" if lang == "en" else "Wartet auf Bewertung") in text_of(review)
    assert "<script>alert(1)</script>" not in review and "&lt;script&gt;alert(1)&lt;/script&gt;" in review
    assert "Names retention" not in review and "Nennt Bindung" not in review  # the rubric is for trainers

    trainer = client_for(essay_app, make_user(role="trainer", locale=lang, display_name="Tanja Trainer"))
    queue = trainer.get("/grading").get_data(as_text=True)
    assert f'href="/grading/{attempt_id}"' in queue
    grading = trainer.get(f"/grading/{attempt_id}").get_data(as_text=True)
    assert "Names retention" in grading or "Nennt Bindung" in grading
    response = trainer.post(
        f"/grading/{attempt_id}",
        data={
            **grading_form(trainer, attempt_id),
            f"mark-{ESSAY}": "1,5" if lang == "de" else "1.5",
            f"comment-{ESSAY}": "Good: name the mandate too.",
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == "/grading"

    graded = attempt(essay_app, attempt_id)
    assert graded.status == "submitted" and graded.score == pytest.approx(graded.max_score - 0.5)
    assert result_of(essay_app, learner.id).best_percent == graded.percent
    with essay_app.app_context():
        rows = db.session.scalars(select(QuizAnswer).where(QuizAnswer.attempt_id == attempt_id)).all()
        assert {row.question_id: row.mark for row in rows}[ESSAY] == 1.5  # the item statistics count it now
        told = db.session.scalars(select(Notification).where(Notification.user_id == learner.id)).all()
        assert [n.kind for n in told] == ["essay_graded"]
    review = text_of(client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True))
    assert "Good: name the mandate too." in review
    assert ("Points: 1.5 / 2" if lang == "en" else "Punkte: 1,5 / 2") in review
    assert f'href="/grading/{attempt_id}"' not in trainer.get("/grading").get_data(as_text=True)


def test_a_grade_given_meanwhile_is_a_conflict_and_is_not_overwritten(essay_app: Flask, make_user) -> None:
    attempt_id = submit_with_essay(essay_app, client_for(essay_app, make_user(locale="en")))
    first = client_for(essay_app, make_user(role="trainer", locale="en"))
    second = client_for(essay_app, make_user(role="trainer", locale="en"))
    stale = grading_form(second, attempt_id)
    assert (
        first.post(f"/grading/{attempt_id}", data={**grading_form(first, attempt_id), f"mark-{ESSAY}": "2"}).status_code
        == 302
    )
    response = second.post(
        f"/grading/{attempt_id}", data={**stale, f"mark-{ESSAY}": "0", f"comment-{ESSAY}": "Mine, typed."}
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone graded this attempt while you were grading it." in text_of(page)
    assert "Mine, typed." in page  # nothing typed is lost
    assert attempt(essay_app, attempt_id).answers[ESSAY]["mark"] == 2
    # Knowingly, from the new state: the second trainer's grade replaces the first and the result follows.
    again = second.post(f"/grading/{attempt_id}", data={**grading_form(second, attempt_id), f"mark-{ESSAY}": "0"})
    assert again.status_code == 302
    regraded = attempt(essay_app, attempt_id)
    assert regraded.answers[ESSAY]["mark"] == 0 and regraded.score == pytest.approx(regraded.max_score - 2)
    assert result_of(essay_app, regraded.user_id).best_percent == regraded.percent


@pytest.mark.parametrize(
    ("mark", "comment", "message"),
    [
        ("3", "", "Give a mark from 0 to 2 points."),
        ("-1", "", "Give a mark from 0 to 2 points."),
        ("viel", "", "Give a mark from 0 to 2 points."),
        ("", "", "Give a mark from 0 to 2 points."),
        ("1", "x" * 4001, "Keep the comment to 4000 characters."),
    ],
)
def test_a_bad_mark_is_refused_at_its_field_and_nothing_is_saved(essay_app, make_user, mark, comment, message) -> None:
    attempt_id = submit_with_essay(essay_app, client_for(essay_app, make_user(locale="en")))
    trainer = client_for(essay_app, make_user(role="trainer", locale="en"))
    data = {**grading_form(trainer, attempt_id), f"mark-{ESSAY}": mark, f"comment-{ESSAY}": comment}
    response = trainer.post(f"/grading/{attempt_id}", data=data)
    assert response.status_code == 400 and message in text_of(response.get_data(as_text=True))
    assert attempt(essay_app, attempt_id).status == "grading"


def test_an_essay_too_long_is_refused_at_the_question_and_kept(essay_app: Flask, make_user) -> None:
    client = client_for(essay_app, make_user(locale="en"))
    attempt_id = start_attempt(client)
    key = attempt_key(essay_app, attempt_id)
    number = key.number(ESSAY)
    response = client.post(f"/attempts/{attempt_id}", data={f"q{number}": "word " * 200, "save": "1"})
    assert response.status_code == 400
    assert "Keep the answer to 600 characters (it has 999)." in text_of(response.get_data(as_text=True))
    check = client.post(f"/attempts/{attempt_id}", data={f"q{number}": "Short.", "check": str(number)})
    assert check.status_code == 302  # no checking an essay: it is saved and waits for the submission
    saved = attempt(essay_app, attempt_id).answers[ESSAY]
    assert (saved["response"], saved["checked_at"]) == ("Short.", None)


def test_the_queue_and_the_grading_page_are_for_the_trainers_of_the_learners_groups(essay_app, make_user) -> None:
    learner = make_user(locale="en")
    attempt_id = submit_with_essay(essay_app, client_for(essay_app, learner))
    own, other = make_user(role="trainer", locale="en"), make_user(role="trainer", locale="en")
    with essay_app.app_context():
        team, elsewhere = groups.create_group("Team A"), groups.create_group("Team B")
        groups.add_member(team, db.session.get(User, learner.id), actor=None)
        groups.add_member(team, db.session.get(User, own.id), "trainer", actor=None)
        groups.add_member(elsewhere, db.session.get(User, other.id), "trainer", actor=None)
        db.session.commit()
    assert f"/grading/{attempt_id}" in client_for(essay_app, own).get("/grading").get_data(as_text=True)
    outsider = client_for(essay_app, other)
    assert f"/grading/{attempt_id}" not in outsider.get("/grading").get_data(as_text=True)
    assert outsider.get(f"/grading/{attempt_id}").status_code == 404
    learner_client = client_for(essay_app, learner)
    assert learner_client.get("/grading").status_code in (302, 403)
    assert learner_client.get(f"/grading/{attempt_id}").status_code in (302, 403)
    assert client_for(essay_app, own).get("/grading/999999").status_code == 404


def test_the_wait_between_attempts_runs_from_a_submission_still_waiting_for_a_trainer(
    make_app, make_user, tmp_path
) -> None:
    folder = quiz_folder(tmp_path, cooldown_minutes=10)
    path = folder / COURSE / f"{MANDATE}.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["questions"].append(ESSAY_QUESTION)
    path.write_text(dump_yaml(data), encoding="utf-8")
    app = make_app(QUIZ_DIR=str(folder))
    client = client_for(app, make_user(locale="en"))
    submit_with_essay(app, client)
    page = text_of(client.get(f"/courses/{COURSE}/quizzes/{MANDATE}").get_data(as_text=True))
    assert "Waiting for a trainer" in page and "Your next attempt is possible at" in page


def test_trying_a_quiz_with_an_essay_says_that_the_score_leaves_it_out(essay_app: Flask, make_user) -> None:
    trainer = client_for(essay_app, make_user(role="trainer", locale="en"))
    trainer.get("/")  # the first request imports the course
    url = f"/studio/files/quizzes/{COURSE}/{MANDATE}.yml/try"
    page = trainer.get(url).get_data(as_text=True)
    number = page.count('<fieldset class="question')  # the essay comes last in the file
    assert number == 8
    response = trainer.post(url, data={f"q{number}": "Retention is what the bonus pays for.", "submit": "1"})
    assert "1 essay waits for a trainer" in text_of(response.get_data(as_text=True))
