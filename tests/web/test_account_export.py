"""The data export: one ZIP with everything the site holds about the account, machine-readable, and nobody else's."""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from course.core.certificates.credential import verify_credential
from course.core.certificates.signing import public_key_from_multibase
from course.core.sandbox import recommended_plan
from course.core.sandbox.evaluation import plan_data
from course.extensions import db
from course.models import AuditEntry, Certificate, QuizAttempt, User
from tests.quiz_helpers import attempt_key, client_for, start_attempt
from tests.sandbox_helpers import posted
from tests.web.test_certificates_routes import complete_course, make_app  # noqa: F401 - the faster apps

EN = {"Accept-Language": "en"}
SANDBOX = "/courses/kam-pay/sandbox"


@dataclass(frozen=True)
class Learner:
    """A learner who did a bit of everything: a certificate, a submitted quiz attempt, a sandbox design with a
    trainer's comment."""

    user: User
    client: FlaskClient
    certificate: str  # public id
    attempt_id: int
    design_id: int
    trainer: User


def busy_learner(
    app: Flask,
    make_user,  # noqa: ANN001 - the fixture
    name: str = "Zoë Ångström",
    email: str = "zoe@example.org",
    locale: str = "en",
    design_name: str = "Zoë's secret plan",
    trainer: User | None = None,
) -> Learner:
    user = make_user(locale=locale, display_name=name, email=email)
    client = client_for(app, user)
    complete_course(app, user)
    assert client.post("/courses/kam-pay/certificate", data={"name": name}).status_code == 302
    with app.app_context():
        public_id = db.session.scalar(select(Certificate.public_id).where(Certificate.user_id == user.id))
    attempt_id = start_attempt(client)
    key = attempt_key(app, attempt_id)
    submitted = client.post(f"/attempts/{attempt_id}", data={**key.form_data(key.wrong_answers()), "submit": "1"})
    assert submitted.status_code == 302
    started = client.post(f"{SANDBOX}/designs", data={"scenario": "defend", "example": "lesson"})
    design_id = int(re.search(r"/sandbox/designs/(\d+)", started.headers["Location"]).group(1))
    evaluated = client.post(
        f"/sandbox/designs/{design_id}", data=posted(design_name, plan_data(recommended_plan("defend")))
    )
    assert evaluated.status_code == 302
    trainer = trainer or make_user(role="trainer", display_name="Tina Trainer")
    comment = {"body": f"Nice work, {name}!", "version": "1"}
    assert client_for(app, trainer).post(f"/sandbox/designs/{design_id}/comments", data=comment).status_code == 302
    return Learner(user, client, public_id, attempt_id, design_id, trainer)


def download(client: FlaskClient, **headers: str) -> zipfile.ZipFile:
    response = client.post("/account/export", headers=headers)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="kam-course-data-\d{4}-\d\d-\d\d\.zip"', disposition), disposition
    return zipfile.ZipFile(io.BytesIO(response.data))


def read_json(archive: zipfile.ZipFile, name: str) -> object:
    return json.loads(archive.read(name).decode("utf-8"))


def test_the_page_says_what_the_download_holds(client, make_user, login_as) -> None:
    login_as(make_user(locale="en"))
    page = client.get("/account/export").get_data(as_text=True)
    for name in ("account.json", "progress.json", "quiz_attempts.json", "sandbox_designs.json", "certificates/"):
        assert name in page
    assert 'action="/account/export"' in page and 'method="post"' in page


