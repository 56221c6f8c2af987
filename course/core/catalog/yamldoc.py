"""YAML parsing that keeps line numbers, so every content problem can name its line."""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml


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
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.context_mark or error.problem_mark  # where the construct began
        line = mark.line + 1 + offset if mark else first_line
        raise YamlProblem(line, f"invalid YAML: {error.problem or error.context}") from None
    except yaml.YAMLError as error:
        raise YamlProblem(first_line, f"invalid YAML: {error}") from None
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
