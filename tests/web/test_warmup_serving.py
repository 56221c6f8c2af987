"""Every way of serving the app warms up off the request path: `flask run` starts the warm-up in a background
thread when wsgi.py is loaded to serve (course/warmup.py); other commands, tests and gunicorn (which warms each
worker in gunicorn.conf.py) start none. Given the app, the warm-up also builds the catalog and compiles the
templates, which every course page's first request would otherwise do."""

from __future__ import annotations

import logging
import runpy
import threading
from pathlib import Path

import flask.cli
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import FlaskGroup

from course import warmup
from course.core.certificates import glyphs
from course.core.sandbox import benchmark
from course.publishing import cache as catalog_cache

WSGI = str(Path(__file__).resolve().parents[2] / "wsgi.py")


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Loading wsgi.py makes a bare app, `warm_up` and the development server only record that they ran."""
    recorded: list[str] = []
    monkeypatch.setattr("course.app.create_app", lambda: Flask("course"))
    monkeypatch.setattr(logging, "basicConfig", lambda **_kwargs: None)
    monkeypatch.setattr(
        warmup, "warm_up", lambda app: recorded.append(f"warm-up of {app.name} in {threading.current_thread().name}")
    )
    monkeypatch.setattr(flask.cli, "run_simple", lambda *_args, **_kwargs: recorded.append("serving"))
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    return recorded


def run_flask(*args: str) -> dict:
    """`flask --app wsgi <args>` in-process; returns wsgi.py's module namespace once the command is done."""
    loaded: dict = {}

    def load() -> Flask:
        loaded.update(runpy.run_path(WSGI))
        return loaded["app"]

    result = CliRunner().invoke(FlaskGroup(create_app=load, load_dotenv=False), list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return loaded


def test_flask_run_warms_up_in_a_background_thread(calls: list[str]) -> None:
    loaded = run_flask("run", "--no-reload", "--no-debugger")
    thread = loaded["warm_up_thread"]
    assert isinstance(thread, threading.Thread)
    assert thread.daemon
    thread.join()
    assert sorted(calls) == ["serving", "warm-up of course in course-warm-up"]


def test_flask_run_with_the_reloader_warms_up_only_in_the_serving_child(
    calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_flask("run", "--reload", "--no-debugger")["warm_up_thread"] is None
    monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")  # what the reloader sets in the child it serves from
    loaded = run_flask("run", "--reload", "--no-debugger")
    loaded["warm_up_thread"].join()
    assert calls.count("warm-up of course in course-warm-up") == 1


def test_other_commands_do_not_warm_up(calls: list[str]) -> None:
    assert run_flask("routes")["warm_up_thread"] is None
    assert calls == []


def test_importing_wsgi_outside_flask_run_does_not_warm_up(calls: list[str]) -> None:
    """gunicorn imports wsgi.py this way and warms each worker itself (gunicorn.conf.py)."""
    assert runpy.run_path(WSGI)["warm_up_thread"] is None
    assert calls == []


@pytest.fixture
def no_process_warm_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """The process-wide part (the scenario searches, the fonts) has its own test in test_warmup.py."""
    monkeypatch.setattr(benchmark, "warm_up", lambda: None)
    monkeypatch.setattr(glyphs, "covered_codepoints", lambda: frozenset())


@pytest.mark.usefixtures("no_process_warm_up")
def test_warm_up_builds_the_catalog_and_compiles_the_learners_templates(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds: list[int] = []
    real_build = catalog_cache.build_catalog
    monkeypatch.setattr(
        catalog_cache, "build_catalog", lambda *args, **kwargs: builds.append(1) or real_build(*args, **kwargs)
    )
    warmup.warm_up(app)
    assert builds == [1]
    with app.app_context():
        assert catalog_cache.catalog().course("kam-pay").lesson_ids  # what the first request reads, already built
    assert builds == [1]
    compiled = {name for _loader, name in app.jinja_env.cache}
    assert {"learn/lesson.html", "sandbox/editor.html", "quiz/take.html", "base.html"} <= compiled
    assert not any(name.startswith(("authoring/", "admin/", "mail/")) for name in compiled)  # compiled when first used


@pytest.mark.usefixtures("no_process_warm_up")
def test_a_catalog_that_cannot_load_yet_does_not_stop_the_start(
    app: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def unreachable() -> None:
        raise ConnectionError("database not up yet")

    monkeypatch.setattr(catalog_cache, "catalog", unreachable)
    with caplog.at_level(logging.WARNING, logger="course.warmup"):
        warmup.warm_up(app)
    assert "the first requests do it" in caplog.text


def test_a_failed_background_warm_up_is_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_app: Flask) -> float:
        raise OSError("fonts missing")

    monkeypatch.setattr(warmup, "warm_up", broken)
    with caplog.at_level(logging.ERROR, logger="course.warmup"):
        warmup.warm_up_in_background(Flask("course")).join()
    assert "warm-up failed" in caplog.text
    assert "fonts missing" in caplog.text
