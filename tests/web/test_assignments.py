"""Assigning a course to a group with a due date: who may, what is refused with which message, what the audit log
keeps, and who sees an `access: assigned` course at all (everyone else gets the same 404 as for no course)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from course.assignments import operations as assignment_operations
from course.config import InsecureConfigError
from course.extensions import db
from course.groups import operations as groups
from course.models import CourseAssignment, Group, User
from course.publishing.cache import catalog
from tests.admin_helpers import EN, entries
from tests.paths import CONTENT_DIR, QUIZ_DIR
from tests.quiz_helpers import faster_apps
from tests.sessions import sign_in
from tests.web.test_page_lane import both_ways, counting_flask, same, warm


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    """Catalog builds and compiled templates shared between this module's many small apps."""
    return faster_apps(make_app, monkeypatch)


TEAM = "kam-team"  # a copy of the bundled course, `access: assigned`
PAGE = f"/studio/courses/{TEAM}/assignments"
LESSON = f"/courses/{TEAM}/lessons/kams-are-not-salespeople"
QUIZ = f"/courses/{TEAM}/quizzes/kam-mandate-quiz"
BERLIN = ZoneInfo("Europe/Berlin")


def today(zone: ZoneInfo = BERLIN) -> date:
    return datetime.now(zone).date()


@pytest.fixture
def app(make_app: Callable[..., Flask], tmp_path: Path) -> Flask:
    """The bundled course (open) and a copy of it only for the groups it is assigned to."""
    content, quizzes = tmp_path / "content", tmp_path / "quizzes"
    shutil.copytree(CONTENT_DIR, content)
    shutil.copytree(QUIZ_DIR, quizzes)
    shutil.copytree(CONTENT_DIR / "kam-pay", content / TEAM)
    shutil.copytree(QUIZ_DIR / "kam-pay", quizzes / TEAM)
    course_yml = content / TEAM / "course.yml"
    text = course_yml.read_text().replace("id: kam-pay", f"id: {TEAM}")
    text = text.replace('en: "Paying key-account managers"', 'en: "Paying KAMs: team edition"')
    course_yml.write_text(text + "access: assigned\n")
    return make_app(CONTENT_DIR=str(content), QUIZ_DIR=str(quizzes))


@pytest.fixture
def people(app: Flask, make_user: Callable[..., User]) -> dict[str, User]:
    """Team A (learner, trainer, manager) and team B (learner, trainer); an empty group; an outsider."""
    made = {
        name: make_user(role=role, email=f"{name}@example.org", locale="en", display_name=name.title())
        for name, role in [
            ("admin", "admin"),
            ("member", "learner"),
            ("trainer", "trainer"),
            ("manager", "manager"),
            ("other_member", "learner"),
            ("other_trainer", "trainer"),
            ("outsider", "learner"),
        ]
    }
    with app.app_context():
        team_a = groups.create_group("Team A")
        team_b = groups.create_group("Team B")
        groups.create_group("Empty team")
        groups.add_member(team_a, made["member"])
        groups.add_member(team_a, made["trainer"], "trainer")
        groups.add_member(team_a, made["manager"], "manager")
        groups.add_member(team_b, made["other_member"])
        groups.add_member(team_b, made["other_trainer"], "trainer")
        db.session.commit()
    return made


def group_id(app: Flask, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Group.id).where(Group.name == name))


def as_user(app: Flask, user: User) -> FlaskClient:
    return sign_in(app.test_client(), user.id)


def form(app: Flask, group: str, due: date | str, starts: date | str = "", zone: str = "Europe/Berlin") -> dict:
    return {"group": str(group_id(app, group)), "due": str(due), "starts": str(starts), "time_zone": zone}


def assignments(app: Flask) -> list[CourseAssignment]:
    with app.app_context():
        found = list(db.session.scalars(select(CourseAssignment).order_by(CourseAssignment.id)))
        db.session.expunge_all()
        return found


