"""One site on two servers: the journeys of a learner and a trainer in Chromium through nginx, switching servers.

deploy/cluster.py starts the set-up an operator runs: two gunicorn servers (each with its own instance folder)
behind nginx, one PostgreSQL, one Redis. A test pins a browser to one server with the header X-Course-Server
(nginx's test-only routing map), and every response names the server that answered (X-Course-Upstream), so each
test can say "done on A, seen on B" and check that it really was.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol
from uuid import uuid4

import pytest
import redis
from flask import Flask
from PIL import Image
from playwright.sync_api import APIResponse, Browser, BrowserContext, Page, Response, expect
from sqlalchemy import select
from sqlalchemy.engine import make_url

from course.app import create_app
from course.extensions import db
from course.models import Certificate, LessonProgress, User
from deploy.cluster import Cluster, ClusterError, running_cluster
from tests.conftest import DEFAULT_PG_URL, DEFAULT_REDIS_URL, require
from tests.web.test_certificates_routes import complete_course

from .conftest import DEFAULT_TIMEOUT_MS
from .helpers import (
    DESKTOP,
    LOGIN_FORM,
    QUIZ_TEXT,
    answer_all,
    attempt_key,
    lesson_path,
    log_in,
    make_trainer,
    quiz_path,
    register,
    say,
    score_line,
    start_quiz,
    submit_answers,
)
from .test_studio_journey import editor_text, published_message

CATALOG_CHECK_SECONDS = 1
FORGOT_LIMIT = 3  # "forgot password" requests per client address and hour, counted in Redis for all servers
LESSON_ID = "kam-mandate"
QUIZ_ID = "kam-mandate-quiz"


class SitePage(Protocol):
    def __call__(self, server: str | None = None, *, locale: str = "de-DE") -> Page: ...


def cluster_database_url() -> str:
    url = make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_PG_URL))
    return url.set(database=f"{url.database}_cluster").render_as_string(hide_password=False)


def cluster_redis_url() -> str:
    """The suite's Redis, one database below the one the other tests flush."""
    url = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL)
    base, _, number = url.rpartition("/")
    return f"{base}/{(int(number or 0) - 1) % 16}"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    redis_url = cluster_redis_url()
    client = redis.Redis.from_url(redis_url)
    try:
        client.flushdb()
    except redis.exceptions.ConnectionError as error:
        require(f"Redis not reachable at {redis_url}: {error}")
    finally:
        client.close()
    settings = {
        "COURSE_CATALOG_CHECK_SECONDS": str(CATALOG_CHECK_SECONDS),
        "COURSE_FORGOT_RATE_LIMIT": f"{FORGOT_LIMIT} per hour",
        "COURSE_REGISTER_RATE_LIMIT": "1000 per hour",
    }
    # One worker per server keeps the start cheap; two servers are what the tests are about.
    options = {"database_url": cluster_database_url(), "redis_url": redis_url, "settings": settings, "workers": 1}
    try:
        with running_cluster(folder=tmp_path_factory.mktemp("cluster"), **options) as started:
            yield started
    except ClusterError as error:
        if "no nginx" in str(error) or "cannot reset the PostgreSQL" in str(error):
            require(str(error))
        raise


@pytest.fixture(autouse=True)
def every_server_up(cluster: Cluster) -> None:
    """A server a test killed is started again before the next test needs it."""
    for server in cluster.app_servers:
        if not server.running:
            server.start()
            server.wait_ready()


@pytest.fixture(scope="module")
def site_app(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app on the cluster's database, for what a test sets up or reads behind the browser's back."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("COURSE_INSTANCE_PATH", str(tmp_path_factory.mktemp("site-app")))
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": cluster.secret_key,
                "DATABASE_URL": cluster.database_url,
                "PUBLIC_URL": cluster.url,
            }
        )
        yield app
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def site_page(browser: Browser, cluster: Cluster) -> Iterator[SitePage]:
    """Pages on the site through nginx; `server` pins the page's context to one app server ("a" or "b")."""
    contexts: list[BrowserContext] = []

    def open_page(server: str | None = None, *, locale: str = "de-DE") -> Page:
        context = browser.new_context(
            base_url=cluster.url, locale=locale, viewport={"width": DESKTOP[0], "height": DESKTOP[1]}
        )
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        if server:
            pin(page, server)
        return page

    yield open_page
    for context in contexts:
        context.close()


def pin(page: Page, server: str | None) -> None:
    """Send the page's next requests to one server (None: round-robin, as for any visitor)."""
    page.context.set_extra_http_headers({"X-Course-Server": server} if server else {})


def served_by(cluster: Cluster, response: Response | APIResponse | None) -> str:
    """The name of the app server that answered, from nginx's header."""
    assert response is not None
    address = response.headers.get("x-course-upstream", "")
    return next((server.name for server in cluster.app_servers if address.endswith(server.address)), address)


