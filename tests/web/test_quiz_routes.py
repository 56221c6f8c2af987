"""Taking a quiz in the browser: the quiz page, starting, answering, checking one question, submitting, review."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from course.core.quiz import pick, question_type
from course.extensions import db
from course.models import QuizAttempt, QuizResult
from course.publishing.cache import catalog
from tests.quiz_helpers import (
    COURSE,
    DRAW_QUIZ,
    MANDATE,
    QUIZ_DIR,
    answer_count,
    attempt_key,
    client_for,
    count,
    faster_apps,
    plain,
    publish_quiz,
    quiz_folder,
    quiz_url,
    snapshot,
    start_attempt,
    stored_responses,
)

EN = {"Accept-Language": "en"}


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    return faster_apps(make_app, monkeypatch)


def fieldsets(page: str) -> list[str]:
    """The page's question fieldsets, first to last."""
    return [part.split("</fieldset>")[0] for part in page.split('<fieldset class="question')[1:]]


def flashes(page: str) -> list[str]:
    return [html.unescape(text) for text in re.findall(r'<p class="flash flash--\w+">(.*?)</p>', page, re.S)]


def review_marks(fieldset: str) -> dict[str, str]:
    """A reviewed choice question: option text → its marks ("is-correct is-chosen", "is-correct", "")."""
    options = re.findall(r'<li class="([^"]*)">\s*<span>(.*?)</span>', fieldset, re.S)
    return {html.unescape(text): marks.strip() for marks, text in options}


def catalog_quiz(app: Flask, quiz_id: str = MANDATE):
    with app.test_request_context():
        return catalog().course(COURSE).quiz(quiz_id)


def submit_form(client, attempt_id: int, data: dict, **extra: str):
    return client.post(f"/attempts/{attempt_id}", data={**data, "submit": "1", **extra})


def csrf_token_of(page: str, form: str) -> str:
    """The CSRF token of the form whose opening tag ends with the pattern `form`."""
    return re.search(form + r'\s*<input type="hidden" name="csrf_token" value="([^"]+)"', page).group(1)


# --- The quiz page ---------------------------------------------------------------------------------------------


def test_quiz_page_shows_anonymous_visitors_the_rules_and_a_login_link(client) -> None:
    response = client.get(quiz_url(), headers=EN)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Quiz: The key-account management mandate" in page
    assert "7 questions" in page and "Pass mark: 75\u00a0%" in page and "Unlimited attempts" in page
    assert f'<a href="/auth/login?next={quiz_url()}">Log in</a> to take this quiz.' in page
    assert f'action="{quiz_url()}/attempts"' not in page and "Start the quiz" not in page


def test_quiz_page_offers_a_learner_the_start_button(client, login_as, make_user) -> None:
    login_as(make_user(locale="en"))
    page = client.get(quiz_url()).get_data(as_text=True)
    assert f'<form method="post" action="{quiz_url()}/attempts">' in page
    assert "Start the quiz" in page and "Log in</a>" not in page


def test_starting_requires_login(app, client) -> None:
    response = client.post(f"{quiz_url()}/attempts")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
    assert count(app, QuizAttempt) == 0


# --- Starting and the take page --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "locale", "headers"),
    [
        ("de", "de", {"Accept-Language": "en"}),  # the learner's own choice wins over the browser's
        ("en", None, {"Accept-Language": "en-GB,en;q=0.9"}),
        ("de", None, {"Accept-Language": "de-DE,de;q=0.9"}),
    ],
)
def test_take_page_shows_every_question_of_the_layout_in_the_learners_language(
    app, client, login_as, make_user, lang: str, locale: str | None, headers: dict
) -> None:
    login_as(make_user(locale=locale))
    attempt_id = start_attempt(client)
    response = client.get(f"/attempts/{attempt_id}", headers=headers)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in page
    key, quiz = attempt_key(app, attempt_id), catalog_quiz(app)
    questions = fieldsets(page)
    assert len(questions) == len(key.layout) == 7
    for number, ((question_id, order), fieldset) in enumerate(zip(key.layout, questions, strict=True), start=1):
        question = quiz.question(question_id)
        shown = plain(fieldset)
        assert f'id="q{number}"' in fieldset
        assert plain(pick(question.text, lang)) in shown
        public = question_type(question.type).public(question.spec, order, lang)
        for field in ("options", "choices", "items"):  # in the attempt's order
            texts = [plain(choice["text"]) for choice in public.get(field, [])]
            positions = [shown.find(text) for text in texts]
            assert -1 not in positions and positions == sorted(positions), (question_id, texts)
    other = "en" if lang == "de" else "de"
    assert all(plain(pick(question.text, other)) not in plain(page) for question in quiz.questions)


