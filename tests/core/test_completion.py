"""The completion rule over plain data: the checklist, the percentage, eligibility and the progress-table status."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from course.core import completion
from course.core.catalog import CompletionRule, Course, Lesson
from course.core.completion import Progress, Requirements, SandboxStanding

LESSONS = tuple(f"lesson-{n}" for n in range(1, 7))
QUIZZES = tuple(f"quiz-{n}" for n in range(1, 7))
# Shaped like the bundled course: six lessons, six quizzes all required, a sandbox threshold of 70.
KAM = Requirements("kam", LESSONS, QUIZZES, QUIZZES, 70)
BOTH = SandboxStanding(best=70.0, assigned=70.0, other=70.0)  # both sandbox passes at the threshold


def test_requirements_are_read_from_the_catalog_course() -> None:
    course = Course(
        id="kam",
        source_language="de",
        languages=("de",),
        titles={"de": "KAM"},
        descriptions={"de": "…"},
        lessons=tuple(Lesson(lesson_id, number, {}) for number, lesson_id in enumerate(LESSONS, 1)),
        completion=CompletionRule(quizzes="all", sandbox=70),
        quizzes=tuple(SimpleNamespace(id=quiz_id) for quiz_id in QUIZZES),
    )
    assert Requirements.of(course) == KAM
    lenient = Requirements.of(replace(course, completion=CompletionRule()))
    assert (lenient.quiz_ids, lenient.required_quizzes, lenient.sandbox) == (QUIZZES, (), None)


def test_every_requirement_is_a_step() -> None:
    steps = completion.checklist(KAM, Progress())
    assert [s.kind for s in steps] == ["lessons"] + ["quiz"] * len(QUIZZES) + ["sandbox_assigned", "sandbox_other"]
    assert not any(s.done for s in steps)
    assert steps[-1].total == steps[-2].total == 70


def test_one_quiz_short_is_one_step_open() -> None:
    learner = Progress(frozenset(LESSONS), frozenset(QUIZZES[1:]), BOTH)
    assert [s.item for s in completion.checklist(KAM, learner) if not s.done] == [QUIZZES[0]]
    assert completion.percent(KAM, learner) == 92  # 12 of 13 steps
    assert not completion.complete(KAM, learner)


def test_a_score_below_the_threshold_is_not_done_and_shows_the_best() -> None:
    step = completion.checklist(KAM, Progress(sandbox=SandboxStanding(69.6, 69.6, 69.6)))[-2]
    assert (step.kind, step.done, step.count, step.total) == ("sandbox_assigned", False, 70, 70)  # rounded, exact
    assert completion.checklist(KAM, Progress(sandbox=BOTH))[-1].done
    assert completion.sandbox_done(KAM, Progress()) is False


def test_the_sandbox_step_needs_the_assigned_account_and_one_of_another_kind() -> None:
    assigned_only = Progress(frozenset(LESSONS), frozenset(QUIZZES), SandboxStanding(90.0, 90.0, None))
    other_only = Progress(frozenset(LESSONS), frozenset(QUIZZES), SandboxStanding(90.0, 40.0, 90.0))
    for learner in (assigned_only, other_only):
        assert completion.sandbox_done(KAM, learner) is False
        assert not completion.complete(KAM, learner)
        assert [s.kind for s in completion.checklist(KAM, learner) if not s.done] in (
            ["sandbox_assigned"],
            ["sandbox_other"],
        )
    both = Progress(frozenset(LESSONS), frozenset(QUIZZES), SandboxStanding(90.0, 71.0, 70.0))
    assert completion.sandbox_done(KAM, both) and completion.complete(KAM, both)


def test_the_best_score_of_a_copied_plan_does_not_complete_the_sandbox() -> None:
    """The best score of any design (an unchanged copy of the lesson's plan included) is for trainers only."""
    copied = Progress(frozenset(LESSONS), frozenset(QUIZZES), SandboxStanding(best=100.0))
    assert completion.sandbox_done(KAM, copied) is False
    assert completion.status(KAM, copied, certified=False) == "in_progress"


def test_a_course_without_quiz_or_sandbox_rules_has_only_the_lessons() -> None:
    lessons_only = Requirements("kam", LESSONS, QUIZZES, (), None)
    assert [s.kind for s in completion.checklist(lessons_only, Progress(sandbox=BOTH))] == ["lessons"]
    assert completion.sandbox_done(lessons_only, Progress(sandbox=BOTH)) is None
    assert completion.complete(lessons_only, Progress(frozenset(LESSONS)))
    assert completion.percent(lessons_only, Progress(frozenset(LESSONS[:3]), frozenset(QUIZZES))) == 50


def test_lessons_and_quizzes_removed_from_the_course_do_not_count() -> None:
    learner = Progress(frozenset({"an-old-lesson", LESSONS[0]}), frozenset({"an-old-quiz"}))
    step = completion.checklist(KAM, learner)[0]
    assert (step.count, step.total, step.done) == (1, len(LESSONS), False)
    assert completion.percent(KAM, learner) == 8  # 1 of 13
    assert completion.progress(KAM, learner.lessons, learner.passed, SandboxStanding(12.5)) == Progress(
        frozenset({LESSONS[0]}), frozenset(), SandboxStanding(12.5)
    )


def test_passed_quizzes_that_are_not_required_do_not_count() -> None:
    lessons_only = Requirements("kam", LESSONS, QUIZZES, (), None)
    assert completion.quizzes_passed(lessons_only, Progress(passed=frozenset(QUIZZES))) == frozenset()


def test_status_orders_certificate_rule_and_activity() -> None:
    done = Progress(frozenset(LESSONS), frozenset(QUIZZES), BOTH)
    assert completion.status(KAM, Progress(), certified=True) == "certified"  # a certificate stays valid
    assert completion.status(KAM, done, certified=False) == "completed"
    assert completion.status(KAM, Progress(sandbox=SandboxStanding(0.0)), certified=False) == "in_progress"
    assert completion.status(KAM, Progress(), certified=False, quizzes_taken=True) == "in_progress"
    assert completion.status(KAM, Progress(frozenset({"an-old-lesson"})), certified=False) == "not_started"
    assert completion.status(KAM, Progress(), certified=False) == "not_started"


scores = st.none() | st.floats(0, 100)


@st.composite
def rules_and_progress(draw: st.DrawFn) -> tuple[Requirements, Progress]:
    lessons = tuple(f"l{n}" for n in range(draw(st.integers(1, 20))))
    quizzes = tuple(f"q{n}" for n in range(draw(st.integers(0, 8))))
    rule = Requirements(
        "c",
        lessons,
        quizzes,
        quizzes if draw(st.booleans()) else (),
        draw(st.none() | st.integers(1, 100)),
    )
    learner = Progress(
        draw(st.frozensets(st.sampled_from((*lessons, "old-lesson")))),
        draw(st.frozensets(st.sampled_from((*quizzes, "old-quiz")))),
        draw(st.none() | st.builds(SandboxStanding, st.floats(0, 100), scores, scores)),
    )
    return rule, learner


@given(rules_and_progress())
def test_complete_exactly_when_every_step_is_done_and_the_bar_is_full(case: tuple[Requirements, Progress]) -> None:
    rule, learner = case
    done = completion.complete(rule, learner)
    assert done == all(step.done for step in completion.checklist(rule, learner))
    assert done == (completion.percent(rule, learner) == 100)  # courses this small never round 99.5 % up
    assert (completion.status(rule, learner, certified=False) == "completed") == done


@given(rules_and_progress())
def test_progress_on_removed_items_changes_nothing(case: tuple[Requirements, Progress]) -> None:
    rule, learner = case
    current = completion.progress(rule, learner.lessons, learner.passed, learner.sandbox)
    assert current.lessons <= set(rule.lesson_ids) and current.passed <= set(rule.quiz_ids)
    assert completion.percent(rule, current) == completion.percent(rule, learner)
    assert completion.checklist(rule, current) == completion.checklist(rule, learner)


@given(rules_and_progress(), st.sampled_from(("lesson", "quiz", "sandbox")))
def test_doing_more_never_lowers_the_percentage(case: tuple[Requirements, Progress], more: str) -> None:
    rule, learner = case
    if more == "lesson":
        further = Progress(learner.lessons | {rule.lesson_ids[0]}, learner.passed, learner.sandbox)
    elif more == "quiz":
        further = Progress(learner.lessons, learner.passed | set(rule.quiz_ids[:1]), learner.sandbox)
    else:
        further = Progress(learner.lessons, learner.passed, SandboxStanding(100.0, 100.0, 100.0))
    assert completion.percent(rule, further) >= completion.percent(rule, learner)
