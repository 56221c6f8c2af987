"""The course catalog: lesson files parsed, validated and rendered once, as immutable plain data."""

from course.core.catalog.loader import CatalogBuild, build_catalog
from course.core.catalog.model import (
    Catalog,
    CompletionRule,
    Course,
    Lesson,
    LessonText,
)
from course.core.text.markdown import TocEntry
from course.core.text.problem import Problem

__all__ = [
    "Catalog",
    "CatalogBuild",
    "CompletionRule",
    "Course",
    "Lesson",
    "LessonText",
    "Problem",
    "TocEntry",
    "build_catalog",
]
