"""The page lane (course/fast/lane.py) answers a learner's lesson and open attempt pages exactly as Flask would, and
leaves every request it cannot answer so to Flask.

Each page is fetched twice with the same browser state: once with the lane closed (Flask's fast paths) and once
through the lane; status, headers and bytes must be equal, and a counter around Flask tells which way it went.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from course.extensions import db
from course.fast.lane import PageLane
from course.models import OutboxMessage, User, UserSession
from course.notifications import operations as notifications
from tests.quiz_helpers import attempt_key, client_for, faster_apps, start_attempt
from tests.sessions import sign_in
from tests.web.test_fast_paths import COURSE, record_progress

LESSON = "kams-are-not-salespeople"
URL = f"/courses/{COURSE}/lessons/{LESSON}"
BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd", "Sec-Fetch-Site": "same-origin"}


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    return faster_apps(make_app, monkeypatch)


class Counted:
    """Flask behind the lane, counting the requests the lane hands on."""

    def __init__(self, lane: PageLane) -> None:
        self.flask = lane.wsgi_app
        self.calls = 0

    def __call__(self, environ: dict, start_response):  # noqa: ANN204 - a WSGI app
        self.calls += 1
        return self.flask(environ, start_response)


def lane_of(app: Flask) -> PageLane:
    layer = app.wsgi_app
    while not isinstance(layer, PageLane):
        layer = getattr(layer, "wsgi_app", None) or layer.app  # SecurityHeaders, then ProxyFix if configured
    return layer


def counting_flask(app: Flask) -> Counted:
    """Count from now on the requests the app's lane hands to Flask."""
    lane = lane_of(app)
    lane.wsgi_app = counted = Counted(lane)
    return counted


@pytest.fixture
def flask_calls(app: Flask) -> Counted:
    return counting_flask(app)


@contextmanager
def lane_closed(app: Flask) -> Iterator[None]:
    lane = lane_of(app)
    was = lane._open  # noqa: SLF001 - the test compares the lane with Flask on the same request
    lane._open = False  # noqa: SLF001
    try:
        yield
    finally:
        lane._open = was  # noqa: SLF001


def both_ways(app: Flask, client: FlaskClient, flask_calls: Counted, url: str = URL, **headers: str):
    """(Flask's answer, the lane's answer, whether the lane answered itself)."""
    with lane_closed(app):
        by_flask = client.get(url, headers=headers)
    before = flask_calls.calls
    by_lane = client.get(url, headers=headers)
    return by_flask, by_lane, flask_calls.calls == before


def same(one: TestResponse, other: TestResponse) -> None:
    assert one.status == other.status
    assert list(one.headers.items()) == list(other.headers.items())
    assert one.get_data() == other.get_data()


def warm(client: FlaskClient, url: str = URL) -> None:
    """Flask serves the first visit: it signs the session's CSRF token and keeps the page, sidebar and header."""
    for headers in ({}, BROWSER):
        assert client.get(url, headers=headers).status_code == 200


def test_a_learners_lesson_page_from_the_lane_is_flasks_page_byte_for_byte(
    app: Flask, make_user, flask_calls: Counted
) -> None:
    ana = make_user(display_name="Ana <Ölmez> & Co", locale="de")
    ben = make_user(display_name="Ben", locale="en")
    carl = make_user(display_name="Carl")  # no language of his own: the session's, else the browser's
    record_progress(app, ana.id, 2, 1, 40.0)
    with app.app_context():
        notifications.notify([ben.id], "certificate_issued", "certificate:z", {"course_id": COURSE})
        db.session.commit()
    cases = [
        (ana, {}),
        (ana, BROWSER),
        (ana, {**BROWSER, "Accept-Encoding": "gzip"}),
        (ana, {**BROWSER, "Accept-Encoding": "br;q=0.5, gzip;q=0.9"}),
        (ana, {**BROWSER, "Accept-Encoding": "identity"}),
        (ana, {**BROWSER, "Sec-Fetch-Site": "cross-site"}),  # compressed with the token: never for another site
        (ben, {"Accept-Language": "de"}),  # his own English wins, with his unread notification
        (carl, {"Accept-Language": "en-GB,en;q=0.8"}),
        (carl, {"Accept-Language": "de-CH, fr"}),
        (carl, {"Accept-Language": "fr"}),
        (carl, {}),
    ]
    served = []
    for user, headers in cases:
        client = client_for(app, user)
        warm(client)
        for lesson_headers in ({**headers, "Accept-Language": "fr"}, headers):  # a shell per language
            client.get(URL, headers=lesson_headers)
        by_flask, by_lane, by_the_lane = both_ways(app, client, flask_calls, **headers)
        assert by_flask.status_code == 200 and by_the_lane, (user.display_name, headers)
        same(by_flask, by_lane)
        served.append(by_lane)
    # The answers differ as they should, so equal pairs are not equal by accident.
    assert "Ana &lt;Ölmez&gt; &amp; Co" in served[0].get_data(as_text=True)
    assert served[1].headers["Content-Encoding"] == "zstd" and served[1].headers["Vary"] == "Accept-Encoding, Cookie"
    assert served[2].headers["Content-Encoding"] == "gzip"
    assert served[3].headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in served[4].headers and "Content-Encoding" not in served[5].headers
    assert served[0].headers["Vary"] == "Cookie"
    assert 'lang="en"' in served[6].get_data(as_text=True) and "notifications-link__count" in served[6].get_data(
        as_text=True
    )
    assert 'lang="en"' in served[7].get_data(as_text=True) and 'lang="de"' in served[8].get_data(as_text=True)


