"""The studio's pages (issue #6): who may open them, editing with preview, drafts, publishing with errors in place,
conflicts between two trainers, history, diff and restore, new files, and the studio link in the header."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from course.authoring import operations as studio
from course.extensions import db
from course.models import ContentRevision, User
from course.publishing import operations as publishing
from course.publishing.cache import catalog
from tests.quiz_helpers import faster_apps
from tests.sessions import sign_in
from tests.web.test_quiz_leaks import leaks, secrets_to_look_for

LESSON = "kam-pay/kam-mandate.de.md"
LESSON_EN = "kam-pay/kam-mandate.en.md"
QUIZ = "quizzes/kam-pay/kam-mandate-quiz.yml"
COURSE = "kam-pay/course.yml"
LESSON_PAGE = "/courses/kam-pay/lessons/kam-mandate"
SENTENCE = "Ein ganz neuer Satz aus dem Studio."


@pytest.fixture
def app(make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch) -> Flask:
    app = faster_apps(make_app, monkeypatch)()  # catalog builds and compiled templates shared between tests
    with app.test_request_context():
        catalog()  # the first request imports the bundled course
    return app


@pytest.fixture
def english(client: FlaskClient) -> FlaskClient:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def trainer(make_user) -> User:
    return make_user(role="trainer", display_name="Tina Trainer")


@pytest.fixture
def trainer_client(english: FlaskClient, trainer: User, login_as) -> FlaskClient:
    return login_as(trainer)


def other_client(app: Flask, user: User) -> FlaskClient:
    """A second browser, logged in as `user`."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return sign_in(client, user.id)


def newest(app: Flask, path: str) -> tuple[int, str, str]:
    with app.app_context():
        revision = publishing.newest_revision(path)
        return revision.number, revision.status, revision.source


def published_text(app: Flask, path: str) -> str:
    with app.app_context():
        return publishing.published_files()[path]


def revision_count(app: Flask, path: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).where(ContentRevision.path == path))


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def textarea(page: str) -> str:
    match = re.search(r'<textarea[^>]*name="text"[^>]*>\r?\n?(.*?)</textarea>', page, re.S)
    assert match, "no editor textarea"
    return html.unescape(match.group(1))


def flashes(page: str) -> list[str]:
    return [html.unescape(text) for text in re.findall(r'<p class="flash flash--\w+">(.*?)</p>', page, re.S)]


def with_sentence(text: str) -> str:
    return text.rstrip("\n") + f"\n\n{SENTENCE}\n"


def edit(client: FlaskClient, path: str, text: str, base: int | str, action: str):
    return client.post(f"/studio/files/{path}", data={"text": text, "base": str(base), "action": action})


# --- Who may use the studio -----------------------------------------------------------------------------------

ROUTES = [
    ("GET", "/studio", None),
    ("GET", f"/studio/files/{LESSON}", None),
    ("POST", f"/studio/files/{LESSON}", {"text": "x", "base": "1", "action": "preview"}),
    ("POST", f"/studio/files/{LESSON}/preview", {"text": "x"}),
    ("GET", f"/studio/files/{LESSON}/history", None),
    ("GET", f"/studio/files/{LESSON}/diff?a=1&b=1", None),
    ("POST", f"/studio/files/{LESSON}/restore", {"number": "1", "base": "1"}),
    ("POST", "/studio/courses/kam-pay/lessons", {"kam-pay-lesson-lesson_id": "fresh", "kam-pay-lesson-lang": "de"}),
    ("POST", "/studio/courses/kam-pay/quizzes", {"kam-pay-quiz-quiz_id": "fresh-quiz"}),
]


@pytest.mark.parametrize(("method", "url", "data"), ROUTES)
def test_anonymous_visitors_are_sent_to_log_in(client: FlaskClient, method: str, url: str, data) -> None:
    response = client.open(url, method=method, data=data)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize(("method", "url", "data"), ROUTES)
def test_learners_cannot_open_authoring_pages(client: FlaskClient, make_user, login_as, method, url, data) -> None:
    login_as(make_user(role="learner"))
    assert client.open(url, method=method, data=data).status_code == 403


@pytest.mark.parametrize("role", ["trainer", "admin"])
@pytest.mark.parametrize(("method", "url", "data"), ROUTES)
def test_trainers_and_admins_use_the_studio(app, client, make_user, login_as, role, method, url, data) -> None:
    login_as(make_user(role=role))
    assert client.open(url, method=method, data=data).status_code in {200, 302}
    assert revision_count(app, LESSON) >= 1  # nothing was lost on the way


