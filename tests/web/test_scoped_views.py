"""Who sees whom (#16): trainers and managers see only the learners of the groups they look after, in every staff
view; managers read but change nothing; admins see everyone; a site without groups keeps showing trainers everyone.

The world: groups A and B with one learner each (progress, a certificate, a submitted quiz attempt, a sandbox design
with a trainer's comment), a trainer of A, a manager of A, a trainer of B and an admin. A learner out of view looks
exactly like a missing one (404), never forbidden (403)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from course.core.sandbox import recommended_plan
from course.core.sandbox.evaluation import plan_data
from course.extensions import db
from course.groups import operations as groups
from course.models import Certificate, Group, SandboxComment, User
from tests.jobs import ask, export, run_jobs
from tests.quiz_helpers import client_for, faster_apps
from tests.sandbox_helpers import posted
from tests.web.test_analytics_seed import MANDATE, add_attempt
from tests.web.test_certificates_routes import complete_course

COURSE = "kam-pay"
STUDIO = f"/studio/courses/{COURSE}"
EN = {"Accept-Language": "en"}
NO_GROUP = "You look after no group yet"


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    return faster_apps(make_app, monkeypatch)


@dataclass
class Learner:
    user: User
    name: str
    design: int
    attempt: int
    certificate: str


@dataclass
class World:
    a: Learner
    b: Learner
    trainer_a: FlaskClient
    manager_a: FlaskClient
    trainer_b: FlaskClient
    admin: FlaskClient


def _learner(app: Flask, make_user, name: str, right: bool) -> Learner:
    user = make_user(locale="en", display_name=name, email=f"{name.split()[0].lower()}@example.org")
    complete_course(app, user)
    client = client_for(app, user)
    assert client.post(f"/courses/{COURSE}/certificate", data={"name": name}, headers=EN).status_code == 302
    response = client.post(f"/courses/{COURSE}/sandbox/designs", data={"scenario": "defend", "example": "lesson"})
    design = int(re.search(r"/sandbox/designs/(\d+)", response.headers["Location"]).group(1))
    plan = posted(f"Plan of {name}", plan_data(recommended_plan("defend")))
    assert client.post(f"/sandbox/designs/{design}", data=plan, headers=EN).status_code == 302
    attempt = add_attempt(
        app, user.id, MANDATE, {"pay-depends-on": ("mandate-carried-out" if right else "visits", 1 if right else 0)}
    )
    with app.app_context():
        public_id = db.session.scalar(select(Certificate.public_id).where(Certificate.user_id == user.id))
    return Learner(user, name, design, attempt, public_id)


def _group(app: Flask, name: str, members: list[tuple[User, str]]) -> None:
    with app.app_context():
        group = groups.create_group(name)
        for user, role in members:
            groups.add_member(group, db.session.get(User, user.id), role, actor=None)
        db.session.commit()


def build(app: Flask, make_user, *, with_groups: bool = True) -> World:
    a = _learner(app, make_user, "Anna Alpha", right=True)
    b = _learner(app, make_user, "Bert Beta", right=False)
    trainer_a = make_user(role="trainer", locale="en", email="trainer.a@example.org")
    manager_a = make_user(role="manager", locale="en", email="manager.a@example.org")
    trainer_b = make_user(role="trainer", locale="en", email="trainer.b@example.org")
    admin = make_user(role="admin", locale="en", email="admin@example.org")
    if with_groups:
        _group(app, "Team A", [(a.user, "member"), (trainer_a, "trainer"), (manager_a, "manager")])
        _group(app, "Team B", [(b.user, "member"), (trainer_b, "trainer")])
    admin_client = client_for(app, admin)
    for learner in (a, b):  # the admin sees everyone, so comments on both
        body = f"Note for {learner.name}"
        response = admin_client.post(f"/sandbox/designs/{learner.design}/comments", data={"body": body, "version": "1"})
        assert response.status_code == 302
    clients = [client_for(app, user) for user in (trainer_a, manager_a, trainer_b)]
    return World(a, b, *clients, admin_client)


@pytest.fixture
def world(app: Flask, make_user) -> World:
    return build(app, make_user)


def text(response) -> str:
    return response.get_data(as_text=True)


def sees(client: FlaskClient, url: str) -> str:
    response = client.get(url, headers=EN)
    assert response.status_code == 200, url
    return text(response)


def readers(world: World) -> list[FlaskClient]:
    return [world.trainer_a, world.manager_a]


# --- lists ----------------------------------------------------------------------------------------------------------


def test_the_progress_table_lists_only_the_learners_in_view(world: World) -> None:
    for client in readers(world):
        page = sees(client, f"{STUDIO}/learners")
        assert "Anna Alpha" in page and "Bert Beta" not in page
    page = sees(world.trainer_b, f"{STUDIO}/learners")
    assert "Bert Beta" in page and "Anna Alpha" not in page
    page = sees(world.admin, f"{STUDIO}/learners")
    assert "Anna Alpha" in page and "Bert Beta" in page
    assert NO_GROUP not in page


def test_the_csv_export_holds_only_the_learners_in_view(app: Flask, world: World) -> None:
    def emails(client: FlaskClient) -> set[str]:
        response = export(client, app, f"{STUDIO}/learners.csv", headers=EN)
        return {row[1] for row in list(csv.reader(io.StringIO(text(response))))[1:]}

    assert emails(world.trainer_a) == emails(world.manager_a) == {"anna@example.org"}
    assert emails(world.trainer_b) == {"bert@example.org"}
    assert emails(world.admin) == {"anna@example.org", "bert@example.org"}


def test_the_designs_list_shows_only_designs_of_learners_in_view(world: World) -> None:
    for client in readers(world):
        page = sees(client, f"/courses/{COURSE}/sandbox/designs")
        assert "Plan of Anna Alpha" in page and "Plan of Bert Beta" not in page
    page = sees(world.admin, f"/courses/{COURSE}/sandbox/designs")
    assert "Plan of Anna Alpha" in page and "Plan of Bert Beta" in page


def test_the_certificates_list_shows_only_certificates_of_learners_in_view(world: World) -> None:
    for client in readers(world):
        page = sees(client, f"/courses/{COURSE}/certificates")
        assert world.a.certificate in page and world.b.certificate not in page
    assert 'action="/certificates/' in sees(world.trainer_a, f"/courses/{COURSE}/certificates")
    assert 'action="/certificates/' not in sees(world.manager_a, f"/courses/{COURSE}/certificates")  # no buttons
    page = sees(world.admin, f"/courses/{COURSE}/certificates")
    assert world.a.certificate in page and world.b.certificate in page


def _zipped(response) -> set[str]:  # noqa: ANN001 - a test response
    assert response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        return set(archive.namelist()) - {"certificates.csv"}


def test_the_certificates_zip_holds_only_certificates_of_learners_in_view(app: Flask, world: World) -> None:
    def exported(client: FlaskClient) -> set[str]:
        return _zipped(export(client, app, f"/courses/{COURSE}/certificates/export"))

    assert exported(world.trainer_a) == exported(world.manager_a) == {f"certificate-{world.a.certificate}.pdf"}
    assert exported(world.admin) == {f"certificate-{world.a.certificate}.pdf", f"certificate-{world.b.certificate}.pdf"}


def test_an_export_holds_the_learners_in_view_when_it_was_asked_for(app: Flask, world: World) -> None:
    """The job runs later, maybe after the trainer's groups changed: it exports what the trainer saw when asking."""
    page = ask(world.trainer_a, f"/courses/{COURSE}/certificates/export")
    csv_page = ask(world.trainer_a, f"{STUDIO}/learners.csv", headers=EN)
    with app.app_context():
        team_b = db.session.scalar(select(Group).where(Group.name == "Team B"))
        trainer = db.session.scalar(select(User).where(User.email == "trainer.a@example.org"))
        groups.add_member(team_b, trainer, "trainer", actor=None)
        db.session.commit()
    run_jobs(app)
    assert _zipped(world.trainer_a.get(f"{page}/download")) == {f"certificate-{world.a.certificate}.pdf"}
    rows = list(csv.reader(io.StringIO(text(world.trainer_a.get(f"{csv_page}/download")))))
    assert {row[1] for row in rows[1:]} == {"anna@example.org"}
    assert "Bert Beta" in sees(world.trainer_a, f"/courses/{COURSE}/certificates")  # the list itself follows at once


