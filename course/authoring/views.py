"""The trainers' studio: write lessons and quizzes in the browser, preview, publish, roll back."""

from __future__ import annotations

import dataclasses

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from course.auth.access import staff_required
from course.authoring import operations
from course.authoring.forms import MAX_REVISION, EditForm, NewLessonForm, NewQuizForm, RestoreForm
from course.authoring.operations import DEFAULT_SOURCE_LANGUAGE
from course.core.authoring.diff import diff_counts, line_diff
from course.core.authoring.paths import ContentPath, lesson_path, parse_path, quiz_path
from course.core.authoring.preview import lesson_preview
from course.core.authoring.starters import new_lesson, new_quiz
from course.core.authoring.states import translation_warnings
from course.core.catalog import Catalog, Course, Problem
from course.core.catalog.loader import SUPPORTED_LANGUAGES
from course.core.errors import NotFound
from course.core.quiz import make_layout, parse_quiz
from course.extensions import db
from course.forms import shows_back_text, whole_number
from course.i18n import LANGUAGE_NAMES, current_language
from course.models import ContentRevision
from course.publishing import operations as publishing
from course.publishing.cache import catalog
from course.quiz.presenting import question_view

bp = Blueprint("authoring", __name__, url_prefix="/studio")

ACTIONS = ("preview", "save", "publish")


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
    if not form.validate_on_submit():
        return _index({course.id: {"lesson": form}}, 400)
    target = lesson_path(course.id, form.lesson_id.data, form.lang.data)
    if operations.create_file(target, new_lesson(form.lesson_id.data, form.lang.data), current_user.id) is None:
        form.lesson_id.errors = [_("This lesson already has a file in this language: edit it instead.")]
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
    if request.method == "GET":
        return _editor(target, EditForm(data={"text": newest.source, "base": str(newest.number)}))
    form = EditForm()
    if not form.validate_on_submit():
        return _editor(target, form, status=400)
    action = request.form.get("action", "")
    if action == "save":
        return _save(target, form)
    if action == "publish":
        return _publish(target, form)
    return _editor(target, form, preview=True)  # the Preview button, Enter, or anything unknown: never a write


def _save(target: ContentPath, form: EditForm):
    try:
        revision, created = operations.save(target.path, form.text.data, current_user.id, form.base_number)
        db.session.commit()
    except publishing.ConflictError as conflict:
        db.session.rollback()
        return _conflict(target, form, conflict.newest)
    except IntegrityError:  # two saves from the same base at the same moment: the other one won
        db.session.rollback()
        return _conflict(target, form, publishing.newest_revision(target.path))
    if created:
        flash(_("Draft saved (revision %(number)d).", number=revision.number), "success")
    else:
        flash(_("Nothing changed since revision %(number)d.", number=revision.number), "success")
    return redirect(url_for("authoring.edit", path=target.path))


def _publish(target: ContentPath, form: EditForm):
    try:
        revision, _created = operations.save(target.path, form.text.data, current_user.id, form.base_number)
        already = revision.status == "published"
        problems = publishing.publish(target.path, revision.number, current_user.id)
        db.session.commit()  # a refused text stays saved as a draft: nothing typed is lost
    except publishing.ConflictError as conflict:
        db.session.rollback()
        return _conflict(target, form, conflict.newest)
    except IntegrityError:
        db.session.rollback()
        return _conflict(target, form, publishing.newest_revision(target.path))
    if problems:
        form.base.data = str(revision.number)
        return _editor(target, form, status=400, preview=True, problems=problems, refused=revision.number)
    if already:
        flash(_("Revision %(number)d is already published.", number=revision.number), "success")
    else:
        flash(_("Published revision %(number)d: learners see it now.", number=revision.number), "success")
    return redirect(url_for("authoring.edit", path=target.path))


def _conflict(target: ContentPath, form: EditForm, newest: ContentRevision | None):
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
    return _editor(target, form, status=409, conflict=conflict)


@bp.post("/files/<path:path>/preview")
@staff_required
@shows_back_text("text")
def preview(path: str):
    """The live preview: the text rendered as learners would see it, and what publishing would say about it."""
    target, _newest = _file_or_404(path)
    form = EditForm()
    if not form.text.validate(form):
        return render_template("authoring/_preview.html", target=target, problems=[], errors=form.text.errors), 400
    return render_template("authoring/_preview.html", **_preview_context(target, form.text.data))


def _editor(
    target: ContentPath,
    form: EditForm,
    *,
    status: int = 200,
    preview: bool = False,
    problems: list[Problem] | None = None,
    refused: int | None = None,
    conflict: dict | None = None,
):
    course = _course_or_none(target.course_id)
    newest = publishing.newest_revision(target.path)
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
            **context,
        ),
        status,
    )


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
