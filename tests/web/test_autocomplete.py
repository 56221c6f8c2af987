"""Every `autocomplete` value in the templates and forms is one the HTML standard defines (issue #18 item 10): a
browser ignores an unknown token, so a typo silently loses autofill (or, for "off", leaves it on)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask, get_template_attribute
from wtforms import Form, StringField

ROOT = Path(__file__).resolve().parents[2] / "course"
# HTML Living Standard, "Autofill": the field names, the contact types for the contact fields, and the modifiers.
FIELD_NAMES = frozenset(
    [
        "name",
        "honorific-prefix",
        "given-name",
        "additional-name",
        "family-name",
        "honorific-suffix",
        "nickname",
        "username",
        "new-password",
        "current-password",
        "one-time-code",
        "organization-title",
        "organization",
        "street-address",
        "address-line1",
        "address-line2",
        "address-line3",
        "address-level4",
        "address-level3",
        "address-level2",
        "address-level1",
        "country",
        "country-name",
        "postal-code",
        "cc-name",
        "cc-given-name",
        "cc-additional-name",
        "cc-family-name",
        "cc-number",
        "cc-exp",
        "cc-exp-month",
        "cc-exp-year",
        "cc-csc",
        "cc-type",
        "transaction-currency",
        "transaction-amount",
        "language",
        "bday",
        "bday-day",
        "bday-month",
        "bday-year",
        "sex",
        "url",
        "photo",
    ]
)
CONTACT_FIELD_NAMES = frozenset(
    [
        "tel",
        "tel-country-code",
        "tel-national",
        "tel-area-code",
        "tel-local",
        "tel-local-prefix",
        "tel-local-suffix",
        "tel-extension",
        "email",
        "impp",
    ]
)
CONTACT_TYPES = frozenset({"home", "work", "mobile", "fax", "pager"})
# autocomplete="…" in markup, "autocomplete": "…" in dicts and render_kw, autocomplete="…" as a macro argument.
VALUE = re.compile(r"""autocomplete["']?\s*[:=]\s*["']([^"'{}]*)["']""")


def valid(value: str) -> bool:
    tokens = value.lower().split()
    if tokens in (["on"], ["off"]):
        return True
    if tokens and tokens[-1] == "webauthn":
        tokens = tokens[:-1]
    if not tokens:
        return False
    *modifiers, field = tokens
    if modifiers and modifiers[0].startswith("section-"):
        modifiers = modifiers[1:]
    if modifiers and modifiers[0] in ("shipping", "billing"):
        modifiers = modifiers[1:]
    if field in FIELD_NAMES:
        return not modifiers
    if field in CONTACT_FIELD_NAMES:
        return modifiers == [] or (len(modifiers) == 1 and modifiers[0] in CONTACT_TYPES)
    return False


def autocomplete_values() -> list[tuple[str, str]]:
    found = []
    for path in sorted([*ROOT.rglob("*.html"), *ROOT.rglob("*.py")]):
        for value in VALUE.findall(path.read_text(encoding="utf-8")):
            found.append((str(path.relative_to(ROOT)), value))
    return found


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("off", True),
        ("username", True),
        ("section-login work email", True),
        ("shipping street-address", True),
        ("current-password webauthn", True),
        ("mobile tel", True),
        ("mobile name", False),
        ("nope", False),
        ("false", False),
        ("new_password", False),
        ("", False),
    ],
)
def test_the_checker_follows_the_standard(value: str, expected: bool) -> None:
    assert valid(value) is expected


def test_every_autocomplete_value_in_templates_and_forms_is_a_valid_token() -> None:
    values = autocomplete_values()
    assert len(values) > 20  # the scan finds the attributes (the login form alone has two)
    assert [(path, value) for path, value in values if not valid(value)] == []


def test_a_field_without_an_autocomplete_value_has_no_attribute(app: Flask) -> None:
    """The `field` macro drawn without a value writes no attribute at all, not autocomplete="None"."""

    class NameForm(Form):
        name = StringField("Name")

    with app.test_request_context():
        plain = get_template_attribute("macros.html", "field")(NameForm().name)
        named = get_template_attribute("macros.html", "field")(NameForm().name, autocomplete="name")
    assert "autocomplete" not in plain
    assert 'autocomplete="name"' in named
