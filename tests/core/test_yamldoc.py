"""The YAML reader: LibYAML's speed, PyYAML's values and messages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from course.core.text import yamldoc
from course.core.text.yamldoc import YamlProblem, load_with_lines, parse_mapping, safe_load
from tests.paths import CONTENT_DIR, QUIZ_DIR

BUNDLED = sorted([*QUIZ_DIR.rglob("*.yml"), *CONTENT_DIR.rglob("*.yml")])
FRONT_MATTER = sorted(CONTENT_DIR.rglob("*.md"))

BROKEN = [
    'title: {de: "Quiz", en: "Quiz"\nquestions: []\n',  # an unclosed flow mapping
    "questions:\n  - id: a\n   text: misaligned\n",
    "title: x\ntitle: y\n",  # a duplicate key, refused by our constructor, not by YAML
    "a: [1, 2\nb: 3\n",
    "key: value\n\tindented: with a tab\n",
    "- a list\n- at the top\n",
    "text: 'unclosed quote\n",
    "a: b: c\n",
    "",
]


def with_lines(value: object) -> object:
    """A line-keeping document as plain values plus every line it kept, to compare two readings."""
    if isinstance(value, dict):
        return {key: with_lines(item) for key, item in value.items()}, value.line, dict(value.lines)
    if isinstance(value, list):
        return [with_lines(item) for item in value], value.line, list(value.lines)
    return value


def outcome(read, text: str) -> object:  # noqa: ANN001 - one of the readers
    try:
        return "ok", read(text)
    except YamlProblem as problem:
        return "problem", problem.line, problem.message
    except (yaml.YAMLError, ValueError) as error:
        return "error", type(error).__name__, str(error)


@contextmanager
def pyyaml_alone() -> Iterator[None]:
    """The reader as it was before LibYAML: PyYAML's own loader for everything."""
    saved = yamldoc._C_SAFE_LOADER, yamldoc._CLineLoader  # noqa: SLF001
    yamldoc._C_SAFE_LOADER, yamldoc._CLineLoader = yaml.SafeLoader, yamldoc._LineLoader  # noqa: SLF001
    try:
        yield
    finally:
        yamldoc._C_SAFE_LOADER, yamldoc._CLineLoader = saved  # noqa: SLF001


def same_as_pyyaml(text: str) -> dict[str, object]:
    """The three readings of `text`, asserted to be PyYAML's own (the module's docstring names the corners of
    the syntax where LibYAML reads what PyYAML refuses: there only a refusal must be one for both)."""
    fast = readings(text)
    with pyyaml_alone():
        plain = readings(text)
    for name, reading in fast.items():
        if plain[name][0] == "ok":
            assert reading == plain[name], name
        elif reading[0] != "ok":
            assert reading[0] == plain[name][0], name
    return fast


def readings(text: str) -> dict[str, object]:
    return {
        "safe_load": outcome(safe_load, text),
        "load_with_lines": outcome(lambda t: with_lines(load_with_lines(t)), text),
        "parse_mapping": outcome(lambda t: vars(parse_mapping(t, first_line=3)), text),
    }


def test_libyaml_is_what_reads_when_pyyaml_has_it() -> None:
    assert yaml.__with_libyaml__, "PyYAML from the pinned wheel comes with LibYAML"
    assert yamldoc._C_SAFE_LOADER is yaml.CSafeLoader  # noqa: SLF001


@pytest.mark.parametrize("path", BUNDLED + FRONT_MATTER, ids=lambda path: path.relative_to(path.parents[1]).as_posix())
def test_every_bundled_document_reads_as_pyyaml_reads_it(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        text = text.split("---\n")[1]  # the front matter
    assert same_as_pyyaml(text)["safe_load"][0] == "ok"


@pytest.mark.parametrize("text", BROKEN)
def test_a_broken_document_gets_pyyamls_message_and_line(text: str) -> None:
    fast = readings(text)
    with pyyaml_alone():
        assert fast == readings(text)
    assert any(result[0] != "ok" for result in fast.values())


YAML_TEXT = st.lists(
    st.sampled_from(
        ["a:", " b", "  - ", "- ", ": ", "'", '"', "{", "}", "[", "]", ",", "#", "\n", "\t", "x", "é", "1.5", "? "]
        + ["&a ", "*a", "!!str ", "!x ", "|", ">", "---", "...", "%YAML 1.1\n", "@", "`", "\r", "\\", "\x85", "~"]
    ),
    max_size=30,
).map("".join)


@given(YAML_TEXT)
def test_any_text_reads_as_pyyaml_reads_it(text: str) -> None:
    same_as_pyyaml(text)
