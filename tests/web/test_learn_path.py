"""The guided path on the pages: the course sidebar's states, the one "Continue" button and where it leads, the
confirmation after completing a lesson, and time left on the overview (the path itself: tests/core/test_path.py)."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from tests.quiz_helpers import faster_apps
from tests.web.test_fast_paths import record_progress

COURSE = "/courses/kam-pay"
FIRST = f"{COURSE}/lessons/kams-are-not-salespeople"
SECOND = f"{COURSE}/lessons/year-end-retention-bonus"
FIRST_QUIZ = f"{COURSE}/quizzes/kams-are-not-salespeople-quiz"
LAST_QUIZ = f"{COURSE}/quizzes/designing-a-kam-bonus-plan-quiz"
SANDBOX = f"{COURSE}/sandbox"
CERTIFICATE = f"{COURSE}/certificate"
STEP = re.compile(r'<li class="course-path__step course-path__step--(\w+)(?: is-(\w+))?">\s*<a href="([^"]+)"')


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    return faster_apps(make_app, monkeypatch)


def sidebar_steps(page: str) -> list[tuple[str, str, str]]:
    """(kind, state, link) for each step of the sidebar."""
    return STEP.findall(page)


def primary_buttons(page: str) -> list[str]:
    return re.findall(r'class="button(?: button--continue)?"[^>]*>', page)


def continue_target(page: str) -> str:
    found = re.search(r'<a class="button button--continue" href="([^"]+)">', page)
    assert found, "no Continue button"
    return found.group(1)


def test_visitors_see_every_step_in_order_without_states(client) -> None:
    page = client.get(FIRST, headers={"Accept-Language": "en"}).get_data(as_text=True)
    steps = sidebar_steps(page)
    assert [kind for kind, _, _ in steps] == ["lesson", "quiz"] * 6 + ["sandbox", "certificate"]
    assert all(state == "" for _, state, _ in steps)
    assert [link for _, _, link in steps[:3]] == [FIRST, FIRST_QUIZ, SECOND]
    assert f'href="{FIRST}" aria-current="step"' in page
    assert "<progress" not in page and "Time left" not in page
    assert continue_target(page) == FIRST_QUIZ  # a lesson continues to its quiz
    assert '<details class="course-path" data-course-path>' in page and "/static/js/path." in page


def test_a_learner_at_the_start_is_sent_to_the_first_lesson(client, make_user, login_as) -> None:
    login_as(make_user(locale="en"))
    page = client.get(COURSE).get_data(as_text=True)
    assert continue_target(page) == FIRST and "Start the course" in page
    states = [state for _, state, _ in sidebar_steps(page)]
    assert states == ["current"] + ["todo"] * 13
    assert "Time left: about" in page and "next step" in page
    assert "What the certificate needs" in page
    assert len(primary_buttons(page)) == 1
    assert page.count('class="lesson-list__item path-list__item path-list__item--quiz') == 6  # quizzes in the path
    assert "<h2>Quizzes</h2>" not in page


def test_a_learner_in_the_middle_continues_where_the_path_is_open(app, client, make_user, login_as) -> None:
    user = make_user(locale="en")
    record_progress(app, user.id, lessons=2, quizzes=1, sandbox=None)
    login_as(user)
    overview = client.get(COURSE).get_data(as_text=True)
    states = [state for _, state, _ in sidebar_steps(overview)]
    assert states[:5] == ["done", "done", "done", "current", "todo"]  # lesson 1, its quiz, lesson 2, its quiz
    assert continue_target(overview) == f"{COURSE}/quizzes/year-end-retention-bonus-quiz"
    assert "Continue with the quiz “" in overview and "3 of 14 steps" in overview
    lesson = client.get(SECOND).get_data(as_text=True)
    assert f'href="{SECOND}" aria-current="step"' in lesson
    assert "Mark as completed" not in lesson and continue_target(lesson).endswith("/year-end-retention-bonus-quiz")
    assert len(primary_buttons(lesson)) == 1


def test_a_learner_at_the_end_is_led_to_the_certificate(app, client, make_user, login_as) -> None:
    user = make_user(locale="de")
    record_progress(app, user.id, lessons=6, quizzes=6, sandbox=90.0)
    login_as(user)
    page = client.get(COURSE).get_data(as_text=True)
    steps = sidebar_steps(page)
    assert [state for _, state, _ in steps] == ["done"] * 13 + ["earned"]
    assert steps[-1][2] == CERTIFICATE
    assert continue_target(page) == CERTIFICATE and "Weiter zu Ihrem Zertifikat" in page
    assert "Verbleibende Zeit" not in page


def test_completing_a_lesson_confirms_it_and_the_lesson_shows_it(client, make_user, login_as) -> None:
    login_as(make_user(locale="en"))
    lesson = client.get(FIRST).get_data(as_text=True)
    assert "Mark as completed and continue with the quiz “KAMs are not salespeople”" in lesson
    response = client.post(f"{FIRST}/complete")
    assert response.headers["Location"] == FIRST_QUIZ
    quiz = client.get(FIRST_QUIZ).get_data(as_text=True)
    assert "Lesson “KAMs are not salespeople” marked as completed." in quiz
    assert f'href="{FIRST_QUIZ}" aria-current="step"' in quiz  # the quiz page has the sidebar too
    assert [state for _, state, _ in sidebar_steps(quiz)][:2] == ["done", "current"]
    lesson = client.get(FIRST).get_data(as_text=True)
    assert 'class="badge badge--done">completed</span>' in lesson


def test_the_confirmation_is_in_german_for_german_learners(client, make_user, login_as) -> None:
    login_as(make_user(locale="de"))
    client.post(f"{FIRST}/complete")
    page = client.get(FIRST_QUIZ).get_data(as_text=True)
    assert "Lektion „Key-Account-Manager sind keine Verkäufer“ als erledigt markiert." in page


def test_the_cached_lesson_page_shows_each_learner_their_own_path(app, client, make_user, login_as) -> None:
    ahead = make_user(locale="en")
    record_progress(app, ahead.id, lessons=6, quizzes=6, sandbox=None)
    login_as(ahead)
    first = client.get(FIRST).get_data(as_text=True)
    assert [state for _, state, _ in sidebar_steps(first)][-2:] == ["current", "todo"]  # the sandbox is next
    login_as(make_user(locale="en"))
    second = client.get(FIRST).get_data(as_text=True)
    assert [state for _, state, _ in sidebar_steps(second)][:2] == ["current", "todo"]


def test_quiz_and_sandbox_pages_carry_the_sidebar(client, make_user, login_as) -> None:
    login_as(make_user(locale="en"))
    sandbox = client.get(SANDBOX).get_data(as_text=True)
    assert f'href="{SANDBOX}" aria-current="step"' in sandbox
    assert len(sidebar_steps(sandbox)) == 14
    assert len(sidebar_steps(client.get(LAST_QUIZ).get_data(as_text=True))) == 14


def test_the_lesson_page_stays_one_shell_for_every_learner(app: Flask, client, make_user, login_as) -> None:
    from course.core.caching import stats

    def shells() -> int:
        return next(s.size for s in stats() if s.name.startswith("shells.pages@"))

    for lessons in (0, 3):
        user = make_user(locale="en")
        record_progress(app, user.id, lessons=lessons, quizzes=0, sandbox=None)
        login_as(user)
        client.get(f"{COURSE}/lessons/kam-mandate")
    before = shells()
    for lessons in (1, 2):  # others who have not completed this lesson: no new shell
        user = make_user(locale="en")
        record_progress(app, user.id, lessons=lessons, quizzes=lessons, sandbox=None)
        login_as(user)
        client.get(f"{COURSE}/lessons/kam-mandate")
    assert shells() == before
