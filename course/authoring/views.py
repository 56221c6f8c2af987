"""The trainers' studio: write lessons and quizzes in the browser, preview, publish, roll back."""

from __future__ import annotations

import dataclasses

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from wtforms.fields.choices import SelectChoice

from course.auth.access import staff_required
from course.authoring import operations
from course.authoring.forms import MAX_REVISION, EditForm, LessonFieldsForm, NewLessonForm, NewQuizForm, RestoreForm
from course.authoring.operations import DEFAULT_SOURCE_LANGUAGE
from course.authoring.problems import translated
from course.core.authoring.diff import diff_counts, line_diff
from course.core.authoring.documents import LessonDocument, lesson_fields, listed_lessons, read_lesson, write_lesson
from course.core.authoring.paths import ContentPath, course_path, lesson_path, parse_path, quiz_path
from course.core.authoring.preview import lesson_preview
from course.core.authoring.starters import new_lesson, new_quiz
from course.core.authoring.states import translation_warnings
from course.core.catalog import Catalog, Course, Problem
from course.core.catalog.loader import SUPPORTED_LANGUAGES
from course.core.errors import NotFound
from course.core.quiz import make_layout, parse_quiz
from course.core.text.yamldoc import YamlProblem
from course.extensions import db
from course.forms import shows_back_text, whole_number
from course.i18n import LANGUAGE_NAMES, current_language
from course.models import ContentRevision
from course.publishing import operations as publishing
from course.publishing.cache import catalog
from course.quiz.presenting import question_view

bp = Blueprint("authoring", __name__, url_prefix="/studio")

ACTIONS = ("preview", "save", "publish")


@bp.app_template_filter("content_problem")
def content_problem(message: str) -> str:
    """A content problem's message in the trainer's language."""
    return translated(message)


# --- The studio's home ---------------------------------------------------------------------------------------


@bp.get("")
@staff_required
def index():
    return _index()


@bp.post("/courses/<course_id>/lessons")
@staff_required
def create_lesson(course_id: str):
    course = _course_or_404(course_id)
    form = _lesson_form(course)
    if not form.validate_on_submit():  # the form is a button beside the editor: its message comes as a notice
        for errors in form.errors.values():
            flash(" ".join(str(error) for error in errors), "error")
        return _index({course.id: {"lesson": form}}, 400)
    target = lesson_path(course.id, form.lesson_id.data, form.lang.data)
    if operations.create_file(target, new_lesson(form.lesson_id.data, form.lang.data), current_user.id) is None:
        flash(_("This lesson already has a file in this language: edit it instead."), "error")
        return _index({course.id: {"lesson": form}}, 400)
    return _created(target)


@bp.post("/courses/<course_id>/quizzes")
@staff_required
def create_quiz(course_id: str):
    course = _course_or_404(course_id)
    form = NewQuizForm(prefix=f"{course.id}-quiz")
    if not form.validate_on_submit():
        return _index({course.id: {"quiz": form}}, 400)
    target = quiz_path(course.id, form.quiz_id.data)
    first_lesson = course.lessons[0].id if course.lessons else "lesson-id"
    if operations.create_file(target, new_quiz(form.quiz_id.data, first_lesson), current_user.id) is None:
        form.quiz_id.errors = [_("A quiz with this id exists already: edit it instead.")]
        return _index({course.id: {"quiz": form}}, 400)
    return _created(target)


def _created(target: ContentPath):
    try:
        db.session.commit()
    except IntegrityError:  # someone created the same file at the same moment: theirs stands
        db.session.rollback()
        flash(_("Someone else created this file just now: here is their version."), "warning")
    else:
        flash(_("Draft created. Learners see it only once it is published."), "success")
    return redirect(url_for("authoring.edit", path=target.path))


