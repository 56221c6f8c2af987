"""Certificates in the browser: the checklist, issuing once with a confirmed name, downloads, public checks."""

from __future__ import annotations

import csv
import io
import json
import re
import stat
import zipfile
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import func, insert, select, update

from course.certificates import operations
from course.certificates.documents import PDF_LABELS
from course.certificates.keys import key_path, signing_key
from course.core.certificates import pdf as pdf_module
from course.core.certificates.credential import verify_credential
from course.core.certificates.signing import public_key_from_multibase
from course.extensions import db
from course.models import Certificate, Job, LessonProgress, QuizResult, SandboxResult, User, utcnow
from course.publishing.cache import catalog
from tests.jobs import ask, export, run_jobs
from tests.quiz_helpers import client_for, faster_apps

PAGE = "/courses/kam-pay/certificate"
EN = {"Accept-Language": "en"}


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    return faster_apps(make_app, monkeypatch)


def complete_course(app: Flask, user: User, *, sandbox: float = 82.0, skip_quiz: bool = False) -> None:
    """Record what a learner who finished the course has done, as the learn, quiz and sandbox views would."""
    with app.test_request_context():
        course = catalog().course("kam-pay")
        for lesson_id in course.lesson_ids:
            db.session.add(LessonProgress(user_id=user.id, course_id=course.id, lesson_id=lesson_id))
        for quiz in course.quizzes[1:] if skip_quiz else course.quizzes:
            db.session.add(
                QuizResult(
                    user_id=user.id, course_id=course.id, quiz_id=quiz.id, best_percent=90.0, passed=True, attempts=1
                )
            )
        db.session.add(  # a counting pass in the assigned account and in one of another kind
            SandboxResult(
                user_id=user.id, course_id=course.id, best_score=sandbox, assigned_score=sandbox, other_score=sandbox
            )
        )
        db.session.commit()


def certificates(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Certificate))


def issue(client, name: str = "Zoë Ångström"):
    return client.post(PAGE, data={"name": name}, headers=EN)


def public_id(app: Flask) -> str:
    with app.app_context():
        return db.session.scalar(select(Certificate.public_id))


def test_an_incomplete_course_shows_the_checklist_and_issues_nothing(app, client, make_user, login_as) -> None:
    learner = make_user(locale="en")
    login_as(learner)
    complete_course(app, learner, skip_quiz=True)
    page = client.get(PAGE, headers=EN).get_data(as_text=True)
    assert "The certificate is issued when every step below is done." in page
    assert page.count('class="checklist__step"') == 1  # exactly one quiz short
    assert issue(client).status_code == 302
    assert certificates(app) == 0


def test_a_sandbox_score_below_the_threshold_is_one_step_short(app, client, make_user, login_as) -> None:
    learner = make_user(locale="en")
    login_as(learner)
    complete_course(app, learner, sandbox=69.9)
    issue(client)
    assert certificates(app) == 0


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("   ", "Enter your name as it should appear on the certificate."),
        ("Eve\u200bil", "The name contains invisible or control characters (U+200B)."),
        ("x" * 121, "The name is too long: 121 characters, at most 120."),
    ],
)
def test_a_bad_name_is_refused_with_a_message(app, client, make_user, login_as, name: str, message: str) -> None:
    learner = make_user(locale="en")
    login_as(learner)
    complete_course(app, learner)
    response = issue(client, name)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True).replace("&#39;", "'")
    assert certificates(app) == 0


def test_the_certificate_is_issued_once_with_the_confirmed_name(app, client, make_user, login_as) -> None:
    learner = make_user(locale="en")
    login_as(learner)
    complete_course(app, learner)
    form = client.get(PAGE, headers=EN).get_data(as_text=True)
    assert 'value="Test Learner"' in form  # the account name, to confirm or change
    assert issue(client, "  Γιώργος   Παπαδόπουλος ").status_code == 302
    assert issue(client, "Someone Else").status_code == 302
    assert certificates(app) == 1
    page = client.get(PAGE, headers=EN).get_data(as_text=True)
    assert "Issued to Γιώργος Παπαδόπουλος" in page
    with app.app_context():
        row = db.session.scalar(select(Certificate))
        assert row.record["recipient_name"] == "Γιώργος Παπαδόπουλος"
        assert row.record["result"]["sandbox"] == 82.0
        assert row.record["language"] == "en"


