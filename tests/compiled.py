"""What every test's own app would compile again, compiled once per test process.

Each test builds a fresh app (tests/conftest.py), and two of the costs of a fresh app are compiling Python code
that is the same for every app: werkzeug turns each URL rule into a small URL-building function (about 90 % of
`create_app`, ~0.1 s), and Jinja compiles each template the test renders (~0.02 s per template). Over a few
thousand tests that is minutes of CI. Both are shared here, keyed by everything the compiled code depends on, so
no test sees another test's state: the builder functions hold nothing of their rule (they get it as their first
argument), and Jinja checks each template's source against the checksum stored with its code.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from flask import Flask
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from werkzeug.routing import Rule


class SharedTemplates(BytecodeCache):
    """Jinja's compiled templates kept in memory for every app of this process."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)  # Jinja drops it if the template's source changed

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_builders: dict[Hashable, Callable[..., Any]] = {}
_compile_builder = Rule._compile_builder  # noqa: SLF001 - the one werkzeug function this module wraps


def _shared_builder(rule: Rule, append_unknown: bool = True) -> Callable[..., Any]:
    """werkzeug's builder for `rule`, compiled once for every rule of the same shape: the code depends only on the
    rule's parsed parts, its defaults, its converters' types and `append_unknown`."""
    key = (
        tuple(rule._trace),  # noqa: SLF001 - what werkzeug compiles the builder from
        tuple(sorted((name, repr(value)) for name, value in (rule.defaults or {}).items())),
        tuple(sorted((name, type(converter).__qualname__) for name, converter in rule._converters.items())),  # noqa: SLF001
        append_unknown,
    )
    builder = _builders.get(key)
    if builder is None:
        builder = _builders[key] = _compile_builder(rule, append_unknown)
    return builder


def share_across_apps() -> None:
    """Every app built in this process from now on shares its URL builders and compiled templates."""
    Rule._compile_builder = _shared_builder  # noqa: SLF001
    Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": SharedTemplates()}
