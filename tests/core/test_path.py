"""The guided path over plain data: the order of steps, their states, the next step and the time left."""

from __future__ import annotations

from dataclasses import dataclass, replace

from hypothesis import given
from hypothesis import strategies as st

from course.core import completion
from course.core.catalog import CompletionRule, Course, Lesson, LessonText
from course.core.completion import Progress, SandboxStanding
from course.core.path import (
    CERTIFICATE,
    CURRENT,
    DONE,
    EARNED,
    LESSON,
    QUIZ,
    SANDBOX,
    SANDBOX_MINUTES,
    TODO,
    course_path,
    quiz_minutes,
)


@dataclass(frozen=True)
class FakeQuiz:
    id: str
    questions_per_attempt: int = 6

    def title(self, lang: str) -> str:
        return f"{self.id} ({lang})"


def text(lesson_id: str, lang: str, quiz: str | None, minutes: int = 10) -> LessonText:
    return LessonText(lesson_id, lang, f"{lesson_id}.{lang}.md", f"{lesson_id} {lang}", minutes, (), "", quiz, "", ())


def make_course(*, quizzes: int = 3, sandbox: bool = True, threshold: int | None = 70, attached: int = 2) -> Course:
    """Three lessons; the first `attached` name their quiz in their front matter; the others are free."""
    lessons = tuple(
        Lesson(
            f"l{n}",
            n,
            {
                "de": text(f"l{n}", "de", f"q{n}" if n <= attached else None, minutes=10 + n),
                "en": text(f"l{n}", "en", f"q{n}" if n <= attached else None, minutes=20 + n),
            },
        )
        for n in (1, 2, 3)
    )
    return Course(
        id="c",
        source_language="de",
        languages=("de", "en"),
        titles={"de": "Kurs"},
        descriptions={"de": "…"},
        lessons=lessons,
        completion=CompletionRule(quizzes="all", sandbox=threshold if sandbox else None),
        quizzes=tuple(FakeQuiz(f"q{n}") for n in range(1, quizzes + 1)),
        sandbox=sandbox,
    )


def keys(path) -> list[tuple[str, str]]:  # noqa: ANN001 - a Path
    return [step.key for step in path.steps]


def test_each_lesson_is_followed_by_its_quiz_then_free_quizzes_sandbox_and_certificate() -> None:
    path = course_path(make_course(), Progress(), "de")
    assert keys(path) == [
        (LESSON, "l1"),
        (QUIZ, "q1"),
        (LESSON, "l2"),
        (QUIZ, "q2"),
        (LESSON, "l3"),
        (QUIZ, "q3"),  # named by no lesson: after the lessons
        (SANDBOX, SANDBOX),
        (CERTIFICATE, CERTIFICATE),
    ]
    assert path.steps[0].title == "l1 de" and path.steps[1].title == "q1 (de)"
    assert path.step(LESSON, "l2").number == 2


def test_a_visitor_starts_at_the_first_lesson_and_has_everything_left() -> None:
    path = course_path(make_course(), Progress(), "en")
    assert path.next.key == (LESSON, "l1")
    assert [step.state for step in path.steps] == [CURRENT] + [TODO] * 7
    assert path.minutes_left == 21 + 22 + 23 + 3 * quiz_minutes(6) + SANDBOX_MINUTES
    assert path.percent == 0 and path.done == 0


def test_the_next_step_is_the_first_one_not_done() -> None:
    path = course_path(make_course(), Progress(frozenset({"l1", "l2"}), frozenset({"q2"})), "de")
    assert path.next.key == (QUIZ, "q1")  # skipped: the path comes back to it
    assert [step.state for step in path.steps[:4]] == [DONE, CURRENT, DONE, DONE]
    assert path.minutes_left == 13 + 2 * quiz_minutes(6) + SANDBOX_MINUTES