def test_the_pdf_and_the_credential_download_and_verify(app, client, make_user, login_as) -> None:
    learner = make_user(locale="en")
    login_as(learner)
    complete_course(app, learner)
    issue(client, "Анна Иванова")
    pid = public_id(app)
    response = client.get(f"/certificates/{pid}/certificate.pdf", headers=EN)
    assert response.mimetype == "application/pdf"
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "Анна Иванова" in text and pid in text and f"/verify/{pid}" in text
    credential = json.loads(client.get(f"/certificates/{pid}/credential.json").data)
    issuer = json.loads(client.get("/certificates/issuer.json").data)
    method = issuer["verificationMethod"][0]
    keys = {method["id"]: public_key_from_multibase(method["publicKeyMultibase"])}
    assert verify_credential(credential, keys).valid
    credential["validFrom"] = "2020-01-01T00:00:00Z"
    assert not verify_credential(credential, keys).valid


def test_another_learner_cannot_download_but_anyone_can_verify(app, client, make_user, login_as) -> None:
    learner = make_user(locale="en")
    login_as(learner)
    complete_course(app, learner)
    issue(client, "Zoë Ångström")
    pid = public_id(app)
    other = client_for(app, make_user(locale="en"))
    assert other.get(f"/certificates/{pid}/certificate.pdf").status_code == 404
    assert other.get(f"/certificates/{pid}/credential.json").status_code == 404
    page = app.test_client().get(f"/verify/{pid}", headers=EN).get_data(as_text=True)
    assert "Valid certificate" in page and "Zoë Ångström" in page


def test_a_tampered_or_revoked_certificate_does_not_verify(app, client, make_user, login_as) -> None:
    learner = make_user(locale="en")
    login_as(learner)
    complete_course(app, learner)
    issue(client)
    pid = public_id(app)
    assert "Valid certificate" in client.get(f"/verify/{pid}", headers=EN).get_data(as_text=True)  # page cached
    with app.app_context():
        row = db.session.scalar(select(Certificate))
        row.record = {**row.record, "recipient_name": "Mallory"}
        db.session.commit()
    page = client.get(f"/verify/{pid}", headers=EN).get_data(as_text=True)
    assert "Not valid" in page and "Mallory" not in page
    assert client.get(f"/certificates/{pid}/certificate.pdf").status_code == 404
    with app.app_context():
        row = db.session.scalar(select(Certificate))
        row.record = {**row.record, "recipient_name": "Zoë Ångström"}
        db.session.execute(update(Certificate).values(revoked_at=utcnow(), revoked_reason="Issued by mistake"))
        db.session.commit()
    page = client.get(f"/verify/{pid}", headers=EN).get_data(as_text=True)
    assert "Revoked" in page and "Issued by mistake" in page and "Valid certificate" not in page


def test_the_verification_page_shows_each_visitor_their_own_header(app, client, make_user, login_as) -> None:
    learner = make_user(locale="en", display_name="Zoë Ångström")
    login_as(learner)
    complete_course(app, learner)
    issue(client)
    pid = public_id(app)
    anonymous = app.test_client()
    page = anonymous.get(f"/verify/{pid}", headers=EN).get_data(as_text=True)
    assert "Valid certificate" in page and 'href="/auth/login' in page and 'action="/auth/logout"' not in page
    login_as(make_user(locale="en", display_name="Olga Other"))
    page = client.get(f"/verify/{pid}", headers=EN).get_data(as_text=True)
    assert "Valid certificate" in page and "Olga Other" in page and 'action="/auth/logout"' in page
    assert anonymous.get(f"/verify/{pid}", headers=EN).get_data(as_text=True).count("Olga Other") == 0


