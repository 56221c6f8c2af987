"""Page shells (course/fast/shells.py): rendered once per key, holes filled per request, keys derived from the
whole context, and per-request state refused while a shell renders."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask

import course.fast.shells as shells_module
from course.fast.shells import NotCached, ShellCache, ShellLeak, cached_only, frozen, shell_key

_counter = iter(range(10**6))


def new_cache(limit: int = 16) -> ShellCache:
    return ShellCache(f"test-shells-{next(_counter)}", limit)


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    calls: list[dict] = []

    def fake_render(template: str, **context) -> str:
        calls.append(context)
        return f"<p>{context['text']}</p><b>{context['hole']('name')}</b><i>{context['hole']('name')}</i>"

    monkeypatch.setattr(shells_module, "render_template", fake_render)
    return calls


def test_page_is_rendered_once_and_holes_are_filled_each_time(renders: list[dict]) -> None:
    cache, app = new_cache(), Flask(__name__)
    with app.test_request_context("/lesson"):
        first = cache.render("page.html", 1, {"name": lambda: "Ana"}, {"text": "Lesson"}, path="/lesson")
        second = cache.render("page.html", 1, {"name": lambda: "Ben &amp; Co"}, {"text": "Lesson"}, path="/lesson")
    assert first == "<p>Lesson</p><b>Ana</b><i>Ana</i>"
    assert second == "<p>Lesson</p><b>Ben &amp; Co</b><i>Ben &amp; Co</i>"
    assert len(renders) == 1


def test_a_page_as_bytes_is_its_text_in_utf8_from_the_same_shell(renders: list[dict]) -> None:
    cache, app = new_cache(), Flask(__name__)
    holes = {"name": lambda: "Jürgen &amp; Sœur"}
    with app.test_request_context("/lesson"):
        text = cache.render("page.html", 1, holes, {"text": "Größe"}, path="/lesson")
        assert cache.render_bytes("page.html", 1, holes, {"text": "Größe"}, path="/lesson") == text.encode()
    assert len(renders) == 1


def test_cached_only_serves_kept_pages_and_fragments_and_renders_nothing(renders: list[dict]) -> None:
    cache, app = new_cache(), Flask(__name__)
    with app.app_context():
        with cached_only(), pytest.raises(NotCached):
            cache.render("page.html", 1, {"name": str}, {"text": "x"}, path="/a")
        kept = cache.render("page.html", 1, {"name": lambda: "Ana"}, {"text": "x"}, path="/a")
        with cached_only():
            assert cache.render("page.html", 1, {"name": lambda: "Ana"}, {"text": "x"}, path="/a") == kept
            with pytest.raises(NotCached):
                cache.render("page.html", 1, {"name": str}, {"text": "x"}, path="/b")
            with pytest.raises(NotCached):
                cache.fragment("page.html", 1, {"text": "y"})
    assert len(renders) == 1


def test_any_change_of_context_version_template_or_path_renders_again(renders: list[dict]) -> None:
    cache, app = new_cache(), Flask(__name__)
    holes = {"name": lambda: ""}
    with app.test_request_context("/a"):
        cache.render("page.html", 1, holes, {"text": "v1"}, path="/a")
        assert cache.render("page.html", 2, holes, {"text": "v1"}, path="/a").startswith("<p>v1</p>")
        assert cache.render("page.html", 2, holes, {"text": "v2"}, path="/a").startswith("<p>v2</p>")
        cache.render("other.html", 2, holes, {"text": "v2"}, path="/a")
    with app.test_request_context("/b"):
        cache.render("page.html", 2, holes, {"text": "v2"}, path="/b")
    assert len(renders) == 5


def test_cache_is_bounded(renders: list[dict]) -> None:
    cache, app = new_cache(limit=2), Flask(__name__)
    with app.test_request_context("/"):
        for text in ("a", "b", "c", "a"):
            cache.render("page.html", 1, {"name": str}, {"text": text}, path="/")
    assert len(renders) == 4  # "a" was dropped when "c" arrived


def test_content_cannot_forge_a_hole(renders: list[dict]) -> None:
    cache, app = new_cache(), Flask(__name__)
    with app.test_request_context("/"):
        page = cache.render(
            "page.html", 1, {"name": lambda: "\ue000guess:name\ue001"}, {"text": "\ue000x:name\ue001"}, path="/"
        )
    assert page.count("\ue000") == 3  # the fake markers are passed through as text, never filled


def test_a_shell_render_gets_guards_for_per_request_state(renders: list[dict]) -> None:
    cache, app = new_cache(), Flask(__name__)
    with app.test_request_context("/path?secret=1"):
        cache.render("page.html", 1, {"name": str}, {"text": "x"}, path="/path")
    context = renders[0]
    for name in ("current_user", "session", "g", "csrf_token", "get_flashed_messages", "lang", "authenticated"):
        with pytest.raises(ShellLeak):
            str(context[name])
    with pytest.raises(ShellLeak):
        context["current_user"].display_name  # noqa: B018 - the read itself must fail
    assert context["request"].path == "/path"
    with pytest.raises(ShellLeak):
        context["request"].args  # noqa: B018


def test_a_fragment_is_drawn_once_per_context_whatever_the_page(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict] = []

    def fake_render(template: str, **context) -> str:
        calls.append(context)
        return f"<nav>{context['steps']}</nav>"

    monkeypatch.setattr(shells_module, "render_template", fake_render)
    cache, app = new_cache(), Flask(__name__)
    with app.test_request_context("/attempts/1"):
        first = cache.fragment("sidebar.html", 1, {"steps": ("done", "todo")})
    with app.test_request_context("/attempts/2"):
        again = cache.fragment("sidebar.html", 1, {"steps": ("done", "todo")})
        moved = cache.fragment("sidebar.html", 1, {"steps": ("done", "done")})
    assert first == again == "<nav>('done', 'todo')</nav>" and moved == "<nav>('done', 'done')</nav>"
    assert len(calls) == 2  # not keyed on the page's path, so it must not read it: request and holes are guarded
    for name in ("request", "hole", "current_user", "session", "csrf_token"):
        with pytest.raises(ShellLeak):
            str(calls[0][name])


def test_context_values_given_by_the_view_are_not_guarded(renders: list[dict]) -> None:
    cache, app = new_cache(), Flask(__name__)
    with app.test_request_context("/"):
        cache.render("page.html", 1, {"name": str}, {"text": "x", "lang": "de", "authenticated": True}, path="/")
    assert renders[0]["lang"] == "de" and renders[0]["authenticated"] is True


def test_keys_are_equal_for_equal_values_and_differ_for_different_ones() -> None:
    at = datetime(2026, 12, 4, tzinfo=UTC)
    one = shell_key("t.html", 1, "/", {"done": {"a", "b"}, "steps": [1, 2], "at": at, "names": {"x": [1]}})
    same = shell_key("t.html", 1, "/", {"done": {"b", "a"}, "steps": [1, 2], "at": at, "names": {"x": [1]}})
    assert one == same and hash(one) == hash(same)
    assert one != shell_key("t.html", 1, "/", {"done": {"a"}, "steps": [1, 2], "at": at, "names": {"x": [1]}})
    assert frozen(True) != frozen({"x"}) and frozen(["a"]) != frozen({"a"})


def test_a_shell_cannot_be_keyed_on_an_object_compared_by_identity() -> None:
    class Row:
        pass

    with pytest.raises(TypeError, match="cannot be keyed on a Row"):
        shell_key("t.html", 1, "/", {"row": Row()})
