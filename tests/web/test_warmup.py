"""Each gunicorn worker warms the course app's caches before serving (gunicorn.conf.py, course/warmup.py)."""

from __future__ import annotations

import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask

from course import warmup
from course.core.certificates import glyphs
from course.core.sandbox import SCENARIOS, benchmark

HOOKS = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))


def test_warm_up_runs_every_scenario_search_and_reads_the_fonts_characters() -> None:
    warmup.warm_up()
    assert set(SCENARIOS) <= benchmark.searched_scenarios()
    assert glyphs.covered_codepoints.cache_info().currsize >= 1


@pytest.mark.parametrize(("import_name", "warmed"), [("course", True), ("bench.hello", False)])
def test_only_the_course_app_is_warmed(monkeypatch: pytest.MonkeyPatch, import_name: str, warmed: bool) -> None:
    calls: list[bool] = []
    monkeypatch.setattr(warmup, "warm_up", lambda app: calls.append(app.import_name == "course"))
    HOOKS["post_worker_init"](SimpleNamespace(wsgi=Flask(import_name)))
    assert calls == ([True] if warmed else [])