def navigation(page: Page, action) -> Response:  # noqa: ANN001 - a callable that makes the page navigate
    with page.expect_navigation() as navigated:
        action()
    response = navigated.value
    assert response is not None
    return response


def test_a_learner_logs_in_on_one_server_and_continues_on_the_other(
    site_page: SitePage, cluster: Cluster, site_app: Flask
) -> None:
    page = site_page("a")
    learner = register(page)
    page.context.clear_cookies()  # registering logged in already; log in through the form on a
    page.goto("/auth/login")
    labels = LOGIN_FORM["de"]
    page.get_by_label(labels["email"], exact=True).fill(learner.email)
    page.get_by_label(labels["password"], exact=True).fill(learner.password)
    response = navigation(page, lambda: page.get_by_role("button", name=labels["submit"], exact=True).click())
    assert served_by(cluster, response) == "a"

    pin(page, "b")
    response = page.goto(lesson_path(LESSON_ID))
    assert served_by(cluster, response) == "b"
    expect(page.locator('form[action="/auth/logout"]')).to_have_count(1)  # still logged in, on the other server
    navigation(page, page.locator(f'form[action$="/lessons/{LESSON_ID}/complete"] button').click)

    pin(page, "a")
    page.goto(lesson_path(LESSON_ID))
    expect(page.locator('form[action="/auth/logout"]')).to_have_count(1)
    with site_app.app_context():
        user = db.session.scalar(select(User).where(User.email == learner.email))
        assert user is not None
        done = db.session.scalar(
            select(LessonProgress).where(LessonProgress.user_id == user.id, LessonProgress.lesson_id == LESSON_ID)
        )
    assert done is not None, "the lesson marked complete on server b is recorded for both"

    page.context.clear_cookies()  # a logout on one server ends the session on every server
    log_in(page, learner)
    pin(page, "b")
    page.goto("/")
    navigation(page, lambda: page.locator('form[action="/auth/logout"] button').click())
    pin(page, "a")
    page.goto(lesson_path(LESSON_ID))
    expect(page.locator('form[action="/auth/logout"]')).to_have_count(0)


def test_a_lesson_published_through_one_server_shows_on_the_other_within_the_check_interval(
    site_page: SitePage, cluster: Cluster, site_app: Flask
) -> None:
    lang = "de"
    trainer = make_trainer(site_app)
    studio = site_page("a")
    log_in(studio, trainer)
    learner = site_page("b")
    register(learner)
    learner.goto(lesson_path(LESSON_ID))  # server b has this lesson in its catalog now
    sentence = f"Auf Server A veröffentlicht, auf Server B gelesen ({uuid4().hex[:8]})."
    assert sentence not in learner.content()

    studio.goto(f"/studio/files/kam-pay/{LESSON_ID}.{lang}.md")
    studio.get_by_role("link", name=say(site_app, lang, "Edit the whole file as text")).click()
    text = editor_text(studio, site_app, lang)
    original = text.input_value()
    text.fill(original.rstrip("\n") + f"\n\n{sentence}\n")
    response = navigation(
        studio, lambda: studio.get_by_role("button", name=say(site_app, lang, "Publish"), exact=True).click()
    )
    expect(studio.locator(".flash")).to_have_text(published_message(site_app, lang))
    assert served_by(cluster, response) == "a"
    published_at = time.monotonic()

    # Server b notices the new content version at its next check, at most CATALOG_CHECK_SECONDS later; the
    # bound below only leaves room for a slow machine, it does not measure speed.
    while sentence not in (learner.locator(".lesson__body").text_content() or ""):
        assert time.monotonic() - published_at < CATALOG_CHECK_SECONDS + 15, "server b never showed the change"
        learner.wait_for_timeout(200)
        response = learner.reload()
        assert served_by(cluster, response) == "b"

    studio.goto(f"/studio/files/kam-pay/{LESSON_ID}.{lang}.md")
    studio.get_by_role("link", name=say(site_app, lang, "Edit the whole file as text")).click()
    editor_text(studio, site_app, lang).fill(original)
    studio.get_by_role("button", name=say(site_app, lang, "Publish"), exact=True).click()
    expect(studio.locator(".flash")).to_have_text(published_message(site_app, lang))


def test_an_image_uploaded_through_one_server_is_served_by_the_other(
    site_page: SitePage, cluster: Cluster, site_app: Flask, tmp_path: Path
) -> None:
    lang = "de"
    studio = site_page("a")
    log_in(studio, make_trainer(site_app))
    studio.goto("/studio/media")
    image = tmp_path / "chart.png"
    Image.new("RGB", (4, 3), (200, 30, 30)).save(image, format="PNG")
    studio.get_by_label(say(site_app, lang, "Image (PNG, JPEG or SVG)")).set_input_files(str(image))
    response = navigation(
        studio, lambda: studio.get_by_role("button", name=say(site_app, lang, "Upload"), exact=True).click()
    )
    name = re.search(r"uploaded=([0-9a-f]{64}\.png)", studio.url)
    assert name is not None, studio.url
    assert served_by(cluster, response) == "a"

    visitor = site_page("b")
    served = visitor.request.get(f"/media/{name.group(1)}", headers={"X-Course-Server": "b"})
    assert served.status == 200
    assert served.body() == image.read_bytes()
    assert served_by(cluster, served) == "b"


