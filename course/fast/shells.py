"""Page shells: a page that is the same for every visitor but a few holes is rendered once, then only filled.

A lesson page is mostly the lesson: rendering it with Jinja on every request would redo identical work. The
template is rendered once with `hole(name)` markers; each request only fills the holes (the user's name, the
CSRF token, progress, messages). Markers carry a random nonce that never leaves the process, and hole values
are inserted after the page is split, so neither content nor a learner's name can forge a hole.

Two rules keep a shell from showing one user's data to another:
- The key is derived from everything the render depends on: the template, the catalog version, the path and
  every context value (`shell_key`). No view builds a key by hand.
- While a shell renders, the per-request state a template could reach (`current_user`, `session`, `g`,
  `request` beyond its path, `csrf_token()`, flashed messages) raises `ShellLeak`. Per-user values reach a
  shell only through its holes, or as context values, which are part of the key.

Inside `cached_only()` (the page lane, course/fast/lane.py, which has no request to render with) a page or
fragment that is not kept yet is not rendered: `NotCached` is raised, and the request goes the usual way.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import render_template
from markupsafe import Markup

from course.core.caching import cache
from course.core.catalog import Course, Lesson, LessonText
from course.core.quiz.model import Quiz

# Catalog objects are immutable within a catalog version, which is part of every key: their ids stand for them
# (hashing a whole course, lessons and quizzes included, on every request would cost more than the render saves).
# A quiz is also read at the revision an attempt started on, which the checksum of its file names.
_CATALOG_KEYS: dict[type, Callable[[Any], Hashable]] = {
    Course: lambda course: course.id,
    Lesson: lambda lesson: lesson.id,
    LessonText: lambda text: (text.lesson_id, text.lang),
    Quiz: lambda quiz: (quiz.id, quiz.checksum),
}


class ShellLeak(RuntimeError):
    """A shell template read per-request state outside a hole: the page would show one user's data to all."""


class NotCached(LookupError):
    """Inside `cached_only()`: the page or fragment asked for is not kept, and rendering it needs a request."""


_CACHED_ONLY: ContextVar[bool] = ContextVar("shells_cached_only", default=False)


@contextmanager
def cached_only() -> Iterator[None]:
    """Pages and fragments are only looked up, never rendered: a miss raises NotCached."""
    token = _CACHED_ONLY.set(True)
    try:
        yield
    finally:
        _CACHED_ONLY.reset(token)


class _Forbidden:
    """Stands in for per-request state while a shell renders; any use of it raises ShellLeak."""

    def __init__(self, name: str) -> None:
        self._name = name

    def _leak(self, *_args: object, **_kwargs: object) -> None:
        raise ShellLeak(f"a cached page shell read {self._name!r}; pass it as a hole or a context value")

    __getattr__ = __call__ = __getitem__ = __iter__ = __bool__ = __str__ = __html__ = __contains__ = _leak


class _ShellRequest:
    """The request as a shell may see it: only its path, which is part of the key."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __getattr__(self, name: str) -> None:
        raise ShellLeak(f"a cached page shell read request.{name}; only request.path is part of its key")


_GUARDS = {name: _Forbidden(name) for name in ("current_user", "session", "g", "csrf_token", "get_flashed_messages")}
# Values the app's context processors give every page per request: a shell must get them as context (keyed).
_UNLESS_GIVEN = {name: _Forbidden(name) for name in ("lang", "authenticated")}
# A fragment is keyed on its context alone, and filled into a page as it is.
_NOT_IN_FRAGMENTS = {name: _Forbidden(name) for name in ("request", "hole")}


_SCALARS = frozenset({str, int, float, bool, type(None)})


def frozen(value: object) -> Hashable:
    """A hashable stand-in that is equal for equal values: the part of a shell key one context value makes."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    key_of = _CATALOG_KEYS.get(kind)
    if key_of is not None:
        return (kind.__name__, key_of(value))
    if kind.__hash__ is not None and kind.__hash__ is not object.__hash__:
        try:
            hash(value)  # a value type: a frozen dataclass, a tuple of them, a datetime …
        except TypeError:
            pass  # it holds something unhashable (a catalog object, a dict): taken apart below
        else:
            return value
    if isinstance(value, Mapping):
        return ("mapping", tuple(sorted((key, frozen(item)) for key, item in value.items())))
    if isinstance(value, set | frozenset):
        return ("set", frozenset(frozen(item) for item in value))
    if isinstance(value, list | tuple):
        return ("seq", tuple(frozen(item) for item in value))
    params = getattr(kind, "__dataclass_params__", None)
    if params is not None and params.frozen:
        return (kind.__name__, tuple(frozen(getattr(value, f.name)) for f in dataclasses.fields(value)))
    raise TypeError(f"a page shell cannot be keyed on a {kind.__name__}: pass plain or frozen data")