# --- one learner -------------------------------------------------------------------------------------------------


def test_the_learner_detail_of_a_learner_out_of_view_looks_missing(world: World) -> None:
    for client in readers(world):
        assert "Anna Alpha" in sees(client, f"{STUDIO}/learners/{world.a.user.id}")
        assert client.get(f"{STUDIO}/learners/{world.b.user.id}").status_code == 404
    assert world.trainer_b.get(f"{STUDIO}/learners/{world.a.user.id}").status_code == 404
    assert "Bert Beta" in sees(world.admin, f"{STUDIO}/learners/{world.b.user.id}")


def test_the_attempt_review_of_a_learner_out_of_view_looks_missing(world: World) -> None:
    for client in readers(world):
        assert client.get(f"{STUDIO}/learners/{world.a.user.id}/attempts/{world.a.attempt}").status_code == 200
        assert client.get(f"{STUDIO}/learners/{world.b.user.id}/attempts/{world.b.attempt}").status_code == 404
    assert world.admin.get(f"{STUDIO}/learners/{world.b.user.id}/attempts/{world.b.attempt}").status_code == 200


def test_the_design_page_and_its_comments_only_for_learners_in_view(world: World) -> None:
    for client in readers(world):
        page = sees(client, f"/sandbox/designs/{world.a.design}/versions/1")
        assert "Note for Anna Alpha" in page
        assert client.get(f"/sandbox/designs/{world.b.design}/versions/1").status_code == 404
    assert 'id="comment-form"' in sees(world.trainer_a, f"/sandbox/designs/{world.a.design}/versions/1")
    assert 'id="comment-form"' not in sees(world.manager_a, f"/sandbox/designs/{world.a.design}/versions/1")
    assert "Note for Bert Beta" in sees(world.admin, f"/sandbox/designs/{world.b.design}/versions/1")


