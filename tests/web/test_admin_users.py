"""The admin's account pages: the list (search, filters, sorting, pages, counts), one account and its changes,
the last-admin guard, and the audit entry each change leaves."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import event, insert, select, update

from course.extensions import db
from course.models import SsoIdentity, User, UserSession, utcnow
from tests.admin_helpers import DE, EN, admin_client, by_id, entries
from tests.quiz_helpers import client_for, faster_apps

CERTIFICATE_PAGE = "/courses/kam-pay/certificate"  # any page that needs a login


@pytest.fixture
def app(make_app, monkeypatch: pytest.MonkeyPatch) -> Flask:
    return faster_apps(make_app, monkeypatch)()


@pytest.fixture
def admin(app: Flask, make_user):
    return admin_client(app, make_user)


def rows(html: str) -> list[str]:
    """The names in the account table, in order."""
    return re.findall(r'<th scope="row"><a href="/admin/users/\d+">([^<]*)</a></th>', html)


def set_columns(app: Flask, email: str, **values: object) -> None:
    with app.app_context():
        db.session.execute(update(User).where(User.email == email).values(**values))
        db.session.commit()


def add_identity(app: Flask, user_id: int, provider: str = "azure", subject: str = "sub-123") -> None:
    with app.app_context():
        db.session.add(SsoIdentity(user_id=user_id, provider=provider, subject=subject))
        db.session.commit()


def sessions_of(app: Flask, user_id: int) -> int:
    with app.app_context():
        return len(db.session.scalars(select(UserSession).where(UserSession.user_id == user_id)).all())


# --- the list ---------------------------------------------------------------------------------------------------


def test_the_list_shows_every_account_with_role_status_and_counts(app, admin, make_user) -> None:
    client, _admin = admin
    make_user(email="lena@example.org", display_name="Lena Lernt")
    make_user(role="trainer", email="tom@example.org", display_name="Tom Trainer")
    html = client.get("/admin/users", headers=EN).get_data(as_text=True)
    assert rows(html) == ["Ada Admin", "Lena Lernt", "Tom Trainer"]
    assert "<caption" in html and "Accounts 1–3 of 3" in html
    assert 'scope="col"' in html and 'role="region"' in html and 'tabindex="0"' in html
    assert "tom@example.org" in html and "Trainer" in html
    assert re.search(r"<dt>Active</dt><dd><a [^>]*>3</a></dd>", html)
    assert re.search(r"<dt>Deleted</dt><dd><a [^>]*>0</a></dd>", html)


def test_search_finds_name_or_email_case_insensitively(app, admin, make_user) -> None:
    client, _admin = admin
    make_user(email="lena@example.org", display_name="Lena Lernt")
    make_user(email="max@firma.de", display_name="Max Mustermann")
    assert rows(client.get("/admin/users?q=LERNT").get_data(as_text=True)) == ["Lena Lernt"]
    assert rows(client.get("/admin/users?q=FIRMA.DE").get_data(as_text=True)) == ["Max Mustermann"]
    assert rows(client.get("/admin/users?q=%25").get_data(as_text=True)) == []  # a literal %, not a wildcard


def test_filters_by_role_status_sign_in_and_last_login(app, admin, make_user) -> None:
    client, ada = admin
    learner = make_user(email="lena@example.org", display_name="Lena")
    make_user(role="trainer", email="tom@example.org", display_name="Tom")
    gone = make_user(email="dora@example.org", display_name="Dora")
    sso = make_user(email="sso@example.org", display_name="Sven")
    invited = make_user(email="ina@example.org", display_name="Ina")
    set_columns(app, "dora@example.org", active=False)
    set_columns(app, "sso@example.org", password_hash=None, last_login_at=utcnow() - timedelta(days=40))
    add_identity(app, sso.id)
    set_columns(app, "ina@example.org", password_hash=None)
    set_columns(app, "lena@example.org", last_login_at=utcnow() - timedelta(days=100))
    set_columns(app, "tom@example.org", last_login_at=utcnow() - timedelta(days=1))
    set_columns(app, "ada@example.org", last_login_at=utcnow())
    erased = make_user(email="erased@example.org", display_name="Erik")
    set_columns(app, "erased@example.org", deleted_at=utcnow(), active=False)

    def names(query: str) -> list[str]:
        response = client.get(f"/admin/users?{query}")
        assert response.status_code == 200
        return rows(response.get_data(as_text=True))

    assert "Erik" not in names("")  # deleted accounts are hidden by default
    assert names("role=trainer") == ["Tom"]
    assert names("role=admin") == ["Ada Admin"]
    assert names("status=deactivated") == ["Dora"]
    assert names("status=invited") == ["Ina"]
    assert names("status=deleted") == ["Erik"]
    assert names("status=active") == ["Ada Admin", "Lena", "Sven", "Tom"]
    assert names("sign_in=sso") == ["Sven"]
    assert names("sign_in=none") == ["Ina"]
    assert "Sven" not in names("sign_in=password") and "Lena" in names("sign_in=password")
    assert "Ina" in names("last_login=never") and "Tom" not in names("last_login=never")
    assert names("last_login=30") == ["Lena", "Sven"]
    assert names("last_login=90") == ["Lena"]
    assert names("role=learner&status=active&last_login=30") == ["Lena", "Sven"]
    assert {learner.id, gone.id, invited.id, erased.id, ada.id}  # all made


def test_unknown_filter_values_fall_back_instead_of_failing(app, admin) -> None:
    client, _admin = admin
    for query in ("role=king", "status=x", "sort=password_hash", "dir=sideways", "page=-1", "page=99999", "page=1e9"):
        response = client.get(f"/admin/users?{query}")
        assert response.status_code == 200, query
        assert rows(response.get_data(as_text=True)) == ["Ada Admin"]


def test_sorting_by_each_column_in_both_directions(app, admin, make_user) -> None:
    client, _admin = admin
    make_user(email="zed@example.org", display_name="anna")
    make_user(email="bert@example.org", display_name="Zora")
    set_columns(app, "zed@example.org", last_login_at=utcnow() - timedelta(days=2))
    set_columns(app, "ada@example.org", last_login_at=utcnow() - timedelta(days=5))

    def names(query: str) -> list[str]:
        return rows(client.get(f"/admin/users?{query}").get_data(as_text=True))

    assert names("sort=name") == ["Ada Admin", "anna", "Zora"]  # case-insensitive
    assert names("sort=name&dir=desc") == ["Zora", "anna", "Ada Admin"]
    assert names("sort=email") == ["Ada Admin", "Zora", "anna"]  # ada@, bert@, zed@
    assert names("sort=created") == ["Ada Admin", "anna", "Zora"]
    assert names("sort=created&dir=desc") == ["Zora", "anna", "Ada Admin"]
    assert names("sort=last_login") == ["Ada Admin", "anna", "Zora"]  # never logged in: last
    assert names("sort=last_login&dir=desc") == ["anna", "Ada Admin", "Zora"]
    html = client.get("/admin/users?sort=email&dir=desc").get_data(as_text=True)
    assert 'aria-sort="descending"' in html


def test_pages_of_fifty_keep_the_filter_in_their_links(app, admin) -> None:
    client, _admin = admin
    with app.app_context():
        db.session.execute(
            insert(User),
            [
                {"email": f"p{n:03d}@example.org", "display_name": f"Person {n:03d}", "role": "learner", "locale": "de"}
                for n in range(120)
            ],
        )
        db.session.commit()
    first = client.get("/admin/users?q=person&sort=email", headers=EN).get_data(as_text=True)
    assert len(rows(first)) == 50
    assert "Accounts 1–50 of 120" in first
    links = set(re.findall(r'href="(/admin/users\?[^"]*page=\d[^"]*)"', first))
    assert any("page=3" in link for link in links)
    assert all("q=person" in link and "sort=email" in link for link in links)
    third = client.get("/admin/users?q=person&sort=email&page=3", headers=EN).get_data(as_text=True)
    assert rows(third)[-1] == "Person 119" and len(rows(third)) == 20


@pytest.mark.usefixtures("steady_frame_origins")
def test_the_list_costs_the_same_queries_and_stays_fast_with_ten_thousand_accounts(app, admin) -> None:
    client, _admin = admin
    url = "/admin/users?q=example&status=active&sign_in=password&sort=last_login&dir=desc"
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    def measure() -> tuple[int, float]:
        statements.clear()
        event.listen(engine, "before_cursor_execute", record)
        started = time.perf_counter()
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return len(statements), time.perf_counter() - started

    client.get(url)
    few, _seconds = measure()
    with app.app_context():
        now = utcnow()
        db.session.execute(
            insert(User),
            [
                {
                    "email": f"user{n:05d}@example.org",
                    "display_name": f"User {n:05d}",
                    "role": ("learner", "trainer")[n % 2],
                    "password_hash": "x" if n % 3 else None,
                    "last_login_at": now - timedelta(hours=n) if n % 5 else None,
                    "locale": "de",
                }
                for n in range(10_000)
            ],
        )
        db.session.commit()
    many, seconds = measure()
    assert many == few
    assert seconds < 2.0


# --- one account ------------------------------------------------------------------------------------------------


def test_the_detail_page_shows_the_account_its_identities_and_its_audit_entries(app, admin, make_user) -> None:
    client, _admin = admin
    user = make_user(email="lena@example.org", display_name="Lena Lernt")
    add_identity(app, user.id, "azure", "abc-123")
    client.post(f"/admin/users/{user.id}/role", data={"role": "trainer"})
    html = client.get(f"/admin/users/{user.id}", headers=EN).get_data(as_text=True)
    for text in ("Lena Lernt", "lena@example.org", "Trainer", "Active", "Address confirmed", "azure", "abc-123"):
        assert text in html, text
    assert "Role changed" in html and "from: learner; to: trainer" in html
    assert client.get("/admin/users/999999").status_code == 404


def test_changing_the_role_is_recorded(app, admin, make_user) -> None:
    client, ada = admin
    user = make_user(email="lena@example.org")
    response = client.post(f"/admin/users/{user.id}/role", data={"role": "trainer"}, headers=EN)
    assert response.status_code == 303
    assert by_id(app, user.id).role == "trainer"
    (entry,) = entries(app, "role_changed")
    assert (entry.actor_id, entry.actor_label, entry.target_user_id) == (ada.id, ada.email, user.id)
    assert entry.detail == {"from": "learner", "to": "trainer"}
    page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert "lena@example.org is now: Trainer." in page


def test_the_same_role_again_changes_and_records_nothing(app, admin, make_user) -> None:
    client, _admin = admin
    user = make_user(email="lena@example.org")
    assert client.post(f"/admin/users/{user.id}/role", data={"role": "learner"}).status_code == 303
    assert entries(app, "role_changed") == []


@pytest.mark.parametrize("role", ["", "king", "ADMIN", "a\u202e"])
def test_an_unknown_role_is_refused_at_the_field(app, admin, make_user, role: str) -> None:
    client, _admin = admin
    user = make_user(email="lena@example.org")
    response = client.post(f"/admin/users/{user.id}/role", data={"role": role}, headers=EN)
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert by_id(app, user.id).role == "learner"


def test_the_last_admin_cannot_demote_deactivate_or_delete_themselves(app, admin) -> None:
    client, ada = admin
    message = "This is the last active administrator"
    for url, data in (
        (f"/admin/users/{ada.id}/role", {"role": "trainer"}),
        (f"/admin/users/{ada.id}/active", {"active": "0"}),
        (f"/admin/users/{ada.id}/delete", {"confirm": "yes"}),
    ):
        response = client.post(url, data=data, headers=EN, follow_redirects=True)
        assert response.status_code == 200
        assert message in response.get_data(as_text=True), url
    stored_admin = by_id(app, ada.id)
    assert (stored_admin.role, stored_admin.active, stored_admin.deleted_at) == ("admin", True, None)
    assert entries(app, "role_changed") == entries(app, "deactivated") == entries(app, "deleted") == []


def test_an_inactive_admin_does_not_count_as_the_other_admin(app, admin, make_user) -> None:
    client, ada = admin
    other = make_user(role="admin", email="other@example.org")
    set_columns(app, "other@example.org", active=False)
    response = client.post(f"/admin/users/{ada.id}/role", data={"role": "learner"}, headers=EN, follow_redirects=True)
    assert "This is the last active administrator" in response.get_data(as_text=True)
    assert by_id(app, other.id).role == "admin" and by_id(app, ada.id).role == "admin"


def test_with_a_second_admin_an_admin_may_step_down(app, admin, make_user) -> None:
    client, ada = admin
    make_user(role="admin", email="other@example.org")
    assert client.post(f"/admin/users/{ada.id}/role", data={"role": "trainer"}).status_code == 303
    assert by_id(app, ada.id).role == "trainer"
    assert client.get("/admin/users").status_code == 403  # no longer an admin, at once


def test_deactivating_ends_the_accounts_sessions_and_is_recorded(app, admin, make_user) -> None:
    client, ada = admin
    user = make_user(email="lena@example.org")
    browser = client_for(app, user)
    assert browser.get(CERTIFICATE_PAGE).status_code == 200
    response = client.post(f"/admin/users/{user.id}/active", data={"active": "0"}, headers=EN, follow_redirects=True)
    assert "lena@example.org is deactivated and has been logged out everywhere." in response.get_data(as_text=True)
    assert sessions_of(app, user.id) == 0
    assert browser.get(CERTIFICATE_PAGE).headers["Location"].startswith("/auth/login")
    assert by_id(app, user.id).active is False
    html = client.get("/admin/users?status=deactivated").get_data(as_text=True)
    assert rows(html) == ["Test Learner"]
    client.post(f"/admin/users/{user.id}/active", data={"active": "1"})
    assert by_id(app, user.id).active is True
    assert [entry.action for entry in entries(app)] == ["deactivated", "reactivated"]
    assert all(entry.actor_id == ada.id and entry.target_user_id == user.id for entry in entries(app))


@pytest.mark.parametrize("value", ["", "2", "true", "on"])
def test_an_unknown_active_value_changes_nothing(app, admin, make_user, value: str) -> None:
    client, _admin = admin
    user = make_user(email="lena@example.org")
    assert client.post(f"/admin/users/{user.id}/active", data={"active": value}).status_code == 400
    assert by_id(app, user.id).active is True
    assert entries(app) == []


def test_a_deactivated_admin_cannot_open_the_admin_pages(app, admin, make_user) -> None:
    client, _ada = admin
    other = make_user(role="admin", email="other@example.org")
    browser = client_for(app, other)
    client.post(f"/admin/users/{other.id}/active", data={"active": "0"})
    assert browser.get("/admin/users").headers["Location"].startswith("/auth/login")


# --- links by mail ------------------------------------------------------------------------------------------------


def test_a_password_reset_link_is_mailed_and_recorded(app, admin, make_user, mailbox) -> None:
    client, ada = admin
    user = make_user(email="lena@example.org", locale="de", display_name="Lena Lernt")
    response = client.post(f"/admin/users/{user.id}/reset", headers=EN, follow_redirects=True)
    assert "A link to set a new password is being sent to lena@example.org." in response.get_data(as_text=True)
    mail = mailbox.last_to("lena@example.org")
    assert "Lena Lernt" in mail.text
    assert any("/auth/password/reset/" in link for link in mail.links)
    (entry,) = entries(app, "password_reset_requested")
    assert (entry.actor_id, entry.target_user_id) == (ada.id, user.id)


def test_an_invited_account_gets_its_invitation_again(app, admin, make_user, mailbox) -> None:
    client, ada = admin
    user = make_user(email="ina@example.org", locale="en", display_name="Ina")
    set_columns(app, "ina@example.org", password_hash=None)
    page = client.get(f"/admin/users/{user.id}", headers=EN).get_data(as_text=True)
    assert "Send the invitation again" in page and "Send a password-reset link" not in page
    response = client.post(f"/admin/users/{user.id}/reset", headers=EN, follow_redirects=True)
    assert "The invitation to ina@example.org is being sent again." in response.get_data(as_text=True)
    mail = mailbox.last_to("ina@example.org")
    assert mail.subject == "Ada Admin invites you to KAM course"
    assert any("/auth/invitation/" in link for link in mail.links)
    (entry,) = entries(app, "invited")
    assert entry.detail == {"role": "learner", "resent": True}


def test_a_refused_mail_shows_on_the_accounts_page(app, admin, make_user, mailbox) -> None:
    client, _admin = admin
    user = make_user(email="lena@example.org")
    mailbox.refuse.add("lena@example.org")
    client.post(f"/admin/users/{user.id}/reset", headers=EN)
    assert mailbox.mails == []
    page = client.get(f"/admin/users/{user.id}", headers=EN).get_data(as_text=True)
    assert "Mails not sent yet" in page and "Password link" in page and "550" in page


def test_no_link_is_sent_to_a_deactivated_account(app, admin, make_user, mailbox) -> None:
    client, _admin = admin
    user = make_user(email="lena@example.org")
    set_columns(app, "lena@example.org", active=False)
    response = client.post(f"/admin/users/{user.id}/reset", headers=EN, follow_redirects=True)
    assert "reactivate it before sending a link" in response.get_data(as_text=True)
    assert mailbox.to("lena@example.org") == []


# --- deleting -----------------------------------------------------------------------------------------------------


def test_deleting_asks_first_then_erases_the_account(app, admin, make_user) -> None:
    client, ada = admin
    user = make_user(email="lena@example.org", display_name="Lena Lernt")
    browser = client_for(app, user)
    page = client.get(f"/admin/users/{user.id}/delete", headers=EN)
    assert page.status_code == 200
    assert "Delete the account of lena@example.org?" in page.get_data(as_text=True)
    assert by_id(app, user.id).deleted_at is None  # the GET only asks
    response = client.post(f"/admin/users/{user.id}/delete", data={"confirm": "yes"}, headers=EN)
    assert response.status_code == 303 and response.headers["Location"] == "/admin/users"
    erased = by_id(app, user.id)
    assert erased.deleted_at is not None and erased.email != "lena@example.org" and erased.display_name == ""
    assert browser.get(CERTIFICATE_PAGE).status_code == 302
    (entry,) = entries(app, "deleted")
    assert (entry.actor_id, entry.target_user_id) == (ada.id, user.id)
    assert "lena@example.org" not in (entry.target_label or "")
    listed = client.get("/admin/users?status=deleted", headers=EN).get_data(as_text=True)
    assert len(rows(listed)) == 1
    detail = client.get(f"/admin/users/{user.id}", headers=EN).get_data(as_text=True)
    assert "Deleted" in detail and "Change the role" not in detail


def test_a_deleted_account_cannot_be_changed_any_more(app, admin, make_user) -> None:
    client, _admin = admin
    user = make_user(email="lena@example.org")
    client.post(f"/admin/users/{user.id}/delete", data={"confirm": "yes"})
    for url, data in (
        (f"/admin/users/{user.id}/role", {"role": "admin"}),
        (f"/admin/users/{user.id}/active", {"active": "1"}),
        (f"/admin/users/{user.id}/reset", {}),
        (f"/admin/users/{user.id}/delete", {"confirm": "yes"}),
    ):
        response = client.post(url, data=data, headers=EN, follow_redirects=True)
        assert "This account has been deleted" in response.get_data(as_text=True), url
    erased = by_id(app, user.id)
    assert (erased.role, erased.active) == ("learner", False)


def test_deleting_without_the_confirmation_field_changes_nothing(app, admin, make_user) -> None:
    client, _admin = admin
    user = make_user(email="lena@example.org")
    assert client.post(f"/admin/users/{user.id}/delete", data={"confirm": "no"}).status_code == 400
    assert by_id(app, user.id).deleted_at is None


def test_another_admin_may_be_deleted_while_one_remains(app, admin, make_user) -> None:
    client, _admin = admin
    other = make_user(role="admin", email="other@example.org")
    assert client.post(f"/admin/users/{other.id}/delete", data={"confirm": "yes"}).status_code == 303
    assert by_id(app, other.id).deleted_at is not None


def test_the_pages_are_german_for_a_german_admin(app, make_user) -> None:
    client, _admin = admin_client(app, make_user, locale="de")
    user = make_user(email="lena@example.org")
    assert "Konten" in client.get("/admin/users", headers=DE).get_data(as_text=True)
    html = client.get(f"/admin/users/{user.id}", headers=DE).get_data(as_text=True)
    assert "Deaktivieren" in html


def test_admin_pages_are_never_stored_by_the_browser(app, admin) -> None:
    client, _admin = admin
    assert client.get("/admin/users").headers["Cache-Control"] == "no-store"


def test_two_admins_demoting_each_other_at_once_leave_one_admin(app, make_user, monkeypatch) -> None:
    """Both requests read before either writes (a barrier in front of the guard); the guard's lock then makes the
    second one see the first one's change, so one of them is refused."""
    from course.admin import operations
    from tests.web.test_concurrency import at_once

    first, ada = admin_client(app, make_user)
    second, bea = admin_client(app, make_user, email="bea@example.org", display_name="Bea Admin")
    both_read = threading.Barrier(2, timeout=10)
    guard = operations._refuse_last_admin

    def after_both_read(user: User) -> None:
        both_read.wait()
        guard(user)

    monkeypatch.setattr(operations, "_refuse_last_admin", after_both_read)
    at_once(
        lambda: first.post(f"/admin/users/{bea.id}/role", data={"role": "trainer"}),
        lambda: second.post(f"/admin/users/{ada.id}/role", data={"role": "trainer"}),
    )
    assert sorted(by_id(app, user.id).role for user in (ada, bea)) == ["admin", "trainer"]
    assert len(entries(app, "role_changed")) == 1
