"""German consistency (issue #18 item 10): one word for learners, no amount split over two lines in the quizzes."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "course" / "translations" / "de" / "LC_MESSAGES" / "messages.po"
# A number and its unit, or "Mio." and its currency, joined by an ordinary (breakable) space.
BREAKABLE_AMOUNT = re.compile(r"\d (€|%|Mio\.|Mrd\.|Tsd\.|Prozent|Punkte)|(Mio|Mrd|Tsd)\. €")


def translations() -> list[str]:
    with CATALOGUE.open("rb") as file:
        catalogue = read_po(file, locale="de")
    texts = []
    for message in catalogue:
        if message.id:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            texts.extend(string for string in strings if string)
    return texts


def test_the_german_interface_calls_learners_lernende() -> None:
    others = re.compile(r"Teilnehmer|Teilnehmende|Kursteilnehm|\bLerner(in|innen)?\b|Schüler")
    assert [text for text in translations() if others.search(text)] == []


def test_no_german_translation_has_a_double_colon() -> None:
    assert [text for text in translations() if re.search(r":\s*:", text)] == []


def test_amounts_in_the_quizzes_do_not_break_across_lines() -> None:
    found = [
        f"{path.name}:{number}: {line.strip()[:80]}"
        for path in sorted((ROOT / "quizzes").rglob("*.yml"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if BREAKABLE_AMOUNT.search(line) and not re.match(r"\s*(accept|patterns|unit)\b", line)
    ]
    assert found == []
