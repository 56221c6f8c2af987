"""Where each content file stands (published, draft, new, missing) and which translations lag their source.

A translation counts as *outdated* when its newest revision (draft or published) was saved before the source
language's published revision: the source changed and went live since anyone last touched the translation.
Saving or publishing the translation clears the warning; a source draft that is not published yet does not
raise it (learners cannot see that change yet).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class RevisionInfo:
    """The metadata of one revision, without its text."""

    path: str
    number: int
    status: str  # draft | published | archived
    created_at: datetime


@dataclass(frozen=True)
class FileState:
    """The newest revision of a file and its published one (if any)."""

    path: str
    newest: RevisionInfo | None
    published: RevisionInfo | None

    @property
    def state(self) -> str:
        """missing (no revision) | new (drafts only) | draft (a draft newer than the published one) | published"""
        if self.newest is None:
            return "missing"
        if self.published is None:
            return "new"
        return "draft" if self.newest.number > self.published.number else "published"


def file_states(revisions: Iterable[RevisionInfo]) -> dict[str, FileState]:
    """Per path, its newest and its published revision."""
    newest: dict[str, RevisionInfo] = {}
    published: dict[str, RevisionInfo] = {}
    for info in revisions:
        if info.path not in newest or info.number > newest[info.path].number:
            newest[info.path] = info
        if info.status == "published":
            published[info.path] = info
    return {path: FileState(path, info, published.get(path)) for path, info in newest.items()}


def missing(path: str) -> FileState:
    return FileState(path, None, None)


def is_outdated(translation: FileState, source: FileState) -> bool:
    """True if the source's published revision is newer than anything saved of the translation."""
    if translation.newest is None or source.published is None:
        return False
    return translation.newest.created_at < source.published.created_at


def translation_warnings(states: Mapping[str, FileState], source_language: str) -> dict[str, str]:
    """For one lesson's files by language: language → "missing" | "outdated" for each lagging translation.

    The source language itself never gets a warning; a lesson with no file at all gets none either.
    """
    source = states.get(source_language)
    if source is None or all(state.newest is None for state in states.values()):
        return {}
    warnings = {}
    for lang, state in states.items():
        if lang == source_language:
            continue
        if state.newest is None:
            warnings[lang] = "missing"
        elif is_outdated(state, source):
            warnings[lang] = "outdated"
    return warnings


@dataclass(frozen=True)
class LessonRow:
    lesson_id: str
    listed: bool  # named under `lessons` in course.yml (only then do learners see it)
    files: Mapping[str, FileState]  # language → state
    warnings: Mapping[str, str]  # language → missing | outdated


@dataclass(frozen=True)
class QuizRow:
    quiz_id: str
    file: FileState


@dataclass(frozen=True)
class CourseOverview:
    course_id: str
    languages: tuple[str, ...]
    source_language: str
    course_file: FileState
    lessons: tuple[LessonRow, ...]
    quizzes: tuple[QuizRow, ...]


def course_overview(
    course_id: str,
    languages: tuple[str, ...],
    source_language: str,
    listed: tuple[str, ...],
    states: Mapping[str, FileState],
    quiz_folder: str = "quizzes",
) -> CourseOverview:
    """Every lesson of a course (listed ones in course order, then files course.yml does not name) and quiz."""
    prefix, quiz_prefix = f"{course_id}/", f"{quiz_folder}/{course_id}/"
    found: set[str] = set()
    quiz_ids = []
    for path in states:
        if path.startswith(prefix) and path.endswith(".md") and "/" not in path[len(prefix) :]:
            found.add(path[len(prefix) :].rsplit(".", 2)[0])
        elif path.startswith(quiz_prefix) and path.endswith(".yml"):
            quiz_ids.append(path[len(quiz_prefix) : -len(".yml")])
    lessons = []
    for lesson_id in [*listed, *sorted(found - set(listed))]:
        files = {
            lang: states.get(f"{prefix}{lesson_id}.{lang}.md") or missing(f"{prefix}{lesson_id}.{lang}.md")
            for lang in languages
        }
        lessons.append(LessonRow(lesson_id, lesson_id in listed, files, translation_warnings(files, source_language)))
    course_file = f"{prefix}course.yml"
    return CourseOverview(
        course_id=course_id,
        languages=languages,
        source_language=source_language,
        course_file=states.get(course_file) or missing(course_file),
        lessons=tuple(lessons),
        quizzes=tuple(QuizRow(quiz_id, states[f"{quiz_prefix}{quiz_id}.yml"]) for quiz_id in sorted(quiz_ids)),
    )
