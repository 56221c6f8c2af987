"""Maintenance commands: `flask --app wsgi course ...`, `... quiz ...`, and the areas' own groups registered here
(`users` and `audit` in course/admin/cli.py, `certificates`, `backup`, `jobs`)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from yaml import YAMLError

from course.admin.cli import audit_cli, users_cli
from course.backup.cli import backup_cli
from course.certificates.cli import certificates_cli
from course.core.catalog import Problem, build_catalog
from course.core.errors import NotFound
from course.core.quiz import QUIZ_FILE, QUIZ_FOLDER, gift, parse_quiz
from course.core.text.yamldoc import safe_load
from course.extensions import MigrationsGroup, db
from course.jobs.cli import jobs_cli
from course.lti.cli import lti_cli
from course.lti.service_cli import lti_services_cli
from course.notifications.cli import notifications_cli
from course.outbox.cli import outbox_cli
from course.publishing import operations as publishing

_DIR_HELP = "Read this folder (lessons, quizzes in DIR/quizzes) instead of CONTENT_DIR and QUIZ_DIR."
course_cli = AppGroup("course", help="Check, import and export course content files.")
quiz_cli = AppGroup("quiz", help="Convert quizzes from and to Moodle GIFT.")


def _read(directory: str | None) -> tuple[str, dict[str, str], list]:
    """`--dir` alone (an exported tree keeps quizzes in DIR/quizzes), else the bundled lessons and quizzes."""
    if directory:
        files, problems = publishing.read_course_files(Path(directory), None)
        return Path(directory).name, files, problems
    files, problems = publishing.bundled_files(current_app.config)
    return Path(current_app.config["CONTENT_DIR"]).name, files, problems


@course_cli.command("check")
@click.option("--dir", "directory", type=click.Path(file_okay=False), help=_DIR_HELP)
def check_command(directory: str | None) -> None:
    """Validate every lesson and quiz file; list each problem with file and line; exit 1 if any."""
    root, files, read_problems = _read(directory)
    build = build_catalog(files)
    problems = sorted([*read_problems, *build.problems])
    for problem in problems:
        click.echo(_where(root, problem), err=True)
    lessons = sum(len(course.lessons) for course in build.catalog.courses)
    quizzes = sum(len(course.quizzes) for course in build.catalog.courses)
    questions = sum(len(quiz.questions) for course in build.catalog.courses for quiz in course.quizzes)
    if problems:
        click.echo(f"{len(problems)} problem(s) in {len({p.path for p in problems})} file(s).", err=True)
        sys.exit(1)
    click.echo(
        f"OK: {len(build.catalog.courses)} course(s), {lessons} lesson(s), {quizzes} quiz(zes) with "
        f"{questions} question(s), {len(files)} file(s) checked."
    )


def _where(root: str, problem: Problem) -> str:
    """Quiz paths already start with quizzes/; lesson paths are shown under their content folder."""
    return str(problem) if problem.path.startswith(f"{QUIZ_FOLDER}/") else f"{root}/{problem}"


@course_cli.command("import")
@click.option("--dir", "directory", type=click.Path(file_okay=False), help=_DIR_HELP)
def import_command(directory: str | None) -> None:
    """Publish changed files as new revisions; broken files are refused and keep their last good revision."""
    root, files, read_problems = _read(directory)
    with click.progressbar(length=len(files), label="Importing", file=sys.stderr) as bar:
        report = publishing.import_files(files, read_problems, progress=lambda _path: bar.update(1))
    db.session.commit()
    for problem in report.problems:
        click.echo(_where(root, problem), err=True)
    click.echo(
        f"{len(report.created)} new revision(s), {len(report.unchanged)} unchanged, {len(report.refused)} refused."
    )
    if report.refused:
        sys.exit(1)


@course_cli.command("export")
@click.argument("target", type=click.Path(file_okay=False))
def export_command(target: str) -> None:
    """Write the published revisions to TARGET as content files, byte for byte."""
    revisions = publishing.published_revisions()
    with click.progressbar(length=len(revisions), label="Exporting", file=sys.stderr) as bar:
        written = publishing.export_files(Path(target), progress=lambda _path: bar.update(1))
    click.echo(f"Wrote {len(written)} file(s) to {target}.")


_LANG_VALUE = re.compile(r"^(?P<lang>[a-z]{2})=(?P<value>.*)$", re.S)


@quiz_cli.command("import-gift")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--course", "course_id", required=True, help="The course the quiz belongs to.")
@click.option("--lang", required=True, help="The language the GIFT file is written in.")
@click.option("--lesson", required=True, metavar="LESSON_ID[#anchor]", help="The lesson section every question tests.")
@click.option("--id", "quiz_id", help="Quiz id (default: the file name).")
@click.option("--title", "titles", multiple=True, help="Quiz title in --lang, or LANG=TITLE (repeatable).")
@click.option("--translation", "translations", multiple=True, metavar="LANG=FILE", help="The same quiz in LANG.")
@click.option("--out", type=click.Path(dir_okay=False), help="Write here (default: QUIZ_DIR/<course>/<id>.yml).")
@click.option("--force", is_flag=True, help="Overwrite an existing quiz file.")
def import_gift_command(
    file: str,
    course_id: str,
    lang: str,
    lesson: str,
    quiz_id: str | None,
    titles: tuple[str, ...],
    translations: tuple[str, ...],
    out: str | None,
    force: bool,
) -> None:
    """Convert a Moodle GIFT file into a quiz file; list what was converted, skipped and lost."""
    files, _problems = publishing.bundled_files(current_app.config)
    try:
        course = build_catalog(files).catalog.course(course_id)
    except NotFound:
        raise click.UsageError(
            f"there is no valid course {course_id!r} in {current_app.config['CONTENT_DIR']}"
        ) from None
    if lang not in course.languages:
        raise click.UsageError(f"--lang must be one of the course's languages: {', '.join(course.languages)}")
    lesson_id, _, anchor = lesson.partition("#")
    if lesson_id not in course.lesson_ids:
        raise click.UsageError(f"--lesson: course {course_id!r} has no lesson {lesson_id!r}")
    quiz_id = quiz_id or gift.slug(Path(file).stem) or ""
    title = _title_option(titles, lang, course.languages)
    paired = {}
    for option in translations:
        match = _LANG_VALUE.match(option)
        if not match:
            raise click.UsageError(f"--translation {option!r}: write LANG=FILE, e.g. en=quiz.en.gift")
        if not Path(match["value"]).is_file():
            raise click.UsageError(f"--translation {option!r}: there is no file {match['value']}")
        paired[match["lang"]] = Path(match["value"]).read_bytes()  # decoded by the import (UTF-8, else noted)
    try:
        result = gift.import_gift(Path(file).read_bytes(), lang, course.languages, quiz_id, title, lesson, paired)
    except gift.GiftError as error:
        raise click.ClickException(str(error)) from None
    _report_import(file, lang, result)
    if not result.converted:
        click.echo("Nothing could be converted; no file written.", err=True)
        sys.exit(1)
    target = Path(out) if out else Path(current_app.config["QUIZ_DIR"]) / course_id / f"{quiz_id}.yml"
    if target.exists() and not force:
        raise click.UsageError(f"{target} exists; pass --force to overwrite it")
    header = f"Imported from {Path(file).name} ({', '.join(result.languages)}) with `flask quiz import-gift`."
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(gift.dump_yaml(result.data, header), encoding="utf-8")
    click.echo(f"Wrote {target}.")
    if anchor and not all(
        anchor in {e.anchor for e in course.lesson(lesson_id).text(code).toc} for code in result.languages
    ):
        click.echo(f"Check --lesson: lesson {lesson_id!r} has no section '#{anchor}' in every language.")
    if result.missing_languages:
        missing = ", ".join(result.missing_languages)
        click.echo(
            f"Only {', '.join(result.languages)} is filled in: `flask course check` reports every {missing} text as "
            f"missing until it is translated (or import again with --translation {result.missing_languages[0]}=FILE)."
        )
    _report_remaining(target, course_id, quiz_id, result)


def _title_option(titles: tuple[str, ...], lang: str, languages: tuple[str, ...]) -> dict[str, str] | None:
    given: dict[str, str] = {}
    for option in titles:
        match = _LANG_VALUE.match(option)
        if match and match["lang"] in languages:
            given[match["lang"]] = match["value"]
        else:
            given[lang] = option
    return given or None


def _report_import(file: str, lang: str, result: gift.GiftImport) -> None:
    click.echo(f"Converted {len(result.converted)} question(s) from {file} ({lang}):")
    for item in result.converted:
        click.echo(f"  line {item.line}: {item.gift_type} → {item.type} {item.id!r}")
    if result.skipped:
        click.echo(f"Skipped {len(result.skipped)} question(s) that have no equivalent:")
        for item in result.skipped:
            click.echo(f"  line {item.line}: {item.gift_type}: {item.reason}")
    if result.notes:
        click.echo("Notes (what the conversion changed or left to do):")
        for note in result.notes:
            click.echo(f"  line {note.line}: {note.message}" if note.line else f"  {note.message}")


def _report_remaining(target: Path, course_id: str, quiz_id: str, result: gift.GiftImport) -> None:
    """Problems `course check` will report besides the missing translations (e.g. a missing explanation)."""
    _quiz, problems = parse_quiz(
        f"{QUIZ_FOLDER}/{course_id}/{quiz_id}.yml", target.read_text(encoding="utf-8"), course_id, result.languages
    )
    if problems:
        click.echo("Still to fix in the quiz file before it can be published:")
        for problem in problems:
            click.echo(f"  {target}:{problem.line}: {problem.message}" if problem.line else f"  {problem.message}")


@quiz_cli.command("export-gift")
@click.argument("quiz_id")
@click.option("--lang", required=True, help="The language to export.")
@click.option("--course", "course_id", help="The course (needed when several courses have a quiz with this id).")
@click.option("--out", type=click.Path(dir_okay=False), help="Write to this file instead of standard output.")
def export_gift_command(quiz_id: str, lang: str, course_id: str | None, out: str | None) -> None:
    """Write a published quiz as Moodle GIFT; skipped questions and lossy details are reported on stderr."""
    files = publishing.published_files()
    found = {
        match["course"]: path
        for path in files
        if (match := QUIZ_FILE.match(path)) and match["id"] == quiz_id and course_id in (None, match["course"])
    }
    if not found:
        where = f" in course {course_id!r}" if course_id else ""
        published = sorted(QUIZ_FILE.match(p)["id"] for p in files if QUIZ_FILE.match(p))
        raise click.UsageError(f"no published quiz {quiz_id!r}{where} (published: {', '.join(published) or 'none'})")
    if len(found) > 1:
        raise click.UsageError(f"quiz {quiz_id!r} exists in courses {', '.join(sorted(found))}: pass --course")
    ((course, path),) = found.items()
    languages = _course_languages(files.get(f"{course}/course.yml", ""))
    if lang not in languages:
        raise click.UsageError(f"--lang must be one of the course's languages: {', '.join(languages)}")
    try:
        result = gift.export_gift(files[path], lang, languages, course)
    except gift.GiftError as error:
        raise click.ClickException(str(error)) from None
    if out:
        Path(out).write_text(result.text, encoding="utf-8")
    else:
        click.echo(result.text, nl=False)
    for item in result.skipped:
        click.echo(f"skipped {item.type} question {item.question_id!r}: {item.reason}", err=True)
    for note in result.notes:
        click.echo(f"note{f' ({note.question_id})' if note.question_id else ''}: {note.message}", err=True)
    exported = result.text.count("// [id:")
    click.echo(f"Exported {exported} question(s) of {quiz_id!r} ({lang}){f' to {out}' if out else ''}.", err=True)


def _course_languages(source: str) -> tuple[str, ...]:
    try:
        data = safe_load(source)
    except (YAMLError, ValueError):  # ValueError: a value Python cannot hold (a 5,000-digit integer)
        return ()
    languages = data.get("languages") if isinstance(data, dict) else None
    return tuple(str(lang) for lang in languages) if isinstance(languages, list) else ()


def add_commands(group: click.Group) -> None:
    """Called by the app's command group the first time the command line asks for a command."""
    group.add_command(MigrationsGroup("db", help="Database migrations (Alembic, through Flask-Migrate)."))
    group.add_command(course_cli)
    group.add_command(users_cli)
    group.add_command(audit_cli)
    group.add_command(quiz_cli)
    group.add_command(certificates_cli)
    group.add_command(backup_cli)
    group.add_command(notifications_cli)
    group.add_command(outbox_cli)
    group.add_command(lti_services_cli)
    group.add_command(lti_cli)
    group.add_command(jobs_cli)