def _index(forms: dict[str, dict] | None = None, status: int = 200):
    current_catalog = catalog()
    courses = {course.id: course for course in current_catalog.courses}
    overviews = operations.overviews(current_catalog)
    forms = forms or {}
    for overview in overviews:
        course = courses.get(overview.course_id)
        if course is not None:
            forms.setdefault(overview.course_id, {})
            forms[overview.course_id].setdefault("lesson", _lesson_form(course, formdata=None))
            forms[overview.course_id].setdefault("quiz", NewQuizForm(prefix=f"{course.id}-quiz", formdata=None))
            if "add" not in forms[overview.course_id]:
                order = [row.lesson_id for row in overview.lessons if row.listed]
                forms[overview.course_id]["add"] = _add_form(course, order, current_catalog)
    return (
        render_template(
            "authoring/index.html",
            overviews=overviews,
            courses=courses,
            forms=forms,
            titles=_lesson_titles(current_catalog),
            lang=current_language(),
        ),
        status,
    )


def _add_form(course: Course, order: list[str], current_catalog: Catalog):
    from course.authoring.form_views import add_lesson_form, course_order  # they build on this module's helpers

    order = course_order(course.id)[0] or order
    titles = {lid: title for (cid, lid), title in _lesson_titles(current_catalog).items() if cid == course.id}
    return add_lesson_form(course, order, titles, formdata=None)


def _lesson_form(course: Course, **kwargs: object) -> NewLessonForm:
    form = NewLessonForm(prefix=f"{course.id}-lesson", **kwargs)
    form.lang.choices = [(lang, LANGUAGE_NAMES.get(lang, lang)) for lang in course.languages]
    if form.lang.data is None:
        form.lang.data = course.source_language
    return form


def _lesson_titles(current_catalog: Catalog) -> dict[tuple[str, str], str]:
    """(course id, lesson id) → the published title in the trainer's language, where there is one."""
    lang = current_language()
    return {
        (course.id, lesson.id): lesson.text(lang, (course.source_language,)).title
        for course in current_catalog.courses
        for lesson in course.lessons
    }


def _course_or_404(course_id: str) -> Course:
    try:
        return catalog().course(course_id)
    except NotFound:
        abort(404)


# --- The editor ----------------------------------------------------------------------------------------------


def _file_or_404(path: str) -> tuple[ContentPath, ContentRevision]:
    """Only the three content path shapes, and only files that exist: anything else is 404."""
    target = parse_path(path)
    newest = publishing.newest_revision(target.path) if target else None
    if target is None or newest is None:
        abort(404)
    return target, newest


@bp.route("/files/<path:path>", methods=["GET", "POST"])
@staff_required
@shows_back_text("text")
def edit(path: str):
    target, newest = _file_or_404(path)
    as_fields = target.kind == "lesson" and request.values.get("view") != "text"
    if request.method == "GET":
        form = EditForm(data={"text": newest.source, "base": str(newest.number)})
        document = _readable_lesson(newest.source) if as_fields else None
        if document is None:
            return _editor(target, form, fields_refused=as_fields)
        return _editor(target, form, fields=_fields_form(target, document, newest.number))
    fields = None
    if as_fields and request.form.get("mode") == "fields":
        fields = _fields_form(target)
        if not fields.validate_on_submit():
            return _editor(target, EditForm(formdata=None, data={"base": fields.base.data}), fields=fields, status=400)
        form = EditForm(formdata=None, data={"text": _fields_text(target, fields), "base": fields.base.data})
    else:
        form = EditForm()
        if not form.validate_on_submit():
            return _editor(target, form, status=400)
    action = request.form.get("action", "")
    if action == "save":
        return _save(target, form, fields)
    if action == "publish":
        return _publish(target, form, fields)
    return _editor(target, form, preview=True, fields=fields)  # Preview, Enter, or anything unknown: never a write


def _readable_lesson(text: str) -> LessonDocument | None:
    """The lesson split into fields, or None while its front matter is not readable (then it is edited as text)."""
    try:
        return read_lesson(text)
    except YamlProblem:
        return None


def _fields_form(target: ContentPath, document: LessonDocument | None = None, base: int | None = None):
    """The lesson form: filled from `document` for a GET, from the request otherwise."""
    if document is None:
        form = LessonFieldsForm()
        newest = publishing.newest_revision(target.path)
        saved = _readable_lesson(newest.source) if newest else None
        current = str(saved.front.get("quiz") or "") if saved else ""
    else:
        values = lesson_fields(document)
        form = LessonFieldsForm(
            formdata=None,
            data={**values, "objectives": "\n".join(values["objectives"]), "body": document.body, "base": str(base)},
        )
        current = values["quiz"]
    course = _course_or_none(target.course_id)
    quiz_ids = [quiz.id for quiz in course.quizzes] if course else []
    if current and current not in quiz_ids:
        quiz_ids.append(current)  # the saved quiz, even while it is a draft: keep it selectable
    form.quiz.choices = [
        SelectChoice("", _("No quiz")),
        *[SelectChoice(quiz_id, _quiz_label(course, quiz_id)) for quiz_id in quiz_ids],
    ]
    return form