def test_the_language_chosen_in_the_session_is_the_lanes_too(app: Flask, make_user, flask_calls: Counted) -> None:
    client = client_for(app, make_user(display_name="Carl"))
    with client.session_transaction() as session:
        session["lang"] = "en"
    warm(client)
    by_flask, by_lane, by_the_lane = both_ways(app, client, flask_calls, **{"Accept-Language": "de"})
    assert by_the_lane and 'lang="en"' in by_lane.get_data(as_text=True)
    same(by_flask, by_lane)


def test_the_lane_leaves_to_flask_what_it_cannot_answer_as_flask_would(
    app: Flask, make_user, flask_calls: Counted
) -> None:
    learner = make_user(display_name="Lena")
    client = client_for(app, learner)
    warm(client)

    def by_flask(url: str = URL, client: FlaskClient = client, **headers: str) -> TestResponse:
        before = flask_calls.calls
        response = client.get(url, headers=headers)
        assert flask_calls.calls == before + 1, url
        return response

    assert by_flask(f"{URL}?lang=en").status_code == 200  # a query string
    assert client.head(URL).status_code == 200 and flask_calls.calls > 0  # HEAD
    assert by_flask(f"/courses/{COURSE}/lessons/no-such-lesson").status_code == 404
    assert by_flask(f"/courses/no-such-course/lessons/{LESSON}").status_code == 404
    assert by_flask(Host="elsewhere.example").status_code == 400  # not a trusted host
    anonymous = app.test_client()
    warm(anonymous)
    assert "/auth/login" in by_flask(client=anonymous).get_data(as_text=True)
    trainer = client_for(app, make_user(role="trainer"))
    warm(trainer)
    assert "/studio" in by_flask(client=trainer).get_data(as_text=True)
    manager = client_for(app, make_user(role="manager"))
    warm(manager)
    by_flask(client=manager)
    # A message to show: Flask shows it, and the next page is the lane's again.
    assert client.post(f"{URL}/complete").status_code == 302
    assert "flash--success" in by_flask().get_data(as_text=True)
    client.get(URL)
    before = flask_calls.calls
    client.get(URL)
    assert flask_calls.calls == before


def test_a_session_the_lane_does_not_keep_goes_to_flask(app: Flask, make_user, flask_calls: Counted) -> None:
    learner = make_user()
    client = client_for(app, learner)
    warm(client)
    # A permanent session: Flask sends its cookie again with every response.
    with client.session_transaction() as session:
        session.permanent = True
    before = flask_calls.calls
    response = client.get(URL)
    assert flask_calls.calls == before + 1 and "Set-Cookie" in response.headers
    # A session whose CSRF token no page has signed yet (as after a login): Flask signs it and sets the cookie.
    fresh = sign_in(app.test_client(), learner.id)
    before = flask_calls.calls
    assert "Set-Cookie" in fresh.get(URL).headers and flask_calls.calls == before + 1
    # Logged out on another device: the session's row is gone, the page is a visitor's.
    with app.app_context():
        db.session.query(UserSession).filter_by(user_id=learner.id).delete()
        db.session.commit()
    before = flask_calls.calls
    assert "/auth/login" in fresh.get(URL).get_data(as_text=True) and flask_calls.calls == before + 1
    # A remember-me cookie without a session is Flask-Login's to read.
    remembered = sign_in(app.test_client(), learner.id, remember=True)
    warm(remembered)
    with remembered.session_transaction() as session:
        session.clear()
    before = flask_calls.calls
    remembered.get(URL)
    assert flask_calls.calls == before + 1
    # A deactivated account.
    other = make_user()
    gone = client_for(app, other)
    warm(gone)
    with app.app_context():
        db.session.get(User, other.id).active = False
        db.session.commit()
    before = flask_calls.calls
    assert "/auth/login" in gone.get(URL).get_data(as_text=True) and flask_calls.calls == before + 1
    # A cookie that is not the site's.
    forged = app.test_client()
    forged.set_cookie("session", "eyJfdXNlcl9pZCI6IjEifQ.forged.signature")
    before = flask_calls.calls
    assert forged.get(URL).status_code == 200 and flask_calls.calls == before + 1


