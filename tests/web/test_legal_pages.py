"""The privacy notice and the imprint: the operator's Markdown from the instance folder, sanitised, in the visitor's
language where there is one, and a plain note (with the file names, for admins) where there is none."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from flask import Flask

from tests.quiz_helpers import client_for

EN = {"Accept-Language": "en"}
DE = {"Accept-Language": "de"}


def folder(app: Flask) -> Path:
    path = Path(app.instance_path)
    path.mkdir(parents=True, exist_ok=True)
    return path


def main_of(response) -> str:  # noqa: ANN001 - a test response
    page = response.get_data(as_text=True)
    return html.unescape(page[page.index('<main id="main"') : page.index("</main>")])


@pytest.mark.parametrize(
    ("url", "title", "missing"),
    [
        ("/privacy", "Privacy notice", "has not published a privacy notice yet"),
        ("/imprint", "Imprint", "has not published an imprint yet"),
    ],
)
def test_without_a_file_the_page_says_so_and_names_the_file_to_admins_only(
    app, client, make_user, url: str, title: str, missing: str
) -> None:
    response = client.get(url, headers=EN)
    assert response.status_code == 200
    text = main_of(response)
    assert f"<h1>{title}</h1>" in text and missing in text and ".md" not in text
    assert ".md" not in main_of(client_for(app, make_user(role="trainer")).get(url, headers=EN))
    admin_view = main_of(client_for(app, make_user(role="admin")).get(url, headers=EN))
    name = url.strip("/")
    for file in (f"{name}.en.md", f"{name}.de.md", f"{name}.md"):
        assert str(Path(app.instance_path) / file) in admin_view


def test_the_visitors_language_comes_first_then_the_other_then_the_plain_file(app, client) -> None:
    (folder(app) / "privacy.md").write_text("## Plain\n\nThe plain file.\n", encoding="utf-8")
    assert "The plain file." in main_of(client.get("/privacy", headers=EN))

    (folder(app) / "privacy.de.md").write_text("## Datenschutz\n\nWir speichern **wenig**.\n", encoding="utf-8")
    german = main_of(client.get("/privacy", headers=DE))
    assert "<strong>wenig</strong>" in german and 'lang="de"' not in german  # the page's own language
    english = main_of(client.get("/privacy", headers=EN))
    assert '<div class="lesson__body" lang="de">' in english and "Wir speichern" in english  # marked as German

    (folder(app) / "privacy.en.md").write_text("## Privacy\n\nWe keep *little*.\n", encoding="utf-8")
    assert "<em>little</em>" in main_of(client.get("/privacy", headers=EN))  # a new file shows without a restart
    assert "Wir speichern" in main_of(client.get("/privacy", headers=DE))


def test_a_changed_file_shows_at_once(app, client) -> None:
    path = folder(app) / "imprint.en.md"
    path.write_text("Example GmbH, Berlin\n", encoding="utf-8")
    assert "Example GmbH, Berlin" in main_of(client.get("/imprint", headers=EN))
    path.write_text("Example AG, Hamburg\n", encoding="utf-8")
    text = main_of(client.get("/imprint", headers=EN))
    assert "Example AG, Hamburg" in text and "Berlin" not in text


def test_the_markdown_is_sanitised(app, client) -> None:
    (folder(app) / "imprint.md").write_text(
        "Hello <script>alert('x')</script> [click](javascript:alert(1)) <img src=x onerror=alert(2)>\n\n"
        '<a href="https://example.org" onclick="steal()">Example</a>\n',
        encoding="utf-8",
    )
    response = client.get("/imprint", headers=EN)
    page = response.get_data(as_text=True)
    body = page[page.index('<main id="main"') : page.index("</main>")]
    assert "<script" not in body and "onerror" not in body and "onclick" not in body and "javascript:" not in body
    assert '<a href="https://example.org">Example</a>' in body
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]  # and nothing inline would run anyway


def test_an_unreadable_file_is_skipped_and_logged(app, client, caplog) -> None:
    (folder(app) / "privacy.en.md").write_bytes(b"\xff\xfe not UTF-8")
    (folder(app) / "privacy.md").write_text("The fallback.\n", encoding="utf-8")
    assert "The fallback." in main_of(client.get("/privacy", headers=EN))
    assert "privacy.en.md" in caplog.text
