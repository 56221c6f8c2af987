"""Helpers that store learner activity directly (fast, exact), shared by the analytics tests; and a check of them."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select

from course.core.catalog import Course
from course.extensions import db
from course.models import (
    Certificate,
    ContentRevision,
    LessonProgress,
    QuizAttempt,
    QuizResult,
    SandboxDesign,
    SandboxResult,
    User,
)
from course.publishing.cache import catalog
from course.quiz.operations import record_answers

COURSE = "kam-pay"
MANDATE = "kam-mandate-quiz"
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def course_of(app: Flask) -> Course:
    """The published course (the first call imports the bundled content into the test database)."""
    with app.app_context():
        return catalog().course(COURSE)


def add_learner(
    app: Flask,
    name: str,
    email: str | None = None,
    *,
    role: str = "learner",
    locale: str | None = None,
    lessons: int = 0,
    quizzes: dict[str, tuple[float, bool]] | None = None,
    sandbox: dict[str, float] | None = None,
    certificate: str | None = None,
) -> int:
    """A learner with `lessons` lessons done, best quiz results, best sandbox scores per scenario and a certificate
    ("valid", "revoked" or None); returns the user id."""
    course = course_of(app)
    with app.app_context():
        user = User(
            email=email or f"{name.lower().replace(' ', '.')}@example.org",
            password_hash="!",
            display_name=name,
            role=role,
            locale=locale,
        )
        db.session.add(user)
        db.session.flush()
        for index, lesson_id in enumerate(course.lesson_ids[:lessons]):
            db.session.add(
                LessonProgress(
                    user_id=user.id, course_id=COURSE, lesson_id=lesson_id, completed_at=T0 + timedelta(hours=index)
                )
            )
        for quiz_id, (percent, passed) in (quizzes or {}).items():
            db.session.add(
                QuizResult(
                    user_id=user.id,
                    course_id=COURSE,
                    quiz_id=quiz_id,
                    best_percent=percent,
                    passed=passed,
                    attempts=1,
                    updated_at=T0 + timedelta(days=1),
                )
            )
        for scenario_id, score in (sandbox or {}).items():
            db.session.add(
                SandboxDesign(
                    user_id=user.id,
                    course_id=COURSE,
                    scenario_id=scenario_id,
                    seed=1,
                    name=f"Plan {scenario_id}",
                    best_score=score,
                    latest_version=1,
                )
            )
        if sandbox:
            best = max(sandbox.values())  # taken as both counting passes (the assigned account, another kind)
            db.session.add(
                SandboxResult(user_id=user.id, course_id=COURSE, best_score=best, assigned_score=best, other_score=best)
            )
        if certificate:
            db.session.add(
                Certificate(
                    public_id=secrets.token_urlsafe(16),
                    user_id=user.id,
                    course_id=COURSE,
                    record={},
                    signature="-",
                    key_id="-",
                    revoked_at=T0 if certificate == "revoked" else None,
                    revoked_reason="test" if certificate == "revoked" else None,
                )
            )
        db.session.commit()
        return user.id


def add_attempt(
    app: Flask, user_id: int, quiz_id: str, answers: dict[str, tuple[object, float]], number: int = 1
) -> int:
    """A submitted attempt with the given (response, mark) per question; max marks from the published quiz.
    Its answer rows are written as the submission writes them."""
    course = course_of(app)
    quiz = course.quiz(quiz_id)
    with app.app_context():
        revision_id = db.session.scalar(select(ContentRevision.id).where(ContentRevision.path == quiz.path).limit(1))
        stored = {
            question_id: {
                "response": response,
                "checked_at": None,
                "mark": mark,
                "max_mark": quiz.question(question_id).points,
            }
            for question_id, (response, mark) in answers.items()
        }
        score = sum(mark for _, mark in answers.values())
        maximum = sum(quiz.question(question_id).points for question_id in answers)
        percent = round(100 * score / maximum, 2) if maximum else 0.0
        attempt = QuizAttempt(
            user_id=user_id,
            course_id=COURSE,
            quiz_id=quiz_id,
            number=number,
            revision_id=revision_id,
            seed=1,
            layout=[[question_id, []] for question_id in answers],
            status="submitted",
            started_at=T0,
            submitted_at=T0 + timedelta(minutes=number),
            score=score,
            max_score=maximum,
            percent=percent,
            passed=percent >= quiz.pass_percent,
            answers=stored,
        )
        db.session.add(attempt)
        db.session.flush()
        record_answers(attempt)  # the rows the submission writes for the item statistics
        db.session.commit()
        return attempt.id


def test_add_learner_stores_what_it_is_given(app: Flask) -> None:
    user_id = add_learner(app, "Ada", lessons=2, quizzes={MANDATE: (80.0, True)}, sandbox={"defend": 75.0})
    with app.app_context():
        assert db.session.get(User, user_id).role == "learner"
        assert len(db.session.scalars(select(LessonProgress).where(LessonProgress.user_id == user_id)).all()) == 2
        assert db.session.scalar(select(SandboxResult.best_score).where(SandboxResult.user_id == user_id)) == 75.0
