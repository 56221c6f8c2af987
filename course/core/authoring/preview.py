"""A lesson file rendered as learners would see it, even while its front matter is still broken."""

from __future__ import annotations

from dataclasses import dataclass

from course.core.catalog.loader import split_front_matter
from course.core.text.markdown import render_markdown
from course.core.text.yamldoc import YamlProblem, parse_mapping


@dataclass(frozen=True)
class LessonPreview:
    title: str
    html: str  # sanitised by the same pipeline as published lessons


def lesson_preview(text: str, lesson_id: str, lang: str) -> LessonPreview:
    """Title and body HTML of a lesson file; a body without readable front matter is still shown."""
    text = text.removeprefix("\ufeff")
    title = ""
    try:
        front, front_line, body, _body_line = split_front_matter(text)
    except YamlProblem:
        body = text
    else:
        try:
            value = parse_mapping(front, front_line).data.get("title")
        except YamlProblem:
            value = None
        title = value.strip() if isinstance(value, str) else ""
    return LessonPreview(title=title, html=render_markdown(body, lang, lesson_id).html)
