"""Fixtures: a fresh app per test on SQLite and (where reachable) PostgreSQL, clients and user factories.

PostgreSQL is used when TEST_DATABASE_URL is set or the local default answers. In CI (CI=true)
an unreachable PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from course import embedding
from course.app import create_app
from course.auth import operations as accounts
from course.core import caching
from course.extensions import db
from course.models import User
from tests.compiled import share_across_apps
from tests.jobs import run_jobs
from tests.mailbox import Mailbox, mail_config, start_smtp_server
from tests.ordering import (  # noqa: F401 - pytest's hooks, kept in their own module
    pytest_addoption,
    pytest_collection_modifyitems,
    pytest_configure,
)
from tests.paths import CONTENT_DIR, PROJECT_ROOT, QUIZ_DIR  # noqa: F401 - re-exported for the tests
from tests.sessions import sign_in

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/course_test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PASSWORD = "correct horse battery"

share_across_apps()


def _own_databases_per_worker() -> None:
    """The suite runs in parallel processes (pytest-xdist, `-n` in pyproject.toml); each worker drops and refills
    its databases, so each gets its own: PostgreSQL database `<name>_gw<N>` and, counting down from the configured
    Redis database, two of its own (the tests' and, one below, the two-server set-up's). Runs at import, before
    any test module reads the variables."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # gw0, gw1, … (unset without xdist or with -n 0)
    if not worker:
        return
    url = make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_PG_URL))
    os.environ["TEST_DATABASE_URL"] = url.set(database=f"{url.database}_{worker}").render_as_string(hide_password=False)
    base, _, number = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL).rpartition("/")
    os.environ["TEST_REDIS_URL"] = f"{base}/{(int(number or 0) - 2 * int(worker.removeprefix('gw'))) % 16}"


_own_databases_per_worker()


def require(reason: str) -> None:
    """Skip on a developer machine, fail in CI: a missing database or browser in CI is a failure."""
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _empty_process_caches() -> None:
    """Every test starts from empty process caches: keys such as a revision id mean another row in each test's
    database, and no test may pass only because an earlier one filled a cache."""
    caching.clear_all()


@pytest.fixture
def steady_frame_origins(monkeypatch: pytest.MonkeyPatch) -> None:
    """For tests that compare the statements of two requests: the frame origins are read once a minute
    (course/embedding.py), which adds a statement to whichever request first sees a new minute."""
    monkeypatch.setattr(embedding, "REFRESH_SECONDS", 10**9)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_PG_URL))
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database})
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    except Exception as error:  # noqa: BLE001 - any connection failure means "not available"
        require(f"PostgreSQL not reachable at {url.render_as_string(hide_password=True)}: {error.__class__.__name__}")
    finally:
        admin.dispose()
    engine = create_engine(url)
    with engine.begin() as connection:  # start each session from an empty schema
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    return url.render_as_string(hide_password=False)


def _truncate_all() -> None:
    """Empty the tables the test wrote to and restart the id sequences it used, as TRUNCATE … RESTART IDENTITY
    would. TRUNCATE itself costs 150–400 ms here however few tables it names (CASCADE reaches nearly every table
    through users), which over a few thousand PostgreSQL tests is minutes of CI; deleting the few rows a test wrote
    takes milliseconds. Foreign-key triggers are off for the transaction (the test role is a superuser), so the
    order does not matter."""
    touched = db.session.scalars(text(_touched_tables_sql())).all()
    if touched:
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
        for name in touched:
            db.session.execute(text(f'DELETE FROM "{name}"'))  # noqa: S608 - names of our models
    db.session.execute(text(_RESTART_USED_SEQUENCES))
    db.session.commit()


# pg_sequences shows last_value NULL for a sequence never used (or restarted with is_called false).
_RESTART_USED_SEQUENCES = (
    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)"
    " FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL"
)


def _touched_tables_sql() -> str:
    """Every table holding a row, in one statement."""
    return " UNION ALL ".join(
        f"SELECT '{table.name}' WHERE EXISTS (SELECT 1 FROM \"{table.name}\")"  # noqa: S608 - names of our models
        for table in db.metadata.sorted_tables
    )


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[dict[str, object], Mailbox]]:
    """One real SMTP server (aiosmtpd) for the whole run: (the app's mail settings, its mailbox)."""
    controller, mailbox = start_smtp_server()
    try:
        yield mail_config(controller), mailbox
    finally:
        controller.stop()


@pytest.fixture
def mailbox(smtp_server: tuple[dict[str, object], Mailbox]) -> Mailbox:
    """The mail the app sent during this test (apps built by `make_app` send to the test SMTP server)."""
    return smtp_server[1]


@pytest.fixture(scope="session")
def sqlite_schema(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database with the models' schema, made once per test process: each SQLite test starts from
    a copy (about 1 ms) instead of creating the schema again (about 25 ms)."""
    path = tmp_path_factory.mktemp("schema") / "empty.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    db.metadata.create_all(engine)
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def make_app(
    backend: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    smtp_server: tuple[dict[str, object], Mailbox],
) -> Iterator[Callable[..., Flask]]:
    """Build apps on the test's database, sending mail to the test SMTP server; the schema is created from the
    models (on SQLite: copied from `sqlite_schema`)."""
    smtp_settings, mailbox = smtp_server
    mailbox.clear()
    monkeypatch.setenv("COURSE_INSTANCE_PATH", str(tmp_path / "instance"))
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    if backend == "postgresql":
        url = request.getfixturevalue("postgres_url")
    else:
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_schema"), path)
        url = f"sqlite:///{path}"
    apps: list[Flask] = []

    def build(**overrides: object) -> Flask:
        config = {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": url,
            "WTF_CSRF_ENABLED": False,
            "CONTENT_DIR": str(CONTENT_DIR),
            "QUIZ_DIR": str(QUIZ_DIR),
            "CATALOG_CHECK_SECONDS": 0,
            "RATELIMIT_STORAGE_URI": "memory://",
            **smtp_settings,
            **overrides,
        }
        app = create_app(config)
        with app.app_context():
            db.create_all()
        apps.append(app)
        mailbox.deliver_from(lambda: run_jobs(app))
        return app

    yield build
    mailbox.clear()  # the next test's mail, and no more jobs run from these apps' databases
    for app in apps:
        with app.app_context():
            if backend == "postgresql":
                _truncate_all()
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(
        role: str = "learner",
        email: str | None = None,
        password: str = PASSWORD,
        locale: str | None = None,
        display_name: str | None = None,
    ) -> User:
        with app.app_context():
            user = accounts.create_user(
                email or f"{role}{next(counter)}@example.org",
                password,
                display_name or f"Test {role.title()}",
                role=role,
                locale=locale,
            )
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    return make


@pytest.fixture
def login_as(client: FlaskClient) -> Callable[[User], FlaskClient]:
    """Log a user in through the session (the login form itself is tested in test_auth)."""

    def login(user: User) -> FlaskClient:
        return sign_in(client, user.id)

    return login


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """One process per core and one more: the browser tests, the two-server set-up and the LRS wait on other
    processes (Chromium, gunicorn, Ralph, PostgreSQL) for about a third of their time, which the extra process
    fills with work."""
    return (os.cpu_count() or 1) + 1
