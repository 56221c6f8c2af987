"""Groups in the admin area: creating, renaming and deleting groups, members by address and from a CSV file
(all or nothing, every bad row named), an account's groups on its page, the audit entries, and the read-only
manager role wherever roles are listed."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import func, select

from course.core import group_import
from course.extensions import db
from course.groups import operations as groups
from course.models import STAFF_ROLES, Group, GroupMembership, User
from tests.admin_helpers import EN, admin_client, entries, stored, upload
from tests.quiz_helpers import faster_apps
from tests.sessions import sign_in


@pytest.fixture
def app(make_app, monkeypatch: pytest.MonkeyPatch) -> Flask:
    return faster_apps(make_app, monkeypatch)()


@pytest.fixture
def admin(app: Flask, make_user):
    return admin_client(app, make_user)


def new_group(client, name: str = "KAM team DACH", description: str = "", headers=EN):
    return client.post("/admin/groups/new", data={"name": name, "description": description}, headers=headers)


def group_id(app: Flask, name: str) -> int | None:
    with app.app_context():
        group = groups.find_group(name)
        return group.id if group else None


def memberships(app: Flask, gid: int) -> dict[str, tuple[str, str]]:
    """email → (role in the group, source)."""
    with app.app_context():
        rows = db.session.execute(
            select(User.email, GroupMembership.role_in_group, GroupMembership.source)
            .join(GroupMembership, GroupMembership.user_id == User.id)
            .where(GroupMembership.group_id == gid)
        ).all()
        return {email: (role, source) for email, role, source in rows}


def page(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


# --- groups -------------------------------------------------------------------------------------------------------


def test_an_admin_creates_a_group_and_sees_it_in_the_list(app, admin) -> None:
    client, ada = admin
    response = new_group(client, "  KAM   team DACH ", "Key accounts in Germany, Austria, Switzerland")
    gid = group_id(app, "kam team dach")
    assert response.status_code == 303 and response.headers["Location"] == f"/admin/groups/{gid}"
    html = page(client.get(f"/admin/groups/{gid}", headers=EN))
    assert "<h1>KAM team DACH</h1>" in html and "Key accounts in Germany" in html
    assert "Nobody is in this group yet." in html
    listing = page(client.get("/admin/groups", headers=EN))
    assert "KAM team DACH</a>" in listing and "1 group" in listing
    [entry] = entries(app, "group_created")
    assert entry.actor_id == ada.id and entry.target_label == "KAM team DACH"
    assert entry.detail == {"group": "KAM team DACH", "source": "manual"}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Please enter a name for the group."),
        ("   ", "Please enter a name for the group."),
        ("x" * 81, "At most 80 characters, please."),
        ("Team\u200bA", "Please remove invisible control characters."),
    ],
    ids=["empty", "spaces", "too-long", "control"],
)
def test_a_bad_name_is_shown_at_the_field_and_nothing_is_saved(app, admin, name: str, message: str) -> None:
    client, _ada = admin
    response = new_group(client, name, "kept description")
    assert response.status_code == 400
    html = page(response)
    assert message in html and 'aria-invalid="true"' in html and "kept description" in html
    with app.app_context():
        assert db.session.scalar(select(func.count(Group.id))) == 0


def test_a_too_long_description_is_refused(app, admin) -> None:
    client, _ada = admin
    response = new_group(client, "Team", "d" * 1001)
    assert response.status_code == 400 and "At most 1000 characters, please." in page(response)


def test_a_name_taken_in_another_case_is_refused_at_the_field(app, admin) -> None:
    client, _ada = admin
    new_group(client, "KAM team DACH")
    response = new_group(client, "kam TEAM  dach")
    assert response.status_code == 400
    html = page(response)
    assert "Another group already has this name." in html and 'aria-invalid="true"' in html
    assert len(entries(app, "group_created")) == 1


def test_renaming_keeps_the_members_and_refuses_a_taken_name(app, admin, make_user) -> None:
    client, _ada = admin
    new_group(client, "Team North")
    new_group(client, "Team South")
    gid = group_id(app, "Team North")
    make_user(email="nina@example.org")
    client.post(f"/admin/groups/{gid}/members", data={"email": "nina@example.org", "role": "member"})
    form = client.get(f"/admin/groups/{gid}/edit", headers=EN)
    assert 'value="Team North"' in form.get_data(as_text=True)
    taken = client.post(f"/admin/groups/{gid}/edit", data={"name": "team south"}, headers=EN)
    assert taken.status_code == 400 and "Another group already has this name." in page(taken)
    same_key = client.post(f"/admin/groups/{gid}/edit", data={"name": "TEAM north", "description": "d"})
    assert same_key.status_code == 303
    renamed = client.post(f"/admin/groups/{gid}/edit", data={"name": "Team Nord", "description": "d"})
    assert renamed.status_code == 303
    assert group_id(app, "team nord") == gid and memberships(app, gid) == {"nina@example.org": ("member", "manual")}
    assert [entry.detail for entry in entries(app, "group_renamed")] == [
        {"group": "TEAM north", "from": "Team North"},
        {"group": "Team Nord", "from": "TEAM north"},
    ]


def test_deleting_asks_first_and_keeps_the_accounts(app, admin, make_user) -> None:
    client, _ada = admin
    new_group(client, "Team")
    gid = group_id(app, "Team")
    make_user(email="nina@example.org")
    client.post(f"/admin/groups/{gid}/members", data={"email": "nina@example.org", "role": "member"})
    confirm = page(client.get(f"/admin/groups/{gid}/delete", headers=EN))
    assert "Delete the group Team?" in confirm and "Its 1 member stays" in confirm
    assert group_id(app, "Team") == gid  # the GET changed nothing
    assert client.post(f"/admin/groups/{gid}/delete", data={"confirm": "no"}).status_code == 400
    response = client.post(f"/admin/groups/{gid}/delete", data={"confirm": "yes"})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/groups"
    assert group_id(app, "Team") is None and stored(app, "nina@example.org") is not None
    with app.app_context():
        assert db.session.scalar(select(func.count(GroupMembership.id))) == 0
    assert entries(app, "group_deleted")[0].detail == {"group": "Team", "members": 1}


# --- members ------------------------------------------------------------------------------------------------------


def test_members_are_added_by_address_moved_between_roles_and_removed(app, admin, make_user) -> None:
    client, ada = admin
    new_group(client, "Team")
    gid = group_id(app, "Team")
    nina = make_user(email="nina@example.org", display_name="Nina Member")
    make_user(email="tom@example.org", display_name="Tom Trainer", role="trainer")
    added = client.post(f"/admin/groups/{gid}/members", data={"email": " NINA@example.org ", "role": "member"})
    assert added.status_code == 303
    client.post(f"/admin/groups/{gid}/members", data={"email": "tom@example.org", "role": "trainer"})
    html = page(client.get(f"/admin/groups/{gid}", headers=EN))
    assert "Nina Member" in html and "Tom Trainer" in html and "2 members" in html
    assert memberships(app, gid) == {"nina@example.org": ("member", "manual"), "tom@example.org": ("trainer", "manual")}
    listing = page(client.get("/admin/groups", headers=EN))
    counts = [int(cell) for cell in re.findall(r'<td class="num">(\d+)</td>', listing)]
    assert counts == [1, 1, 0, 2]  # member, trainer, manager, total
    assert client.post(f"/admin/groups/{gid}/members/{nina.id}/role", data={"role": "manager"}).status_code == 303
    assert memberships(app, gid)["nina@example.org"] == ("manager", "manual")
    assert client.post(f"/admin/groups/{gid}/members/{nina.id}/role", data={"role": "boss"}).status_code == 400
    assert client.post(f"/admin/groups/{gid}/members/{nina.id}/remove").status_code == 303
    assert set(memberships(app, gid)) == {"tom@example.org"}
    assert client.post(f"/admin/groups/{gid}/members/{nina.id}/remove").status_code == 404
    [added_entry, _tom] = entries(app, "group_member_added")
    assert added_entry.target_user_id == nina.id and added_entry.actor_id == ada.id
    assert added_entry.detail == {"group": "Team", "role": "member", "source": "manual"}
    assert entries(app, "group_member_role_changed")[0].detail == {
        "group": "Team",
        "source": "manual",
        "from": "member",
        "to": "manager",
    }
    assert entries(app, "group_member_removed")[0].detail == {"group": "Team", "source": "manual"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "", "role": "member"}, "Please enter the email address."),
        ({"email": "not-an-address", "role": "member"}, "This does not look like an email address."),
        ({"email": "nobody@example.org", "role": "member"}, "No account has this address. Invite the person first."),
        ({"email": "nina@example.org", "role": "boss"}, "Not a valid choice."),
        ({"email": "a" * 250 + "@example.org", "role": "member"}, "At most 254 characters, please."),
    ],
    ids=["empty", "malformed", "unknown", "bad-role", "too-long"],
)
def test_a_bad_member_is_shown_at_the_field(app, admin, make_user, data: dict, message: str) -> None:
    client, _ada = admin
    new_group(client, "Team")
    gid = group_id(app, "Team")
    make_user(email="nina@example.org")
    response = client.post(f"/admin/groups/{gid}/members", data=data, headers=EN)
    assert response.status_code == 400
    assert message in page(response) and 'aria-invalid="true"' in page(response)
    assert memberships(app, gid) == {}


def test_someone_in_the_group_already_is_not_added_twice(app, admin, make_user) -> None:
    client, _ada = admin
    new_group(client, "Team")
    gid = group_id(app, "Team")
    make_user(email="nina@example.org")
    client.post(f"/admin/groups/{gid}/members", data={"email": "nina@example.org", "role": "member"})
    again = client.post(f"/admin/groups/{gid}/members", data={"email": "nina@example.org", "role": "trainer"})
    assert again.status_code == 400 and "This person is in the group already." in page(again)
    assert memberships(app, gid) == {"nina@example.org": ("member", "manual")}


def test_an_account_can_be_in_several_groups_and_its_page_lists_them(app, admin, make_user) -> None:
    client, _ada = admin
    nina = make_user(email="nina@example.org")
    for name in ("Team B", "Team A"):
        new_group(client, name)
    client.post(f"/admin/groups/{group_id(app, 'Team A')}/members", data={"email": nina.email, "role": "manager"})
    client.post(f"/admin/groups/{group_id(app, 'Team B')}/members", data={"email": nina.email, "role": "member"})
    html = page(client.get(f"/admin/users/{nina.id}", headers=EN))
    assert html.index("Team A</a> (Manager)") < html.index("Team B</a> (Member)")
    other = make_user(email="olga@example.org")
    assert "This account is in no group." in page(client.get(f"/admin/users/{other.id}", headers=EN))


# --- members from a CSV file --------------------------------------------------------------------------------------


@pytest.fixture
def team(app, admin, make_user) -> int:
    client, _ada = admin
    new_group(client, "Team")
    for email in ("anna@example.org", "ben@example.org", "carl@example.org"):
        make_user(email=email)
    return group_id(app, "Team")


def send(client, gid: int, data: bytes, headers=EN):
    return client.post(f"/admin/groups/{gid}/import", headers=headers, **upload(data))


@pytest.mark.parametrize(
    "data",
    [
        b"email,role_in_group\nanna@example.org,member\nben@example.org,trainer\n",
        "\ufeffE-Mail;Rolle\r\nANNA@example.org;Mitglied\r\nben@example.org;Trainerin\r\n".encode(),
    ],
    ids=["commas", "german-excel-bom"],
)
def test_a_good_file_adds_everyone(app, admin, team, data: bytes) -> None:
    client, _ada = admin
    assert "Columns: email (required) and role_in_group." in page(client.get(f"/admin/groups/{team}/import"))
    response = send(client, team, data)
    assert response.status_code == 303
    assert memberships(app, team) == {"anna@example.org": ("member", "csv"), "ben@example.org": ("trainer", "csv")}
    assert [entry.detail["source"] for entry in entries(app, "group_member_added")] == ["csv", "csv"]


def test_every_bad_row_is_named_and_nobody_is_added(app, admin, team, make_user) -> None:
    client, _ada = admin
    client.post(f"/admin/groups/{team}/members", data={"email": "carl@example.org", "role": "member"})
    data = (
        b"email;role_in_group\n"
        b"anna@example.org;member\n"
        b"nobody@example.org;member\n"
        b"anna@example.org;trainer\n"
        b"ben@example.org;boss\n"
        b"carl@example.org;manager\n"
        b";member\n"
    )
    response = send(client, team, data)
    assert response.status_code == 400
    html = page(response)
    assert "The file has 5 problems. Nobody has been added." in html
    for expected in (
        "Line 3: No account has the address nobody@example.org.",
        "Line 4: anna@example.org is in the file twice: on line 2 and on line 4.",
        "Line 5: Unknown role in the group “boss”: use one of member, trainer, manager.",
        "Line 6: carl@example.org is in the group already.",
        "Line 7: The email address is missing.",
    ):
        assert expected in html
    assert set(memberships(app, team)) == {"carl@example.org"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"name,role\nAnna,member\n", "The first row must name the columns: email (required) and role_in_group"),
        (b"email\n", "The file names the columns but lists nobody."),
        ("email\nanna@example.org\n".encode("utf-16"), "The file is saved as UTF-16."),
        (b"email\n" + b"x@example.org\n" * 100_000, "The file lists more than 2000 people."),
    ],
    ids=["empty", "no-header", "nobody", "utf16", "100k-rows"],
)
def test_a_file_that_cannot_be_read_is_refused_as_a_whole(app, admin, team, data: bytes, message: str) -> None:
    client, _ada = admin
    response = send(client, team, data)
    assert response.status_code == 400 and message in page(response)
    assert memberships(app, team) == {}


def test_the_file_is_read_with_the_shared_csv_reader() -> None:
    parsed = group_import.read_members(
        b"Email,Role in group,\r\nA@x.org,Fuehrungskraft,\r\nb@x.org,F\xc3\xbchrungskraft,\r\nc@x.org,,\r\n",
        roles=("member", "trainer", "manager"),
    )
    assert [(member.email, member.role) for member in parsed.members] == [("b@x.org", "manager"), ("c@x.org", "member")]
    assert [str(problem) for problem in parsed.problems] == [
        "line 2: Unknown role in the group “fuehrungskraft”: use one of member, trainer, manager."
    ]


# --- the manager role ---------------------------------------------------------------------------------------------


def test_the_manager_role_is_offered_and_read_only(app, admin, make_user, client) -> None:
    admin_browser, _ada = admin
    assert "manager" not in STAFF_ROLES
    invite = page(admin_browser.get("/admin/users/invite", headers=EN))
    assert '<option value="manager">Manager</option>' in invite
    assert '<option value="manager">Manager' in page(admin_browser.get("/admin/users", headers=EN))
    nina = make_user(email="nina@example.org")
    assert admin_browser.post(f"/admin/users/{nina.id}/role", data={"role": "manager"}).status_code == 303
    assert stored(app, "nina@example.org").role == "manager"
    assert "Manager" in page(admin_browser.get(f"/admin/users/{nina.id}", headers=EN))
    manager = sign_in(app.test_client(), nina.id)
    for url in ("/admin/groups", "/admin/users", "/studio"):
        assert manager.get(url).status_code == 403, url
    assert manager.get("/studio/courses/kam-pay/learners").status_code == 200  # reads (scoped: test_scoped_views.py)


def test_a_csv_of_people_may_name_the_manager_role_in_german(app, admin) -> None:
    client, _ada = admin
    data = "E-Mail;Name;Rolle\nmia@example.org;Mia;Führungskraft\nmo@example.org;Mo;Managerin\n".encode()
    response = client.post("/admin/users/import", headers=EN, **upload(data))
    assert response.status_code == 200
    assert stored(app, "mia@example.org").role == "manager" and stored(app, "mo@example.org").role == "manager"


def test_the_command_line_accepts_the_manager_role(app, runner, make_user) -> None:
    make_user(email="nina@example.org")
    result = runner.invoke(args=["users", "set-role", "nina@example.org", "manager"])
    assert result.exit_code == 0, result.output
    assert stored(app, "nina@example.org").role == "manager"


def test_a_file_over_the_upload_limit_gets_the_group_import_form_back(app, admin, team) -> None:
    client, _ada = admin
    response = send(client, team, b"email\n" + b"a" * (3 * 1024 * 1024))
    assert response.status_code == 413
    html = page(response)
    assert "The file is too large: at most 2048 KB." in html and 'id="file-error"' in html and 'type="file"' in html
    assert memberships(app, team) == {}
