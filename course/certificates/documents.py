"""The documents a certificate is handed out as (the PDF, the signed Open Badges credential), and the documents
a verifier fetches: the issuer profile with every published key, and the signed revocation status list.

Every URL in them is built on PUBLIC_URL (course/urls.py), never on the request's Host header.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app
from flask_babel import force_locale, format_date, get_locale
from flask_babel import gettext as _

from course.branding import site_name
from course.core.certificates.credential import CONTEXTS, build_credential, sign_credential, status_entry
from course.core.certificates.glyphs import printable
from course.core.certificates.qr import qr_code, qr_rectangles
from course.core.certificates.record import CertificateRecord
from course.core.certificates.sharing import linkedin_add_to_profile_url
from course.core.certificates.signing import key_id
from course.core.certificates.status_list import build_list_credential
from course.core.errors import N_
from course.models import CertificateKey
from course.urls import external_url, public_url

DID_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
# The issuer profile is also the keys' controller document: the Open Badges contexts for the profile, the
# DID context for `verificationMethod` and `assertionMethod`, the Multikey context for the keys.
ISSUER_CONTEXTS = (*CONTEXTS, DID_CONTEXT, MULTIKEY_CONTEXT)

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
    return external_url("certificates.verify", public_id=public_id)


def issuer_id() -> str:
    """The issuer's id in every credential: the URL of the issuer profile, which also publishes the keys."""
    return external_url("certificates.issuer")


def status_list_url() -> str:
    return external_url("certificates.status_list")


def issuer_name() -> str:
    locale = get_locale()
    return current_app.config.get("CERTIFICATE_ISSUER_NAME") or site_name(locale.language if locale else "")


def verification_method(public_key_kid: str) -> str:
    return f"{issuer_id()}#{public_key_kid}"


def pdf(record: CertificateRecord) -> bytes:
    """The certificate as PDF, in the language the learner confirmed it in, dated with its issue time (so the same
    record gives the same bytes). Made once, at issue, and kept: `operations.certificate_pdf` hands it out.
    The drawing code is imported here, not at the top: it weighs tens of MB, and a process that never draws a
    certificate (most of them, as PDFs are kept) should not carry it."""
    from course.core.certificates.pdf import render_certificate

    with force_locale(record.language):
        fields = pdf_fields(record)
    return render_certificate(**fields, verify_url=verify_url(record.public_id), created_at=record.issued_at)


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


def preview(record: CertificateRecord) -> dict:
    """What the completion page draws as the certificate: the PDF's own texts, in the PDF's language, and its QR code
    as an SVG path (a certificate not yet issued has no id, so no QR code)."""
    with force_locale(record.language):
        fields = pdf_fields(record)
    for key in ("name", "course_title", "issued_on", "result", "issuer"):
        fields[key] = printable(fields[key])  # as the PDF draws them
    if record.public_id:
        url = verify_url(record.public_id)
        size = qr_code(url).symbol_size(border=0)[0]
        fields["qr"] = {"size": size, "path": qr_path(qr_rectangles(url))}
    return fields


def qr_path(rectangles: Iterable[tuple[int, int, int, int]]) -> str:
    """The QR code's dark modules as one SVG path, in modules."""
    return "".join(f"M{column} {row}h{width}v{height}h-{width}z" for row, column, width, height in rectangles)


def linkedin_url(record: CertificateRecord) -> str:
    """LinkedIn's "Add to profile" link, filled in from the signed record and the verification URL on PUBLIC_URL."""
    return linkedin_add_to_profile_url(
        name=record.course_title.get(record.language) or next(iter(record.course_title.values())),
        organization_name=record.issuer_name,
        issued_at=record.issued_at,
        cert_url=verify_url(record.public_id),
        cert_id=record.public_id,
    )


def result_text(record: CertificateRecord) -> str:
    result = record.result
    parts = [_("%(done)s of %(total)s lessons", done=result.get("lessons"), total=result.get("lessons_total"))]
    quizzes = result.get("quizzes") or {}
    if quizzes:
        average = sum(quizzes.values()) / len(quizzes)
        parts.append(_("quizzes passed with %(percent)s\u00a0%% on average", percent=round(average)))
    if "sandbox" in result:
        parts.append(_("%(score)s of 100 points in the bonus-plan sandbox", score=round(result["sandbox"])))
    return "; ".join(parts)


def credential(record: CertificateRecord, key: Ed25519PrivateKey, status_index: int | None) -> dict:
    """The Open Badges 3.0 credential, signed with the issuer's key (eddsa-rdfc-2022), with its revocation entry."""
    with force_locale(record.language):
        description = _("Completed every lesson, quiz and the bonus-plan sandbox of the course.")
        criteria = _("Complete every lesson, pass every quiz at its pass mark and reach the sandbox threshold.")
    unsigned = build_credential(
        record,
        verify_url=verify_url(record.public_id),
        issuer_id=issuer_id(),
        achievement_id=external_url("learn.overview", course_id=record.course_id),
        description=description,
        criteria=criteria,
        credential_status=status_entry(status_list_url(), status_index) if status_index is not None else None,
    )
    return sign_credential(unsigned, key, verification_method(key_id(key.public_key())))


def status_list(revoked_indexes: Iterable[int], key: Ed25519PrivateKey, now: datetime) -> dict[str, Any]:
    """The signed revocation list (BitstringStatusListCredential) that every credential's `credentialStatus` names."""
    unsigned = build_list_credential(status_list_url(), issuer_id(), revoked_indexes, now)
    return sign_credential(unsigned, key, verification_method(key_id(key.public_key())))


def issuer_profile(keys: Iterable[CertificateKey]) -> dict[str, Any]:
    """The Open Badges issuer profile, also the controller document of every key that ever signed (by kid).

    Retired keys stay listed, so what they signed stays valid; `assertionMethod` authorises each key for
    credentials. Every term is defined by the listed contexts, as a JSON-LD processor in safe mode demands.
    """
    profile_id = issuer_id()
    methods = [
        {
            "id": f"{profile_id}#{row.kid}",
            "type": "Multikey",
            "controller": profile_id,
            "publicKeyMultibase": row.public_key,
        }
        for row in keys
    ]
    return {
        "@context": list(ISSUER_CONTEXTS),
        "id": profile_id,
        "type": ["Profile"],
        "name": issuer_name(),
        "url": public_url(),
        "verificationMethod": methods,
        "assertionMethod": [method["id"] for method in methods],
    }
