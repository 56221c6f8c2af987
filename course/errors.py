"""Error pages in the user's language; domain errors become 4xx, never 500."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, SecurityError

from course.core.errors import CourseError, NotFound
from course.extensions import db
from course.forms import UnstorableText


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "server_error",
}


def _page(status: int, title: str, message: str, headers: dict[str, str] | None = None, **details: str):
    """The error as JSON for programs (a stable code, the translated message, `details`) or as a page."""
    if _wants_json():
        code = details.pop("error", _CODES.get(status, "error"))
        return {"error": code, "message": message, **details}, status, headers
    return render_template("errors/error.html", status=status, title=title, message=message), status, headers


def init_app(app: Flask) -> None:
    @app.errorhandler(NotFound)
    def domain_not_found(error: NotFound):
        return _page(404, _("Page not found"), _("There is no such page. It may have moved, or the link has a typo."))

    @app.errorhandler(CourseError)
    def domain_conflict(error: CourseError):
        """A domain rule said no (attempt closed, answer locked, limit reached): 409 with the reason."""
        return _page(409, _("That did not work"), _(error.message, **error.params))

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError):
        return _page(
            400,
            _("The form has expired"),
            _("For your security the form could not be accepted. Please go back, reload the page and send it again."),
        )

    @app.errorhandler(SecurityError)
    def untrusted_host(error: SecurityError):
        """A Host header outside TRUSTED_HOSTS: no URL can be built for it, so a page without links."""
        title, message = escape(_("Bad request")), escape(_("The request could not be understood."))
        lang = escape(str(get_locale() or ""))
        page = (
            f'<!doctype html>\n<html lang="{lang}">\n<meta charset="utf-8">\n<title>{title}</title>\n'
            f"<h1>{title}</h1>\n<p>{message}</p>\n</html>\n"
        )
        return page, 400, {"Content-Type": "text/html; charset=utf-8"}

    @app.errorhandler(UnstorableText)
    def unstorable_text(error: UnstorableText):
        return _page(
            400,
            _("Bad request"),
            _(
                "The field %(name)s contains a character that cannot be stored (a zero byte). "
                "Please remove it and send the form again.",
                name=error.field,
            ),
            error="invalid_text",
            field=error.field,
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        messages = {
            400: (_("Bad request"), _("The request could not be understood.")),
            403: (_("Access denied"), _("You do not have permission to open this page.")),
            404: (_("Page not found"), _("There is no such page. It may have moved, or the link has a typo.")),
            405: (_("Not allowed"), _("This page cannot be used that way.")),
            413: (_("Too large"), _("What you sent is too large.")),
            429: (_("Too many attempts"), _("Please wait a minute before you try again.")),
        }
        title, message = messages.get(error.code or 500, (error.name, error.description or ""))
        # werkzeug's own headers (Allow on a 405, Retry-After, …) are part of the answer; its body is not.
        headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
        return _page(error.code or 500, title, message, headers)

    @app.errorhandler(500)
    def server_error(error: Exception):
        db.session.rollback()
        return _page(500, _("Something went wrong"), _("The error has been logged. Please try again later."))
