"""Inviting from a CSV file in the browser: every bad row named with its line and nobody invited, or everyone
created in one transaction with their invitations, which jobs then send; refused ones show to admins."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from course.extensions import db
from course.models import User
from tests.admin_helpers import DE, EN, admin_client, entries, stored, upload
from tests.quiz_helpers import client_for, faster_apps

URL = "/admin/users/import"


@pytest.fixture
def app(make_app, monkeypatch: pytest.MonkeyPatch) -> Flask:
    return faster_apps(make_app, monkeypatch)()


@pytest.fixture
def admin(app: Flask, make_user):
    return admin_client(app, make_user)


def user_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)))


def send(client, data: bytes, filename: str = "people.csv", headers: dict[str, str] = EN):
    return client.post(URL, headers=headers, **upload(data, filename))


def test_the_page_explains_the_columns(app, admin) -> None:
    client, _admin = admin
    html = client.get(URL, headers=EN).get_data(as_text=True)
    assert "Columns: email (required), name, role, language, group." in html
    assert 'type="file"' in html and 'accept=".csv' in html


@pytest.mark.parametrize(
    "data",
    [
        b"email,name,role,language\nanna@example.org,Anna Schmidt,trainer,en\nben@example.org,Ben Jones,,\n",
        "\ufeffE-Mail;Name;Rolle;Sprache\r\nanna@example.org;Anna Schmidt;Trainer;EN\r\n"
        "ben@example.org;Ben Jones;;\r\n".encode(),
    ],
    ids=["commas", "german-excel"],
)
def test_a_good_file_creates_everyone_and_mails_each_their_invitation(app, admin, mailbox, data: bytes) -> None:
    client, ada = admin
    response = send(client, data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "2 accounts created." in html and "Their invitations are being sent." in html
    anna, ben = stored(app, "anna@example.org"), stored(app, "ben@example.org")
    assert (anna.display_name, anna.role, anna.locale, anna.password_hash) == ("Anna Schmidt", "trainer", "en", None)
    assert (ben.role, ben.locale) == ("learner", "de")  # the defaults: learner, the site's language
    assert mailbox.last_to("anna@example.org").subject == "Ada Admin invites you to KAM course"
    assert mailbox.last_to("ben@example.org").subject == "Ada Admin lädt Sie zu KAM-Kurs ein"
    assert any("/auth/invitation/" in link for link in mailbox.last_to("ben@example.org").links)
    invited = entries(app, "invited")
    assert sorted(entry.target_label for entry in invited) == ["anna@example.org", "ben@example.org"]
    assert all(entry.detail["source"] == "csv" and entry.actor_id == ada.id for entry in invited)


def test_every_bad_row_is_listed_and_nobody_is_invited(app, admin, make_user, mailbox) -> None:
    client, _admin = admin
    make_user(email="taken@example.org")
    before = user_count(app)
    data = (
        b"email;name;role;language\n"
        b"good@example.org;Good;learner;de\n"
        b"bad-address;Bad;learner;de\n"
        b"taken@example.org;Taken;learner;de\n"
        b"twice@example.org;One;learner;de\n"
        b"twice@example.org;Two;learner;de\n"
        b";Nobody;learner;de\n"
        b"role@example.org;Role;boss;de\n"
        b"lang@example.org;Lang;learner;fr\n"
        b"cells@example.org;Cells;learner;de;extra\n"
        b"ctrl@example.org;C\x07trl;learner;de\n" + b"long@example.org;" + b"L" * 121 + b";learner;de\n"
    )
    response = send(client, data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "The file has 9 problems. Nobody has been invited." in html
    for expected in (
        "Line 3: “bad-address” is not a valid email address.",
        "Line 4: taken@example.org already has an account.",
        "Line 6: twice@example.org is in the file twice: on line 5 and on line 6.",
        "Line 7: The email address is missing.",
        "Line 8: Unknown role “boss”: use one of learner, manager, trainer, admin.",
        "Line 9: Unknown language “fr”: use one of de, en.",
        "Line 10: This row has 5 cells, but the first row names only 4 columns.",
        "Line 11: The column “name” contains invisible control characters.",
        "Line 12: The name is longer than 120 characters.",
    ):
        assert expected in html, expected
    assert 'role="alert"' in html
    assert user_count(app) == before
    assert stored(app, "good@example.org") is None
    assert mailbox.to("good@example.org") == []
    assert entries(app) == []


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "people.csv", "The file is empty."),
        (b"name,role\nAnna,learner\n", "people.csv", "The first row must name the columns: email (required)"),
        (b"email\n" + b"".join(b"p%d@x.de\n" % n for n in range(100_000)), "big.csv", "more than 2000 people"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "image.csv", "This is not a text file."),
        ("email\nmüller@example.org\n".encode("cp1252"), "people.csv", "The file is not UTF-8 text"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00", "people.csv", "This is a spreadsheet workbook, not a CSV file."),
        (b"email\nanna@example.org\n", "people.xlsx", "Upload a .csv or .txt file."),
    ],
    ids=["empty", "columns", "100k-rows", "binary", "latin-1", "workbook", "extension"],
)
def test_a_file_that_cannot_be_read_gets_one_clear_message(
    app, admin, data: bytes, filename: str, message: str
) -> None:
    client, _admin = admin
    before = user_count(app)
    response = send(client, data, filename)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert user_count(app) == before


def test_no_file_is_refused_at_the_field(app, admin) -> None:
    client, _admin = admin
    response = client.post(URL, data={}, content_type="multipart/form-data", headers=EN)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Choose a CSV file." in html and 'id="file-error"' in html


def test_a_file_over_the_upload_limit_gets_the_form_back_with_a_message(app, admin) -> None:
    client, _admin = admin
    data = b"email\n" + b"a" * (3 * 1024 * 1024)
    response = send(client, data)
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "The file is too large: at most 2048 KB." in html and 'id="file-error"' in html
    assert 'type="file"' in html


def test_the_too_large_page_is_not_shown_to_someone_who_is_not_an_admin(app, make_user) -> None:
    learner = client_for(app, make_user())
    for client in (app.test_client(), learner):
        response = send(client, b"email\n" + b"a" * (3 * 1024 * 1024))
        assert response.status_code == 413
        assert 'type="file"' not in response.get_data(as_text=True)


def test_refused_invitations_are_shown_to_admins_and_their_accounts_stay(app, admin, mailbox) -> None:
    client, _admin = admin
    mailbox.refuse.add("gone@example.org")
    response = send(client, b"email\nanna@example.org\ngone@example.org\nben@example.org\n")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "3 accounts created." in html and "Their invitations are being sent." in html
    assert mailbox.received == []  # the page did not wait for the mail server
    assert mailbox.to("anna@example.org") and mailbox.to("ben@example.org") and not mailbox.to("gone@example.org")
    gone = stored(app, "gone@example.org")
    page = client.get(f"/admin/users/{gone.id}", headers=EN).get_data(as_text=True)
    assert "Send the invitation again" in page and "refused it for good" in page
    assert "gone@example.org" in client.get("/admin/mail", headers=EN).get_data(as_text=True)


def test_the_problems_are_german_for_a_german_admin(app, make_user) -> None:
    client, _admin = admin_client(app, make_user, locale="de")
    response = send(client, b"email\nnope\n", headers=DE)
    html = response.get_data(as_text=True)
    assert "Zeile 2: „nope“ ist keine gültige E-Mail-Adresse." in html


def test_with_csrf_protection_on_a_too_large_upload_still_gets_the_form_back(make_app, make_user) -> None:
    """In production the CSRF check reads the form first: the 413 comes from there, and is still the form page."""
    app = make_app(WTF_CSRF_ENABLED=True)
    client, _admin = admin_client(app, make_user)
    client.get(URL)
    response = send(client, b"email\n" + b"a" * (3 * 1024 * 1024))
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "The file is too large: at most 2048 KB." in html and 'name="csrf_token"' in html


def make_group(app: Flask, name: str) -> int:
    from course.groups import operations as groups

    with app.app_context():
        group = groups.create_group(name)
        db.session.commit()
        return group.id


def test_a_group_column_puts_each_new_account_into_its_groups(app, admin, mailbox) -> None:
    client, _ada = admin
    dach, accounts = make_group(app, "KAM team DACH"), make_group(app, "Key accounts")
    data = b"email;name;group\nanna@example.org;Anna;kam team dach | Key accounts\nben@example.org;Ben;\n"
    response = send(client, data)
    assert response.status_code == 200, response.get_data(as_text=True)
    with app.app_context():
        from course.models import GroupMembership

        rows = db.session.execute(
            select(GroupMembership.group_id, User.email, GroupMembership.role_in_group, GroupMembership.source).join(
                User, User.id == GroupMembership.user_id
            )
        ).all()
    assert sorted(rows) == sorted(
        [(dach, "anna@example.org", "member", "csv"), (accounts, "anna@example.org", "member", "csv")]
    )


def test_a_group_that_does_not_exist_is_named_with_its_line_and_nobody_is_invited(app, admin, mailbox) -> None:
    client, _ada = admin
    make_group(app, "KAM team DACH")
    before = user_count(app)
    response = send(client, b"email,group\nanna@example.org,KAM team DACH\nben@example.org,KAM team Nordics\n")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "There is no group “KAM team Nordics”. Create it on the Groups page first, or correct the name." in html
    assert "3" in html  # the line
    assert user_count(app) == before
    assert mailbox.mails == []
