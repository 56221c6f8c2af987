"""`flask course check|import|export` and `flask users ...` as an operator uses them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from course.extensions import db
from course.models import ContentRevision, User
from course.publishing.cache import catalog
from tests.conftest import CONTENT_DIR, QUIZ_DIR


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A folder laid out like `course export` writes it: lessons, and quizzes under quizzes/."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    shutil.copytree(QUIZ_DIR, target / "quizzes", ignore=shutil.ignore_patterns("*.md"))
    return target


def file_count(content: Path) -> int:
    return sum(1 for path in content.rglob("*") if path.suffix in {".md", ".yml", ".svg"})


def revision_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(ContentRevision.id)))


def test_check_passes_on_bundled_content(runner) -> None:
    result = runner.invoke(args=["course", "check"])
    assert result.exit_code == 0, result.output
    assert "OK: 1 course(s), 6 lesson(s)" in result.output


def test_check_names_file_and_line_and_fails(runner, content: Path) -> None:
    lesson = content / "kam-pay" / "kam-mandate.en.md"
    lesson.write_text(
        lesson.read_text(encoding="utf-8").replace("minutes:", "colour: blue\nminutes:", 1), encoding="utf-8"
    )
    result = runner.invoke(args=["course", "check", "--dir", str(content)])
    assert result.exit_code == 1
    assert "content/kam-pay/kam-mandate.en.md:5: unknown field 'colour'" in result.output


def test_check_reports_a_file_that_is_not_utf8(runner, content: Path) -> None:
    (content / "kam-pay" / "kam-mandate.de.md").write_bytes(b"---\nid: \xff\n")
    result = runner.invoke(args=["course", "check", "--dir", str(content)])
    assert result.exit_code == 1
    assert "kam-mandate.de.md: not UTF-8 text" in result.output


def test_import_is_idempotent(app, runner, content: Path) -> None:
    first = runner.invoke(args=["course", "import", "--dir", str(content)])
    assert first.exit_code == 0, first.output
    files = file_count(content)
    assert f"{files} new revision(s), 0 unchanged, 0 refused." in first.output
    second = runner.invoke(args=["course", "import", "--dir", str(content)])
    assert f"0 new revision(s), {files} unchanged, 0 refused." in second.output
    assert revision_count(app) == files


def test_changed_file_gets_a_new_revision_and_the_page_shows_it(app, runner, client, content: Path) -> None:
    runner.invoke(args=["course", "import", "--dir", str(content)])
    lesson = content / "kam-pay" / "kam-mandate.en.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\nA freshly added closing sentence.\n", encoding="utf-8")
    result = runner.invoke(args=["course", "import", "--dir", str(content)])
    assert f"1 new revision(s), {file_count(content) - 1} unchanged" in result.output
    page = client.get("/courses/kam-pay/lessons/kam-mandate", headers={"Accept-Language": "en"})
    assert "A freshly added closing sentence." in page.get_data(as_text=True)
    with app.app_context():
        statuses = db.session.execute(
            select(ContentRevision.number, ContentRevision.status)
            .where(ContentRevision.path == "kam-pay/kam-mandate.en.md")
            .order_by(ContentRevision.number)
        ).all()
    assert statuses == [(1, "archived"), (2, "published")]


def test_broken_file_is_refused_and_the_last_good_revision_keeps_serving(app, runner, client, content: Path) -> None:
    runner.invoke(args=["course", "import", "--dir", str(content)])
    lesson = content / "kam-pay" / "kam-mandate.en.md"
    lesson.write_text("---\ntitle: [broken\n---\nnothing\n", encoding="utf-8")
    result = runner.invoke(args=["course", "import", "--dir", str(content)])
    assert result.exit_code == 1
    assert "kam-pay/kam-mandate.en.md:2: invalid YAML" in result.output
    assert f"0 new revision(s), {file_count(content) - 1} unchanged, 1 refused." in result.output
    page = client.get("/courses/kam-pay/lessons/kam-mandate", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    with app.app_context():
        assert catalog().course("kam-pay").lesson("kam-mandate").text("en").lang == "en"


def test_export_writes_published_files_byte_for_byte(app, runner, content: Path, tmp_path: Path) -> None:
    runner.invoke(args=["course", "import", "--dir", str(content)])
    target = tmp_path / "exported"
    result = runner.invoke(args=["course", "export", str(target)])
    assert result.exit_code == 0, result.output
    originals = sorted(p.relative_to(content) for p in content.rglob("*") if p.is_file())
    exported = sorted(p.relative_to(target) for p in target.rglob("*") if p.is_file())
    assert exported == originals
    for relative in originals:
        assert (target / relative).read_bytes() == (content / relative).read_bytes()
    again = runner.invoke(args=["course", "import", "--dir", str(target)])
    assert f"0 new revision(s), {file_count(content)} unchanged" in again.output


def test_users_create_reads_password_from_stdin_and_hashes_it(app, runner) -> None:
    result = runner.invoke(
        args=["users", "create", "Trainer@Example.org", "--role", "trainer", "--password-stdin"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User))
    assert (user.email, user.role) == ("trainer@example.org", "trainer")
    assert user.password_hash.startswith("scrypt:")
    assert "a long enough password" not in user.password_hash


def test_users_create_prompts_for_the_password_twice(app, runner) -> None:
    result = runner.invoke(
        args=["users", "create", "a@example.org"], input="a long enough password\na long enough password\n"
    )
    assert result.exit_code == 0, result.output
    assert "Created learner a@example.org." in result.output


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["users", "create", "a@example.org", "--password-stdin"], "short\n", "at least 15 characters"),
        (["users", "create", "a@example.org", "--password-stdin"], "\n", "at least 15 characters"),
        (
            ["users", "create", "a@example.org", "--role", "king", "--password-stdin"],
            "long enough pw\n",
            "Invalid value for '--role'",
        ),
    ],
)
def test_users_create_refuses_bad_input(app, runner, args: list[str], stdin: str, message: str) -> None:
    result = runner.invoke(args=args, input=stdin)
    assert result.exit_code == 2
    assert message in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_users_create_refuses_a_duplicate_email(runner, make_user) -> None:
    make_user(email="taken@example.org")
    result = runner.invoke(
        args=["users", "create", "TAKEN@example.org", "--password-stdin"], input="long enough passphrase here\n"
    )
    assert result.exit_code == 2
    assert "already exists" in result.output


def test_users_set_role(app, runner, make_user) -> None:
    user = make_user(email="promote@example.org")
    result = runner.invoke(args=["users", "set-role", "promote@example.org", "admin"])
    assert result.exit_code == 0
    with app.app_context():
        assert db.session.get(User, user.id).role == "admin"
    assert runner.invoke(args=["users", "set-role", "nobody@example.org", "admin"]).exit_code == 2
