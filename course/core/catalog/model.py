"""Immutable catalog data shared by every request of a process."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING

from course.core.completion import Requirements
from course.core.errors import NotFound
from course.core.text.checks import KnowledgeCheck
from course.core.text.markdown import TocEntry

if TYPE_CHECKING:
    from course.core.quiz.model import Quiz


@dataclass(frozen=True)
class LessonText:
    """A lesson in one language, already rendered to sanitised HTML."""

    lesson_id: str
    lang: str
    path: str
    title: str
    minutes: int
    objectives: tuple[str, ...]
    summary: str
    quiz: str | None
    html: str
    toc: tuple[TocEntry, ...]
    checks: tuple[KnowledgeCheck, ...] = ()  # the lesson's knowledge checks, with their answers: never in a page

    def check(self, check_id: str) -> KnowledgeCheck:
        for check in self.checks:
            if check.id == check_id:
                return check
        raise NotFound(f"no knowledge check {check_id!r} in lesson {self.lesson_id!r}")


@dataclass(frozen=True)
class Lesson:
    id: str
    number: int
    texts: Mapping[str, LessonText]

    def text(self, lang: str, fallbacks: tuple[str, ...] = ()) -> LessonText:
        """The lesson in `lang`, else in the first fallback language that exists."""
        for candidate in (lang, *fallbacks, *sorted(self.texts)):
            if candidate in self.texts:
                return self.texts[candidate]
        raise NotFound(f"lesson {self.id!r} has no text")


@dataclass(frozen=True)
class CompletionRule:
    """What a learner must do to complete the course: every lesson, and (if set) pass every quiz and reach
    a sandbox score."""

    lessons: str = "all"
    quizzes: str | None = None
    sandbox: int | None = None  # the best sandbox design's score that counts as done


@dataclass(frozen=True)
class Course:
    id: str
    source_language: str
    languages: tuple[str, ...]
    titles: Mapping[str, str]
    descriptions: Mapping[str, str]
    lessons: tuple[Lesson, ...]
    completion: CompletionRule = field(default_factory=CompletionRule)
    quizzes: tuple[Quiz, ...] = ()
    sandbox: bool = False  # the bonus-plan sandbox: its pages, its step in the course, its studio pages
    access: str = "open"  # "open": everyone; "assigned": only the groups it is assigned to (course/assignments)

    def title(self, lang: str) -> str:
        return self.titles.get(lang) or self.titles[self.source_language]

    @cached_property
    def requirements(self) -> Requirements:
        """What the completion rule asks of a learner in this course; built once per catalog, read per request."""
        return Requirements.of(self)

    def description(self, lang: str) -> str:
        return self.descriptions.get(lang) or self.descriptions[self.source_language]

    def lesson(self, lesson_id: str) -> Lesson:
        for lesson in self.lessons:
            if lesson.id == lesson_id:
                return lesson
        raise NotFound(f"no lesson {lesson_id!r} in course {self.id!r}")

    def neighbours(self, lesson_id: str) -> tuple[Lesson | None, Lesson | None]:
        """The lessons before and after `lesson_id` in course order."""
        index = self.lessons.index(self.lesson(lesson_id))
        before = self.lessons[index - 1] if index > 0 else None
        after = self.lessons[index + 1] if index + 1 < len(self.lessons) else None
        return before, after

    @property
    def lesson_ids(self) -> tuple[str, ...]:
        return tuple(lesson.id for lesson in self.lessons)

    def quiz(self, quiz_id: str) -> Quiz:
        for quiz in self.quizzes:
            if quiz.id == quiz_id:
                return quiz
        raise NotFound(f"no quiz {quiz_id!r} in course {self.id!r}")

    @property
    def required_quizzes(self) -> tuple[str, ...]:
        """The quizzes a learner must pass to complete the course."""
        return tuple(quiz.id for quiz in self.quizzes) if self.completion.quizzes == "all" else ()


@dataclass(frozen=True)
class Catalog:
    courses: tuple[Course, ...] = ()
    version: int = 0

    def course(self, course_id: str) -> Course:
        for course in self.courses:
            if course.id == course_id:
                return course
        raise NotFound(f"no course {course_id!r}")

    def sandbox_course(self, course_id: str) -> Course:
        """The course, if it has the sandbox: the sandbox's pages of a course without one do not exist."""
        course = self.course(course_id)
        if not course.sandbox:
            raise NotFound(f"course {course_id!r} has no sandbox")
        return course


def frozen_mapping(data: dict) -> Mapping:
    return MappingProxyType(dict(data))
