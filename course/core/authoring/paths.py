"""The only file paths the studio edits: a course's course.yml, its lessons and its quizzes.

Anything else (other folders, `..`, deeper paths, odd names) is not a content file and is refused, so a URL can
never name a file outside these three shapes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from course.core.catalog.loader import COURSE_FILE, SUPPORTED_LANGUAGES
from course.core.quiz.loader import QUIZ_FOLDER

_ID = r"[a-z0-9]+(?:-[a-z0-9]+)*"
_COURSE = re.compile(rf"^(?P<course>{_ID})/{re.escape(COURSE_FILE)}$")
_LESSON = re.compile(rf"^(?P<course>{_ID})/(?P<item>{_ID})\.(?P<lang>[a-z]{{2}})\.md$")
_QUIZ = re.compile(rf"^{QUIZ_FOLDER}/(?P<course>{_ID})/(?P<item>{_ID})\.yml$")
MAX_PATH = 255  # the column's width


@dataclass(frozen=True)
class ContentPath:
    """A validated content path: what kind of file it is and which course, item and language it belongs to."""

    path: str
    kind: str  # course | lesson | quiz
    course_id: str
    item_id: str = ""  # the lesson or quiz id
    lang: str = ""  # lessons only

    def sibling(self, lang: str) -> ContentPath:
        """The same lesson in another language."""
        return lesson_path(self.course_id, self.item_id, lang)


def parse_path(path: str) -> ContentPath | None:
    """The path's meaning, or None if it is not one of the three editable shapes."""
    if len(path) > MAX_PATH or not path.isascii():
        return None
    if match := _COURSE.fullmatch(path):
        return ContentPath(path, "course", match["course"])
    if match := _QUIZ.fullmatch(path):
        return ContentPath(path, "quiz", match["course"], match["item"])
    if (match := _LESSON.fullmatch(path)) and match["lang"] in SUPPORTED_LANGUAGES:
        return ContentPath(path, "lesson", match["course"], match["item"], match["lang"])
    return None


def lesson_path(course_id: str, lesson_id: str, lang: str) -> ContentPath:
    return ContentPath(f"{course_id}/{lesson_id}.{lang}.md", "lesson", course_id, lesson_id, lang)


def quiz_path(course_id: str, quiz_id: str) -> ContentPath:
    return ContentPath(f"{QUIZ_FOLDER}/{course_id}/{quiz_id}.yml", "quiz", course_id, quiz_id)


def course_path(course_id: str) -> ContentPath:
    return ContentPath(f"{course_id}/{COURSE_FILE}", "course", course_id)
