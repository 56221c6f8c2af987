"""Failed logins are counted per account name in the database: the growing delay holds across workers and
servers without Redis, also for an account attacked from many addresses, and says how long to wait."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select, update

from course.auth import operations as accounts
from course.extensions import db
from course.models import LoginFailures, utcnow
from tests.conftest import PASSWORD

# The per-address limit of each worker is set out of the way: what is tested is the database's count.
WORKER = {"LOGIN_RATE_LIMIT": "1000 per minute", "LOGIN_FIRST_DELAY_SECONDS": 60}


def attempt(client, email: str, password: str = "wrong password", address: str = "192.0.2.1") -> int:
    response = client.post(
        "/auth/login",
        data={"email": email, "password": password},
        headers={"Accept-Language": "en"},
        environ_base={"REMOTE_ADDR": address},
    )
    return response.status_code


def test_two_workers_without_redis_share_one_count_per_account(make_app, make_user) -> None:
    first, second = make_app(**WORKER), make_app(**WORKER)  # two workers: two memory limiters, one database
    user = make_user()
    clients = [first.test_client(), second.test_client()]
    statuses = [attempt(clients[i % 2], user.email, address=f"198.51.100.{i}") for i in range(40)]
    assert statuses.count(400) == 5  # the free failures, whichever worker and address they came through
    assert statuses.count(429) == 35


def test_a_blocked_account_name_refuses_even_the_right_password_and_says_how_long(make_app, make_user) -> None:
    site = make_app(**WORKER)
    user = make_user()
    client = site.test_client()
    for _ in range(5):
        assert attempt(client, user.email) == 400
    response = client.post(
        "/auth/login", data={"email": user.email, "password": PASSWORD}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 429
    assert 55 <= int(response.headers["Retry-After"]) <= 60
    page = response.get_data(as_text=True)
    assert "Too many failed attempts with this email address. Please wait 60 seconds and try again." in page
    german = client.post(
        "/auth/login", data={"email": user.email, "password": PASSWORD}, headers={"Accept-Language": "de"}
    )
    assert "Zu viele" in german.get_data(as_text=True)


def test_unknown_and_known_account_names_are_treated_alike(make_app, make_user) -> None:
    site = make_app(**WORKER)
    user = make_user()
    client = site.test_client()
    known = [attempt(client, user.email) for _ in range(7)]
    unknown = [attempt(client, "nobody@example.org") for _ in range(7)]
    assert known == unknown == [400] * 5 + [429] * 2


def test_the_wait_grows_and_a_successful_login_resets_the_count(make_app, make_user) -> None:
    site = make_app(**WORKER)
    user = make_user()
    client = site.test_client()
    waits = []
    for _ in range(8):
        attempt(client, user.email.upper())  # the same account name however it is spelled
        with site.app_context():
            waits.append(accounts.login_wait(user.email))
            db.session.execute(update(LoginFailures).values(blocked_until=None))  # as if the wait were over
            db.session.commit()
    assert waits[:4] == [0, 0, 0, 0]
    assert [round(wait / 60) for wait in waits[4:]] == [1, 2, 4, 8]
    assert attempt(client, user.email, PASSWORD) == 302
    with site.app_context():
        assert db.session.scalar(select(LoginFailures)) is None


def test_old_failures_are_forgotten(make_app, make_user) -> None:
    site = make_app(**WORKER)
    user = make_user()
    client = site.test_client()
    for _ in range(4):
        attempt(client, user.email)
    with site.app_context():
        db.session.execute(update(LoginFailures).values(last_failure_at=utcnow() - timedelta(days=2)))
        db.session.commit()
    attempt(client, user.email)
    with site.app_context():
        assert db.session.scalar(select(LoginFailures.failures)) == 1


def test_failures_recorded_at_the_same_moment_are_all_counted(make_app) -> None:
    site = make_app(**WORKER)
    with site.app_context():
        db.session.add(LoginFailures(key="warm-up", failures=0))  # the table exists before the threads race
        db.session.commit()
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def fail_once() -> None:
        try:
            with site.app_context():
                start.wait()
                accounts.record_login_failure("target@example.org")
                db.session.commit()
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=fail_once) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with site.app_context():
        assert db.session.scalar(select(LoginFailures.failures).where(LoginFailures.key != "warm-up")) == 8
