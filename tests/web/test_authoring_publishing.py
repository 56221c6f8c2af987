"""What publishing in the studio means outside it (issue #6): attempts keep their quiz revision, the files that
`flask course export` writes are what the studio published, and trainer Markdown never reaches a page executable."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from course.extensions import db
from course.models import ContentRevision, QuizAttempt, User
from course.publishing import operations as publishing
from course.publishing.cache import catalog
from tests.conftest import CONTENT_DIR, QUIZ_DIR
from tests.sessions import sign_in

LESSON = "kam-pay/kam-mandate.de.md"
QUIZ = "quizzes/kam-pay/kam-mandate-quiz.yml"
LESSON_PAGE = "/courses/kam-pay/lessons/kam-mandate"
QUIZ_PAGE = "/courses/kam-pay/quizzes/kam-mandate-quiz"
OLD_QUESTION = "Ordnen Sie jeder der vier Fragen des Auftrags das Ziel zu, das sie beantwortet. Ein Ziel bleibt übrig."
NEW_QUESTION = "Welches Beispielziel passt zu welcher der vier Fragen? (neu formuliert)"


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    app = make_app()
    with app.test_request_context():
        catalog()  # the first request imports the bundled course
    return app


def browser(app: Flask, user: User | None = None) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    if user is not None:
        sign_in(client, user.id)
    return client


def studio_publish(trainer: FlaskClient, app: Flask, path: str, change: Callable[[str], str]) -> str:
    """Edit the newest revision of `path` in the studio and publish it; returns the published text."""
    with app.app_context():
        newest = publishing.newest_revision(path)
        number, text = newest.number, change(newest.source)
    response = trainer.post(f"/studio/files/{path}", data={"text": text, "base": number, "action": "publish"})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        assert publishing.published_files()[path] == text
    return text


def fieldsets(page: str) -> list[str]:
    return [part.split("</fieldset>")[0] for part in page.split('<fieldset class="question')[1:]]


# --- Attempts keep the revision they were started on ------------------------------------------------------------


def test_publishing_a_new_quiz_revision_changes_neither_an_open_attempt_nor_a_submitted_review(
    app: Flask, make_user
) -> None:
    trainer = browser(app, make_user(role="trainer"))
    finished, taking = browser(app, make_user()), browser(app, make_user())
    submitted = finished.post(f"{QUIZ_PAGE}/attempts").headers["Location"]
    review_url = finished.post(submitted, data={"submit": "1", "confirm": "1"}).headers["Location"]
    review_before = finished.get(review_url).get_data(as_text=True)
    open_url = taking.post(f"{QUIZ_PAGE}/attempts").headers["Location"]
    take_before = taking.get(open_url).get_data(as_text=True)
    assert OLD_QUESTION in review_before and OLD_QUESTION in take_before

    studio_publish(trainer, app, QUIZ, lambda text: text.replace(OLD_QUESTION, NEW_QUESTION))

    assert fieldsets(taking.get(open_url).get_data(as_text=True)) == fieldsets(take_before)
    assert fieldsets(finished.get(review_url).get_data(as_text=True)) == fieldsets(review_before)
    fresh = finished.post(f"{QUIZ_PAGE}/attempts").headers["Location"]
    assert NEW_QUESTION in finished.get(fresh).get_data(as_text=True)
    with app.app_context():
        revisions = db.session.scalars(select(QuizAttempt.revision_id).order_by(QuizAttempt.id)).all()
    assert revisions[0] == revisions[1] != revisions[2]


# --- Files and browser agree ------------------------------------------------------------------------------------


def test_export_after_a_studio_publish_writes_exactly_the_published_text_and_reimports_as_unchanged(
    app: Flask, make_user, tmp_path: Path
) -> None:
    trainer = browser(app, make_user(role="trainer"))
    published = studio_publish(trainer, app, LESSON, lambda text: text.rstrip("\n") + "\n\nEin Satz aus dem Studio.\n")
    target = tmp_path / "exported"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["course", "export", str(target)])
    assert result.exit_code == 0, result.output

    assert (target / LESSON).read_bytes() == published.encode("utf-8")
    originals = {
        **{
            path.relative_to(CONTENT_DIR).as_posix(): path
            for path in CONTENT_DIR.rglob("*")
            if path.suffix in {".md", ".yml", ".svg"}
        },
        **{f"quizzes/{path.relative_to(QUIZ_DIR).as_posix()}": path for path in QUIZ_DIR.rglob("*.yml")},
    }
    exported = {path.relative_to(target).as_posix() for path in target.rglob("*") if path.is_file()}
    assert exported == set(originals)
    for relative, original in originals.items():
        if relative != LESSON:
            assert (target / relative).read_bytes() == original.read_bytes(), relative  # unchanged: byte for byte

    with app.app_context():
        before = db.session.scalar(select(func.count(ContentRevision.id)))
    again = runner.invoke(args=["course", "import", "--dir", str(target)])
    assert again.exit_code == 0, again.output
    assert f"0 new revision(s), {len(originals)} unchanged" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count(ContentRevision.id))) == before


# --- Trainer Markdown is never executable ------------------------------------------------------------------------

XSS_CORPUS = [
    # Markdown links first: an unclosed raw HTML tag further down turns the rest of the text into an HTML block.
    "[plain](javascript:alert(1))",
    "[mixed case](JaVaScRiPt:alert(1))",
    "[entity](&#106;avascript:alert(1))",
    "[hex entity](&#x6A;avascript:alert(1))",
    "[spaced](  javascript:alert(1))",
    "[angle brackets](<javascript:alert(1)>)",
    "[vb](vbscript:msgbox(1))",
    "![data image](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<script>alert('script')</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert('img')>",
    '<img src="x" ONERROR="alert(1)">',
    "<p onclick=\"alert('click')\">Klick</p>",
    "<a href=\"#\" onmouseover=alert('hover')>hover</a>",
    "<scr<script>ipt>alert('split')</script>",
    "<body onload=alert('body')>",
    "<a href=\"java&#x09;script:alert('tab')\">tab</a>",
    "<a href=\" javascript:alert('space')\">space</a>",
    "<a href=\"jav\nascript:alert('newline')\">newline</a>",
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "<svg><script>alert('svg')</script></svg>",
    "<svg onload=alert('svg')><circle r=1 /></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('mxss')></style></mglyph></table></mtext></math>",
    "<div style=\"background:url(javascript:alert('style'))\">styled</div>",
    '<span style="position:fixed;top:0">overlay</span>',
    "<style>body{display:none}</style>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data link</a>',
    '<img src="data:text/html,<script>alert(1)</script>">',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<input autofocus onfocus="alert(1)">',
    "<details open ontoggle=alert('toggle')>",
    '<video><source onerror="alert(1)"></video>',
    '<a href="https://example.org" target="_blank" rel="opener">external</a>',
]
EXECUTABLE_TAGS = {
    "script", "iframe", "svg", "math", "style", "object", "embed", "form", "input", "button", "meta", "base", "link",
    "video", "audio", "source", "body", "details", "frame", "frameset", "template",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "srcdoc", "xlink:href", "poster", "background"}


class _Tags(HTMLParser):
    """Every start tag and its attributes, as a browser's parser reads them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def executable_parts(markup: str) -> list[str]:
    """Scripts, event handlers, inline styles and script or data URLs in `markup`; [] if there are none."""
    found = []
    if re.search(r"<\s*script", markup, re.I):
        found.append("a <script> tag")
    parser = _Tags()
    parser.feed(markup)
    for tag, attributes in parser.tags:
        if tag in EXECUTABLE_TAGS:
            found.append(f"<{tag}>")
        for name, value in attributes:
            if name.startswith("on") or name == "style":
                found.append(f"<{tag} {name}=…>")
            if name in URL_ATTRIBUTES and value is not None:
                url = re.sub(r"[\x00-\x20]", "", html.unescape(value)).lower()
                if url.startswith(("javascript:", "vbscript:", "data:")):
                    found.append(f"<{tag} {name}={value!r}>")
    if re.search(r"<[^>]*\bon\w+\s*=", markup, re.I):
        found.append("an on…= handler inside a tag")
    if re.search(r"<[^>]*javascript:", markup, re.I):
        found.append("javascript: inside a tag")
    return found