@pytest.mark.parametrize(
    ("url", "text"),
    [
        ("/verify/" + "a" * 26, "We have not issued a certificate with this ID."),
        ("/verify/not-an-id", "This is not a certificate ID"),
        ("/verify/%3Cscript%3E", "This is not a certificate ID"),
    ],
)
def test_unknown_and_malformed_ids_get_the_unknown_page(client, url: str, text: str) -> None:
    response = client.get(url, headers=EN)
    assert response.status_code == 404
    assert text in response.get_data(as_text=True)


def test_the_lookup_form_sends_a_typed_id_to_its_page(client) -> None:
    response = client.get("/verify?id=+ABCDEFGHIJKLMNOPQRSTUVWXYZ+")
    assert response.headers["Location"] == "/verify/abcdefghijklmnopqrstuvwxyz"


def test_the_signing_key_is_created_once_in_the_instance_folder(app, client, make_user, login_as) -> None:
    learner = make_user(locale="en")
    login_as(learner)
    complete_course(app, learner)
    issue(client)
    path = key_path(app)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_bytes()
    client.get("/certificates/issuer.json")
    assert path.read_bytes() == first


def test_every_pdf_label_is_marked_for_translation() -> None:
    assert set(PDF_LABELS) == set(pdf_module.LABELS)


def test_the_overview_links_to_the_certificate(client, make_user, login_as) -> None:
    login_as(make_user(locale="en"))
    page = client.get("/courses/kam-pay", headers=EN).get_data(as_text=True)
    assert re.search(r'href="/courses/kam-pay/certificate"', page)


def test_the_overview_offers_the_downloads_once_issued_and_not_after_revocation(
    app, client, make_user, login_as
) -> None:
    learner = make_user(locale="en")
    login_as(learner)
    complete_course(app, learner)
    issue(client)
    pid = public_id(app)
    page = client.get("/courses/kam-pay", headers=EN).get_data(as_text=True)
    assert f'href="/certificates/{pid}/certificate.pdf"' in page
    assert f'href="/certificates/{pid}/credential.json"' in page
    assert "What the certificate needs" not in page
    with app.app_context():
        db.session.execute(update(Certificate).values(revoked_at=utcnow(), revoked_reason="wrong person"))
        db.session.commit()
    page = client.get("/courses/kam-pay", headers=EN).get_data(as_text=True)
    assert pid not in page
    assert "What the certificate needs" in page


def test_a_name_the_pdf_cannot_print_needs_a_confirmation(app, client, make_user, login_as) -> None:
    learner = make_user(locale="en")
    login_as(learner)
    complete_course(app, learner)
    response = issue(client, "山田太郎")
    assert response.status_code == 400
    assert "The PDF cannot print these characters" in response.get_data(as_text=True)
    assert 'name="confirm"' in response.get_data(as_text=True)
    assert certificates(app) == 0
    assert client.post(PAGE, data={"name": "山田太郎", "confirm": "1"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Certificate)).record["recipient_name"] == "山田太郎"
    pid = public_id(app)
    assert client.get(f"/certificates/{pid}/certificate.pdf").mimetype == "application/pdf"
    assert "山田太郎" in client.get(f"/verify/{pid}").get_data(as_text=True)


def linkedin_link(page: str) -> str:
    found = re.search(r'<a [^>]*href="(https://www\.linkedin\.com/[^"]*)"[^>]*>', page)
    assert found, "no LinkedIn link"
    assert 'rel="noopener noreferrer"' in found.group(0)
    return found.group(1).replace("&amp;", "&")


