"""`flask users ...` and `flask audit purge` as an operator uses them: the same checks as the admin pages, and an
audit entry for every change, its actor "command line"."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from course.extensions import db
from course.models import AuditEntry, User, utcnow
from tests.admin_helpers import by_id, entries, stored

PASSWORD = "a long enough password"


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)))


def csv_file(tmp_path: Path, text: str | bytes) -> str:
    path = tmp_path / "people.csv"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return str(path)


# --- the existing commands now leave audit entries ----------------------------------------------------------------


def test_create_set_password_deactivate_activate_and_set_role_are_recorded(app, runner) -> None:
    commands = [
        (["users", "create", "lena@example.org", "--password-stdin"], PASSWORD + "\n"),
        (["users", "set-password", "lena@example.org", "--password-stdin"], "another long passphrase\n"),
        (["users", "deactivate", "lena@example.org"], None),
        (["users", "activate", "lena@example.org"], None),
        (["users", "set-role", "lena@example.org", "trainer"], None),
    ]
    for args, stdin in commands:
        result = runner.invoke(args=args, input=stdin)
        assert result.exit_code == 0, result.output
    recorded = entries(app)
    assert [entry.action for entry in recorded] == [
        "registered",
        "password_reset",
        "deactivated",
        "reactivated",
        "role_changed",
    ]
    assert {(entry.actor_id, entry.actor_label, entry.target_label) for entry in recorded} == {
        (None, "command line", "lena@example.org")
    }
    assert recorded[-1].detail == {"from": "learner", "to": "trainer"}


def test_set_password_from_stdin_still_checks_the_policy(app, runner, make_user) -> None:
    make_user(email="lena@example.org")
    result = runner.invoke(args=["users", "set-password", "lena@example.org", "--password-stdin"], input="short\n")
    assert result.exit_code == 2 and "at least 15 characters" in result.output
    assert entries(app) == []


def test_deactivating_ends_the_sessions(app, runner, make_user) -> None:
    user = make_user(email="lena@example.org")
    from tests.quiz_helpers import client_for

    browser = client_for(app, user)
    assert runner.invoke(args=["users", "deactivate", "lena@example.org"]).exit_code == 0
    assert browser.get("/courses/kam-pay/certificate").status_code == 302


@pytest.mark.parametrize(
    "args",
    [
        ["users", "set-role", "boss@example.org", "learner"],
        ["users", "deactivate", "boss@example.org"],
        ["users", "delete", "boss@example.org", "--yes"],
    ],
)
def test_the_last_active_admin_stays(app, runner, make_user, args: list[str]) -> None:
    make_user(role="admin", email="boss@example.org")
    result = runner.invoke(args=args)
    assert result.exit_code == 2
    assert "boss@example.org is the last active admin" in result.output
    boss = stored(app, "boss@example.org")
    assert (boss.role, boss.active, boss.deleted_at) == ("admin", True, None)
    assert entries(app) == []


# --- invite ---------------------------------------------------------------------------------------------------------


def test_invite_creates_the_account_and_mails_the_invitation(app, runner, mailbox) -> None:
    result = runner.invoke(
        args=[
            "users",
            "invite",
            "Lena@Example.org",
            "--name",
            "Lena Neu",
            "--role",
            "trainer",
            "--lang",
            "en",
            "--inviter",
            "The training team",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Invited lena@example.org as trainer." in result.output
    user = stored(app, "lena@example.org")
    assert (user.display_name, user.role, user.locale, user.password_hash) == ("Lena Neu", "trainer", "en", None)
    mail = mailbox.last_to("lena@example.org")
    assert mail.subject == "The training team invites you to KAM course"
    assert any("/auth/invitation/" in link for link in mail.links)
    (entry,) = entries(app, "invited")
    assert (entry.actor_label, entry.target_user_id) == ("command line", user.id)


def test_invite_without_an_inviter_names_nobody(app, runner, mailbox) -> None:
    assert runner.invoke(args=["users", "invite", "lena@example.org", "--lang", "de"]).exit_code == 0
    mail = mailbox.last_to("lena@example.org")
    assert mail.subject == "Sie sind zu KAM-Kurs eingeladen"
    assert "Sie wurden zu KAM-Kurs eingeladen" in mail.text and "Sie wurden zu KAM-Kurs eingeladen" in mail.html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["users", "invite", "not-an-address"], "“not-an-address” is not a valid email address."),
        (["users", "invite", "a@example.org", "--name", "x" * 121], "The name is longer than 120 characters."),
        (["users", "invite", "a@example.org", "--role", "king"], "Invalid value for '--role'"),
        (["users", "invite", "a@example.org", "--lang", "fr"], "Invalid value for '--lang'"),
        (["users", "invite", "taken@example.org"], "taken@example.org already has an account"),
    ],
)
def test_invite_refuses_bad_input(app, runner, make_user, mailbox, args: list[str], message: str) -> None:
    make_user(email="taken@example.org")
    before = user_count(app)
    result = runner.invoke(args=args)
    assert result.exit_code == 2
    assert message in result.output
    assert user_count(app) == before
    assert mailbox.mails == []


def test_invite_keeps_the_account_and_reports_a_refused_mail(app, runner, mailbox) -> None:
    mailbox.refuse.add("lena@example.org")
    result = runner.invoke(args=["users", "invite", "lena@example.org"])
    assert result.exit_code == 1
    assert "not sent to lena@example.org: SMTPRecipientsRefused" in result.output
    assert "tried again and shown at /admin/mail" in result.output
    assert stored(app, "lena@example.org") is not None
    assert len(entries(app, "invited")) == 1


# --- import ---------------------------------------------------------------------------------------------------------


def test_import_invites_everyone_in_the_file(app, runner, mailbox, tmp_path: Path) -> None:
    path = csv_file(tmp_path, "\ufeffE-Mail;Name;Rolle\r\nanna@example.org;Anna;trainer\r\nben@example.org;Ben;\r\n")
    result = runner.invoke(args=["users", "import", path])
    assert result.exit_code == 0, result.output
    assert "Created 2 account(s); sent 2 invitation(s)." in result.output
    assert stored(app, "anna@example.org").role == "trainer"
    assert mailbox.to("anna@example.org") and mailbox.to("ben@example.org")
    assert [entry.detail["source"] for entry in entries(app, "invited")] == ["csv", "csv"]


def test_import_lists_every_bad_row_and_invites_nobody(app, runner, make_user, mailbox, tmp_path: Path) -> None:
    make_user(email="taken@example.org")
    before = user_count(app)
    path = csv_file(
        tmp_path,
        "email,role\ngood@example.org,learner\nnope,learner\ntaken@example.org,learner\ngood@example.org,boss\n",
    )
    result = runner.invoke(args=["users", "import", path])
    assert result.exit_code == 1
    assert f"{path}: line 3: “nope” is not a valid email address." in result.output
    assert f"{path}: line 4: taken@example.org already has an account." in result.output
    assert f"{path}: line 5: Unknown role “boss”: use one of learner, manager, trainer, admin." in result.output
    assert "3 problem(s); nobody was invited." in result.output
    assert user_count(app) == before
    assert mailbox.mails == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"name\nAnna\n", "The first row must name the columns"),
        (b"email\n" + b"".join(b"p%d@x.de\n" % n for n in range(100_000)), "more than 2000 people"),
        (b"\x00\x01\x02binary", "This is not a text file."),
    ],
)
def test_import_refuses_a_file_it_cannot_read(app, runner, tmp_path: Path, data: bytes, message: str) -> None:
    result = runner.invoke(args=["users", "import", csv_file(tmp_path, data)])
    assert result.exit_code == 1
    assert message in result.output
    assert user_count(app) == 0


def test_import_reports_refused_invitations_and_keeps_the_accounts(app, runner, mailbox, tmp_path: Path) -> None:
    mailbox.refuse.add("gone@example.org")
    result = runner.invoke(args=["users", "import", csv_file(tmp_path, "email\nanna@example.org\ngone@example.org\n")])
    assert result.exit_code == 1
    assert "Created 2 account(s); sent 1 invitation(s)." in result.output
    assert "not sent to gone@example.org" in result.output
    assert stored(app, "gone@example.org") is not None


# --- delete and list ------------------------------------------------------------------------------------------------


def test_delete_needs_confirmation_then_erases_the_account(app, runner, make_user) -> None:
    user = make_user(email="lena@example.org")
    refused = runner.invoke(args=["users", "delete", "lena@example.org"], input="n\n")
    assert refused.exit_code == 1
    assert by_id(app, user.id).deleted_at is None
    result = runner.invoke(args=["users", "delete", "lena@example.org", "--yes"])
    assert result.exit_code == 0, result.output
    erased = by_id(app, user.id)
    assert erased.deleted_at is not None and erased.email != "lena@example.org"
    (entry,) = entries(app, "deleted")
    assert (entry.actor_id, entry.actor_label, entry.target_user_id) == (None, "command line", user.id)
    assert runner.invoke(args=["users", "delete", "lena@example.org", "--yes"]).exit_code == 2


def test_list_filters_by_role_and_status(app, runner, make_user) -> None:
    make_user(email="lena@example.org", display_name="Lena")
    make_user(role="trainer", email="tom@example.org", display_name="Tom")
    runner.invoke(args=["users", "deactivate", "tom@example.org"])
    everyone = runner.invoke(args=["users", "list"])
    assert everyone.exit_code == 0
    assert [line.split("\t")[:3] for line in everyone.stdout.splitlines()] == [
        ["lena@example.org", "learner", "active"],
        ["tom@example.org", "trainer", "deactivated"],
    ]
    assert "2 account(s)." in everyone.stderr
    trainers = runner.invoke(args=["users", "list", "--role", "trainer", "--status", "active"])
    assert trainers.stdout == ""
    assert runner.invoke(args=["users", "list", "--status", "sleeping"]).exit_code == 2


# --- audit purge ----------------------------------------------------------------------------------------------------


def test_purge_removes_entries_older_than_the_retention(app, runner) -> None:
    with app.app_context():
        for days in (1, 100, 800):
            db.session.add(
                AuditEntry(action="login", actor_label="a@example.org", created_at=utcnow() - timedelta(days=days))
            )
        db.session.commit()
    result = runner.invoke(args=["audit", "purge"])
    assert result.exit_code == 0
    assert "Removed 1 audit entry older than 730 day(s)." in result.output
    result = runner.invoke(args=["audit", "purge", "--days", "30"])
    assert "Removed 1 audit entry older than 30 day(s)." in result.output
    assert len(entries(app)) == 1
    assert runner.invoke(args=["audit", "purge", "--days", "-1"]).exit_code == 2