def test_the_zip_holds_every_file_with_the_learners_data_and_nobody_elses(app, make_user) -> None:
    learner = busy_learner(app, make_user)
    other = busy_learner(app, make_user, name="Olga Other", email="olga@example.org", design_name="Olga's plan")
    archive = download(learner.client)
    folder = f"certificates/{learner.certificate}"
    assert set(archive.namelist()) == {
        "README.txt",
        "account.json",
        "progress.json",
        "quiz_attempts.json",
        "sandbox_designs.json",
        "notifications.json",
        "audit.json",
        f"{folder}/record.json",
        f"{folder}/certificate.pdf",
        f"{folder}/credential.json",
    }
    everything = b"".join(archive.read(name) for name in archive.namelist() if not name.endswith(".pdf"))
    assert b"olga" not in everything.lower() and other.certificate.encode() not in everything
    assert b"scrypt" not in everything and b"pbkdf2" not in everything and b"password_hash" not in everything

    account = read_json(archive, "account.json")
    assert (account["id"], account["email"], account["display_name"], account["role"]) == (
        learner.user.id,
        "zoe@example.org",
        "Zoë Ångström",
        "learner",
    )
    assert account["has_password"] is True and account["created_at"].endswith("+00:00")
    assert "Zoë Ångström".encode() in archive.read("account.json")  # UTF-8, not \\u escapes

    progress = read_json(archive, "progress.json")
    assert len(progress["lessons_completed"]) > 0 and len(progress["quiz_results"]) > 0
    assert progress["sandbox_assignments"][0]["course_id"] == "kam-pay"

    (attempt,) = read_json(archive, "quiz_attempts.json")
    with learner.client.application.app_context():
        stored = db.session.get(QuizAttempt, learner.attempt_id)
        assert attempt["answers"] == stored.answers and attempt["score"] == stored.score
    assert attempt["status"] == "submitted" and attempt["submitted_at"] and attempt["percent"] is not None

    (design,) = read_json(archive, "sandbox_designs.json")
    assert design["name"] == "Zoë's secret plan" and len(design["versions"]) == 1
    version = design["versions"][0]
    assert {"plan", "score", "passed", "verdicts", "created_at"} <= set(version) and version["plan"]
    assert design["comments"] == [
        {
            "version": 1,
            "author": "Tina Trainer",
            "text": "Nice work, Zoë Ångström!",
            "created_at": design["comments"][0]["created_at"],
        }
    ]

    told = read_json(archive, "notifications.json")
    assert "design_comment" in [notification["kind"] for notification in told["notifications"]]
    assert all(notification["read_at"] is None for notification in told["notifications"])
    assert told["mail_choices"] == {}

    record = read_json(archive, f"{folder}/record.json")
    assert record["status"] == "valid" and record["record"]["recipient_name"] == "Zoë Ångström"
    assert record["verify_url"].endswith(f"/verify/{learner.certificate}")
    pdf_text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(archive.read(f"{folder}/certificate.pdf"))).pages
    )
    assert "Zoë Ångström" in pdf_text
    credential = read_json(archive, f"{folder}/credential.json")
    issuer = learner.client.get("/certificates/issuer.json").get_json()
    keys = {
        method["id"]: public_key_from_multibase(method["publicKeyMultibase"]) for method in issuer["verificationMethod"]
    }
    assert verify_credential(credential, keys).valid
    page_copy = learner.client.get(f"/certificates/{learner.certificate}/credential.json").get_json()
    assert {**credential, "proof": None} == {**page_copy, "proof": None}  # signed afresh each time, else the same

    actions = [entry["action"] for entry in read_json(archive, "audit.json")]
    assert "data_exported" not in actions  # recorded with the download, so only in the next one
    readme = archive.read("README.txt").decode("utf-8")
    assert "zoe@example.org" in readme and "quiz_attempts.json" in readme and "Every file is JSON in UTF-8" in readme


def test_the_export_is_recorded_and_its_readme_speaks_the_learners_language(app, make_user) -> None:
    user = make_user(locale="de", email="erika@example.org")
    client = client_for(app, user)
    archive = download(client)
    assert "Jede Datei ist JSON in UTF-8" in archive.read("README.txt").decode("utf-8")
    assert not any(name.startswith("certificates/") for name in archive.namelist())
    with app.app_context():
        (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "data_exported")).all()
        assert entry.actor_id == entry.target_user_id == user.id
    (logged,) = read_json(download(client), "audit.json")
    assert logged["action"] == "data_exported" and logged["by"] == "erika@example.org" and logged["ip"]


def test_a_revoked_certificate_comes_as_its_record_only(app, make_user) -> None:
    learner = busy_learner(app, make_user)
    trainer = client_for(app, learner.trainer)
    assert trainer.post(f"/certificates/{learner.certificate}/revoke", data={"reason": "Issued by mistake"}).status_code
    archive = download(learner.client)
    folder = f"certificates/{learner.certificate}"
    assert {name for name in archive.namelist() if name.startswith(folder)} == {f"{folder}/record.json"}
    record = read_json(archive, f"{folder}/record.json")
    assert (record["status"], record["revoked_reason"]) == ("revoked", "Issued by mistake")


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_export_needs_a_login(client, method: str) -> None:
    response = client.open("/account/export", method=method)
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
