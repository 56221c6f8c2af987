"""The studio without YAML or Markdown syntax (issue #18): lesson details as form fields, a new lesson placed in the
course from one form, a form per question type, and content problems in the trainer's language."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient

from course.authoring.problems import TEMPLATES, shape, translated
from course.core.authoring.documents import insert_lesson, read_lesson, write_lesson
from course.core.catalog import build_catalog
from course.extensions import db
from course.publishing import operations as publishing
from course.publishing.cache import catalog
from tests.quiz_helpers import faster_apps
from tests.sessions import sign_in

LESSON = "kam-pay/kam-mandate.de.md"
QUIZ = "quizzes/kam-pay/kam-mandate-quiz.yml"
COURSE = "kam-pay/course.yml"


@pytest.fixture
def app(make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch) -> Flask:
    app = faster_apps(make_app, monkeypatch)()
    with app.test_request_context():
        catalog()
    return app


@pytest.fixture
def trainer_client(client: FlaskClient, make_user, login_as) -> FlaskClient:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return login_as(make_user(role="trainer"))


def newest(app: Flask, path: str):
    with app.app_context():
        revision = publishing.newest_revision(path)
        return revision.number, revision.status, revision.source


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def lesson_form(app: Flask, **changes: str) -> dict:
    number, _status, text = newest(app, LESSON)
    document = read_lesson(text)
    front = document.front
    data = {
        "mode": "fields",
        "base": str(number),
        "title": front["title"],
        "minutes": str(front["minutes"]),
        "objectives": "\n".join(front["objectives"]),
        "summary": front["summary"],
        "quiz": front.get("quiz", ""),
        "body": document.body,
        "action": "save",
    }
    return {**data, **changes}


# --- Core: files ↔ fields --------------------------------------------------------------------------------------


def test_a_lesson_survives_the_round_trip_through_its_fields_with_unknown_keys_kept() -> None:
    text = '---\nid: a\nlang: de\nfuture: {x: 1}\ntitle: "T"\nminutes: 5\n'
    text += 'objectives:\n  - "O"\nsummary: S\n---\n\n## H\n\nBody\n'
    document = read_lesson(text)
    again = write_lesson(document.front, document.body, title="T", minutes=5, objectives=["O"], summary="S", quiz=None)
    assert read_lesson(again).front == document.front and read_lesson(again).body == document.body
    assert list(read_lesson(again).front) == ["id", "lang", "future", "title", "minutes", "objectives", "summary"]
    changed = read_lesson(
        write_lesson(document.front, "New", title="Neu", minutes=9, objectives=["A", "B"], summary="Z", quiz="q")
    )
    assert changed.front == {
        **document.front,
        "title": "Neu",
        "minutes": 9,
        "objectives": ["A", "B"],
        "summary": "Z",
        "quiz": "q",
    }
    assert changed.body == "New"


def test_a_lesson_is_inserted_into_the_course_order_keeping_the_rest_of_the_file() -> None:
    text = "id: c\n# the order\nlessons:\n  - one\n  - two\ntitle: {de: x}\n"
    assert insert_lesson(text, "new", 0) == "id: c\n# the order\nlessons:\n  - new\n  - one\n  - two\ntitle: {de: x}\n"
    assert insert_lesson(text, "new", 1).split("\n")[3:6] == ["  - one", "  - new", "  - two"]
    assert insert_lesson(text, "new", 2).split("\n")[3:6] == ["  - one", "  - two", "  - new"]
    flow = insert_lesson("id: c\nlessons: [one, two]\n", "new", 1)
    assert yaml.safe_load(flow)["lessons"] == ["one", "new", "two"]


# --- Problems in the trainer's language ------------------------------------------------------------------------


def test_content_problems_are_translated_with_their_values(app: Flask) -> None:
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert translated("minutes must be a whole number from 1 to 120") == (
            "minutes muss eine ganze Zahl von 1 bis 120 sein"
        )
        assert translated("duplicate key 'title' (first on line 3)") == "Schlüssel 'title' doppelt (zuerst in Zeile 3)"
        assert translated("question 'q1': points must be above 0").startswith("Frage 'q1': ")
        assert translated("a message the studio does not know") == "a message the studio does not know"
        # a literal "%" in the message ("%%" in its template), and the checks of partial credit, blanks and draws
        assert translated("option 'half': percent must be from -100 to 100 (got 120)") == (
            "Option 'half': percent muss von -100 bis 100 reichen (steht dort: 120)"
        )
        assert translated(
            "the positive weights add up to 90 %; they must add up to 100 %, so that ticking every right option "
            "earns all the points"
        ).startswith("die positiven Gewichte ergeben zusammen 90 %; sie müssen 100 % ergeben")
        assert translated("draw (1) is less than the 2 questions marked always: true") == (
            "draw (1) ist kleiner als die 2 Fragen mit always: true"
        )


def test_every_problem_a_broken_course_reports_has_a_translatable_shape(app: Flask) -> None:
    with app.app_context():
        files = dict(publishing.published_files())
    lesson = files[LESSON]
    files[LESSON] = lesson.replace("minutes: 7", "minutes: lots").replace("## ", "# ", 1) + "\n[x](lesson:nowhere)\n"
    files[QUIZ] = files[QUIZ].replace("type: single", "type: riddle", 1).replace("pass_percent: 75", "pass_percent: 0")
    # a blank's answer with credit over 100 %, a draw below the questions always asked
    retention = "quizzes/kam-pay/year-end-retention-bonus-quiz.yml"
    files[retention] = files[retention].replace("            percent: 0\n", "            percent: 120\n", 1)
    plan = "quizzes/kam-pay/designing-a-kam-bonus-plan-quiz.yml"
    files[plan] = files[plan].replace("draw: 7", "draw: 1").replace("type: single", "type: single\n    always: true", 1)
    files["kam-pay/other.de.md"] = "no front matter"
    files["kam-pay/broken.de.md"] = "---\ntitle: [\n---\n"
    problems = build_catalog(files).problems
    assert len(problems) >= 6
    assert any("(got 120)" in p.message for p in problems) and any("always: true" in p.message for p in problems)
    unknown = [p.message for p in problems if shape(re.sub(r"^question '[^']*': ", "", p.message)) is None]
    assert unknown == []
    assert len(set(TEMPLATES)) == len(TEMPLATES)


# --- Who may use the new pages ---------------------------------------------------------------------------------

ROUTES = [
    ("POST", "/studio/courses/kam-pay/lessons/add", {"kam-pay-add-title_de": "Neu", "kam-pay-add-position": "0"}),
    ("POST", f"/studio/files/{LESSON}/publish-with-course", {}),
    ("GET", f"/studio/files/{QUIZ}/questions", None),
    ("POST", f"/studio/files/{QUIZ}/questions/add", {"type": "single", "base": "1"}),
    ("GET", f"/studio/files/{QUIZ}/questions/pay-depends-on", None),
    ("POST", f"/studio/files/{QUIZ}/questions/pay-depends-on", {"action": "add-row"}),
    ("POST", f"/studio/files/{QUIZ}/questions/pay-depends-on/move", {"direction": "up", "base": "1"}),
    ("POST", f"/studio/files/{QUIZ}/questions/pay-depends-on/delete", {"base": "1"}),
    ("POST", f"/studio/files/{QUIZ}/settings", {"base": "1", "title_de": "T", "title_en": "T", "pass_percent": "50"}),
]


@pytest.mark.parametrize(("method", "url", "data"), ROUTES)
def test_anonymous_visitors_are_sent_to_log_in(client: FlaskClient, method: str, url: str, data) -> None:
    response = client.open(url, method=method, data=data)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize(("method", "url", "data"), ROUTES)
def test_learners_cannot_open_the_forms(client: FlaskClient, make_user, login_as, method, url, data) -> None:
    login_as(make_user(role="learner"))
    assert client.open(url, method=method, data=data).status_code == 403


@pytest.mark.parametrize(("method", "url", "data"), ROUTES)
def test_trainers_use_the_forms(trainer_client: FlaskClient, method: str, url: str, data) -> None:
    assert trainer_client.open(url, method=method, data=data).status_code in {200, 302, 400}


@pytest.mark.parametrize(("method", "url", "data"), ROUTES[:2] + ROUTES[3:4] + ROUTES[5:])
def test_the_forms_refuse_a_post_without_csrf_token(app, make_app, make_user, method: str, url: str, data) -> None:
    user = make_user(role="trainer")
    client = sign_in(make_app(WTF_CSRF_ENABLED=True).test_client(), user.id)
    assert client.open(url, method=method, data=data).status_code == 400
    assert newest(app, QUIZ)[0] == 1 and newest(app, COURSE)[0] == 1


# --- Lesson details as fields ----------------------------------------------------------------------------------


def test_the_lesson_editor_shows_the_details_as_fields_and_the_text_beside_the_preview(app, trainer_client) -> None:
    page = page_text(trainer_client.get(f"/studio/files/{LESSON}"))
    assert 'name="title" ' in page and 'value="Der Key-Account-Management-Auftrag"' in page
    assert 'name="minutes"' in page and 'value="7"' in page
    assert '<option selected value="kam-mandate-quiz">' in page
    assert 'name="body"' in page and "studio-workspace" in page
    assert "Edit the whole file as text" in page
    assert 'name="text"' in page_text(trainer_client.get(f"/studio/files/{LESSON}?view=text"))


def test_saving_the_fields_rewrites_the_front_matter_only(app, trainer_client) -> None:
    response = trainer_client.post(
        f"/studio/files/{LESSON}",
        data=lesson_form(app, title="Der Auftrag", minutes="9", objectives="Erstens\n\nZweitens\n", quiz=""),
    )
    assert response.status_code == 302
    _number, status, text = newest(app, LESSON)
    document = read_lesson(text)
    assert status == "draft"
    assert document.front["title"] == "Der Auftrag" and document.front["minutes"] == 9
    assert document.front["objectives"] == ["Erstens", "Zweitens"] and "quiz" not in document.front
    assert document.front["id"] == "kam-mandate" and document.front["lang"] == "de"
    with app.app_context():
        original = read_lesson(publishing.published_files()[LESSON])
    assert document.body == original.body


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "Enter a title."),
        ({"minutes": "sieben"}, "Please enter a whole number."),
        ({"minutes": "500"}, "Enter a whole number of minutes from 1 to 120."),
        ({"objectives": ""}, "Enter at least one learning objective."),
        ({"objectives": "\n".join("x" * 9)}, "At most 8 learning objectives, one per line."),
        ({"summary": " "}, "Enter a short summary."),
        ({"quiz": "no-such-quiz"}, "Not a valid choice."),
        ({"base": "abc"}, "This form is out of date"),
    ],
)
def test_bad_fields_are_refused_at_the_field_and_nothing_typed_is_lost(app, trainer_client, changes, message) -> None:
    data = lesson_form(app, body="Mein neuer Text, noch nicht gespeichert.", **changes)
    response = trainer_client.post(f"/studio/files/{LESSON}", data=data)
    page = page_text(response)
    assert response.status_code == 400 and message in page
    assert "Mein neuer Text, noch nicht gespeichert." in page
    assert newest(app, LESSON)[0] == 1


def test_the_fields_preview_shows_problems_in_the_trainers_language(app, client, make_user, login_as) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    login_as(make_user(role="trainer"))
    data = lesson_form(app, body="# Falsche Überschrift\n\nText")
    response = client.post(f"/studio/files/{LESSON}/preview", data=data)
    page = page_text(response)
    assert response.status_code == 200 and "Falsche Überschrift" in page
    assert 'data-line="1"' in page  # the body's own line, not the file's
    assert "Verwenden Sie" in page  # "use '##' for sections …" in German


def test_publishing_the_fields_shows_the_change_to_learners(app, trainer_client) -> None:
    response = trainer_client.post(
        f"/studio/files/{LESSON}", data=lesson_form(app, title="Neuer Titel", action="publish")
    )
    assert response.status_code == 302
    assert newest(app, LESSON)[1] == "published"


# --- A new lesson from one form --------------------------------------------------------------------------------


def test_a_new_lesson_is_created_in_every_language_placed_in_the_course_and_published_with_it(
    app, trainer_client, make_user, login_as, client
) -> None:
    page = page_text(trainer_client.get("/studio"))
    assert "New lesson" in page and "flask " not in page
    response = trainer_client.post(
        "/studio/courses/kam-pay/lessons/add",
        data={
            "kam-pay-add-title_de": "Kundenbesuche planen",
            "kam-pay-add-title_en": "Planning visits",
            "kam-pay-add-position": "1",
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/kundenbesuche-planen.de.md")
    de, en = newest(app, "kam-pay/kundenbesuche-planen.de.md"), newest(app, "kam-pay/kundenbesuche-planen.en.md")
    assert read_lesson(de[2]).front["title"] == "Kundenbesuche planen"
    assert read_lesson(en[2]).front["title"] == "Planning visits"
    number, status, course_text = newest(app, COURSE)
    assert status == "draft" and yaml.safe_load(course_text)["lessons"][1] == "kundenbesuche-planen"
    editor = page_text(trainer_client.get("/studio/files/kam-pay/kundenbesuche-planen.de.md"))
    assert "Publish the lesson in the course" in editor
    response = trainer_client.post("/studio/files/kam-pay/kundenbesuche-planen.de.md/publish-with-course")
    assert response.status_code == 302
    assert newest(app, COURSE)[1] == "published" and newest(app, "kam-pay/kundenbesuche-planen.en.md")[1] == "published"
    with app.test_request_context():
        assert catalog().course("kam-pay").lesson_ids[1] == "kundenbesuche-planen"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kam-pay-add-title_de": "", "kam-pay-add-position": "0"}, "Enter a title."),
        ({"kam-pay-add-title_de": "Neu", "kam-pay-add-position": "99"}, "Not a valid choice."),
        (
            {"kam-pay-add-title_de": "Neu", "kam-pay-add-position": "0", "kam-pay-add-lesson_id": "Bad Id"},
            "Use lowercase letters",
        ),
        (
            {"kam-pay-add-title_de": "Neu", "kam-pay-add-position": "0", "kam-pay-add-lesson_id": "kam-mandate"},
            "A lesson with this id exists already",
        ),
        ({"kam-pay-add-title_de": "!!!", "kam-pay-add-position": "0"}, "Enter an id"),
    ],
)
def test_a_bad_new_lesson_is_refused_with_its_entries_kept(app, trainer_client, data: dict, message: str) -> None:
    response = trainer_client.post("/studio/courses/kam-pay/lessons/add", data=data)
    assert response.status_code == 400 and message in page_text(response)
    assert f'value="{data["kam-pay-add-title_de"]}"' in page_text(response) or not data["kam-pay-add-title_de"]
    assert newest(app, COURSE)[0] == 1


# --- Questions -------------------------------------------------------------------------------------------------


def quiz_data(app: Flask) -> dict:
    return yaml.safe_load(newest(app, QUIZ)[2])


def question(app: Flask, question_id: str) -> dict:
    return next(q for q in quiz_data(app)["questions"] if q["id"] == question_id)


def form_of(page: str) -> dict:
    """The values a browser would send from the question form (text fields, ticked boxes, selected options)."""
    data: dict = {}
    for name, value in re.findall(r'<input[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"', page):
        if 'type="checkbox"' not in page.split(f'name="{name}"')[0][-200:]:
            data[name] = html.unescape(value)
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        if name and ('type="checkbox"' in tag or 'type="radio"' in tag):
            data.pop(name.group(1), None) if 'type="checkbox"' in tag else None
    for tag in re.findall(r"<input[^>]*>", page):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and "checked" in tag and ('type="checkbox"' in tag or 'type="radio"' in tag):
            data[name.group(1)] = value.group(1) if value else "y"
    for name, value in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>\r?\n?(.*?)</textarea>', page, re.S):
        data[name] = html.unescape(value)
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        selected = re.search(r'<option selected value="([^"]*)"', body) or re.search(r'<option value="([^"]*)"', body)
        data[name] = html.unescape(selected.group(1)) if selected else ""
    data.pop("csrf_token", None)
    return data


def test_the_question_list_shows_every_question_with_its_type_and_a_form_or_yaml_link(app, trainer_client) -> None:
    page = page_text(trainer_client.get(f"/studio/files/{QUIZ}/questions"))
    assert "Single choice" in page and "Matching" in page
    assert f"/studio/files/{QUIZ}/questions/pay-depends-on" in page
    assert "Edit as YAML" in page and "No problems found" in page


def test_a_single_choice_question_round_trips_through_its_form_unchanged(app, trainer_client) -> None:
    before = question(app, "pay-depends-on")
    page = page_text(trainer_client.get(f"/studio/files/{QUIZ}/questions/pay-depends-on"))
    response = trainer_client.post(
        f"/studio/files/{QUIZ}/questions/pay-depends-on", data={**form_of(page), "action": "save"}
    )
    assert response.status_code == 302, page_text(response)[:3000]
    assert question(app, "pay-depends-on") == before


def test_options_are_added_and_removed_without_saving_and_a_missing_tick_is_refused(app, trainer_client) -> None:
    url = f"/studio/files/{QUIZ}/questions/pay-depends-on"
    data = form_of(page_text(trainer_client.get(url)))
    data["text_de"] = "Geänderte Frage, noch ungespeichert"
    page = page_text(trainer_client.post(url, data={**data, "action": "add-row"}))
    count = len(before := question(app, "pay-depends-on")["options"])
    assert f'name="options-{count}-text_de"' in page and "Geänderte Frage, noch ungespeichert" in page
    data = form_of(page)
    page = page_text(trainer_client.post(url, data={**data, "action": "remove-0"}))
    assert before[0]["text"]["de"] not in page
    data = {key: value for key, value in form_of(page).items() if not key.endswith("-correct")}
    response = trainer_client.post(url, data={**data, "action": "save"})
    assert response.status_code == 400 and "Tick at least one option as correct." in page_text(response)
    assert newest(app, QUIZ)[0] == 1


@pytest.mark.parametrize(
    ("kind", "changes", "check"),
    [
        (
            "truefalse",
            {"answer": "false", "feedback_true_de": "Nein.", "feedback_true_en": "No."},
            lambda q: q["answer"] is False and q["feedback_true"]["de"] == "Nein.",
        ),
        (
            "numeric",
            {"answers-0-value": "12,5", "answers-0-tolerance": "0,5", "unit_de": "%", "unit_en": "%"},
            lambda q: q["answer"] == 12.5 and q["tolerance"] == 0.5 and q["unit"] == {"de": "%", "en": "%"},
        ),
        (
            "shorttext",
            {"accept_de": "Bindung\nKundenbindung", "accept_en": "retention"},
            lambda q: q["accept"] == {"de": ["Bindung", "Kundenbindung"], "en": ["retention"]},
        ),
        (
            "multiple",
            {"options-0-correct": "y", "options-1-correct": "y"},
            lambda q: all(o.get("correct") for o in q["options"]),
        ),
        ("ordering", {"action": "down-0"}, None),
    ],
)
def test_a_new_question_of_each_type_is_added_and_saved_from_its_form(
    app, trainer_client, kind, changes, check
) -> None:
    response = trainer_client.post(f"/studio/files/{QUIZ}/questions/add", data={"type": kind, "base": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/questions/question-1")
    url = f"/studio/files/{QUIZ}/questions/question-1"
    data = form_of(page_text(trainer_client.get(url)))
    for key in [k for k in data if k.startswith(("text_", "explanation_")) or k.endswith(("-text_de", "-text_en"))]:
        data[key] = f"Text {key}"
    data = {**data, "action": "save", **changes}
    if kind == "ordering":
        page = page_text(trainer_client.post(url, data=data))
        assert page.index("Text items-1-text_de") < page.index("Text items-0-text_de")
        data = {**form_of(page), "action": "save"}
    response = trainer_client.post(url, data=data)
    assert response.status_code == 302, page_text(response)[:4000]
    saved = question(app, "question-1")
    assert saved["type"] == kind and saved["text"]["de"] == "Text text_de"
    if check:
        assert check(saved)
    listing = page_text(trainer_client.get(f"/studio/files/{QUIZ}/questions"))
    assert "No problems found" in listing, listing.split("check-title")[1][:1500]


def test_questions_are_moved_and_deleted_and_a_stale_list_changes_nothing(app, trainer_client) -> None:
    ids = [q["id"] for q in quiz_data(app)["questions"]]
    trainer_client.post(f"/studio/files/{QUIZ}/questions/{ids[1]}/move", data={"direction": "up", "base": "1"})
    assert [q["id"] for q in quiz_data(app)["questions"]][:2] == [ids[1], ids[0]]
    trainer_client.post(f"/studio/files/{QUIZ}/questions/{ids[1]}/delete", data={"base": "1"})  # stale base
    assert newest(app, QUIZ)[0] == 2
    trainer_client.post(f"/studio/files/{QUIZ}/questions/{ids[1]}/delete", data={"base": "2"})
    assert ids[1] not in [q["id"] for q in quiz_data(app)["questions"]]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"text_de": ""}, "Enter a text in this language."),
        ({"points": "viel"}, "Enter a number"),
        ({"points": "0"}, "Points must be above 0."),
        ({"question_id": "Bad Id"}, "Use lowercase letters"),
        ({"question_id": "four-questions-objectives"}, "Another question of this quiz has this id."),
        ({"options-0-feedback_de": "Nur deutsch", "options-0-feedback_en": ""}, "Give this text in every language"),
        ({"lesson_de": "nowhere#x"}, None),
    ],
)
def test_bad_question_fields_are_refused_at_the_field(app, trainer_client, changes, message) -> None:
    url = f"/studio/files/{QUIZ}/questions/pay-depends-on"
    data = {**form_of(page_text(trainer_client.get(url))), "action": "save", "explanation_en": "Kept text", **changes}
    response = trainer_client.post(url, data=data)
    if message is None:  # an unknown link is kept as sent and reported by the check, never a server error
        assert response.status_code == 302
        assert "broken link" in page_text(trainer_client.get(f"/studio/files/{QUIZ}/questions"))
        return
    assert response.status_code == 400 and message in page_text(response) and "Kept text" in page_text(response)
    assert newest(app, QUIZ)[0] == 1


def test_unknown_questions_and_form_less_types_are_handled(app, trainer_client) -> None:
    assert trainer_client.get(f"/studio/files/{QUIZ}/questions/no-such-question").status_code == 404
    assert trainer_client.get(f"/studio/files/{LESSON}/questions").status_code == 404
    with app.app_context():  # a type the studio has no form for (here: a broken file's unknown type)
        number, _status, text = newest(app, QUIZ)
        publishing.save_draft(QUIZ, text.replace("type: matching", "type: riddle", 1), None, number)
        db.session.commit()
    response = trainer_client.get(f"/studio/files/{QUIZ}/questions/four-questions-objectives")
    assert response.status_code == 302 and "view=text" in response.headers["Location"]
    assert (
        trainer_client.post(f"/studio/files/{QUIZ}/questions/add", data={"type": "riddle", "base": "1"}).status_code
        == 400
    )
