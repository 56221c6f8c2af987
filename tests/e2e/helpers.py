"""Shared knowledge about the bundled course and small page actions used by several e2e tests."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal, Protocol
from uuid import uuid4

import yaml
from flask import Flask
from flask_babel import force_locale, gettext
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import text

from course.extensions import db
from tests.mailbox import Mail, Mailbox
from tests.quiz_helpers import accepted_text, earns_points

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONTENT_DIR = PROJECT_ROOT / "content"
COURSE_ID = "kam-pay"
PASSWORD = "correct horse battery staple"
DESKTOP = (1280, 900)
PHONE = (360, 740)

# Form labels and buttons as the learner sees them, per interface language.
REGISTER_FORM = {
    "de": {
        "name": "Ihr Name",
        "email": "E-Mail",
        "password": "Passwort",
        "confirm": "Passwort wiederholen",
        "submit": "Konto anlegen",
    },
    "en": {
        "name": "Your name",
        "email": "Email",
        "password": "Password",
        "confirm": "Repeat password",
        "submit": "Create account",
    },
}
LOGIN_FORM = {
    "de": {"email": "E-Mail", "password": "Passwort", "submit": "Anmelden"},
    "en": {"email": "Email", "password": "Password", "submit": "Log in"},
}


class PageFactory(Protocol):
    """The `new_page` fixture: a page in a fresh browser context."""

    def __call__(
        self,
        *,
        locale: str = "de-DE",
        color_scheme: Literal["light", "dark"] = "light",
        viewport: tuple[int, int] = DESKTOP,
        javascript: bool = True,
    ) -> Page: ...


@dataclass(frozen=True)
class Learner:
    name: str
    email: str
    password: str = PASSWORD


def _front_matter(path: Path) -> dict:
    match = re.match(r"^---\n(.*?)\n---\n", path.read_text(encoding="utf-8"), re.DOTALL)
    assert match, f"{path} has no front matter"
    return yaml.safe_load(match.group(1))


@cache
def course_meta() -> dict:
    return yaml.safe_load((CONTENT_DIR / COURSE_ID / "course.yml").read_text(encoding="utf-8"))


def lesson_ids() -> list[str]:
    return list(course_meta()["lessons"])


def course_title(lang: str) -> str:
    return str(course_meta()["title"][lang])


@cache
def lesson_title(lesson_id: str, lang: str) -> str:
    return str(_front_matter(CONTENT_DIR / COURSE_ID / f"{lesson_id}.{lang}.md")["title"])


def lesson_path(lesson_id: str) -> str:
    return f"/courses/{COURSE_ID}/lessons/{lesson_id}"


def new_learner(name: str = "Erika Mustermann") -> Learner:
    return Learner(name=name, email=f"learner-{uuid4().hex[:12]}@example.org")


def say(app: Flask, lang: str, text: object, **params: object) -> str:
    """What the user reads for `text` (an English msgid or a lazy label) in `lang`, from the app's catalogue:
    the tests hold in German and English whether or not a string has been translated yet."""
    with app.test_request_context(), force_locale(lang):
        return gettext(text, **params) if isinstance(text, str) else str(text)


def page_language(page: Page) -> str:
    return page.locator("html").get_attribute("lang") or ""


def fill_register_form(page: Page, learner: Learner, *, confirm: str | None = None) -> None:
    """Fill the registration form in whatever language the page is shown and submit it."""
    labels = REGISTER_FORM[page_language(page)]
    page.get_by_label(labels["name"], exact=True).fill(learner.name)
    page.get_by_label(labels["email"], exact=True).fill(learner.email)
    page.get_by_label(labels["password"], exact=True).fill(learner.password)
    page.get_by_label(labels["confirm"], exact=True).fill(learner.password if confirm is None else confirm)
    page.get_by_role("button", name=labels["submit"], exact=True).click()


def register(page: Page, learner: Learner | None = None) -> Learner:
    """Create an account through the real form (CSRF included); the learner ends up logged in on /."""
    learner = learner or new_learner()
    response = page.goto("/auth/register")
    assert response is not None and response.ok
    fill_register_form(page, learner)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("status")).to_contain_text(learner.name)
    return learner


def same_team(app: Flask, trainer: Learner, learner: Learner) -> None:
    """Put a trainer and a learner in a group of their own, so the trainer sees the learner's progress."""
    from course.auth.operations import find_user
    from course.groups import operations as groups

    with app.app_context():
        team = groups.create_group(f"Team {uuid4().hex[:12]}")
        groups.add_member(team, find_user(trainer.email), "trainer")
        groups.add_member(team, find_user(learner.email))
        db.session.commit()