def test_reloading_or_resuming_keeps_the_same_attempt_and_option_order(app, client, login_as, make_user) -> None:
    login_as(make_user(locale="en"))
    attempt_id = start_attempt(client)
    form = re.compile(r'<form class="quiz-form".*?</form>', re.S)
    token = re.compile(r'(name="csrf_token" value=)"[^"]*"')  # signed with the time: differs across a second

    def quiz_form() -> str:
        return token.sub(r"\1", form.search(client.get(f"/attempts/{attempt_id}").get_data(as_text=True)).group(0))

    first = quiz_form()
    assert start_attempt(client) == attempt_id  # the start button resumes the open attempt
    again = quiz_form()
    assert again == first
    assert count(app, QuizAttempt) == 1
    assert "Continue your attempt" in client.get(quiz_url()).get_data(as_text=True)


def test_draw_quiz_asks_its_fixed_essay_and_six_of_its_other_eight_questions(app, client, login_as, make_user) -> None:
    login_as(make_user(locale="en"))
    attempt_id = start_attempt(client, DRAW_QUIZ)
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    key = attempt_key(app, attempt_id)
    pool = [question.id for question in catalog_quiz(app, DRAW_QUIZ).questions]
    assert len(pool) == 9 and len(key.question_ids) == len(set(key.question_ids)) == 7
    assert [qid for qid in pool if qid in key.question_ids] == key.question_ids  # drawn, in the author's order
    assert key.question_ids[-1] == "justify-a-better-plan"  # `always: true`: in every attempt
    assert len(fieldsets(page)) == 7
    assert "Question 7 of 7" in page and "Question 8" not in page


# --- Submitting ------------------------------------------------------------------------------------------------


def test_right_answers_pass_with_full_marks_and_the_review_explains_each_question(
    app, client, login_as, make_user
) -> None:
    user = make_user(locale="en")
    login_as(user)
    attempt_id = start_attempt(client)
    key = attempt_key(app, attempt_id)
    response = submit_form(client, attempt_id, key.form_data(key.right_answers()))
    assert response.status_code == 302 and response.headers["Location"] == f"/attempts/{attempt_id}/review"

    page = client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    assert '<h2 id="result-title">Passed</h2>' in page
    assert "8 of 8 points (100\u00a0%); 75\u00a0% needed to pass." in page
    quiz = catalog_quiz(app)
    for question_id, fieldset in zip(key.question_ids, fieldsets(page), strict=True):
        question = quiz.question(question_id)
        assert 'class="outcome outcome--right"' in fieldset, question_id
        assert "<strong>Right</strong>" in fieldset
        assert pick(question.explanation, "en") in fieldset
        link = question.lesson["en"]
        assert f'href="/courses/{COURSE}/lessons/{link.lesson_id}#{link.anchor}"' in fieldset
        if question.type in ("single", "multiple"):
            assert '<span class="mark mark--chosen">your answer</span>' in fieldset
            assert '<span class="mark mark--correct">correct</span>' in fieldset
        else:
            assert "Your answer" in fieldset or "Your order" in fieldset
            assert "Correct answer" in fieldset or "Correct order" in fieldset or "Accepted answers" in fieldset

    overview = client.get(f"/courses/{COURSE}").get_data(as_text=True)
    quiz_item = re.search(
        rf'<li class="[^"]*path-list__item--quiz is-done">\s*<a href="{quiz_url()}">.*?</li>', overview, re.S
    )
    assert quiz_item and '<span class="badge badge--done">passed</span>' in quiz_item.group(0)
    assert "Your progress: 0 of 6 lessons and 1 of 6 quizzes" in overview
    assert '<progress id="course-progress" max="100" value="8">' in overview
    assert '<p class="badge badge--done">Passed</p>' in client.get(quiz_url()).get_data(as_text=True)
    with app.app_context():
        result = db.session.scalars(select(QuizResult)).one()
        assert (result.user_id, result.quiz_id, result.best_percent, result.passed, result.attempts) == (
            user.id,
            MANDATE,
            100.0,
            True,
            1,
        )
        attempt = db.session.get(QuizAttempt, attempt_id)
        assert (attempt.status, attempt.score, attempt.max_score, attempt.passed) == ("submitted", 8.0, 8.0, True)


