"""The studio's forms for trainers who do not write YAML: a new lesson placed in the course, publishing a new
lesson with the course order, and a quiz's questions edited one form per question type.

Every form writes the same files the text editor shows (drafts, history and publishing are unchanged).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from wtforms.fields.choices import SelectChoice

from course.auth.access import staff_required
from course.authoring import operations
from course.authoring.forms import AddLessonForm, EditForm, TokenForm
from course.authoring.question_forms import QuestionForm, for_type, form_data, form_editable, question_from
from course.authoring.quiz_settings import settings_data, settings_form, settings_from
from course.authoring.views import _course_or_404, _course_or_none, _editor, _file_or_404, _index, _lesson_titles, bp
from course.core.authoring.documents import (
    FORM_TYPES,
    insert_lesson,
    listed_lessons,
    moved_question,
    new_lesson_file,
    question_index,
    question_starter,
    questions_of,
    read_quiz,
    unused_id,
    with_question,
    with_settings,
    without_question,
    write_quiz,
)
from course.core.authoring.paths import ContentPath, course_path, lesson_path
from course.core.authoring.starters import new_lesson
from course.core.catalog import Course
from course.core.catalog.loader import SUPPORTED_LANGUAGES
from course.core.quiz.types import type_names
from course.core.text.slug import slugify
from course.core.text.yamldoc import YamlProblem
from course.extensions import db
from course.forms import shows_back_text, whole_number
from course.i18n import LANGUAGE_NAMES, current_language
from course.publishing import operations as publishing
from course.publishing.cache import catalog


def _shown_title(title: object, lang: str) -> str:
    """A question's title (Moodle's name for it) in the trainer's language, else in any it has."""
    if not isinstance(title, dict) or not title:
        return ""
    return str(title.get(lang) or next(iter(title.values())))


def type_label(kind: str) -> str:
    labels = {
        "single": _("Single choice"),
        "multiple": _("Multiple choice"),
        "truefalse": _("True or false"),
        "numeric": _("Number"),
        "shorttext": _("Short text"),
        "ordering": _("Put in order"),
        "matching": _("Matching"),
        "blanks": _("Blanks in the text"),
        "essay": _("Essay (a trainer grades it)"),
    }
    return labels.get(kind, kind)


# --- A new lesson, placed in the course ---------------------------------------------------------------------------


def add_lesson_form(course: Course, order: list[str], titles: dict[str, str], **kwargs: object) -> AddLessonForm:
    form = AddLessonForm.for_course(course.languages, dict(LANGUAGE_NAMES), prefix=f"{course.id}-add", **kwargs)
    form.position.choices = [SelectChoice("0", _("At the start"))] + [
        SelectChoice(str(index), _("After “%(title)s”", title=titles.get(lesson_id, lesson_id)))
        for index, lesson_id in enumerate(order, start=1)
    ]
    if form.position.data in (None, "None"):
        form.position.data = str(len(order))
    return form


def course_titles(course_id: str) -> dict[str, str]:
    """Lesson id → its published title in the trainer's language."""
    return {lesson_id: title for (cid, lesson_id), title in _lesson_titles(catalog()).items() if cid == course_id}


def course_order(course_id: str) -> tuple[list[str], int | None, str | None]:
    """The lesson ids of the newest course.yml (draft or published), its revision number and text."""
    newest = publishing.newest_revision(course_path(course_id).path)
    if newest is None:
        return [], None, None
    return listed_lessons(newest.source), newest.number, newest.source


