"""The guided path through a course: every step in the order a learner should take it, with their state.

Lesson 1, then the quiz its front matter names, lesson 2 and its quiz, …, then quizzes no lesson names, the
sandbox (if the course has one) and the certificate. The course sidebar, the one "Continue" button on every
page and the overview's time left all read the path here; whether a step is done comes from the completion
rule (course/core/completion.py), so the path and the certificate checklist cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import TYPE_CHECKING, NamedTuple

from course.core import completion

if TYPE_CHECKING:
    from course.core.catalog import Course

LESSON = "lesson"
QUIZ = "quiz"
SANDBOX = "sandbox"
CERTIFICATE = "certificate"

DONE = "done"
CURRENT = "current"  # the learner's next step
TODO = "todo"
EARNED = "earned"  # the certificate step once the completion rule is met (or a certificate is held)

# Estimates for steps without a stated reading time: a question is read, answered and its feedback read in about
# a minute and a half; the sandbox asks for a plan in two accounts, each evaluated and improved once or twice.
QUIZ_SECONDS_PER_QUESTION = 90
SANDBOX_MINUTES = 30


class Step(NamedTuple):
    """One step of the path. A named tuple: cached pages are keyed on the path, and tuples hash cheaply."""

    kind: str  # LESSON | QUIZ | SANDBOX | CERTIFICATE
    id: str  # the lesson or quiz id; the kind again for the sandbox and the certificate
    title: str  # in the language asked for; "" for the sandbox and the certificate (the page names them)
    state: str  # DONE | CURRENT | TODO; the certificate EARNED or TODO/CURRENT
    minutes: int | None = None  # reading time or estimate; None for the certificate
    number: int = 0  # the lesson's number; 0 for other steps
    required: bool = True  # whether the step counts toward the certificate

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.id)


@dataclass(frozen=True)
class Path:
    steps: tuple[Step, ...]
    next: Step  # where "Continue" leads on the overview: the first step not done, else the certificate
    minutes_left: int  # see `time_left`
    percent: int  # the completion rule's share of required steps done

    def step(self, kind: str, step_id: str) -> Step | None:
        return next((step for step in self.steps if step.key == (kind, step_id)), None)

    def after(self, kind: str, step_id: str) -> Step | None:
        """The step that follows (kind, id) in the path: where "Continue" leads from that step's page."""
        keys = [step.key for step in self.steps]
        try:
            index = keys.index((kind, step_id))
        except ValueError:
            return None
        return self.steps[index + 1] if index + 1 < len(self.steps) else None

    @property
    def done(self) -> int:
        return sum(step.state in (DONE, EARNED) for step in self.steps)


def lesson_quiz(course: Course, lesson_index: int) -> str | None:
    """The quiz the lesson's front matter names (in the source language, else any), if the course has it."""
    lesson = course.lessons[lesson_index]
    texts = [lesson.texts[course.source_language]] if course.source_language in lesson.texts else []
    texts += [text for lang, text in sorted(lesson.texts.items()) if lang != course.source_language]
    quiz_ids = {quiz.id for quiz in course.quizzes}
    return next((text.quiz for text in texts if text.quiz in quiz_ids), None)


def quiz_minutes(questions: int) -> int:
    return ceil(questions * QUIZ_SECONDS_PER_QUESTION / 60)


def course_path(course: Course, learner: completion.Progress, lang: str, *, certified: bool = False) -> Path:
    """The course's guided path for a learner (an empty Progress for visitors: every step to do).

    Time left is the reading time of every lesson not completed (in `lang`, else the course's language), plus
    `QUIZ_SECONDS_PER_QUESTION` for each question of a quiz not passed yet and `SANDBOX_MINUTES` if the sandbox
    step is open: an estimate for planning a sitting, not a promise.
    """
    rule = course.requirements
    required = frozenset(rule.required_quizzes)
    quizzes = {quiz.id: quiz for quiz in course.quizzes}
    items: list[tuple[str, str, str, bool, int | None, int, bool]] = []
    placed: set[str] = set()

    def add_quiz(quiz_id: str) -> None:
        quiz = quizzes[quiz_id]
        placed.add(quiz_id)
        minutes = quiz_minutes(quiz.questions_per_attempt)
        items.append((QUIZ, quiz_id, quiz.title(lang), quiz_id in learner.passed, minutes, 0, quiz_id in required))

    for index, lesson in enumerate(course.lessons):
        text = lesson.text(lang, (course.source_language,))
        items.append((LESSON, lesson.id, text.title, lesson.id in learner.lessons, text.minutes, lesson.number, True))
        quiz_id = lesson_quiz(course, index)
        if quiz_id is not None and quiz_id not in placed:
            add_quiz(quiz_id)
    for quiz_id in quizzes:
        if quiz_id not in placed:
            add_quiz(quiz_id)
    if course.sandbox:
        sandbox = completion.sandbox_done(rule, learner)
        done = learner.sandbox is not None if sandbox is None else sandbox
        items.append((SANDBOX, SANDBOX, "", done, SANDBOX_MINUTES, 0, sandbox is not None))

    earned = certified or completion.complete(rule, learner)
    first_open = next((index for index, item in enumerate(items) if not item[3]), None)
    steps = [
        Step(kind, step_id, title, DONE if done else CURRENT if index == first_open else TODO, minutes, number, req)
        for index, (kind, step_id, title, done, minutes, number, req) in enumerate(items)
    ]
    certificate_state = EARNED if earned else CURRENT if first_open is None else TODO
    steps.append(Step(CERTIFICATE, CERTIFICATE, "", certificate_state))
    minutes_left = sum(step.minutes or 0 for step in steps if step.state not in (DONE, EARNED))
    following = steps[first_open] if first_open is not None else steps[-1]
    return Path(tuple(steps), following, minutes_left, completion.percent(rule, learner))