def test_best_attempt_counts_after_fail_retake_pass_and_a_worse_retake(app, client, login_as, make_user) -> None:
    login_as(make_user(locale="en"))
    outcomes = []
    for answers in ("wrong", "right", "wrong"):
        attempt_id = start_attempt(client)
        key = attempt_key(app, attempt_id)
        given = key.right_answers() if answers == "right" else key.wrong_answers()
        submit_form(client, attempt_id, key.form_data(given))
        review = client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
        outcomes.append((attempt_id, "Passed</h2>" in review, "(100\u00a0%)" in review, "(0\u00a0%)" in review))
    assert [(passed, full, zero) for _id, passed, full, zero in outcomes] == [
        (False, False, True),
        (True, True, False),
        (False, False, True),
    ]
    assert "Not passed yet" in review and "Your best result: 100\u00a0%" in review
    with app.app_context():
        attempts = db.session.scalars(select(QuizAttempt).order_by(QuizAttempt.id)).all()
        assert [(a.number, a.percent, a.passed) for a in attempts] == [
            (1, 0.0, False),
            (2, 100.0, True),
            (3, 0.0, False),
        ]
        result = db.session.scalars(select(QuizResult)).one()
        assert (result.best_percent, result.passed, result.attempts) == (100.0, True, 3)
    page = client.get(quiz_url()).get_data(as_text=True)
    assert '<p class="badge badge--done">Passed</p>' in page and "Start a new attempt" in page
    assert re.findall(r'<th scope="row">(\d+)</th>', page) == ["3", "2", "1"]


# --- Checking one question -------------------------------------------------------------------------------------


def test_checking_a_question_grades_and_locks_only_that_one_and_keeps_the_other_drafts(
    app, client, login_as, make_user
) -> None:
    login_as(make_user(locale="en"))
    attempt_id = start_attempt(client)
    key = attempt_key(app, attempt_id)
    single, text, numeric = key.of_type("single"), key.of_type("shorttext"), key.of_type("numeric")
    n = key.number(single)
    drafts = key.form_data({single: key.right(single), text: "a draft", numeric: "12.345"})
    response = client.post(f"/attempts/{attempt_id}", data={**drafts, "check": str(n)})
    assert response.status_code == 302 and response.headers["Location"] == f"/attempts/{attempt_id}#q{n}"

    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    questions = fieldsets(page)
    checked = questions[n - 1]
    assert 'class="outcome outcome--right"' in checked
    assert pick(catalog_quiz(app).question(single).explanation, "en") in checked
    assert f'name="q{n}" value="{key.right(single)}" checked disabled' in checked
    assert 'name="check"' not in checked  # no second check button
    others = [fieldset for number, fieldset in enumerate(questions, start=1) if number != n]
    assert all("outcome" not in fieldset and 'name="check"' in fieldset for fieldset in others)
    assert 'value="a draft"' in questions[key.number(text) - 1]
    assert 'value="12.345"' in questions[key.number(numeric) - 1]
    with app.app_context():
        rows = db.session.get(QuizAttempt, attempt_id).answers
        assert rows[single]["checked_at"] is not None and rows[single]["mark"] == 1.0
        assert rows[text]["checked_at"] is None and rows[text]["mark"] is None and rows[text]["response"] == "a draft"
        assert rows[numeric]["response"] == {"text": "12.345", "value": 12.345}  # English: a decimal point

    locked = stored_responses(app, attempt_id)[single]
    wrong = key.form_data({single: key.wrong(single)})
    response = client.post(f"/attempts/{attempt_id}", data={**wrong, "check": str(n)}, follow_redirects=True)
    assert "This question was already checked; its answer cannot change." in flashes(response.get_data(as_text=True))
    client.post(f"/attempts/{attempt_id}", data={**wrong, "save": "1"})
    assert stored_responses(app, attempt_id)[single] == locked


