"""The certificate's PDF is drawn once, when it is issued, and kept on its row: a download sends those bytes (or a 304),
the ZIP export and the data export pack them, erasure deletes them, a backup carries them, and a certificate issued
before PDFs were kept gets its PDF on first use."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import replace

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import event, select, update

from course.certificates import documents, operations
from course.core.certificates import pdf as certificate_pdf
from course.extensions import db
from course.models import Certificate, User
from tests.conftest import PASSWORD
from tests.jobs import export
from tests.quiz_helpers import client_for
from tests.web.test_backup import cli, restore_url  # noqa: F401 - the fixture: an empty database to restore into
from tests.web.test_certificates_routes import issued, make_app  # noqa: F401 - the faster apps

EN = {"Accept-Language": "en"}


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every PDF drawn from now on, by certificate id (`documents.pdf` imports the drawing where it draws)."""
    drawn: list[str] = []
    real = certificate_pdf.render_certificate

    def counting(**fields: object) -> bytes:
        drawn.append(str(fields["certificate_id"]))
        return real(**fields)

    monkeypatch.setattr(certificate_pdf, "render_certificate", counting)
    return drawn


def url(public_id: str) -> str:
    return f"/certificates/{public_id}/certificate.pdf"


def stored(app: Flask, public_id: str) -> tuple[bytes | None, str | None]:
    with app.app_context():
        row = db.session.execute(
            select(Certificate.pdf, Certificate.pdf_sha256).where(Certificate.public_id == public_id)
        ).one()
        return row.pdf, row.pdf_sha256


def forget_pdf(app: Flask, public_id: str) -> None:
    """As a certificate issued before PDFs were kept (migration 0016) looks."""
    with app.app_context():
        db.session.execute(
            update(Certificate).where(Certificate.public_id == public_id).values(pdf=None, pdf_sha256=None)
        )
        db.session.commit()


@pytest.fixture
def statements(app: Flask) -> Iterator[list[str]]:
    """The SQL sent while the test runs."""
    sent: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(_connection, _cursor, statement, _parameters, _context, _many) -> None:  # noqa: ANN001
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield sent
    event.remove(engine, "before_cursor_execute", record)


READS_THE_BYTES = re.compile(r"\bcertificates\.pdf\b(?!_)|\bpdf\s*=")


def test_the_pdf_is_drawn_once_at_issue_and_every_download_sends_those_bytes(
    app, client, make_user, login_as, renders
) -> None:
    _learner, pid = issued(app, client, make_user, login_as, name="Анна Иванова")
    assert renders == [pid]
    data, digest = stored(app, pid)
    assert data is not None and data.startswith(b"%PDF-") and digest == hashlib.sha256(data).hexdigest()
    for _ in range(2):
        response = client.get(url(pid), headers=EN)
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert response.data == data
    assert renders == [pid]  # read, never drawn again
    assert response.headers["Content-Disposition"] == f'attachment; filename="certificate-{pid}.pdf"'
    assert response.headers["ETag"] == f'"{digest}"'
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert "Анна Иванова" in PdfReader(io.BytesIO(response.data)).pages[0].extract_text()


def test_the_kept_pdf_is_the_pdf_the_certificate_draws(app, client, make_user, login_as) -> None:
    """The PDF is dated with the issue time, so drawing the stored record again gives the same file: a PDF made on
    first download for an old certificate is the one it would have been given at issue."""
    _learner, pid = issued(app, client, make_user, login_as)
    data, _digest = stored(app, pid)
    with app.test_request_context("/"):
        record = operations.check(pid).record
        assert documents.pdf(record) == data
        assert PdfReader(io.BytesIO(data)).metadata.creation_date.replace(tzinfo=None) == record.issued_at.replace(
            tzinfo=None
        )


def test_a_browser_that_kept_the_pdf_gets_a_304_without_the_bytes_being_read(
    app, client, make_user, login_as, statements
) -> None:
    _learner, pid = issued(app, client, make_user, login_as)
    first = client.get(url(pid))
    etag = first.headers["ETag"]
    statements.clear()
    for sent in (etag, f"W/{etag}", f'"other", {etag}'):
        again = client.get(url(pid), headers={"If-None-Match": sent})
        assert again.status_code == 304 and again.data == b""
        assert again.headers["ETag"] == etag and again.headers["Cache-Control"] == "private, no-cache"
    assert statements and not any(READS_THE_BYTES.search(statement) for statement in statements)
    changed = client.get(url(pid), headers={"If-None-Match": '"something-else"'})
    assert changed.status_code == 200 and changed.data == first.data


