"""PostgreSQL may drop the app's connections (a restart, a failover): pages keep working without a ping per request.

A pooled connection idle for longer than DATABASE_PING_IDLE_SECONDS is pinged before use and replaced if dead; the
fast path's read (who is this learner) tries once more on a new connection; and a busy request costs one round trip,
not three (no ping, no ROLLBACK after the read). The fast reads run on connections kept outside the pool for them,
which end with the pool.
"""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from flask import Flask
from sqlalchemy import select, text

from course.extensions import db
from course.models import QuizAttempt, QuizResult
from tests.quiz_helpers import attempt_key, start_attempt

LESSON = "/courses/kam-pay/lessons/kam-mandate"


@pytest.fixture
def backend(backend: str) -> str:
    if backend == "sqlite":
        pytest.skip("a SQLite file has no connection to lose")
    return backend


@pytest.fixture
def make_app(make_app):
    """Apps whose pools start afresh after the test: the tests leave dead connections behind on purpose."""
    apps: list[Flask] = []

    def build(**overrides: object) -> Flask:
        # The catalog's version is read once an hour here, so a request's round trips are the page's own.
        app = make_app(**{"CATALOG_CHECK_SECONDS": 3600, **overrides})
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def drop_connections(app: Flask) -> int:
    """What a database restart does to the app's pool: every server process of its connections ends."""
    with app.app_context():
        url = db.engine.url
    with psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True) as c:
        ended = c.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    return int(ended[0]) if ended else 0


def server_processes(app: Flask) -> set[int]:
    """The server processes of the app's database connections (the asking one left out)."""
    with app.app_context():
        url = db.engine.url
    with psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True) as c:
        rows = c.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return {pid for (pid,) in rows}


def gone(app: Flask, pid: int) -> bool:
    """Whether the server process has ended (it ends a moment after its client closes the connection)."""
    for _ in range(50):
        if pid not in server_processes(app):
            return True
        time.sleep(0.1)
    return False


def fast_reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bool]]:
    """(server process, autocommit) of every statement psycopg sends from now on."""
    seen: list[tuple[int, bool]] = []
    execute = psycopg.Cursor.execute

    def recorded(self, query, *args, **kwargs):  # noqa: ANN001, ANN202 - psycopg's signature
        seen.append((self.connection.info.backend_pid, self.connection.autocommit))
        return execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", recorded)
    return seen


def round_trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement, ROLLBACK and COMMIT psycopg sends from now on (outside a transaction ROLLBACK sends nothing)."""
    sent: list[str] = []
    execute, rollback, commit = psycopg.Cursor.execute, psycopg.Connection.rollback, psycopg.Connection.commit

    def counted_execute(self, query, *args, **kwargs):  # noqa: ANN001, ANN202 - psycopg's signature
        sent.append(str(query).split()[0])
        return execute(self, query, *args, **kwargs)

    def counted(method, name: str):  # noqa: ANN001, ANN202
        def wrapper(self):  # noqa: ANN001, ANN202
            if self.pgconn.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                sent.append(name)
            return method(self)

        return wrapper

    monkeypatch.setattr(psycopg.Cursor, "execute", counted_execute)
    monkeypatch.setattr(psycopg.Connection, "rollback", counted(rollback, "ROLLBACK"))
    monkeypatch.setattr(psycopg.Connection, "commit", counted(commit, "COMMIT"))
    return sent


def pinged(monkeypatch: pytest.MonkeyPatch, app: Flask) -> list[int]:
    calls: list[int] = []
    with app.app_context():
        dialect = db.engine.dialect
    ping = dialect.do_ping
    monkeypatch.setattr(dialect, "do_ping", lambda connection: calls.append(1) or ping(connection))
    return calls


def test_a_learners_lesson_page_costs_one_round_trip(app, client, make_user, login_as, monkeypatch) -> None:
    login_as(make_user())
    assert client.get(LESSON).status_code == 200  # the catalog and the page shell are built
    sent = round_trips(monkeypatch)
    assert client.get(LESSON).status_code == 200
    assert sent == ["SELECT"], "no ping before it and no ROLLBACK after it"


def test_a_learners_attempt_page_costs_one_round_trip(app, client, make_user, login_as, monkeypatch) -> None:
    """The learner and their attempt in one statement (course/fast/attempt_page.learner_and_attempt)."""
    login_as(make_user())
    url = f"/attempts/{start_attempt(client)}"
    assert client.get(url).status_code == 200  # the page's shell and fragments are built
    sent = round_trips(monkeypatch)
    page = client.get(url)
    assert page.status_code == 200 and f'action="{url}"' in page.get_data(as_text=True)
    assert sent == ["SELECT"]


def submission(app: Flask, client, make_user, login_as) -> tuple[str, dict[str, object]]:  # noqa: ANN001
    """A learner's open attempt, its page loaded once, and a complete submission of it."""
    login_as(make_user(locale="de"))
    attempt_id = start_attempt(client)
    url = f"/attempts/{attempt_id}"
    assert client.get(url).status_code == 200
    key = attempt_key(app, attempt_id)
    return url, {**key.form_data(key.right_answers("de")), "submit": "1"}


