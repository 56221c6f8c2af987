"""Reports per group and course: who may open which, the numbers against a hand-made group, the charts and their
tables, the CSV, an empty group, and the weekly summary (once per week, only for those who chose it)."""

from __future__ import annotations

import csv
import io
import re
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from course.extensions import db
from course.models import (
    Certificate,
    CourseAssignment,
    Group,
    GroupMembership,
    Notification,
    NotificationMail,
    NotificationPreference,
)
from course.reports import weekly
from tests.jobs import ask, export, run_jobs
from tests.quiz_helpers import faster_apps
from tests.sessions import sign_in
from tests.web.test_analytics_seed import COURSE, MANDATE, add_learner


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    """Catalog builds and compiled templates shared between this module's many small apps."""
    return faster_apps(make_app, monkeypatch)


NOW = datetime.now(UTC)


def add_group(app: Flask, name: str, *, due_at: datetime | None = None, starts_at: datetime | None = None) -> int:
    with app.app_context():
        group = Group(name=name, name_key=name.lower())
        db.session.add(group)
        db.session.flush()
        if due_at is not None:
            db.session.add(
                CourseAssignment(
                    course_id=COURSE,
                    group_id=group.id,
                    starts_at=starts_at,
                    due_at=due_at,
                    time_zone="Europe/Berlin",
                    created_at=NOW - timedelta(days=20),
                )
            )
        db.session.commit()
        return group.id


def join(app: Flask, group_id: int, user_id: int, role: str = "member") -> None:
    with app.app_context():
        db.session.add(GroupMembership(group_id=group_id, user_id=user_id, role_in_group=role))
        db.session.commit()


def certify(app: Flask, user_id: int, issued_at: datetime, revoked: bool = False) -> None:
    with app.app_context():
        db.session.add(
            Certificate(
                public_id=secrets.token_urlsafe(16),
                user_id=user_id,
                course_id=COURSE,
                record={},
                signature="-",
                key_id="-",
                issued_at=issued_at,
                revoked_at=issued_at + timedelta(hours=1) if revoked else None,
            )
        )
        db.session.commit()


def member(app: Flask, group_id: int, name: str, **progress: object) -> int:
    user_id = add_learner(app, name, **progress)
    join(app, group_id, user_id)
    return user_id


@pytest.fixture
def world(app: Flask) -> dict[str, int]:
    """Group A, due two days ago: one member on time, one late, two overdue (one started). Group B, due in a week:
    one on time, one not due yet. Each group with a manager and a trainer; a learner who is in no group."""
    due = NOW - timedelta(days=2)
    a = add_group(app, "Team A", due_at=due)
    b = add_group(app, "Team B", due_at=NOW + timedelta(days=7))
    ann = member(app, a, "Ann Early", quizzes={MANDATE: (85.0, True)}, sandbox={"defend": 75.0})
    certify(app, ann, due - timedelta(days=3))
    ben = member(app, a, "Ben Late", quizzes={MANDATE: (55.0, False)}, sandbox={"growth": 100.0})
    certify(app, ben, due + timedelta(days=1))
    member(app, a, "=HYPERLINK(1) Cid", lessons=2)
    member(app, a, "Dee Idle")
    eve = member(app, b, "Eve Bee")
    certify(app, eve, NOW - timedelta(days=1))
    member(app, b, "Fay Bee")
    ids = {"a": a, "b": b, "ann": ann, "ben": ben, "eve": eve}
    for role in ("manager", "trainer"):
        for key, group in (("a", a), ("b", b)):
            user_id = add_learner(app, f"{role.title()} {key.upper()}", role=role)
            join(app, group, user_id, role)
            ids[f"{role}_{key}"] = user_id
    ids["admin"] = add_learner(app, "Ada Admin", role="admin")
    ids["learner"] = add_learner(app, "Lone Learner")
    return ids


def url(group_id: int, suffix: str = "") -> str:
    return f"/reports/groups/{group_id}/courses/{COURSE}{suffix}"


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_visitors_are_sent_to_log_in_and_learners_are_refused(app, client, world) -> None:
    for path in ("/reports", url(world["a"])):
        assert client.get(path).headers["Location"].startswith("/auth/login")
    assert client.post(url(world["a"], ".csv")).headers["Location"].startswith("/auth/login")
    sign_in(client, world["learner"])
    for path in ("/reports", url(world["a"])):
        assert client.get(path).status_code == 403
    assert client.post(url(world["a"], ".csv")).status_code == 403


@pytest.mark.parametrize("role", ["manager", "trainer"])
def test_a_manager_or_trainer_sees_their_groups_report_and_nobody_elses(app, client, world, role: str) -> None:
    sign_in(client, world[f"{role}_a"])
    listing = text_of(client.get("/reports"))
    assert "Team A" in listing and "Team B" not in listing
    assert url(world["a"]) in listing
    assert client.get(url(world["a"])).status_code == 200
    ask(client, url(world["a"], ".csv"))
    assert client.get(url(world["b"])).status_code == 404
    assert client.post(url(world["b"], ".csv")).status_code == 404


