"""`flask quiz import-gift` and `flask quiz export-gift` as an author uses them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from course.core.quiz import parse_quiz
from course.core.quiz.gift import import_gift
from course.extensions import db
from course.publishing import operations as publishing
from tests.core.test_quiz_gift import ENGLISH, FIXTURE, GERMAN

LESSON = "kam-mandate"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {"de": tmp_path / "bonus.de.gift", "en": tmp_path / "bonus.en.gift"}
    paths["de"].write_text(GERMAN, encoding="utf-8")
    paths["en"].write_text(ENGLISH, encoding="utf-8")
    return paths


@pytest.fixture
def quiz_dir(tmp_path: Path) -> Path:
    return tmp_path / "quizzes"


@pytest.fixture
def quiz_runner(make_app, quiz_dir: Path):
    """A runner whose QUIZ_DIR is a scratch folder, so the default output path can be tested."""
    return make_app(QUIZ_DIR=str(quiz_dir)).test_cli_runner()


def import_args(path: Path, *extra: str) -> list[str]:
    return ["quiz", "import-gift", str(path), "--course", "kam-pay", "--lang", "de", "--lesson", LESSON, *extra]


def test_import_with_a_translation_writes_a_quiz_that_parses(quiz_runner, files, quiz_dir: Path) -> None:
    result = quiz_runner.invoke(
        args=import_args(files["de"], "--id", "bonus-quiz", "--translation", f"en={files['en']}")
    )
    assert result.exit_code == 0, result.output
    target = quiz_dir / "kam-pay" / "bonus-quiz.yml"
    assert f"Wrote {target}." in result.output
    source = target.read_text(encoding="utf-8")
    assert source.startswith("# Imported from bonus.de.gift (de, en) with `flask quiz import-gift`.\nid: bonus-quiz\n")
    quiz, problems = parse_quiz("quizzes/kam-pay/bonus-quiz.yml", source, "kam-pay", ("de", "en"))
    assert problems == []
    assert [question.id for question in quiz.questions] == ["zweck", "wort", "essay"]
    assert quiz.titles == {"de": "Bonus-Quiz", "en": "Bonus quiz"}
    assert "Only de is filled in" not in result.output
    assert "line 11: essay → essay 'essay'" in result.output


def test_import_refuses_to_overwrite_without_force(quiz_runner, files, quiz_dir: Path) -> None:
    first = quiz_runner.invoke(args=import_args(files["de"]))
    assert first.exit_code == 0, first.output
    assert (quiz_dir / "kam-pay" / "bonus-de.yml").is_file()  # the id defaults to the file name
    again = quiz_runner.invoke(args=import_args(files["de"]))
    assert again.exit_code == 2
    assert "exists; pass --force to overwrite it" in again.output
    forced = quiz_runner.invoke(args=import_args(files["de"], "--force", "--title", "Neu", "--title", "en=New"))
    assert forced.exit_code == 0, forced.output
    data = yaml.safe_load((quiz_dir / "kam-pay" / "bonus-de.yml").read_text(encoding="utf-8"))
    assert data["title"] == {"de": "Neu", "en": "New"}


def test_import_lists_converted_skipped_and_notes_with_lines(runner, tmp_path: Path) -> None:
    out = tmp_path / "every-feature.yml"
    result = runner.invoke(
        args=["quiz", "import-gift", str(FIXTURE), "--course", "kam-pay", "--lang", "en", "--lesson", LESSON]
        + ["--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "Converted 15 question(s)" in result.output
    assert "  line 7: multiple choice → single 'bonus-purpose'" in result.output
    assert "Skipped 2 question(s) that have no equivalent:" in result.output
    for line, name in ((75, "description"), (79, "numerical")):
        assert f"  line {line}: {name}: " in result.output
    assert "  line 39: multiple choice → single 'two-right'" in result.output
    assert "Only en is filled in: `flask course check` reports every de text as missing" in result.output
    assert "--translation de=FILE" in result.output
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["id"] == "every-feature"


def test_import_names_problems_left_to_fix(runner, tmp_path: Path) -> None:
    gift = tmp_path / "short.gift"
    gift.write_text("::A::Frage?{=ja ~nein}\n", encoding="utf-8")
    result = runner.invoke(args=import_args(gift, "--out", str(tmp_path / "short.yml")))
    assert result.exit_code == 0, result.output
    assert "line 1: no general feedback (####): write the explanation every question needs" in result.output
    assert "Still to fix in the quiz file before it can be published:" in result.output
    assert "missing explanation" in result.output


def test_import_with_nothing_convertible_exits_1_and_writes_nothing(runner, tmp_path: Path) -> None:
    gift = tmp_path / "texts.gift"
    gift.write_text("::E::Only words {=a {b} ~c}\n\nJust text.\n", encoding="utf-8")
    out = tmp_path / "texts.yml"
    result = runner.invoke(args=import_args(gift, "--out", str(out)))
    assert result.exit_code == 1
    assert "line 1: invalid:" in result.output
    assert "line 3: description:" in result.output
    assert "Nothing could be converted" in result.output
    assert not out.exists()


def test_import_translation_with_another_structure_is_a_clear_error(runner, files, tmp_path: Path) -> None:
    files["en"].write_text(
        ENGLISH.replace("\n\n::Essay::Describe your plan.{####It rewards retention.}\n", ""), encoding="utf-8"
    )
    out = tmp_path / "bonus.yml"
    result = runner.invoke(args=import_args(files["de"], "--translation", f"en={files['en']}", "--out", str(out)))
    assert result.exit_code == 1
    assert "the en translation has 2 question(s), the de file 3" in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--course", "nope"], "there is no valid course 'nope'"),
        (["--lang", "fr"], "--lang must be one of the course's languages: de, en"),
        (["--lesson", "nope"], "course 'kam-pay' has no lesson 'nope'"),
        (["--translation", "en"], "write LANG=FILE"),
        (["--translation", "en=/does/not/exist.gift"], "there is no file /does/not/exist.gift"),
    ],
)
def test_import_usage_errors(runner, files, extra: list[str], message: str) -> None:
    result = runner.invoke(args=import_args(files["de"], *extra))
    assert result.exit_code == 2, result.output
    assert message in result.output


def _publish(app) -> dict[str, str]:
    with app.app_context():
        files, problems = publishing.bundled_files(app.config)
        publishing.import_files(files, problems)
        db.session.commit()
        return publishing.published_files()


def _published_quiz(published: dict[str, str]) -> tuple[str, dict]:
    quizzes = sorted(path for path in published if path.startswith("quizzes/kam-pay/"))
    if not quizzes:
        pytest.skip("no bundled quiz is published")
    return quizzes[0], yaml.safe_load(published[quizzes[0]])


def test_export_writes_the_published_quiz_as_gift(app, runner) -> None:
    path, data = _published_quiz(_publish(app))
    result = runner.invoke(args=["quiz", "export-gift", data["id"], "--lang", "de"])
    assert result.exit_code == 0, result.output
    ordering = [item["id"] for item in data["questions"] if item["type"] == "ordering"]
    supported = [item["id"] for item in data["questions"] if item["type"] != "ordering"]
    assert result.stdout.startswith(f"// Quiz '{data['id']}' (de)")
    for question_id in ordering:
        assert f"skipped ordering question '{question_id}': GIFT has no ordering type" in result.stderr
    assert f"Exported {len(supported)} question(s) of '{data['id']}' (de)." in result.stderr
    again = import_gift(result.stdout, "de", ("de", "en"), data["id"], None, LESSON)
    assert [item.id for item in again.converted] == supported
    assert again.data["title"] == {"de": data["title"]["de"]}


def test_export_to_a_file_with_course(app, runner, tmp_path: Path) -> None:
    _path, data = _published_quiz(_publish(app))
    out = tmp_path / "quiz.gift"
    result = runner.invoke(
        args=["quiz", "export-gift", data["id"], "--lang", "en", "--course", "kam-pay", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith(f"// Quiz '{data['id']}' (en)")
    assert result.stdout == ""


def test_export_of_an_unknown_quiz_or_language_is_a_usage_error(app, runner) -> None:
    _path, data = _published_quiz(_publish(app))
    unknown = runner.invoke(args=["quiz", "export-gift", "no-such-quiz", "--lang", "de"])
    assert unknown.exit_code == 2
    assert "no published quiz 'no-such-quiz'" in unknown.output
    assert data["id"] in unknown.output  # lists what is published
    wrong_course = runner.invoke(args=["quiz", "export-gift", data["id"], "--lang", "de", "--course", "other"])
    assert wrong_course.exit_code == 2
    assert f"no published quiz '{data['id']}' in course 'other'" in wrong_course.output
    wrong_lang = runner.invoke(args=["quiz", "export-gift", data["id"], "--lang", "fr"])
    assert wrong_lang.exit_code == 2
    assert "--lang must be one of the course's languages: de, en" in wrong_lang.output


def test_export_with_nothing_published_is_a_usage_error(runner) -> None:
    result = runner.invoke(args=["quiz", "export-gift", "kam-mandate-quiz", "--lang", "de"])
    assert result.exit_code == 2
    assert "no published quiz 'kam-mandate-quiz' (published: none)" in result.output
