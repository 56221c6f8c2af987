"""Images for lessons: uploaded by trainers, stored under content-addressed names, served to everyone.

The database is the store (course/authoring/media_store.py), so every app server serves every image. A name
is the SHA-256 of the image's bytes, so it never changes once written, a second upload of the same image stores
nothing new, and browsers may cache it for good. Lesson Markdown refers to an image as
`![Description](/media/<name>)`; the sanitiser keeps only such images (course/core/text/markdown.py).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from course.assets import cache_for_a_year
from course.auth.access import staff_required
from course.authoring import media_store
from course.authoring.media_forms import MediaForm
from course.authoring.views import bp
from course.core.errors import CourseError
from course.core.media import MediaRefused, check_image, is_stored_name, media_type
from course.extensions import db

#: The public image URLs live outside the studio's /studio prefix; registered by create_app.
media_bp = Blueprint("media", __name__)

SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"

#: endpoint → page that shows a request over MAX_CONTENT_LENGTH as a message at its upload field
TOO_LARGE_PAGES: dict[str, Callable[[], object]] = {}


def max_bytes() -> int:
    return int(current_app.config["MEDIA_MAX_BYTES"])


def translated(error: CourseError) -> str:
    return _(error.message, **error.params)


@bp.route("/media", methods=["GET", "POST"])
@staff_required
def media():
    """Upload an image and list the uploaded ones with the Markdown to paste into a lesson."""
    form = MediaForm()
    if form.validate_on_submit():
        data = form.image.data.stream.read(max_bytes() + 1)
        try:
            image = check_image(data, max_bytes(), int(current_app.config["MEDIA_MAX_PIXELS"]))
        except MediaRefused as error:
            form.image.errors.append(translated(error))
        else:
            is_new = media_store.store_image(image)
            db.session.commit()
            if is_new:
                flash(_("The image is uploaded."), "success")
            else:
                flash(_("This image was uploaded before; it is the same file."), "info")
            if image.removed:
                flash(
                    _(
                        "For safety, these parts were removed from the SVG: %(parts)s. "
                        "Check that it still looks right.",
                        parts=", ".join(image.removed),
                    ),
                    "warning",
                )
            return redirect(url_for("authoring.media", uploaded=image.name))
    return _media_page(form, 400 if request.method == "POST" else 200)


def _media_page(form: MediaForm, status: int):
    images, total = media_store.stored_images()
    uploaded = request.args.get("uploaded", "")
    return (
        render_template(
            "authoring/media.html",
            form=form,
            images=images,
            total=total,
            uploaded=uploaded if is_stored_name(uploaded) else None,
            limit_kb=max_bytes() // 1024,
        ),
        status,
    )


def _media_too_large():
    form = MediaForm(formdata=None)
    form.image.errors = [_("The file is too large: at most %(limit)s KB.", limit=max_bytes() // 1024)]
    return _media_page(form, 413)


TOO_LARGE_PAGES["authoring.media"] = _media_too_large


@bp.errorhandler(RequestEntityTooLarge)
def request_too_large(error: RequestEntityTooLarge):
    """An upload over the app's MAX_CONTENT_LENGTH: the form again with the message at the file field."""
    page = TOO_LARGE_PAGES.get(request.endpoint or "")
    if page is not None:
        try:
            return page()
        except CourseError:  # e.g. the URL names no course: the plain page below says enough
            pass
    title, message = _("Too large"), _("What you sent is too large.")
    return render_template("errors/error.html", status=413, title=title, message=message), 413


@media_bp.get("/media/<name>")
def media_file(name: str) -> Response:
    """A lesson image, for learners and visitors too: fixed bytes, so cached for a year and revalidated by ETag.

    A browser that sends the image's ETag gets a 304 after a look at the name alone; the bytes are read only
    for a full answer.
    """
    if not is_stored_name(name):
        abort(404)
    etag = name.partition(".")[0]  # the SHA-256 of the bytes: strong by construction
    if request.if_none_match.contains_weak(etag):
        if not media_store.image_exists(name):
            abort(404)
        response = Response(status=304)
    else:
        data = media_store.image_bytes(name)
        if data is None:
            abort(404)
        response = Response(data, mimetype=media_type(name))
    response.set_etag(etag)
    cache_for_a_year(response)
    response.headers["X-Content-Type-Options"] = "nosniff"
    if name.endswith(".svg"):
        response.headers["Content-Security-Policy"] = SVG_POLICY
    return response
