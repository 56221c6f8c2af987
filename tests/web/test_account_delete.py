"""Deleting an account erases the person: nothing personal is left in any table, the anonymised attempts still count
in the statistics, the certificate stays valid without showing the name, and the address can register again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from course.account.operations import delete_account
from course.auth import operations as accounts
from course.certificates import operations as certificates
from course.certificates.keys import key_path
from course.core import caching
from course.core.certificates.credential import verify_credential
from course.core.certificates.signing import public_key_from_multibase
from course.extensions import db
from course.models import (
    AccountToken,
    AuditEntry,
    Certificate,
    Group,
    GroupMembership,
    LessonProgress,
    QuizAttempt,
    QuizResult,
    SandboxAssignment,
    SandboxComment,
    SandboxDesign,
    SandboxResult,
    SandboxVersion,
    SsoIdentity,
    User,
    UserSession,
    group_key,
)
from tests.conftest import PASSWORD
from tests.quiz_helpers import MANDATE, client_for
from tests.web.test_account_export import busy_learner, make_app  # noqa: F401 - the faster apps
from tests.web.test_certificates_verifier import live_app, run_verifier, valid, verifier  # noqa: F401 - fixtures

EN = {"Accept-Language": "en"}


def delete(client, **data: str):  # noqa: ANN001, ANN201 - a test client and its response
    return client.post("/account/delete", data=data, headers=EN)


def count(app: Flask, model: type, **where: object) -> int:
    with app.app_context():
        statement = select(func.count()).select_from(model)
        for name, value in where.items():
            statement = statement.where(getattr(model, name) == value)
        return db.session.scalar(statement)


def statistics(trainer) -> str:  # noqa: ANN001 - a test client
    return trainer.get(f"/studio/courses/kam-pay/quizzes/{MANDATE}/statistics", headers=EN).get_data(as_text=True)


def every_text_in_the_database(app: Flask) -> str:
    """Every row of every table as text, to search for what must be gone."""
    rows = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            rows += [repr(tuple(row)) for row in db.session.execute(table.select())]
    return "\n".join(rows)


def test_the_page_says_what_happens_and_asks_for_the_password(client, make_user, login_as) -> None:
    login_as(make_user(locale="en"))
    page = client.get("/account/delete", headers=EN).get_data(as_text=True)
    assert "cannot be undone" in page and "Your certificates stay valid" in page
    assert 'name="password"' in page and 'href="/account/export"' in page


@pytest.mark.parametrize(
    ("password", "message"),
    [("", "Please enter your current password."), ("nope nope nope", "This is not your current password.")],
)
def test_a_wrong_password_deletes_nothing(app, client, make_user, login_as, password: str, message: str) -> None:
    user = make_user(locale="en")
    login_as(user)
    response = delete(client, password=password)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user.id).deleted_at is None
    assert client.get("/account").status_code == 200


def test_deleting_erases_the_person_from_every_table_and_keeps_the_statistics(app, make_user) -> None:
    learner = busy_learner(app, make_user)
    user = learner.user
    with app.app_context():
        db.session.add(SsoIdentity(user_id=user.id, provider="company", subject="zoe-at-company"))
        accounts.issue_token(db.session.get(User, user.id), "reset")
        db.session.commit()
    learner.client.post("/account", data={"display_name": "Zoë Ångström", "locale": "de"})
    learner.client.post("/account/email", data={"email": "zoe.new@example.org", "password": PASSWORD})
    other_browser = client_for(app, user)
    trainer_client = client_for(app, learner.trainer)
    assert "<dt>Attempts</dt><dd>1</dd>" in statistics(trainer_client)

    response = delete(learner.client, password=PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Ihr Konto und Ihre personenbezogenen Daten sind gelöscht." in learner.client.get("/").get_data(as_text=True)
    assert learner.client.get("/account").status_code == 302 and other_browser.get("/account").status_code == 302

    with app.app_context():
        row = db.session.get(User, user.id)
        assert (row.email, row.display_name, row.password_hash, row.locale, row.last_login_at) == (
            f"deleted-{user.id}@invalid",
            "",
            None,
            None,
            None,
        )
        assert (row.active, row.email_verified, row.deleted_at is not None) == (False, False, True)
        design = db.session.get(SandboxDesign, learner.design_id)
        assert design.name == f"Design {learner.design_id}" and design.user_id == user.id
        deleted = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "deleted")).one()
        assert (deleted.actor_id, deleted.target_user_id, deleted.ip) == (user.id, user.id, None)
        assert deleted.actor_label == deleted.target_label == f"deleted-{user.id}@invalid"
    for model in (UserSession, AccountToken, SsoIdentity, LessonProgress, QuizResult, SandboxResult, SandboxAssignment):
        assert count(app, model, user_id=user.id) == 0, model.__name__
    assert count(app, SandboxComment) == 0  # the trainer's comment on the design
    assert (
        count(app, QuizAttempt, user_id=user.id) == 1 and count(app, SandboxVersion, design_id=learner.design_id) == 1
    )

    stored = every_text_in_the_database(app)
    for personal in ("zoe@example.org", "zoe.new@example.org", "Zoë", "zoe-at-company", "secret plan"):
        assert personal not in stored, personal

    caching.clear_all()  # the item statistics computed afresh from the stored attempts
    assert "<dt>Attempts</dt><dd>1</dd>" in statistics(trainer_client)  # the anonymised attempt still counts

    learners = trainer_client.get("/studio/courses/kam-pay/learners", headers=EN).get_data(as_text=True)
    assert f"deleted-{user.id}" not in learners and "/learners/{user.id}" not in learners
    assert f"deleted-{user.id}" not in trainer_client.get("/studio/courses/kam-pay/learners.csv").get_data(as_text=True)
    assert trainer_client.get(f"/studio/courses/kam-pay/learners/{user.id}").status_code == 404
    designs = trainer_client.get("/courses/kam-pay/sandbox/designs", headers=EN).get_data(as_text=True)
    assert f"Design {learner.design_id}" not in designs

    stranger = app.test_client()
    refused = stranger.post("/auth/login", data={"email": "zoe@example.org", "password": PASSWORD})
    assert refused.status_code == 400
    again = stranger.post(
        "/auth/register",
        data={"display_name": "Zoë Again", "email": "zoe@example.org", "password": PASSWORD, "confirm": PASSWORD},
    )
    assert again.status_code == 302
    with app.app_context():
        fresh = accounts.find_user("zoe@example.org")
        assert fresh.id != user.id and fresh.deleted_at is None


def test_the_certificate_stays_valid_but_its_page_no_longer_names_the_holder(app, make_user) -> None:
    learner = busy_learner(app, make_user)
    credential = learner.client.get(f"/certificates/{learner.certificate}/credential.json").get_json()
    assert "Zoë Ångström" in learner.client.get(f"/verify/{learner.certificate}", headers=EN).get_data(as_text=True)

    assert delete(learner.client, password=PASSWORD).status_code == 302
    page = app.test_client().get(f"/verify/{learner.certificate}", headers=EN).get_data(as_text=True)
    assert "Valid certificate" in page and "Zoë" not in page
    assert "The holder's data was erased at their request, so the name is not shown here." in page
    with app.app_context():
        row = db.session.scalar(select(Certificate).where(Certificate.public_id == learner.certificate))
        assert row.revoked_at is None and "Zoë" not in json.dumps(row.record, ensure_ascii=False)
        assert certificates.check(learner.certificate).status == "valid"  # the nameless record is signed anew
        assert row.status_index not in certificates.revoked_status_indexes()
    issuer = app.test_client().get("/certificates/issuer.json").get_json()
    keys = {m["id"]: public_key_from_multibase(m["publicKeyMultibase"]) for m in issuer["verificationMethod"]}
    assert verify_credential(credential, keys).valid  # the holder's copy, checked against what is published

    trainer = client_for(app, learner.trainer)
    listing = trainer.get("/courses/kam-pay/certificates", headers=EN).get_data(as_text=True)
    assert "<em>Deleted account</em>" in listing and "Zoë" not in listing and "Re-issue" not in listing
    refused = trainer.post(f"/certificates/{learner.certificate}/reissue", data={"name": "Someone Else"}, headers=EN)
    assert refused.status_code == 302
    assert count(app, Certificate) == 1


def test_without_the_signing_key_nothing_is_deleted_and_the_page_says_try_later(app, make_user) -> None:
    learner = busy_learner(app, make_user)
    key_path(app).unlink()
    response = delete(learner.client, password=PASSWORD)
    assert response.status_code == 503 and "Please try again later." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, learner.user.id).deleted_at is None
    assert count(app, LessonProgress, user_id=learner.user.id) > 0


def test_an_account_without_a_password_confirms_with_its_address(app, client, make_user, login_as) -> None:
    user = make_user(password=None, locale="en", email="sso@example.org")
    login_as(user)
    page = client.get("/account/delete", headers=EN).get_data(as_text=True)
    assert 'name="email"' in page and 'name="password"' not in page
    response = delete(client, email="other@example.org")
    assert response.status_code == 400 and "This is not the address of your account." in response.get_data(as_text=True)
    assert delete(client, email=" SSO@example.org ").status_code == 302
    with app.app_context():
        assert db.session.get(User, user.id).deleted_at is not None


def test_the_only_administrator_cannot_delete_their_account(app, client, make_user, login_as) -> None:
    admin = make_user(role="admin", locale="en")
    login_as(admin)
    assert "You are the only administrator." in client.get("/account/delete", headers=EN).get_data(as_text=True)
    assert delete(client, password=PASSWORD).status_code == 403
    make_user(role="admin")
    assert delete(client, password=PASSWORD).status_code == 302


def test_an_administrator_deletes_an_account_and_a_trainers_comments_keep_their_text(app, make_user) -> None:
    learner = busy_learner(app, make_user)
    admin = make_user(role="admin", email="admin@example.org")
    trainer_id = learner.trainer.id
    second = busy_learner(app, make_user, name="Bea Beispiel", email="bea@example.org", trainer=learner.trainer)
    with app.test_request_context():
        delete_account(db.session.get(User, trainer_id), db.session.get(User, admin.id))
        db.session.commit()
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "deleted")).one()
        assert (entry.actor_id, entry.actor_label, entry.target_user_id) == (admin.id, "admin@example.org", trainer_id)
        assert entry.target_label == f"deleted-{trainer_id}@invalid"
        comments = db.session.scalars(select(SandboxComment).order_by(SandboxComment.id)).all()
        assert [(comment.author_id, comment.body) for comment in comments] == [
            (None, "Nice work, Zoë Ångström!"),
            (None, "Nice work, Bea Beispiel!"),
        ]
    page = second.client.get(f"/sandbox/designs/{second.design_id}/versions/1", headers=EN).get_data(as_text=True)
    assert "Nice work, Bea Beispiel!" in page and "A former trainer" in page and "Tina Trainer" not in page


def test_digital_bazaars_verifier_still_accepts_the_erased_holders_credential(
    live_app: Flask,  # noqa: F811 - the fixture imported above
    verifier: Path,  # noqa: F811 - the fixture imported above
    make_user,
) -> None:
    """The independent verifier (tests/web/test_certificates_verifier.py) checks the holder's copy after the erasure:
    signature, published key and revocation bit, all fetched from the running site."""
    learner = busy_learner(live_app, make_user)
    credential = learner.client.get(f"/certificates/{learner.certificate}/credential.json").get_json()
    assert delete(learner.client, password=PASSWORD).status_code == 302
    report = run_verifier(verifier, live_app, {"erased holder": credential})
    assert report["issuer"]["ok"], report["issuer"]
    assert valid(report["credentials"]["erased holder"]), report["credentials"]["erased holder"]


def test_deleting_takes_the_person_out_of_every_group(app, make_user) -> None:
    learner, admin = make_user(), make_user(role="admin")
    with app.app_context():
        team = Group(name="KAM team DACH", name_key=group_key("KAM team DACH"))
        db.session.add(team)
        db.session.flush()
        db.session.add(GroupMembership(group_id=team.id, user_id=learner.id, role_in_group="member", source="manual"))
        db.session.commit()
        delete_account(db.session.get(User, learner.id), db.session.get(User, admin.id))
        db.session.commit()
        assert db.session.scalar(select(func.count(GroupMembership.user_id))) == 0
        assert db.session.get(Group, team.id) is not None  # the group stays