def test_the_completion_page_shows_the_certificate_its_downloads_and_a_linkedin_link(
    app, client, make_user, login_as
) -> None:
    app.config["PUBLIC_URL"] = "https://kurs.example.org"
    learner = make_user(locale="en")
    login_as(learner)
    complete_course(app, learner)
    issue(client, "Zoë Ångström")
    pid = public_id(app)
    page = client.get(PAGE, headers=EN).get_data(as_text=True)
    assert '<h1 class="completion__heading">Congratulations, you have completed the course!</h1>' in page
    preview = page[page.index('<figure class="certificate-preview"') : page.index("</figure>")]
    for text in (
        "Certificate of completion",
        "Zoë Ångström",
        "Result",
        "quizzes passed with 90\u00a0% on average",
        pid,
    ):
        assert text in preview
    assert '<svg viewBox="-2 -2 ' in preview and 'aria-hidden="true"' in preview  # the QR code, drawn here
    assert f'href="/certificates/{pid}/certificate.pdf" download' in page
    assert f'href="/certificates/{pid}/credential.json" download' in page
    assert f">https://kurs.example.org/verify/{pid}</a>" in page
    assert not re.search(r"<(script|img|iframe|link)[^>]+linkedin", page)  # a plain link, nothing loaded from there
    link = urlsplit(linkedin_link(page))
    assert (link.scheme, link.netloc, link.path) == ("https", "www.linkedin.com", "/profile/add")
    with app.app_context():
        record = operations.stored_record(db.session.scalar(select(Certificate)))
        title = catalog().course("kam-pay").titles["en"]
    assert parse_qs(link.query) == {
        "startTask": ["CERTIFICATION_NAME"],
        "name": [title],
        "organizationName": [record.issuer_name],
        "issueYear": [str(record.issued_at.year)],
        "issueMonth": [str(record.issued_at.month)],
        "certUrl": [f"https://kurs.example.org/verify/{pid}"],
        "certId": [pid],
    }


def test_the_completion_page_previews_the_certificate_before_it_is_issued(app, client, make_user, login_as) -> None:
    learner = make_user(locale="de")
    login_as(learner)
    complete_course(app, learner)
    page = client.get(PAGE, headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Herzlichen Glückwunsch, Sie haben den Kurs abgeschlossen!" in page
    preview = page[page.index('<figure class="certificate-preview"') : page.index("</figure>")]
    assert 'lang="de"' in preview and "Abschlusszertifikat" in preview and "Test Learner" in preview
    assert "<svg" not in preview and "linkedin" not in page  # no id yet: no QR code, nothing to share
    assert 'autocomplete="name"' in page
    response = issue(client, "Eve\u200bil")  # a refused name: the form comes back, the preview with it
    assert response.status_code == 400 and 'class="certificate-preview"' in response.get_data(as_text=True)


def test_the_completion_page_is_each_learners_own(app, client, make_user, login_as) -> None:
    learner = make_user(locale="en")
    login_as(learner)
    complete_course(app, learner)
    issue(client)
    pid = public_id(app)
    other = client_for(app, make_user(locale="en"))
    page = other.get(PAGE, headers=EN).get_data(as_text=True)
    assert pid not in page and "Zoë" not in page and "linkedin" not in page and "certificate-preview" not in page
    assert "The certificate is issued when every step below is done." in page
    response = app.test_client().get(PAGE, headers=EN)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("lang", "title", "result"),
    [
        ("de", "Abschlusszertifikat", "{n} von {n} Lektionen; Quizze im Schnitt mit 90 % bestanden; 82 von 100"),
        ("en", "Certificate of completion", "{n} of {n} lessons; quizzes passed with 90 % on average; 82 of 100"),
    ],
)
def test_the_pdf_is_titled_and_states_the_result_in_the_certificates_language(
    app, client, make_user, login_as, lang: str, title: str, result: str
) -> None:
    learner = make_user(locale=lang)
    login_as(learner)
    complete_course(app, learner)
    client.post(PAGE, data={"name": "Anna Beispiel"}, headers={"Accept-Language": lang})
    pid = public_id(app)
    response = client.get(f"/certificates/{pid}/certificate.pdf", headers=EN)  # the language it was issued in
    reader = PdfReader(io.BytesIO(response.data))
    sizes: dict[str, float] = {}
    text = reader.pages[0].extract_text(
        visitor_text=lambda part, _cm, _tm, _font, size: sizes.setdefault(part.strip(), size)
    )
    text = " ".join(text.replace("\u00a0", " ").split())
    with app.app_context():
        lessons = len(catalog().course("kam-pay").lesson_ids)
    assert text.startswith(title) and reader.metadata.title.startswith(title)
    assert result.format(n=lessons) in text
    first_line = next(part for part in sizes if part.startswith(f"{lessons} "))
    assert sizes[first_line] >= 12  # the result in print larger than the other details (11 pt)