def test_page_script_check_gets_back_only_the_checked_question(app, client, login_as, make_user) -> None:
    login_as(make_user(locale="en"))
    attempt_id = start_attempt(client)
    key = attempt_key(app, attempt_id)
    truefalse = key.of_type("truefalse")
    response = client.post(
        f"/attempts/{attempt_id}",
        data={**key.form_data({truefalse: key.wrong(truefalse)}), "check": str(key.number(truefalse))},
        headers={"X-Requested-With": "fetch"},
    )
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in fragment
    assert len(fieldsets(fragment)) == 1 and f'id="q{key.number(truefalse)}"' in fragment
    assert 'class="outcome outcome--wrong"' in fragment
    assert pick(catalog_quiz(app).question(truefalse).explanation, "en") in fragment


def test_page_script_check_blocked_by_another_questions_error_says_why(app, client, login_as, make_user) -> None:
    login_as(make_user(locale="en"))
    attempt_id = start_attempt(client)
    key = attempt_key(app, attempt_id)
    single, numeric = key.of_type("single"), key.of_type("numeric")
    data = {**key.form_data({single: key.right(single)}), f"q{key.number(numeric)}": "abc"}
    response = client.post(
        f"/attempts/{attempt_id}",
        data={**data, "check": str(key.number(single))},
        headers={"X-Requested-With": "fetch"},
    )
    assert answer_count(app) == 0
    # quiz.js puts a 200 or 400 answer in place of the question; any other status makes it post the whole form.
    shown_in_place = response.status_code in (200, 400)
    assert not shown_in_place or "That is not a number." in response.get_data(as_text=True)


# --- Invalid answers -------------------------------------------------------------------------------------------


def _numeric_not_a_number(key):
    return key.of_type("numeric"), {f"q{key.number(key.of_type('numeric'))}": "abc"}


def _numeric_too_long(key):
    return key.of_type("numeric"), {f"q{key.number(key.of_type('numeric'))}": "1" * 41}


def _ordering_twice_the_same_position(key):
    question = key.of_type("ordering")
    fields = key.form_data({question: key.right(question)})
    first, second = sorted(fields)[:2]
    return question, fields | {second: fields[first]}


def _ordering_position_missing(key):
    question = key.of_type("ordering")
    fields = key.form_data({question: key.right(question)})
    return question, fields | {sorted(fields)[0]: ""}


def _single_unknown_option(key):
    return key.of_type("single"), {f"q{key.number(key.of_type('single'))}": "99"}


def _single_authored_id_instead_of_token(key):
    return key.of_type("single"), {f"q{key.number(key.of_type('single'))}": "mandate-carried-out"}


def _single_sent_twice(key):
    return key.of_type("single"), {f"q{key.number(key.of_type('single'))}": ["0", "1"]}


def _multiple_unknown_option(key):
    return key.of_type("multiple"), {f"q{key.number(key.of_type('multiple'))}": ["0", "99"]}


def _matching_unknown_choice(key):
    return key.of_type("matching"), {f"q{key.number(key.of_type('matching'))}.0": "99"}


def _truefalse_neither(key):
    return key.of_type("truefalse"), {f"q{key.number(key.of_type('truefalse'))}": "maybe"}


def _shorttext_too_long(key):
    return key.of_type("shorttext"), {f"q{key.number(key.of_type('shorttext'))}": "x" * 201}