def make_trainer(app: Flask, learner: Learner | None = None) -> Learner:
    """A trainer account; with `learner`, one who looks after that learner: other journeys on this server make
    groups, and on a site with groups a trainer sees only the learners of their own."""
    from course.auth.operations import create_user

    trainer = new_learner("Tanja Trainerin")
    with app.app_context():
        create_user(trainer.email, PASSWORD, trainer.name, role="trainer")
        db.session.commit()
    if learner is not None:
        same_team(app, trainer, learner)
    return trainer


def log_in(page: Page, learner: Learner) -> None:
    response = page.goto("/auth/login")
    assert response is not None and response.ok
    labels = LOGIN_FORM[page_language(page)]
    page.get_by_label(labels["email"], exact=True).fill(learner.email)
    page.get_by_label(labels["password"], exact=True).fill(learner.password)
    page.get_by_role("button", name=labels["submit"], exact=True).click()
    expect(page).to_have_url(re.compile(r"/$"))


# --- Quizzes --------------------------------------------------------------------------------------------------
#
# The tests answer quizzes right (or wrong) on purpose, so they need the key. The browser never sees it: option
# values in the form are display positions ("0", "1", …) that the attempt's layout maps to option ids. The key
# comes straight from the quiz files (an oracle independent of the app's own parsing and grading), the layout
# from the live app's database (table quiz_attempts, column layout: [[question id, [ids in display order]], …]).

QUIZ_DIR = PROJECT_ROOT / "quizzes" / COURSE_ID
ATTEMPT_PATH = re.compile(r"/attempts/(\d+)(?:[?#]|$)")
REVIEW_PATH = re.compile(r"/attempts/(\d+)/review(?:[?#]|$)")

# Quiz words and buttons as the learner sees them, per interface language.
QUIZ_TEXT = {
    "de": {
        "test_yourself": "Testen Sie sich: {title}",
        "start": "Quiz starten",
        "start_new": "Neuen Versuch starten",
        "check": "Diese Antwort prüfen",
        "submit": "Antworten abgeben",
        "submit_anyway": "Trotzdem abgeben",
        "try_again": "Noch einmal versuchen",
        "back": "Zurück zum Kurs",
        "passed": "Bestanden",
        "not_passed": "Noch nicht bestanden",
        "passed_badge": "bestanden",
        "right": "Richtig",
        "not_right": "Nicht richtig",
        "unanswered": "Unbeantwortete Fragen zählen 0 Punkte: {numbers}.",
    },
    "en": {
        "test_yourself": "Test yourself: {title}",
        "start": "Start the quiz",
        "start_new": "Start a new attempt",
        "check": "Check this answer",
        "submit": "Submit answers",
        "submit_anyway": "Submit anyway",
        "try_again": "Try again",
        "back": "Back to the course",
        "passed": "Passed",
        "not_passed": "Not passed yet",
        "passed_badge": "passed",
        "right": "Right",
        "not_right": "Not right",
        "unanswered": "Unanswered questions score 0: {numbers}.",
    },
}


