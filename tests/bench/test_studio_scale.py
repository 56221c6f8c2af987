"""bench/studio_scale.py's generated answers, for every question type of the bundled course: it seeds 10,000
learners on PostgreSQL, so nothing else runs it, and a change to a type's key once broke it unseen."""

from __future__ import annotations

import pytest

from bench.studio_scale import candidates
from course.core.catalog import build_catalog
from course.core.quiz import question_type
from tests.paths import bundled_files

QUESTIONS = [
    pytest.param(question, id=f"{quiz.id}/{question.id}")
    for quiz in build_catalog(bundled_files()).catalog.course("kam-pay").quizzes
    for question in quiz.questions
]


@pytest.mark.parametrize("question", QUESTIONS)
def test_each_question_gets_right_and_not_right_answers_the_app_grades_so(question) -> None:
    right, other = candidates(question)
    assert right and other
    assert all(candidate.fraction == 1.0 for candidate in right)
    assert all(0.0 <= candidate.fraction < 1.0 for candidate in other)
    if not question_type(question.type).graded_by_trainer:  # an essay's marks are a trainer's, not the grader's
        grader = question_type(question.type)
        assert [grader.grade(question.spec, c.response).fraction for c in right + other] == [
            c.fraction for c in right + other
        ]
