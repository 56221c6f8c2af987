"""The token API's read endpoints (and the two member changes) for HR systems: what each returns, its filters, its
stable cursor paging with `next`, progress that agrees with the completion rule, erased accounts that show nothing
personal, and bad parameters refused with 400 and the parameter's name."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from course import events
from course.account import operations as accounts
from course.core import completion
from course.extensions import db
from course.groups import operations as groups
from course.models import AuditEntry, Certificate, CourseAssignment, LessonProgress, User, utcnow
from course.publishing.cache import catalog
from tests.hr_helpers import bearer, make_token, nearly_complete
from tests.quiz_helpers import faster_apps

COURSE = "kam-pay"


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    return faster_apps(make_app, monkeypatch)


@pytest.fixture
def api(app: Flask, client):
    """GET (or another method) on /api/v1 with a token that has every scope; returns the response."""
    token = make_token(app)

    def call(path: str, method: str = "GET", **kwargs):  # noqa: ANN202
        headers = {**bearer(token), "Accept-Language": "en", **kwargs.pop("headers", {})}
        return client.open(
            path if path.startswith("http") else f"/api/v1{path}", method=method, headers=headers, **kwargs
        )

    return call


def every_item(api, path: str) -> list[dict]:
    """Follow `next` from the first page to the last."""
    items, url = [], path
    while url:
        page = api(url).get_json()
        items += page["items"]
        url = page["next"]
    return items


@pytest.fixture
def site(app: Flask, make_user):
    """A finished learner, one halfway and overdue, one who has not started, one erased, a trainer; a group with
    the first two, the course assigned to it and due yesterday."""
    done, halfway, idle, erased = (make_user(display_name=f"Learner {n}") for n in range(4))
    trainer = make_user(role="trainer")
    last = nearly_complete(app, done)
    with app.test_request_context():
        course = catalog().course(COURSE)
        db.session.add(LessonProgress(user_id=done.id, course_id=COURSE, lesson_id=last.rsplit("/", 1)[1]))
        db.session.add(LessonProgress(user_id=halfway.id, course_id=COURSE, lesson_id=course.lesson_ids[0]))
        team = groups.create_group("KAM team DACH")
        for member in (done, halfway):
            groups.add_member(team, db.session.get(User, member.id), actor=None)
        groups.add_member(team, db.session.get(User, trainer.id), "trainer", actor=None)
        db.session.add(
            CourseAssignment(
                course_id=COURSE, group_id=team.id, due_at=utcnow() - timedelta(days=1), time_zone="Europe/Berlin"
            )
        )
        accounts.delete_account(db.session.get(User, erased.id), None)
        db.session.commit()
        return {"done": done, "halfway": halfway, "idle": idle, "erased": erased, "trainer": trainer, "group": team.id}


# --- Users and groups ------------------------------------------------------------------------------------------------


def test_users_are_paged_by_id_with_a_next_link_on_the_public_url(api, site) -> None:
    first = api("/users?limit=2").get_json()
    assert len(first["items"]) == 2 and first["next"].startswith("http://127.0.0.1:5000/api/v1/users?")
    everyone = every_item(api, "/users?limit=2")
    assert [u["id"] for u in everyone] == sorted(u["id"] for u in everyone)
    assert len(everyone) == 5


def test_an_erased_account_shows_only_its_id(api, site) -> None:
    erased = site["erased"]
    document = api(f"/users/{erased.id}").get_json()
    assert document["erased"] is True and set(document) == {"id", "erased", "erased_at"}
    listed = [u for u in every_item(api, "/users") if u["id"] == erased.id]
    assert listed == [document]
    assert api(f"/users?email={erased.email}").get_json()["items"] == []


def test_user_filters(api, site) -> None:
    def ids(query: str) -> list[int]:
        return [u["id"] for u in every_item(api, f"/users?{query}")]

    assert ids(f"group={site['group']}") == [site[k].id for k in ("done", "halfway", "trainer")]
    assert ids("role=trainer") == [site["trainer"].id]
    assert ids("status=erased") == [site["erased"].id]
    assert ids(f"email={site['idle'].email.upper()}") == [site["idle"].id]
    user = api(f"/users/{site['done'].id}").get_json()
    assert user["groups"] == [{"id": site["group"], "name": "KAM team DACH", "role_in_group": "member"}]
    assert user["email"] == site["done"].email and user["role"] == "learner"


def test_groups_and_their_members(api, site) -> None:
    (group,) = api("/groups").get_json()["items"]
    assert group["members"] == {"member": 2, "trainer": 1, "manager": 0}
    assert api(f"/groups/{site['group']}").get_json() == group
    members = every_item(api, f"/groups/{site['group']}/members?limit=1&group_id=5")  # look-alike argument
    assert [m["user_id"] for m in members] == [site[k].id for k in ("done", "halfway", "trainer")]
    assert api("/groups/999999").status_code == 404


def test_members_are_added_and_removed_with_users_write(app: Flask, api, site) -> None:
    url = f"/groups/{site['group']}/members"
    added = api(url, "POST", json={"email": site["idle"].email})
    assert added.status_code == 201 and added.get_json()["source"].startswith("api:kamc_"[:4])
    assert api(url, "POST", json={"user_id": site["idle"].id}).get_json()["error"] == "already_member"
    for body, code in [
        ({"user_id": site["erased"].id}, "unknown_account"),
        ({"email": "nobody@example.org"}, "unknown_account"),
        ({"email": site["idle"].email, "user_id": site["idle"].id}, "invalid_body"),
        ({}, "invalid_body"),
        ({"user_id": "7"}, "invalid_body"),
        ({"email": site["halfway"].email, "role_in_group": "boss"}, "invalid_body"),
    ]:
        response = api(url, "POST", json=body)
        assert (response.status_code, response.get_json()["error"]) == (422, code), body
    assert api(url, "POST", data="x").status_code == 415
    assert api(f"{url}/{site['idle'].id}", "DELETE").status_code == 204
    assert api(f"{url}/{site['idle'].id}", "DELETE").status_code == 404
    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.target_user_id == site["idle"].id).order_by(AuditEntry.id)
        ).all()
    assert [(e.action, e.detail["source"][:4]) for e in entries] == [
        ("group_member_added", "api:"),
        ("group_member_removed", "api:"),
    ]


def test_a_read_only_token_cannot_change_members(app: Flask, client, site) -> None:
    token = make_token(app, "users:read")
    response = client.post(f"/api/v1/groups/{site['group']}/members", json={"user_id": 1}, headers=bearer(token))
    assert response.status_code == 403 and response.get_json()["error"] == "insufficient_scope"


# --- Assignments, progress, certificates -----------------------------------------------------------------------------


def test_assignments_with_filters(api, site) -> None:
    (assignment,) = api(f"/assignments?course={COURSE}&group={site['group']}").get_json()["items"]
    assert assignment["group"] == {"id": site["group"], "name": "KAM team DACH"}
    assert assignment["due_at"].endswith("Z")
    tomorrow = (utcnow() + timedelta(days=1)).isoformat()
    assert api("/assignments", query_string={"updated_since": tomorrow}).get_json()["items"] == []


def test_progress_per_learner_agrees_with_the_completion_rule(app: Flask, api, site) -> None:
    items = {item["user_id"]: item for item in every_item(api, f"/progress?course={COURSE}&limit=2")}
    assert list(items) == [site[k].id for k in ("done", "halfway", "idle")]  # learners only, no erased account
    done, halfway, idle = items[site["done"].id], items[site["halfway"].id], items[site["idle"].id]
    assert (done["status"], done["completed"], done["percent"], done["overdue"]) == ("completed", True, 100, False)
    assert done["completed_at"] is not None and done["due_at"] is not None
    assert (halfway["status"], halfway["completed"], halfway["overdue"]) == ("in_progress", False, True)
    assert halfway["lessons_done"] == 1 and 0 < halfway["percent"] < 100 and halfway["completed_at"] is None
    assert (idle["status"], idle["percent"], idle["due_at"], idle["overdue"]) == ("not_started", 0, None, False)
    with app.app_context():
        rule = catalog().course(COURSE).requirements
        for user_id, item in items.items():
            learner = events.learner_progress(user_id, rule)
            assert item["percent"] == completion.percent(rule, learner)
            assert item["completed"] == completion.complete(rule, learner)
            assert item["lessons_done"] == len(completion.lessons_done(rule, learner))


def test_progress_filters(api, site) -> None:
    def ids(query: str) -> list[int]:
        return [item["user_id"] for item in every_item(api, f"/progress?{query}")]

    assert ids(f"course={COURSE}&status=completed") == [site["done"].id]
    assert ids(f"course={COURSE}&group={site['group']}") == [site["done"].id, site["halfway"].id]
    assert ids(f"user={site['idle'].id}") == [site["idle"].id] * len(catalog_ids(api))
    tomorrow = (utcnow() + timedelta(days=1)).isoformat()
    assert api("/progress", query_string={"updated_since": tomorrow}).get_json()["items"] == []


def catalog_ids(api) -> list[str]:
    return sorted({item["course_id"] for item in every_item(api, "/progress")})


def test_certificates_issued_and_revoked(app: Flask, api, site) -> None:
    with app.app_context():
        for n, (user, revoked) in enumerate([(site["done"], False), (site["halfway"], True), (site["erased"], False)]):
            db.session.add(
                Certificate(
                    public_id=f"{n}" * 26,
                    user_id=user.id,
                    course_id=COURSE,
                    record={},
                    signature="s",
                    key_id="k",
                    revoked_at=utcnow() if revoked else None,
                    revoked_reason="wrong person" if revoked else None,
                )
            )
        db.session.commit()
    items = every_item(api, "/certificates?limit=2")
    assert [c["status"] for c in items] == ["issued", "revoked", "issued"]
    assert items[0]["user"]["email"] == site["done"].email
    assert items[0]["verify_url"] == "http://127.0.0.1:5000/verify/" + "0" * 26
    assert items[1]["revoked_reason"] == "wrong person"
    assert items[2]["user"] == {"id": site["erased"].id, "erased": True, "erased_at": items[2]["user"]["erased_at"]}
    assert [c["id"] for c in every_item(api, "/certificates?status=revoked")] == ["1" * 26]
    assert [c["id"] for c in every_item(api, f"/certificates?user={site['done'].id}")] == ["0" * 26]


# --- Bad input -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # checked before any query
@pytest.mark.parametrize(
    ("query", "parameter", "message"),
    [
        ("/users?limit=0", "limit", "limit must be a whole number from 1 to 200."),
        ("/users?limit=201", "limit", "limit must be a whole number from 1 to 200."),
        ("/users?limit=ten", "limit", "limit must be a whole number from 1 to 200."),
        ("/users?limit=%C2%B2", "limit", "limit must be a whole number from 1 to 200."),  # a superscript two
        ("/users?group=x", "group", "group must be a positive whole number."),
        ("/users?group=99999999999", "group", "group must be a positive whole number."),
        ("/users?role=boss", "role", "role must be one of: learner, manager, trainer, admin."),
        ("/users?cursor=!!", "cursor", "This cursor is not valid: use the next link of the previous page."),
        ("/users?cursor=YWJj", "cursor", "This cursor is not valid: use the next link of the previous page."),
        ("/progress?cursor=a2FtLXBheS94", "cursor", "This cursor is not valid"),
        ("/progress?course=nope", "course", "There is no course nope."),
        ("/progress?status=done", "status", "status must be one of: certified, completed, in_progress, not_started."),
        ("/certificates?updated_since=yesterday", "updated_since", "updated_since must be a date and time like"),
        ("/assignments?updated_since=2026-13-01", "updated_since", "updated_since must be a date and time like"),
        ("/progress?updated_since=0001-01-01T00:00:00%2B01:00", "updated_since", "updated_since must be a date"),
    ],
)
def test_a_bad_parameter_is_400_and_named(api, query: str, parameter: str, message: str) -> None:
    response = api(query)
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_parameter" and body["parameter"] == parameter
    assert body["message"].startswith(message)


def test_ids_past_the_database_range_are_404(api) -> None:
    assert api("/users/99999999999").status_code == 404
    assert api("/groups/99999999999/members").status_code == 404