@cache
def quiz_file(quiz_id: str) -> dict:
    return yaml.safe_load((QUIZ_DIR / f"{quiz_id}.yml").read_text(encoding="utf-8"))


@cache
def lesson_quiz(lesson_id: str) -> str | None:
    """The quiz a lesson offers ("Test yourself"), from its front matter; the same in every language."""
    quizzes = {_front_matter(CONTENT_DIR / COURSE_ID / f"{lesson_id}.{lang}.md").get("quiz") for lang in ("de", "en")}
    assert len(quizzes) == 1, f"{lesson_id}: the languages name different quizzes {quizzes}"
    return quizzes.pop()


def quiz_ids() -> list[str]:
    """Every quiz of the course, in the order of the lessons that offer them, then any quiz no lesson names."""
    offered = [quiz for lesson_id in lesson_ids() if (quiz := lesson_quiz(lesson_id))]
    rest = sorted(path.stem for path in QUIZ_DIR.glob("*.yml") if path.stem not in offered)
    return offered + rest


def quiz_lesson(quiz_id: str) -> str:
    """The lesson whose "Test yourself" link opens this quiz."""
    return next(lesson_id for lesson_id in lesson_ids() if lesson_quiz(lesson_id) == quiz_id)


def quiz_title(quiz_id: str, lang: str) -> str:
    return str(quiz_file(quiz_id)["title"][lang])


def quiz_path(quiz_id: str) -> str:
    return f"/courses/{COURSE_ID}/quizzes/{quiz_id}"


def attempt_id_of(page: Page) -> int:
    """The attempt a take or review page shows, from its URL."""
    match = ATTEMPT_PATH.search(page.url) or REVIEW_PATH.search(page.url)
    assert match, f"not an attempt page: {page.url}"
    return int(match.group(1))


@dataclass(frozen=True)
class FieldAction:
    """One thing to do in the attempt form: tick a radio/checkbox, pick an option of a select, or type text."""

    kind: Literal["check", "select", "fill"]
    name: str  # the form field's name: q3, q3.0, …
    value: str  # the input's value, the option's value, or the text to type


@dataclass(frozen=True)
class QuestionKey:
    """How to answer one question of one attempt right, and how to answer it wrong (scoring 0)."""

    number: int  # position in the attempt, 1-based: the fieldset is #q<number>
    question_id: str
    type: str
    points: float
    right: tuple[FieldAction, ...]
    wrong: tuple[FieldAction, ...]


def attempt_layout(app: Flask, attempt_id: int) -> tuple[str, list[tuple[str, list[str]]]]:
    """The attempt's quiz, and its questions with their option ids in display order, from the app's database."""
    query = text("SELECT quiz_id, layout FROM quiz_attempts WHERE id = :id")
    with app.app_context(), db.engine.connect() as connection:
        quiz_id, layout = connection.execute(query, {"id": attempt_id}).one()
    if isinstance(layout, str):  # a driver that hands JSON columns over as text
        layout = json.loads(layout)
    return str(quiz_id), [(str(question_id), [str(item) for item in order]) for question_id, order in layout]


def attempt_key(app: Flask, attempt_id: int, lang: str) -> list[QuestionKey]:
    """Per question of the attempt (in its order), the form actions that answer it right and wrong."""
    quiz_id, layout = attempt_layout(app, attempt_id)
    questions = {question["id"]: question for question in quiz_file(quiz_id)["questions"]}
    keys = []
    for number, (question_id, order) in enumerate(layout, start=1):
        question = questions[question_id]
        kind, points = question["type"], float(question.get("points", 1))
        right, wrong = _ANSWERS[kind](question, order, f"q{number}", lang)
        keys.append(QuestionKey(number, question_id, kind, points, right, wrong))
    return keys


