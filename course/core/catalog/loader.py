"""Content files → validated, rendered catalog. Every problem names its file and line.

The input is plain data: a mapping from POSIX paths relative to the content root
(`kam-pay/course.yml`, `kam-pay/kam-mandate.de.md`) to the files' text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from course.core.caching import cache
from course.core.catalog.model import (
    Catalog,
    CompletionRule,
    Course,
    Lesson,
    LessonText,
    frozen_mapping,
)
from course.core.quiz.loader import QUIZ_FILE, QUIZ_FOLDER, parse_quiz
from course.core.quiz.model import Quiz
from course.core.text.figures import FIGURE_FOLDER
from course.core.text.markdown import Rendered, SourceScan, render_markdown, scan_source
from course.core.text.problem import Problem
from course.core.text.slug import ID_PATTERN
from course.core.text.yamldoc import YamlMapping, YamlProblem, parse_mapping

SUPPORTED_LANGUAGES = ("de", "en")
COURSE_FILE = "course.yml"
_LESSON_FILE = re.compile(r"^(?P<id>[^/]+)\.(?P<lang>[a-z]{2})\.md$")

_COURSE_KEYS = {
    "id",
    "source_language",
    "languages",
    "title",
    "description",
    "lessons",
    "completion",
    "sandbox",
    "access",
}
_COURSE_REQUIRED = {"id", "source_language", "languages", "title", "lessons"}
_COMPLETION_KEYS = {"lessons", "quizzes", "sandbox"}
_LESSON_KEYS = {"id", "lang", "title", "minutes", "objectives", "summary", "quiz"}
_LESSON_REQUIRED = {"id", "lang", "title", "minutes", "objectives", "summary"}
MAX_TITLE = 200
# Builds by the digest of their files: the live catalog, and room for the drafts a publish or a preview checks.
_BUILDS = cache("catalog.builds", 4, survives_clear_all=True)
ACCESS_MODES = ("open", "assigned")  # open: everyone; assigned: the groups it is assigned to
MAX_TEXT = 1000


@dataclass
class CatalogBuild:
    """A catalog of everything valid, plus every problem found; `refused` are the paths with problems."""

    catalog: Catalog
    problems: list[Problem] = field(default_factory=list)

    @property
    def refused(self) -> set[str]:
        return {problem.path for problem in self.problems}


@dataclass
class _CourseDoc:
    path: str
    folder: str
    id: str
    source_language: str
    languages: tuple[str, ...]
    titles: dict[str, str]
    descriptions: dict[str, str]
    lesson_ids: list[str]
    lesson_lines: list[int]
    completion: CompletionRule
    sandbox: bool
    access: str = "open"


@dataclass
class _LessonDoc:
    path: str
    id: str
    lang: str
    title: str
    minutes: int
    objectives: tuple[str, ...]
    summary: str
    quiz: str | None
    quiz_line: int
    body: str
    body_line: int
    scan: SourceScan
    rendered: Rendered | None = None


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, line: int | None, message: str) -> None:
        self.problems.append(Problem(path, line, message))


def build_catalog(files: Mapping[str, str], version: int = 0) -> CatalogBuild:
    """Validate and render every course under the content root; invalid files are left out.

    A build depends on the files' text alone, and costs about half a second for the bundled course: the same files
    are built once per process (the import's check and the catalog cache's build of a first start, a publish's
    check of the published files, every app a test process creates) and shared, with `version` set per call.
    """
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(f"{len(path)}:{path}{len(files[path])}:".encode())
        digest.update(files[path].encode())
    built = _BUILDS.get_or_compute(digest.digest(), lambda: _build_catalog(files))
    return CatalogBuild(catalog=replace(built.catalog, version=version), problems=list(built.problems))


def _build_catalog(files: Mapping[str, str]) -> CatalogBuild:
    found = _Collector()
    folders: dict[str, dict[str, str]] = {}
    quiz_files: dict[str, dict[str, str]] = {}
    figures: dict[str, dict[str, str]] = {}  # course folder -> {"figures/name.svg": text}
    for path in sorted(files):
        folder, _, name = path.partition("/")
        if folder == QUIZ_FOLDER:
            if match := QUIZ_FILE.match(path):
                quiz_files.setdefault(match.group("course"), {})[match.group("id")] = path
            continue
        if name.startswith(FIGURE_FOLDER) and name.endswith(".svg"):
            figures.setdefault(folder, {})[name] = files[path]
            continue
        if not name or "/" in name:
            continue  # files at the root (README) or deeper (images) are not lessons
        folders.setdefault(folder, {})[name] = path
    courses = []
    for folder, names in sorted(folders.items()):
        if COURSE_FILE not in names:
            if any(name.endswith(".md") for name in names):
                found.add(f"{folder}/{COURSE_FILE}", None, "missing: every course folder needs a course.yml")
            continue
        course = _build_course(folder, names, files, quiz_files.get(folder, {}), figures.get(folder, {}), found)
        if course is not None:
            courses.append(course)
    for course_id, paths in sorted(quiz_files.items()):
        if not any(course.id == course_id for course in courses) and course_id not in folders:
            for path in paths.values():
                found.add(
                    path, None, f"there is no course {course_id!r} for this quiz (content/{course_id}/course.yml)"
                )
    found.problems.sort(key=lambda p: (p.path, p.line or 0, p.message))
    return CatalogBuild(catalog=Catalog(courses=tuple(courses)), problems=found.problems)


def _build_course(
    folder: str,
    names: dict[str, str],
    files: Mapping[str, str],
    quiz_paths: dict[str, str],
    figures: Mapping[str, str],
    found: _Collector,
) -> Course | None:
    course_doc = _parse_course(names[COURSE_FILE], folder, files[names[COURSE_FILE]], found)
    if course_doc is None:
        return None
    lessons: dict[tuple[str, str], _LessonDoc] = {}
    existing: set[tuple[str, str]] = set()
    for name, path in names.items():
        if name == COURSE_FILE or not name.endswith(".md"):
            continue
        if match := _LESSON_FILE.match(name):
            existing.add((match.group("id"), match.group("lang")))
        doc = _parse_lesson(path, name, files[path], course_doc, figures, found)
        if doc is None:
            continue
        key = (doc.id, doc.lang)
        if key in lessons:
            found.add(path, 2, f"duplicate lesson id {doc.id!r} in {doc.lang!r} (also in {lessons[key].path})")
            continue
        lessons[key] = doc
    _check_course_lessons(course_doc, lessons, existing, found)
    _check_links(course_doc, lessons, found)
    quizzes = _build_quizzes(course_doc, lessons, quiz_paths, files, found)
    built = []
    for number, lesson_id in enumerate(
        [i for i in course_doc.lesson_ids if any((i, lang) in lessons for lang in course_doc.languages)],
        start=1,
    ):
        texts = {
            lang: _lesson_text(lessons[(lesson_id, lang)])
            for lang in course_doc.languages
            if (lesson_id, lang) in lessons
        }
        built.append(Lesson(id=lesson_id, number=number, texts=frozen_mapping(texts)))
    return Course(
        id=course_doc.id,
        source_language=course_doc.source_language,
        languages=course_doc.languages,
        titles=frozen_mapping(course_doc.titles),
        descriptions=frozen_mapping(course_doc.descriptions),
        lessons=tuple(built),
        completion=course_doc.completion,
        quizzes=quizzes,
        sandbox=course_doc.sandbox,
        access=course_doc.access,
    )


def _build_quizzes(
    course: _CourseDoc,
    lessons: dict[tuple[str, str], _LessonDoc],
    quiz_paths: dict[str, str],
    files: Mapping[str, str],
    found: _Collector,
) -> tuple[Quiz, ...]:
    """Parse the course's quiz files, check their lesson links, and order them as the lessons offer them."""
    anchors: dict[str, dict[str, frozenset[str]]] = {}
    for (lesson_id, lang), doc in lessons.items():
        if doc.rendered is not None:
            anchors.setdefault(lesson_id, {})[lang] = doc.rendered.anchors
    for lesson_id in course.lesson_ids:
        anchors.setdefault(lesson_id, {})
    quizzes: dict[str, Quiz] = {}
    for quiz_id, path in sorted(quiz_paths.items()):
        quiz, problems = parse_quiz(path, files[path], course.id, course.languages, anchors)
        for problem in problems:
            found.add(problem.path, problem.line, problem.message)
        if quiz is not None:
            quizzes[quiz_id] = quiz
    offered: list[str] = []
    for lesson_id in course.lesson_ids:
        for lang in course.languages:
            doc = lessons.get((lesson_id, lang))
            if doc is None or doc.quiz is None:
                continue
            if doc.quiz not in quiz_paths:
                found.add(
                    doc.path,
                    doc.quiz_line,
                    f"quiz {doc.quiz!r} does not exist ({QUIZ_FOLDER}/{course.id}/{doc.quiz}.yml)",
                )
            elif doc.quiz not in offered:
                offered.append(doc.quiz)
    ordered = [quizzes[quiz_id] for quiz_id in offered if quiz_id in quizzes]
    ordered += [quiz for quiz_id, quiz in sorted(quizzes.items()) if quiz_id not in offered]
    return tuple(ordered)


