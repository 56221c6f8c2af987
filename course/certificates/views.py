"""Certificates: the learner's page (checklist, name confirmation, issue, downloads), the public
verification page and the published key."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required

from course.certificates import operations
from course.certificates.forms import NameForm
from course.certificates.keys import signing_key
from course.core.certificates.credential import build_credential, sign_credential
from course.core.certificates.pdf import render_certificate, unsupported_characters
from course.core.certificates.record import CertificateRecord, is_public_id, validate_name
from course.core.certificates.signing import key_id, multikey_document, public_key_jwk
from course.core.errors import N_, NotFound
from course.extensions import db
from course.i18n import current_language
from course.models import Certificate
from course.publishing.cache import catalog

bp = Blueprint("certificates", __name__)

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


def _issuer() -> operations.Issuer:
    return operations.Issuer(
        name=current_app.config.get("CERTIFICATE_ISSUER_NAME") or _("KAM course"),
        url=request.url_root.rstrip("/"),
    )


@bp.route("/courses/<course_id>/certificate", methods=["GET", "POST"])
@login_required
def mine(course_id: str):
    current_catalog = catalog()
    course = current_catalog.course(course_id)
    user = current_user._get_current_object()
    certificate = operations.current_certificate(user.id, course.id)
    lang = current_language()
    steps = operations.steps(user, course)
    eligible = all(step.done for step in steps)
    form = NameForm(data={"name": user.display_name} if request.method == "GET" else None)
    status = 200
    if request.method == "POST" and certificate is not None:  # already issued (a second tab, a double click)
        return redirect(url_for("certificates.mine", course_id=course.id))
    if request.method == "POST":
        if not eligible:
            flash(_("The course is not complete yet: see what is still open below."), "error")
            return redirect(url_for("certificates.mine", course_id=course.id))
        if form.validate():
            name, problems = validate_name(form.name.data or "")
            for problem in problems:
                form.name.errors = [*form.name.errors, _(problem.message, **problem.params)]
            unprintable = "".join(sorted(unsupported_characters(name))) if name else ""
            if unprintable and request.form.get("confirm") != "1":
                form.name.errors = [
                    *form.name.errors,
                    _(
                        "The PDF cannot print these characters: %(chars)s. The verification page and the digital "
                        "credential show your name exactly. Add a spelling in Latin, Greek or Cyrillic letters, "
                        "or confirm below.",
                        chars=unprintable,
                    ),
                ]
                name = None
            if name is not None:
                certificate, created = operations.issue(
                    user, course, name, lang, current_catalog.version, _issuer(), signing_key()
                )
                db.session.commit()
                if created:
                    flash(_("Congratulations! Your certificate has been issued."), "success")
                return redirect(url_for("certificates.mine", course_id=course.id))
        status = 400
    return (
        render_template(
            "certificates/mine.html",
            course=course,
            steps=steps,
            eligible=eligible,
            certificate=certificate,
            record=operations.stored_record(certificate) if certificate else None,
            form=form,
            unprintable=request.method == "POST" and bool(unsupported_characters(form.name.data or "")),
            lang=lang,
        ),
        status,
    )


def _own(public_id: str) -> tuple[Certificate, CertificateRecord]:
    """The learner's own current certificate; anyone else's looks missing (404)."""
    found = operations.check(public_id, signing_key())
    if found.certificate is None or found.certificate.user_id != current_user.id or found.status != "valid":
        raise NotFound("There is no such certificate.")
    return found.certificate, found.record


def _verify_url(public_id: str) -> str:
    return url_for("certificates.verify", public_id=public_id, _external=True)


@bp.get("/certificates/<public_id>/certificate.pdf")
@login_required
def pdf(public_id: str):
    _certificate, record = _own(public_id)
    with force_locale(record.language):
        fields = pdf_fields(record)
    data = render_certificate(**fields, verify_url=_verify_url(record.public_id))
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="certificate-{record.public_id}.pdf"'},
    )


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


@bp.get("/certificates/<public_id>/credential.json")
@login_required
def credential(public_id: str):
    _certificate, record = _own(public_id)
    key = signing_key()
    data = sign_credential(
        build_credential(
            record,
            verify_url=_verify_url(record.public_id),
            issuer_id=url_for("certificates.issuer", _external=True),
            achievement_id=url_for("learn.overview", course_id=record.course_id, _external=True),
            description=_("Completed every lesson, quiz and the bonus-plan sandbox of the course."),
            criteria=_("Complete every lesson, pass every quiz at its pass mark and reach the sandbox threshold."),
        ),
        key,
        f"{url_for('certificates.issuer', _external=True)}#{key_id(key.public_key())}",
    )
    response = jsonify(data)
    response.headers["Content-Disposition"] = f'attachment; filename="credential-{record.public_id}.json"'
    return response


@bp.get("/verify")
def lookup():
    """A form to type an id; a typed id goes to its verification page."""
    typed = (request.args.get("id") or "").strip().lower()
    if typed:
        return redirect(url_for("certificates.verify", public_id=typed[:64]))
    return render_template("certificates/lookup.html", lang=current_language())


@bp.get("/verify/<public_id>")
def verify(public_id: str):
    found = operations.check(public_id, signing_key())
    return render_template(
        "certificates/verify.html",
        found=found,
        public_id=public_id if is_public_id(public_id) else None,
        lang=current_language(),
    ), (404 if found.status == "unknown" else 200)


@bp.get("/certificates/issuer.json")
def issuer():
    """The issuer profile with its published key: what credentials and the CLI check signatures with."""
    public_key = signing_key().public_key()
    profile_id = url_for("certificates.issuer", _external=True)
    return jsonify(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://w3id.org/security/multikey/v1"],
            "id": profile_id,
            "type": ["Profile"],
            "name": _issuer().name,
            "url": request.url_root.rstrip("/"),
            "verificationMethod": [multikey_document(public_key, profile_id)],
            "keys": [public_key_jwk(public_key)],
        }
    )