def file_order_keys(questions: list[dict], lang: str) -> list[QuestionKey]:
    """The form actions for a quiz shown in its file's order (the studio's try page without a seed): questions,
    options, choices and items as written."""
    keys = []
    for number, question in enumerate(questions, start=1):
        kind, points = question["type"], float(question.get("points", 1))
        if kind == "blanks":
            order = [f"{b['id']}.{o['id']}" for b in question["blanks"] for o in b.get("options", [])]
        else:
            order = [item["id"] for key in ("options", "choices", "items") for item in question.get(key, [])]
        right, wrong = _ANSWERS[kind](question, order, f"q{number}", lang)
        keys.append(QuestionKey(number, question["id"], kind, points, right, wrong))
    return keys


def _position(order: list[str], item_id: str) -> str:
    """The token the form uses for an option: its position in this attempt's display order."""
    return str(order.index(item_id))


def _single(question: dict, order: list[str], name: str, lang: str) -> tuple[tuple[FieldAction, ...], ...]:
    correct = [option["id"] for option in question["options"] if option.get("correct")]
    wrong = next(option["id"] for option in question["options"] if not option.get("correct"))
    return (FieldAction("check", name, _position(order, correct[0])),), (
        FieldAction("check", name, _position(order, wrong)),
    )


def _multiple(question: dict, order: list[str], name: str, lang: str) -> tuple[tuple[FieldAction, ...], ...]:
    correct = [option["id"] for option in question["options"] if earns_points(option)]
    right = tuple(FieldAction("check", name, _position(order, option_id)) for option_id in correct)
    wrong_id = next(option["id"] for option in question["options"] if not earns_points(option))
    return right, (FieldAction("check", name, _position(order, wrong_id)),)  # one wrong tick and no right one: 0


def _truefalse(question: dict, order: list[str], name: str, lang: str) -> tuple[tuple[FieldAction, ...], ...]:
    answer = bool(question["answer"])
    return (FieldAction("check", name, str(answer).lower()),), (FieldAction("check", name, str(not answer).lower()),)


def _matching(question: dict, order: list[str], name: str, lang: str) -> tuple[tuple[FieldAction, ...], ...]:
    # Prompts keep the author's order (token = index in the file); choices are shuffled (token = display position).
    right, wrong = [], []
    for index, prompt in enumerate(question["prompts"]):
        field = f"{name}.{index}"
        right.append(FieldAction("select", field, _position(order, prompt["match"])))
        other = next(choice for choice in order if choice != prompt["match"])
        wrong.append(FieldAction("select", field, _position(order, other)))
    return tuple(right), tuple(wrong)


def _ordering(question: dict, order: list[str], name: str, lang: str) -> tuple[tuple[FieldAction, ...], ...]:
    # The key is the order in the file; each shown item (token = display position) gets its place, 1 first.
    key = [item["id"] for item in question["items"]]
    fields = [f"{name}.{_position(order, item)}" for item in key]
    right = tuple(FieldAction("select", field, str(place)) for place, field in enumerate(fields, start=1))
    wrong = tuple(
        FieldAction("select", field, str(len(key) + 1 - place)) for place, field in enumerate(fields, start=1)
    )
    return right, wrong  # reversed: every pair in the wrong relative order, 0


def _numeric_accepts(answer: dict, number: float) -> bool:
    if "value" in answer:
        tolerance = float(answer.get("tolerance", 0))
        return abs(number - float(answer["value"])) <= tolerance
    return float(answer["min"]) <= number <= float(answer["max"])


def _numeric(question: dict, order: list[str], name: str, lang: str) -> tuple[tuple[FieldAction, ...], ...]:
    answers = question.get("answers") or [
        {"value": question["answer"], "tolerance": question.get("tolerance", 0), "percent": 100}
    ]
    full = next(answer for answer in answers if answer.get("percent", 100) == 100)
    number = float(full["value"]) if "value" in full else (float(full["min"]) + float(full["max"])) / 2
    wrong = next(n for n in (1.0, 2.0, 3.0, 7.0, 13.0) if not any(_numeric_accepts(a, n) for a in answers))
    right = FieldAction("fill", name, format_number(number, lang))
    return (right,), (FieldAction("fill", name, format_number(wrong, lang)),)


