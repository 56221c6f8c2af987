"""Moodle GIFT in the studio: upload a file as a new draft quiz with its report, download a quiz as GIFT."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient

from course.core.quiz import parse_quiz
from course.extensions import db
from course.models import ContentRevision
from course.publishing import operations as publishing
from tests.quiz_helpers import COURSE, MANDATE, QUIZ_IDS, client_for, count, faster_apps, plain

UPLOAD = f"/studio/courses/{COURSE}/gift"
DOWNLOAD = f"/studio/files/quizzes/{COURSE}/{MANDATE}.yml/gift"
GIFT = """// A small quiz as Moodle writes it
$CATEGORY: $course$/top/Bonus

::who-pays:: Who pays the year-end bonus? {
  =The company#Right.
  ~The customer#No: the customer pays for the service.
  ####The bonus is part of the KAM's pay.
}

::retention:: A KAM's bonus should depend on retention. {TRUE####Retention is the KAM's long-term goal.}
"""
GIFT_DE = """$CATEGORY: $course$/top/Bonus DE

::who-pays:: Wer zahlt den Jahresbonus? {
  =Das Unternehmen#Richtig.
  ~Der Kunde#Nein: Der Kunde zahlt für die Leistung.
  ####Der Bonus ist Teil der Vergütung.
}

