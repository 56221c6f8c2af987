"""The audit log pages: newest first, filters with validated dates, pages, a streamed CSV that a spreadsheet cannot
mistake for formulas, and no way to change or delete an entry."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import pytest
from flask import Flask
from sqlalchemy import func, select

from course.admin.labels import ACTION_LABELS
from course.audit.operations import ACTIONS
from course.extensions import db
from course.models import AuditEntry, Job
from tests.admin_helpers import DE, EN, admin_client
from tests.jobs import export
from tests.quiz_helpers import faster_apps


@pytest.fixture
def app(make_app, monkeypatch: pytest.MonkeyPatch) -> Flask:
    return faster_apps(make_app, monkeypatch)()


@pytest.fixture
def admin(app: Flask, make_user):
    return admin_client(app, make_user)


def add(app: Flask, action: str, when: datetime, actor: str = "ada@example.org", target: str | None = None, **detail):
    with app.app_context():
        db.session.add(
            AuditEntry(
                action=action,
                created_at=when,
                actor_label=actor,
                target_label=target,
                detail=detail,
                ip="192.0.2.7",
            )
        )
        db.session.commit()


def shown(html: str) -> list[str]:
    """The actions in the table, in order (their labels)."""
    return re.findall(r'<th scope="row"><time[^>]*>[^<]*</time></th>\s*<td>([^<]*)</td>', html)


@pytest.fixture
def log(app: Flask) -> None:
    add(app, "login", datetime(2026, 3, 1, 9, 0, tzinfo=UTC), "lena@example.org", "lena@example.org")
    add(
        app,
        "role_changed",
        datetime(2026, 3, 2, 23, 59, tzinfo=UTC),
        target="tom@example.org",
        **{"from": "learner", "to": "trainer"},
    )
    add(app, "invited", datetime(2026, 3, 3, 0, 0, tzinfo=UTC), target="ina@example.org", role="learner", source="csv")
    add(
        app, "login_failed", datetime(2026, 3, 4, 12, 0, tzinfo=UTC), "", '=HYPERLINK("http://evil")', reason="password"
    )


def test_entries_are_shown_newest_first_with_readable_labels(app, admin, log) -> None:
    client, _admin = admin
    html = client.get("/admin/audit", headers=EN).get_data(as_text=True)
    assert shown(html) == ["Login failed", "Invited", "Role changed", "Logged in"]
    assert "from: learner; to: trainer" in html and "192.0.2.7" in html
    assert "nobody logged in" in html  # a failed login has no actor
    assert "Entries 1–4 of 4, newest first" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("action=invited", ["Invited"]),
        ("action=nonsense", ["Login failed", "Invited", "Role changed", "Logged in"]),
        ("person=LENA", ["Logged in"]),
        ("person=tom@", ["Role changed"]),
        ("person=ada@example.org", ["Invited", "Role changed"]),
        ("start=2026-03-03", ["Login failed", "Invited"]),
        ("end=2026-03-02", ["Role changed", "Logged in"]),  # the end day counts up to midnight
        ("start=2026-03-02&end=2026-03-03", ["Invited", "Role changed"]),
        ("start=2026-03-02&end=2026-03-03&action=invited&person=ina", ["Invited"]),
        ("end=9999-12-31", ["Login failed", "Invited", "Role changed", "Logged in"]),
        ("start=0001-01-01", ["Login failed", "Invited", "Role changed", "Logged in"]),
    ],
)
def test_filters(app, admin, log, query: str, expected: list[str]) -> None:
    client, _admin = admin
    response = client.get(f"/admin/audit?{query}", headers=EN)
    assert response.status_code == 200
    assert shown(response.get_data(as_text=True)) == expected


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("start=yesterday", "start", "Enter a date as YYYY-MM-DD, for example 2026-03-31."),
        ("end=2026-02-30", "end", "Enter a date as YYYY-MM-DD, for example 2026-03-31."),
        ("end=99999-01-01", "end", "Enter a date as YYYY-MM-DD, for example 2026-03-31."),
        ("start=2026-03-04&end=2026-03-01", "end", "The end date is before the start date."),
        ("person=" + "x" * 121, "person", "At most 120 characters, please."),
    ],
)
def test_a_bad_filter_value_is_shown_at_its_field_not_a_server_error(
    app, admin, log, query: str, field: str, message: str
) -> None:
    client, _admin = admin
    response = client.get(f"/admin/audit?{query}", headers=EN)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert message in html
    assert len(shown(html)) >= 1  # the rest of the filter still shows entries
    refused = client.post("/admin/audit.csv", data=dict(parse_qsl(query)), headers=EN)
    assert refused.status_code == 400 and message in refused.get_data(as_text=True)  # no job is queued
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_pages_of_fifty_keep_the_filter(app, admin) -> None:
    client, _admin = admin
    with app.app_context():
        for minute in range(60):
            db.session.add(
                AuditEntry(
                    action="login", created_at=datetime(2026, 3, 1, 10, minute, tzinfo=UTC), actor_label="a@example.org"
                )
            )
        db.session.commit()
    first = client.get("/admin/audit?action=login", headers=EN).get_data(as_text=True)
    assert len(shown(first)) == 50
    assert 'href="/admin/audit?page=2&amp;action=login"' in first
    second = client.get("/admin/audit?action=login&page=2", headers=EN).get_data(as_text=True)
    assert len(shown(second)) == 10


def test_the_csv_holds_the_filtered_entries_and_no_formulas(app, admin, log) -> None:
    client, _admin = admin
    with app.app_context():
        before = db.session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)).all()
    response = export(client, app, "/admin/audit.csv", headers=EN)
    with app.app_context():
        assert db.session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)).all() == before
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="audit-log.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert table[0] == ["Time (UTC)", "Action", "Action code", "By", "About", "Details", "IP address"]
    assert [row[2] for row in table[1:]] == ["login_failed", "invited", "role_changed", "login"]
    assert table[1][4] == '\'=HYPERLINK("http://evil")'
    assert table[2] == [
        "2026-03-03 00:00:00",
        "Invited",
        "invited",
        "ada@example.org",
        "ina@example.org",
        "role: learner; source: csv",
        "192.0.2.7",
    ]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in table for cell in row)
    only = export(client, app, "/admin/audit.csv", data={"action": "invited"}).get_data(as_text=True)
    only = list(csv.reader(io.StringIO(only)))
    assert len(only) == 2


def test_the_csv_headers_follow_the_admins_language(app, make_user, log) -> None:
    client, _admin = admin_client(app, make_user, locale="de")
    text = export(client, app, "/admin/audit.csv", headers=DE).get_data(as_text=True)
    assert text.lstrip("\ufeff").startswith("Zeit (UTC),Aktion,")


def test_every_action_has_a_label() -> None:
    assert set(ACTION_LABELS) == set(ACTIONS)


def test_no_route_changes_or_deletes_an_entry(app) -> None:
    for rule in app.url_map.iter_rules():
        if "audit" in rule.rule:
            # The CSV's POST only queues an export job (test_the_csv_holds_the_filtered_entries_and_no_formulas).
            methods = {"POST"} if rule.endpoint == "admin.audit_csv" else {"GET"}
            assert rule.methods - {"HEAD", "OPTIONS"} == methods, rule.rule


def test_the_page_is_german_for_a_german_admin(app, make_user, log) -> None:
    client, _admin = admin_client(app, make_user, locale="de")
    html = client.get("/admin/audit?start=gestern", headers=DE).get_data(as_text=True)
    assert "Protokoll" in html
    assert "Rolle geändert" in html