def test_a_trainer_comments_only_on_designs_in_view_and_a_manager_never(app: Flask, world: World) -> None:
    def comments() -> int:
        with app.app_context():
            return db.session.scalar(select(func.count()).select_from(SandboxComment))

    before = comments()
    url = "/sandbox/designs/{}/comments"
    data = {"body": "Well done", "version": "1"}
    assert world.trainer_a.post(url.format(world.b.design), data=data).status_code == 404
    assert world.manager_a.post(url.format(world.a.design), data=data).status_code == 403
    assert world.manager_a.post(url.format(world.b.design), data=data).status_code == 403
    assert comments() == before
    assert world.trainer_a.post(url.format(world.a.design), data=data).status_code == 302
    assert comments() == before + 1


def test_revoke_only_in_view_and_never_by_a_manager(app: Flask, world: World) -> None:
    def revoked(public_id: str) -> bool:
        with app.app_context():
            return (
                db.session.scalar(select(Certificate.revoked_at).where(Certificate.public_id == public_id)) is not None
            )

    reason = {"reason": "Exam fraud"}
    assert world.trainer_a.post(f"/certificates/{world.b.certificate}/revoke", data=reason).status_code == 404
    assert world.manager_a.post(f"/certificates/{world.a.certificate}/revoke", data=reason).status_code == 403
    assert not revoked(world.a.certificate) and not revoked(world.b.certificate)
    assert world.trainer_a.post(f"/certificates/{world.a.certificate}/revoke", data=reason).status_code == 302
    assert revoked(world.a.certificate)
    assert world.admin.post(f"/certificates/{world.b.certificate}/revoke", data=reason).status_code == 302
    assert revoked(world.b.certificate)


def test_reissue_only_in_view_and_never_by_a_manager(app: Flask, world: World) -> None:
    def certificates() -> int:
        with app.app_context():
            return db.session.scalar(select(func.count()).select_from(Certificate))

    assert world.trainer_a.post(f"/certificates/{world.b.certificate}/reissue").status_code == 404
    assert world.manager_a.post(f"/certificates/{world.a.certificate}/reissue").status_code == 403
    assert certificates() == 2
    assert world.trainer_a.post(f"/certificates/{world.a.certificate}/reissue").status_code == 302
    assert certificates() == 3


# --- statistics ------------------------------------------------------------------------------------------------


def statistics_attempts(client: FlaskClient) -> int:
    page = sees(client, f"{STUDIO}/quizzes/{MANDATE}/statistics")
    return int(re.search(r"<dt>Attempts</dt><dd>(\d+)</dd>", page).group(1))