::retention:: Der Bonus sollte von der Kundenbindung abhängen. {TRUE####Kundenbindung ist das langfristige Ziel.}
"""


@pytest.fixture
def app(make_app, monkeypatch) -> Flask:
    app = faster_apps(make_app, monkeypatch)()
    app.test_client().get("/")  # the first request imports the bundled course
    return app


@pytest.fixture
def trainer(app: Flask, client: FlaskClient, make_user, login_as) -> FlaskClient:
    return login_as(make_user(role="trainer", locale="en"))


def upload(client: FlaskClient, text: str | bytes = GIFT, filename: str = "bonus.gift", **fields: object):
    data = text.encode("utf-8") if isinstance(text, str) else text
    form = {"gift": (io.BytesIO(data), filename), "lang": "en", "lesson": "year-end-retention-bonus"}
    for name, value in fields.items():
        form[name] = (io.BytesIO(value.encode("utf-8")), "other.gift") if name == "translation" else value
    return client.post(UPLOAD, data=form, content_type="multipart/form-data")


def quiz_path(quiz_id: str) -> str:
    return f"quizzes/{COURSE}/{quiz_id}.yml"


def newest(app: Flask, path: str) -> ContentRevision | None:
    with app.app_context():
        revision = publishing.newest_revision(path)
        if revision is not None:
            db.session.expunge(revision)
        return revision


@pytest.mark.parametrize(("method", "url", "role", "status"), [
    ("GET", UPLOAD, None, 302), ("POST", UPLOAD, None, 302), ("GET", UPLOAD, "learner", 403),
    ("POST", UPLOAD, "learner", 403), ("GET", UPLOAD, "trainer", 200), ("GET", UPLOAD, "admin", 200),
    ("GET", DOWNLOAD, None, 302), ("GET", DOWNLOAD, "learner", 403), ("GET", DOWNLOAD, "trainer", 200),
    ("GET", DOWNLOAD, "admin", 200),
])  # fmt: skip
def test_only_staff_may_import_or_export_gift(app, client, make_user, login_as, method, url, role, status) -> None:
    if role:
        login_as(make_user(role=role))
    response = client.open(url, method=method)
    assert response.status_code == status
    if role is None:
        assert response.headers["Location"].startswith("/auth/login")


def test_an_upload_becomes_a_new_draft_with_its_report(app, trainer, make_user) -> None:
    response = upload(trainer, GIFT, "Bonus Fragen.gift", translation=GIFT_DE, title="Bonus basics")
    assert response.status_code == 200
    text = plain(response.get_data(as_text=True))
    assert "Saved as draft revision 1 of quizzes/kam-pay/bonus-fragen.yml" in text
    assert "2 questions converted from Bonus_Fragen.gift" in text
    assert "line 4: multiple choice → single who-pays" in text
    assert "line 10: true/false → truefalse retention" in text
    assert "our quizzes have no categories" not in text
    assert f'href="/studio/files/{quiz_path("bonus-fragen")}"' in response.get_data(as_text=True)
    draft = newest(app, quiz_path("bonus-fragen"))
    assert draft.status == "draft" and draft.number == 1 and draft.author_id is not None
    assert "\ncategory: $course$/top/Bonus\n" in draft.source  # kept for the way back to Moodle
    assert draft.source.startswith("# Imported from Bonus_Fragen.gift (en, de) in the studio.\n")
    quiz, problems = parse_quiz(draft.path, draft.source, COURSE, ("de", "en"))
    assert problems == [] and quiz.title("en") == "Bonus basics" and quiz.title("de") == "Bonus DE"
    assert "The draft passes the quiz checks" in text


def test_a_one_language_upload_lists_what_is_still_to_fix(app, trainer) -> None:
    response = upload(trainer, GIFT, quiz_id="bonus-quiz")
    text = plain(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "Only English is filled in" in text
    assert "Still to fix in the draft before it can be published" in text
    assert "missing translation" in text
    assert newest(app, quiz_path("bonus-quiz")).status == "draft"
    tried = trainer.get(f"/studio/files/{quiz_path('bonus-quiz')}/try")  # the report links here
    assert "Who pays the year-end bonus?" in tried.get_data(as_text=True)


def test_an_existing_quiz_id_is_refused_with_a_free_one(app, trainer) -> None:
    before = count(app, ContentRevision)
    response = upload(trainer, GIFT, quiz_id=MANDATE)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f"There is already a quiz with the id “{MANDATE}”. Choose another id, e.g. “{MANDATE}-2”." in page
    assert 'id="quiz_id-error"' in page
    assert count(app, ContentRevision) == before


def test_the_same_file_twice_does_not_overwrite_the_first_draft(app, trainer) -> None:
    assert upload(trainer, GIFT, quiz_id="bonus-quiz").status_code == 200
    response = upload(trainer, GIFT_DE.replace("Wer zahlt", "Wer bezahlt"), quiz_id="bonus-quiz")
    assert response.status_code == 400
    assert "bonus-quiz-2" in response.get_data(as_text=True)
    assert "Who pays" in newest(app, quiz_path("bonus-quiz")).source


@pytest.mark.parametrize(
    ("data", "filename", "fields", "field", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image.gift", {}, "gift", "The file cannot be imported: the file is not text"),
        (b"  \n\n", "empty.gift", {}, "gift", "The file is empty."),
        (b"Dear trainers,\n\nplease read this letter.\n", "letter.txt", {}, "gift", "No question in this file could"),
        (b"::q:: Just a description.", "intro.gift", {}, "gift", "No question in this file could be converted"),
        (GIFT.encode(), "bonus.pdf", {}, "gift", "Upload a .gift or .txt file."),
        (GIFT.encode(), "bonus.gift", {"quiz_id": "Bonus Quiz"}, "quiz_id", "Use lowercase letters, digits"),
        (GIFT.encode(), "---.gift", {}, "quiz_id", "Give the quiz an id: the file name makes none."),
        (GIFT.encode(), "bonus.gift", {"lesson": "no-such-lesson"}, "lesson", "Not a valid choice"),
        (GIFT.encode(), "bonus.gift", {"lang": "fr"}, "lang", "Not a valid choice"),
        (GIFT.encode(), "bonus.gift", {"translation": "::q:: Only one? {T}"}, "gift", "The file cannot be imported:"),
    ],
)
def test_bad_uploads_get_a_message_at_the_field_and_save_nothing(app, trainer, data, filename, fields, field, message):
    before = count(app, ContentRevision)
    response = upload(trainer, data, filename, **fields)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in plain(page)
    assert f'id="{field}-error"' in page
    assert count(app, ContentRevision) == before


def test_the_gift_size_limit_is_a_setting(make_app, monkeypatch, make_user) -> None:
    app = faster_apps(make_app, monkeypatch)(GIFT_MAX_BYTES=100)
    client = client_for(app, make_user(role="trainer", locale="en"))
    response = upload(client, GIFT)
    assert response.status_code == 400
    assert "The file is too large: at most 0 KB." in response.get_data(as_text=True)


def test_a_request_over_the_apps_limit_shows_the_form_with_a_message(make_app, monkeypatch, make_user) -> None:
    app = faster_apps(make_app, monkeypatch)(MAX_CONTENT_LENGTH=4096)
    client = client_for(app, make_user(role="trainer", locale="en"))
    response = upload(client, GIFT + "// padding\n" * 1000)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "The file is too large: at most 512 KB." in page and 'enctype="multipart/form-data"' in page


def test_a_quiz_downloads_as_a_gift_attachment_with_what_it_leaves_out(trainer) -> None:
    response = trainer.get(DOWNLOAD)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Content-Disposition"] == f"attachment; filename={MANDATE}.de.gift"
    text = response.get_data(as_text=True)
    assert text.startswith(f"// Exported from quizzes/{COURSE}/{MANDATE}.yml, revision 1 (published), by the")
    assert "// What GIFT cannot express (left out or changed):" in text
    assert "(ordering) skipped: GIFT has no ordering type" in text
    assert "the quiz: quiz settings have no GIFT form" in text
    assert "::four-questions-objectives::" in text and "Ordnen Sie" in text


def test_the_language_is_chosen_in_the_url(trainer) -> None:
    response = trainer.get(f"{DOWNLOAD}?lang=en")
    assert response.headers["Content-Disposition"] == f"attachment; filename={MANDATE}.en.gift"
    assert "Match each of the four questions" in response.get_data(as_text=True)
    assert trainer.get(f"{DOWNLOAD}?lang=fr").status_code == 404


def test_a_draft_only_quiz_downloads_by_revision_number(app, trainer) -> None:
    upload(trainer, GIFT, quiz_id="bonus-quiz", translation=GIFT_DE)
    url = f"/studio/files/{quiz_path('bonus-quiz')}/gift"
    assert trainer.get(url).status_code == 404  # never published
    response = trainer.get(f"{url}?revision=1&lang=en")
    assert response.status_code == 200 and "::who-pays::" in response.get_data(as_text=True)


def test_a_quiz_that_fails_its_checks_is_not_exported(app, trainer) -> None:
    upload(trainer, GIFT, quiz_id="bonus-quiz")  # English only: the German texts are missing
    refused = trainer.get(f"/studio/files/{quiz_path('bonus-quiz')}/gift?revision=1&lang=en")
    assert refused.status_code == 422
    text = plain(refused.get_data(as_text=True))
    assert "This revision cannot be exported: quiz 'bonus-quiz' is not valid" in text
    assert "missing translation" in text


@pytest.mark.parametrize(
    "url",
    [
        f"/studio/files/quizzes/{COURSE}/no-such-quiz.yml/gift",
        f"/studio/files/{COURSE}/kam-mandate.en.md/gift",
        f"{DOWNLOAD}?revision=77",
        f"{DOWNLOAD}?revision=x",
        "/studio/courses/no-such-course/gift",
    ],
)
def test_unknown_quizzes_and_courses_are_not_found(trainer, url: str) -> None:
    assert trainer.get(url).status_code == 404


@pytest.mark.parametrize("quiz_id", QUIZ_IDS)
def test_a_downloaded_quiz_uploads_again_without_errors(app, trainer, quiz_id: str) -> None:
    url = f"/studio/files/{quiz_path(quiz_id)}/gift"
    german, english = (trainer.get(f"{url}?lang={lang}").get_data(as_text=True) for lang in ("de", "en"))
    response = trainer.post(
        UPLOAD,
        data={
            "gift": (io.BytesIO(german.encode()), f"{quiz_id}.de.gift"),
            "translation": (io.BytesIO(english.encode()), f"{quiz_id}.en.gift"),
            "lang": "de",
            "lesson": "kam-mandate",
            "quiz_id": "round-trip",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, plain(response.get_data(as_text=True))
    assert "The draft passes the quiz checks" in response.get_data(as_text=True)
    draft = newest(app, quiz_path("round-trip"))
    with app.app_context():
        assert publishing.publish_problems(draft.path, draft.source) == []


@pytest.mark.parametrize(
    ("encoded", "note"),
    [
        (GIFT_DE.encode("cp1252"), "not UTF-8: read as Windows-1252 (Latin-1)"),
        (b"\xef\xbb\xbf" + GIFT_DE.encode(), None),
        (b"\xff\xfe" + GIFT_DE.encode("utf-16-le"), None),
    ],
    ids=["windows-1252", "utf-8 with a byte-order mark", "utf-16"],
)
def test_a_file_in_another_encoding_is_read_and_a_guess_is_said(app, trainer, encoded: bytes, note) -> None:
    response = upload(trainer, encoded, "fragen.gift", lang="de")
    assert response.status_code == 200, plain(response.get_data(as_text=True))[:2000]
    text = plain(response.get_data(as_text=True))
    assert (note in text) if note else ("not UTF-8" not in text)
    assert "Vergütung" in newest(app, quiz_path("fragen")).source  # the umlauts came through