def test_rate_limits_count_requests_on_every_server_together(
    site_page: SitePage, cluster: Cluster, site_app: Flask
) -> None:
    page = site_page()
    servers = []
    statuses = []
    for attempt in range(FORGOT_LIMIT + 1):
        server = "ab"[attempt % 2]
        pin(page, server)
        page.goto("/auth/password/forgot")
        page.get_by_label(say(site_app, "de", "Email"), exact=True).fill(f"nobody-{attempt}@example.org")
        response = navigation(
            page, lambda: page.get_by_role("button", name=say(site_app, "de", "Send the link")).click()
        )
        servers.append(served_by(cluster, response))
        statuses.append(response.status)
    assert servers == ["a", "b", "a", "b"][: FORGOT_LIMIT + 1]
    assert statuses == [200] * FORGOT_LIMIT + [429], "the limit must count the requests of both servers together"


def test_a_certificate_issued_through_one_server_verifies_through_the_other(
    site_page: SitePage, cluster: Cluster, site_app: Flask
) -> None:
    page = site_page("a")
    learner = register(page)
    with site_app.app_context():
        user = db.session.scalar(select(User).where(User.email == learner.email))
    complete_course(site_app, user)
    page.goto("/courses/kam-pay/certificate")
    issue = page.get_by_role("button", name=say(site_app, "de", "Issue my certificate"), exact=True)
    response = navigation(page, issue.click)
    assert served_by(cluster, response) == "a"
    expect(page.get_by_role("status")).to_contain_text(
        say(site_app, "de", "Congratulations! Your certificate has been issued.")
    )
    with site_app.app_context():
        certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == user.id))
        assert certificate is not None
        public_id = certificate.public_id

    checker = site_page("b")
    response = checker.goto(f"/verify/{public_id}")
    assert served_by(cluster, response) == "b"
    expect(checker.locator("#status-title")).to_have_text(say(site_app, "de", "Valid certificate"))
    credential = page.request.get(f"/certificates/{public_id}/credential.json", headers={"X-Course-Server": "b"})
    assert credential.status == 200, "the owner downloads the signed credential from the other server too"


def test_an_export_asked_for_on_one_server_runs_in_the_job_worker_and_downloads_from_the_other(
    site_page: SitePage, cluster: Cluster, site_app: Flask
) -> None:
    lang = "de"
    page = site_page("a")
    log_in(page, make_trainer(site_app))
    page.goto("/courses/kam-pay/certificates")
    ask = page.get_by_role("button", name=say(site_app, lang, "Download these as a ZIP (PDFs and a CSV list)"))
    response = navigation(page, ask.click)
    assert served_by(cluster, response) == "a"
    expect(page).to_have_url(re.compile(r"/jobs/\d+$"))

    pin(page, "b")  # the job page's polling, and the file, come from the other server
    download = page.locator("[data-job-download]")
    expect(download).to_be_visible(timeout=30_000)  # the worker (RQ) ran it; jobs.js showed the link
    served = page.request.get(download.get_attribute("href") or "", headers={"X-Course-Server": "b"})
    assert served.status == 200
    assert served_by(cluster, served) == "b"
    assert served.body().startswith(b"PK")  # a ZIP


def test_killing_a_server_mid_quiz_loses_no_submitted_work(
    site_page: SitePage, cluster: Cluster, site_app: Flask
) -> None:
    lang = "de"
    page = site_page()  # round-robin, like any visitor
    register(page)
    answered: list[str] = []
    page.on("response", lambda response: answered.append(f"{response.status} {response.url}"))
    page.goto(quiz_path(QUIZ_ID))
    attempt_id = start_quiz(page, QUIZ_ID, lang)
    keys = attempt_key(site_app, attempt_id, lang)
    answer_all(page, keys)
    page.get_by_role("button", name=QUIZ_TEXT[lang]["check"]).first.click()  # saves every answer in the form
    expect(page.locator(".outcome").first).to_be_visible()

    cluster.server("a").stop(signal.SIGKILL)  # a crash: no graceful shutdown
    for _ in range(2):  # whichever server nginx tries first, every page comes from b
        response = page.reload()
        assert response is not None and response.ok, response and response.status
        assert served_by(cluster, response) == "b"
    submit_answers(page, lang)
    expect(score_line(page)).to_contain_text("100")
    expect(page.get_by_text(QUIZ_TEXT[lang]["passed"], exact=True).first).to_be_visible()
    assert not [line for line in answered if line.startswith(("502", "503", "504"))], answered
