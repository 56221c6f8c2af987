"""Deep linking (LTI Deep Linking 2.0): an instructor in the LMS picks a course, lesson, quiz or sandbox scenario, and
the tool answers with a signed LtiDeepLinkingResponse the platform verifies against the tool's /lti/jwks.json; the
link it placed then launches into what was picked."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from course.extensions import db
from course.models import LtiState, User
from tests.lti_platform import (  # noqa: F401 - a fixture
    CLAIM,
    DL_CLAIM,
    LAUNCH_URL,
    LEARNER,
    Platform,
    launch,
    register,
    running_platform,
    tool_apps,
)
from tests.quiz_helpers import faster_apps
from tests.sessions import sign_in

CONTENT_ITEMS = DL_CLAIM + "content_items"


@pytest.fixture(scope="module")
def platform() -> Iterator[Platform]:
    with running_platform() as running:
        yield running


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory):
    return tool_apps(faster_apps(make_app, monkeypatch), tmp_path_factory)


@pytest.fixture
def registered(app, platform: Platform) -> int:
    return register(app, platform)


def _picker(client, platform):
    response, _token, _auth, claims = launch(client, platform, deep_linking=True)
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"], claims


def _answer(page: str) -> tuple[str, str]:
    action = re.search(r'<form method="post" action="([^"]+)" id="lti-deep-link-return"', page).group(1)
    token = re.search(r'name="JWT" value="([^"]+)"', page).group(1)
    return action, token


def test_an_instructor_picks_a_quiz_and_the_platform_gets_a_signed_link(app, client, platform, registered):
    picker, request_claims = _picker(client, platform)
    page = client.get(picker)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for target in ("course:kam-pay", "lesson:kam-pay/kams-are-not-salespeople", "quiz:kam-pay/kam-mandate-quiz"):
        assert f'value="{target}"' in text
    response = client.post(picker, data={"target": "quiz:kam-pay/kam-mandate-quiz"})
    assert response.status_code == 200
    assert platform.base in response.headers["Content-Security-Policy"]  # the form may post to the platform
    action, token = _answer(response.get_data(as_text=True))
    assert action == request_claims[DL_CLAIM + "deep_linking_settings"]["deep_link_return_url"]
    claims = platform.verify_deep_linking_response(token, client.get("/lti/jwks.json").get_json(), request_claims)
    [item] = claims[CONTENT_ITEMS]
    assert item["type"] == "ltiResourceLink"
    assert item["custom"] == {"target": "quiz:kam-pay/kam-mandate-quiz"}
    assert item["url"] == f"{LAUNCH_URL}?target=quiz:kam-pay/kam-mandate-quiz"
    with app.app_context():
        assert db.session.scalar(select(User.role).where(User.email == "teacher-1@lms.example.org")) == "trainer"

    # The platform now launches the placed link: its custom target opens the quiz.
    learner = app.test_client()
    placed, *_ = launch(learner, platform, sub="learner-9", **{CLAIM + "custom": item["custom"]})
    assert placed.headers["Location"] == "/courses/kam-pay/quizzes/kam-mandate-quiz"


def test_the_answer_cannot_be_sent_twice(app, client, platform, registered):
    picker, _claims = _picker(client, platform)
    assert client.post(picker, data={"target": "course:kam-pay"}).status_code == 200
    assert client.post(picker, data={"target": "course:kam-pay"}).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(LtiState).where(LtiState.key == picker.rsplit("/", 1)[1])) is None


def test_nothing_chosen_shows_the_picker_again(app, client, platform, registered):
    picker, _claims = _picker(client, platform)
    assert client.post(picker, data={}).status_code == 400
    assert client.post(picker, data={"target": "lesson:kam-pay/not-there"}).status_code == 400


def test_another_browser_cannot_answer_the_instructors_request(app, client, platform, registered, make_user):
    picker, _claims = _picker(client, platform)
    other = app.test_client()
    sign_in(other, make_user(role="trainer").id)
    assert other.get(picker).status_code == 404


def test_a_learner_cannot_ask_for_deep_linking(app, client, platform, registered):
    response, *_ = launch(client, platform, deep_linking=True, **{CLAIM + "roles": [LEARNER]})
    assert response.status_code == 403
    assert 'data-lti-refusal="not_instructor"' in response.get_data(as_text=True)


def test_a_request_without_a_return_url_is_refused(app, client, platform, registered):
    settings = {"accept_types": ["ltiResourceLink"], "accept_presentation_document_targets": ["iframe"]}
    response, *_ = launch(client, platform, deep_linking=True, **{DL_CLAIM + "deep_linking_settings": settings})
    assert response.status_code == 400
    assert 'data-lti-refusal="missing_claims"' in response.get_data(as_text=True)
