"""SCORM dispatch packages: the studio page (create, download once, revoke), the launch that turns an LMS learner
into an account and a session, and the status the package's page reads across origins; every refusal with its
message, its audit entry and nothing created."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from course.config import InsecureConfigError
from course.extensions import db
from course.models import QuizResult, ScormPackage, SsoIdentity, User, utcnow
from course.notifications import operations as notifications
from tests.admin_helpers import EN, entries
from tests.quiz_helpers import faster_apps
from tests.sessions import sign_in

COURSE = "kam-pay"
PAGE = f"/studio/courses/{COURSE}/scorm"
LESSON = "kams-are-not-salespeople"
QUIZ = "kam-mandate-quiz"
PUBLIC_URL = "https://kurs.example.org"


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    """Catalog builds and compiled templates shared between this module's many small apps."""
    return faster_apps(make_app, monkeypatch)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(PUBLIC_URL=PUBLIC_URL)


@pytest.fixture
def trainer(app: Flask, make_user: Callable[..., User]) -> FlaskClient:
    user = make_user(role="trainer", locale="en")
    return sign_in(app.test_client(), user.id)


def create(trainer: FlaskClient, target: str = f"lesson:{COURSE}/{LESSON}", version: str = "1.2") -> tuple[int, str]:
    """A new package through the studio form: (its id, its key as the created page hands it to the download)."""
    response = trainer.post(PAGE, data={"title": "Moodle Vertrieb", "target": target, "version": version}, headers=EN)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    package_id = int(re.search(r"/scorm/(\d+)/download", page).group(1))
    key = re.search(r'name="key" type="hidden" value="([^"]+)"', page).group(1)
    return package_id, key


def users(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def launch(client: FlaskClient, key: str, **params: str):
    return client.get(f"/scorm/launch/{key}", query_string=params, headers=EN)


def status(client: FlaskClient, key: str, learner_id: str | None = "lms-42"):
    query = {} if learner_id is None else {"learner_id": learner_id}
    response = client.get(f"/scorm/status/{key}", query_string=query, headers={**EN, "Origin": "https://lms.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "no-store"
    return response


def test_the_studio_links_to_the_packages_page(trainer: FlaskClient) -> None:
    assert f'href="{PAGE}"' in trainer.get("/studio", headers=EN).get_data(as_text=True)


def test_a_trainer_creates_a_package_and_downloads_it_once(app: Flask, trainer: FlaskClient) -> None:
    package_id, key = create(trainer, version="2004")
    (created,) = entries(app, "scorm_package_created")
    assert created.detail == {"package": package_id, "opens": f"lesson:{COURSE}/{LESSON}", "version": "2004"}
    with app.app_context():
        package = db.session.get(ScormPackage, package_id)
        assert key not in package.key_hash and len(package.key_hash) == 64  # only the hash is kept

    response = trainer.post(f"{PAGE}/{package_id}/download", data={"key": key})
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert f"scorm2004-{COURSE}-{package_id}.zip" in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert set(archive.namelist()) == {"imsmanifest.xml", "index.html", "sco.js", "sco.css"}
        index = archive.read("index.html").decode("utf-8")
        assert "2004 4th Edition" in archive.read("imsmanifest.xml").decode("utf-8")
    settings = json.loads(re.search(r'id="sco-settings">(.*?)</script>', index, re.DOTALL).group(1))
    assert settings["launch"] == f"{PUBLIC_URL}/scorm/launch/{key}"  # on PUBLIC_URL, never the request's host
    assert settings["status"] == f"{PUBLIC_URL}/scorm/status/{key}"
    assert settings["texts"]["en"]["open"] == "Open the course in a new window"
    assert settings["texts"]["de"]["open"] == "Den Kurs in einem neuen Fenster öffnen"

    listing = trainer.get(PAGE, headers=EN).get_data(as_text=True)
    assert "Moodle Vertrieb" in listing and "Lesson: KAMs are not salespeople" in listing
    assert key not in listing


def test_without_the_key_the_package_cannot_be_downloaded_again(trainer: FlaskClient) -> None:
    package_id, key = create(trainer)
    response = trainer.post(f"{PAGE}/{package_id}/download", data={"key": key[:-1] + "x"}, headers=EN)
    assert response.status_code == 303
    assert "can no longer be downloaded" in trainer.get(PAGE, headers=EN).get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "", "target": f"course:{COURSE}", "version": "1.2"}, "Please give the package a title."),
        ({"title": "x" * 201, "target": f"course:{COURSE}", "version": "1.2"}, "At most 200 characters, please."),
        ({"title": "T", "target": "lesson:kam-pay/no-such-lesson", "version": "1.2"}, "from the list"),
        ({"title": "T", "target": "course:other-course", "version": "1.2"}, "from the list"),
        ({"title": "T", "target": "", "version": "1.2"}, "from the list"),
        ({"title": "T", "target": f"course:{COURSE}", "version": "1.3"}, "Choose SCORM 1.2 or SCORM 2004."),
    ],
)
def test_a_bad_package_form_says_what_is_wrong(app: Flask, trainer: FlaskClient, data: dict, message: str) -> None:
    response = trainer.post(PAGE, data=data, headers=EN)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ScormPackage)) == 0