def errors(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", error).strip() for error in re.findall(r"<li>([^<]*)</li>", html)]


def assign(app: Flask, people: dict[str, User], group: str = "Team A", due: date | None = None, **extra: str):
    due = due or today() + timedelta(days=14)
    return as_user(app, people["admin"]).post(PAGE, data=form(app, group, due, **extra), headers=EN)


def insert_assignment(app: Flask, group: str, due_at: datetime, starts_at: datetime | None = None) -> None:
    """An assignment as stored, with moments the form would refuse (already overdue)."""
    with app.app_context():
        db.session.add(
            CourseAssignment(
                course_id=TEAM,
                group_id=group_id(app, group),
                due_at=due_at,
                starts_at=starts_at,
                time_zone="Europe/Berlin",
            )
        )
        db.session.commit()


# --- who may assign -----------------------------------------------------------------------------------------------


def test_admin_assigns_a_course_to_any_group_and_the_audit_log_keeps_the_dates(app: Flask, people) -> None:
    due = today() + timedelta(days=30)
    response = as_user(app, people["admin"]).post(PAGE, data=form(app, "Team B", due), headers=EN)
    assert response.status_code == 303
    [assignment] = assignments(app)
    assert assignment.group_id == group_id(app, "Team B")
    assert assignment.due_at == datetime.combine(due, datetime.max.time().replace(microsecond=0), BERLIN).astimezone(
        UTC
    )
    assert assignment.starts_at is None and assignment.time_zone == "Europe/Berlin"
    assert assignment.assigned_by_id == people["admin"].id
    [entry] = entries(app, "assignment_created")
    assert entry.detail == {"course": TEAM, "group": "Team B", "due": due.isoformat(), "time_zone": "Europe/Berlin"}
    page = as_user(app, people["admin"]).get(PAGE, headers=EN).get_data(as_text=True)
    assert '<th scope="row">Team B</th>' in page and "<td>Admin</td>" in page  # assigned by the admin


def test_trainer_assigns_to_a_group_they_look_after_but_not_to_another(app: Flask, people) -> None:
    client = as_user(app, people["trainer"])
    page = client.get(PAGE, headers=EN).get_data(as_text=True)
    assert "Team A" in page and "Team B" not in page  # only their own groups are offered
    due = today() + timedelta(days=7)
    assert client.post(PAGE, data=form(app, "Team A", due), headers=EN).status_code == 303
    # A group id they do not look after, sent by hand: refused next to the field, nothing saved.
    response = client.post(PAGE, data=form(app, "Team B", due), headers=EN)
    assert response.status_code == 400
    assert "Choose one of the groups you look after." in errors(response.get_data(as_text=True))
    assert [a.group_id for a in assignments(app)] == [group_id(app, "Team A")]


@pytest.mark.parametrize("who", ["manager", "member", "outsider"])
def test_managers_and_learners_may_not_assign(app: Flask, people, who: str) -> None:
    client = as_user(app, people[who])
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, data=form(app, "Team A", today() + timedelta(days=7))).status_code == 403
    assert assignments(app) == []


def test_a_trainer_cannot_change_or_remove_another_groups_assignment(app: Flask, people) -> None:
    assign(app, people, "Team B")
    [assignment] = assignments(app)
    client = as_user(app, people["trainer"])
    url = f"{PAGE}/{assignment.id}"
    later = form(app, "Team B", today() + timedelta(days=60))
    assert client.get(url).status_code == 404
    assert client.post(url, data=later).status_code == 404
    assert client.post(f"{url}/delete", data={"confirm": "yes"}).status_code == 404
    assert as_user(app, people["manager"]).post(f"{url}/delete", data={"confirm": "yes"}).status_code == 403
    assert assignments(app)[0].due_at == assignment.due_at