INVALID_ANSWERS = [  # (the bad fields, the button pressed, the message beside the question)
    (_numeric_not_a_number, "save", "That is not a number."),
    (_numeric_too_long, "submit", "A number has at most 40 characters."),
    (_ordering_twice_the_same_position, "submit", "Give every item a different position."),
    (_ordering_position_missing, "save", "Give every item a position."),
    (_single_unknown_option, "check", "That choice is not one of the options shown."),
    (_single_authored_id_instead_of_token, "submit", "That choice is not one of the options shown."),
    (_single_sent_twice, "save", "The answer was sent more than once."),
    (_multiple_unknown_option, "submit", "That choice is not one of the options shown."),
    (_matching_unknown_choice, "check", "That choice is not one of the options shown."),
    (_truefalse_neither, "submit", "Answer true or false."),
    (_shorttext_too_long, "submit", "Keep the answer to 200 characters."),
]


@pytest.mark.parametrize(
    ("invalid", "button", "message"), INVALID_ANSWERS, ids=[row[0].__name__[1:] for row in INVALID_ANSWERS]
)
def test_invalid_answer_shows_the_reason_keeps_the_input_and_stores_nothing(
    app, client, login_as, make_user, invalid, button: str, message: str
) -> None:
    login_as(make_user(locale="en"))
    attempt_id = start_attempt(client)
    key = attempt_key(app, attempt_id)
    bad_question, bad_fields = invalid(key)
    typed = {question_id: key.right(question_id) for question_id in ("fourth-question", "mandate-bonus-total")}
    typed.pop(bad_question, None)
    pressed = {"check": str(key.number(bad_question))} if button == "check" else {button: "1"}
    before = snapshot(app)

    response = client.post(f"/attempts/{attempt_id}", data={**key.form_data(typed), **bad_fields, **pressed})

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "1 answer needs your attention. Nothing was saved." in page
    number = key.number(bad_question)
    bad = fieldsets(page)[number - 1]
    assert f'<p class="field__errors" id="q{number}-error" role="alert">{html.escape(message)}</p>' in bad
    for question_id, value in typed.items():
        assert f'value="{value}"' in fieldsets(page)[key.number(question_id) - 1]
    assert snapshot(app) == before and answer_count(app) == 0


GERMAN = [  # the same refusals for a learner who reads German
    (_numeric_not_a_number, "Das ist keine Zahl."),
    (_ordering_twice_the_same_position, "Geben Sie jedem Eintrag eine andere Position."),
    (_single_unknown_option, "Diese Auswahl gehört nicht zu den angezeigten Antworten."),
    (_shorttext_too_long, "Die Antwort darf höchstens 200 Zeichen lang sein."),
]


