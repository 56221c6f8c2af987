"""Item statistics counted in SQL: the answer rows a submission writes, the counted reports against the reports
computed from the stored answers (tests/core/item_reports.py, the way they were always computed) on random
attempts, for a group of learners, after a question changed, for erased learners; and flags only after the
minimum number of attempts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from course.analytics import operations
from course.core.analytics.answers import answer_rows
from course.extensions import db
from course.models import QuizAnswer, QuizAttempt, User, utcnow
from course.quiz.operations import record_answers
from tests.core.item_reports import answer_pools, reference_report
from tests.quiz_helpers import DRAW_QUIZ, attempt_key, client_for, faster_apps, start_attempt
from tests.web.test_analytics_routes import ROWS, seed_worked_example, text_of, trainer
from tests.web.test_analytics_seed import COURSE, MANDATE, T0, add_attempt, add_learner, course_of


@pytest.fixture
def app(make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch) -> Flask:
    return faster_apps(make_app, monkeypatch)()


def rows_of(app: Flask, attempt_id: int) -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(select(QuizAnswer).where(QuizAnswer.attempt_id == attempt_id)).all()
        names = [column.name for column in QuizAnswer.__table__.columns]
        return [{name: getattr(row, name) for name in names} for row in rows]


def expected_rows(app: Flask, attempt_id: int) -> list[dict]:
    """The rows `answer_rows` makes of the attempt's stored answers, with the attempt's own columns."""
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        own = {
            "attempt_id": attempt.id,
            "user_id": attempt.user_id,
            "course_id": attempt.course_id,
            "quiz_id": attempt.quiz_id,
            "first_attempt": attempt.number == 1,
        }
        return [{**own, **vars(row)} for row in answer_rows(attempt.answers)]


def by_question(rows: list[dict]) -> dict[str, dict]:
    return {row["question_id"]: row for row in rows}


# --- the rows a submission writes -------------------------------------------------------------------------------


def test_a_submission_writes_one_row_per_question_and_an_open_attempt_none(app: Flask) -> None:
    learner = add_learner(app, "Ada")
    client = client_for(app, type("U", (), {"id": learner})())
    attempt_id = start_attempt(client)
    key = attempt_key(app, attempt_id)
    single, numeric = key.of_type("single"), key.of_type("numeric")
    client.post(f"/attempts/{attempt_id}", data={**key.form_data({single: key.right(single)}), "save": "1"})
    client.post(f"/attempts/{attempt_id}", data={**key.form_data({numeric: key.wrong(numeric)}), "check": "1"})
    assert rows_of(app, attempt_id) == []  # saved and checked answers, still open: nothing to count yet

    answers = {**key.wrong_answers(), single: key.right(single)}
    response = client.post(f"/attempts/{attempt_id}", data={**key.form_data(answers), "submit": "1", "confirm": "1"})
    assert response.headers["Location"] == f"/attempts/{attempt_id}/review"
    rows = rows_of(app, attempt_id)
    assert len(rows) == 7 and by_question(rows) == by_question(expected_rows(app, attempt_id))
    marks = {row["question_id"]: row["mark"] for row in rows}
    assert marks[single] == 1.0 and sum(marks.values()) == 1.0
    assert sum(row["attempt_questions"] is not None for row in rows) == 1
    assert all(row["first_attempt"] and row["user_id"] == learner for row in rows)

    client.post(f"/attempts/{attempt_id}", data={**key.form_data(key.right_answers()), "submit": "1", "confirm": "1"})
    assert by_question(rows_of(app, attempt_id)) == by_question(rows)  # a second submit changes nothing

    second = start_attempt(client)
    second_key = attempt_key(app, second)
    client.post(f"/attempts/{second}", data={**second_key.form_data(second_key.right_answers()), "submit": "1"})
    assert {row["first_attempt"] for row in rows_of(app, second)} == {False}
    assert sum(row["mark"] for row in rows_of(app, second)) == 8.0


def test_a_submission_over_the_api_writes_the_rows_too(app: Flask) -> None:
    learner = add_learner(app, "Ada")
    client = client_for(app, type("U", (), {"id": learner})())
    attempt = client.post(f"/api/v1/courses/{COURSE}/quizzes/{MANDATE}/attempts").get_json()
    key = attempt_key(app, attempt["id"])
    assert client.post(f"/api/v1/attempts/{attempt['id']}/submit", json={"answers": key.right_answers()}).status_code
    assert by_question(rows_of(app, attempt["id"])) == by_question(expected_rows(app, attempt["id"]))


def test_deleting_an_attempt_deletes_its_rows(app: Flask) -> None:
    learner = add_learner(app, "Ada")
    attempt_id = add_attempt(app, learner, MANDATE, {"pay-depends-on": ("visits", 0)})
    assert len(rows_of(app, attempt_id)) == 1
    with app.app_context():
        db.session.execute(delete(QuizAttempt).where(QuizAttempt.id == attempt_id))
        db.session.commit()
    assert rows_of(app, attempt_id) == []


# --- counted reports equal the reports from stored answers ------------------------------------------------------


def store(app: Flask, learner: int, quiz_id: str, number: int, answers: dict) -> None:
    """A submitted attempt with exactly these stored answers, and its rows as the submission writes them."""
    with app.app_context():
        attempt = QuizAttempt(
            user_id=learner,
            course_id=COURSE,
            quiz_id=quiz_id,
            number=number,
            revision_id=revision_of(app, quiz_id),
            seed=1,
            layout=[[question_id, []] for question_id in answers],
            status="submitted",
            started_at=T0,
            submitted_at=T0 + timedelta(minutes=number),
            answers=answers,
        )
        db.session.add(attempt)
        db.session.flush()
        record_answers(attempt)
        db.session.commit()


def revision_of(app: Flask, quiz_id: str) -> int:
    from course.models import ContentRevision

    quiz = course_of(app).quiz(quiz_id)
    return db.session.scalar(select(ContentRevision.id).where(ContentRevision.path == quiz.path).limit(1))


@st.composite
def attempts_of(draw: st.DrawFn, quiz, learners: int, drawn: int | None, broken: bool) -> list[tuple[int, dict]]:
    """(learner index, stored answers) per attempt: every question or `drawn` of them, marks on awkward fractions or
    anywhere up to the points, responses from each question's pool. With `broken`, some answers do not count: a
    question no longer in the quiz, a question worth other points then, an answer never graded."""
    pools = answer_pools(quiz)
    ids = [question.id for question in quiz.questions]
    share = st.one_of(st.sampled_from([0.0, 0.1, 1 / 3, 0.5, 2 / 3, 1.0]), st.floats(min_value=0.0, max_value=1.0))
    attempts = []
    for _ in range(draw(st.integers(min_value=0, max_value=10))):
        chosen = ids if drawn is None else sorted(draw(st.permutations(ids))[:drawn], key=ids.index)
        answers = {}
        for question_id in chosen:
            points = float(quiz.question(question_id).points)
            answers[question_id] = {
                "response": draw(st.sampled_from(pools[question_id])),
                "checked_at": None,
                "mark": draw(share) * points,
                "max_mark": points,
            }
        if broken and draw(st.booleans()):
            damage = draw(st.sampled_from(["removed", "points", "ungraded"]))
            victim = draw(st.sampled_from(chosen))
            if damage == "removed":
                answers["removed-question"] = {"response": "x", "checked_at": None, "mark": 1.0, "max_mark": 1.0}
            elif damage == "points":
                answers[victim] = {**answers[victim], "max_mark": answers[victim]["max_mark"] + 1}
            else:
                answers[victim] = {**answers[victim], "mark": None}
        attempts.append((draw(st.integers(min_value=0, max_value=learners - 1)), answers))
    return attempts


def stored_answers(app: Flask, quiz_id: str, first_only: bool, learners: list[int] | None = None) -> list[dict]:
    with app.app_context():
        statement = select(QuizAttempt.answers).where(QuizAttempt.quiz_id == quiz_id, QuizAttempt.status == "submitted")
        if first_only:
            statement = statement.where(QuizAttempt.number == 1)
        if learners is not None:
            statement = statement.where(QuizAttempt.user_id.in_(learners))
        return list(db.session.scalars(statement))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_counted_reports_equal_the_reports_from_stored_answers(app: Flask, data: st.DataObject) -> None:
    course = course_of(app)
    quizzes = {MANDATE: None, DRAW_QUIZ: 6}
    with app.app_context():
        db.session.execute(delete(QuizAttempt))
        db.session.commit()
        learners = list(db.session.scalars(select(User.id).where(User.role == "learner").order_by(User.id)))
    learners = learners or [add_learner(app, f"Learner {n}") for n in range(4)]
    broken = data.draw(st.booleans(), label="broken")
    numbers: dict[tuple[int, str], int] = {}
    for quiz_id, drawn in quizzes.items():
        for index, answers in data.draw(attempts_of(course.quiz(quiz_id), len(learners), drawn, broken)):
            number = numbers[(index, quiz_id)] = numbers.get((index, quiz_id), 0) + 1
            store(app, learners[index], quiz_id, number, answers)
    group = learners[::2]
    minimum = app.config["ITEM_FLAGS_MIN_ATTEMPTS"]
    with app.test_request_context():
        for first_only in (True, False):
            overview = {quiz.id: report for quiz, report in operations.course_reports(course, "en", first_only)}
            members = select(User.id).where(User.id.in_(group))
            grouped = {quiz.id: report for quiz, report in operations.course_reports(course, "de", first_only, members)}
            for quiz_id in quizzes:
                quiz = course.quiz(quiz_id)
                expected = reference_report(quiz, stored_answers(app, quiz_id, first_only), "en", minimum)
                assert operations.quiz_report(course, quiz, first_only, "en") == expected
                assert overview[quiz_id] == expected
                in_group = stored_answers(app, quiz_id, first_only, group)
                assert grouped[quiz_id] == reference_report(quiz, in_group, "de", minimum)


def test_a_changed_question_leaves_its_old_answers_out_and_the_rest_still_counts(app: Flask) -> None:
    learners = seed_worked_example(app)
    quiz = course_of(app).quiz(MANDATE)
    store(
        app,
        learners[0],
        MANDATE,
        2,
        {
            "pay-depends-on": {"response": "visits", "mark": 0.0, "max_mark": 5.0},  # worth 5 points then
            "fourth-question": {"response": "Support", "mark": 1.0, "max_mark": 1.0},
        },
    )
    with app.test_request_context():
        report = operations.quiz_report(course_of(app), quiz, False, "en")
    assert report == reference_report(quiz, stored_answers(app, MANDATE, False), "en", 20)
    assert report.skipped == 1 and report.attempts == 5


# --- who counts -------------------------------------------------------------------------------------------------


def test_an_erased_learners_anonymised_attempts_keep_counting(app: Flask) -> None:
    learners = seed_worked_example(app)
    course = course_of(app)
    with app.test_request_context():
        before = operations.quiz_report(course, course.quiz(MANDATE), True, "en")
    with app.app_context():
        user = db.session.get(User, learners[0])
        user.deleted_at, user.email, user.display_name = utcnow(), "erased-1@invalid", "Erased"
        db.session.commit()
    with app.test_request_context():
        after = operations.quiz_report(course, course.quiz(MANDATE), True, "en")
    assert after == before and after.attempts == len(ROWS)


def test_a_report_for_some_learners_counts_only_theirs(app: Flask) -> None:
    learners = seed_worked_example(app)
    course = course_of(app)
    quiz = course.quiz(MANDATE)
    with app.test_request_context():
        two = operations.quiz_report(course, quiz, True, "en", select(User.id).where(User.id.in_(learners[:2])))
        nobody = operations.quiz_report(course, quiz, True, "en", select(User.id).where(User.id < 0))
    assert two.attempts == 2 and two.questions[1].statistics.facility == 1.0  # both chose the right option
    assert nobody.attempts == 0 and nobody.mean_percent is None


# --- flags only after the minimum number of attempts ------------------------------------------------------------


def test_flags_wait_for_the_minimum_number_of_attempts(app: Flask) -> None:
    assert app.config["ITEM_FLAGS_MIN_ATTEMPTS"] == 20
    learners = seed_worked_example(app)  # four attempts; with no minimum, two questions would be flagged
    client = trainer(app)
    page = text_of(client.get(f"/studio/courses/{COURSE}/quizzes/{MANDATE}/statistics"))
    assert "check</span>" not in page and "Negative discrimination" not in page
    assert "flagged for review only once at least 20 attempts contain it" in page
    assert "This quiz needs 16 more attempts." in page and "16 more attempts needed" in page
    overview = text_of(client.get(f"/studio/courses/{COURSE}/quizzes"))
    assert "16 more attempts needed" in overview and "20 more attempts needed" in overview  # another quiz: none

    for number in range(2, 6):  # the same answers four times more: the same indices, now from 20 attempts
        for learner, (a, mark_a, (value, typed), mark_b, c, mark_c) in zip(learners, ROWS, strict=True):
            answers = {
                "pay-depends-on": (a, mark_a),
                "mandate-bonus-total": ({"text": typed, "value": float(value)}, mark_b),
                "fourth-question": (c, mark_c),
            }
            add_attempt(app, learner, MANDATE, answers, number=number)
    page = text_of(client.get(f"/studio/courses/{COURSE}/quizzes/{MANDATE}/statistics?attempts=all"))
    assert "This quiz needs" not in page and page.count("check</span>") == 2 and "Negative discrimination" in page
    assert "20 more attempts needed" in page  # the questions no attempt contains
    first = text_of(client.get(f"/studio/courses/{COURSE}/quizzes/{MANDATE}/statistics"))
    assert "This quiz needs 16 more attempts." in first  # first attempts only: still four


def test_the_minimum_is_a_setting_and_german_pages_say_it_in_german(make_app, monkeypatch) -> None:
    app = faster_apps(make_app, monkeypatch)(ITEM_FLAGS_MIN_ATTEMPTS=5)
    seed_worked_example(app)
    page = text_of(trainer(app, locale="de").get(f"/studio/courses/{COURSE}/quizzes/{MANDATE}/statistics"))
    assert "wenn mindestens 5 Versuche sie enthalten" in page and "Dieses Quiz braucht noch 1 Versuch." in page
    assert "noch 1 Versuch nötig" in page
