"""What a resource link opens, checked against the published catalog: the page's URL, and the choices an
instructor picks from when the LMS asks for content (deep linking)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for

from course.core.catalog.model import Catalog, Course
from course.core.errors import NotFound
from course.core.lti import Target, parse_target
from course.core.sandbox.scenarios import SCENARIOS
from course.publishing.cache import catalog


@dataclass(frozen=True)
class Resolved:
    target: Target
    url: str
    exact: bool  # False: the link asked for something that is not there, and gets the course's overview


def resolve(text: str | None) -> Resolved | None:
    """The page a target names; a missing lesson, quiz or scenario falls back to its course's overview, an
    unknown or missing course to the first course. None when the catalog has no course at all."""
    courses = catalog()
    target = parse_target(text)
    course = _course(courses, target.course_id) if target else None
    if target and course and _exists(course, target):
        return Resolved(target, _url(target), True)
    course = course or (courses.courses[0] if courses.courses else None)
    if course is None:
        return None
    fallback = Target("course", course.id)
    return Resolved(fallback, _url(fallback), text is None)


def _course(courses: Catalog, course_id: str) -> Course | None:
    try:
        return courses.course(course_id)
    except NotFound:
        return None


def _exists(course: Course, target: Target) -> bool:
    try:
        if target.kind == "lesson":
            course.lesson(target.item_id or "")
        elif target.kind == "quiz":
            course.quiz(target.item_id or "")
        elif target.kind == "sandbox":
            return course.sandbox and (target.item_id is None or target.item_id in SCENARIOS)
    except NotFound:
        return False
    return True


def _url(target: Target) -> str:
    if target.kind == "lesson":
        return url_for("learn.lesson", course_id=target.course_id, lesson_id=target.item_id)
    if target.kind == "quiz":
        return url_for("quiz.show", course_id=target.course_id, quiz_id=target.item_id)
    if target.kind == "sandbox" and target.item_id:
        return url_for("sandbox.brief", course_id=target.course_id, scenario_id=target.item_id)
    if target.kind == "sandbox":
        return url_for("sandbox.index", course_id=target.course_id)
    return url_for("learn.overview", course_id=target.course_id)


@dataclass(frozen=True)
class Choice:
    target: str
    title: str
    kind: str


def choices(lang: str) -> list[tuple[Course, list[Choice]]]:
    """Per course, what an instructor may place in the LMS: the course, each lesson, quiz and sandbox scenario."""
    found = []
    for course in catalog().courses:
        title = course.title(lang)
        items = [Choice(f"course:{course.id}", title, "course")]
        items += [
            Choice(f"lesson:{course.id}/{lesson.id}", lesson.text(lang, (course.source_language,)).title, "lesson")
            for lesson in course.lessons
        ]
        items += [Choice(f"quiz:{course.id}/{quiz.id}", quiz.title(lang), "quiz") for quiz in course.quizzes]
        if course.sandbox:
            items += [
                Choice(f"sandbox:{course.id}/{scenario.id}", scenario.title(lang), "sandbox")
                for scenario in SCENARIOS.values()
            ]
        found.append((course, items))
    return found