def format_number(number: float, lang: str) -> str:
    """As a learner in that language types it: 118.125 / 6.000,5 in German, 118,125 / 6,000.5 in English."""
    whole = f"{number:,.0f}" if number == int(number) else f"{number:,.2f}".rstrip("0")
    if lang == "de":
        whole = whole.translate(str.maketrans({",": ".", ".": ","}))
    return whole


def _shorttext(question: dict, order: list[str], name: str, lang: str) -> tuple[tuple[FieldAction, ...], ...]:
    return (FieldAction("fill", name, accepted_text(question, lang)),), (FieldAction("fill", name, "xylophone"),)


def _blanks(question: dict, order: list[str], name: str, lang: str) -> tuple[tuple[FieldAction, ...], ...]:
    # A blank's token is its place in the file; a select blank's options are shuffled (layout: "blank.option").
    right, wrong = [], []
    for token, blank in enumerate(question["blanks"]):
        field = f"{name}.{token}"
        if "options" in blank:
            own = [item.split(".", 1)[1] for item in order if item.startswith(f"{blank['id']}.")]
            correct = next(option["id"] for option in blank["options"] if option.get("correct"))
            other = next(option["id"] for option in blank["options"] if option["id"] != correct)
            right.append(FieldAction("select", field, _position(own, correct)))
            wrong.append(FieldAction("select", field, _position(own, other)))
        else:
            right.append(FieldAction("fill", field, accepted_text(blank, lang)))
            wrong.append(FieldAction("fill", field, "xylophone"))
    return tuple(right), tuple(wrong)


def _essay(question: dict, order: list[str], name: str, lang: str) -> tuple[tuple[FieldAction, ...], ...]:
    # A trainer grades it: the right answer is the model answer (the explanation), the wrong one is left empty.
    return (FieldAction("fill", name, question["explanation"][lang]),), ()


_ANSWERS = {
    "single": _single,
    "multiple": _multiple,
    "truefalse": _truefalse,
    "matching": _matching,
    "ordering": _ordering,
    "numeric": _numeric,
    "shorttext": _shorttext,
    "blanks": _blanks,
    "essay": _essay,
}


def question_fieldset(page: Page, number: int) -> Locator:
    return page.locator(f"fieldset#q{number}")


def fill_answer(page: Page, actions: tuple[FieldAction, ...]) -> None:
    """Answer one question in the form as a learner would (tick, choose, type); meant for an unanswered question."""
    for action in actions:
        field = page.locator(f'[name="{action.name}"]')
        if action.kind == "check":
            page.locator(f'input[name="{action.name}"][value="{action.value}"]').check()
        elif action.kind == "select":
            field.select_option(value=action.value)
        else:
            field.fill(action.value)


def answer_all(page: Page, keys: list[QuestionKey], *, wrong: bool = False, skip: tuple[int, ...] = ()) -> None:
    """Answer every question of the attempt (right, or wrong), leaving out the question numbers in `skip`."""
    for key in keys:
        if key.number not in skip:
            fill_answer(page, key.wrong if wrong else key.right)


def start_quiz(page: Page, quiz_id: str, lang: str) -> int:
    """From the quiz page, start (or resume) an attempt; returns its id once the take page is shown."""
    texts = QUIZ_TEXT[lang]
    names = re.compile("^(" + "|".join(re.escape(texts[key]) for key in ("start", "start_new")) + ")$")
    page.get_by_role("button", name=names).click()
    expect(page).to_have_url(ATTEMPT_PATH)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Quiz: {quiz_title(quiz_id, lang)}")
    return attempt_id_of(page)


def submit_answers(page: Page, lang: str) -> None:
    page.get_by_role("button", name=QUIZ_TEXT[lang]["submit"], exact=True).click()


