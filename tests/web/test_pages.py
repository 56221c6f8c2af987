"""Render-once pages: one template render per key and catalog version; holes filled per request."""

from __future__ import annotations

import pytest
from flask import Flask

import course.pages as pages_module
from course.pages import ShellCache


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def fake_render(template: str, hole, **context) -> str:  # noqa: ANN001 - stands in for Flask's
        calls.append(template)
        return f"<p>{context['text']}</p><b>{hole('name')}</b><i>{hole('name')}</i>"

    monkeypatch.setattr(pages_module, "render_template", fake_render)
    return calls


def test_page_is_rendered_once_and_holes_are_filled_each_time(renders: list[str]) -> None:
    cache, app = ShellCache(), Flask(__name__)
    with app.test_request_context("/lesson"):
        first = cache.render("k", 1, "page.html", {"name": lambda: "Ana"}, text="Lesson")
        second = cache.render("k", 1, "page.html", {"name": lambda: "Ben &amp; Co"}, text="ignored")
    assert first == "<p>Lesson</p><b>Ana</b><i>Ana</i>"
    assert second == "<p>Lesson</p><b>Ben &amp; Co</b><i>Ben &amp; Co</i>"
    assert renders == ["page.html"]


def test_new_catalog_version_key_or_path_renders_again(renders: list[str]) -> None:
    cache, app = ShellCache(), Flask(__name__)
    holes = {"name": lambda: ""}
    with app.test_request_context("/a"):
        cache.render("k", 1, "page.html", holes, text="v1")
        assert cache.render("k", 2, "page.html", holes, text="v2").startswith("<p>v2</p>")
        cache.render("other", 2, "page.html", holes, text="x")
    with app.test_request_context("/b"):
        cache.render("k", 2, "page.html", holes, text="x")
    assert len(renders) == 4


def test_cache_is_bounded(renders: list[str]) -> None:
    cache, app = ShellCache(limit=2), Flask(__name__)
    with app.test_request_context("/"):
        for key in ("a", "b", "c", "a"):
            cache.render(key, 1, "page.html", {"name": str}, text=key)
    assert len(renders) == 4  # "a" was dropped when "c" arrived


def test_content_cannot_forge_a_hole(renders: list[str]) -> None:
    cache, app = ShellCache(), Flask(__name__)
    with app.test_request_context("/"):
        page = cache.render("k", 1, "page.html", {"name": lambda: "\ue000guess:name\ue001"}, text="\ue000x:name\ue001")
    assert page.count("\ue000") == 3  # the fake markers are passed through as text, never filled