def _quiz_label(course: Course | None, quiz_id: str) -> str:
    try:
        return f"{course.quiz(quiz_id).title(current_language())} ({quiz_id})" if course else quiz_id
    except NotFound:
        return quiz_id


def _fields_text(target: ContentPath, fields: LessonFieldsForm) -> str:
    """The lesson file the fields describe, on top of the front matter of the revision the form was opened from."""
    base = publishing.revision(target.path, fields.base_number) or publishing.newest_revision(target.path)
    document = _readable_lesson(base.source) if base else None
    front = document.front if document else {"id": target.item_id, "lang": target.lang}
    return write_lesson(
        front,
        fields.body.data or "",
        title=fields.title.data,
        minutes=fields.minutes.data,
        objectives=fields.objective_list,
        summary=fields.summary.data,
        quiz=fields.quiz.data or None,
    )


def _save(target: ContentPath, form: EditForm, fields: LessonFieldsForm | None = None):
    try:
        revision, created = operations.save(target.path, form.text.data, current_user.id, form.base_number)
        db.session.commit()
    except publishing.ConflictError as conflict:
        db.session.rollback()
        return _conflict(target, form, conflict.newest, fields)
    except IntegrityError:  # two saves from the same base at the same moment: the other one won
        db.session.rollback()
        return _conflict(target, form, publishing.newest_revision(target.path), fields)
    if created:
        flash(_("Draft saved (revision %(number)d).", number=revision.number), "success")
    else:
        flash(_("Nothing changed since revision %(number)d.", number=revision.number), "success")
    return redirect(_back(target))


def _publish(target: ContentPath, form: EditForm, fields: LessonFieldsForm | None = None):
    try:
        revision, _created = operations.save(target.path, form.text.data, current_user.id, form.base_number)
        already = revision.status == "published"
        problems = publishing.publish(target.path, revision.number, current_user.id)
        db.session.commit()  # a refused text stays saved as a draft: nothing typed is lost
    except publishing.ConflictError as conflict:
        db.session.rollback()
        return _conflict(target, form, conflict.newest, fields)
    except IntegrityError:
        db.session.rollback()
        return _conflict(target, form, publishing.newest_revision(target.path), fields)
    if problems:
        form.base.data = str(revision.number)
        if fields is not None:
            fields.base.data = str(revision.number)
        return _editor(
            target, form, status=400, preview=True, problems=problems, refused=revision.number, fields=fields
        )
    if already:
        flash(_("Revision %(number)d is already published.", number=revision.number), "success")
    else:
        flash(_("Published revision %(number)d: learners see it now.", number=revision.number), "success")
    return redirect(_back(target))


def _back(target: ContentPath) -> str:
    """The editor again, in the view (form fields or whole text) the trainer used."""
    if request.values.get("view") == "text" and target.kind == "lesson":
        return url_for("authoring.edit", path=target.path, view="text")
    return url_for("authoring.edit", path=target.path)


def _conflict(
    target: ContentPath, form: EditForm, newest: ContentRevision | None, fields: LessonFieldsForm | None = None
):
    """The file moved on since the form was opened: keep the trainer's text, show what changed, offer the new base."""
    if newest is None:
        abort(404)
    conflict = {
        "number": newest.number,
        "created_at": newest.created_at,
        "author": operations.author_name(newest),
        "diff": line_diff(newest.source, form.text.data or ""),
    }
    form.base.data = str(newest.number)
    if fields is not None:
        fields.base.data = str(newest.number)
    return _editor(target, form, status=409, conflict=conflict, fields=fields)


