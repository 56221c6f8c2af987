"""Who may use which route: one row per route and method; a new route without a row fails the test."""

from __future__ import annotations

import pytest

FIRST = "/courses/kam-pay/lessons/kams-are-not-salespeople"

# (endpoint, method, url, anonymous, learner, trainer, admin): the expected status codes.
ACCESS = [
    ("static", "GET", "/static/css/app.css", 200, 200, 200, 200),
    ("site.healthz", "GET", "/healthz", 200, 200, 200, 200),
    ("site.set_language", "POST", "/language", 302, 302, 302, 302),
    ("auth.register", "GET", "/auth/register", 200, 302, 302, 302),
    ("auth.register", "POST", "/auth/register", 400, 302, 302, 302),
    ("auth.login", "GET", "/auth/login", 200, 302, 302, 302),
    ("auth.login", "POST", "/auth/login", 400, 302, 302, 302),
    ("auth.logout", "POST", "/auth/logout", 302, 302, 302, 302),
    ("learn.index", "GET", "/", 200, 200, 200, 200),
    ("learn.overview", "GET", "/courses/kam-pay", 200, 200, 200, 200),
    ("learn.lesson", "GET", FIRST, 200, 200, 200, 200),
    ("learn.complete", "POST", f"{FIRST}/complete", 302, 302, 302, 302),
]
ROLES = ("anonymous", "learner", "trainer", "admin")


def test_every_route_has_an_access_row(app) -> None:
    routes = {
        (rule.endpoint, method) for rule in app.url_map.iter_rules() for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == {(endpoint, method) for endpoint, method, *_ in ACCESS}


@pytest.mark.parametrize("role", ROLES)
def test_route_access_by_role(app, client, make_user, login_as, role: str) -> None:
    if role != "anonymous":
        login_as(make_user(role=role))
    for endpoint, method, url, *expected in ACCESS:
        with client.open(url, method=method) as response:
            assert response.status_code == expected[ROLES.index(role)], (endpoint, method, role)


def test_anonymous_completion_is_sent_to_login(client) -> None:
    assert client.post(f"{FIRST}/complete").headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize(
    "url",
    [
        "/courses/kam-pay/lessons/%00",
        "/courses/kam-pay/lessons/" + "x" * 5000,
        "/courses/%C3%A4%C3%B6/lessons/%E2%80%AE",
        "/courses/kam-pay/lessons/kam-mandate/../../../etc/passwd",
        "/static/../course/config.py",
        "/courses/kam-pay/lessons/kam-mandate?lang=<script>",
    ],
)
def test_odd_urls_never_cause_a_server_error(client, url: str) -> None:
    with client.get(url) as response:
        assert response.status_code in {200, 404}
        assert "<script>" not in response.get_data(as_text=True)