def test_a_learners_quiz_submission_costs_two_round_trips(app, client, make_user, login_as, monkeypatch) -> None:
    """The page lane's submission (course/fast/submission.py): the learner, the attempt and the active webhooks'
    events in one read; the attempt, its best result and statistics rows in one statement."""
    url, form = submission(app, client, make_user, login_as)
    sent = round_trips(monkeypatch)
    response = client.post(url, data=form)
    assert response.status_code == 302 and response.headers["Location"] == f"{url}/review"
    assert sent == ["SELECT", "WITH"]


def test_a_submission_survives_a_restart_of_the_database_and_is_written_once(app, client, make_user, login_as) -> None:
    url, form = submission(app, client, make_user, login_as)
    assert drop_connections(app) >= 1
    response = client.post(url, data=form)
    assert response.status_code == 302 and response.headers["Location"] == f"{url}/review"
    with app.app_context():
        attempt = db.session.get(QuizAttempt, int(url.rsplit("/", 1)[1]))
        result = db.session.scalar(select(QuizResult).where(QuizResult.user_id == attempt.user_id))
        assert (attempt.status, attempt.percent, result.attempts, result.best_percent) == ("submitted", 100.0, 1, 100.0)


def test_the_fast_read_survives_a_restart_of_the_database(app, client, make_user, login_as) -> None:
    login_as(make_user())
    assert client.get(LESSON).status_code == 200
    assert drop_connections(app) >= 1
    page = client.get(LESSON)
    assert page.status_code == 200
    assert 'action="/auth/logout"' in page.get_data(as_text=True), "still logged in: the read was tried again"


def test_the_fast_reads_keep_one_connection_of_their_own_until_the_pool_ends(
    app, client, make_user, login_as, monkeypatch
) -> None:
    login_as(make_user())
    assert client.get(LESSON).status_code == 200
    reads = fast_reads(monkeypatch)
    for _ in range(3):
        assert client.get(LESSON).status_code == 200
    assert len(reads) == 3
    assert len(set(reads)) == 1, "one connection for every read, already in autocommit"
    ((pid, autocommit),) = set(reads)
    assert autocommit
    with app.app_context():
        assert db.engine.pool.checkedout() == 0
        db.engine.dispose()
    assert gone(app, pid), "closed with the pool"
    assert client.get(LESSON).status_code == 200
    assert reads[-1][0] != pid, "a new one after the pool was replaced"


def test_threads_one_after_another_read_on_the_same_connection(app, make_user, monkeypatch) -> None:
    """A connection is kept for reads, not for a thread: `flask run` serves each request in a thread of its own."""
    from course.fast.request_user import load_request_user

    user = make_user()
    reads = fast_reads(monkeypatch)

    def read() -> None:
        with app.app_context():
            load_request_user(user.id, "no such session", f"{user.id}:x")

    for _ in range(3):
        thread = threading.Thread(target=read)
        thread.start()
        thread.join()
    assert len(reads) == 3
    assert len(set(reads)) == 1


def test_an_idle_connection_is_checked_and_replaced_before_use(make_app, make_user, monkeypatch) -> None:
    app = make_app(DATABASE_PING_IDLE_SECONDS=0.05)
    pings = pinged(monkeypatch, app)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200  # a plain session query, not the fast path
    assert drop_connections(app) >= 1
    time.sleep(0.1)  # longer than the idle limit: the pool checks the connection before handing it out
    assert client.get("/healthz").status_code == 200
    assert pings, "an idle connection is pinged"
    with app.app_context():
        assert db.session.execute(text("SELECT 1")).scalar() == 1


def test_a_busy_connection_is_not_pinged(make_app, monkeypatch) -> None:
    app = make_app(DATABASE_PING_IDLE_SECONDS=3600)
    pings = pinged(monkeypatch, app)
    client = app.test_client()
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert pings == []


@pytest.mark.parametrize("value", [0, -1, "soon", True])
def test_a_bad_idle_limit_stops_the_start(make_app, value: object) -> None:
    from course.config import InsecureConfigError

    with pytest.raises(InsecureConfigError, match="DATABASE_PING_IDLE_SECONDS"):
        make_app(DATABASE_PING_IDLE_SECONDS=value)
