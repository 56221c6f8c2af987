"""The learner's pages: overview with progress, lessons in the chosen language, completing lessons."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from course.auth import operations
from course.extensions import db
from course.models import ContentRevision, LessonProgress, User
from course.publishing.operations import bundled_files
from tests.sessions import sign_in

FIRST = "/courses/kam-pay/lessons/kams-are-not-salespeople"
LAST = "/courses/kam-pay/lessons/designing-a-kam-bonus-plan"


def test_first_start_imports_the_bundled_course(app, client) -> None:
    with app.app_context():
        assert db.session.scalar(select(func.count(ContentRevision.id))) == 0
    page = client.get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Key-Account-Manager sind keine Verkäufer" in page
    files, _ = bundled_files(app.config)
    assert any(path.startswith("quizzes/") for path in files)
    with app.app_context():
        assert db.session.scalar(select(func.count(ContentRevision.id))) == len(files)


def test_overview_lists_lessons_in_order_for_anonymous_visitors(client) -> None:
    response = client.get("/", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    positions = [
        page.index(f"/courses/kam-pay/lessons/{lesson}")
        for lesson in (
            "kams-are-not-salespeople",
            "year-end-retention-bonus",
            "kam-mandate",
            "direct-and-indirect-rewards",
            "recognition-and-customer-feedback",
            "designing-a-kam-bonus-plan",
        )
    ]
    assert positions == sorted(positions)
    assert "Start the course" in page
    assert "<progress" not in page  # progress is for learners with an account


def test_lesson_page_has_objectives_toc_summary_and_neighbours(client) -> None:
    page = client.get("/courses/kam-pay/lessons/kam-mandate", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Lesson 3 of 6" in page
    assert "In this lesson you will learn" in page and "Summary" in page
    assert 'class="lesson-toc"' in page and 'href="#the-four-questions-of-the-mandate"' in page
    assert 'rel="prev" href="/courses/kam-pay/lessons/year-end-retention-bonus"' in page
    assert 'rel="next" href="/courses/kam-pay/lessons/direct-and-indirect-rewards"' in page
    assert "Log in</a> to record your progress." in page


def test_lesson_follows_the_language(client) -> None:
    german = client.get(FIRST, headers={"Accept-Language": "de-DE,de;q=0.9"}).get_data(as_text=True)
    english = client.get(FIRST, headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert "Key-Account-Manager sind keine Verkäufer" in german and '<html lang="de">' in german
    assert "KAMs are not salespeople" in english and '<html lang="en">' in english


def test_unknown_course_or_lesson_is_a_friendly_404_in_the_users_language(client) -> None:
    for url in ("/courses/kam-pay/lessons/nope", "/courses/nope", "/no/such/page"):
        response = client.get(url, headers={"Accept-Language": "de"})
        assert response.status_code == 404
        assert "Seite nicht gefunden" in response.get_data(as_text=True)


def test_completing_lessons_moves_progress_and_goes_on_to_the_lessons_quiz(app, client, login_as, make_user) -> None:
    user = make_user(locale="en")
    login_as(user)
    response = client.post(f"{FIRST}/complete")
    assert response.status_code == 302
    assert response.headers["Location"] == "/courses/kam-pay/quizzes/kams-are-not-salespeople-quiz"
    client.post(f"{FIRST}/complete")  # twice changes nothing
    page = client.get("/").get_data(as_text=True)
    # Six lessons and six quizzes to pass: one lesson is one step of twelve.
    assert "Your progress: 1 of 6 lessons and 0 of 6 quizzes" in page
    assert '<progress id="course-progress" max="100" value="8">' in page
    assert "Continue with the quiz “KAMs are not salespeople”" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(LessonProgress.id))) == 1
    lesson_page = client.get(FIRST).get_data(as_text=True)
    assert "Mark as completed" not in lesson_page and "completed</span>" in lesson_page


def test_completing_the_last_lesson_goes_on_to_its_quiz(client, login_as, make_user) -> None:
    login_as(make_user(locale="en"))
    location = client.post(f"{LAST}/complete").headers["Location"]
    assert location == "/courses/kam-pay/quizzes/designing-a-kam-bonus-plan-quiz"


def test_all_lessons_completed_shows_congratulations(client, login_as, make_user) -> None:
    login_as(make_user(locale="en"))
    page = client.get("/").get_data(as_text=True)
    for href in [h for h in page.split('"') if h.startswith("/courses/kam-pay/lessons/")]:
        client.post(f"{href}/complete")
    page = client.get("/courses/kam-pay").get_data(as_text=True)
    assert "You have completed every lesson." in page
    assert 'value="46"' in page  # 6 of 13 steps: the 6 quizzes and the sandbox score are the rest


def test_anonymous_visitor_cannot_record_progress(app, client) -> None:
    response = client.post(f"{FIRST}/complete")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")
    with app.app_context():
        assert db.session.scalar(select(func.count(LessonProgress.id))) == 0


def test_completing_an_unknown_lesson_is_404(client, login_as, make_user) -> None:
    login_as(make_user())
    assert client.post("/courses/kam-pay/lessons/nope/complete").status_code == 404


def test_progress_is_per_learner(client, login_as, make_user) -> None:
    login_as(make_user(locale="en"))
    client.post(f"{FIRST}/complete")
    login_as(make_user(locale="en"))
    assert "Your progress: 0 of 6 lessons and 0 of 6 quizzes" in client.get("/").get_data(as_text=True)


def test_complete_requires_post(client, login_as, make_user) -> None:
    login_as(make_user())
    assert client.get(f"{FIRST}/complete").status_code == 405


def test_cached_lesson_page_shows_each_learner_their_own_name_and_progress(client, login_as, make_user) -> None:
    first = make_user(locale="en")
    login_as(first)
    client.post(f"{FIRST}/complete")
    page = client.get(FIRST).get_data(as_text=True)
    assert "Test Learner" in page and 'value="8"' in page and "Mark as completed" not in page

    second = make_user(locale="en")
    sign_in(client, second.id)
    page = client.get(FIRST).get_data(as_text=True)
    assert 'value="0"' in page and "Mark as completed and continue" in page


def test_learner_name_is_escaped_on_the_cached_lesson_page(app, client, login_as, make_user) -> None:
    user = make_user(locale="en")
    with app.app_context():
        db.session.get(User, user.id).display_name = "<script>alert(1)</script>"
        db.session.commit()
    login_as(user)
    page = client.get(FIRST).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_csrf_token_on_the_cached_lesson_page_is_accepted(make_app, make_user) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        user = operations.create_user("csrf@example.org", "long enough pw", "Csrf", locale="en")
        db.session.commit()
        user_id = user.id
    sign_in(client, user_id)
    for _ in range(2):  # the second page comes from the cache; its token must still be valid
        page = client.get(FIRST).get_data(as_text=True)
    token = re.search(r'action="[^"]+/complete">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', page)
    assert client.post(f"{FIRST}/complete", data={}).status_code == 400
    assert client.post(f"{FIRST}/complete", data={"csrf_token": token.group(1)}).status_code == 302


def test_pending_messages_appear_on_the_cached_lesson_page(client) -> None:
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "A message for you")]
    assert '<p class="flash flash--info">A message for you</p>' in client.get(FIRST).get_data(as_text=True)
    assert "A message for you" not in client.get(FIRST).get_data(as_text=True)  # shown once