def test_a_download_reads_the_certificate_its_key_and_the_bytes_in_one_statement(
    app, client, make_user, login_as, statements
) -> None:
    """Each statement is a round trip on PostgreSQL: the owner check, the signature's key and the PDF come at once."""
    _learner, pid = issued(app, client, make_user, login_as)
    kept, _digest = stored(app, pid)
    statements.clear()
    response = client.get(url(pid))
    assert response.status_code == 200 and response.data == kept
    certificate_reads = [statement for statement in statements if "certificates" in statement]
    assert len(certificate_reads) == 1, statements
    assert READS_THE_BYTES.search(certificate_reads[0]) and "certificate_keys" in certificate_reads[0]


def test_only_the_owner_downloads_it_with_or_without_an_etag(app, client, make_user, login_as) -> None:
    _learner, pid = issued(app, client, make_user, login_as)
    etag = client.get(url(pid)).headers["ETag"]
    for role in ("learner", "trainer", "manager", "admin"):
        other = client_for(app, make_user(role=role, locale="en"))
        assert other.get(url(pid)).status_code == 404, role
        assert other.get(url(pid), headers={"If-None-Match": etag}).status_code == 404, role
    visitor = app.test_client().get(url(pid), headers={"If-None-Match": etag})
    assert visitor.status_code == 302 and "/auth/login" in visitor.headers["Location"]


def test_a_revoked_certificate_is_no_longer_handed_to_its_holder_but_its_pdf_stays_for_the_record(
    app, client, make_user, login_as, renders
) -> None:
    _learner, pid = issued(app, client, make_user, login_as)
    etag = client.get(url(pid)).headers["ETag"]
    data, digest = stored(app, pid)
    trainer = client_for(app, make_user(role="trainer", locale="en"))
    assert trainer.post(f"/certificates/{pid}/revoke", data={"reason": "Issued by mistake"}).status_code == 302
    assert client.get(url(pid)).status_code == 404
    assert client.get(url(pid), headers={"If-None-Match": etag}).status_code == 404  # no 304 for a revoked one
    assert stored(app, pid) == (data, digest)  # the PDF never showed the revocation; the verification page does
    response = export(trainer, app, "/courses/kam-pay/certificates/export", data={"status": "revoked"})
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert archive.read(f"certificate-{pid}.pdf") == data
    assert renders == [pid]  # the one at issue


def test_a_reissued_certificate_has_its_own_pdf_with_the_corrected_name(app, client, make_user, login_as) -> None:
    _learner, old = issued(app, client, make_user, login_as, name="Zoe Angstrom")
    trainer = client_for(app, make_user(role="trainer", locale="en"))
    assert trainer.post(f"/certificates/{old}/reissue", data={"name": "Zoë Ångström"}).status_code == 302
    with app.app_context():
        new = db.session.scalar(select(Certificate.public_id).where(Certificate.revoked_at.is_(None)))
    data, _digest = stored(app, new)
    assert data is not None and data != stored(app, old)[0]
    response = client.get(url(new))
    assert response.data == data
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "Zoë Ångström" in text and new in text