@pytest.mark.parametrize(
    "path",
    [
        "kam-pay/no-such-lesson.de.md",  # a valid shape, but no such file
        "quizzes/kam-pay/no-such-quiz.yml",
        "kam-pay/../kam-pay/course.yml",
        "..%2F..%2Fetc%2Fpasswd",
        "kam-pay/kam-mandate.fr.md",
        "kam-pay/sub/kam-mandate.de.md",
        "other/course.yml",
        "kam-pay/KAM-mandate.de.md",
        "%00",
    ],
)
def test_unknown_or_foreign_paths_are_not_found(trainer_client: FlaskClient, path: str) -> None:
    for suffix in ("", "/history", "/diff?a=1&b=1"):
        assert trainer_client.get(f"/studio/files/{path}{suffix}").status_code == 404
    assert trainer_client.post(f"/studio/files/{path}", data={"text": "x", "base": "1"}).status_code == 404
    assert trainer_client.post(f"/studio/files/{path}/preview", data={"text": "x"}).status_code == 404


# --- The studio's home ----------------------------------------------------------------------------------------


def test_the_studio_lists_course_lessons_per_language_and_quizzes_with_their_state(trainer_client) -> None:
    page = trainer_client.get("/studio").get_data(as_text=True)
    for path in (COURSE, LESSON, LESSON_EN, QUIZ):
        assert f'href="/studio/files/{path}"' in page
        assert f'href="/studio/files/{path}/history"' in page
    assert page.count("studio-state--published") >= 19  # course.yml, 12 lesson files, 6 quizzes
    assert "studio-warning" not in page  # the bundled course is complete and was imported source first
    assert 'href="/courses/kam-pay/certificates"' in page and 'href="/courses/kam-pay/sandbox/designs"' in page


def test_a_republished_source_flags_its_translation_until_that_is_saved(app, trainer_client) -> None:
    number, _status, source = newest(app, LESSON)
    assert edit(trainer_client, LESSON, with_sentence(source), number, "publish").status_code == 302
    page = text_of(trainer_client.get("/studio").get_data(as_text=True))
    assert "The English translation is older than the published German text" in page
    editor = text_of(trainer_client.get(f"/studio/files/{LESSON_EN}").get_data(as_text=True))
    assert "The English translation is older than the published German text" in editor
    en_number, _status, en_source = newest(app, LESSON_EN)
    edit(trainer_client, LESSON_EN, with_sentence(en_source), en_number, "save")
    assert "older than the published" not in text_of(trainer_client.get("/studio").get_data(as_text=True))


