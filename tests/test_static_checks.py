"""Static checks that run with the suite (and so in CI): ruff's security rules on the app, every suppression
explained."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.paths import PROJECT_ROOT

# A suppression followed by its reason: " - why", " -- why" or ": why".
_SUPPRESSION = re.compile(r"#\s*noqa:\s*(?P<codes>[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)(?P<rest>.*)$")
_REASON = re.compile(r"^\s*(?:-{1,2}|:|—)\s*\S")


def test_ruff_security_rules_find_nothing_in_the_app() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "S", "--output-format", "concise", "course"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def unexplained(lines: list[str]) -> list[str]:
    """The lines that suppress a security rule without saying why."""
    found = []
    for line in lines:
        match = _SUPPRESSION.search(line)
        security = match and any(code.strip().startswith("S") for code in match["codes"].split(","))
        if security and not _REASON.match(match["rest"]):
            found.append(line.strip())
    return found


def test_every_security_suppression_in_the_app_says_why() -> None:
    missing = []
    for path in sorted((PROJECT_ROOT / "course").rglob("*.py")):
        missing += [f"{path.relative_to(PROJECT_ROOT)}: {line}" for line in unexplained(path.read_text().splitlines())]
    assert missing == []


def test_the_suppression_check_can_fail() -> None:
    assert unexplained(["x = 1  # noqa: S105", "y = 2  # noqa: E501, S311"]) == [
        "x = 1  # noqa: S105",
        "y = 2  # noqa: E501, S311",
    ]
    assert unexplained(["x = 1  # noqa: S105 - refused outside debug", "y = 2  # noqa: E501"]) == []