def test_the_first_launch_makes_an_account_that_can_never_receive_mail(app: Flask, trainer: FlaskClient) -> None:
    package_id, key = create(trainer)
    learner = app.test_client()
    response = launch(learner, key, learner_id="lms-42", learner_name="Doe, Jane")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/courses/{COURSE}/lessons/{LESSON}"
    assert "Jane Doe" in learner.get(response.headers["Location"], headers=EN).get_data(as_text=True)  # logged in
    with app.app_context():
        identity = db.session.scalar(select(SsoIdentity).where(SsoIdentity.provider == f"scorm:{package_id}"))
        user = db.session.get(User, identity.user_id)
        assert identity.subject == "lms-42"
        assert user.email.endswith("@scorm.invalid") and user.password_hash is None and user.role == "learner"
        assert db.session.get(ScormPackage, package_id).last_launch_at is not None
        assert not any(notifications.preferences(user).values())  # nothing is queued for the placeholder
    assert [entry.detail["provider"] for entry in entries(app, "registered")] == [f"scorm:{package_id}"]

    count = users(app)
    again = app.test_client()
    assert launch(again, key, learner_id="lms-42").status_code == 302
    assert users(app) == count  # the same learner, the same account


def test_a_launch_ends_another_accounts_session_in_the_same_browser(
    app: Flask, trainer: FlaskClient, make_user: Callable[..., User]
) -> None:
    _, key = create(trainer)
    browser = sign_in(app.test_client(), make_user(display_name="Other Person").id)
    assert launch(browser, key, learner_id="lms-7", learner_name="Jane Doe").status_code == 302
    page = browser.get(f"/courses/{COURSE}", headers=EN).get_data(as_text=True)
    assert "Jane Doe" in page and "Other Person" not in page


@pytest.mark.parametrize(
    ("params", "reason", "message"),
    [
        ({}, "missing", "did not say who you are (no learner id)"),
        ({"learner_id": ""}, "missing", "did not say who you are (no learner id)"),
        ({"learner_id": "jane doe"}, "bad_characters", "a learner id the course cannot use"),
        ({"learner_id": "x" * 256}, "too_long", "a learner id the course cannot use"),
    ],
)
def test_a_launch_without_a_usable_learner_id_is_refused_and_recorded(
    app: Flask, trainer: FlaskClient, params: dict, reason: str, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    package_id, key = create(trainer)
    count = users(app)
    response = launch(app.test_client(), key, **params)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert users(app) == count
    (refused,) = entries(app, "scorm_launch_refused")
    assert refused.detail == {"package": package_id, "reason": reason}
    assert refused.target_label == "Moodle Vertrieb"
    assert f"SCORM launch refused (package {package_id}): {reason}" in caplog.text
    admin = sign_in(app.test_client(), _admin(app))
    assert "SCORM launch refused" in admin.get("/admin/audit", headers=EN).get_data(as_text=True)


def _admin(app: Flask) -> int:
    with app.app_context():
        user = User(email="ada@example.org", display_name="Ada Admin", role="admin", locale="en")
        db.session.add(user)
        db.session.commit()
        return user.id


def test_unknown_and_revoked_packages_open_nothing(app: Flask, trainer: FlaskClient) -> None:
    package_id, key = create(trainer)
    unknown = launch(app.test_client(), "k" * 43, learner_id="lms-1")
    assert unknown.status_code == 404
    assert "not known to the course" in unknown.get_data(as_text=True)

    assert "Revoke the package" in trainer.get(f"{PAGE}/{package_id}/revoke", headers=EN).get_data(as_text=True)
    assert trainer.post(f"{PAGE}/{package_id}/revoke", data={"confirm": "yes"}).status_code == 303
    assert "has been revoked" in trainer.get(PAGE, headers=EN).get_data(as_text=True)
    assert trainer.post(f"{PAGE}/{package_id}/revoke", data={"confirm": "yes"}).status_code == 303
    assert len(entries(app, "scorm_package_revoked")) == 1

    count = users(app)
    revoked = launch(app.test_client(), key, learner_id="lms-1")
    assert revoked.status_code == 410
    assert "withdrawn" in revoked.get_data(as_text=True)
    assert users(app) == count
    assert [entry.detail["reason"] for entry in entries(app, "scorm_launch_refused")] == ["unknown_package", "revoked"]
    assert status(app.test_client(), key).json["error"] == "revoked"
    download = trainer.post(f"{PAGE}/{package_id}/download", data={"key": key}, headers=EN)
    assert download.status_code == 303


def test_revoking_needs_the_confirmation(trainer: FlaskClient) -> None:
    package_id, _ = create(trainer)
    response = trainer.post(f"{PAGE}/{package_id}/revoke", data={}, headers=EN)
    assert response.status_code == 400
    assert "Confirm the revocation." in response.get_data(as_text=True)


def test_a_deactivated_learner_cannot_launch(app: Flask, trainer: FlaskClient) -> None:
    _, key = create(trainer)
    launch(app.test_client(), key, learner_id="lms-42")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email.like("%@scorm.invalid")))
        user.active = False
        db.session.commit()
        user_id = user.id
    response = launch(app.test_client(), key, learner_id="lms-42")
    assert response.status_code == 403
    assert entries(app, "scorm_launch_refused")[0].target_user_id == user_id


