"""Moodle GIFT in the studio: upload a GIFT file as a draft quiz, download a quiz as GIFT.

The conversion is the core's (course/core/quiz/gift/), the same one `flask quiz import-gift` and
`export-gift` use; these views only read the upload, pick the options and store the result as a new
draft revision, which the trainer then edits, tries and publishes like any other quiz.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Response, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.utils import secure_filename

from course.auth.access import staff_required
from course.authoring.media import TOO_LARGE_PAGES
from course.authoring.media_forms import GiftUploadForm
from course.authoring.tryout import chosen_revision, course_context
from course.authoring.views import bp
from course.core.authoring.paths import parse_path
from course.core.catalog import Course, Problem
from course.core.quiz import QUIZ_FOLDER, gift, parse_quiz
from course.extensions import db
from course.i18n import LANGUAGE_NAMES, current_language
from course.publishing import operations as publishing
from course.publishing.cache import catalog


class UploadRefused(ValueError):
    """An uploaded GIFT file that cannot be read as text; the message is already translated."""


@dataclass
class Imported:
    """A GIFT import that was saved as a draft: what the report page shows."""

    path: str
    number: int
    result: gift.GiftImport
    remaining: list[Problem]
    filename: str

    @property
    def filled(self) -> str:
        return ", ".join(LANGUAGE_NAMES.get(code, code) for code in self.result.languages)

    @property
    def missing(self) -> str:
        return ", ".join(LANGUAGE_NAMES.get(code, code) for code in self.result.missing_languages)


def max_bytes() -> int:
    return int(current_app.config["GIFT_MAX_BYTES"])


def read_upload(upload: FileStorage) -> bytes:
    """The uploaded file: at most GIFT_MAX_BYTES, not empty. The import decodes it (UTF-8, or a noted guess)."""
    data = upload.stream.read(max_bytes() + 1)
    if len(data) > max_bytes():
        raise UploadRefused(_("The file is too large: at most %(limit)s KB.", limit=max_bytes() // 1024))
    if not data.strip(b"\xef\xbb\xbf\xff\xfe \t\r\n\x00"):
        raise UploadRefused(_("The file is empty."))
    return data


def free_quiz_id(course_id: str, quiz_id: str) -> str:
    """The quiz id with the first free number appended (`bonus-quiz-2`), for the message when the id is taken."""
    number = 2
    while publishing.newest_revision(f"{QUIZ_FOLDER}/{course_id}/{quiz_id}-{number}.yml") is not None:
        number += 1
    return f"{quiz_id}-{number}"


def _form(course: Course, *, submitted: bool = True) -> GiftUploadForm:
    """The upload form for this course; `submitted` False ignores the request body (too large to read)."""
    lang = current_language()
    lessons = [
        (lesson.id, f"{lesson.text(lang, (course.source_language,)).title} ({lesson.id})") for lesson in course.lessons
    ]
    form = (GiftUploadForm() if submitted else GiftUploadForm(formdata=None)).for_course(
        course.languages, LANGUAGE_NAMES, lessons
    )
    if request.method == "GET" and course.source_language in course.languages:
        form.lang.data = course.source_language
    return form


@bp.route("/courses/<course_id>/gift", methods=["GET", "POST"])
@staff_required
def gift_upload(course_id: str):
    """Upload a GIFT file (and optionally its translation): a new draft quiz, and the import report."""
    course = catalog().course(course_id)
    form = _form(course)
    report = None
    if form.validate_on_submit():
        imported, report = _import(course, form)
        if imported is not None:
            return render_template("authoring/gift_report.html", course=course, imported=imported)
    return _upload_page(course, form, report, 400 if request.method == "POST" else 200)


def _upload_page(course: Course, form: GiftUploadForm, report: gift.GiftImport | None, status: int):
    return (
        render_template(
            "authoring/gift_upload.html", course=course, form=form, report=report, limit_kb=max_bytes() // 1024
        ),
        status,
    )


def _import(course: Course, form: GiftUploadForm) -> tuple[Imported | None, gift.GiftImport | None]:
    """Convert and save; on any problem put the message at its field and save nothing."""
    lang = form.lang.data
    try:
        data = read_upload(form.gift.data)
    except UploadRefused as error:
        form.gift.errors.append(str(error))
        return None, None
    translations = {}
    if form.translation.data:
        other = [code for code in course.languages if code != lang]
        if not other:
            form.translation.errors.append(_("This course has only one language."))
            return None, None
        try:
            translations[other[0]] = read_upload(form.translation.data)
        except UploadRefused as error:
            form.translation.errors.append(str(error))
            return None, None
    filename = secure_filename(form.gift.data.filename or "") or "quiz.gift"
    quiz_id = form.quiz_id.data or gift.slug(Path(filename).stem) or ""
    if not quiz_id:
        form.quiz_id.errors.append(_("Give the quiz an id: the file name makes none."))
        return None, None
    path = f"{QUIZ_FOLDER}/{course.id}/{quiz_id}.yml"
    if publishing.newest_revision(path) is not None:
        form.quiz_id.errors.append(_taken(course.id, quiz_id))
        return None, None
    try:
        result = gift.import_gift(
            data, lang, course.languages, quiz_id, form.title.data or None, form.lesson.data, translations
        )
    except gift.GiftError as error:
        form.gift.errors.append(_("The file cannot be imported: %(reason)s", reason=str(error)))
        return None, None
    if not result.converted:
        form.gift.errors.append(_("No question in this file could be converted: is it a GIFT file?"))
        return None, result
    header = f"Imported from {filename} ({', '.join(result.languages)}) in the studio."
    source = gift.dump_yaml(result.data, header)
    try:
        draft = publishing.save_draft(path, source, current_user.id, base=None)
        number = draft.number
        db.session.commit()
    except (publishing.ConflictError, IntegrityError):  # another trainer took the id a moment ago
        db.session.rollback()
        form.quiz_id.errors.append(_taken(course.id, quiz_id))
        return None, None
    _quiz, remaining = parse_quiz(path, source, course.id, course.languages)
    return Imported(path, number, result, remaining, filename), result


def _taken(course_id: str, quiz_id: str) -> str:
    return _(
        "There is already a quiz with the id “%(id)s”. Choose another id, e.g. “%(free)s”.",
        id=quiz_id,
        free=free_quiz_id(course_id, quiz_id),
    )


def _upload_too_large():
    course = catalog().course((request.view_args or {}).get("course_id", ""))
    form = _form(course, submitted=False)
    form.gift.errors = [_("The file is too large: at most %(limit)s KB.", limit=max_bytes() // 1024)]
    return _upload_page(course, form, None, 413)


TOO_LARGE_PAGES["authoring.gift_upload"] = _upload_too_large


@bp.get("/files/<path:path>/gift")
@staff_required
def gift_download(path: str):
    """The published quiz (or `?revision=N`) as a GIFT file in `?lang=` (default: the course's source language).

    What GIFT cannot express is listed in a comment block at the top, which Moodle and our import skip.
    """
    target = parse_path(path)
    if target is None or target.kind != "quiz":
        raise HTTPNotFound()
    revision = chosen_revision(path, published=True)
    context = course_context(target.course_id)
    lang = request.args.get("lang") or context.source_language
    if lang not in context.languages:
        raise HTTPNotFound()
    try:
        result = gift.export_gift(revision.source, lang, context.languages, context.id)
    except gift.GiftError as error:
        message = _("This revision cannot be exported: %(reason)s", reason=str(error))
        title = _("Not exported")
        return render_template("errors/error.html", status=422, title=title, message=message), 422
    text = export_notes(path, revision.number, revision.status, result) + result.text
    response = Response(text, mimetype="text/plain")
    response.headers.set("Content-Disposition", "attachment", filename=f"{target.item_id}.{lang}.gift")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def export_notes(path: str, number: int, status: str, result: gift.GiftExport) -> str:
    """GIFT comment lines on where the file comes from and what it leaves out (English, like the CLI)."""
    lines = [f"// Exported from {path}, revision {number} ({status}), by the course studio."]
    if result.skipped or result.notes:
        lines.append("// What GIFT cannot express (left out or changed):")
        for item in result.skipped:
            lines.append(f"// - question '{item.question_id}' ({item.type}) skipped: {item.reason}")
        for note in result.notes:
            where = f"question '{note.question_id}'" if note.question_id else "the quiz"
            lines.append(f"// - {where}: {note.message}")
    return "".join(" ".join(line.split()) + "\n" for line in lines) + "\n"