def has_essay(keys: list[QuestionKey]) -> bool:
    """Whether the attempt asks a question a trainer grades (answered, its submission waits for them)."""
    return any(key.type == "essay" for key in keys)


def grade_essays(page: Page, app: Flask, lang: str, learner: Learner, comment: str) -> None:
    """A trainer, in their own browser, opens "Answers to grade" and gives every essay of the learner's waiting
    attempts full marks and a comment."""
    points = {q["id"]: float(q.get("points", 1)) for quiz_id in quiz_ids() for q in quiz_file(quiz_id)["questions"]}
    page.goto("/grading")
    expect(page.get_by_role("heading", level=1)).to_have_text(say(app, lang, "Answers to grade"))
    rows = page.locator("tbody tr").filter(has=page.get_by_role("rowheader", name=learner.name, exact=True))
    expect(rows).not_to_have_count(0)
    for _ in range(rows.count()):
        rows.first.get_by_role("link", name=re.compile(re.escape(say(app, lang, "Grade")))).click()
        marks = page.locator('input[name^="mark-"]')
        expect(marks).not_to_have_count(0)
        for field in marks.all():
            question_id = (field.get_attribute("name") or "").removeprefix("mark-")
            field.fill(f"{points[question_id]:g}")
            page.locator(f'textarea[name="comment-{question_id}"]').fill(comment)
        page.get_by_role("button", name=say(app, lang, "Save the grade"), exact=True).click()
        expect(page.get_by_role("status")).to_contain_text(say(app, lang, "Graded: the learner's result counts now."))
    expect(rows).to_have_count(0)


def expect_waiting_for_a_trainer(page: Page, app: Flask, lang: str) -> None:
    """The review of a submitted attempt whose essay is not graded yet: no verdict, no score."""
    expect(page).to_have_url(re.compile(r"/attempts/\d+/review$"))
    expect(page.locator("#result-title")).to_have_text(say(app, lang, "Waiting for a trainer"))
    expect(page.locator(".essay__answer")).to_have_count(1)
    waits = (
        "A trainer grades your written answer. Your result, and your progress in the course, count once it is "
        "graded; you get a notification then."
    )
    expect(score_line(page)).to_have_text(say(app, lang, waits))


def have_the_essays_graded(
    page: Page, trainer_page: Page, app: Flask, lang: str, learner: Learner, quiz_id: str, comment: str
) -> None:
    """A trainer who looks after the learner grades their essays in another browser (`trainer_page`); the learner
    follows the notification to the graded review of `quiz_id`, which shows the trainer's comment."""
    log_in(trainer_page, make_trainer(app, learner))
    grade_essays(trainer_page, app, lang, learner, comment)
    open_graded_review(page, app, lang, quiz_id)
    expect(page.locator("#result-title")).to_have_text(QUIZ_TEXT[lang]["passed"])
    expect(page.locator(".essay__answer").last).to_have_text(comment)


def open_graded_review(page: Page, app: Flask, lang: str, quiz_id: str) -> None:
    """The learner follows the notification that a trainer graded their written answer to the review."""
    page.goto("/notifications")
    title = quiz_title(quiz_id, lang)
    text = say(app, lang, "A trainer graded your written answer in the quiz “%(quiz)s”.", quiz=title)
    page.get_by_role("button", name=text).first.click()  # opening it marks it read
    expect(page).to_have_url(re.compile(r"/attempts/\d+/review$"))


def score_line(page: Page) -> Locator:
    return page.locator(".result__score")


def mails_to(mailbox: Mailbox, address: str, count: int, timeout: float = 15.0) -> list[Mail]:
    """The mails to `address` once `count` of them have come, or all there are after `timeout` seconds: the live
    server's job runner sends a mail a moment after the page (or the command) that queued it answered."""
    deadline = time.monotonic() + timeout
    while len(mails := mailbox.to(address)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return mails
