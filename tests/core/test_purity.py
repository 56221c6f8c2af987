"""course/core holds the knowledge and stands alone: no web framework, no ORM, no web-layer module, no loops
between its packages (docs/architecture.md, "Layers")."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import PROJECT_ROOT

CORE = PROJECT_ROOT / "course" / "core"
FORBIDDEN = ("flask", "flask_", "wtforms", "sqlalchemy", "werkzeug", "jinja2")

# Imports every core module in a fresh interpreter, then reports what else came along.
_PROBE = """
import importlib, json, pkgutil, sys
import course.core
for info in pkgutil.walk_packages(course.core.__path__, "course.core."):
    importlib.import_module(info.name)
print(json.dumps(sorted(sys.modules)))
"""


def web_modules(modules: list[str]) -> list[str]:
    """The loaded modules a core import must never pull in."""
    return [
        name
        for name in modules
        if name.split(".")[0] in FORBIDDEN
        or name.startswith("flask_")
        or (name.startswith("course.") and not (name == "course.core" or name.startswith("course.core.")))
    ]


def test_importing_every_core_module_loads_no_web_framework_orm_or_web_layer() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert "course.core.sandbox.evaluation" in loaded  # the probe really walked the core
    assert web_modules(loaded) == []


def test_web_module_check_catches_the_web_layer_and_libraries() -> None:
    assert web_modules(["course", "course.core", "course.core.quiz", "course.models", "flask", "jinja2.ext"]) == [
        "course.models",
        "flask",
        "jinja2.ext",
    ]


def forbidden_imports(source: str) -> list[str]:
    """Forbidden names in the source itself, including imports a test run might never execute."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            root = name.split(".")[0]
            if (
                root in FORBIDDEN
                or root.startswith("flask_")
                or (root == "course" and not name.startswith("course.core"))
            ):
                found.append(name)
    return found


@pytest.mark.parametrize("path", sorted(CORE.rglob("*.py")), ids=lambda p: str(p.relative_to(CORE)))
def test_core_module_imports_no_web_or_orm_library(path: Path) -> None:
    assert forbidden_imports(path.read_text(encoding="utf-8")) == []


def test_purity_check_catches_a_forbidden_import() -> None:
    assert forbidden_imports(
        "from flask import request\nimport sqlalchemy.orm\nimport flask_login\nfrom course.models import User"
    ) == ["flask", "sqlalchemy.orm", "flask_login", "course.models"]


def package_graph() -> dict[str, set[str]]:
    """Which core package imports which other one (course.core.quiz.types counts as quiz)."""
    graph: dict[str, set[str]] = {}
    for path in CORE.rglob("*.py"):
        parts = path.relative_to(CORE).parts
        if len(parts) == 1:
            continue  # top-level modules (errors.py, media.py) are leaves everyone may use
        package = parts[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("course.core."):
                other = node.module.split(".")[2]
                if other != package and (CORE / other).is_dir():
                    graph.setdefault(package, set()).add(other)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[tuple[str, ...]]:
    found = []
    for start in graph:
        stack = [(start, (start,))]
        while stack:
            node, path = stack.pop()
            for other in graph.get(node, ()):
                if other == start:
                    found.append(path)
                elif other not in path:
                    stack.append((other, (*path, other)))
    return found


def test_core_packages_import_each_other_without_loops() -> None:
    graph = package_graph()
    assert "text" not in graph  # the shared text helpers import no other core package
    assert cycles(graph) == []


def test_cycle_check_finds_a_loop() -> None:
    assert cycles({"catalog": {"quiz"}, "quiz": {"catalog"}}) == [("catalog", "quiz"), ("quiz", "catalog")]