# --- bad input ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"due": str(date(2020, 1, 1))}, "The due date has passed (today is {today} in Europe/Berlin)."),
        ({"due": ""}, "Please enter the due date."),
        ({"due": "31.12.2026"}, "Enter a date as YYYY-MM-DD, for example 2026-03-31."),
        ({"due": "2026-02-30"}, "Enter a date as YYYY-MM-DD, for example 2026-03-31."),
        ({"due": "9999-12-31"}, "The due date must be within 5 years."),
        ({"starts": "0001-01-01"}, "The start date must be within 5 years."),
        ({"starts": "{after_due}"}, "The start date must be on or before the due date."),
        ({"time_zone": "Mars/Olympus_Mons"}, "Choose a time zone from the list."),
        ({"time_zone": "../../etc/passwd"}, "Choose a time zone from the list."),
        ({"group": "999999"}, "Choose one of the groups you look after."),
        ({"group": "x' OR 1=1 --"}, "Choose one of the groups you look after."),
        ({"group": ""}, "Choose one of the groups you look after."),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_saved(app: Flask, people, changes, message) -> None:
    due = today() + timedelta(days=10)
    data = form(app, "Team A", due)
    data.update({key: value.replace("{after_due}", str(due + timedelta(days=1))) for key, value in changes.items()})
    response = as_user(app, people["admin"]).post(PAGE, data=data, headers=EN)
    assert response.status_code == 400
    assert message.replace("{today}", today().isoformat()) in errors(response.get_data(as_text=True))
    assert assignments(app) == [] and entries(app, "assignment_created") == []


def test_a_due_date_past_in_the_chosen_zone_is_refused_there(app: Flask, people) -> None:
    """Kiritimati (UTC+14) is always a day ahead of Pago Pago (UTC-11): yesterday there is still today here."""
    ahead = today(ZoneInfo("Pacific/Kiritimati"))
    behind = ahead - timedelta(days=1)
    client = as_user(app, people["admin"])
    refused = client.post(PAGE, data=form(app, "Team A", behind, zone="Pacific/Kiritimati"), headers=EN)
    assert refused.status_code == 400
    assert f"The due date has passed (today is {ahead} in Pacific/Kiritimati)." in errors(
        refused.get_data(as_text=True)
    )
    if behind >= today(ZoneInfo("Pacific/Pago_Pago")):
        accepted = client.post(PAGE, data=form(app, "Team A", behind, zone="Pacific/Pago_Pago"), headers=EN)
        assert accepted.status_code == 303
        assert assignments(app)[0].time_zone == "Pacific/Pago_Pago"


def test_an_empty_group_cannot_be_assigned(app: Flask, people) -> None:
    response = assign(app, people, "Empty team")
    assert response.status_code == 400
    assert "This group has no members yet; add learners first." in errors(response.get_data(as_text=True))
    assert assignments(app) == []


def test_an_open_course_is_assigned_with_a_due_date_and_stays_open_to_others(app: Flask, people) -> None:
    client = as_user(app, people["admin"])
    page = client.get("/studio/courses/kam-pay/assignments", headers=EN).get_data(as_text=True)
    assert "This course is open to everyone. Assigning it to a group gives the group's learners a due date" in page
    data = form(app, "Team A", today() + timedelta(days=3))
    response = client.post("/studio/courses/kam-pay/assignments", data=data, headers=EN)
    assert response.status_code == 303
    assert [row.course_id for row in assignments(app)] == ["kam-pay"]
    member = as_user(app, people["member"]).get("/courses/kam-pay", headers=EN).get_data(as_text=True)
    assert "days left" in member or "Due" in member
    assert as_user(app, people["outsider"]).get("/courses/kam-pay", headers=EN).status_code == 200