@bp.post("/files/<path:path>/preview")
@staff_required
@shows_back_text("text")
def preview(path: str):
    """The live preview: the text rendered as learners would see it, and what publishing would say about it."""
    target, _newest = _file_or_404(path)
    if target.kind == "lesson" and request.form.get("mode") == "fields":
        fields = _fields_form(target)
        fields.validate()  # the preview shows what the fields say even while one is invalid
        text = _preview_fields_text(target, fields)
        return render_template(
            "authoring/_preview.html", **_preview_context(target, text), body_offset=_body_offset(text)
        )
    form = EditForm()
    if not form.text.validate(form):
        return render_template("authoring/_preview.html", target=target, problems=[], errors=form.text.errors), 400
    return render_template("authoring/_preview.html", **_preview_context(target, form.text.data))


def _preview_fields_text(target: ContentPath, fields: LessonFieldsForm) -> str:
    """The lesson file of fields as typed, invalid ones included, for the preview and its problem list."""
    minutes = fields.minutes.data if isinstance(fields.minutes.data, int) else (fields.minutes.raw_data or [""])[0]
    base = publishing.revision(target.path, whole_number(fields.base.data, 1, MAX_REVISION) or 0)
    document = _readable_lesson(base.source) if base else None
    return write_lesson(
        document.front if document else {"id": target.item_id, "lang": target.lang},
        fields.body.data or "",
        title=fields.title.data or "",
        minutes=minutes,
        objectives=fields.objective_list,
        summary=fields.summary.data or "",
        quiz=fields.quiz.data or None,
    )


def _body_offset(text: str) -> int:
    """How many lines of a lesson file come before its body: a problem's file line minus this is its body line."""
    lines = text.split("\n")
    closing = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)
    return closing + 1


def _editor(
    target: ContentPath,
    form: EditForm,
    *,
    status: int = 200,
    preview: bool = False,
    problems: list[Problem] | None = None,
    refused: int | None = None,
    conflict: dict | None = None,
    fields: LessonFieldsForm | None = None,
    fields_refused: bool = False,
):
    from course.authoring.figure_views import figure_form, lesson_figures  # they build on this module's helpers

    course = _course_or_none(target.course_id)
    newest = publishing.newest_revision(target.path)
    lesson = target.kind == "lesson"
    context = (
        _preview_context(target, form.text.data or "", problems)
        if preview
        else {"target": target, "problems": problems or []}
    )
    return (
        render_template(
            "authoring/edit.html",
            form=form,
            course=course,
            newest=newest,
            published=next((r for r in operations.history(target.path) if r.status == "published"), None),
            translations=_translations(target, course) if target.kind == "lesson" else [],
            source_language=course.source_language if course else DEFAULT_SOURCE_LANGUAGE,
            show_preview=preview,
            refused=refused,
            conflict=conflict,
            conflict_counts=diff_counts(conflict["diff"]) if conflict else None,
            has_tryout="authoring.try_quiz" in current_app.view_functions,
            has_gift="authoring.gift_download" in current_app.view_functions,
            lang=current_language(),
            fields=fields,
            fields_refused=fields_refused,
            body_offset=_body_offset(form.text.data or "") if fields is not None else 0,
            course_order=_course_order(target, course) if target.kind == "lesson" else None,
            figures=lesson_figures(target, form.text.data or (newest.source if newest else "")) if lesson else [],
            figure_form=figure_form() if lesson else None,
            **context,
        ),
        status,
    )


def _course_order(target: ContentPath, course: Course | None) -> str:
    """Where the lesson stands in the course: "published" (learners can reach it), "draft" (the newest course.yml
    lists it, not yet published) or "unlisted"."""
    if course is not None and target.item_id in course.lesson_ids:
        return "published"
    newest = publishing.newest_revision(course_path(target.course_id).path)
    return "draft" if newest and target.item_id in listed_lessons(newest.source) else "unlisted"


def _course_or_none(course_id: str) -> Course | None:
    try:
        return catalog().course(course_id)
    except NotFound:
        return None