@bp.post("/courses/<course_id>/lessons/add")
@staff_required
def add_lesson(course_id: str):
    """A lesson in every course language from the starter, listed in the course order: all drafts until published."""
    course = _course_or_404(course_id)
    order, base, course_text = course_order(course.id)
    form = add_lesson_form(course, order, course_titles(course.id))
    if not form.validate_on_submit():
        return _index({course.id: {"add": form}}, 400)
    lesson_id = form.lesson_id.data or slugify(form.title(course.languages[0]))[:60].strip("-")
    if not lesson_id:
        form.lesson_id.errors = [_("Enter an id: the title has no letters to make one from.")]
        return _index({course.id: {"add": form}}, 400)
    paths = [lesson_path(course.id, lesson_id, lang) for lang in course.languages]
    if lesson_id in order or any(publishing.newest_revision(p.path) for p in paths):
        form.lesson_id.errors = [_("A lesson with this id exists already: choose another id.")]
        return _index({course.id: {"add": form}}, 400)
    if course_text is None:
        abort(404)
    try:
        new_course_text = insert_lesson(course_text, lesson_id, whole_number(form.position.data, 0, len(order)) or 0)
    except YamlProblem:
        flash(_("The course settings cannot be read: fix them first, then add the lesson."), "error")
        return redirect(url_for("authoring.edit", path=course_path(course.id).path))
    fallback = form.title(course.languages[0])
    try:
        for target in paths:
            text = new_lesson_file(
                lesson_id, target.lang, form.title(target.lang) or fallback, new_lesson(lesson_id, target.lang)
            )
            publishing.save_draft(target.path, text, current_user.id, None)
        publishing.save_draft(course_path(course.id).path, new_course_text, current_user.id, base)
        db.session.commit()
    except (publishing.ConflictError, IntegrityError):
        db.session.rollback()
        flash(_("Someone else changed the course at the same moment: nothing was created. Please try again."), "error")
        return redirect(url_for("authoring.index"))
    flash(
        _("Lesson created in every language and placed in the course as a draft. Publish it when it is ready."),
        "success",
    )
    return redirect(url_for("authoring.edit", path=paths[0].path))


@bp.post("/files/<path:path>/publish-with-course")
@staff_required
def publish_with_course(path: str):
    """Publish a new lesson: the newest course order that lists it, which takes the lesson's drafts along."""
    target, _newest = _file_or_404(path)
    if target.kind != "lesson":
        abort(404)
    if not TokenForm().validate_on_submit():
        abort(400)
    course_file = course_path(target.course_id)
    newest = publishing.newest_revision(course_file.path)
    if newest is None or target.item_id not in listed_lessons(newest.source):
        flash(_("The course order does not list this lesson: add it to the course first."), "error")
        return redirect(url_for("authoring.edit", path=target.path))
    problems = publishing.publish(course_file.path, newest.number, current_user.id)
    if problems:
        db.session.rollback()
        own = publishing.newest_revision(target.path)
        form = EditForm(formdata=None, data={"text": own.source, "base": str(own.number)})
        return _editor(target, form, status=400, preview=True, problems=problems, refused=None)
    db.session.commit()
    flash(_("Published: learners find the lesson in the course now."), "success")
    return redirect(url_for("authoring.edit", path=target.path))


# --- Questions ----------------------------------------------------------------------------------------------------


def _quiz_or_404(path: str) -> tuple[ContentPath, object, dict | None]:
    target, newest = _file_or_404(path)
    if target.kind != "quiz":
        abort(404)
    try:
        data = read_quiz(newest.source)
    except YamlProblem:
        data = None
    if data is not None and not isinstance(data, dict):
        data = None
    return target, newest, data


def _languages(course: Course | None) -> tuple[str, ...]:
    return course.languages if course else SUPPORTED_LANGUAGES


def _links(course: Course | None) -> dict[str, list[SelectChoice]]:
    """Per language, every lesson and section a question can point to, as select choices."""
    result: dict[str, list[SelectChoice]] = {}
    if course is None:
        return result
    for lang in course.languages:
        choices = []
        for lesson in course.lessons:
            text = lesson.text(lang, (course.source_language,))
            choices.append(SelectChoice(lesson.id, _("%(lesson)s (whole lesson)", lesson=text.title)))
            choices += [
                SelectChoice(f"{lesson.id}#{entry.anchor}", f"{text.title} › {entry.title}")
                for entry in text.toc
                if entry.level == 2
            ]
        result[lang] = choices
    return result


def _question_list(target: ContentPath, newest, data: dict | None, status: int = 200, settings=None):
    course = _course_or_none(target.course_id)
    lang = current_language()
    if settings is None and data is not None:
        languages = _languages(course)
        values = settings_data(data, languages)
        form_class = settings_form(languages, len(questions_of(data)))
        settings = form_class(formdata=None, data={**values, "base": str(newest.number)})
    rows = []
    for number, question in enumerate(questions_of(data or {}), start=1):
        text = question.get("text")
        shown = text.get(lang) or next(iter(text.values()), "") if isinstance(text, dict) else ""
        rows.append(
            {
                "number": number,
                "id": str(question.get("id", "")),
                "type": str(question.get("type", "")),
                "type_label": type_label(str(question.get("type", ""))),
                "text": str(shown),
                "title": _shown_title(question.get("title"), lang),
                "form": form_editable(question),
            }
        )
    problems = operations.check_text(target.path, newest.source)
    return (
        render_template(
            "authoring/questions.html",
            target=target,
            newest=newest,
            course=course,
            readable=data is not None,
            rows=rows,
            problems=problems,
            types=[(kind, type_label(kind)) for kind in type_names()],
            token_form=TokenForm(formdata=None),
            settings=settings,
            lang=lang,
        ),
        status,
    )


