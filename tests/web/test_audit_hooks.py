"""The actions outside the account pages that the audit log must show: certificate revocation and re-issue,
publishing in the studio, and rubric-weight changes — each with who did it and on what."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from course.extensions import db
from course.models import AuditEntry
from tests.quiz_helpers import client_for
from tests.web.test_authoring_publishing import LESSON, browser, studio_publish
from tests.web.test_certificates_routes import issued


def entries(app: Flask, action: str) -> list[AuditEntry]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()
        db.session.expunge_all()
        return list(rows)


def test_revoking_and_reissuing_a_certificate_are_recorded_with_the_trainer_and_the_holder(
    app, client, make_user, login_as
) -> None:
    learner, pid = issued(app, client, make_user, login_as)
    trainer_user = make_user(role="trainer", email="trainer@example.org")
    trainer = client_for(app, trainer_user)
    trainer.post(f"/certificates/{pid}/reissue", data={"name": "Zoë Ångström-Berg", "reason": "Name changed"})
    (reissued,) = entries(app, "certificate_reissued")
    assert (reissued.actor_id, reissued.actor_label) == (trainer_user.id, "trainer@example.org")
    assert (reissued.target_user_id, reissued.target_label) == (learner.id, learner.email)
    assert reissued.detail["certificate"] == pid and reissued.detail["replacement"] != pid
    assert entries(app, "certificate_revoked") == []  # the re-issue revokes the old one: one entry, not two

    trainer.post(f"/certificates/{reissued.detail['replacement']}/revoke", data={"reason": "Exam fraud"})
    (revoked,) = entries(app, "certificate_revoked")
    assert revoked.actor_id == trainer_user.id and revoked.target_user_id == learner.id
    assert revoked.detail == {"certificate": reissued.detail["replacement"], "reason": "Exam fraud"}


def test_publishing_in_the_studio_is_recorded_per_file(app, make_user) -> None:
    trainer_user = make_user(role="trainer", email="author@example.org")
    trainer = browser(app, trainer_user)
    trainer.get("/")  # the first request imports the bundled course
    studio_publish(trainer, app, LESSON, lambda text: text + "\nEin neuer Satz.\n")
    (published,) = entries(app, "published")
    assert published.actor_label == "author@example.org" and published.target_label == LESSON
    assert published.detail["revision"] >= 2


def test_changing_the_rubric_weights_is_recorded_with_the_new_weights(app, make_user) -> None:
    trainer_user = make_user(role="trainer", email="weights@example.org")
    trainer = client_for(app, trainer_user)
    assert (
        trainer.post("/courses/kam-pay/sandbox/weights", data={"pay_mix": "50", "indirect_rewards": "50"}).status_code
        == 302
    )
    (changed,) = entries(app, "rubric_weights_changed")
    assert changed.actor_id == trainer_user.id and changed.target_label == "kam-pay"
    assert changed.detail["number"] == 1 and changed.detail["weights"]["pay_mix"] == 50
