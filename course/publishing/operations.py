"""Import content files into published revisions, export them back, read what is published."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from course.audit import operations as audit
from course.core.catalog import CatalogBuild, Problem, build_catalog
from course.core.catalog.loader import COURSE_FILE
from course.core.quiz import QUIZ_FILE, QUIZ_FOLDER
from course.core.text.figures import FIGURE_NAME
from course.core.text.yamldoc import YamlProblem, parse_mapping
from course.extensions import db
from course.models import ContentRevision, ContentState, utcnow

CONTENT_SUFFIXES = (".md", ".yml", ".svg")  # .svg: lesson figures in <course>/figures/


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def refused(self) -> list[str]:
        return sorted({problem.path for problem in self.problems})


def read_content_files(root: Path) -> tuple[dict[str, str], list[Problem]]:
    """Read every content file under `root` as text, keyed by its POSIX path relative to `root`."""
    files: dict[str, str] = {}
    problems: list[Problem] = []
    if not root.is_dir():
        return files, [Problem(str(root), None, "content folder not found")]
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix not in CONTENT_SUFFIXES:
            continue
        relative = path.relative_to(root).as_posix()
        try:
            files[relative] = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as error:
            problems.append(Problem(relative, None, f"not UTF-8 text (byte {error.start})"))
    return files, problems


def read_course_files(content_dir: Path, quiz_dir: Path | None) -> tuple[dict[str, str], list[Problem]]:
    """Lessons from `content_dir` and quizzes from `quiz_dir`, keyed as the catalog expects (`quizzes/...`).

    An exported tree keeps its quizzes in `<dir>/quizzes/`, so reading it alone (quiz_dir None) finds them too.
    """
    files, problems = read_content_files(content_dir)
    if quiz_dir is not None and quiz_dir.is_dir():
        quiz_files, quiz_problems = read_content_files(quiz_dir)
        files.update({f"{QUIZ_FOLDER}/{path}": text for path, text in quiz_files.items() if path.endswith(".yml")})
        problems += [Problem(f"{QUIZ_FOLDER}/{p.path}", p.line, p.message) for p in quiz_problems]
    return files, problems


def bundled_files(config: Mapping) -> tuple[dict[str, str], list[Problem]]:
    """The course shipped with the app: CONTENT_DIR and QUIZ_DIR."""
    return read_course_files(Path(config["CONTENT_DIR"]), Path(config["QUIZ_DIR"]))


def published_revisions() -> list[ContentRevision]:
    return list(db.session.scalars(select(ContentRevision).where(ContentRevision.status == "published")))


def published_files() -> dict[str, str]:
    return {revision.path: revision.source for revision in published_revisions()}


def content_version() -> int:
    """The cheap check each process makes before reusing its cached catalog."""
    return db.session.scalar(select(ContentState.version).where(ContentState.id == 1)) or 0


def _checksum(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def import_files(
    files: dict[str, str],
    read_problems: Iterable[Problem] = (),
    author_id: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> ImportReport:
    """Publish every valid changed file as a new revision; refuse broken files, keeping their last good one.

    The caller commits, so the whole import lands or nothing does.
    """
    build = build_catalog(files)
    report = ImportReport(problems=sorted([*read_problems, *build.problems]))
    refused = set(report.refused)
    current = {revision.path: revision for revision in published_revisions()}
    last_numbers = dict(  # one statement for all files, not one per file
        db.session.execute(
            select(ContentRevision.path, func.max(ContentRevision.number))
            .where(ContentRevision.path.in_(list(files)))
            .group_by(ContentRevision.path)
        ).all()
    )
    for path, text in sorted(files.items()):
        if progress:
            progress(path)
        if path in refused or not _is_content_file(path, build):
            continue
        checksum = _checksum(text)
        previous = current.get(path)
        if previous is not None and previous.checksum == checksum:
            report.unchanged.append(path)
            continue
        number = last_numbers.get(path, 0) + 1
        if previous is not None:
            previous.status = "archived"
        db.session.add(
            ContentRevision(
                path=path, number=number, status="published", source=text, checksum=checksum, author_id=author_id
            )
        )
        report.created.append(path)
    if report.created:
        bump_content_version()
    db.session.flush()
    return report


def _is_content_file(path: str, build: CatalogBuild) -> bool:
    """Only files the catalog understands are stored (course.yml, lessons and quizzes of a known course)."""
    folder, _, name = path.partition("/")
    if folder == QUIZ_FOLDER:
        match = QUIZ_FILE.match(path)
        folder, name = (match.group("course"), "quiz") if match else ("", "")
    if FIGURE_NAME.fullmatch(name):
        name = "figure"  # a lesson figure (content/<course>/figures/<name>.svg), stored like a lesson
    return bool(name) and "/" not in name and any(course.id == folder for course in build.catalog.courses)


def bump_content_version() -> None:
    state = db.session.get(ContentState, 1, with_for_update=True)
    if state is None:
        db.session.add(ContentState(id=1, version=1))
    else:
        state.version += 1
        state.updated_at = utcnow()


def export_files(target: Path, progress: Callable[[str], None] | None = None) -> list[str]:
    """Write each published revision back to its file, byte for byte as it was imported."""
    written = []
    for revision in sorted(published_revisions(), key=lambda r: r.path):
        if progress:
            progress(revision.path)
        destination = target / revision.path
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(revision.source.encode("utf-8"))
        written.append(revision.path)
    return written


# --- Drafts, publishing and history (the studio) ----------------------------------------------------------------
#
# Every save is a new numbered revision of one file. The newest revision of a path is what an editor starts from:
# a form carries its number as `base`, and a save or publish whose base is no longer the newest is refused
# (ConflictError) instead of overwriting someone else's work. At most one revision per path is "published";
# the one it replaced becomes "archived"; saved but unpublished revisions stay "draft".


class ConflictError(Exception):
    """The file changed since the editor opened it: `newest` is what is there now (None: it was never saved)."""

    def __init__(self, path: str, base: int | None, newest: ContentRevision | None) -> None:
        super().__init__(
            f"{path}: edited from revision {base}, but revision {newest.number if newest else None} is newest"
        )
        self.path, self.base, self.newest = path, base, newest


def revisions(path: str) -> list[ContentRevision]:
    """Every revision of one file, newest first: the history."""
    statement = select(ContentRevision).where(ContentRevision.path == path).order_by(ContentRevision.number.desc())
    return list(db.session.scalars(statement))


def newest_revision(path: str, *, for_update: bool = False) -> ContentRevision | None:
    statement = (
        select(ContentRevision).where(ContentRevision.path == path).order_by(ContentRevision.number.desc()).limit(1)
    )
    if for_update:
        statement = statement.with_for_update()
    return db.session.scalar(statement)


def revision(path: str, number: int) -> ContentRevision | None:
    return db.session.scalar(
        select(ContentRevision).where(ContentRevision.path == path, ContentRevision.number == number)
    )


def _check_base(path: str, base: int | None) -> ContentRevision | None:
    newest = newest_revision(path, for_update=True)
    if (newest.number if newest else None) != base:
        raise ConflictError(path, base, newest)
    return newest


def save_draft(path: str, text: str, author_id: int | None, base: int | None) -> ContentRevision:
    """A new draft revision of `path` made from `base` (the newest number the editor saw; None for a new file).

    Saving the newest draft's exact text again adds nothing and returns it. The caller commits; two saves from
    the same base race on the (path, number) unique constraint, and the loser's commit fails (IntegrityError),
    which the caller reports as a conflict too.
    """
    newest = _check_base(path, base)
    checksum = _checksum(text)
    if newest is not None and newest.status == "draft" and newest.checksum == checksum:
        return newest
    draft = ContentRevision(
        path=path,
        number=(newest.number if newest else 0) + 1,
        status="draft",
        source=text,
        checksum=checksum,
        author_id=author_id,
    )
    db.session.add(draft)
    db.session.flush()
    return draft


def new_lessons_listed(path: str, text: str) -> list[ContentRevision]:
    """The newest drafts of never-published lesson files that `text`, as a course.yml, lists.

    A new lesson cannot be published alone (course.yml does not list it yet), and course.yml cannot list a lesson
    that has no published file: so publishing course.yml takes the new lessons it lists along, all or none.
    """
    folder, _, name = path.partition("/")
    if name != COURSE_FILE or folder == QUIZ_FOLDER:
        return []
    try:
        listed = parse_mapping(text).data.get("lessons")
    except YamlProblem:
        return []
    if not isinstance(listed, list):
        return []
    wanted = {str(lesson_id) for lesson_id in listed}
    statement = (
        select(ContentRevision)
        .where(ContentRevision.path.like(f"{folder}/%.md"))
        .order_by(ContentRevision.path, ContentRevision.number)
    )
    newest: dict[str, ContentRevision] = {}
    ever_published: set[str] = set()
    for candidate in db.session.scalars(statement):
        newest[candidate.path] = candidate
        if candidate.status != "draft":
            ever_published.add(candidate.path)
    return [
        candidate
        for candidate_path, candidate in sorted(newest.items())
        if candidate_path not in ever_published
        and candidate_path.startswith(f"{folder}/")
        and "/" not in candidate_path[len(folder) + 1 :]
        and candidate_path[len(folder) + 1 :].split(".", 1)[0] in wanted
    ]


def publish_problems(path: str, text: str) -> list[Problem]:
    """What `course check` would say about the published course with `text` as `path`, beyond what it says now.

    Problems the published course already has elsewhere are not this file's fault and do not block it.
    """
    files = published_files()
    before = set(build_catalog(files).problems)
    changed = {**{r.path: r.source for r in new_lessons_listed(path, text)}, path: text}
    after = build_catalog({**files, **changed}).problems
    return sorted(
        (problem for problem in after if problem not in before), key=lambda p: (p.path, p.line or 0, p.message)
    )


def publish(path: str, number: int, author_id: int | None) -> list[Problem]:
    """Publish revision `number` of `path` if it is the newest and the course stays valid with it.

    Returns the problems that refuse it (nothing changes then), or [] once published: the old published
    revision is archived and every process reloads its catalog. A course.yml takes the new lessons it lists along
    (`new_lessons_listed`). Raises ConflictError if a newer revision exists. The caller commits.
    """
    chosen = _check_base(path, number)
    if chosen is None:
        raise ConflictError(path, number, None)
    problems = publish_problems(path, chosen.source)
    if problems:
        return problems
    changed = [
        revision for revision in [chosen, *new_lessons_listed(path, chosen.source)] if revision.status != "published"
    ]
    if not changed:
        return []
    for revision in changed:
        current = db.session.scalar(
            select(ContentRevision).where(ContentRevision.path == revision.path, ContentRevision.status == "published")
        )
        if current is not None:
            current.status = "archived"
        revision.status = "published"
        revision.author_id = revision.author_id or author_id
        audit.record("published", target_label=revision.path, revision=revision.number)
    bump_content_version()
    db.session.flush()
    return []


def restore(path: str, number: int, author_id: int | None, base: int | None) -> ContentRevision:
    """An old revision's text saved again as a new draft (history is never rewritten)."""
    old = revision(path, number)
    if old is None:
        raise LookupError(f"{path} has no revision {number}")
    return save_draft(path, old.source, author_id, base)