# The controls of a knowledge check, as the renderer writes them (course/core/text/checks.py): the app's own form,
# not the trainer's; its question and options (the trainer's text) are still searched.
_CHECK_CONTROLS = re.compile(
    r'<form class="knowledge-check" id="[\w-]+" method="post" action="[\w-]+/checks/[\w-]+">'
    r'|<input type="radio" name="option" value="\d+" id="[\w-]+" required>'
    r'|<input type="hidden" name="(?:csrf_token|lang)" value="[^"<>]*">'
    r'|<button type="submit" class="button button--secondary">'
)


_FIGURE = re.compile(r'<figure class="lesson-figure" id="[\w-]+">.*?</figure>', re.S)


def trainer_markup(markup: str) -> str:
    """`markup` without the knowledge checks' own controls and without the lesson's figures, whose inline SVG
    (from the course's figure files, rebuilt from an allow-list) may carry nothing executable but the <svg> itself."""
    for figure in _FIGURE.findall(markup):
        assert [part for part in executable_parts(figure) if part != "<svg>"] == [], figure
    return _CHECK_CONTROLS.sub("", _FIGURE.sub("", markup))


def lesson_body(page: str) -> str:
    start = page.index('<div class="lesson__body">')
    return page[start : page.index('<section class="summary"', start)]


def with_corpus(text: str) -> str:
    return text.rstrip("\n") + "\n\n## Angriffe\n\n" + "\n\n".join(XSS_CORPUS) + "\n\nEnde der Angriffe.\n"


def test_the_xss_corpus_is_caught_by_the_check_itself() -> None:
    for payload in XSS_CORPUS[9:]:
        if "example.org" not in payload:
            assert executable_parts(payload), payload  # the check would see the attack if it got through


def test_script_handlers_and_script_urls_never_reach_the_preview_or_the_learners_page(app: Flask, make_user) -> None:
    trainer = browser(app, make_user(role="trainer"))
    with app.app_context():
        source = publishing.newest_revision(LESSON).source
    attacked = with_corpus(source)

    preview = trainer.post(f"/studio/files/{LESSON}/preview", data={"text": attacked})
    assert preview.status_code == 200
    fragment = preview.get_data(as_text=True)
    assert "Ende der Angriffe." in fragment  # the lesson was rendered, not refused
    assert ">plain</a>" in fragment and ">mixed case</a>" in fragment  # the links are there, without their URLs
    assert executable_parts(trainer_markup(fragment)) == []

    studio_publish(trainer, app, LESSON, with_corpus)
    page = browser(app, make_user()).get(LESSON_PAGE).get_data(as_text=True)
    body = lesson_body(page)
    assert "Ende der Angriffe." in body
    assert executable_parts(trainer_markup(body)) == []
    assert len(re.findall(r"<script\b", page, re.I)) == len(re.findall(r'<script src="/static/[\w/.-]+" defer>', page))
