"""The page lane's quiz submission (course/fast/lane.py, course/fast/submission.py): a learner's plain, complete
submission answered without Flask gives Flask's answer and writes what Flask writes; every other POST, and a
submission whose attempt changed after the lane read it, is Flask's, with nothing written by the lane."""

from __future__ import annotations

import io
import os
import re
import threading

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select
from werkzeug.test import TestResponse

from course.core import webhooks as rules
from course.extensions import db
from course.fast import submission
from course.models import QuizAnswer, QuizAttempt, QuizResult, User, Webhook
from tests.quiz_helpers import AttemptKey, attempt_key, client_for, faster_apps, start_attempt
from tests.web.test_fast_paths import COURSE, add_launches
from tests.web.test_page_lane import Counted, counting_flask, lane_closed

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    faster = faster_apps(make_app, monkeypatch)
    return lambda **overrides: faster(**{"WTF_CSRF_ENABLED": True, **overrides})


@pytest.fixture
def flask_calls(app: Flask) -> Counted:
    return counting_flask(app)


class Taking:
    """A learner's open attempt, its page loaded (so its token is signed and kept), ready to post."""

    def __init__(self, app: Flask, user: User) -> None:
        self.app = app
        self.client: FlaskClient = client_for(app, user)
        quiz_page = self.client.get(f"/courses/{COURSE}/quizzes/kam-mandate-quiz").get_data(as_text=True)
        self.token = _TOKEN.search(quiz_page).group(1)
        self.attempt_id = start_attempt(self.client, csrf_token=self.token)
        self.url = f"/attempts/{self.attempt_id}"
        for _ in range(2):  # Flask keeps the shell; then the lane serves it
            assert self.client.get(self.url).status_code == 200
        self.key: AttemptKey = attempt_key(app, self.attempt_id)

    def form(self, answers: dict[str, object] | None = None, **fields: str) -> dict[str, object]:
        chosen = self.key.right_answers("de") if answers is None else answers
        return {**self.key.form_data(chosen), "csrf_token": self.token, **fields}

    def post(self, data: dict[str, object], **options: object) -> TestResponse:
        return self.client.post(self.url, data=data, **options)


def stored(app: Flask, attempt_id: int) -> dict[str, object]:
    """What a submission wrote, without ids and times: the attempt, the best result and the statistics rows."""
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        result = db.session.scalar(
            select(QuizResult).where(QuizResult.user_id == attempt.user_id, QuizResult.quiz_id == attempt.quiz_id)
        )
        rows = db.session.scalars(select(QuizAnswer).where(QuizAnswer.attempt_id == attempt_id)).all()
        skip = {"id", "attempt_id", "user_id"}
        return {
            "attempt": (attempt.status, attempt.score, attempt.max_score, attempt.percent, attempt.passed),
            "answers": attempt.answers,
            "submitted": attempt.submitted_at is not None,
            "result": None if result is None else (result.best_percent, result.passed, result.attempts),
            "rows": [{k: v for k, v in vars(row).items() if not k.startswith("_") and k not in skip} for row in rows],
        }


def _without(response: TestResponse, attempt_id: int) -> tuple[str, list, bytes]:
    """The response with its attempt's id taken out, to compare answers about two attempts."""
    path = f"/attempts/{attempt_id}/"
    headers = [(name, value.replace(path, "/attempts/ID/")) for name, value in response.headers.items()]
    return response.status, headers, response.get_data().replace(path.encode(), b"/attempts/ID/")


def test_a_plain_submission_by_the_lane_is_flasks_answer_and_writes_what_flask_writes(
    app: Flask, make_user, flask_calls: Counted
) -> None:
    done = {}
    for way in ("flask", "lane"):
        taking = Taking(app, make_user(locale="de"))
        before = flask_calls.calls
        if way == "flask":
            with lane_closed(app):
                response = taking.post(taking.form(submit="1"))
        else:
            response = taking.post(taking.form(submit="1"))
        done[way] = (flask_calls.calls - before, _without(response, taking.attempt_id), stored(app, taking.attempt_id))
        assert response.status_code == 302 and response.headers["Location"] == f"{taking.url}/review"
        review = taking.client.get(response.headers["Location"])
        assert review.status_code == 200 and "100" in review.get_data(as_text=True)
    assert done["flask"][0] == 1 and done["lane"][0] == 0, "each way as meant"
    assert done["lane"][1] == done["flask"][1], "status, headers and body"
    lane, flask = done["lane"][2], done["flask"][2]
    assert lane == flask
    assert lane["attempt"] == ("submitted", lane["attempt"][1], lane["attempt"][1], 100.0, True)
    assert lane["result"] == (100.0, True, 1) and len(lane["rows"]) == len(lane["answers"]) == 7


def test_a_submission_with_unanswered_questions_confirmed_is_the_lanes_too(
    app: Flask, make_user, flask_calls: Counted
) -> None:
    taking = Taking(app, make_user())
    first = taking.key.question_ids[0]
    before = flask_calls.calls
    response = taking.post(taking.form({first: taking.key.wrong(first)}, submit="1", confirm="1"))
    assert response.status_code == 302 and flask_calls.calls == before
    written = stored(app, taking.attempt_id)
    assert written["attempt"][0] == "submitted" and written["attempt"][3] == 0.0
    assert written["result"] == (0.0, False, 1) and len(written["rows"]) == 7