class ShellKey:
    """A shell's key with its hash computed once: the cache hashes a key more than once per lookup, and a key
    holds the whole context."""

    __slots__ = ("_hash", "parts")

    def __init__(self, parts: tuple) -> None:
        self.parts = parts
        self._hash = hash(parts)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        return isinstance(other, ShellKey) and self._hash == other._hash and self.parts == other.parts


def shell_key(template: str, version: int, path: str, context: Mapping[str, object]) -> ShellKey:
    # In the order the view passes them: one call site always passes the same names in the same order.
    return ShellKey((template, version, path, *[(name, frozen(value)) for name, value in context.items()]))


class _Shell:
    """A rendered page split at its holes: even indexes are text, odd ones hole names (what `re.split` gives)."""

    __slots__ = ("_encoded", "parts")

    def __init__(self, parts: list[str]) -> None:
        self.parts = parts
        self._encoded: list[bytes | str] | None = None

    def encoded(self) -> list[bytes | str]:
        """The text parts as UTF-8 (hole names stay as they are), encoded on first use: only pages sent as bytes
        keep a second copy."""
        if self._encoded is None:
            self._encoded = [part.encode() if index % 2 == 0 else part for index, part in enumerate(self.parts)]
        return self._encoded


def _filled(parts: list[str], holes: Mapping[str, Callable[[], str]]) -> dict[str, str]:
    """Each hole's HTML, computed once even where the hole appears twice (the CSRF token)."""
    filled: dict[str, str] = {}
    for name in parts[1::2]:
        if name not in filled:
            filled[name] = str(holes[name]())
    return filled


class ShellCache:
    """Rendered pages split at their holes; a bounded cache of its own per kind of page and app."""

    def __init__(self, name: str, limit: int) -> None:
        self._nonce = secrets.token_hex(8)
        self._marker = re.compile(rf"\ue000{self._nonce}:(\w+)\ue001")
        self._pages = cache(name, limit)

    def hole(self, name: str) -> Markup:
        return Markup(f"\ue000{self._nonce}:{name}\ue001")  # noqa: S704 - name is ours, never user input

    def render(
        self,
        template: str,
        version: int,
        holes: Mapping[str, Callable[[], str]],
        context: Mapping[str, object],
        *,
        path: str | None,
    ) -> str:
        """Render `template` once per key; then fill each hole with its callable's (already safe) HTML. `path` is
        the request's path, part of the key; None shares one shell between paths (each attempt of a quiz has its
        own), and the template may then not read the request at all."""
        shell = self._shell(template, version, context, path)
        filled = _filled(shell.parts, holes)
        return "".join(part if index % 2 == 0 else filled[part] for index, part in enumerate(shell.parts))

    def render_bytes(
        self,
        template: str,
        version: int,
        holes: Mapping[str, Callable[[], str]],
        context: Mapping[str, object],
        *,
        path: str | None,
    ) -> bytes:
        """`render` as UTF-8, from the shell's text encoded once: encoding a whole lesson page with its umlauts
        cost about as much as filling it (the page lane sends bytes)."""
        shell = self._shell(template, version, context, path)
        filled = {name: html.encode() for name, html in _filled(shell.parts, holes).items()}
        return b"".join(part if index % 2 == 0 else filled[part] for index, part in enumerate(shell.encoded()))

    def _shell(self, template: str, version: int, context: Mapping[str, object], path: str | None) -> _Shell:
        key = shell_key(template, version, path or "", context)
        shell = self._pages.get(key)
        if shell is None:
            if _CACHED_ONLY.get():
                raise NotCached(template)
            seen = _ShellRequest(path) if path is not None else _NOT_IN_FRAGMENTS["request"]
            guarded = {**_UNLESS_GIVEN, **context, **_GUARDS, "request": seen, "hole": self.hole}
            shell = self._pages.put(key, _Shell(self._marker.split(render_template(template, **guarded))))
        return shell

    def fragment(self, template: str, version: int, context: Mapping[str, object]) -> Markup:
        """A piece of a page (the course sidebar) rendered once per context: no holes, and not keyed on the
        request's path, so the template may read neither."""
        key = shell_key(template, version, "", context)
        html = self._pages.get(key)
        if html is None:
            if _CACHED_ONLY.get():
                raise NotCached(template)
            guarded = {**_UNLESS_GIVEN, **context, **_GUARDS, **_NOT_IN_FRAGMENTS}
            rendered = Markup(render_template(template, **guarded))  # noqa: S704 - rendered by an autoescaping template
            html = self._pages.put(key, rendered)
        return html