def _lesson_text(doc: _LessonDoc) -> LessonText:
    assert doc.rendered is not None  # noqa: S101 - narrows the type: every lesson is rendered before this runs
    return LessonText(
        lesson_id=doc.id,
        lang=doc.lang,
        path=doc.path,
        title=doc.title,
        minutes=doc.minutes,
        objectives=doc.objectives,
        summary=doc.summary,
        quiz=doc.quiz,
        html=doc.rendered.html,
        toc=doc.rendered.toc,
        checks=doc.rendered.checks,
    )


def _check_keys(doc: YamlMapping, path: str, allowed: set[str], required: set[str], found: _Collector) -> bool:
    ok = True
    for key in doc.data:
        if key not in allowed:
            found.add(path, doc.line(key), f"unknown field {key!r} (allowed: {', '.join(sorted(allowed))})")
            ok = False
    for key in sorted(required - set(doc.data)):
        found.add(path, doc.first_line, f"missing required field {key!r}")
        ok = False
    return ok


def _text(value: object, limit: int) -> str | None:
    if isinstance(value, str) and value.strip() and len(value) <= limit:
        return value.strip()
    return None


def _parse_course(path: str, folder: str, text: str, found: _Collector) -> _CourseDoc | None:
    try:
        doc = parse_mapping(text)
    except YamlProblem as problem:
        found.add(path, problem.line, problem.message)
        return None
    if not _check_keys(doc, path, _COURSE_KEYS, _COURSE_REQUIRED, found):
        return None
    data = doc.data
    before = len(found.problems)
    if data["id"] != folder:
        found.add(path, doc.line("id"), f"id {data['id']!r} must match the folder name {folder!r}")
    if not isinstance(data["id"], str) or not ID_PATTERN.match(data["id"]):
        found.add(path, doc.line("id"), "id must be lowercase letters, digits and single hyphens")
    languages = data["languages"]
    if (
        not isinstance(languages, list)
        or not languages
        or any(lang not in SUPPORTED_LANGUAGES for lang in languages)
        or len(set(languages)) != len(languages)
    ):
        found.add(path, doc.line("languages"), f"languages must be a list drawn from {list(SUPPORTED_LANGUAGES)}")
        return None
    if data["source_language"] not in languages:
        found.add(path, doc.line("source_language"), "source_language must be one of the course's languages")
    titles = _translations(doc, "title", languages, MAX_TITLE, path, found)
    descriptions = _translations(doc, "description", languages, MAX_TEXT, path, found) if "description" in data else {}
    lesson_ids = data["lessons"]
    if not isinstance(lesson_ids, list) or not lesson_ids:
        found.add(path, doc.line("lessons"), "lessons must be a list of lesson ids in the order learners see them")
        lesson_ids = []
    seen: set[str] = set()
    for index, lesson_id in enumerate(lesson_ids):
        line = doc.item_line("lessons", index)
        if not isinstance(lesson_id, str) or not ID_PATTERN.match(lesson_id):
            found.add(path, line, f"lesson id {lesson_id!r} must be lowercase letters, digits and single hyphens")
        elif lesson_id in seen:
            found.add(path, line, f"duplicate lesson id {lesson_id!r} in lessons")
        seen.add(str(lesson_id))
    completion = _parse_completion(doc, path, found)
    sandbox = _parse_sandbox(doc, completion, path, found)
    access = data.get("access", "open")
    if access not in ACCESS_MODES:
        found.add(path, doc.line("access"), f"access must be one of {', '.join(ACCESS_MODES)}, not {access!r}")
    if len(found.problems) > before:
        return None
    return _CourseDoc(
        path=path,
        folder=folder,
        id=data["id"],
        source_language=data["source_language"],
        languages=tuple(languages),
        titles=titles,
        descriptions=descriptions or {lang: "" for lang in languages},
        lesson_ids=list(lesson_ids),
        lesson_lines=[doc.item_line("lessons", i) for i in range(len(lesson_ids))],
        completion=completion,
        sandbox=sandbox,
        access=access,
    )