def issued(app: Flask, client, make_user, login_as, name: str = "Zoë Ångström") -> tuple[User, str]:
    learner = make_user(locale="en")
    login_as(learner)
    complete_course(app, learner)
    issue(client, name)
    return learner, public_id(app)


def test_trainers_list_filter_and_revoke_with_a_reason(app, client, make_user, login_as) -> None:
    learner, pid = issued(app, client, make_user, login_as)
    trainer = client_for(app, make_user(role="trainer", locale="en"))
    page = trainer.get("/courses/kam-pay/certificates", headers=EN).get_data(as_text=True)
    assert "Zoë Ångström" in page and learner.email in page and pid in page
    assert "Zoë" not in trainer.get("/courses/kam-pay/certificates?status=revoked", headers=EN).get_data(as_text=True)
    assert "Zoë" not in trainer.get("/courses/kam-pay/certificates?q=nobody", headers=EN).get_data(as_text=True)
    assert "Zoë" in trainer.get("/courses/kam-pay/certificates?q=ZOË", headers=EN).get_data(as_text=True)
    assert trainer.post(f"/certificates/{pid}/revoke", data={"reason": "  "}).status_code == 302
    assert "Valid certificate" in client.get(f"/verify/{pid}", headers=EN).get_data(as_text=True)  # no reason: kept
    trainer.post(f"/certificates/{pid}/revoke", data={"reason": "Exam fraud"})
    page = app.test_client().get(f"/verify/{pid}", headers=EN).get_data(as_text=True)
    assert "Revoked" in page and "Exam fraud" in page
    assert client.get(f"/certificates/{pid}/certificate.pdf").status_code == 404
    assert client.post(f"/certificates/{pid}/revoke", data={"reason": "x"}).status_code == 403  # learners cannot


def test_reissuing_gives_a_new_id_and_revokes_the_old_one(app, client, make_user, login_as) -> None:
    _learner, old = issued(app, client, make_user, login_as, name="Zoe Angstrom")
    trainer = client_for(app, make_user(role="trainer", locale="en"))
    assert trainer.post(f"/certificates/{old}/reissue", data={"name": "Zoë Ångström"}).status_code == 302
    with app.app_context():
        rows = db.session.scalars(select(Certificate).order_by(Certificate.id)).all()
        assert len(rows) == 2 and rows[0].revoked_at is not None and rows[0].replaced_by_id == rows[1].id
        new = rows[1].public_id
        assert rows[1].record["recipient_name"] == "Zoë Ångström"
    assert "Revoked" in client.get(f"/verify/{old}", headers=EN).get_data(as_text=True)
    assert "Valid certificate" in client.get(f"/verify/{new}", headers=EN).get_data(as_text=True)
    assert "Issued to Zoë Ångström" in client.get(PAGE, headers=EN).get_data(as_text=True)
    trainer.post(f"/certificates/{old}/reissue")  # a revoked certificate is not re-issued again
    assert certificates(app) == 2


def test_the_bulk_export_holds_a_pdf_per_certificate_and_a_csv(app, client, make_user, login_as) -> None:
    _learner, pid = issued(app, client, make_user, login_as)
    trainer = client_for(app, make_user(role="trainer", locale="en"))
    response = export(trainer, app, "/courses/kam-pay/certificates/export", data={"status": "valid"})
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == 'attachment; filename="certificates-kam-pay-valid.zip"'
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert sorted(archive.namelist()) == sorted(["certificates.csv", f"certificate-{pid}.pdf"])
        assert len(PdfReader(io.BytesIO(archive.read(f"certificate-{pid}.pdf"))).pages) == 1
        table = list(csv.reader(io.StringIO(archive.read("certificates.csv").decode())))
    assert table[0][0] == "certificate_id" and table[1][0] == pid and table[1][5] == "valid"
    empty = export(trainer, app, "/courses/kam-pay/certificates/export", data={"status": "revoked"})
    with zipfile.ZipFile(io.BytesIO(empty.data)) as archive:
        assert archive.namelist() == ["certificates.csv"]
        assert archive.read("certificates.csv").decode().count("\n") == 1  # the header only


