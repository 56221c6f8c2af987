"""Knowledge checks in lessons: the learner's answer in, the feedback out; not graded, nothing stored.

The lesson page shows only the question and its options (course/core/text/checks.py). With JavaScript the
form posts here asking for JSON and shows the feedback in place; without, the same post gets a small page with
the feedback and a link back to the check in the lesson.
"""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from course.assignments import operations as assignments
from course.i18n import current_language
from course.learn.views import bp
from course.publishing.cache import catalog


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.post("/courses/<course_id>/lessons/<lesson_id>/checks/<check_id>")
def answer_check(course_id: str, lesson_id: str, check_id: str):
    course = assignments.visible(catalog().course(course_id), current_user._get_current_object())
    lesson = course.lesson(lesson_id)
    # The text the learner answered in (the form says which), else the one the lesson page shows.
    lang = current_language()
    text = lesson.text(request.form.get("lang") or lang, (lang, course.source_language))
    check = text.check(check_id)
    back = url_for("learn.lesson", course_id=course.id, lesson_id=lesson.id, _anchor=check.id)
    try:
        option = check.answer(int(request.form.get("option", "")))
    except (ValueError, IndexError):
        message = _("Choose one of the answers, then check it.")
        if _wants_json():
            return {"error": "bad_request", "message": message}, 400
        return render_template("learn/check.html", text=text, check=check, back=back, message=message), 400
    verdict = _("Right.") if option.correct else _("Not quite.")
    if _wants_json():
        return {"correct": option.correct, "verdict": verdict, "feedback": option.feedback}
    return render_template("learn/check.html", text=text, check=check, back=back, option=option, verdict=verdict)
