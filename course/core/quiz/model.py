"""Immutable quiz data: what a quiz asks, its answer key, and the outcome of grading."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from course.core.errors import CourseError, NotFound

Text = Mapping[str, str]  # language → sanitised HTML


class AnswerError(CourseError):
    """A learner's answer that cannot be read (unknown option, not a number, …); the message says why."""


@dataclass(frozen=True)
class LessonLink:
    lesson_id: str
    anchor: str | None = None


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    points: float
    text: Text
    explanation: Text
    lesson: Mapping[str, LessonLink]  # per language, because heading anchors differ by language
    spec: Any  # the type's own frozen answer key and options
    line: int = 0
    # For the trainers, never shown to learners: a name (Moodle's question title), tags and the question-bank
    # category the question came from (kept so that GIFT from Moodle goes back to Moodle unchanged).
    title: Text | None = None
    tags: tuple[str, ...] = ()
    category: str | None = None
    always: bool = False  # asked in every attempt of a quiz that draws from its pool (Moodle's fixed question)


@dataclass(frozen=True)
class Quiz:
    id: str
    course_id: str
    path: str
    titles: Text
    intros: Text
    pass_percent: int
    max_attempts: int | None
    cooldown_minutes: int
    shuffle: bool
    draw: int | None
    questions: tuple[Question, ...]
    checksum: str = ""  # of the file text: finds the exact revision an attempt starts on

    def title(self, lang: str) -> str:
        return self.titles.get(lang) or next(iter(self.titles.values()))

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise NotFound(f"no question {question_id!r} in quiz {self.id!r}")

    @property
    def questions_per_attempt(self) -> int:
        return min(self.draw, len(self.questions)) if self.draw else len(self.questions)


@dataclass(frozen=True)
class Grade:
    """The outcome for one answer: a fraction of the question's points and the feedback it earned."""

    fraction: float
    feedback: tuple[Text, ...] = ()

    @property
    def verdict(self) -> str:
        if self.fraction >= 1 - 1e-9:
            return "right"
        return "partial" if self.fraction > 1e-9 else "wrong"


def pick(text: Text | None, lang: str) -> str:
    """A text in `lang`, else in any language it has (content checks make this rare)."""
    if not text:
        return ""
    return text.get(lang) or next(iter(text.values()))