def test_a_certificate_issued_before_pdfs_were_kept_gets_its_pdf_on_first_download(
    app, client, make_user, login_as, renders
) -> None:
    _learner, pid = issued(app, client, make_user, login_as)
    issued_pdf, issued_digest = stored(app, pid)
    forget_pdf(app, pid)
    renders.clear()
    first = client.get(url(pid))
    assert first.status_code == 200 and renders == [pid]
    assert stored(app, pid) == (first.data, issued_digest) and first.data == issued_pdf
    second = client.get(url(pid))
    assert second.data == first.data and renders == [pid]
    assert client.get(url(pid), headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_an_old_certificate_whose_row_was_tampered_with_is_refused_and_gets_no_pdf(
    app, client, make_user, login_as
) -> None:
    _learner, pid = issued(app, client, make_user, login_as)
    forget_pdf(app, pid)
    with app.app_context():
        row = db.session.scalar(select(Certificate))
        row.record = {**row.record, "recipient_name": "Mallory"}
        db.session.commit()
    assert client.get(url(pid)).status_code == 404
    with app.app_context():  # the data export hands the stored record's PDF out as before, but never keeps it
        row = db.session.scalar(select(Certificate))
        document = operations.certificate_pdf(row, operations.stored_record(row))
        assert not document.made
    assert stored(app, pid) == (None, None)


def test_the_zip_export_packs_the_kept_pdfs_and_keeps_the_ones_it_had_to_draw(
    app, client, make_user, login_as, renders
) -> None:
    _learner, pid = issued(app, client, make_user, login_as)
    data, _digest = stored(app, pid)
    trainer = client_for(app, make_user(role="trainer", locale="en"))
    renders.clear()
    response = export(trainer, app, "/courses/kam-pay/certificates/export", data={"status": "valid"})
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert archive.read(f"certificate-{pid}.pdf") == data
    assert renders == []
    forget_pdf(app, pid)
    response = export(trainer, app, "/courses/kam-pay/certificates/export", data={"status": "all"})
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert archive.read(f"certificate-{pid}.pdf") == data
    assert renders == [pid] and stored(app, pid)[0] == data  # kept by the job


def test_the_data_export_holds_the_kept_pdf(app, client, make_user, login_as, renders) -> None:
    _learner, pid = issued(app, client, make_user, login_as)
    data, _digest = stored(app, pid)
    response = client.post("/account/export")
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert archive.read(f"certificates/{pid}/certificate.pdf") == data
        assert f"certificates/{pid}/record.json" in archive.namelist()
    assert renders == [pid]


def test_erasing_the_account_deletes_its_certificates_pdfs(app, client, make_user, login_as) -> None:
    learner, pid = issued(app, client, make_user, login_as)
    trainer = client_for(app, make_user(role="trainer", locale="en"))
    assert trainer.post(f"/certificates/{pid}/reissue", data={"name": "Zoë Ångström"}).status_code == 302
    with app.app_context():
        held = db.session.scalars(select(Certificate.public_id).where(Certificate.user_id == learner.id)).all()
    assert len(held) == 2 and all(stored(app, public_id)[0] for public_id in held)
    assert client.post("/account/delete", data={"password": PASSWORD}, headers=EN).status_code == 302
    with app.app_context():
        assert db.session.get(User, learner.id).deleted_at is not None
    assert [stored(app, public_id) for public_id in held] == [(None, None), (None, None)]
    response = export(trainer, app, "/courses/kam-pay/certificates/export", data={"status": "all"})
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:  # no name to print, so no PDF (as before)
        assert archive.namelist() == ["certificates.csv"]


def test_a_backup_carries_the_kept_pdf_to_the_restored_site(
    restore_url,  # noqa: F811 - the fixture imported above
    make_app,  # noqa: F811 - the faster apps
    make_user,
    login_as,
    client,
    app,
    tmp_path,
    monkeypatch: pytest.MonkeyPatch,
    renders,
) -> None:
    _learner, pid = issued(app, client, make_user, login_as)
    data, digest = stored(app, pid)
    archive = tmp_path / "site.backup"
    assert cli(app, "backup", "create", str(archive)).exit_code == 0
    monkeypatch.setenv("COURSE_INSTANCE_PATH", str(tmp_path / "restored-instance"))
    target = make_app(DATABASE_URL=restore_url)
    result = cli(target, "backup", "restore", str(archive))
    assert result.exit_code == 0, result.output
    assert stored(target, pid) == (data, digest)
    with app.app_context():
        learner_id = db.session.scalar(select(Certificate.user_id).where(Certificate.public_id == pid))
    with target.app_context():
        user = db.session.get(User, learner_id)
    renders.clear()
    response = client_for(target, user).get(url(pid))
    assert response.status_code == 200 and response.data == data and renders == []


def test_an_erased_holders_certificate_has_no_pdf_to_draw(app, client, make_user, login_as) -> None:
    _learner, pid = issued(app, client, make_user, login_as)
    with app.test_request_context("/"):
        row = db.session.scalar(select(Certificate))
        nameless = replace(operations.stored_record(row), recipient_name=operations.ERASED_NAME)
        with pytest.raises(ValueError, match="erased"):
            operations.certificate_pdf(row, nameless)