def overview_attempts(client: FlaskClient) -> int:
    page = sees(client, f"{STUDIO}/quizzes")
    row = re.search(rf"/quizzes/{MANDATE}/statistics\">.*?</tr>", page, re.S).group(0)
    return int(re.findall(r'<td class="number">(\d+)</td>', row)[1])  # questions, then first attempts


def sandbox_learners(client: FlaskClient) -> int:
    page = sees(client, f"{STUDIO}/sandbox")
    row = re.search(r"scenario=defend\">.*?</tr>", page, re.S).group(0)
    return int(re.findall(r'<td class="number">(\d+)</td>', row)[0])


def test_item_statistics_count_only_the_answers_of_learners_in_view(world: World) -> None:
    assert statistics_attempts(world.trainer_a) == statistics_attempts(world.manager_a) == 1
    assert statistics_attempts(world.trainer_b) == 1
    assert statistics_attempts(world.admin) == 2


def test_the_quiz_overview_counts_only_learners_in_view(world: World) -> None:
    assert overview_attempts(world.trainer_a) == overview_attempts(world.manager_a) == 1
    assert overview_attempts(world.admin) == 2


def test_sandbox_statistics_count_only_learners_in_view(world: World) -> None:
    assert sandbox_learners(world.trainer_a) == sandbox_learners(world.manager_a) == 1
    assert sandbox_learners(world.admin) == 2


# --- managers, and people who look after no group --------------------------------------------------------------


def test_a_manager_changes_nothing(world: World) -> None:
    for method, url in [
        ("GET", f"/courses/{COURSE}/sandbox/weights"),
        ("POST", f"/courses/{COURSE}/sandbox/weights"),
        ("GET", "/studio"),
        ("POST", f"/studio/courses/{COURSE}/lessons"),
    ]:
        assert world.manager_a.open(url, method=method).status_code == 403, url


def test_a_manager_finds_the_progress_pages_in_the_header(world: World) -> None:
    page = sees(world.manager_a, "/")
    assert 'href="/studio/progress"' in page and 'href="/studio"' not in page
    listing = sees(world.manager_a, "/studio/progress")
    assert f"{STUDIO}/learners" in listing and f"/courses/{COURSE}/certificates" in listing
    assert 'href="/studio/progress"' not in sees(world.trainer_a, "/")  # trainers go through the studio


def test_someone_who_looks_after_no_group_sees_empty_pages_that_say_why(app: Flask, world: World, make_user) -> None:
    for role in ("trainer", "manager"):
        client = client_for(app, make_user(role=role, locale="en"))
        for url in (
            "/studio/progress",
            f"{STUDIO}/learners",
            f"{STUDIO}/quizzes",
            f"{STUDIO}/quizzes/{MANDATE}/statistics",
            f"{STUDIO}/sandbox",
            f"/courses/{COURSE}/sandbox/designs",
            f"/courses/{COURSE}/certificates",
        ):
            page = sees(client, url)
            assert NO_GROUP in page and "Anna Alpha" not in page and "Bert Beta" not in page, (role, url)
        csv_rows = list(csv.reader(io.StringIO(text(export(client, app, f"{STUDIO}/learners.csv")))))
        assert len(csv_rows) == 1  # the header only
        assert client.get(f"{STUDIO}/learners/{world.a.user.id}").status_code == 404
    assert NO_GROUP not in sees(world.trainer_a, f"{STUDIO}/learners")


def test_without_groups_trainers_see_everyone_and_managers_no_one(app: Flask, make_user) -> None:
    world = build(app, make_user, with_groups=False)
    page = sees(world.trainer_a, f"{STUDIO}/learners")
    assert "Anna Alpha" in page and "Bert Beta" in page and NO_GROUP not in page
    assert world.trainer_b.get(f"{STUDIO}/learners/{world.a.user.id}").status_code == 200
    assert world.trainer_a.get(f"/sandbox/designs/{world.b.design}/versions/1").status_code == 200
    assert statistics_attempts(world.trainer_a) == 2
    page = sees(world.manager_a, f"{STUDIO}/learners")
    assert "Anna Alpha" not in page and NO_GROUP in page
