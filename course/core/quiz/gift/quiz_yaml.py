"""Quiz data written as a quiz file: the YAML layout the bundled quiz files use, so an import reads like them.

It knows the quiz-file layout (a blank line between questions), so it lives with the GIFT import, its only
producer of quiz files; course/core/text/ keeps the general, format-neutral helpers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    """Block style with list items indented under their key, as the bundled quiz files are written."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None  # texts with line breaks as literal blocks
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(data: Mapping[str, Any], header: str | None = None) -> str:
    """Quiz data as readable YAML: block style, unicode as is, keys in the given order, no line wrapping.

    A blank line separates the questions; `header` becomes a comment at the top.
    """
    text = yaml.dump(
        data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False, width=math.inf
    )
    # Only a question starts a line with "  - id:": deeper lists and block texts are indented further.
    text = re.sub(r"(?<=\n)(?=  - id: )", "\n", text).replace("questions:\n\n", "questions:\n", 1)
    if header:
        text = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines()) + text
    return text
