"""Where the project's files are, for tests of every layer (imports nothing from the app)."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIR = PROJECT_ROOT / "content"
QUIZ_DIR = PROJECT_ROOT / "quizzes"
FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