def test_continue_from_a_step_leads_to_the_step_after_it() -> None:
    path = course_path(make_course(), Progress(), "de")
    assert path.after(LESSON, "l1").key == (QUIZ, "q1")
    assert path.after(QUIZ, "q1").key == (LESSON, "l2")
    assert path.after(QUIZ, "q3").key == (SANDBOX, SANDBOX)
    assert path.after(SANDBOX, SANDBOX).key == (CERTIFICATE, CERTIFICATE)
    assert path.after(CERTIFICATE, CERTIFICATE) is None
    assert path.after(LESSON, "nope") is None


def test_everything_done_earns_the_certificate_and_leads_there() -> None:
    course = make_course()
    both = SandboxStanding(80.0, 80.0, 80.0)
    learner = Progress(frozenset(course.lesson_ids), frozenset({"q1", "q2", "q3"}), both)
    path = course_path(course, learner, "de")
    assert path.steps[-1].state == EARNED and path.next.key == (CERTIFICATE, CERTIFICATE)
    assert path.minutes_left == 0 and path.percent == 100


def test_a_held_certificate_is_earned_even_if_the_rule_changed_since() -> None:
    path = course_path(make_course(), Progress(), "de", certified=True)
    assert path.steps[-1].state == EARNED


def test_without_a_threshold_trying_the_sandbox_is_enough() -> None:
    course = make_course(threshold=None)
    learner = Progress(frozenset(course.lesson_ids), frozenset({"q1", "q2", "q3"}), SandboxStanding(10.0))
    path = course_path(course, learner, "de")
    assert path.step(SANDBOX, SANDBOX).state == DONE  # no threshold: having tried it is enough
    assert path.steps[-1].state == EARNED


def test_the_sandbox_step_follows_the_completion_rule() -> None:
    course = make_course()
    learner = Progress(frozenset(course.lesson_ids), frozenset({"q1", "q2", "q3"}), SandboxStanding(90.0, 90.0))
    path = course_path(course, learner, "de")
    assert path.step(SANDBOX, SANDBOX).state == CURRENT  # only one of the two accounts
    assert path.steps[-1].state == TODO


def test_a_course_without_sandbox_or_quizzes_is_lessons_and_the_certificate() -> None:
    path = course_path(make_course(quizzes=0, sandbox=False, attached=0), Progress(), "de")
    assert keys(path) == [(LESSON, "l1"), (LESSON, "l2"), (LESSON, "l3"), (CERTIFICATE, CERTIFICATE)]


def test_a_quiz_named_by_a_lesson_but_missing_from_the_course_is_left_out() -> None:
    course = make_course(quizzes=1, attached=2)  # l2 names q2, which the course does not have
    assert (QUIZ, "q2") not in keys(course_path(course, Progress(), "de"))


def test_quizzes_not_required_are_steps_that_do_not_count() -> None:
    course = replace(make_course(), completion=CompletionRule())
    path = course_path(course, Progress(), "de")
    assert not path.step(QUIZ, "q1").required and path.step(LESSON, "l1").required


@given(
    st.frozensets(st.sampled_from(("l1", "l2", "l3"))),
    st.frozensets(st.sampled_from(("q1", "q2", "q3"))),
    st.none() | st.builds(SandboxStanding, st.floats(0, 100), st.none() | st.floats(0, 100)),
    st.sampled_from(("l1", "l2", "l3", "q1", "q2", "q3")),
)
def test_doing_a_step_never_adds_time_and_the_certificate_agrees_with_the_rule(
    lessons: frozenset[str], passed: frozenset[str], sandbox: SandboxStanding | None, more: str
) -> None:
    course = make_course()
    learner = Progress(lessons, passed, sandbox)
    path = course_path(course, learner, "de")
    assert (path.steps[-1].state == EARNED) == completion.complete(course.requirements, learner)
    assert sum(step.state == CURRENT for step in path.steps) <= 1
    assert path.next.state in (CURRENT, EARNED)
    further = (
        Progress(lessons | {more}, passed, sandbox)
        if more.startswith("l")
        else Progress(lessons, passed | {more}, sandbox)
    )
    assert course_path(course, further, "de").minutes_left <= path.minutes_left
