"""The studio's reads and writes: file states for the overview, history with authors, saving and checking text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from threading import Lock

from flask import current_app
from sqlalchemy import select

from course.core.authoring.paths import ContentPath, course_path
from course.core.authoring.states import (
    CourseOverview,
    FileState,
    RevisionInfo,
    course_overview,
    file_states,
    missing,
)
from course.core.catalog import Catalog, Problem, build_catalog
from course.core.catalog.loader import SUPPORTED_LANGUAGES
from course.core.errors import NotFound
from course.core.text.yamldoc import YamlProblem, parse_mapping
from course.extensions import db
from course.models import ContentRevision, User
from course.publishing import operations as publishing

DEFAULT_SOURCE_LANGUAGE = "de"


@dataclass(frozen=True)
class HistoryEntry:
    number: int
    status: str
    created_at: datetime
    author: str | None


def revision_infos() -> list[RevisionInfo]:
    """Every revision's metadata (never the texts): what the overview needs, in one query."""
    rows = db.session.execute(
        select(ContentRevision.path, ContentRevision.number, ContentRevision.status, ContentRevision.created_at)
    )
    return [RevisionInfo(path, number, status, created_at) for path, number, status, created_at in rows]


def overviews(catalog: Catalog) -> list[CourseOverview]:
    """One overview per course: the published ones, and course folders that so far have only a draft course.yml."""
    states = file_states(revision_infos())
    courses = {course.id: course for course in catalog.courses}
    folders = sorted(
        {path.split("/", 1)[0] for path in states if path.endswith("/course.yml") and path.count("/") == 1}
    )
    result = []
    for course_id in sorted(set(courses) | set(folders)):
        course = courses.get(course_id)
        result.append(
            course_overview(
                course_id,
                course.languages if course else SUPPORTED_LANGUAGES,
                course.source_language if course else DEFAULT_SOURCE_LANGUAGE,
                _listed_lessons(course_id, catalog),
                states,
            )
        )
    return result


def _listed_lessons(course_id: str, catalog: Catalog) -> tuple[str, ...]:
    """The lesson ids the published course.yml names, in order (the catalog drops ids without a valid file)."""
    published = db.session.scalar(
        select(ContentRevision.source).where(
            ContentRevision.path == course_path(course_id).path, ContentRevision.status == "published"
        )
    )
    if published is None:
        return ()
    try:
        lessons = parse_mapping(published).data.get("lessons")
    except YamlProblem:
        lessons = None
    if not isinstance(lessons, list):
        return tuple(lesson.id for lesson in _course_lessons(course_id, catalog))
    return tuple(dict.fromkeys(str(lesson) for lesson in lessons))


def _course_lessons(course_id: str, catalog: Catalog) -> tuple:
    try:
        return catalog.course(course_id).lessons
    except NotFound:
        return ()


def history(path: str) -> list[HistoryEntry]:
    """Every revision of a file, newest first, with its author's name (None once the account is deleted)."""
    statement = (
        select(ContentRevision.number, ContentRevision.status, ContentRevision.created_at, User.display_name)
        .outerjoin(User, User.id == ContentRevision.author_id)
        .where(ContentRevision.path == path)
        .order_by(ContentRevision.number.desc())
    )
    return [HistoryEntry(*row) for row in db.session.execute(statement)]


def author_name(revision: ContentRevision) -> str | None:
    return db.session.get(User, revision.author_id).display_name if revision.author_id else None


def save(path: str, text: str, author_id: int | None, base: int | None) -> tuple[ContentRevision, bool]:
    """Save `text` as a draft unless it is exactly the newest revision already; returns (revision, created).

    Unlike `save_draft`, re-saving the published text unchanged adds no draft: nothing was edited.
    Raises ConflictError if `base` is stale. The caller commits.
    """
    newest = publishing.newest_revision(path)
    if newest is not None and newest.number == base and newest.source == text:
        return newest, False
    return publishing.save_draft(path, text, author_id, base), True


def create_file(target: ContentPath, text: str, author_id: int | None) -> ContentRevision | None:
    """A new file's first draft; None if the path already has revisions (the trainer should edit it instead)."""
    if publishing.newest_revision(target.path) is not None:
        return None
    return publishing.save_draft(target.path, text, author_id, None)


class _PublishedProblems:
    """The problems the published course already has, per content version: a preview only rebuilds the course
    with the edited file, not the published course again (that halves the time a live preview takes)."""

    def __init__(self) -> None:
        self._version: int | None = None
        self._problems: frozenset[Problem] = frozenset()
        self._lock = Lock()

    def get(self, version: int, files: dict[str, str]) -> frozenset[Problem]:
        with self._lock:
            if version == self._version:
                return self._problems
        problems = frozenset(build_catalog(files).problems)
        with self._lock:
            self._version, self._problems = version, problems
        return problems


def _published_problems() -> _PublishedProblems:
    """One cache per app (tests run several apps, each on its own database, in one process)."""
    return current_app.extensions.setdefault("studio_published_problems", _PublishedProblems())


def check_text(path: str, text: str) -> list[Problem]:
    """What publishing `text` as `path` would be refused for, as `publish_problems` says, faster."""
    version = publishing.content_version()  # before the files: a publish in between only costs a rebuild
    files = publishing.published_files()
    before = _published_problems().get(version, files)
    changed = {**{r.path: r.source for r in publishing.new_lessons_listed(path, text)}, path: text}
    after = build_catalog({**files, **changed}).problems
    return sorted((p for p in after if p not in before), key=lambda p: (p.path != path, p.path, p.line or 0, p.message))


def states_of(paths: dict[str, str]) -> dict[str, FileState]:
    """The states of a few files (e.g. one lesson per language), keyed like `paths`."""
    rows = db.session.execute(
        select(ContentRevision.path, ContentRevision.number, ContentRevision.status, ContentRevision.created_at).where(
            ContentRevision.path.in_(list(paths.values()))
        )
    )
    states = file_states(RevisionInfo(*row) for row in rows)
    return {key: states.get(path) or missing(path) for key, path in paths.items()}
