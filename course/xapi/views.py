"""The activity ids of the statements resolve: GET one and get its xAPI Activity Definition as JSON (name, type,
interaction type), as xAPI 1.0.3 lets an activity provider host metadata at its activity ids.

Public like the lessons themselves; a course only its groups may see answers 404 here too, and a question's id
tells its interaction type only, never its text (learners see that only in an attempt).
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from course.assignments.operations import visible_course
from course.core import xapi
from course.core.errors import NotFound
from course.core.sandbox import SCENARIOS
from course.xapi.statements import lesson_names, this_site

bp = Blueprint("xapi", __name__, url_prefix="/xapi/activities/courses/<course_id>")


def _definition(activity: dict) -> Response:
    return jsonify(activity["definition"])


@bp.get("")
def course_activity(course_id: str):
    course = visible_course(course_id)
    return _definition(this_site().course(course.id, course.titles))


@bp.get("/lessons/<lesson_id>")
def lesson_activity(course_id: str, lesson_id: str):
    course = visible_course(course_id)
    lesson = course.lesson(lesson_id)
    return _definition(this_site().lesson(course.id, lesson.id, lesson_names(course.id, lesson.id)))


@bp.get("/quizzes/<quiz_id>")
def quiz_activity(course_id: str, quiz_id: str):
    course = visible_course(course_id)
    quiz = course.quiz(quiz_id)
    return _definition(this_site().quiz(course.id, quiz.id, quiz.titles))


@bp.get("/quizzes/<quiz_id>/questions/<question_id>")
def question_activity(course_id: str, quiz_id: str, question_id: str):
    course = visible_course(course_id)
    question = course.quiz(quiz_id).question(question_id)
    answer = xapi.Answer(question.id, question.type, 0.0, question.points, None)
    return _definition(xapi.question_activity(this_site(), course.id, quiz_id, answer))


@bp.get("/scenarios/<scenario_id>")
def scenario_activity(course_id: str, scenario_id: str):
    course = visible_course(course_id)
    scenario = SCENARIOS.get(scenario_id)
    if not course.sandbox or scenario is None:
        raise NotFound(f"no scenario {scenario_id!r} in course {course.id!r}")
    return _definition(this_site().scenario(course.id, scenario.id, scenario.titles))


@bp.get("/certificate")
def certificate_activity(course_id: str):
    course = visible_course(course_id)
    return _definition(this_site().certificate(course.id, course.titles))