def test_unknown_course_and_assignment_ids_are_404(app: Flask, people) -> None:
    client = as_user(app, people["admin"])
    assert client.get("/studio/courses/no-such-course/assignments").status_code == 404
    assert client.post("/studio/courses/no-such-course/assignments", data={}).status_code == 404
    assert client.get(f"{PAGE}/123456").status_code == 404
    assert client.get(f"{PAGE}/{10**30}").status_code == 404  # more than the column holds
    assert client.post(f"{PAGE}/{10**30}/delete", data={"confirm": "yes"}).status_code == 404
    assign(app, people)
    [assignment] = assignments(app)
    # The assignment exists, but not under this course.
    assert client.get(f"/studio/courses/kam-pay/assignments/{assignment.id}").status_code == 404


def test_the_form_offers_the_site_time_zone_first(app: Flask, people, make_app: Callable[..., Flask]) -> None:
    page = as_user(app, people["admin"]).get(PAGE, headers=EN).get_data(as_text=True)
    assert '<option selected value="Europe/Berlin">' in page
    new_york = make_app(
        TIME_ZONE="America/New_York", CONTENT_DIR=app.config["CONTENT_DIR"], QUIZ_DIR=app.config["QUIZ_DIR"]
    )
    page = as_user(new_york, people["admin"]).get(PAGE, headers=EN).get_data(as_text=True)
    assert '<option selected value="America/New_York">' in page


def test_an_unknown_site_time_zone_stops_the_start(make_app: Callable[..., Flask]) -> None:
    with pytest.raises(InsecureConfigError, match="TIME_ZONE must be an IANA time zone name"):
        make_app(TIME_ZONE="Europe/Atlantis")


# --- changing and removing ----------------------------------------------------------------------------------------


def test_reassigning_updates_the_row_and_records_old_and_new_dates(app: Flask, people) -> None:
    first, second = today() + timedelta(days=10), today() + timedelta(days=20)
    assert assign(app, people, due=first).status_code == 303
    response = assign(app, people, due=second, starts=str(today()), zone="America/New_York")
    assert response.status_code == 303
    [assignment] = assignments(app)
    assert assignment.time_zone == "America/New_York"
    assert assignment.due_at.astimezone(ZoneInfo("America/New_York")).date() == second
    [changed] = entries(app, "assignment_changed")
    assert changed.detail["previous_due"] == first.isoformat() and changed.detail["due"] == second.isoformat()
    assert changed.detail["previous_time_zone"] == "Europe/Berlin"
    assert changed.detail["starts"] == today().isoformat()
    assert len(entries(app, "assignment_created")) == 1


def test_moving_the_due_date_is_recorded_and_an_unchanged_form_records_nothing(app: Flask, people) -> None:
    first = today() + timedelta(days=10)
    assign(app, people, due=first)
    [assignment] = assignments(app)
    client = as_user(app, people["trainer"])
    url = f"{PAGE}/{assignment.id}"
    page = client.get(url, headers=EN).get_data(as_text=True)
    assert f'value="{first.isoformat()}"' in page
    same = {"due": str(first), "starts": "", "time_zone": "Europe/Berlin"}
    assert client.post(url, data=same).status_code == 303
    assert entries(app, "assignment_changed") == []
    later = {**same, "due": str(first + timedelta(days=5))}
    assert client.post(url, data=later).status_code == 303
    [entry] = entries(app, "assignment_changed")
    assert entry.detail["previous_due"] == first.isoformat()
    assert entry.detail["due"] == (first + timedelta(days=5)).isoformat()
    bad = {**same, "due": "2001-01-01"}
    response = client.post(url, data=bad, headers=EN)
    assert response.status_code == 400 and "The due date has passed" in response.get_data(as_text=True)
    assert assignments(app)[0].due_at == assignments(app)[0].due_at  # unchanged by the refused form
    assert len(entries(app, "assignment_changed")) == 1