def test_the_lane_leaves_every_other_post_on_an_attempt_to_flask(app: Flask, make_user, flask_calls: Counted) -> None:
    taking = Taking(app, make_user())
    key = taking.key
    first, second = key.question_ids[:2]
    single = next(question_id for question_id in key.question_ids if key.type(question_id) == "single")

    def by_flask(data: dict[str, object], **options: object) -> TestResponse:
        before = flask_calls.calls
        response = taking.post(data, **options)
        assert flask_calls.calls == before + 1, data
        return response

    assert by_flask(taking.form()).status_code == 302  # saved, not submitted
    saved = stored(app, taking.attempt_id)
    assert saved["attempt"][0] == "open" and len(saved["answers"]) == 7, "Flask read the body the lane had read"
    assert by_flask(taking.form({first: key.right(first)}, check="1")).status_code == 302  # checked
    asked = by_flask(taking.form({second: key.wrong(second)}, submit="1"))  # unanswered: Flask asks first
    assert "confirm=1" in asked.headers["Location"]
    assert by_flask(taking.form(submit="1", csrf_token="forged")).status_code == 400
    without_token = taking.form(submit="1")
    del without_token["csrf_token"]
    assert by_flask(without_token).status_code == 400
    twice = {**taking.form(submit="1"), f"q{key.number(single)}": ["a", "b"]}  # an answer Flask refuses
    assert by_flask(twice).status_code == 400
    assert by_flask(taking.form(submit="1", note="nul\x00")).status_code == 400  # text no database can store
    assert by_flask(taking.form(submit="1"), query_string={"x": "1"}).status_code == 302  # a query string
    assert stored(app, taking.attempt_id)["attempt"][0] == "submitted"  # by Flask, with its query string
    again = by_flask(taking.form(submit="1"))  # the attempt is closed: Flask says so on the review
    assert again.headers["Location"] == f"{taking.url}/review"
    stranger = Taking(app, make_user())
    stranger.url = taking.url
    before = flask_calls.calls
    assert stranger.post(stranger.form(submit="1")).status_code == 404 and flask_calls.calls == before + 1
    multipart = Taking(app, make_user())
    before = flask_calls.calls
    assert multipart.post(multipart.form(submit="1"), content_type="multipart/form-data").status_code == 302
    assert flask_calls.calls == before + 1 and stored(app, multipart.attempt_id)["attempt"][0] == "submitted"


def test_submissions_other_systems_hear_of_are_flasks(make_app, make_user) -> None:
    """An LRS, an LMS the learner came from, a webhook for completed courses: Flask tells them in the same
    transaction, so the lane steps aside."""
    lrs = make_app(XAPI_LRS_URL="http://127.0.0.1:9/xapi", XAPI_LRS_USERNAME="lane", XAPI_LRS_PASSWORD="secret")
    taking = Taking(lrs, make_user())
    assert by_flask(taking, taking.form(submit="1"))

    app = make_app()
    launched = make_user()
    add_launches(app, {f"quiz:{COURSE}/kam-mandate-quiz": launched})
    taking = Taking(app, launched)
    assert by_flask(taking, taking.form(submit="1"))

    admin = make_user(role="admin")
    with app.app_context():
        db.session.add(
            Webhook(
                name="HR",
                url="https://hr.example.org/hook",
                secret=rules.new_secret(lambda n: b"k" * n),
                events=["course.completed"],
                created_by_id=admin.id,
            )
        )
        db.session.commit()
    passing, failing = Taking(app, make_user()), Taking(app, make_user())
    assert by_flask(passing, passing.form(submit="1")), "it may complete the course"
    assert not by_flask(failing, failing.form(failing.key.wrong_answers(), submit="1")), "a failed quiz completes none"


def by_flask(taking: Taking, data: dict[str, object]) -> bool:
    """Whether Flask answered the POST (the lane handed it on); it must be the submission's redirect either way."""
    counted = counting_flask(taking.app)
    response = taking.post(data)
    assert response.status_code == 302 and response.headers["Location"] == f"{taking.url}/review"
    assert stored(taking.app, taking.attempt_id)["attempt"][0] == "submitted"
    return counted.calls == 1


def test_over_https_the_lane_wants_the_sites_own_referrer(app: Flask, make_user, flask_calls: Counted) -> None:
    taking = Taking(app, make_user())
    before = flask_calls.calls
    https = {"base_url": "https://localhost"}
    assert taking.post(taking.form(submit="1"), **https).status_code == 400  # no referrer: Flask-WTF refuses
    foreign = {"Referer": "https://evil.example.org/"}
    assert taking.post(taking.form(submit="1"), headers=foreign, **https).status_code == 400
    assert flask_calls.calls == before + 2
    own = {"Referer": f"https://localhost{taking.url}"}
    assert taking.post(taking.form(submit="1"), headers=own, **https).status_code == 302
    assert flask_calls.calls == before + 2 and stored(app, taking.attempt_id)["attempt"][0] == "submitted"


