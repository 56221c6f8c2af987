"""Every interface string has a German translation, and the compiled catalog matches its source."""

from __future__ import annotations

import io
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "course" / "translations" / "de" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "N_": None}


def po_messages():
    with PO.open("rb") as handle:
        return list(read_po(handle))


def source_messages() -> set[str]:
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
    found = extract_from_dir(str(ROOT / "course"), method_map, keywords=KEYWORDS)
    return {message if isinstance(message, str) else message[0] for _, _, message, _, _ in found}


def test_every_interface_string_is_translated_to_german() -> None:
    messages = source_messages()
    assert {
        "Skip to content",
        "Invalid email or password.",
        "Your progress: %(done)d of %(total)d lessons completed",
    } <= messages
    translated = {
        singular(message.id)
        for message in po_messages()
        if message.id and all(forms(message.string)) and not message.fuzzy
    }
    assert sorted(messages - translated) == []


def singular(message_id: str | tuple[str, ...]) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def forms(text: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """A message's text, or each form of a plural message."""
    return (text,) if isinstance(text, str) else tuple(text)


def test_compiled_catalog_is_up_to_date() -> None:
    source = {forms(m.id): forms(m.string) for m in po_messages() if m.id}
    compiled = {forms(m.id): forms(m.string) for m in read_mo(io.BytesIO(MO.read_bytes())) if m.id}
    assert compiled == source, "run: pybabel compile -d course/translations"


def test_placeholders_survive_translation() -> None:
    for message in po_messages():
        for original, translation in zip(forms(message.id), forms(message.string), strict=False):
            if original and translation:
                assert sorted(re.findall(r"%\(\w+\)[sd]", original)) == sorted(
                    re.findall(r"%\(\w+\)[sd]", translation)
                ), message.id