def test_a_new_lesson_file_starts_as_a_draft_that_learners_do_not_see(app, trainer_client) -> None:
    response = trainer_client.post(
        "/studio/courses/kam-pay/lessons",
        data={"kam-pay-lesson-lesson_id": "customer-visits", "kam-pay-lesson-lang": "de"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/studio/files/kam-pay/customer-visits.de.md"
    assert newest(app, "kam-pay/customer-visits.de.md")[1] == "draft"
    page = text_of(trainer_client.get("/studio").get_data(as_text=True))
    assert "Not in the course yet: open the lesson and publish it in the course." in page
    assert "The English translation is missing." in page
    assert trainer_client.get("/courses/kam-pay/lessons/customer-visits").status_code == 404
    editor = trainer_client.get("/studio/files/kam-pay/customer-visits.de.md").get_data(as_text=True)
    assert "Create the English file" in editor


@pytest.mark.parametrize(
    ("lesson_id", "message"),
    [
        ("", "Enter an id."),
        ("Kunden Besuche", "Use lowercase letters, digits and single hyphens"),
        ("../../etc", "Use lowercase letters, digits and single hyphens"),
        ("kam-mandate", "A lesson with this id exists already: choose another id."),
    ],
)
def test_a_bad_new_lesson_id_is_refused_with_a_message(trainer_client, lesson_id: str, message: str) -> None:
    title = "Neu" if lesson_id else ""  # an empty id is made from the title; with no title, the title is asked for
    message = message if lesson_id else "Enter a title."
    response = trainer_client.post(
        "/studio/courses/kam-pay/lessons/add",
        data={"kam-pay-add-lesson_id": lesson_id, "kam-pay-add-title_de": title, "kam-pay-add-position": "0"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in html.unescape(page) and 'aria-invalid="true"' in page


def test_a_new_quiz_file_starts_from_a_template_and_a_taken_id_is_refused(app, trainer_client) -> None:
    response = trainer_client.post("/studio/courses/kam-pay/quizzes", data={"kam-pay-quiz-quiz_id": "extra-quiz"})
    assert response.headers["Location"] == "/studio/files/quizzes/kam-pay/extra-quiz.yml"
    number, status, source = newest(app, "quizzes/kam-pay/extra-quiz.yml")
    assert (number, status) == (1, "draft") and "id: extra-quiz" in source
    again = trainer_client.post("/studio/courses/kam-pay/quizzes", data={"kam-pay-quiz-quiz_id": "extra-quiz"})
    assert again.status_code == 400 and "A quiz with this id exists already" in again.get_data(as_text=True)
    assert trainer_client.post("/studio/courses/nope/quizzes", data={"kam-pay-quiz-quiz_id": "x"}).status_code == 404


# --- The editor -----------------------------------------------------------------------------------------------


def test_the_editor_shows_the_newest_revision_and_the_other_language_beside_it(app, trainer_client) -> None:
    page = trainer_client.get(f"/studio/files/{LESSON}?view=text").get_data(as_text=True)
    number, _status, source = newest(app, LESSON)
    assert textarea(page) == source
    assert f'name="base" type="hidden" value="{number}"' in page
    assert 'id="other-text-en"' in page and "readonly" in page
    other = re.search(r'<textarea[^>]*id="other-text-en"[^>]*>\n(.*?)</textarea>', page, re.S).group(1)
    assert html.unescape(other) == newest(app, LESSON_EN)[2]
    for action in ("preview", "save", "publish"):
        assert f'name="action" value="{action}"' in page


def test_saving_a_draft_keeps_learners_on_the_published_text(app, trainer_client, english) -> None:
    number, _status, source = newest(app, LESSON)
    response = edit(trainer_client, LESSON, with_sentence(source).replace("\n", "\r\n"), number, "save")
    assert response.status_code == 302
    page = trainer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert flashes(page) == [f"Draft saved (revision {number + 1})."]
    assert newest(app, LESSON) == (number + 1, "draft", with_sentence(source))  # CRLF from the browser → LF
    page = trainer_client.get(f"/studio/files/{LESSON}?view=text").get_data(as_text=True)
    assert textarea(page) == with_sentence(source)
    assert published_text(app, LESSON) == source
    assert SENTENCE not in trainer_client.get(LESSON_PAGE, headers={"Accept-Language": "de"}).get_data(as_text=True)


def test_saving_the_unchanged_text_adds_no_revision(app, trainer_client) -> None:
    number, _status, source = newest(app, LESSON)
    response = edit(trainer_client, LESSON, source, number, "save")
    assert revision_count(app, LESSON) == 1
    assert flashes(trainer_client.get(response.headers["Location"]).get_data(as_text=True)) == [
        f"Nothing changed since revision {number}."
    ]


def test_publishing_shows_the_new_text_to_learners(app, trainer_client, make_user) -> None:
    number, _status, source = newest(app, LESSON)
    learner = other_client(app, make_user(role="learner"))
    learner.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    assert SENTENCE not in learner.get(LESSON_PAGE).get_data(as_text=True)  # cached before the edit
    response = edit(trainer_client, LESSON, with_sentence(source), number, "publish")
    assert response.status_code == 302
    page = trainer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert flashes(page) == [f"Published revision {number + 1}: learners see it now."]
    assert published_text(app, LESSON) == with_sentence(source)
    assert SENTENCE in learner.get(LESSON_PAGE).get_data(as_text=True)
    with app.app_context():
        assert [r.status for r in publishing.revisions(LESSON)] == ["published", "archived"]


def test_a_broken_file_is_not_published_and_the_errors_point_at_their_lines(app, trainer_client, english) -> None:
    number, _status, source = newest(app, LESSON)
    broken = source.replace("minutes: 7", "minutes: lots", 1) + "\n## Ein Abschnitt\n\n[^missing] im Text.\n"
    response = edit(trainer_client, LESSON, broken, number, "publish")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert textarea(page) == broken  # the trainer's text is kept
    assert 'aria-invalid="true"' in page and "text-problems" in re.search(r"<textarea[^>]*>", page).group(0)
    minutes_line = broken.split("\n").index("minutes: lots") + 1
    assert f'<a href="#text" data-line="{minutes_line}">line {minutes_line}: minutes must be a whole number' in page
    assert "Not published: fix the problems below. Your text is saved as draft revision" in page
    assert published_text(app, LESSON) == source
    assert newest(app, LESSON) == (number + 1, "draft", broken)
    assert f'name="base" type="hidden" value="{number + 1}"' in page  # the next publish starts from the draft
    assert SENTENCE not in english.get(LESSON_PAGE).get_data(as_text=True)


def test_a_file_that_breaks_another_file_is_refused_with_that_files_problem(app, trainer_client) -> None:
    number, _status, source = newest(app, COURSE)
    changed = source.replace("  - kam-mandate\n", "")  # the lessons still exist but the course no longer lists them
    response = edit(trainer_client, COURSE, changed, number, "publish")
    assert response.status_code == 400
    assert "<code>kam-pay/kam-mandate.de.md</code>" in response.get_data(as_text=True)
    assert published_text(app, COURSE) == source


@pytest.mark.parametrize(
    "data",
    [
        {"text": "x", "action": "save"},  # no base
        {"text": "x", "base": "abc", "action": "save"},
        {"text": "x", "base": "-1", "action": "publish"},
        {"text": "x", "base": "²", "action": "save"},
        {"text": "x", "base": "1" * 30, "action": "publish"},
        {"text": "x" * 200_001, "base": "1", "action": "save"},
        {"text": "NUL \x00 inside", "base": "1", "action": "save"},
        {"text": "bell \x07", "base": "1", "action": "publish"},
    ],
)
def test_bad_form_input_is_refused_without_losing_the_text(app, trainer_client, data: dict) -> None:
    response = trainer_client.post(f"/studio/files/{LESSON}", data=data)
    assert response.status_code == 400
    assert textarea(response.get_data(as_text=True)) == data["text"]
    assert revision_count(app, LESSON) == 1


def test_the_preview_button_renders_the_unsaved_text_below_the_editor(app, trainer_client) -> None:
    number, _status, source = newest(app, LESSON)
    response = edit(trainer_client, LESSON, with_sentence(source), number, "preview")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert textarea(page) == with_sentence(source)
    preview = page.split('id="preview"', 1)[1]
    assert f"<p>{SENTENCE}</p>" in preview and "No problems found: this text can be published." in preview
    assert revision_count(app, LESSON) == 1


def test_a_post_without_text_is_refused_or_previews_nothing(app, trainer_client) -> None:
    assert trainer_client.post(f"/studio/files/{LESSON}", data={"base": "1", "action": "save"}).status_code in {
        302,
        400,
    }
    assert trainer_client.post(f"/studio/files/{LESSON}/preview", data={}).status_code == 400
    assert trainer_client.post(f"/studio/files/{LESSON}/preview", data={"text": "a\x00b"}).status_code == 400


def test_an_unknown_action_only_previews(app, trainer_client) -> None:
    number, _status, source = newest(app, LESSON)
    assert edit(trainer_client, LESSON, with_sentence(source), number, "delete").status_code == 200
    assert revision_count(app, LESSON) == 1


def test_the_live_preview_returns_the_rendered_text_and_its_problems(app, trainer_client) -> None:
    _number, _status, source = newest(app, LESSON)
    text = source.replace("minutes: 7", "minutes: 0", 1) + "\n**fett**\n"
    response = trainer_client.post(f"/studio/files/{LESSON}/preview", data={"text": text})
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment and "<strong>fett</strong>" in fragment
    assert 'data-line="5">line 5: minutes must be a whole number from 1 to 120' in fragment
    assert revision_count(app, LESSON) == 1


def test_the_quiz_preview_shows_questions_as_learners_see_them_without_the_key(app, trainer_client) -> None:
    _number, _status, source = newest(app, QUIZ)
    fragment = trainer_client.post(f"/studio/files/{QUIZ}/preview", data={"text": source}).get_data(as_text=True)
    assert fragment.count('<fieldset class="question"') == 7
    for marker in ("is-correct", "mark--correct", "outcome", "explanation", "correct: true"):
        assert marker not in fragment
    with app.test_request_context():
        quiz = catalog().course("kam-pay").quiz("kam-mandate-quiz")
        # the quiz leak test's secrets: a secret that is also public text (an accepted answer quoting another
        # question's prompt) gives nothing away and is left out there and here
        secrets = secrets_to_look_for(app, quiz, [question.id for question in quiz.questions])
    assert leaks({"preview": (fragment, False)}, secrets) == []


def test_a_broken_quiz_previews_its_problems(trainer_client, app) -> None:
    _number, _status, source = newest(app, QUIZ)
    fragment = trainer_client.post(
        f"/studio/files/{QUIZ}/preview", data={"text": source.replace("type: matching", "type: cloze", 1)}
    ).get_data(as_text=True)
    assert "unknown question type" in html.unescape(fragment) and "data-line=" in fragment
    assert "The questions are shown once the problems above are fixed." in fragment


# --- Two trainers, one file -----------------------------------------------------------------------------------


def test_the_second_save_from_the_same_base_is_a_conflict_with_a_diff(app, trainer_client, make_user) -> None:
    number, _status, source = newest(app, LESSON)
    colleague = other_client(app, make_user(role="trainer", display_name="Carl Colleague"))
    assert (
        edit(
            colleague, LESSON, source.replace("## Was der Auftrag ist", "## Was der Auftrag leistet"), number, "save"
        ).status_code
        == 302
    )
    mine = with_sentence(source)
    response = edit(trainer_client, LESSON, mine, number, "save")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert re.search(rf"Someone else saved revision {number + 1} at .+ \(by Carl Colleague\)\.", text_of(page))
    assert textarea(page) == mine
    assert f'name="base" type="hidden" value="{number + 1}"' in page
    assert "<del>## Was der Auftrag leistet</del>" in page and "<ins>## Was der Auftrag ist</ins>" in page
    assert f"<ins>{SENTENCE}</ins>" in page
    assert newest(app, LESSON)[0] == number + 1  # nothing of mine was saved
    again = edit(trainer_client, LESSON, mine, number + 1, "save")  # knowingly, from the newest base
    assert again.status_code == 302 and newest(app, LESSON) == (number + 2, "draft", mine)


def test_publishing_from_a_stale_base_is_a_conflict_and_publishes_nothing(app, trainer_client, make_user) -> None:
    number, _status, source = newest(app, LESSON)
    colleague = other_client(app, make_user(role="trainer"))
    edit(colleague, LESSON, source + "\nA.\n", number, "save")
    response = edit(trainer_client, LESSON, with_sentence(source), number, "publish")
    assert response.status_code == 409 and published_text(app, LESSON) == source


def test_two_saves_at_the_same_moment_end_in_a_conflict_not_an_error(app, trainer_client, monkeypatch) -> None:
    number, _status, source = newest(app, LESSON)

    def lost_race(*args: object) -> None:
        raise IntegrityError("INSERT INTO content_revisions", {}, Exception("duplicate key"))

    monkeypatch.setattr(studio, "save", lost_race)
    response = edit(trainer_client, LESSON, with_sentence(source), number, "save")
    assert response.status_code == 409 and textarea(response.get_data(as_text=True)) == with_sentence(source)


# --- History, diff, restore -----------------------------------------------------------------------------------


def test_history_lists_revisions_newest_first_with_author_and_status(app, trainer_client) -> None:
    number, _status, source = newest(app, LESSON)
    edit(trainer_client, LESSON, with_sentence(source), number, "publish")
    page = trainer_client.get(f"/studio/files/{LESSON}/history").get_data(as_text=True)
    rows = re.findall(r'<th scope="row">(\d+)</th>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>', page)
    assert [(int(n), status, html.unescape(author)) for n, status, author in rows] == [
        (number + 1, "published", "Tina Trainer"),
        (number, "earlier published", "(imported from files)"),
    ]


def test_the_diff_of_two_revisions_marks_added_and_removed_lines(app, trainer_client) -> None:
    number, _status, source = newest(app, LESSON)
    edit(trainer_client, LESSON, with_sentence(source), number, "save")
    page = trainer_client.get(f"/studio/files/{LESSON}/diff?a={number + 1}&b={number}").get_data(as_text=True)
    assert f"Revision {number} compared with revision {number + 1}" in page
    assert f"<ins>{SENTENCE}</ins>" in page and "<del>" not in page
    same = trainer_client.get(f"/studio/files/{LESSON}/diff?a={number}&b={number}").get_data(as_text=True)
    assert "The two revisions have the same text." in same
    assert trainer_client.get(f"/studio/files/{LESSON}/diff?a=1&b=99").status_code == 404
    assert trainer_client.get(f"/studio/files/{LESSON}/diff?a=x").status_code == 302


def test_restoring_an_old_revision_makes_a_new_draft_and_a_stale_restore_is_refused(app, trainer_client) -> None:
    number, _status, source = newest(app, LESSON)
    edit(trainer_client, LESSON, with_sentence(source), number, "publish")
    stale = trainer_client.post(f"/studio/files/{LESSON}/restore", data={"number": number, "base": number})
    assert stale.status_code == 302 and newest(app, LESSON)[0] == number + 1
    assert "Someone else saved this file meanwhile" in trainer_client.get(stale.headers["Location"]).get_data(
        as_text=True
    )
    response = trainer_client.post(f"/studio/files/{LESSON}/restore", data={"number": number, "base": number + 1})
    assert response.headers["Location"] == f"/studio/files/{LESSON}"
    assert newest(app, LESSON) == (number + 2, "draft", source)
    assert published_text(app, LESSON) == with_sentence(source)  # a restore is a draft until published
    missing = trainer_client.post(f"/studio/files/{LESSON}/restore", data={"number": 99, "base": number + 2})
    assert missing.status_code == 302 and revision_count(app, LESSON) == 3


# --- The studio link ------------------------------------------------------------------------------------------


def test_staff_see_the_studio_link_and_learners_never_do_even_on_cached_pages(app, make_user) -> None:
    staff = other_client(app, make_user(role="trainer"))
    learner = other_client(app, make_user(role="learner"))
    anonymous = app.test_client()
    link = 'href="/studio"'
    for url in (LESSON_PAGE, "/courses/kam-pay"):  # pages drawn once as shells, shared by every role
        assert link in staff.get(url).get_data(as_text=True)  # renders and caches the shell
        assert link not in learner.get(url).get_data(as_text=True)
        assert link not in anonymous.get(url).get_data(as_text=True)
    assert link in staff.get("/courses/kam-pay/sandbox").get_data(as_text=True)  # a page that is not cached
    assert link not in learner.get("/courses/kam-pay/sandbox").get_data(as_text=True)


def test_a_trainer_adds_a_whole_new_lesson_without_touching_git(app, trainer_client, english) -> None:
    for lang in ("de", "en"):
        trainer_client.post(
            "/studio/courses/kam-pay/lessons",
            data={"kam-pay-lesson-lesson_id": "customer-visits", "kam-pay-lesson-lang": lang},
        )
    lesson = "kam-pay/customer-visits.de.md"
    alone = edit(trainer_client, lesson, newest(app, lesson)[2], 1, "publish")
    assert alone.status_code == 400
    assert "lesson &#39;customer-visits&#39; is not listed under &#39;lessons&#39;" in alone.get_data(as_text=True)
    number, _status, course = newest(app, COURSE)
    listing = course.replace("  - kam-mandate\n", "  - kam-mandate\n  - customer-visits\n")
    preview = trainer_client.post(f"/studio/files/{COURSE}/preview", data={"text": listing}).get_data(as_text=True)
    assert "No problems found" in preview
    assert edit(trainer_client, COURSE, listing, number, "publish").status_code == 302
    assert english.get("/courses/kam-pay/lessons/customer-visits").status_code == 200
    page = text_of(trainer_client.get("/studio").get_data(as_text=True))
    assert "Not in the course yet" not in page


@pytest.mark.parametrize("query", ["a=1&b=99999999999999999999999", "a=-1&b=1", "a=1&b=2147483648", "a=&b=", "b=1"])
def test_odd_diff_queries_never_cause_a_server_error(trainer_client, query: str) -> None:
    assert trainer_client.get(f"/studio/files/{LESSON}/diff?{query}").status_code in {302, 404}


@pytest.mark.parametrize(
    "data", [{"number": "2147483648", "base": "1"}, {"number": "1", "base": "99999999999"}, {"number": "x", "base": ""}]
)
def test_odd_restore_forms_never_cause_a_server_error(app, trainer_client, data: dict) -> None:
    assert trainer_client.post(f"/studio/files/{LESSON}/restore", data=data).status_code == 302
    assert revision_count(app, LESSON) == 1


def test_a_huge_base_is_refused_without_a_server_error(trainer_client) -> None:
    response = edit(trainer_client, LESSON, "text", "2147483648", "save")
    assert response.status_code == 400 and textarea(response.get_data(as_text=True)) == "text"