def test_an_admin_sees_every_group_and_unknown_ids_are_missing(app, client, world) -> None:
    sign_in(client, world["admin"])
    listing = text_of(client.get("/reports"))
    assert "Team A" in listing and "Team B" in listing
    assert client.get(url(world["b"])).status_code == 200
    assert client.get("/reports/groups/999999/courses/kam-pay").status_code == 404
    assert client.get(f"/reports/groups/{world['a']}/courses/no-such-course").status_code == 404
    assert client.post(f"/reports/groups/{world['a']}/courses/no-such-course.csv").status_code == 404
    assert client.get("/reports/groups/99999999999999/courses/kam-pay").status_code == 404


def test_someone_who_looks_after_no_group_gets_the_explanation(app, client, make_user, login_as) -> None:
    login_as(make_user(role="manager"))
    page = text_of(client.get("/reports", headers={"Accept-Language": "en"}))
    assert "you look after no group" in page


def headline(page: str) -> dict[str, int]:
    return {label: int(value) for label, value in re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", page)}


def test_the_numbers_of_a_hand_made_group(app, client, world) -> None:
    sign_in(client, world["manager_a"])
    page = text_of(client.get(url(world["a"]), headers={"Accept-Language": "en"}))
    assert headline(page) == {
        "Members": 4,
        "Completed": 2,
        "Completed on time": 1,
        "Completed late": 1,
        "Overdue, not completed": 2,
        "Not completed, not yet due": 0,
    }
    # The standing table carries the chart's numbers.
    rows = dict(re.findall(r'<tr><th scope="row">([^<]+)</th><td class="number">(\d+)</td></tr>', page))
    assert rows["Completed on time"] == "1" and rows["Completed late"] == "1"
    assert rows["Overdue, not completed"] == "2" and rows["Not completed, not yet due"] == "0"
    # Four charts, each an image with a title, and the weekly table ends with both completions.
    assert page.count('role="img"') == 4
    assert page.count("<title id=") == 4
    totals = re.findall(r'</th><td class="number">(\d+)</td><td class="number">(\d+)</td></tr>', page)
    assert totals and totals[-1][1] == "2"
    assert sum(int(new) for new, _total in totals) == 2
    # Quiz results: 85 and 55 (bins 80–90 and 50–60); sandbox: 75 and 100 (bins 70–80 and 90–100).
    bins = re.findall(r"<tbody><tr>((?:<td class=\"number\">\d+</td>)+)</tr></tbody>", page)
    quiz, sandbox = ([int(n) for n in re.findall(r"\d+", row.replace('class="number"', ""))] for row in bins)
    assert quiz == [0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 2]
    assert sandbox == [0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 2]


def test_a_group_with_a_due_date_ahead_counts_not_yet_due(app, client, world) -> None:
    sign_in(client, world["trainer_b"])
    page = text_of(client.get(url(world["b"]), headers={"Accept-Language": "en"}))
    numbers = headline(page)
    assert numbers["Completed on time"] == 1 and numbers["Not completed, not yet due"] == 1
    assert numbers["Overdue, not completed"] == 0


def test_a_group_without_an_assignment_has_no_due_date(app, client, world) -> None:
    c = add_group(app, "Team C")
    certify(app, member(app, c, "Gus Free"), NOW - timedelta(days=30))
    member(app, c, "Hal Free")
    # A revoked certificate alone, without the course completed by its rule, does not count.
    certify(app, member(app, c, "Ivy Revoked"), NOW - timedelta(days=30), revoked=True)
    sign_in(client, world["admin"])
    page = text_of(client.get(url(c), headers={"Accept-Language": "en"}))
    assert headline(page) == {"Members": 3, "Completed": 1, "Not completed": 2}
    assert "no due date" in page


def test_an_empty_group_says_so_without_charts(app, client, world) -> None:
    empty = add_group(app, "Team Empty", due_at=NOW + timedelta(days=3))
    sign_in(client, world["admin"])
    response = client.get(url(empty), headers={"Accept-Language": "en"})
    assert response.status_code == 200
    page = text_of(response)
    assert "no members yet" in page and 'role="img"' not in page
    rows = list(csv.reader(io.StringIO(text_of(export(client, app, url(empty, ".csv"))))))
    assert len(rows) == 1


def test_the_csv_has_a_row_per_member_and_is_safe_in_a_spreadsheet(app, client, world) -> None:
    sign_in(client, world["manager_a"])
    response = export(client, app, url(world["a"], ".csv"), headers={"Accept-Language": "en"})
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    header, *rows = list(csv.reader(io.StringIO(text_of(response))))
    assert header[:6] == ["Name", "Email", "Status", "Completed at (UTC)", "Due at (UTC)", "On time"]
    by_name = {row[0]: row for row in rows}
    assert set(by_name) == {"Ann Early", "Ben Late", "'=HYPERLINK(1) Cid", "Dee Idle"}
    assert by_name["Ann Early"][5] == "yes" and by_name["Ben Late"][5] == "no" and by_name["Dee Idle"][5] == "no"
    assert by_name["Ann Early"][8] == "85" and by_name["Ann Early"][9] == "75"
    assert by_name["'=HYPERLINK(1) Cid"][6] == "2"
    assert by_name["Dee Idle"][3] == ""


def test_the_report_speaks_german(app, client, world) -> None:
    sign_in(client, world["manager_a"])
    page = text_of(client.get(url(world["a"]), headers={"Accept-Language": "de"}))
    assert "Mitglieder" in page


def choose(app: Flask, user_id: int, by_mail: bool) -> None:
    with app.app_context():
        db.session.add(NotificationPreference(user_id=user_id, kind="weekly_summary", by_mail=by_mail))
        db.session.commit()


def summaries(app: Flask) -> dict[int, list[Notification]]:
    with app.app_context():
        found: dict[int, list[Notification]] = {}
        for notification in db.session.scalars(select(Notification).where(Notification.kind == "weekly_summary")):
            found.setdefault(notification.user_id, []).append(notification)
        return found


def test_the_weekly_summary_goes_once_a_week_to_those_who_chose_it(app, world) -> None:
    choose(app, world["manager_a"], True)
    choose(app, world["trainer_b"], False)  # chose no mail
    # manager_b and trainer_a chose nothing: the summary is off by default.
    with app.app_context():
        assert weekly.queue_weekly_summaries(NOW) == 1
        db.session.commit()
        assert weekly.queue_weekly_summaries(NOW + timedelta(minutes=5)) == 0
        db.session.commit()
    found = summaries(app)
    assert set(found) == {world["manager_a"]}
    (notification,) = found[world["manager_a"]]
    year, week, _ = NOW.isocalendar()
    assert notification.key == f"weekly_summary:{year}-W{week:02d}"
    (row,) = notification.data["rows"]
    assert (row["group"], row["members"], row["completed"], row["overdue"]) == ("Team A", 4, 2, 2)
    assert row["url"].endswith(url(world["a"]))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(NotificationMail)) == 1
        assert weekly.queue_weekly_summaries(NOW + timedelta(days=7)) == 1  # next week: a new one
        db.session.commit()
    assert len(summaries(app)[world["manager_a"]]) == 2


