"""Quizzes: the file format, the question-type registry, attempts and grading, item statistics, GIFT."""

from course.core.quiz.attempt import (
    AttemptRefused,
    AttemptResult,
    Slot,
    check_can_start,
    grade_answer,
    grade_attempt,
    make_layout,
    read_answer,
    read_answers,
    ready_at,
    whole_percent,
)
from course.core.quiz.loader import QUIZ_FILE, QUIZ_FOLDER, parse_quiz
from course.core.quiz.model import AnswerError, Grade, LessonLink, Question, Quiz, pick
from course.core.quiz.types import QuestionType, UnknownQuestionType, question_type, register, type_names

__all__ = [
    "QUIZ_FILE",
    "QUIZ_FOLDER",
    "AnswerError",
    "AttemptRefused",
    "AttemptResult",
    "Grade",
    "LessonLink",
    "QuestionType",
    "Question",
    "Quiz",
    "Slot",
    "UnknownQuestionType",
    "check_can_start",
    "grade_answer",
    "grade_attempt",
    "make_layout",
    "parse_quiz",
    "pick",
    "question_type",
    "read_answer",
    "read_answers",
    "ready_at",
    "register",
    "type_names",
    "whole_percent",
]
