"""A line diff between two revisions of a file, as rows a template can show as a table."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

CONTEXT_LINES = 3


@dataclass(frozen=True)
class DiffRow:
    """One row: a line kept, removed or added (with its number on each side), or a gap of unchanged lines."""

    kind: str  # same | removed | added | gap
    old_line: int | None
    new_line: int | None
    text: str


def line_diff(old: str, new: str, context: int = CONTEXT_LINES) -> list[DiffRow]:
    """Changed lines with `context` unchanged lines around them; [] when the texts are equal line by line."""
    old_lines, new_lines = old.split("\n"), new.split("\n")
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    rows: list[DiffRow] = []
    for number, group in enumerate(matcher.get_grouped_opcodes(context)):
        first_old, first_new = group[0][1], group[0][3]
        if number > 0 or first_old > 0 or first_new > 0:
            rows.append(DiffRow("gap", first_old + 1, first_new + 1, ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows += [
                    DiffRow("same", i + 1, j + 1, old_lines[i])
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                ]
                continue
            rows += [DiffRow("removed", i + 1, None, old_lines[i]) for i in range(i1, i2)]
            rows += [DiffRow("added", None, j + 1, new_lines[j]) for j in range(j1, j2)]
    if rows and all(row.kind in {"same", "gap"} for row in rows):
        return []
    return rows


def diff_counts(rows: list[DiffRow]) -> tuple[int, int]:
    """How many lines were removed and added."""
    return sum(row.kind == "removed" for row in rows), sum(row.kind == "added" for row in rows)
