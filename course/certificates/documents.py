"""The documents a certificate is handed out as: the PDF and the signed Open Badges credential."""

from __future__ import annotations

from flask import url_for
from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from course.core.certificates.credential import build_credential, sign_credential
from course.core.certificates.pdf import render_certificate
from course.core.certificates.record import CertificateRecord
from course.core.certificates.signing import key_id
from course.core.errors import N_

# The PDF's fixed texts (keys of `render_certificate`'s labels), marked here for translation.
PDF_LABELS = (
    N_("Certificate of completion"),
    N_("awarded to"),
    N_("for completing"),
    N_("Issued on"),
    N_("Result"),
    N_("Issuer"),
    N_("Certificate ID"),
    N_("Verify at"),
)


def verify_url(public_id: str) -> str:
    return url_for("certificates.verify", public_id=public_id, _external=True)


def pdf(record: CertificateRecord) -> bytes:
    """The certificate as PDF, in the language the learner confirmed it in."""
    with force_locale(record.language):
        fields = pdf_fields(record)
    return render_certificate(**fields, verify_url=verify_url(record.public_id))


def pdf_fields(record: CertificateRecord) -> dict:
    """What the PDF prints, in the record's language (the language the learner confirmed it in)."""
    lang = record.language
    title = record.course_title.get(lang) or next(iter(record.course_title.values()))
    return {
        "name": record.recipient_name,
        "course_title": title,
        "issued_on": format_date(record.issued_at, format="long"),
        "result": result_text(record),
        "issuer": record.issuer_name,
        "certificate_id": record.public_id,
        "labels": {text: _(text) for text in PDF_LABELS},
        "language": lang,
    }


def result_text(record: CertificateRecord) -> str:
    result = record.result
    parts = [_("%(done)s of %(total)s lessons", done=result.get("lessons"), total=result.get("lessons_total"))]
    quizzes = result.get("quizzes") or {}
    if quizzes:
        average = sum(quizzes.values()) / len(quizzes)
        parts.append(_("quizzes passed, average best result %(percent)s %%", percent=round(average)))
    if "sandbox" in result:
        parts.append(_("bonus-plan sandbox: %(score)s of 100 points", score=round(result["sandbox"])))
    return "; ".join(parts)


def credential(record: CertificateRecord, key) -> dict:  # noqa: ANN001 - an Ed25519 private key
    """The Open Badges 3.0 credential, signed with the issuer's key (eddsa-rdfc-2022)."""
    issuer_id = url_for("certificates.issuer", _external=True)
    with force_locale(record.language):
        description = _("Completed every lesson, quiz and the bonus-plan sandbox of the course.")
        criteria = _("Complete every lesson, pass every quiz at its pass mark and reach the sandbox threshold.")
    unsigned = build_credential(
        record,
        verify_url=verify_url(record.public_id),
        issuer_id=issuer_id,
        achievement_id=url_for("learn.overview", course_id=record.course_id, _external=True),
        description=description,
        criteria=criteria,
    )
    return sign_credential(unsigned, key, f"{issuer_id}#{key_id(key.public_key())}")
