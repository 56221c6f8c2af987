"""Search engines and link previews: every page has a meta description in the reader's language, and the public
pages people share (the course, its lessons, a certificate's check) have Open Graph tags whose address is the
site's public one, never the Host header the request came with."""

from __future__ import annotations

import html
import re

import pytest

from tests.quiz_helpers import faster_apps

SITE = "https://kurs.example.org"
LESSON = "/courses/kam-pay/lessons/kams-are-not-salespeople"


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    return faster_apps(make_app, monkeypatch)


@pytest.fixture
def app(make_app):
    return make_app(PUBLIC_URL=SITE)


def meta(page: str) -> dict[str, str]:
    found = re.findall(r'<meta (?:name|property)="([\w:]+)" content="([^"]*)">', page)
    return {name: html.unescape(value) for name, value in found}


@pytest.mark.parametrize("url", ["/", "/courses/kam-pay", LESSON, "/auth/login", "/auth/register", "/privacy"])
@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_page_has_a_description_in_the_readers_language(client, url: str, lang: str) -> None:
    page = client.get(url, headers={"Accept-Language": lang})
    assert page.status_code == 200
    description = meta(page.get_data(as_text=True))["description"]
    assert 40 <= len(description) <= 303 and "<" not in description
    german = any(word in description for word in (" und ", " der ", " die ", " für "))
    assert german == (lang == "de"), description


def test_a_lesson_is_previewed_with_its_title_summary_and_public_address(client) -> None:
    page = client.get(LESSON, headers={"Accept-Language": "en", "Host": "localhost"}).get_data(as_text=True)
    tags = meta(page)
    assert tags["og:title"] == "KAMs are not salespeople"
    assert tags["og:type"] == "article" and tags["og:locale"] == "en_GB"
    assert tags["og:url"] == SITE + LESSON
    assert tags["og:description"] == tags["description"] and tags["og:description"].startswith("Salespeople")


def test_the_course_is_previewed_and_a_login_page_is_not(client) -> None:
    course = meta(client.get("/courses/kam-pay", headers={"Accept-Language": "de"}).get_data(as_text=True))
    assert course["og:url"] == f"{SITE}/courses/kam-pay" and course["og:locale"] == "de_DE"
    assert "og:title" not in meta(client.get("/auth/login").get_data(as_text=True))


def test_a_certificate_check_is_previewed_without_naming_the_holder(app, client, make_user, login_as) -> None:
    from tests.web.test_certificates_routes import complete_course, issue, public_id

    learner = make_user(display_name="Zoë Ångström")
    login_as(learner)
    complete_course(app, learner)
    assert issue(client).status_code == 302
    pid = public_id(app)
    page = client.get(f"/verify/{pid}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    tags = meta(page)
    assert tags["og:url"] == f"{SITE}/verify/{pid}" and tags["og:title"] == "Certificate check"
    assert "Zoë" not in " ".join(tags.values())
