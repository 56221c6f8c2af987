"""Several courses on one site: each course.yml says whether the course has the bonus-plan sandbox, and the
sandbox's pages, links and studio tools exist only where it does."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from course.extensions import db
from course.models import RubricWeights, SandboxDesign, User
from tests.conftest import CONTENT_DIR
from tests.quiz_helpers import faster_apps
from tests.sessions import sign_in


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    """Catalog builds and compiled templates shared between this module's many small apps."""
    return faster_apps(make_app, monkeypatch)


SECOND_COURSE = """\
id: negotiation
source_language: en
languages: [en, de]
title:
  en: "Negotiating annual agreements"
  de: "Jahresgespräche führen"
description:
  en: "How a key-account manager prepares the yearly agreement with a customer."
  de: "Wie ein Key-Account-Manager das Jahresgespräch mit einem Kunden vorbereitet."
lessons:
  - preparing
completion:
  lessons: all
"""


def lesson(lang: str, title: str) -> str:
    return (
        f"---\nid: preparing\nlang: {lang}\ntitle: {title}\nminutes: 5\nobjectives:\n  - {title}.\n"
        f"summary: {title}.\n---\n\n## {title}\n\n{title}.\n"
    )


@pytest.fixture
def two_courses(tmp_path: Path) -> Path:
    """The bundled course (with the sandbox) and a short second course without one."""
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    folder = content / "negotiation"
    folder.mkdir()
    (folder / "course.yml").write_text(SECOND_COURSE, encoding="utf-8")
    (folder / "preparing.en.md").write_text(lesson("en", "Preparing the talk"), encoding="utf-8")
    (folder / "preparing.de.md").write_text(lesson("de", "Das Gespräch vorbereiten"), encoding="utf-8")
    return content


@pytest.fixture
def site(make_app, two_courses: Path):
    return make_app(CONTENT_DIR=str(two_courses))


def client_of(site, role: str | None) -> FlaskClient:
    """A client of the two-course site, logged in with a new account of `role` (None: a visitor)."""
    client = site.test_client()
    if role is None:
        return client
    with site.app_context():
        user = User(email=f"{role}@example.org", display_name=role.title(), role=role, locale="en")
        db.session.add(user)
        db.session.commit()
        user_id = user.id
    return sign_in(client, user_id)


def page(client: FlaskClient, url: str) -> str:
    response = client.get(url, headers={"Accept-Language": "en"})
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_the_home_page_lists_both_courses(site) -> None:
    home = page(client_of(site, None), "/")
    assert "Paying key-account managers" in home
    assert "Negotiating annual agreements" in home


def test_a_course_without_the_sandbox_shows_no_sandbox(site) -> None:
    client = client_of(site, "learner")
    overview = page(client, "/courses/negotiation")
    assert "Preparing the talk" in overview
    assert "sandbox" not in overview.lower()
    assert "/courses/kam-pay/sandbox" in page(client, "/courses/kam-pay")


SANDBOX_PAGES = [
    ("GET", "/courses/{}/sandbox"),
    ("GET", "/courses/{}/sandbox/scenarios/defend"),
    ("GET", "/courses/{}/sandbox/compare"),
    ("GET", "/courses/{}/sandbox/designs"),
    ("GET", "/courses/{}/sandbox/weights"),
    ("GET", "/studio/courses/{}/sandbox"),
    ("GET", "/api/v1/courses/{}/sandbox/designs"),
]


@pytest.mark.parametrize(("method", "url"), SANDBOX_PAGES)
def test_the_sandbox_pages_exist_only_where_the_course_has_the_sandbox(site, method: str, url: str) -> None:
    client = client_of(site, "admin")
    assert client.open(url.format("negotiation"), method=method).status_code == 404
    assert client.open(url.format("kam-pay"), method=method).status_code == 200


@pytest.mark.parametrize("url", ["/courses/negotiation/sandbox/designs", "/courses/negotiation/sandbox/weights"])
def test_nothing_is_saved_for_a_course_without_the_sandbox(site, url: str) -> None:
    client = client_of(site, "admin")
    assert client.post(url, data={"scenario": "defend"}).status_code == 404
    with site.app_context():
        assert db.session.scalar(select(func.count(SandboxDesign.id))) == 0
        assert db.session.scalar(select(func.count(RubricWeights.id))) == 0


def test_the_api_creates_no_design_and_takes_no_weights_for_a_course_without_the_sandbox(site) -> None:
    client = client_of(site, "learner")
    created = client.post("/api/v1/courses/negotiation/sandbox/designs", json={"scenario": "defend"})
    assert created.status_code == 404
    evaluated = client.post(
        "/api/v1/sandbox/evaluate", json={"scenario": "defend", "seed": 1, "course": "negotiation", "plan": {}}
    )
    assert evaluated.status_code == 422
    assert "negotiation" in evaluated.get_data(as_text=True)


def test_the_studio_offers_sandbox_tools_only_where_the_course_has_the_sandbox(site) -> None:
    studio = page(client_of(site, "trainer"), "/studio")
    assert "/studio/courses/kam-pay/sandbox" in studio
    assert "/studio/courses/negotiation/learners" in studio
    assert "/studio/courses/negotiation/sandbox" not in studio
    assert "/courses/negotiation/sandbox/designs" not in studio
