"""The certificate checklist on the overview: the course's completion rule as steps (the rule itself is tested in
tests/core/test_completion.py)."""

from __future__ import annotations

from course.core import completion
from course.publishing.cache import catalog


def test_the_bundled_course_asks_for_every_lesson_and_quiz_and_a_sandbox_score(app) -> None:
    with app.test_request_context():
        course = catalog().course("kam-pay")
    rule = completion.Requirements.of(course)
    assert rule.lesson_ids == course.lesson_ids and len(rule.lesson_ids) == 6
    assert rule.required_quizzes == rule.quiz_ids == tuple(quiz.id for quiz in course.quizzes)
    assert rule.sandbox == 70


def test_the_overview_shows_the_checklist(client, make_user, login_as) -> None:
    login_as(make_user(locale="en"))
    page = client.get("/courses/kam-pay", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "What the certificate needs" in page
    assert "Complete every lesson (0 of 6)" in page
    assert "Sandbox: reach 70 points in your assigned account (not yet)" in page
    assert "Sandbox: reach 70 points in an account of another kind (not yet)" in page
    assert page.count('class="checklist__step"') == 1 + 6 + 2
