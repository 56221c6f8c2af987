"""Certificates: the learner's page (checklist, name confirmation, issue, downloads), the public
verification page, the issuer profile with every published key and the revocation status list, and the
trainers' list (revoke, re-issue, export)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from course.assignments.operations import visible
from course.auth.access import readers_required, staff_required
from course.certificates import documents, export, operations
from course.certificates.forms import NameForm, ReasonForm, ReissueForm
from course.certificates.keys import KeyUnavailable, signing_key
from course.core.certificates.glyphs import unsupported_characters
from course.core.certificates.record import CertificateRecord, is_public_id, validate_name
from course.core.errors import NotFound
from course.extensions import db
from course.fast import reads
from course.groups import operations as groups
from course.i18n import current_language
from course.jobs import operations as job_operations
from course.jobs import views as jobs
from course.models import Certificate, utcnow
from course.notifications import operations as notifications
from course.pages import render_page
from course.publishing.cache import catalog
from course.urls import public_url

bp = Blueprint("certificates", __name__)
log = logging.getLogger(__name__)


def _issuer() -> operations.Issuer:
    return operations.Issuer(name=documents.issuer_name(), url=public_url())


@bp.errorhandler(KeyUnavailable)
def key_unavailable(error: KeyUnavailable):
    """The signing key needs an operator (the log says which file to restore); the visitor learns it is temporary."""
    db.session.rollback()
    message = _("Certificates cannot be issued or downloaded at the moment. Please try again later.")
    if request.path.startswith("/courses/") and request.method == "POST":
        flash(message, "error")
        return redirect(request.path)
    return render_template("errors/error.html", status=503, title=_("Temporarily unavailable"), message=message), 503


@bp.route("/courses/<course_id>/certificate", methods=["GET", "POST"])
@login_required
def mine(course_id: str):
    current_catalog = catalog()
    course = visible(current_catalog.course(course_id))
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
                if created:
                    notifications.certificate_issued(certificate)
                db.session.commit()
                if created:
                    flash(_("Congratulations! Your certificate has been issued."), "success")
                return redirect(url_for("certificates.mine", course_id=course.id))
        status = 400
    record = operations.stored_record(certificate) if certificate else None
    preview = None
    if record is not None:
        preview = documents.preview(record)
    elif eligible:  # what the certificate will look like with the name in the field
        shown_name = (form.name.data or "").strip() or user.display_name
        preview = documents.preview(
            operations.draft(user, course, shown_name, lang, current_catalog.version, _issuer())
        )
    return (
        render_template(
            "certificates/mine.html",
            course=course,
            steps=steps,
            eligible=eligible,
            certificate=certificate,
            record=record,
            preview=preview,
            verify_url=documents.verify_url(certificate.public_id) if certificate else None,
            linkedin_url=documents.linkedin_url(record) if record else None,
            form=form,
            unprintable=request.method == "POST" and bool(unsupported_characters(form.name.data or "")),
            lang=lang,
        ),
        status,
    )


def _own(public_id: str, *, with_pdf: bool = False) -> tuple[Certificate, CertificateRecord]:
    """The learner's own current certificate; anyone else's looks missing (404)."""
    found = operations.check(public_id, with_pdf=with_pdf)
    if found.certificate is None or found.certificate.user_id != current_user.id or found.status != "valid":
        raise NotFound("There is no such certificate.")
    return found.certificate, found.record


@bp.get("/certificates/<public_id>/certificate.pdf")
@login_required
def pdf(public_id: str):
    """The PDF kept since issue, never drawn again per download. Its ETag is the SHA-256 of its bytes, so a browser
    that kept it asks again with If-None-Match and gets a 304 without the bytes being read; `private`: it is
    personal data, for the owner's browser only, and `no-cache`: the access check runs on every download."""
    headers = {"Cache-Control": "private, no-cache"}
    reads.outside_transaction()  # one read, and for an old certificate one guarded UPDATE
    # A browser that kept the PDF sends its ETag: then the bytes are not read with the row.
    certificate, record = _own(public_id, with_pdf=not request.if_none_match)
    if certificate.pdf_sha256 is not None and request.if_none_match.contains_weak(certificate.pdf_sha256):
        response = Response(status=304, headers=headers)
        response.set_etag(certificate.pdf_sha256)
        return response
    document = operations.certificate_pdf(certificate, record)
    if document.made:  # issued before PDFs were kept: this one is kept from now on
        db.session.commit()
    response = Response(
        document.data,
        mimetype="application/pdf",
        headers={**headers, "Content-Disposition": f'attachment; filename="certificate-{record.public_id}.pdf"'},
    )
    response.set_etag(document.sha256)
    return response