def test_an_attempt_changed_after_the_lanes_read_is_submitted_by_flask_with_the_change(
    app: Flask, make_user, flask_calls: Counted, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another tab checks a question while the lane grades: the lane's UPDATE finds other answers and writes
    nothing; Flask then submits under its lock, with the checked answer as it was checked."""
    learner = make_user()
    taking = Taking(app, learner)
    tab = client_for(app, learner)
    tab_token = _TOKEN.search(tab.get(taking.url).get_data(as_text=True)).group(1)
    first = taking.key.question_ids[0]
    grade = submission.graded_submission

    def another_tab_first(*args: object):  # noqa: ANN202 - graded_submission's
        check = {**taking.key.form_data({first: taking.key.wrong(first)}), "check": "1", "csrf_token": tab_token}
        assert tab.post(taking.url, data=check).status_code == 302
        return grade(*args)

    monkeypatch.setattr(submission, "graded_submission", another_tab_first)
    before = flask_calls.calls
    assert taking.post(taking.form(submit="1")).status_code == 302
    assert flask_calls.calls == before + 2, "the other tab's check, then the submission"
    written = stored(app, taking.attempt_id)
    assert written["attempt"][0] == "submitted" and written["attempt"][3] < 100.0
    assert written["answers"][first]["checked_at"] is not None and written["answers"][first]["mark"] == 0.0
    assert written["result"][2] == 1 and len(written["rows"]) == 7, "written once, by Flask"


def test_a_lane_submission_takes_no_connection_from_the_pool(make_app, make_user) -> None:
    """Its read and its write run on the fast path's kept connections: on SQLite too, where the pool's checkout
    and checkin were about 5 % of a submission. (The catalog's version is asked once a minute here.)"""
    app = make_app(CATALOG_CHECK_SECONDS=60)
    flask_calls = counting_flask(app)
    first = Taking(app, make_user())
    first.post(first.form(submit="1"))  # the kept connections made
    taking = Taking(app, make_user())
    checkouts = []
    with app.app_context():
        engine = db.engine
    listener = lambda *_args: checkouts.append(1)  # noqa: E731
    event.listen(engine, "checkout", listener)
    try:
        before = flask_calls.calls
        assert taking.post(taking.form(submit="1")).status_code == 302
    finally:
        event.remove(engine, "checkout", listener)
    assert flask_calls.calls == before, "the lane submitted"
    assert stored(app, taking.attempt_id)["attempt"][0] == "submitted"
    assert checkouts == []


@pytest.mark.skipif(submission.fcntl is None, reason="no lock files without fcntl")
def test_the_lanes_sqlite_writers_take_turns_on_a_lock_file_beside_the_database(tmp_path) -> None:
    """Another process's writer (here: the lock file opened anew) and another thread wait for the one writing."""
    fcntl = submission.fcntl
    database = str(tmp_path / "course.sqlite3")
    entered = threading.Event()

    def second_thread() -> None:
        with submission._writers_turn(database):
            entered.set()

    with submission._writers_turn(database):
        other = os.open(f"{database}-lane-lock", os.O_RDWR)  # the file is there, beside the database
        with pytest.raises(BlockingIOError):
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        thread = threading.Thread(target=second_thread)
        thread.start()
        assert not entered.wait(0.2), "the second thread waits for the first"
    thread.join(10)
    assert entered.is_set()
    fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again once both are done
    os.close(other)


@pytest.mark.parametrize(
    "body",
    [
        b"csrf_token=a.b.c&q1=2&q3=Wo+findet+der+Manager+Unterst%C3%BCtzung%3F&submit=1",
        b"q1=1&q1=2&empty=&bare&=nameless&a%20b=c%2Bd",  # repeats, blanks, a key alone, escapes
        b"q1=%zz&q2=%FF%FE&q3=%C3",  # escapes that are no UTF-8, or no escape at all
        "q1=Fläche&q2=€".encode(),  # raw UTF-8 (browsers escape it; a script may not)
        b"q1=\xff\xfe",  # raw bytes that are no UTF-8
        b";&&q1=1;q2=2",
    ],
)
def test_the_lane_reads_a_form_body_as_werkzeug_does(body: bytes) -> None:
    """The lane parses the urlencoded body itself: the same fields as Flask's parser, or none (a body that is no
    UTF-8): then Flask reads the body, which the lane put back."""
    from werkzeug.datastructures import ImmutableMultiDict
    from werkzeug.formparser import parse_form_data

    from course.fast.lane import _read_form

    def environ() -> dict:
        return {
            "REQUEST_METHOD": "POST",
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
        }

    expected = list(parse_form_data(environ(), cls=ImmutableMultiDict)[1].items(multi=True))
    given = environ()
    form = _read_form(given)
    if b"\xff" in body:
        assert form is None
    else:
        assert list(form.items(multi=True)) == expected
    assert given["wsgi.input"].read() == body, "the body is there again for Flask"