def _translations(
    doc: YamlMapping, key: str, languages: list[str], limit: int, path: str, found: _Collector
) -> dict[str, str]:
    value = doc.data[key]
    if not isinstance(value, dict):
        found.add(path, doc.line(key), f"{key} must give one text per language: {', '.join(languages)}")
        return {}
    result = {}
    for lang in languages:
        text = _text(value.get(lang), limit)
        if text is None:
            found.add(
                path, doc.line(key), f"missing translation: {key} has no {lang!r} text (at most {limit} characters)"
            )
        else:
            result[lang] = text
    for lang in value:
        if lang not in languages:
            found.add(path, doc.line(key), f"{key} has text for {lang!r}, which is not one of the course's languages")
    return result


def _parse_completion(doc: YamlMapping, path: str, found: _Collector) -> CompletionRule:
    value = doc.data.get("completion") or {}
    if not isinstance(value, dict):
        found.add(path, doc.line("completion"), "completion must be a mapping, e.g. 'lessons: all'")
        return CompletionRule()
    for key in value:
        if key not in _COMPLETION_KEYS:
            allowed = "lessons, quizzes, sandbox"
            found.add(path, doc.line("completion"), f"unknown completion rule {key!r} (allowed: {allowed})")
    if value.get("lessons", "all") != "all":
        found.add(path, doc.line("completion"), "completion.lessons must be 'all'")
    if value.get("quizzes", "all") != "all":
        found.add(path, doc.line("completion"), "completion.quizzes must be 'all' (or left out)")
    sandbox = value.get("sandbox")
    if sandbox is not None and (isinstance(sandbox, bool) or not isinstance(sandbox, int) or not 0 < sandbox <= 100):
        found.add(path, doc.line("completion"), "completion.sandbox must be a whole score from 1 to 100, e.g. 70")
        sandbox = None
    return CompletionRule(lessons="all", quizzes="all" if "quizzes" in value else None, sandbox=sandbox)