def _translations(target: ContentPath, course: Course | None) -> list[dict]:
    """The lesson's other languages beside the editor: their newest text, state, and whether they lag behind."""
    languages = course.languages if course else SUPPORTED_LANGUAGES
    source_language = course.source_language if course else DEFAULT_SOURCE_LANGUAGE
    paths = {lang: target.sibling(lang).path for lang in languages}
    states = operations.states_of(paths)
    warnings = translation_warnings(states, source_language)
    result = []
    for lang in languages:
        if lang == target.lang:
            continue
        newest = publishing.newest_revision(paths[lang])
        result.append(
            {
                "lang": lang,
                "path": paths[lang],
                "state": states[lang].state,
                "text": newest.source if newest else None,
                "is_source": lang == source_language,
                "warning": warnings.get(lang),
            }
        )
    own_warning = warnings.get(target.lang)
    if own_warning:
        result.insert(0, {"own_warning": own_warning})
    return result


def _preview_context(target: ContentPath, text: str, problems: list[Problem] | None = None) -> dict:
    """Preview and problems: a lesson through the learners' Markdown pipeline, a quiz as its questions."""
    context: dict = {
        "target": target,
        "problems": operations.check_text(target.path, text) if problems is None else problems,
    }
    if target.kind == "lesson":
        context["lesson"] = lesson_preview(text, target.item_id, target.lang)
    elif target.kind == "quiz":
        context.update(_quiz_preview(target, text))
    return context


def _quiz_preview(target: ContentPath, text: str) -> dict:
    """Each question as a learner sees it before answering (options in a learner's shuffled order, no key)."""
    course = _course_or_none(target.course_id)
    languages = course.languages if course else SUPPORTED_LANGUAGES
    quiz, _problems = parse_quiz(target.path, text, target.course_id, languages, None)
    if quiz is None:
        return {"quiz": None}
    lang = current_language() if current_language() in languages else languages[0]
    layout = make_layout(dataclasses.replace(quiz, draw=None), seed=0)
    views = [
        question_view(number, quiz.question(slot.question_id), slot, lang, checked=True)  # disabled, no "check"
        for number, slot in enumerate(layout, start=1)
    ]
    return {"quiz": quiz, "questions": views, "quiz_lang": lang}


# --- History -------------------------------------------------------------------------------------------------


@bp.get("/files/<path:path>/history")
@staff_required
def history(path: str):
    target, newest = _file_or_404(path)
    entries = operations.history(target.path)
    return render_template(
        "authoring/history.html",
        target=target,
        entries=entries,
        newest=newest,
        restore_form=RestoreForm(formdata=None),
        lang=current_language(),
    )


@bp.get("/files/<path:path>/diff")
@staff_required
def diff(path: str):
    target, newest = _file_or_404(path)
    texts = [request.args.get(name) for name in ("a", "b")]
    if not all(text and text.lstrip("-").isdigit() for text in texts):
        flash(_("Choose two revisions to compare."), "warning")
        return redirect(url_for("authoring.history", path=target.path))
    numbers = [whole_number(text, 1, MAX_REVISION) for text in texts]
    if None in numbers:
        abort(404)
    old, new = (publishing.revision(target.path, number) for number in sorted(numbers))
    if old is None or new is None:
        abort(404)
    rows = line_diff(old.source, new.source)
    return render_template(
        "authoring/diff.html",
        target=target,
        old=old,
        new=new,
        rows=rows,
        counts=diff_counts(rows),
        lang=current_language(),
    )


@bp.post("/files/<path:path>/restore")
@staff_required
def restore(path: str):
    target, newest = _file_or_404(path)
    form = RestoreForm()
    if not form.validate_on_submit() or publishing.revision(target.path, form.number.data) is None:
        flash(_("That revision does not exist."), "error")
        return redirect(url_for("authoring.history", path=target.path))
    try:
        draft = publishing.restore(target.path, form.number.data, current_user.id, form.base.data)
        db.session.commit()
    except (publishing.ConflictError, IntegrityError):
        db.session.rollback()
        flash(_("Someone else saved this file meanwhile: look at the newest revision, then restore again."), "error")
        return redirect(url_for("authoring.history", path=target.path))
    flash(
        _(
            "Revision %(old)d restored as draft revision %(new)d: publish it to show it to learners.",
            old=form.number.data,
            new=draft.number,
        ),
        "success",
    )
    return redirect(url_for("authoring.edit", path=target.path))
