"""Pages that are the same for every visitor but a few holes, rendered once per catalog version.

A lesson page is mostly the lesson: rendering it with Jinja on every request would redo identical work.
The template is rendered once with `hole(name)` markers; each request only fills the holes (the user's
name, CSRF tokens, progress). Markers carry a random nonce that never leaves the process, and hole values
are inserted after the page is split, so neither content nor a learner's name can forge a hole.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable, Hashable, Mapping

from flask import Flask, current_app, get_template_attribute, render_template, request, session
from flask_login import UserMixin
from flask_login.mixins import AnonymousUserMixin
from markupsafe import Markup, escape

from course.auth.access import STAFF
from course.security import csrf_token


class ShellCache:
    """Rendered pages split at their holes, for the current catalog version; at most `limit` pages."""

    def __init__(self, limit: int = 2048) -> None:
        self.limit = limit
        self._nonce = secrets.token_hex(8)
        self._marker = re.compile(rf"\ue000{self._nonce}:(\w+)\ue001")
        self._pages: dict[Hashable, list[str]] = {}
        self._version: int | None = None
        self._lock = threading.Lock()

    def hole(self, name: str) -> Markup:
        return Markup(f"\ue000{self._nonce}:{name}\ue001")  # noqa: S704 - name is ours, never user input

    def render(
        self,
        key: Hashable,
        version: int,
        template: str,
        holes: Mapping[str, Callable[[], str]],
        **context: object,
    ) -> str:
        """Render `template` once per (path, key, version); then fill each hole with its callable's (safe) HTML."""
        key = (request.path, key)  # the page links back to its own path (language switch)
        with self._lock:
            if version != self._version:
                self._pages.clear()
                self._version = version
            parts = self._pages.get(key)
        if parts is None:
            parts = self._marker.split(render_template(template, hole=self.hole, **context))
            with self._lock:
                if len(self._pages) >= self.limit:  # e.g. many combinations of completed lessons
                    self._pages.clear()
                self._pages[key] = parts
        # split() alternates literal text and hole names: even indexes are text, odd ones holes.
        return "".join(part if index % 2 == 0 else str(holes[part]()) for index, part in enumerate(parts))


def user_holes(user: UserMixin | AnonymousUserMixin) -> dict[str, Callable[[], str]]:
    """What every cached page fills in per request: CSRF token, the user's name, pending messages, and the
    studio link (only for trainers and admins: a shell is shared by every role)."""
    return {
        "csrf_token": csrf_token,
        "user_name": lambda: escape(user.display_name),
        "flashes": get_template_attribute("macros.html", "flashes") if "_flashes" in session else str,
        "studio_link": (
            get_template_attribute("macros.html", "studio_link")
            if user.is_authenticated and user.role in STAFF
            else str
        ),
    }


def init_app(app: Flask) -> None:
    # Certificate checks get their own, smaller cache: many different certificates opened once each (or a
    # scanner trying ids) must not push the course's pages out.
    app.extensions["course_shells"] = {"pages": ShellCache(), "verify": ShellCache(limit=512)}


def shells(kind: str = "pages") -> ShellCache:
    return current_app.extensions["course_shells"][kind]
