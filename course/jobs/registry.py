"""The kinds of job the site runs, by name: each area registers its own when it is imported (the certificate ZIP in
course/certificates/export.py, the CSV exports beside their pages), like the outbox's channels.

A kind is a plain function from the job's parameters (JSON, captured when the job was asked for) to a file, or to
nothing for a job that only does something (a "send now" or a periodic job). It reports progress through the
callable it is given; it runs in an app context in the asker's language, never in a request (docs/architecture.md,
"Background jobs").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class Progress(Protocol):
    def __call__(self, done: int, total: int | None = None, text: str | None = None) -> None: ...


@dataclass(frozen=True)
class Result:
    """The file a job made: its bytes, the name a browser saves it as, and its media type."""

    data: bytes
    filename: str
    media_type: str


@dataclass(frozen=True)
class JobKind:
    """`label` names the job on its page and in the admins' list (an English text marked for translation).
    `run(params, progress)` does the work and returns the file, if any; raising fails the attempt.

    `housekeeping`: a job the site queues for itself (a send, a periodic run): tried once (the next run is its retry),
    deleted as soon as it succeeded, and shown to admins only when it failed or waits too long. `every`: the name of
    the setting that holds its interval in seconds, for a periodic job the runners queue themselves (0: never)."""

    name: str
    label: str
    run: Callable[[dict, Progress], Result | None]
    housekeeping: bool = False
    every: str | None = None


class UnknownJobKind(LookupError):
    """A job names a kind no module registered (a job queued by a newer version, or a typo in a test)."""


_kinds: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    """Make a kind runnable; a second kind with the same name is refused, so two areas cannot both claim it."""
    if kind.name in _kinds and _kinds[kind.name] is not kind:
        raise ValueError(f"job kind {kind.name!r} is registered already")
    _kinds[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    """For tests that add a kind: take it away again."""
    _kinds.pop(name, None)


def kind(name: str) -> JobKind:
    try:
        return _kinds[name]
    except KeyError:
        raise UnknownJobKind(f"no job kind {name!r} is installed (known: {', '.join(sorted(_kinds))})") from None


def kinds() -> dict[str, JobKind]:
    return dict(_kinds)


def housekeeping() -> list[str]:
    """The names of the kinds the site queues for itself."""
    return sorted(name for name, kind in _kinds.items() if kind.housekeeping)