def test_invalid_answers_are_explained_in_german_to_a_german_learner(app, client, login_as, make_user) -> None:
    login_as(make_user(locale="de"))
    attempt_id = start_attempt(client)
    key = attempt_key(app, attempt_id)
    fields = {}
    for invalid, _message in GERMAN:
        fields |= invalid(key)[1]
    response = client.post(f"/attempts/{attempt_id}", data={**fields, "submit": "1"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert '<html lang="de">' in page
    for invalid, message in GERMAN:
        number = key.number(invalid(key)[0])
        assert f'id="q{number}-error" role="alert">{html.escape(message)}</p>' in fieldsets(page)[number - 1]
    assert answer_count(app) == 0


@pytest.mark.parametrize("check", ["0", "abc", "8"])
def test_checking_a_question_number_the_attempt_does_not_have_is_a_bad_request(
    app, client, login_as, make_user, check: str
) -> None:
    login_as(make_user(locale="en"))
    attempt_id = start_attempt(client)
    key = attempt_key(app, attempt_id)
    response = client.post(f"/attempts/{attempt_id}", data={**key.form_data(key.right_answers()), "check": check})
    assert response.status_code == 400
    assert "Bad request" in response.get_data(as_text=True)
    assert answer_count(app) == 0


def test_a_body_over_the_size_limit_is_refused_with_413(app, client, login_as, make_user) -> None:
    login_as(make_user(locale="en"))
    attempt_id = start_attempt(client)
    body = {"q3": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1), "save": "1"}
    response = client.post(f"/attempts/{attempt_id}", data=body)
    assert response.status_code == 413
    assert "What you sent is too large." in response.get_data(as_text=True)
    assert answer_count(app) == 0
    assert client.get(f"/attempts/{attempt_id}").status_code == 200  # the attempt still works


# --- Unanswered questions, stale attempts ----------------------------------------------------------------------


def test_submitting_with_unanswered_questions_asks_for_confirmation_first(app, client, login_as, make_user) -> None:
    login_as(make_user(locale="en"))
    attempt_id = start_attempt(client)
    key = attempt_key(app, attempt_id)
    answered = [key.of_type("single"), key.of_type("truefalse")]
    data = key.form_data({question_id: key.right(question_id) for question_id in answered})
    missing = sorted(set(range(1, 8)) - {key.number(question_id) for question_id in answered})

    response = submit_form(client, attempt_id, data)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/attempts/{attempt_id}?confirm=1#submit"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    numbers = ", ".join(map(str, missing))
    assert flashes(page) == [f"Not answered yet: {numbers}. Answer them, or submit anyway: they score 0."]
    assert f"Unanswered questions score 0: {numbers}." in page
    assert '<input type="hidden" name="confirm" value="1">' in page and "Submit anyway" in page
    saved = {question_id for question_id, response in stored_responses(app, attempt_id).items() if response is not None}
    assert saved == set(answered)  # saved, not submitted
    with app.app_context():
        assert db.session.get(QuizAttempt, attempt_id).status == "open"

    response = submit_form(client, attempt_id, data, confirm="1")
    assert response.headers["Location"] == f"/attempts/{attempt_id}/review"
    review = client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    assert "2 of 8 points (25\u00a0%); 75\u00a0% needed to pass." in review
    assert review.count("outcome--wrong") == 5 and review.count("no answer") >= 5
    with app.app_context():
        stored = db.session.scalars(select(QuizAttempt.answers)).one()
        marks = {question_id: saved["mark"] for question_id, saved in stored.items()}
    assert marks == {question_id: (1.0 if question_id in answered else 0.0) for question_id in key.question_ids}


@pytest.mark.parametrize("button", ["submit", "check", "save"])
def test_posting_to_a_submitted_attempt_shows_its_review_and_changes_nothing(
    app, client, login_as, make_user, button: str
) -> None:
    login_as(make_user(locale="en"))
    attempt_id = start_attempt(client)
    key = attempt_key(app, attempt_id)
    submit_form(client, attempt_id, key.form_data(key.right_answers()))
    before = snapshot(app)

    data = {**key.form_data(key.wrong_answers()), button: "1", "confirm": "1"}
    response = client.post(f"/attempts/{attempt_id}", data=data)

    assert response.status_code == 302 and response.headers["Location"] == f"/attempts/{attempt_id}/review"
    review = client.get(response.headers["Location"]).get_data(as_text=True)
    assert flashes(review) == ["This attempt was already submitted; here is its review."]
    assert "8 of 8 points (100\u00a0%)" in review
    assert snapshot(app) == before
    assert client.get(f"/attempts/{attempt_id}").headers["Location"] == f"/attempts/{attempt_id}/review"


# --- Limits ----------------------------------------------------------------------------------------------------


def test_second_start_past_max_attempts_is_refused(make_app, make_user, tmp_path) -> None:
    limited = make_app(QUIZ_DIR=str(quiz_folder(tmp_path, max_attempts=1)))
    client = client_for(limited, make_user(locale="en"))
    assert "1 attempt allowed" in client.get(quiz_url()).get_data(as_text=True)
    attempt_id = start_attempt(client)
    key = attempt_key(limited, attempt_id)
    submit_form(client, attempt_id, key.form_data(key.wrong_answers()))

    response = client.post(f"{quiz_url()}/attempts")
    assert response.status_code == 302 and response.headers["Location"] == quiz_url()
    page = client.get(quiz_url()).get_data(as_text=True)
    assert flashes(page) == ["No attempts left: this quiz allows 1."]
    assert "You have used all your attempts at this quiz." in page
    assert f'action="{quiz_url()}/attempts"' not in page
    assert count(limited, QuizAttempt) == 1


def test_new_attempt_waits_for_the_cooldown(make_app, make_user, tmp_path) -> None:
    cooling = make_app(QUIZ_DIR=str(quiz_folder(tmp_path, cooldown_minutes=10)))
    client = client_for(cooling, make_user(locale="en"))
    attempt_id = start_attempt(client)
    key = attempt_key(cooling, attempt_id)
    submit_form(client, attempt_id, key.form_data(key.wrong_answers()))

    response = client.post(f"{quiz_url()}/attempts")
    assert response.headers["Location"] == quiz_url()
    page = client.get(quiz_url()).get_data(as_text=True)
    assert flashes(page) == ["Your next attempt is possible in 10 minutes."]
    assert "Your next attempt is possible at" in page and f'action="{quiz_url()}/attempts"' not in page
    assert count(cooling, QuizAttempt) == 1

    with cooling.app_context():  # eleven minutes later
        attempt = db.session.get(QuizAttempt, attempt_id)
        attempt.submitted_at = attempt.submitted_at - timedelta(minutes=11)
        db.session.commit()
    assert start_attempt(client) != attempt_id
    assert count(cooling, QuizAttempt) == 2


# --- Other learners, revisions, CSRF ---------------------------------------------------------------------------


def test_another_learners_attempt_is_not_found_and_nothing_of_it_leaks(app, client, login_as, make_user) -> None:
    owner = make_user(locale="en")
    login_as(owner)
    attempt_id = start_attempt(client)
    key = attempt_key(app, attempt_id)
    draft = key.form_data({key.of_type("shorttext"): "owner-private-draft"})
    client.post(f"/attempts/{attempt_id}", data={**draft, "save": "1"})

    stranger = client_for(app, make_user(locale="en"))
    before = snapshot(app)
    responses = [
        stranger.get(f"/attempts/{attempt_id}"),
        stranger.post(f"/attempts/{attempt_id}", data={**draft, "save": "1"}),
        stranger.post(f"/attempts/{attempt_id}", data={"q1.0": "0", "check": "1"}),
        stranger.post(f"/attempts/{attempt_id}", data={**key.form_data(key.right_answers()), "submit": "1"}),
        stranger.get(f"/attempts/{attempt_id}/review"),
    ]
    assert snapshot(app) == before
    submit_form(client, attempt_id, key.form_data(key.right_answers()))
    responses.append(stranger.get(f"/attempts/{attempt_id}/review"))
    for response in responses:
        page = response.get_data(as_text=True)
        assert response.status_code == 404
        assert "owner-private-draft" not in page and "Attempt 1" not in page and "Review of attempt" not in page
    assert "Your attempts" not in stranger.get(quiz_url()).get_data(as_text=True)


CARRIED_OUT = "On how well she carries out these four points by year end"
QUARTER_REVENUE = "On how much revenue Nordwerk brings in each quarter"
CORRECT_CHANGES = (
    "      - id: mandate-carried-out\n        correct: true\n",
    "      - id: mandate-carried-out\n",
    "      - id: quarter-revenue\n",
    "      - id: quarter-revenue\n        correct: true\n",
)


def test_attempt_is_graded_and_reviewed_against_the_quiz_revision_it_started_on(
    app, client, login_as, make_user
) -> None:
    login_as(make_user(locale="en"))
    old_attempt = start_attempt(client)
    old_key = attempt_key(app, old_attempt)
    text = (QUIZ_DIR / COURSE / f"{MANDATE}.yml").read_text(encoding="utf-8")
    for old, new in zip(CORRECT_CHANGES[::2], CORRECT_CHANGES[1::2], strict=True):
        assert text.count(old) == 1
        text = text.replace(old, new)
    publish_quiz(app, MANDATE, text)  # now "quarter revenue" is the right answer

    submit_form(client, old_attempt, old_key.form_data(old_key.right_answers()))
    review = client.get(f"/attempts/{old_attempt}/review").get_data(as_text=True)
    assert "8 of 8 points (100\u00a0%)" in review
    old_question = fieldsets(review)[old_key.number("pay-depends-on") - 1]
    assert review_marks(old_question)[CARRIED_OUT] == "is-correct is-chosen"
    assert review_marks(old_question)[QUARTER_REVENUE] == ""

    new_attempt = start_attempt(client)
    new_key = attempt_key(app, new_attempt)
    assert new_key.right("pay-depends-on") == new_key.tokens("pay-depends-on")["quarter-revenue"]
    submit_form(client, new_attempt, new_key.form_data(new_key.right_answers()))
    new_review = client.get(f"/attempts/{new_attempt}/review").get_data(as_text=True)
    assert "8 of 8 points (100\u00a0%)" in new_review
    new_question = fieldsets(new_review)[new_key.number("pay-depends-on") - 1]
    assert review_marks(new_question)[QUARTER_REVENUE] == "is-correct is-chosen"
    assert review_marks(new_question)[CARRIED_OUT] == ""
    again = fieldsets(client.get(f"/attempts/{old_attempt}/review").get_data(as_text=True))
    assert again[old_key.number("pay-depends-on") - 1] == old_question  # the old review still shows the old key
    with app.app_context():
        attempts = db.session.scalars(select(QuizAttempt).order_by(QuizAttempt.id)).all()
        assert attempts[0].revision_id != attempts[1].revision_id


def test_quiz_forms_without_a_csrf_token_are_refused(make_app, make_user) -> None:
    protected = make_app(WTF_CSRF_ENABLED=True)
    client = client_for(protected, make_user(locale="en"))
    page = client.get(quiz_url()).get_data(as_text=True)
    token = csrf_token_of(page, r'action="[^"]+/attempts">')

    refused = client.post(f"{quiz_url()}/attempts")
    assert refused.status_code == 400 and "The form has expired" in refused.get_data(as_text=True)
    assert count(protected, QuizAttempt) == 0

    attempt_id = start_attempt(client, csrf_token=token)
    key = attempt_key(protected, attempt_id)
    data = {**key.form_data(key.right_answers()), "submit": "1"}
    refused = client.post(f"/attempts/{attempt_id}", data=data)
    assert refused.status_code == 400 and "The form has expired" in refused.get_data(as_text=True)
    assert answer_count(protected) == 0
    take = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    token = csrf_token_of(take, r'<form class="quiz-form"[^>]*>')
    response = client.post(f"/attempts/{attempt_id}", data={**data, "csrf_token": token})
    assert response.headers["Location"] == f"/attempts/{attempt_id}/review"


# --- Crafted input that once caused a server error ---------------------------------------------------------------


def test_a_check_number_in_superscript_digits_is_a_bad_request(app, client, login_as, make_user) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # what a visitor sees, not the test client's traceback
    login_as(make_user(locale="en"))
    attempt_id = start_attempt(client)
    response = client.post(f"/attempts/{attempt_id}", data={"check": "²"})
    assert response.status_code == 400
    assert answer_count(app) == 0


def test_an_ordering_position_in_superscript_digits_is_explained(app, client, login_as, make_user) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    login_as(make_user(locale="en"))
    attempt_id = start_attempt(client)
    key = attempt_key(app, attempt_id)
    ordering = key.of_type("ordering")
    fields = key.form_data({ordering: key.right(ordering)})
    response = client.post(f"/attempts/{attempt_id}", data={**fields, sorted(fields)[0]: "²", "save": "1"})
    assert response.status_code == 400
    assert "Give every item a position." in response.get_data(as_text=True)
    assert answer_count(app) == 0


def test_attempt_ids_past_the_database_range_are_404(app, client, login_as, make_user) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    login_as(make_user(locale="en"))
    for attempt_id in (2**31, 2**63):
        assert client.get(f"/attempts/{attempt_id}").status_code == 404, attempt_id
        assert client.post(f"/attempts/{attempt_id}", data={"save": "1"}).status_code == 404, attempt_id
        assert client.get(f"/attempts/{attempt_id}/review").status_code == 404, attempt_id


def test_checking_an_unanswered_question_asks_for_an_answer_and_locks_nothing(app, client, login_as, make_user) -> None:
    login_as(make_user(locale="en"))
    attempt_id = start_attempt(client)
    key = attempt_key(app, attempt_id)
    n = key.number(key.of_type("single"))
    response = client.post(f"/attempts/{attempt_id}", data={"check": str(n)})
    assert response.status_code == 400
    assert "Answer the question before you check it." in fieldsets(response.get_data(as_text=True))[n - 1]
    assert answer_count(app) == 0