def test_unassigning_asks_first_then_removes_and_records(app: Flask, people) -> None:
    assign(app, people)
    [assignment] = assignments(app)
    client = as_user(app, people["trainer"])
    url = f"{PAGE}/{assignment.id}/delete"
    assert "Unassign the course from Team A?" in client.get(url, headers=EN).get_data(as_text=True)
    assert client.post(url, data={"confirm": "no"}).status_code == 400
    assert len(assignments(app)) == 1
    assert client.post(url, data={"confirm": "yes"}).status_code == 303
    assert assignments(app) == []
    [entry] = entries(app, "assignment_removed")
    assert entry.detail["group"] == "Team A" and entry.detail["course"] == TEAM


# --- who sees an assigned course ------------------------------------------------------------------------------------

COURSE_URLS = [
    f"/courses/{TEAM}",
    LESSON,
    QUIZ,
    f"/courses/{TEAM}/sandbox",
    f"/courses/{TEAM}/certificate",
    f"/api/v1{QUIZ}",
    f"/api/v1/courses/{TEAM}/sandbox/designs",
]


def test_an_assigned_course_is_missing_for_everyone_outside_its_groups(app: Flask, people) -> None:
    assign(app, people)
    visitor = app.test_client()
    for url in COURSE_URLS[:4]:
        assert visitor.get(url).status_code == 404, url
    for who in ("outsider", "other_member", "other_trainer"):
        client = as_user(app, people[who])
        for url in COURSE_URLS:
            assert client.get(url).status_code == 404, (who, url)
        assert client.post(f"{LESSON}/complete").status_code == 404
        assert client.post(f"{QUIZ}/attempts").status_code == 404
    # The same answer as for a course that does not exist at all.
    client = as_user(app, people["outsider"])
    stranger = client.get(f"/courses/{TEAM}").get_data(as_text=True).replace(TEAM, "no-such-course")
    missing = client.get("/courses/no-such-course").get_data(as_text=True)
    assert re.sub(r'value="[^"]*"', "", stranger) == re.sub(r'value="[^"]*"', "", missing)


def test_members_watchers_and_admins_see_an_assigned_course(app: Flask, people) -> None:
    assign(app, people)
    for who in ("member", "trainer", "manager", "admin"):
        client = as_user(app, people[who])
        for url in COURSE_URLS:
            assert client.get(url).status_code == 200, (who, url)


def test_an_assigned_course_opens_for_members_on_its_start_date(app: Flask, people) -> None:
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    insert_assignment(app, "Team A", due_at=tomorrow + timedelta(days=9), starts_at=tomorrow)
    assert as_user(app, people["member"]).get(f"/courses/{TEAM}").status_code == 404
    assert as_user(app, people["trainer"]).get(f"/courses/{TEAM}").status_code == 200  # prepares it before


def test_the_open_course_stays_open_to_everyone(app: Flask, people) -> None:
    assign(app, people)
    for client in (app.test_client(), as_user(app, people["outsider"])):
        assert client.get("/courses/kam-pay").status_code == 200
        assert client.get("/courses/kam-pay/lessons/kams-are-not-salespeople").status_code == 200


# --- the home page ------------------------------------------------------------------------------------------------


def test_visitors_and_outsiders_see_only_the_open_course(app: Flask, people) -> None:
    assign(app, people)
    for client in (app.test_client(), as_user(app, people["outsider"])):
        page = client.get("/", headers=EN).get_data(as_text=True)
        assert "Paying key-account managers" in page and "team edition" not in page


def test_the_assigned_course_comes_first_with_its_due_date(app: Flask, people) -> None:
    due = today() + timedelta(days=12)
    assign(app, people, due=due)
    page = as_user(app, people["member"]).get("/", headers=EN).get_data(as_text=True)
    assert page.index("team edition") < page.index("Paying key-account managers")
    assert f"Due by {due.strftime('%B')} {due.day}, {due.year}" in page
    assert "12 days left" in page and "overdue" not in page


def test_an_overdue_assignment_says_so_in_words(app: Flask, people) -> None:
    insert_assignment(app, "Team A", due_at=datetime.now(UTC) - timedelta(days=2))
    page = as_user(app, people["member"]).get("/", headers=EN).get_data(as_text=True)
    assert ">overdue<" in page and "Was due by" in page