@bp.get("/files/<path:path>/questions")
@staff_required
def questions(path: str):
    target, newest, data = _quiz_or_404(path)
    return _question_list(target, newest, data)


@bp.post("/files/<path:path>/settings")
@staff_required
def quiz_settings(path: str):
    """The quiz's own settings from the form on its question list; the questions stay untouched."""
    target, newest, data = _quiz_or_404(path)
    if data is None:
        abort(400)
    languages = _languages(_course_or_none(target.course_id))
    form = settings_form(languages, len(questions_of(data)))()
    valid = form.validate_on_submit()
    if form.extra_errors() or not valid:
        if "csrf_token" in form and form.csrf_token.errors:
            abort(400)
        return _question_list(target, newest, data, status=400, settings=form)
    if int(form.base.data) != newest.number:
        flash(_("Someone else saved this quiz meanwhile: nothing was saved; your entries are kept below."), "error")
        form.base.data = str(newest.number)
        return _question_list(target, newest, data, status=409, settings=form)
    changed = with_settings(data, settings_from(form, data))
    if changed == data:
        flash(_("Nothing changed since revision %(number)d.", number=newest.number), "success")
        return redirect(url_for("authoring.questions", path=target.path))
    if not _save_quiz(target, changed, newest.number, _("Quiz settings saved.")):
        return _question_list(target, newest, data, status=409, settings=form)
    return redirect(url_for("authoring.questions", path=target.path))


def _checked_post(target: ContentPath, newest) -> bool:
    """A list action's CSRF token and base revision; False (with a message) if the page was out of date."""
    if not TokenForm().validate_on_submit():
        abort(400)
    if whole_number(request.form.get("base"), 1) != newest.number:
        flash(_("Someone else saved this quiz meanwhile: look at the list again, then repeat your change."), "error")
        return False
    return True


def _save_quiz(target: ContentPath, data: dict, base: int, message: str) -> bool:
    try:
        revision, _created = operations.save(target.path, write_quiz(data), current_user.id, base)
        db.session.commit()
    except (publishing.ConflictError, IntegrityError):
        db.session.rollback()
        flash(
            _("Someone else saved this quiz meanwhile: nothing of yours was saved. Please repeat your change."), "error"
        )
        return False
    flash(_("%(change)s Draft revision %(number)d.", change=message, number=revision.number), "success")
    return True


@bp.post("/files/<path:path>/questions/add")
@staff_required
def add_question(path: str):
    target, newest, data = _quiz_or_404(path)
    kind = request.form.get("type", "")
    if data is None or kind not in type_names():
        abort(400)
    if not _checked_post(target, newest):
        return redirect(url_for("authoring.questions", path=target.path))
    course = _course_or_none(target.course_id)
    taken = [str(q.get("id")) for q in questions_of(data)]
    question_id = unused_id("question", taken)
    lesson = course.lessons[0].id if course and course.lessons else "lesson-id"
    question = question_starter(kind, question_id, lesson, _languages(course))
    if not _save_quiz(target, with_question(data, None, question), newest.number, _("Question added.")):
        return redirect(url_for("authoring.questions", path=target.path))
    if kind in FORM_TYPES:
        return redirect(url_for("authoring.edit_question", path=target.path, question_id=question_id))
    return redirect(url_for("authoring.edit", path=target.path, view="text"))


@bp.post("/files/<path:path>/questions/<question_id>/move")
@staff_required
def move_question(path: str, question_id: str):
    target, newest, data = _quiz_or_404(path)
    index = question_index(data or {}, question_id)
    step = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if index is None or step is None:
        abort(404 if index is None else 400)
    if _checked_post(target, newest):
        _save_quiz(target, moved_question(data, index, step), newest.number, _("Question moved."))
    return redirect(url_for("authoring.questions", path=target.path, _anchor=f"question-{question_id}"))


@bp.post("/files/<path:path>/questions/<question_id>/delete")
@staff_required
def delete_question(path: str, question_id: str):
    target, newest, data = _quiz_or_404(path)
    index = question_index(data or {}, question_id)
    if index is None:
        abort(404)
    if _checked_post(target, newest):
        _save_quiz(target, without_question(data, index), newest.number, _("Question deleted."))
    return redirect(url_for("authoring.questions", path=target.path))


