"""With REDIS_URL set, login limits live in Redis, so they hold across app servers (docs/operations.md)."""

from __future__ import annotations

import os

import pytest
import redis

from course.app import create_app
from course.extensions import db
from tests.conftest import DEFAULT_REDIS_URL, require

REDIS_URL = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL)


@pytest.fixture
def redis_client():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        client.close()
        require(f"Redis not reachable at {REDIS_URL}: {error}")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def test_login_limit_is_shared_through_redis(redis_client, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("COURSE_INSTANCE_PATH", str(tmp_path / "instance"))
    config = {
        "TESTING": True,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite3'}",
        "REDIS_URL": REDIS_URL,
        "LOGIN_RATE_LIMIT": "3 per minute",
        "WTF_CSRF_ENABLED": False,
    }
    servers = [create_app(config) for _ in range(2)]
    with servers[0].app_context():
        db.create_all()
    statuses = [
        servers[i % 2]
        .test_client()
        .post("/auth/login", data={"email": "x@example.org", "password": "wrong"})
        .status_code
        for i in range(4)
    ]
    assert statuses == [400, 400, 400, 429]
    assert redis_client.keys("*"), "the counters must be stored in Redis"
    for server in servers:
        with server.app_context():
            db.engine.dispose()


def test_unreachable_limit_store_lets_logins_through(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("COURSE_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'down.sqlite3'}",
            "REDIS_URL": "redis://127.0.0.1:9/0",  # nothing listens on the discard port
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        db.create_all()
    response = app.test_client().post("/auth/login", data={"email": "x@example.org", "password": "wrong"})
    assert response.status_code == 400  # the form answered; no 500 because Redis is down
    with app.app_context():
        db.engine.dispose()