def test_a_visit_an_lrs_wants_to_hear_of_is_written_by_flask(make_app, make_user) -> None:
    app = make_app(XAPI_LRS_URL="http://127.0.0.1:9/xapi", XAPI_LRS_USERNAME="lane", XAPI_LRS_PASSWORD="secret")
    counted = counting_flask(app)
    client = client_for(app, make_user())
    warm(client)

    def told() -> int:
        with app.app_context():
            return db.session.scalar(select(func.count()).select_from(OutboxMessage))

    calls = counted.calls
    assert client.get(URL).status_code == 200
    assert counted.calls == calls + 1 and told() == 1  # one statement per learner and lesson


def test_an_unknown_hook_turns_the_lane_off(make_app, make_user, caplog: pytest.LogCaptureFixture) -> None:
    app = make_app()
    seen = []
    app.before_request(lambda: seen.append(1))
    counted = counting_flask(app)
    client = client_for(app, make_user())
    with caplog.at_level(logging.WARNING, logger="course.fast.lane"):
        warm(client)
        client.get(URL)
    assert counted.calls == 3 and len(seen) == 3
    assert "The page lane is off" in caplog.text and "before_request" in caplog.text


def test_csrf_checks_on_get_turn_the_lane_off(make_app, make_user, caplog: pytest.LogCaptureFixture) -> None:
    app = make_app(WTF_CSRF_METHODS=["GET", "POST"])
    counted = counting_flask(app)
    client = client_for(app, make_user())
    with caplog.at_level(logging.WARNING, logger="course.fast.lane"):
        for _ in range(3):
            client.get(URL)
    assert counted.calls == 3 and "CSRF checks on GET" in caplog.text


def test_the_plain_path_never_takes_the_lane(app: Flask, make_user, flask_calls: Counted) -> None:
    client = client_for(app, make_user())
    warm(client)
    app.config["FAST_PATHS"] = False
    before = flask_calls.calls
    assert client.get(URL).status_code == 200 and flask_calls.calls == before + 1


# --- the attempt page ---------------------------------------------------------------------------------------------


def answered_attempt(app: Flask, client: FlaskClient) -> str:
    """The learner's open attempt with question 1 answered right and saved, question 2 answered wrong and checked
    (its outcome links to the lesson that teaches it); the page's URL."""
    attempt_id = start_attempt(client)
    key = attempt_key(app, attempt_id)
    first, second = key.question_ids[:2]
    url = f"/attempts/{attempt_id}"
    form = key.form_data({first: key.right(first), second: key.wrong(second)})
    assert client.post(url, data={**form, "check": "2"}).status_code == 302
    return url


def test_a_learners_open_attempt_from_the_lane_is_flasks_page_byte_for_byte(
    app: Flask, make_user, flask_calls: Counted
) -> None:
    served = []
    for user in (make_user(display_name="Ana <Ölmez>", locale="de"), make_user(display_name="Ben", locale="en")):
        client = client_for(app, user)
        url = answered_attempt(app, client)
        warm(client, url)
        for headers in ({}, BROWSER):
            by_flask, by_lane, by_the_lane = both_ways(app, client, flask_calls, url, **headers)
            assert by_flask.status_code == 200 and by_the_lane, (user.display_name, headers)
            same(by_flask, by_lane)
            served.append((url, by_lane))
    url, plain = served[0]
    page = plain.get_data(as_text=True)
    assert f'action="{url}"' in page and "Ana &lt;Ölmez&gt;" in page and 'lang="de"' in page
    assert f'href="/courses/{COURSE}/lessons/' in page  # the checked question's lesson link, relative
    assert served[1][1].headers["Content-Encoding"] == "zstd"
    assert 'lang="en"' in served[2][1].get_data(as_text=True)


def test_the_lane_leaves_other_attempt_pages_to_flask(app: Flask, make_user, flask_calls: Counted) -> None:
    client = client_for(app, make_user())
    url = answered_attempt(app, client)
    warm(client, url)
    attempt_id = int(url.rsplit("/", 1)[1])

    def by_flask(url: str, client: FlaskClient = client) -> TestResponse:
        before = flask_calls.calls
        response = client.get(url)
        assert flask_calls.calls == before + 1, url
        return response

    assert by_flask(f"{url}?confirm=1").status_code == 200  # a query string: Flask asks about the unanswered ones
    assert by_flask(f"/attempts/0{attempt_id}").status_code == 200  # the rule reads it; the lane does not
    assert by_flask("/attempts/2147483648").status_code == 404  # beyond the column's range
    assert by_flask("/attempts/99999999999").status_code == 404
    stranger = client_for(app, make_user())
    warm(stranger)
    assert by_flask(url, client=stranger).status_code == 404  # someone else's attempt
    key = attempt_key(app, attempt_id)
    assert client.post(url, data={**key.form_data(key.right_answers()), "submit": "1"}).status_code == 302
    assert by_flask(url).headers["Location"].endswith(f"{url}/review")  # submitted: the review