def test_the_weekly_summary_mail_lists_each_report(app, world) -> None:
    from course.mail import render

    with app.app_context():
        group = db.session.get(Group, world["a"])
        rows = weekly.summary_rows([group], NOW)
        for lang in ("en", "de"):
            data = {"week": "2026-W49", "rows": weekly.in_language(rows, lang)}
            subject, text, html = render(
                "notification_weekly_summary",
                lang,
                name="Manager A",
                text="",
                url="http://127.0.0.1:5000/reports",
                data=data,
                preferences_url="http://127.0.0.1:5000/notifications/preferences",
            )
            assert "2026-W49" in subject
            assert "Team A" in text and url(world["a"]) in text and url(world["a"]) in html
            assert "notifications/preferences" in text
        assert weekly.in_language(rows, "de")[0]["course"] == "Key-Account-Manager richtig entlohnen"


def test_the_header_links_to_the_reports_for_managers_trainers_and_admins_only(app, world) -> None:
    link = 'href="/reports"'
    for key, shown in (("manager_a", True), ("trainer_a", True), ("admin", True), ("learner", False)):
        client = sign_in(app.test_client(), world[key])
        for page in ("/courses/kam-pay", "/account"):  # a page drawn once as a shell for all, and one that is not
            assert (link in client.get(page).get_data(as_text=True)) is shown, (key, page)
    assert link not in app.test_client().get("/courses/kam-pay").get_data(as_text=True)


def own(statements: list[str]) -> list[str]:
    """The report's own statements: the catalog's version check and the framing origins' read (once a minute,
    course/embedding.py) run whenever their interval has passed, which depends on the clock, not on the group."""
    return [s for s in statements if "FROM content_state" not in s and "FROM lti_platforms" not in s]


def test_a_report_costs_the_same_queries_for_a_bigger_group(app, client, world) -> None:
    from tests.web.test_analytics_queries import counted

    sign_in(client, world["manager_a"])
    pages = ("/reports", url(world["a"]))
    for page in pages:
        client.get(page)  # warm up: the catalog, the session
    before = {}
    for page in pages:
        with counted(app) as statements:
            assert client.get(page).status_code == 200
        before[page] = len(own(statements))
    ask(client, url(world["a"], ".csv"))
    with counted(app) as statements:
        assert run_jobs(app) == 1
    before["csv"] = len(own(statements))
    for number in range(12):
        user_id = member(app, world["a"], f"Extra {number:02d}", lessons=number % 4, quizzes={MANDATE: (50.0, True)})
        if number % 3 == 0:
            certify(app, user_id, NOW - timedelta(days=number))
    for page in pages:
        with counted(app) as statements:
            assert client.get(page).status_code == 200
        assert len(own(statements)) == before[page], page
    ask(client, url(world["a"], ".csv"))
    with counted(app) as statements:
        assert run_jobs(app) == 1
    assert len(own(statements)) == before["csv"]
