"""The certificate checklist: the course's completion rule as steps, on the overview."""

from __future__ import annotations

from dataclasses import replace

from course.core.catalog import CompletionRule
from course.learn.operations import checklist, course_percent
from course.publishing.cache import catalog


def kam_course(app, **rule: object):
    with app.test_request_context():
        course = catalog().course("kam-pay")
    return replace(course, completion=replace(course.completion, **rule)) if rule else course


def test_every_requirement_is_a_step(app) -> None:
    course = kam_course(app)
    steps = checklist(course, set(), set(), None)
    assert [s.kind for s in steps] == ["lessons"] + ["quiz"] * len(course.quizzes) + ["sandbox"]
    assert not any(s.done for s in steps)
    assert steps[-1].total == 70


def test_one_quiz_short_is_one_step_open(app) -> None:
    course = kam_course(app)
    quizzes = {q.id for q in course.quizzes}
    missing = sorted(quizzes)[0]
    steps = checklist(course, set(course.lesson_ids), quizzes - {missing}, 70.0)
    assert [s.item for s in steps if not s.done] == [missing]
    assert course_percent(course, set(course.lesson_ids), quizzes - {missing}, True) == 92


def test_a_score_below_the_threshold_is_not_done_and_shows_the_best(app) -> None:
    step = checklist(kam_course(app), set(), set(), 69.6)[-1]
    assert (step.done, step.count, step.total) == (False, 70, 70)  # shown rounded, compared exactly
    assert checklist(kam_course(app), set(), set(), 70.0)[-1].done


def test_a_course_without_quiz_or_sandbox_rules_has_only_the_lessons(app) -> None:
    course = kam_course(app, quizzes=None, sandbox=None)
    assert [s.kind for s in checklist(course, set(), set(), 95.0)] == ["lessons"]
    assert CompletionRule().sandbox is None


def test_lessons_removed_from_the_course_do_not_count(app) -> None:
    course = kam_course(app)
    step = checklist(course, {"an-old-lesson", course.lesson_ids[0]}, set(), None)[0]
    assert (step.count, step.total, step.done) == (1, len(course.lessons), False)


def test_the_overview_shows_the_checklist(client, make_user, login_as) -> None:
    login_as(make_user(locale="en"))
    page = client.get("/courses/kam-pay", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "What the certificate needs" in page
    assert "Complete every lesson (0 of 6)" in page
    assert "Reach 70 points with a sandbox design (best so far: 0)" in page
    assert page.count('class="checklist__step"') == 1 + 6 + 1