def test_with_one_visible_course_the_home_page_is_its_overview_with_the_due_date(
    app: Flask, people, tmp_path: Path, make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    insert_assignment(app, "Team A", due_at=datetime.now(UTC) - timedelta(days=2))
    shutil.rmtree(tmp_path / "content" / "kam-pay")
    shutil.rmtree(tmp_path / "quizzes" / "kam-pay")
    only_team = make_app(CONTENT_DIR=str(tmp_path / "content"), QUIZ_DIR=str(tmp_path / "quizzes"))
    reads = []
    monkeypatch.setattr(
        assignment_operations, "reach", lambda user, read=assignment_operations.reach: reads.append(1) or read(user)
    )
    page = sign_in(only_team.test_client(), people["member"].id).get("/", headers=EN).get_data(as_text=True)
    assert "Paying KAMs: team edition" in page and ">overdue<" in page and "Start the course" in page
    assert len(reads) == 1  # the courses and the due date in one read, the overview's as the list's
    visitor = only_team.test_client().get("/", headers=EN).get_data(as_text=True)
    assert "No course has been published yet." in visitor


def test_the_home_pages_read_of_assignments_gives_the_stored_moments_and_roles(app: Flask, people) -> None:
    """On the bare driver (course/fast/assignments.py) as through the session, the dates come as the model gives
    them: aware, in UTC."""
    due = datetime(2031, 3, 4, 17, 30, tzinfo=UTC)
    insert_assignment(app, "Team A", due_at=due, starts_at=datetime(2020, 1, 2, 8, 0, tzinfo=UTC))
    for fast_paths in (True, False):
        app.config["FAST_PATHS"] = fast_paths
        with app.app_context():
            member, watcher, outsider = (
                assignment_operations.reach(db.session.get(User, people[name].id))
                for name in ("member", "manager", "outsider")
            )
        assert member.visible == {TEAM} and member.dues[TEAM].due_at == due, fast_paths
        assert member.dues[TEAM].due_at.tzinfo is not None and member.dues[TEAM].time_zone == "Europe/Berlin"
        assert watcher.visible == {TEAM} and watcher.dues == {}  # the group's manager sees the course, owes nothing
        assert outsider.visible == frozenset() and outsider.dues == {}


def test_open_courses_ask_the_database_nothing_about_assignments(
    app: Flask, people, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lesson page is a benchmarked fast path: an open course must not cost a query for its visibility."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("an open course asked the database about assignments")

    monkeypatch.setattr(assignment_operations, "may_see_course", refuse)
    monkeypatch.setattr(assignment_operations, "reach", refuse)
    client = as_user(app, people["member"])
    assert client.get("/courses/kam-pay/lessons/kams-are-not-salespeople").status_code == 200
    assert client.get("/courses/kam-pay/quizzes/kam-mandate-quiz").status_code == 200
    with app.test_request_context():  # visitors' home page asks nothing either
        open_courses = [course for course in catalog().courses if course.access == "open"]
        assert assignment_operations.home_courses(AnonymousUserMixin(), open_courses) == (open_courses, {})


def test_the_page_lane_serves_an_assigned_courses_lesson_to_its_members_alone(app: Flask, people) -> None:
    assign(app, people)
    flask_calls = counting_flask(app)
    member, outsider = as_user(app, people["member"]), as_user(app, people["outsider"])
    warm(member, LESSON)
    by_flask, by_lane, by_the_lane = both_ways(app, member, flask_calls, LESSON)
    assert by_the_lane and by_lane.status_code == 200
    same(by_flask, by_lane)
    warm(outsider, "/")  # signs the session's CSRF token, which the lane needs
    before = flask_calls.calls
    assert outsider.get(LESSON).status_code == 404 and flask_calls.calls == before + 1
