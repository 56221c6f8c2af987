"""The page of one background job (progress, then its file), its status as JSON for the page's script, the download,
and the admins' list of failed and waiting jobs (docs/operations.md, "Background jobs").

A job is seen by the account that asked for it and by admins; for anyone else it does not exist (404), like a job
that was purged. The page works without JavaScript (a "Refresh" link); with it, static/js/jobs.js polls the status
and fills in the progress bar and the text a screen reader announces.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, url_for
from flask_babel import format_datetime, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from course.auth.access import roles_required
from course.core.jobs import percent
from course.extensions import db
from course.i18n import current_language
from course.jobs import operations, registry
from course.models import Job, utcnow
from course.notifications.forms import ButtonForm

bp = Blueprint("jobs", __name__)
STUCK_AFTER = timedelta(minutes=2)  # a runner takes a job within seconds; this long means none is running


@bp.errorhandler(operations.JobNotFound)
def _missing(_error: operations.JobNotFound):
    title, message = _("Not found"), _("There is no such job. Finished jobs and their files are deleted after a while.")
    return render_template("errors/error.html", status=404, title=title, message=message), 404


@bp.after_request
def _not_stored(response: Response) -> Response:
    """Job pages and files hold personal data and change from one second to the next."""
    response.headers["Cache-Control"] = "no-store"
    return response


def label(job: Job) -> str:
    try:
        return _(registry.kind(job.kind).label)
    except registry.UnknownJobKind:
        return job.kind


def status_text(job: Job) -> str:
    """What the asker reads about the job, in their language."""
    if job.state == "done":
        return _("Ready: %(name)s.", name=job.result_name) if job.result_name else _("Done.")
    if job.state == "failed":
        return _("The job failed. Try again; if it fails again, an administrator can see why.")
    if job.state == "running":
        done = percent(job.progress_done, job.progress_total)
        text = job.progress_text or _("Working…")
        return _("%(text)s (%(percent)d %%)", text=text, percent=done) if done is not None else text
    if job.attempts:
        return _(
            "Something went wrong; the job is tried again at %(time)s.", time=format_datetime(job.run_after, "short")
        )
    if utcnow() - job.run_after > STUCK_AFTER:  # no runner has looked: RQ workers not started, say
        return _("Waiting to start… If it does not start soon, please tell an administrator.")
    return _("Waiting to start…")


def _view(job: Job) -> dict:
    return {
        "state": job.state,
        "percent": percent(job.progress_done, job.progress_total),
        "done": job.progress_done,
        "total": job.progress_total,
        "message": status_text(job),
        "download": url_for("jobs.download", job_id=job.id) if job.state == "done" and job.result_name else None,
        "download_label": _("Download %(name)s", name=job.result_name or _("the file")),
    }


@bp.get("/jobs/<int:job_id>")
@login_required
def show(job_id: int):
    job = operations.visible_job(current_user, job_id)
    return render_template(
        "jobs/job.html",
        job=job,
        label=label(job),
        status=_view(job),
        back=(job.params or {}).get("back"),
        form=ButtonForm(),
    )


@bp.get("/jobs/<int:job_id>/status")
@login_required
def status(job_id: int):
    return jsonify(_view(operations.visible_job(current_user, job_id)))


@bp.get("/jobs/<int:job_id>/download")
@login_required
def download(job_id: int):
    job = operations.visible_job(current_user, job_id)
    data = operations.result_of(job) if job.state == "done" else None
    if data is None or not job.result_name:
        raise operations.JobNotFound(job_id)
    return Response(
        data,
        content_type=job.result_type or "application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{job.result_name}"'},
    )


@bp.post("/jobs/<int:job_id>/retry")
@login_required
def retry(job_id: int):
    """The asker tries a failed job again (a passing fault may be gone by now)."""
    job = operations.visible_job(current_user, job_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    if job.state != "failed" or operations.retry([job.id]) == 0:
        flash(_("Only a failed job can be tried again."), "error")
    else:
        db.session.commit()
        flash(_("The job is queued again."), "success")
    return redirect(url_for("jobs.show", job_id=job.id))


# --- Admins ---------------------------------------------------------------------------------------------------------


@bp.get("/admin/jobs")
@roles_required("admin")
def admin():
    return render_template("jobs/admin.html", rows=operations.troubled(), label=label, form=ButtonForm())


@bp.post("/admin/jobs/<int:job_id>/retry")
@roles_required("admin")
def admin_retry(job_id: int):
    if not ButtonForm().validate_on_submit():
        abort(400)
    if operations.retry([job_id]) == 0:
        abort(404)
    db.session.commit()
    flash(_("The job is queued again."), "success")
    return redirect(url_for("jobs.admin"))


@bp.post("/admin/jobs/retry-failed")
@roles_required("admin")
def admin_retry_failed():
    if not ButtonForm().validate_on_submit():
        abort(400)
    queued = operations.retry()
    db.session.commit()
    flash(ngettext("%(num)d failed job is queued again.", "%(num)d failed jobs are queued again.", queued), "success")
    return redirect(url_for("jobs.admin"))


def start(kind: str, params: dict, back: str) -> Response:
    """Queue a job for the current account from a page's POST and show its page (POST/redirect/GET). `back`: the
    page the asker came from, linked from the job's page."""
    job = operations.create(kind, {**params, "back": back}, by_id=current_user.id, lang=current_language())
    db.session.commit()
    return redirect(url_for("jobs.show", job_id=job.id))