def _row_action(action: str, lists: tuple[str, ...]) -> tuple[str, str, int] | None:
    """`add-pairs`, `remove-pairs-3`, `up-answers-0` → (list, verb, row index); without a list name (`add-row`,
    `remove-3`) the type's first list is meant."""
    verb, _, rest = action.partition("-")
    if not lists or verb not in ("add", "remove", "up", "down"):
        return None
    if verb == "add":
        key = lists[0] if rest == "row" else rest
        return (key, verb, 0) if key in lists else None
    key, _, number = rest.rpartition("-")
    key = key or lists[0]
    index = whole_number(number, 0, 1000)
    return (key, verb, index) if key in lists and index is not None else None


@bp.route("/files/<path:path>/questions/<question_id>", methods=["GET", "POST"])
@staff_required
@shows_back_text()
def edit_question(path: str, question_id: str):
    target, newest, data = _quiz_or_404(path)
    index = question_index(data or {}, question_id)
    if index is None:
        abort(404)
    original = data["questions"][index]
    if not form_editable(original):
        flash(_("This question is edited as YAML."), "warning")
        return redirect(url_for("authoring.edit", path=target.path, view="text"))
    course = _course_or_none(target.course_id)
    languages = _languages(course)
    form_class = for_type(str(original["type"]), languages, _links(course))
    form_class.taken_ids = frozenset(str(q.get("id")) for i, q in enumerate(questions_of(data)) if i != index)
    if request.method == "GET":
        values = form_data(original, languages)
        form = form_class(formdata=None, data={**values, "base": str(newest.number)})
        return _question_page(target, newest, form, original)
    form = form_class()
    _keep_links(form, languages)
    action = request.form.get("action", "save")
    if action != "save":
        return _question_page(target, newest, _rearranged(form_class, form, action), original)
    valid = form.validate_on_submit()
    if form.extra_errors() or not valid:
        return _question_page(target, newest, form, original, status=400)
    base = int(form.base.data)
    question = question_from(form, original)
    try:
        revision, _created = operations.save(
            target.path, write_quiz(with_question(data, index, question)), current_user.id, base
        )
        db.session.commit()
    except (publishing.ConflictError, IntegrityError):
        db.session.rollback()
        form.base.data = str(publishing.newest_revision(target.path).number)
        conflict = _(
            "Someone else saved this quiz meanwhile. Nothing was saved; your entries are kept below. "
            "Save again to replace their version of this question with yours."
        )
        return _question_page(target, newest, form, original, status=409, conflict=conflict)
    flash(_("Question saved as draft revision %(number)d.", number=revision.number), "success")
    return redirect(url_for("authoring.questions", path=target.path, _anchor=f"question-{question['id']}"))


def _keep_links(form: QuestionForm, languages: tuple[str, ...]) -> None:
    """A link the select does not offer (a section that is still a draft) stays a valid choice as it was sent."""
    for lang in languages:
        field = form[f"lesson_{lang}"]
        if field.data and field.data not in [choice.value for choice in field.choices]:
            field.choices = [*field.choices, SelectChoice(field.data, field.data)]


def _rearranged(form_class: type[QuestionForm], form: QuestionForm, action: str) -> QuestionForm:
    """The form again with a row added, removed or moved: what was typed stays, nothing is saved."""
    data = form.data
    parsed = _row_action(action, form.row_lists)
    if parsed:
        key, verb, row = parsed
        rows = list(data.get(key) or [])
        if verb == "add" and len(rows) < 20:
            rows.append({})
        elif verb == "remove" and row < len(rows):
            rows.pop(row)
        elif verb in ("up", "down") and row < len(rows):
            other = row - 1 if verb == "up" else row + 1
            if 0 <= other < len(rows):
                rows[row], rows[other] = rows[other], rows[row]
        data[key] = rows
    data.pop("csrf_token", None)
    rebuilt = form_class(formdata=None, data=data)
    for name, field in form._fields.items():
        if name.startswith("lesson_"):
            rebuilt[name].choices = field.choices
    return rebuilt


def _question_page(target, newest, form, original, status: int = 200, conflict: str | None = None):
    course = _course_or_none(target.course_id)
    return (
        render_template(
            "authoring/question.html",
            target=target,
            newest=newest,
            course=course,
            form=form,
            original=original,
            languages=form.languages,
            type_label=type_label(form.kind),
            conflict=conflict,
            lang=current_language(),
        ),
        status,
    )