def test_the_cli_verifies_a_credential_file_offline(app, client, make_user, login_as, tmp_path) -> None:
    _learner, pid = issued(app, client, make_user, login_as)
    good = tmp_path / "credential.json"
    good.write_bytes(client.get(f"/certificates/{pid}/credential.json").data)
    issuer = tmp_path / "issuer.json"
    issuer.write_bytes(client.get("/certificates/issuer.json").data)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["certificates", "verify", str(good)])
    assert result.exit_code == 0 and "valid" in result.output
    assert runner.invoke(args=["certificates", "verify", str(good), "--issuer", str(issuer)]).exit_code == 0
    tampered = json.loads(good.read_text())
    tampered["name"] = "Something else"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(tampered))
    result = runner.invoke(args=["certificates", "verify", str(bad)])
    assert result.exit_code == 1 and "NOT VALID" in result.output
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    result = runner.invoke(args=["certificates", "verify", str(garbage)])
    assert result.exit_code == 1 and "not JSON" in result.output
    garbage.write_text("[1, 2]")
    result = runner.invoke(args=["certificates", "verify", str(garbage)])
    assert result.exit_code == 1 and "not a JSON object" in result.output


def test_the_cli_exports_like_the_trainer_page(app, client, make_user, login_as, tmp_path) -> None:
    _learner, pid = issued(app, client, make_user, login_as)
    out = tmp_path / "export.zip"
    result = app.test_cli_runner().invoke(args=["certificates", "export", "--course", "kam-pay", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        assert f"certificate-{pid}.pdf" in archive.namelist()
        assert f"/verify/{pid}" in archive.read("certificates.csv").decode()
    result = app.test_cli_runner().invoke(args=["certificates", "export", "--course", "nope", "--out", str(out)])
    assert result.exit_code != 0


BULK = 500  # the issue's bar: a bulk export of 500 certificates completes and every PDF in it opens
BULK_NAMES = ("Zoë Ångström", "Γιώργος Παπαδόπουλος", "Анна Иванова", "山田太郎", "Łukasz Dvořák")


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # once, on the database meant for scale
def test_a_bulk_export_of_500_certificates_completes_and_every_pdf_opens(app, make_user) -> None:
    with app.test_request_context("/"):
        course = catalog().course("kam-pay")
        version, key = catalog().version, signing_key()
        issuer = operations.Issuer(name="Akademie", url="https://kurs.example.org")
        db.session.execute(
            insert(User),
            [
                {"email": f"bulk{n}@example.org", "password_hash": "x", "display_name": "Bulk", "role": "learner"}
                for n in range(BULK)
            ],
        )
        users = db.session.scalars(select(User).where(User.email.like("bulk%")).order_by(User.id)).all()
        for number, user in enumerate(users):
            name = f"{BULK_NAMES[number % len(BULK_NAMES)]} {number}"
            operations.issue(user, course, name, ("de", "en")[number % 2], version, issuer, key)
        db.session.commit()
    trainer = client_for(app, make_user(role="trainer", locale="en"))

    page = ask(trainer, "/courses/kam-pay/certificates/export", data={"status": "valid"}, headers=EN)
    assert run_jobs(app) == 1
    with app.app_context():  # the job counted its way through every certificate (the page's progress bar)
        job = db.session.scalar(select(Job))
        assert (job.state, job.progress_done, job.progress_total) == ("done", BULK, BULK)
    assert "Ready: certificates-kam-pay-valid.zip" in trainer.get(page, headers=EN).get_data(as_text=True)
    response = trainer.get(f"{page}/download")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        pdfs = [member for member in archive.namelist() if member.endswith(".pdf")]
        assert len(pdfs) == BULK
        for member in pdfs:
            reader = PdfReader(io.BytesIO(archive.read(member)), strict=True)
            assert len(reader.pages) == 1
            assert member.removeprefix("certificate-").removesuffix(".pdf") in reader.pages[0].extract_text()
        table = list(csv.DictReader(io.StringIO(archive.read("certificates.csv").decode())))
    assert len(table) == BULK
    assert {f"certificate-{row['certificate_id']}.pdf" for row in table} == set(pdfs)
    assert {row["email"] for row in table} == {f"bulk{n}@example.org" for n in range(BULK)}