@bp.get("/certificates/<public_id>/credential.json")
@login_required
def credential(public_id: str):
    certificate, record = _own(public_id)
    data = documents.credential(record, signing_key(), certificate.status_index)
    db.session.commit()  # the first use of a key file publishes its key
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
    """The signature is checked on every request; only the drawing of the page is cached (per status, record,
    revocation, language and login state), as a shared link to one certificate is opened again and again."""
    found = operations.check(public_id)
    lang = current_language()
    if found.status == "unknown":  # typos and guesses: nothing worth keeping
        shown_id = public_id if is_public_id(public_id) else None
        return render_template("certificates/verify.html", status="unknown", public_id=shown_id, lang=lang), 404
    return render_page(
        "certificates/verify.html",
        shells="verify",
        status=found.status,
        record=found.record,
        erased=found.erased,
        revoked_at=found.certificate.revoked_at,
        revoked_reason=found.certificate.revoked_reason,
        public_id=public_id,
        lang=lang,
        authenticated=current_user.is_authenticated,
    )


@bp.get("/certificates/issuer.json")
def issuer():
    """The issuer profile and controller document: every key that ever signed, by kid, from the database."""
    response = jsonify(documents.issuer_profile(operations.published_keys()))
    response.headers["Cache-Control"] = "no-cache"  # a rotation on another server shows at once
    return response


@bp.get("/certificates/status/revocation")
def status_list():
    """The signed revocation status list, built from the database on every request (no cache anywhere)."""
    data = documents.status_list(operations.revoked_status_indexes(), signing_key(), utcnow())
    db.session.commit()  # the first use of a key file publishes its key
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-cache"
    return response


STATUSES = ("all", "valid", "revoked")


def _filters(values: Mapping[str, str] | None = None) -> tuple[str, str]:
    """The list's filter from the query string (or the export button's form); an unknown status means all."""
    values = request.args if values is None else values
    status = values.get("status", "all")
    return (status if status in STATUSES else "all"), (values.get("q") or "").strip()[:120]


@bp.get("/courses/<course_id>/certificates")
@readers_required
def manage(course_id: str):
    """Managers read the list; trainers and admins revoke and re-issue. Trainers and managers see the certificates
    of the learners they look after (course/groups/operations.py)."""
    course = catalog().course(course_id)
    status, query = _filters()
    rows = operations.course_certificates(course.id, status, query, learners=groups.learners_in_view(current_user))
    return render_template(
        "certificates/manage.html",
        course=course,
        rows=rows,
        status=status,
        query=query,
        limit=operations.LIST_LIMIT,
        may_change=current_user.is_staff,
        no_group=groups.looks_after_no_group(current_user),
        form=ReasonForm(),
        lang=current_language(),
    )


def _staff_certificate(public_id: str) -> Certificate:
    """A certificate of a learner in the trainer's view; anyone else's looks missing (404)."""
    certificate = operations.find(public_id)
    if certificate is None or not _in_view(certificate):
        raise NotFound("There is no such certificate.")
    return certificate


def _in_view(certificate: Certificate) -> bool:
    if groups.learners_in_view(current_user) is None:
        return True
    return certificate.user_id is not None and groups.may_see_learner(current_user, certificate.user_id)


@bp.post("/certificates/<public_id>/revoke")
@staff_required
def revoke(public_id: str):
    certificate = _staff_certificate(public_id)
    form = ReasonForm()
    back = url_for("certificates.manage", course_id=certificate.course_id)
    if not form.validate():
        for error in form.reason.errors:
            flash(error, "error")
        return redirect(back)
    if certificate.revoked_at is not None:
        flash(_("This certificate was already revoked."), "info")
        return redirect(back)
    operations.revoke(certificate, current_user, form.reason.data)
    db.session.commit()
    flash(_("Certificate %(id)s is revoked.", id=public_id), "info")
    return redirect(back)


@bp.post("/certificates/<public_id>/reissue")
@staff_required
def reissue(public_id: str):
    certificate = _staff_certificate(public_id)
    back = url_for("certificates.manage", course_id=certificate.course_id)
    form = ReissueForm()
    if certificate.revoked_at is not None or operations.stored_record(certificate) is None:
        flash(_("Only a current certificate can be re-issued."), "error")
        return redirect(back)
    if operations.erased(operations.stored_record(certificate)):
        flash(
            _("The holder has deleted their account, so there is no name to re-issue this certificate with."), "error"
        )
        return redirect(back)
    name = None
    if form.validate() and form.name.data and form.name.data.strip():
        name, problems = validate_name(form.name.data)
        if name is None:
            for problem in problems:
                flash(_(problem.message, **problem.params), "error")
            return redirect(back)
    replacement = operations.reissue(
        certificate, current_user, signing_key(), name, _("Replaced by a corrected certificate.")
    )
    db.session.commit()
    flash(_("Re-issued as %(id)s; the old certificate is revoked.", id=replacement.public_id), "info")
    return redirect(back)


@bp.post("/courses/<course_id>/certificates/export")
@readers_required
def export_zip(course_id: str):
    """Queue the ZIP of the listed certificates as a background job and show its page. The learners in the account's
    view are fixed now, as the list showed them."""
    course = catalog().course(course_id)
    status, query = _filters(request.form)
    learners = job_operations.capture_scope(current_user)
    back = url_for("certificates.manage", course_id=course.id, status=status, q=query or None)
    return jobs.start(
        export.EXPORT.name, {"course_id": course.id, "status": status, "query": query, "learners": learners}, back
    )
