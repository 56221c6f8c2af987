"""Moodle GIFT ↔ our quiz files: import a GIFT file as quiz data, export a quiz file as GIFT.

GIFT is read the way Moodle's `qformat_gift` reads it: questions are separated by blank lines, lines
starting with `//` are comments (`// [id:X] [tag:Y]` sets an id and tags), `$CATEGORY:` switches the
category, `::Title::` names a question, `[html]`, `[moodle]`, `[plain]` or `[markdown]` may prefix a
text, `\\~ \\= \\# \\{ \\} \\:` are literals, `\\n` is a newline and `\\\\` a backslash.

The package by job: syntax.py (escapes, blocks, the shared rules), reader.py (one GIFT file, question by
question), importer.py (`import_gift`: files and their translations → one quiz's data), quiz_yaml.py
(`dump_yaml`: that data as a quiz file), exporter.py (`export_gift`: a quiz file → GIFT). Importers use the
names below. Pure Python: no web framework, no ORM.
"""

from course.core.quiz.gift.exporter import MOODLE_GRADES, ExportNote, ExportSkipped, GiftExport, export_gift
from course.core.quiz.gift.importer import MAX_ID_LENGTH, Converted, GiftImport, Skipped, import_gift, slug
from course.core.quiz.gift.quiz_yaml import dump_yaml
from course.core.quiz.gift.reader import (
    DESCRIPTION,
    ESSAY,
    INVALID,
    MATCHING,
    MISSING_WORD,
    MULTIPLE_CHOICE,
    MULTIPLE_RESPONSE,
    NUMERICAL,
    SHORT_ANSWER,
    TRUE_FALSE,
    Note,
)
from course.core.quiz.gift.syntax import FORMATS, WEIGHT, GiftError, escape, unescape

__all__ = [
    "DESCRIPTION",
    "ESSAY",
    "FORMATS",
    "INVALID",
    "MATCHING",
    "MAX_ID_LENGTH",
    "MISSING_WORD",
    "MOODLE_GRADES",
    "MULTIPLE_CHOICE",
    "MULTIPLE_RESPONSE",
    "NUMERICAL",
    "SHORT_ANSWER",
    "TRUE_FALSE",
    "WEIGHT",
    "Converted",
    "ExportNote",
    "ExportSkipped",
    "GiftError",
    "GiftExport",
    "GiftImport",
    "Note",
    "Skipped",
    "dump_yaml",
    "escape",
    "export_gift",
    "import_gift",
    "slug",
    "unescape",
]
