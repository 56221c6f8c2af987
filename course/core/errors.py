"""Domain errors: the web layer maps them to 4xx pages, the CLI to messages and exit codes."""

from __future__ import annotations


class CourseError(Exception):
    """Base class for every error the course domain raises on purpose."""


class NotFound(CourseError):
    """Something the URL or command names does not exist in the published course."""
