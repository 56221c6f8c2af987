"""Security headers for every response, the CSRF token pages show, and the one safe-redirect check forms share."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from flask import Flask
from flask_wtf.csrf import generate_csrf

from course import embedding, fast
from course.fast.csrf import signed_token


def content_security_policy(frame_ancestors: str = "'none'", form_action: str = "'self'") -> str:
    """The site's CSP; who may frame it comes from course/embedding.py, a form posting elsewhere names its target."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            f"form-action {form_action}",
            f"frame-ancestors {frame_ancestors}",
        ]
    )


class SecurityHeaders:
    """WSGI middleware adding the security headers a response does not set itself.

    Cheaper than an after_request hook on werkzeug's Headers, and it covers every response.
    """

    def __init__(
        self, wsgi_app: Callable, headers: list[tuple[str, str]], framing: Callable[[], list[tuple[str, str]]]
    ) -> None:
        self.wsgi_app = wsgi_app
        self.headers = headers
        self.framing = framing  # the CSP and X-Frame-Options, which follow the registered LTI platforms

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> Callable:
            present = {name.lower() for name, _ in headers}
            headers.extend(item for item in [*self.framing(), *self.headers] if item[0].lower() not in present)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)


def init_app(app: Flask) -> None:
    headers = [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ]
    if app.config["SESSION_COOKIE_SECURE"]:
        headers.append(("Strict-Transport-Security", "max-age=31536000"))
    app.wsgi_app = SecurityHeaders(app.wsgi_app, headers, embedding.framing_headers(app, content_security_policy))  # type: ignore[method-assign]
    app.jinja_env.globals["csrf_token"] = csrf_token


def csrf_token() -> str:
    """The session's CSRF token (signed once per session on the fast path, course/fast/csrf.py)."""
    return signed_token() if fast.enabled() else generate_csrf()


def is_safe_redirect(target: str | None) -> bool:
    """Only same-site paths: no scheme, no host, no protocol-relative '//' or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
