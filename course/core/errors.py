"""Domain errors: the web layer maps them to 4xx pages, the CLI to messages and exit codes."""

from __future__ import annotations


class CourseError(Exception):
    """Base class for every error the course domain raises on purpose."""


class NotFound(CourseError):
    """Something the URL or command names does not exist in the published course."""


class ContentProblemsError(CourseError):
    """Content files failed validation; `problems` lists each with file and line."""

    def __init__(self, problems: list) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
