"""E2E fixtures: the real app behind a real HTTP server on loopback, driven by headless Debian Chromium.

One server and one browser per session; every test gets fresh browser contexts (no shared cookies).
Without a Chromium binary the tests are skipped on a developer machine but fail in CI (CI=true).
Playwright never downloads a browser here: it launches the system Chromium (override: E2E_CHROMIUM).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from werkzeug.serving import make_server

from course.app import create_app
from course.extensions import db
from tests.conftest import require
from tests.mailbox import Mailbox
from tests.sso_provider import MockProvider, running_mock

from .helpers import CONTENT_DIR, DESKTOP, PageFactory

HERE = Path(__file__).resolve().parent
CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # we run as root in containers
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Chromium otherwise phones home (updates, sync, safe browsing); only loopback is reachable here.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEFAULT_TIMEOUT_MS = 10_000


# werkzeug's development server (the live server below) skips closing a response's file when the browser drops the
# connection while a static file is still being sent (a page that redirects at once): its `finally` registers the
# closed socket with a selector, which raises before `application_iter.close()`. The file is then closed by the
# garbage collector, whose ResourceWarning would fail whichever test runs at that moment. Only static files are
# excused; any other unclosed file still fails the run.
_DROPPED_STATIC_FILE = pytest.mark.filterwarnings(
    r"ignore:Exception ignored in. <_io\.(FileIO|BufferedReader) name='[^']*/course/static/"
    ":pytest.PytestUnraisableExceptionWarning"
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Everything in this folder is an e2e test (select with -m e2e, leave out with -m 'not e2e')."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.e2e)
            item.add_marker(_DROPPED_STATIC_FILE)


@dataclass(frozen=True)
class LiveServer:
    url: str
    app: Flask


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockProvider]:
    """The OpenID provider (oidc-provider-mock, a process of its own) the live server offers as "company"."""
    with running_mock(tmp_path_factory.mktemp("oidc")) as provider:
        yield provider


@pytest.fixture(scope="session")
def live_server(
    tmp_path_factory: pytest.TempPathFactory,
    smtp_server: tuple[dict[str, object], Mailbox],
    oidc_provider: MockProvider,
) -> Iterator[LiveServer]:
    """The app on 127.0.0.1:<free port>, SQLite in a temp dir, CSRF on, plain-HTTP cookies, mail to the test
    SMTP server (the `mailbox` fixture reads it), single sign-on through `oidc_provider` (a "kam_roles" claim
    of "trainer" or "admin" gives that role, no claim a learner). Its job runner is the embedded thread, as on a
    site without Redis: mail arrives a moment after the page, as it does for a person."""
    tmp = tmp_path_factory.mktemp("e2e")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("COURSE_INSTANCE_PATH", str(tmp / "instance"))  # ignore a developer's instance/config.py
        for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
            env.delenv(name, raising=False)
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "e2e-secret",
                "DATABASE_URL": f"sqlite:///{tmp / 'e2e.sqlite3'}",
                "CONTENT_DIR": str(CONTENT_DIR),
                "CATALOG_CHECK_SECONDS": 0,
                "SESSION_COOKIE_SECURE": False,
                "REMEMBER_COOKIE_SECURE": False,
                "WTF_CSRF_ENABLED": True,
                "RATELIMIT_STORAGE_URI": "memory://",
                "JOBS_RUNNER": "embedded",
                "JOBS_POLL_SECONDS": 0.2,
                "REGISTER_RATE_LIMIT": "1000 per hour",  # every test registers its own learner
                "LOGIN_RATE_LIMIT": "1000 per minute",
                "OIDC_PROVIDERS": {
                    "company": oidc_provider.settings(
                        role_claim="kam_roles",
                        roles={"trainer": "trainer", "admin": "admin"},
                        default_role="learner",
                    )
                },
                **smtp_server[0],
            }
        )
        with app.app_context():
            db.create_all()
        with app.test_client() as client:  # import the bundled course once, before parallel browser requests
            client.get("/healthz").close()
            client.get("/").close()

        server = make_server("127.0.0.1", 0, app, threaded=True)
        app.config["PUBLIC_URL"] = f"http://127.0.0.1:{server.server_port}"  # what QR codes and credentials name
        thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
        thread.start()
        try:
            yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
            app.extensions["jobs_runner"].stop()
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        require(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set E2E_CHROMIUM)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_page(
    browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[PageFactory]:
    """Open pages in fresh contexts (own cookies, Accept-Language from `locale`); all closed afterwards.

    When the test fails, a screenshot of every open page is written to the test's tmp_path.
    """
    contexts: list[BrowserContext] = []

    def open_page(
        *,
        locale: str = "de-DE",
        color_scheme: Literal["light", "dark"] = "light",
        viewport: tuple[int, int] = DESKTOP,
        javascript: bool = True,
    ) -> Page:
        width, height = viewport
        context = browser.new_context(
            base_url=live_server.url,
            locale=locale,
            color_scheme=color_scheme,
            viewport={"width": width, "height": height},
            java_script_enabled=javascript,
        )
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    failed = getattr(request.node, "e2e_failed", False)
    for number, context in enumerate(contexts):
        if failed:
            for index, page in enumerate(context.pages):
                shot = tmp_path / f"context{number}-page{index}.png"
                try:
                    page.screenshot(path=str(shot), full_page=True)
                except PlaywrightError as error:  # a crashed page must not hide the test's own failure
                    print(f"no screenshot of {page.url}: {error.message}")
                else:
                    print(f"screenshot of {page.url}: {shot}")
        context.close()


@pytest.fixture
def page(new_page: PageFactory) -> Page:
    """A page in a German browser (Accept-Language de-DE)."""
    return new_page()


@pytest.fixture
def no_js_page(new_page: PageFactory) -> Page:
    """A German browser with JavaScript switched off: everything must work with plain links and form posts."""
    return new_page(javascript=False)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember a failed test body so `new_page` can take screenshots before closing the browser."""
    report = yield
    if report.when == "call" and report.failed:
        item.e2e_failed = True  # type: ignore[attr-defined]
    return report
