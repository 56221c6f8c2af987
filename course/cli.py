"""Maintenance commands: `flask --app wsgi course ...` and `flask --app wsgi users ...`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from course.auth import operations as accounts
from course.core.catalog import Problem, build_catalog
from course.core.quiz import QUIZ_FOLDER
from course.extensions import db
from course.models import ROLES
from course.publishing import operations as publishing

_DIR_HELP = "Read this folder (lessons, quizzes in DIR/quizzes) instead of CONTENT_DIR and QUIZ_DIR."
course_cli = AppGroup("course", help="Check, import and export course content files.")
users_cli = AppGroup("users", help="Manage accounts.")


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


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="learner", show_default=True)
@click.option("--name", "display_name", help="Display name (default: the part of the email before @).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of prompting.")
def create_user_command(email: str, role: str, display_name: str | None, password_stdin: bool) -> None:
    """Create an account. The password is prompted for (or read from stdin): there are no defaults."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise click.UsageError(f"the password must have at least {minimum} characters")
    try:
        user = accounts.create_user(email, password, display_name or email.split("@")[0], role=role)
    except accounts.AccountError as error:
        raise click.UsageError(str(error)) from None
    db.session.commit()
    click.echo(f"Created {user.role} {user.email}.")


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
def set_role_command(email: str, role: str) -> None:
    """Change an account's role."""
    user = accounts.find_user(email)
    if user is None:
        raise click.UsageError(f"no account with email {email}")
    user.role = role
    db.session.commit()
    click.echo(f"{user.email} is now {role}.")


def init_app(app: Flask) -> None:
    app.cli.add_command(course_cli)
    app.cli.add_command(users_cli)
