"""course/core holds the knowledge and must stay free of the web framework and the ORM (DESIGN §3)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parent.parent / "course" / "core"
FORBIDDEN = ("flask", "flask_", "wtforms", "sqlalchemy", "werkzeug")


def forbidden_imports(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            root = name.split(".")[0]
            if root in FORBIDDEN or root.startswith("flask_"):
                found.append(name)
    return found


@pytest.mark.parametrize("path", sorted(CORE.rglob("*.py")), ids=lambda p: str(p.relative_to(CORE)))
def test_core_module_imports_no_web_or_orm_library(path: Path) -> None:
    assert forbidden_imports(path.read_text(encoding="utf-8")) == []


def test_purity_check_catches_a_forbidden_import() -> None:
    assert forbidden_imports("from flask import request\nimport sqlalchemy.orm\nimport flask_login") == [
        "flask",
        "sqlalchemy.orm",
        "flask_login",
    ]
