"""SCORM dispatch: the studio page where trainers make packages, and the two public addresses a package calls.

The launch (GET /scorm/launch/<key>) turns the LMS's learner into a session here and sends them to the package's
target; the status (GET /scorm/status/<key>) answers the package's page, on the LMS's origin, with the learner's
standing as SCORM run-time values. Only the status answers other origins (CORS), and without cookies: it reads
nothing but the package key and the learner id in its address (course/scorm/operations.py, "Trust model").
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from course import ratelimit
from course.audit import operations as audit
from course.auth import operations as accounts
from course.auth.access import staff_required
from course.auth.sessions import log_in
from course.core import scorm as core
from course.core.catalog import Course
from course.core.errors import NotFound
from course.extensions import db
from course.i18n import current_language
from course.models import ScormPackage
from course.publishing.cache import catalog
from course.scorm import operations
from course.scorm.forms import VERSION_LABELS, DownloadForm, PackageForm, RevokeForm, target_choices
from course.scorm.operations import LaunchRefused

log = logging.getLogger(__name__)
bp = Blueprint("scorm", __name__)

# HTTP status per refusal: no such package (404), no longer (410), the LMS sent no usable learner (400), the
# account was closed here (403), a second first launch at the same moment (409: trying again works).
_STATUS = {
    "unknown_package": 404,
    "revoked": 410,
    "missing": 400,
    "too_long": 400,
    "bad_characters": 400,
    "deactivated": 403,
    "busy": 409,
    "course_gone": 404,
}
_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


# --- The studio page ------------------------------------------------------------------------------------------------


def _page(course: Course, form: PackageForm, status: int = 200):
    rows = operations.packages(course.id)
    lang = current_language()
    return render_template(
        "scorm/packages.html",
        course=course,
        lang=lang,
        form=form,
        rows=rows,
        learners=operations.learner_counts(rows),
        targets=dict(target_choices(course, lang)),
        versions=VERSION_LABELS,
    ), status


@bp.route("/studio/courses/<course_id>/scorm", methods=["GET", "POST"])
@staff_required
def packages(course_id: str):
    course = catalog().course(course_id)
    lang = current_language()
    form = PackageForm(course, lang)
    if request.method == "GET":
        return _page(course, form)
    target = form.chosen_target() if form.validate_on_submit() else None
    if target is None:
        return _page(course, form, 400)
    user = current_user._get_current_object()
    package, key = operations.create(course, target, form.version.data, form.title.data, user)
    db.session.commit()
    page = render_template("scorm/created.html", course=course, package=package, form=DownloadForm(key=key))
    return page, 201, _NO_STORE


@bp.post("/studio/courses/<course_id>/scorm/<int:package_id>/download")
@staff_required
def download(course_id: str, package_id: int):
    """The ZIP, for whoever just created the package: the key comes back from the page that showed it once."""
    course = catalog().course(course_id)
    package = operations.find_package(course.id, package_id)
    if package is None:
        raise NotFound(f"no SCORM package {package_id}")
    form = DownloadForm()
    key = form.key.data or ""
    if not form.validate_on_submit() or operations.key_hash(key) != package.key_hash:
        flash(_("This package can no longer be downloaded: create a new one."), "error")
        return redirect(url_for("scorm.packages", course_id=course.id), code=303)
    if package.revoked_at is not None:
        flash(_("This package has been revoked."), "error")
        return redirect(url_for("scorm.packages", course_id=course.id), code=303)
    body = operations.package_zip(package, key, current_language())
    return Response(
        body,
        mimetype="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{operations.package_filename(package)}"',
            **_NO_STORE,
        },
    )


@bp.route("/studio/courses/<course_id>/scorm/<int:package_id>/revoke", methods=["GET", "POST"])
@staff_required
def revoke(course_id: str, package_id: int):
    course = catalog().course(course_id)
    package = operations.find_package(course.id, package_id)
    if package is None:
        raise NotFound(f"no SCORM package {package_id}")
    form = RevokeForm()
    if request.method == "GET" or not form.validate_on_submit():
        status = 200 if request.method == "GET" else 400
        return render_template("scorm/revoke.html", course=course, package=package, form=form), status
    if operations.revoke(package, current_user._get_current_object()):
        db.session.commit()
        flash(_("The package “%(title)s” has been revoked: it opens nothing any more.", title=package.title), "success")
    else:
        flash(_("This package had been revoked already."), "info")
    return redirect(url_for("scorm.packages", course_id=course.id), code=303)


# --- What a package calls -----------------------------------------------------------------------------------------


@bp.get("/scorm/launch/<key>")
def launch(key: str):
    ratelimit.enforce("scorm_launch", "SCORM_LAUNCH_RATE_LIMIT")
    try:
        package = operations.live_package(key)
        learner_id = operations.check_learner_id(package, request.args.get("learner_id"))
        course = _course_of(package)
        user = operations.learner_account(package, learner_id, request.args.get("learner_name"), current_language())
    except LaunchRefused as refusal:
        db.session.rollback()
        return _refused(refusal)
    if current_user.is_authenticated and current_user.id == user.id:
        db.session.commit()
    else:
        if current_user.is_authenticated:  # someone else in this browser: their session ends first
            accounts.end_session(session.get("_user_id"))
            logout_user()
        log_in(user, remember=False)  # commits
    return redirect(_target_url(course, core.parse_target(package.target)))


@bp.get("/scorm/status/<key>")
def status(key: str):
    try:
        package = operations.live_package(key)
        learner_id = operations.check_learner_id(package, request.args.get("learner_id"))
        course = _course_of(package)
    except LaunchRefused as refusal:
        log.info("SCORM status refused: %s", refusal.reason)
        return _cross_origin(jsonify(error=refusal.reason, message=_message(refusal.reason)), _STATUS[refusal.reason])
    standing = operations.standing(package, course, operations.find_learner(package, learner_id))
    return _cross_origin(
        jsonify(
            completed=standing.completed,
            passed=standing.passed,
            score=standing.score,
            values=core.runtime_values(package.scorm_version, standing),
        ),
        200,
    )


def _cross_origin(response: Response, status: int) -> Response:
    """Any origin may read it (the LMS's is not known in advance); no cookies are sent or needed."""
    response.status_code = status
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers.update(_NO_STORE)
    return response


def _course_of(package: ScormPackage) -> Course:
    try:
        return catalog().course(package.course_id)
    except NotFound:
        raise LaunchRefused("course_gone", package) from None


def _target_url(course: Course, target: core.Target) -> str:
    """Where the target is; a lesson or quiz removed from the course since leads to the course's overview."""
    try:
        if target.kind == "lesson":
            course.lesson(target.item or "")
            return url_for("learn.lesson", course_id=course.id, lesson_id=target.item)
        if target.kind == "quiz":
            course.quiz(target.item or "")
            return url_for("quiz.show", course_id=course.id, quiz_id=target.item)
    except NotFound:
        pass
    if target.kind == "sandbox":
        return url_for("sandbox.brief", course_id=course.id, scenario_id=target.item)
    return url_for("learn.overview", course_id=course.id)


def _refused(refusal: LaunchRefused):
    """Log and record the refusal for the admins, explain it to the learner; nothing else of the launch is kept."""
    package = refusal.package
    log.warning("SCORM launch refused (package %s): %s", package.id if package else "unknown", refusal.reason)
    target = None
    if refusal.reason == "deactivated" and package is not None:
        target = operations.find_learner(package, request.args.get("learner_id", ""))
    audit.record(
        "scorm_launch_refused",
        target=target,
        target_label=None if target else (package.title if package else None),
        actor=None,
        package=package.id if package else None,
        reason=refusal.reason,
    )
    db.session.commit()
    page = render_template("scorm/refused.html", message=_message(refusal.reason))
    return page, _STATUS[refusal.reason], _NO_STORE


def _message(reason: str) -> str:
    """What the learner (and the LMS's admin they tell) reads about a refusal."""
    if reason == "unknown_package":
        return _("This SCORM package is not known to the course. Ask your LMS administrator for the current package.")
    if reason == "revoked":
        return _(
            "This SCORM package has been withdrawn by the course's trainers. Ask your LMS administrator for the "
            "current package."
        )
    if reason == "missing":
        return _(
            "Your learning platform did not say who you are (no learner id), so the course cannot be opened for "
            "you. Please tell the platform's administrator."
        )
    if reason in ("too_long", "bad_characters"):
        return _(
            "Your learning platform sent a learner id the course cannot use (at most 255 characters, letters, "
            "digits and punctuation, no spaces). Please tell the platform's administrator."
        )
    if reason == "deactivated":
        return _("This account has been deactivated. Please ask your course administrator.")
    if reason == "busy":
        return _("The course was opened for you twice at the same moment. Please try again.")
    return _("The course this package opens is no longer offered. Ask your LMS administrator.")
