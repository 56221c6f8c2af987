"""YAML parsing that keeps line numbers, so every content problem can name its line.

Documents are read with LibYAML (PyYAML's C loader, about ten times faster: a quiz file in 5 ms instead of 50,
which the studio's quiz pages and every catalog build pay); a document it refuses is read again by PyYAML's own
loader, whose messages and lines are the ones authors are shown. Both build the same Python values (the same
constructors and resolvers run on the nodes). LibYAML reads a few corners of the syntax that PyYAML refuses (a
comment right after a block scalar's `|`, a tab between tokens); text with a tab is left to PyYAML, so a pasted
tab gets the message it always got.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

_C_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # a PyYAML built without LibYAML has only the latter


def _read(read: Callable[..., Any], text: str, fast: type, plain: type) -> Any:  # noqa: ANN401 - YAML's values
    """`read(text)` (`yaml.load` or `yaml.compose`) with the fast loader; text with a tab, or that the fast loader
    refuses, with the plain one."""
    if "\t" not in text:
        try:
            return read(text, Loader=fast)
        except (yaml.YAMLError, UnicodeError):  # UnicodeError: LibYAML takes the text as UTF-8 (a lone surrogate)
            pass
    return read(text, Loader=plain)


def safe_load(text: str) -> Any:  # noqa: ANN401 - YAML's values
    """`yaml.safe_load`, faster (see the module's docstring)."""
    return _read(yaml.load, text, _C_SAFE_LOADER, yaml.SafeLoader)


class YamlProblem(Exception):
    def __init__(self, line: int | None, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(message)


@dataclass
class YamlMapping:
    """A parsed YAML mapping with the 1-based line of each key and of each list item."""

    data: dict
    key_lines: dict[str, int] = field(default_factory=dict)
    item_lines: dict[str, list[int]] = field(default_factory=dict)
    first_line: int = 1

    def line(self, key: str) -> int:
        return self.key_lines.get(key, self.first_line)

    def item_line(self, key: str, index: int) -> int:
        lines = self.item_lines.get(key, [])
        return lines[index] if index < len(lines) else self.line(key)


def parse_mapping(text: str, first_line: int = 1) -> YamlMapping:
    """Parse `text` as a YAML mapping; `first_line` is the file line the text starts on."""
    offset = first_line - 1
    try:
        node = _read(yaml.compose, text, _C_SAFE_LOADER, yaml.SafeLoader)
        data = safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.context_mark or error.problem_mark  # where the construct began
        line = mark.line + 1 + offset if mark else first_line
        raise YamlProblem(line, f"invalid YAML: {error.problem or error.context}") from None
    except yaml.YAMLError as error:
        raise YamlProblem(first_line, f"invalid YAML: {error}") from None
    except ValueError as error:  # a value YAML reads but Python cannot hold: a 5,000-digit integer, 2024-13-45
        raise YamlProblem(first_line, f"invalid value: {error}") from None
    if node is None:
        raise YamlProblem(first_line, "empty: expected key: value lines")
    if not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
        raise YamlProblem(node.start_mark.line + 1 + offset, "expected key: value lines")
    doc = YamlMapping(data=data, first_line=first_line)
    for key_node, value_node in node.value:
        key = str(key_node.value)
        line = key_node.start_mark.line + 1 + offset
        if key in doc.key_lines:
            raise YamlProblem(line, f"duplicate key {key!r} (first on line {doc.key_lines[key]})")
        doc.key_lines[key] = line
        if isinstance(value_node, yaml.SequenceNode):
            doc.item_lines[key] = [item.start_mark.line + 1 + offset for item in value_node.value]
    return doc


class LineDict(dict):
    """A YAML mapping that remembers its own line and the line of each key."""

    line: int = 1
    lines: dict

    def key_line(self, key: object) -> int:
        return self.lines.get(key, self.line)


class LineList(list):
    """A YAML sequence that remembers its own line and the line of each item."""

    line: int = 1
    lines: list

    def item_line(self, index: int) -> int:
        return self.lines[index] if index < len(self.lines) else self.line


class _LineLoader(yaml.SafeLoader):
    """SafeLoader whose mappings and sequences carry 1-based line numbers for error messages."""


class _CLineLoader(_C_SAFE_LOADER):
    """The same on LibYAML."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode):  # noqa: ANN202 - PyYAML generator protocol
    data = LineDict()
    data.line, data.lines = node.start_mark.line + 1, {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str | int | float | bool) or key is None:
            raise YamlProblem(line, "keys must be plain words")
        if key in data:
            raise YamlProblem(line, f"duplicate key {key!r} (first on line {data.lines[key]})")
        data[key] = loader.construct_object(value_node, deep=True)
        data.lines[key] = line


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode):  # noqa: ANN202 - PyYAML generator protocol
    data = LineList()
    data.line, data.lines = node.start_mark.line + 1, [item.start_mark.line + 1 for item in node.value]
    yield data
    data.extend(loader.construct_object(item, deep=True) for item in node.value)


for _loader in (_LineLoader, _CLineLoader):
    _loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
    _loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


def load_with_lines(text: str) -> LineDict:
    """Parse a whole YAML document whose top level is a mapping, keeping lines at every depth."""
    try:
        data = _read(yaml.load, text, _CLineLoader, _LineLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.context_mark or error.problem_mark
        raise YamlProblem(mark.line + 1 if mark else 1, f"invalid YAML: {error.problem or error.context}") from None
    except yaml.YAMLError as error:
        raise YamlProblem(1, f"invalid YAML: {error}") from None
    except ValueError as error:  # a value YAML reads but Python cannot hold: a 5,000-digit integer, 2024-13-45
        raise YamlProblem(1, f"invalid value: {error}") from None
    if data is None:
        raise YamlProblem(1, "empty: expected key: value lines")
    if not isinstance(data, LineDict):
        raise YamlProblem(1, "expected key: value lines")
    return data
