"""Where the project's files are, for tests of every layer (imports nothing from the app)."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIR = PROJECT_ROOT / "content"
QUIZ_DIR = PROJECT_ROOT / "quizzes"
FIXTURES = PROJECT_ROOT / "tests" / "fixtures"


def bundled_files(course_id: str = "kam-pay") -> dict[str, str]:
    """The bundled course as the catalog builder reads it: content files (lessons, course.yml, figures) under
    <course>/…, quizzes under quizzes/<course>/…."""
    files = {
        path.relative_to(CONTENT_DIR).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted((CONTENT_DIR / course_id).rglob("*"))
        if path.is_file()
    }
    for path in sorted((QUIZ_DIR / course_id).glob("*.yml")):
        files[path.relative_to(PROJECT_ROOT).as_posix()] = path.read_text(encoding="utf-8")
    return files
