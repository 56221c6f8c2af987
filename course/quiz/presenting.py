"""What the quiz templates show per question, built from the attempt and the quiz it was started on.

Before a question is checked or the attempt submitted, a view holds only the type's public data
(texts and position tokens), never the key: templates cannot leak what they are not given.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

from flask import url_for
from flask_babel import gettext
from markupsafe import Markup

from course.core.caching import cache
from course.core.catalog import Course
from course.core.errors import CourseError, NotFound
from course.core.quiz import Grade, Question, Quiz, Slot, grade_answer, pick, question_type
from course.fast.shells import frozen
from course.pages import render_fragment, render_fragments
from course.quiz.operations import ShownAttempt, layout_of, saved_answers

_QUESTION = "quiz/fragment.html"


def question_html(view: QuestionView, total: int, lang: str) -> Markup:
    """One question of the take page. With the fast paths it is drawn once per state (the view holds everything the
    macro shows: text, options in their order, the value, error and outcome), so a reload of an attempt and learners
    whose question is in the same state reuse the HTML; drawing the questions was most of the page."""
    return render_fragment(_QUESTION, shells="questions", view=view, total=total, lang=lang)


def questions_html(views: list[QuestionView], lang: str) -> Markup:
    """Every question of the take page, as `question_html` draws each."""
    contexts = [{"view": view, "total": len(views), "lang": lang} for view in views]
    return Markup("").join(render_fragments(_QUESTION, contexts, shells="questions"))


@dataclass(frozen=True)
class NavigatorEntry:
    """What the take page's question navigator shows of one question: far less than its view, so learners in the
    same state of answering share one drawing."""

    number: int
    answered: bool
    checked: bool
    verdict: str | None


def navigator_html(views: list[QuestionView], lang: str) -> Markup:
    """The take page's question navigator, drawn once per state of the attempt's questions."""
    entries = tuple(NavigatorEntry(view.number, view.answered, view.checked, view.verdict) for view in views)
    return render_fragment("quiz/navigator.html", shells="questions", questions=entries, lang=lang)


def translated(error: CourseError) -> str:
    """A domain error's message in the request's language."""
    return gettext(error.message, **error.params)


class FrozenDict(dict):
    """A read-only dict, hashable from its contents and hashed once. A question's fragment on the attempt page is
    keyed on its view; with the view's dicts (its public data, value and review) frozen like this, and the public
    data built once per question, order and language, the key is one hash instead of taking every option apart on
    every request."""

    __slots__ = ("_hash",)

    def __init__(self, data: Mapping) -> None:
        super().__init__(data)
        self._hash = hash(frozen(data))  # `data`, not self: a plain mapping, taken apart once

    def __hash__(self) -> int:
        return self._hash

    def _read_only(self, *args: object, **kwargs: object) -> None:
        raise TypeError("this data is shared by the pages that show it: it is read-only")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _read_only


def _hashable(value: object) -> object:
    """Lists as tuples and dicts as FrozenDicts, all the way down (a view's value, feedback and review)."""
    if isinstance(value, list | tuple):
        return tuple(_hashable(item) for item in value)
    if isinstance(value, dict) and not isinstance(value, FrozenDict):
        return FrozenDict({key: _hashable(item) for key, item in value.items()})
    return value


# (question, option order, language) → (the question, its public data); the question is kept to tell a reused id
# apart
_PUBLIC = cache("quiz.public", 4096)


def public_data(question: Question, order: tuple[str, ...], lang: str) -> FrozenDict:
    """What a learner sees of a question before answering, in this option order and language."""
    key = (id(question), order, lang)
    found = _PUBLIC.get(key)
    if found is not None and found[0] is question:
        return found[1]
    public = _hashable(question_type(question.type).public(question.spec, order, lang))
    _PUBLIC.put(key, (question, public))
    return public


@dataclass(frozen=True)
class QuestionView:
    number: int
    question_id: str
    type: str
    points: float
    text: str
    public: dict
    value: object
    answered: bool
    checked: bool
    error: str | None = None
    # Only once the question is checked or the attempt submitted:
    revealed: bool = False
    verdict: str | None = None
    mark: float | None = None
    feedback: tuple[str, ...] = ()
    explanation: str | None = None
    review: dict | None = None
    lesson_url: str | None = None
    lesson_title: str | None = None


def question_view(
    number: int,
    question: Question,
    slot: Slot,
    lang: str,
    *,
    value: object = None,
    response: object = None,
    answered: bool = False,
    checked: bool = False,
    error: str | None = None,
    reveal: bool = False,
    course: Course | None = None,
    trainer_grade: tuple[float, str | None] | None = None,
) -> QuestionView:
    """One question as the templates show it; only with `reveal` does it carry the grade, key and feedback. A
    question a trainer grades (an essay) shows the trainer's mark and comment (`trainer_grade`), or waits."""
    kind = question_type(question.type)
    view = QuestionView(
        number=number,
        question_id=question.id,
        type=question.type,
        points=question.points,
        text=pick(question.text, lang),
        public=public_data(question, tuple(slot.order), lang),
        value=_hashable(value),
        answered=answered,
        checked=checked,
        error=error,
    )
    if not reveal:
        return view
    grade = grade_answer(question, response)
    review = kind.review(question.spec, slot.order, response, lang)
    verdict, mark = grade.verdict, round(grade.fraction * question.points, 2)
    if kind.graded_by_trainer:
        if trainer_grade is not None:
            points, comment = trainer_grade
            verdict, mark = Grade(points / question.points if question.points else 0.0).verdict, round(points, 2)
            review = {**review, "comment": comment, "graded": True}
        elif response is not None:
            verdict, mark = "pending", None
    lesson_url, lesson_title = _lesson_link(course, question.lesson.get(lang), lang)
    return replace(
        view,
        revealed=True,
        verdict=verdict,
        mark=mark,
        feedback=tuple(pick(text, lang) for text in grade.feedback),
        explanation=pick(question.explanation, lang),
        review=_hashable(review),
        lesson_url=lesson_url,
        lesson_title=lesson_title,
    )


def question_views(
    attempt: ShownAttempt,
    course: Course,
    quiz: Quiz,
    lang: str,
    *,
    raw: dict[str, object] | None = None,
    errors: dict[str, str] | None = None,
    reveal: bool = False,
) -> list[QuestionView]:
    """An attempt's questions with its saved answers; checked questions are revealed."""
    rows = saved_answers(attempt)
    return layout_views(
        quiz,
        course,
        layout_of(attempt),
        lang,
        responses={question_id: row.response for question_id, row in rows.items()},
        checked={question_id for question_id, row in rows.items() if row.checked},
        raw=raw,
        errors=errors,
        reveal=reveal,
        trainer_grades={
            qid: (row.mark, row.comment) for qid, row in rows.items() if row.graded_at and row.mark is not None
        },
    )


def layout_views(
    quiz: Quiz,
    course: Course | None,
    layout: Sequence[Slot],
    lang: str,
    *,
    responses: Mapping[str, object],
    checked: Collection[str] = (),
    raw: Mapping[str, object] | None = None,
    errors: Mapping[str, str] | None = None,
    reveal: bool = False,
    trainer_grades: Mapping[str, tuple[float, str | None]] | None = None,
) -> list[QuestionView]:
    """The questions in `layout` order with `responses`; what was typed but could not be read (`raw`) is shown
    again as typed, except on a checked question, which shows its saved answer revealed."""
    views = []
    for number, slot in enumerate(layout, start=1):
        question = quiz.question(slot.question_id)
        response = responses.get(question.id)
        is_checked = question.id in checked
        if raw is not None and question.id in raw and not is_checked:
            value = raw[question.id]
        else:
            value = question_type(question.type).value(question.spec, slot.order, response)
        views.append(
            question_view(
                number,
                question,
                slot,
                lang,
                value=value,
                response=response,
                answered=response is not None,
                checked=is_checked,
                error=(errors or {}).get(question.id),
                reveal=reveal or is_checked,
                course=course,
                trainer_grade=(trainer_grades or {}).get(question.id),
            )
        )
    return views


def _lesson_link(course: Course | None, link, lang: str) -> tuple[str | None, str | None]:  # noqa: ANN001 - LessonLink
    if course is None or link is None:
        return None, None
    try:
        lesson = course.lesson(link.lesson_id)
    except NotFound:  # the lesson was removed since this quiz revision
        return None, None
    return (  # relative in the page lane too (course/fast/lane.py), which builds URLs without a request
        url_for("learn.lesson", course_id=course.id, lesson_id=lesson.id, _anchor=link.anchor, _external=False),
        lesson.text(lang, (course.source_language,)).title,
    )
