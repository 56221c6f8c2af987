"""Images for lessons: uploaded by trainers, stored under content-addressed names, served to everyone.

The folder is the store (MEDIA_DIR, default <instance>/media): a file's name is the SHA-256 of its bytes,
so it never changes once written, a second upload of the same image stores nothing new, and browsers may
cache it for good. Lesson Markdown refers to an image as `![Description](/media/<name>)`; the sanitiser
keeps only such images (course/core/text/markdown.py).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from course.auth.access import staff_required
from course.authoring.media_forms import MediaForm
from course.authoring.views import bp
from course.core.errors import CourseError
from course.core.media import CheckedImage, MediaRefused, check_image, is_stored_name, media_type

#: The public image URLs live outside the studio's /studio prefix; registered by create_app.
media_bp = Blueprint("media", __name__)

LISTED = 200  # newest images shown on the page; all of them stay served
CACHE_SECONDS = 365 * 24 * 3600
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"

#: endpoint → page that shows a request over MAX_CONTENT_LENGTH as a message at its upload field
TOO_LARGE_PAGES: dict[str, Callable[[], object]] = {}


@dataclass(frozen=True)
class StoredImage:
    name: str
    size: int
    media_type: str
    modified: datetime

    @property
    def url(self) -> str:
        return f"/media/{self.name}"


def media_dir() -> Path:
    return Path(current_app.config.get("MEDIA_DIR") or Path(current_app.instance_path) / "media")


def max_bytes() -> int:
    return int(current_app.config["MEDIA_MAX_BYTES"])


def store_image(image: CheckedImage, folder: Path) -> bool:
    """Write the image under its content name, atomically; False if it was there already (then only touched).

    A reader never sees half a file: the bytes go to a temporary file in the same folder first, which
    os.replace then renames in one step. Two servers writing the same image write the same bytes.
    """
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / image.name
    if target.is_file():
        os.utime(target)  # shown as the newest upload again
        return False
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(image.data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)  # noqa: S103 - images are public; a web server in front may serve the folder
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def stored_images(folder: Path, limit: int = LISTED) -> tuple[list[StoredImage], int]:
    """The newest `limit` images and how many there are in all."""
    if not folder.is_dir():
        return [], 0
    found = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if is_stored_name(entry.name) and entry.is_file():
                stat = entry.stat()
                found.append(
                    StoredImage(
                        entry.name,
                        stat.st_size,
                        media_type(entry.name),
                        datetime.fromtimestamp(stat.st_mtime, UTC),
                    )
                )
    found.sort(key=lambda image: (image.modified, image.name), reverse=True)
    return found[:limit], len(found)


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
            if store_image(image, media_dir()):
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
    images, total = stored_images(media_dir())
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
    """A lesson image, for learners and visitors too: fixed bytes, so cached for a year."""
    if not is_stored_name(name):
        abort(404)
    response = send_from_directory(media_dir(), name, mimetype=media_type(name), max_age=CACHE_SECONDS)
    response.cache_control.public = True
    response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    if name.endswith(".svg"):
        response.headers["Content-Security-Policy"] = SVG_POLICY
    return response
