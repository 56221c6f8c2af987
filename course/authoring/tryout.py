"""Try a quiz revision as a learner would, graded on the spot and recorded nowhere.

The page draws the questions with the learner's own field macros (templates/quiz/fields.html) and grades
with the core, so what a trainer tries is what a learner gets; but nothing is written to the database:
no attempt, no answer, no result. Everything the page needs (revision, language, layout seed) is in its
URL, so the form posts back to the same address.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass

import yaml
from flask import abort, render_template, request

from course.auth.access import staff_required
from course.authoring.views import bp
from course.core.authoring.paths import parse_path
from course.core.catalog import Course, Problem
from course.core.catalog.loader import SUPPORTED_LANGUAGES
from course.core.errors import NotFound
from course.core.quiz import (
    AnswerError,
    Quiz,
    Slot,
    grade_attempt,
    make_layout,
    parse_quiz,
    read_answers,
)
from course.core.quiz import question_type as type_of
from course.core.text.yamldoc import safe_load
from course.forms import whole_number
from course.i18n import LANGUAGE_NAMES, current_language
from course.models import ContentRevision
from course.publishing import operations as publishing
from course.publishing.cache import catalog
from course.quiz.fields import read_form_value
from course.quiz.presenting import QuestionView, layout_views, translated

MAX_SEED = 10**9


@dataclass(frozen=True)
class CourseContext:
    """What a quiz file needs from its course: the published course if there is one, else its course.yml."""

    id: str
    languages: tuple[str, ...]
    source_language: str
    course: Course | None


def course_context(course_id: str) -> CourseContext:
    """The course a studio file belongs to; 404 if there is neither a published course nor a saved course.yml."""
    try:
        course = catalog().course(course_id)
    except NotFound:
        pass
    else:
        return CourseContext(course.id, course.languages, course.source_language, course)
    saved = publishing.newest_revision(f"{course_id}/course.yml")
    try:
        data = safe_load(saved.source) if saved is not None else None
    except (yaml.YAMLError, ValueError):  # ValueError: a value Python cannot hold (a 5,000-digit integer)
        data = None
    languages = data.get("languages") if isinstance(data, dict) else None
    languages = tuple(lang for lang in languages or () if lang in SUPPORTED_LANGUAGES)
    if not languages:
        abort(404)
    source = data.get("source_language")
    return CourseContext(course_id, languages, source if source in languages else languages[0], None)


def chosen_revision(path: str, *, published: bool = False) -> ContentRevision:
    """`?revision=N`, else the newest revision (`published`: the published one); 404 if there is none."""
    number = request.args.get("revision")
    if number is not None:
        wanted = whole_number(number, 1)
        if wanted is None:
            abort(404)
        found = publishing.revision(path, wanted)
    elif published:
        found = next((r for r in publishing.revisions(path) if r.status == "published"), None)
    else:
        found = publishing.newest_revision(path)
    if found is None:
        abort(404)
    return found


def content_language(context: CourseContext, languages: tuple[str, ...] | None = None) -> str:
    """`?lang=` if offered, else the page's language if offered, else the source language (or the first offered).

    Offered are `languages` (default: the course's).
    """
    offered = languages or context.languages
    for lang in (request.args.get("lang"), current_language(), context.source_language):
        if lang in offered:
            return lang
    return offered[0]


def file_order(quiz: Quiz) -> tuple[Slot, ...]:
    """Every question and option as written in the file, so a trainer finds each one where they wrote it.

    Ordering items are still turned by one, as for learners: shown in the right order they give the answer away.
    """
    slots = []
    for question in quiz.questions:
        order = tuple(type_of(question.type).shuffled(question.spec))
        if question.type == "ordering" and len(order) > 1:
            order = order[1:] + order[:1]
        slots.append(Slot(question.id, order))
    return tuple(slots)


def question_views(
    quiz: Quiz,
    course: Course | None,
    layout: tuple[Slot, ...],
    lang: str,
    *,
    raw: Mapping[str, object] | None = None,
    errors: Mapping[str, str] | None = None,
    responses: Mapping[str, object] | None = None,
) -> list[QuestionView]:
    """The learner's question views without an attempt: `responses` given means graded and revealed."""
    return layout_views(
        quiz, course, layout, lang, responses=responses or {}, raw=raw, errors=errors, reveal=responses is not None
    )


def _seed() -> int | None:
    value = request.args.get("seed")
    if value is None or value == "":
        return None
    seed = whole_number(value, 0, MAX_SEED)
    if seed is None:
        abort(404)
    return seed


@bp.route("/files/<path:path>/try", methods=["GET", "POST"])
@staff_required
def try_quiz(path: str):
    """GET: the quiz as a learner sees it; POST: graded with the learner's review, and nothing stored."""
    target = parse_path(path)
    if target is None or target.kind != "quiz":
        abort(404)
    revision = chosen_revision(path)
    context = course_context(target.course_id)
    quiz, problems, languages = parse_for_trying(path, revision.source, context)
    lang = content_language(context, languages)
    page = {"path": path, "revision": revision, "lang_code": lang, "languages": languages, "seed": None}
    if quiz is None:
        return render_template("authoring/try_problems.html", problems=problems, **page)
    missing = [LANGUAGE_NAMES.get(code, code) for code in context.languages if code not in languages]
    seed = _seed()
    layout = file_order(quiz) if seed is None else make_layout(quiz, seed)
    page.update(quiz=quiz, course=context.course, seed=seed, new_seed=secrets.randbelow(MAX_SEED) + 1, missing=missing)
    if request.method == "GET":
        return render_template(
            "authoring/try.html", questions=question_views(quiz, context.course, layout, lang), errors={}, **page
        )
    raw, errors = {}, {}
    for number, slot in enumerate(layout, start=1):
        try:
            raw[slot.question_id] = read_form_value(request.form, quiz.question(slot.question_id).type, f"q{number}")
        except AnswerError as error:
            errors[slot.question_id] = translated(error)
    responses, read_errors = _read(quiz, layout, raw, lang)
    errors.update(read_errors)
    if errors:
        views = question_views(quiz, context.course, layout, lang, raw=raw, errors=errors)
        return render_template("authoring/try.html", questions=views, errors=errors, **page), 400
    result = grade_attempt(quiz, layout, responses)
    return render_template(
        "authoring/try_review.html",
        result=result,
        passed=result.passed(quiz),
        questions=question_views(quiz, context.course, layout, lang, responses=responses),
        **page,
    )


def parse_for_trying(
    path: str, source: str, context: CourseContext
) -> tuple[Quiz | None, list[Problem], tuple[str, ...]]:
    """The quiz in all the course's languages; failing that, in the languages it is written in so far.

    A quiz just imported from one language's GIFT file can then be tried before it is translated.
    """
    quiz, problems = parse_quiz(path, source, context.id, context.languages)
    if quiz is not None:
        return quiz, problems, context.languages
    written = _written_languages(source, context.languages)
    if written and written != context.languages:
        partial, _problems = parse_quiz(path, source, context.id, written)
        if partial is not None:
            return partial, [], written
    return None, problems, context.languages


def _written_languages(source: str, languages: tuple[str, ...]) -> tuple[str, ...]:
    """The course languages the quiz title is written in (the same guess `gift.export_gift` makes)."""
    try:
        data = safe_load(source)
    except (yaml.YAMLError, ValueError):  # ValueError: a value Python cannot hold (a 5,000-digit integer)
        return ()
    title = data.get("title") if isinstance(data, dict) else None
    return tuple(code for code in languages if isinstance(title, dict) and code in title)


def _read(
    quiz: Quiz, layout: tuple[Slot, ...], raw: dict[str, object], lang: str
) -> tuple[dict[str, object], dict[str, str]]:
    responses, errors = read_answers(quiz, layout, raw, lang)
    return responses, {question_id: translated(error) for question_id, error in errors.items()}
