"""Domain errors: the web layer maps them to 4xx pages, the CLI to messages and exit codes."""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "translate later"
    """Mark a message for translation without translating it: the core knows no locale."""
    return message


class CourseError(Exception):
    """Base class for every error the course domain raises on purpose.

    `message` is an English template with %(name)s placeholders; the web layer translates it
    with the same parameters, the CLI prints it as is.
    """

    def __init__(self, message: str, **params: object) -> None:
        self.message = message
        self.params = params
        super().__init__(message % params if params else message)


class NotFound(CourseError):
    """Something the URL or command names does not exist in the published course."""