def test_the_status_follows_the_learners_progress_in_a_lesson(app: Flask, trainer: FlaskClient) -> None:
    _, key = create(trainer)
    assert status(app.test_client(), key).json == {
        "completed": False,
        "passed": None,
        "score": None,
        "values": [["cmi.core.lesson_status", "incomplete"]],
    }
    learner = app.test_client()
    launch(learner, key, learner_id="lms-42")
    learner.post(f"/courses/{COURSE}/lessons/{LESSON}/complete")
    answer = status(app.test_client(), key).json
    assert answer["completed"] is True
    assert answer["values"] == [["cmi.core.lesson_status", "completed"]]
    assert status(app.test_client(), key, "lms-43").json["completed"] is False  # another learner of the LMS


def test_the_status_of_a_quiz_reports_success_and_score(app: Flask, trainer: FlaskClient) -> None:
    package_id, key = create(trainer, target=f"quiz:{COURSE}/{QUIZ}", version="2004")
    launch(app.test_client(), key, learner_id="lms-42")
    with app.app_context():
        identity = db.session.scalar(select(SsoIdentity).where(SsoIdentity.provider == f"scorm:{package_id}"))
        db.session.add(
            QuizResult(
                user_id=identity.user_id,
                course_id=COURSE,
                quiz_id=QUIZ,
                best_percent=87.5,
                passed=True,
                attempts=1,
                updated_at=utcnow(),
            )
        )
        db.session.commit()
    assert dict(status(app.test_client(), key).json["values"]) == {
        "cmi.score.min": "0",
        "cmi.score.max": "100",
        "cmi.score.raw": "87.5",
        "cmi.score.scaled": "0.88",
        "cmi.completion_status": "completed",
        "cmi.success_status": "passed",
    }


@pytest.mark.parametrize(
    ("key", "learner_id", "code", "error"),
    [
        ("k" * 43, "lms-1", 404, "unknown_package"),
        ("short", "lms-1", 404, "unknown_package"),
        (None, None, 400, "missing"),
        (None, "a b", 400, "bad_characters"),
    ],
)
def test_a_bad_status_request_gets_a_clear_json_answer(
    app: Flask, trainer: FlaskClient, key: str | None, learner_id: str | None, code: int, error: str
) -> None:
    _, real_key = create(trainer)
    response = status(app.test_client(), key or real_key, learner_id)
    assert response.status_code == code
    assert response.json["error"] == error
    assert response.json["message"]
    assert entries(app, "scorm_launch_refused") == []  # a page polls: only launches are recorded


@pytest.mark.parametrize("seconds", [0, 3601, "15", True, 1.5])
def test_a_poll_interval_that_would_ship_in_every_package_is_checked_at_start(
    make_app: Callable[..., Flask], seconds: object
) -> None:
    with pytest.raises(InsecureConfigError, match="SCORM_POLL_SECONDS"):
        make_app(SCORM_POLL_SECONDS=seconds)


def test_launches_are_rate_limited_per_client_address(make_app: Callable[..., Flask]) -> None:
    app = make_app(SCORM_LAUNCH_RATE_LIMIT="2 per minute")
    client = app.test_client()
    assert [launch(client, "k" * 43, learner_id="lms-1").status_code for _ in range(3)] == [404, 404, 429]