def _parse_sandbox(doc: YamlMapping, completion: CompletionRule, path: str, found: _Collector) -> bool:
    """Whether the course has the bonus-plan sandbox: `sandbox: true`, or a completion rule that asks for a sandbox
    score (a course that requires the sandbox has it, so files written before the key keep their sandbox)."""
    value = doc.data.get("sandbox", completion.sandbox is not None)
    if not isinstance(value, bool):
        found.add(path, doc.line("sandbox"), "sandbox must be true or false")
        return False
    if not value and completion.sandbox is not None:
        found.add(path, doc.line("sandbox"), "completion.sandbox asks for a sandbox score, so sandbox cannot be false")
    return value


def split_front_matter(text: str) -> tuple[str, int, str, int]:
    """Split `---` front matter from the body; returns (front matter, its first line, body, its first line)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise YamlProblem(1, "missing front matter: the file must start with a '---' line")
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            return "\n".join(lines[1:index]), 2, "\n".join(lines[index + 1 :]), index + 2
    raise YamlProblem(1, "front matter is never closed: add a '---' line after it")


def _parse_lesson(
    path: str, name: str, text: str, course: _CourseDoc, figures: Mapping[str, str], found: _Collector
) -> _LessonDoc | None:
    match = _LESSON_FILE.match(name)
    if not match:
        found.add(path, None, "lesson file names must look like <lesson-id>.<language>.md, e.g. kam-mandate.de.md")
        return None
    text = text.removeprefix("\ufeff")
    try:
        front, front_line, body, body_line = split_front_matter(text)
        doc = parse_mapping(front, front_line)
    except YamlProblem as problem:
        found.add(path, problem.line, problem.message)
        return None
    if not _check_keys(doc, path, _LESSON_KEYS, _LESSON_REQUIRED, found):
        return None
    data = doc.data
    before = len(found.problems)
    lesson_id, lang = data["id"], data["lang"]
    if not isinstance(lesson_id, str) or not ID_PATTERN.match(lesson_id):
        found.add(path, doc.line("id"), "id must be lowercase letters, digits and single hyphens")
    elif lesson_id != match.group("id"):
        found.add(
            path, doc.line("id"), f"id {lesson_id!r} does not match the file name (expected {match.group('id')!r})"
        )
    if lang != match.group("lang"):
        found.add(
            path, doc.line("lang"), f"lang {lang!r} does not match the file name (expected {match.group('lang')!r})"
        )
    elif lang not in course.languages:
        found.add(
            path, doc.line("lang"), f"lang {lang!r} is not one of the course's languages {list(course.languages)}"
        )
    title = _text(data["title"], MAX_TITLE)
    if title is None:
        found.add(path, doc.line("title"), f"title must be text of 1 to {MAX_TITLE} characters")
    minutes = data["minutes"]
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 120:
        found.add(path, doc.line("minutes"), "minutes must be a whole number from 1 to 120")
    objectives = data["objectives"]
    if not isinstance(objectives, list) or not 1 <= len(objectives) <= 8:
        found.add(path, doc.line("objectives"), "objectives must be a list of 1 to 8 learning objectives")
        objectives = []
    for index, objective in enumerate(objectives):
        if _text(objective, MAX_TEXT) is None:
            found.add(path, doc.item_line("objectives", index), "each objective must be a sentence of text")
    summary = _text(data["summary"], MAX_TEXT * 2)
    if summary is None:
        found.add(path, doc.line("summary"), "summary must be text of 1 to 2000 characters")
    quiz = data.get("quiz")
    if quiz is not None and (not isinstance(quiz, str) or not ID_PATTERN.match(quiz)):
        found.add(path, doc.line("quiz"), "quiz must be a quiz id (lowercase letters, digits, hyphens)")
    scan = scan_source(body, body_line)
    for line, message in scan.problems:
        found.add(path, line, message)
    rendered = render_markdown(body, lang, lesson_id, figures, body_line) if isinstance(lang, str) else None
    for line, message in rendered.problems if rendered else ():
        found.add(path, line, message)
    if len(found.problems) > before:
        return None
    doc_ = _LessonDoc(
        path=path,
        id=lesson_id,
        lang=lang,
        title=title or "",
        minutes=minutes,
        objectives=tuple(o.strip() for o in objectives),
        summary=summary or "",
        quiz=quiz,
        quiz_line=doc.line("quiz"),
        body=body,
        body_line=body_line,
        scan=scan,
    )
    doc_.rendered = rendered
    return doc_


def _check_course_lessons(
    course: _CourseDoc,
    lessons: dict[tuple[str, str], _LessonDoc],
    existing: set[tuple[str, str]],
    found: _Collector,
) -> None:
    """Every listed lesson has a file per language; a broken file reports itself, a missing one here."""
    listed = set(course.lesson_ids)
    for (lesson_id, _lang), doc in sorted(lessons.items()):
        if lesson_id not in listed:
            found.add(doc.path, 2, f"lesson {lesson_id!r} is not listed under 'lessons' in {course.path}")
    for lesson_id, line in zip(course.lesson_ids, course.lesson_lines, strict=True):
        present = [lang for lang in course.languages if (lesson_id, lang) in lessons]
        if not any((lesson_id, lang) in existing for lang in course.languages):
            found.add(course.path, line, f"lesson {lesson_id!r} has no file ({lesson_id}.{course.source_language}.md)")
            continue
        if not present:
            continue
        for lang in course.languages:
            if (lesson_id, lang) not in existing:
                for other in present:
                    doc = lessons[(lesson_id, other)]
                    found.add(
                        doc.path,
                        2,
                        f"missing translation: lesson {lesson_id!r} has no {lang!r} text "
                        f"({course.folder}/{lesson_id}.{lang}.md)",
                    )
        first = lessons[(lesson_id, present[0])]
        for lang in present[1:]:
            other = lessons[(lesson_id, lang)]
            if other.quiz != first.quiz:
                found.add(other.path, 2, f"quiz {other.quiz!r} differs from {first.path} ({first.quiz!r})")


def _check_links(course: _CourseDoc, lessons: dict[tuple[str, str], _LessonDoc], found: _Collector) -> None:
    listed = set(course.lesson_ids)
    for (lesson_id, lang), doc in sorted(lessons.items()):
        for link in doc.scan.links:
            target_id = link.target or lesson_id
            if target_id not in listed:
                found.add(doc.path, link.line, f"broken link: there is no lesson {target_id!r} in this course")
                continue
            target = lessons.get((target_id, lang))
            if target is None or link.anchor is None or target.rendered is None:
                continue
            if link.anchor not in target.rendered.anchors:
                found.add(
                    doc.path,
                    link.line,
                    f"broken link: lesson {target_id!r} ({lang}) has no section '#{link.anchor}'",
                )
