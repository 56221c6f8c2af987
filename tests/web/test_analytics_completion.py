"""The progress table's SQL agrees with the completion rule in course/core/completion.py, learner by learner.

The table classifies every learner in one aggregate query, so the rule is written a second time in SQL there.
Random learners (lessons done, quizzes passed or failed, sandbox scores around the threshold, certificates) are
stored directly in courses with and without required quizzes and a sandbox threshold; the SQL's status, counts and
status filter must give the core's answer for each of them, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from course.analytics.operations import LearnerFilter, all_learners, learner_page
from course.core import completion
from course.core.catalog import CompletionRule, Course
from course.extensions import db
from course.models import Certificate, LessonProgress, QuizResult, SandboxResult, User
from tests.web.test_analytics_seed import COURSE, T0, course_of

OLD_LESSON, OLD_QUIZ = "an-old-lesson", "an-old-quiz"  # progress on items the course no longer has
CERTIFICATES = (None, "valid", "revoked", "revoked and valid")


@dataclass(frozen=True)
class Learner:
    lessons: frozenset[str]
    quizzes: dict[str, bool]  # quiz id → passed
    sandbox: completion.SandboxStanding | None
    certificate: str | None

    def progress(self) -> completion.Progress:
        passed = frozenset(quiz_id for quiz_id, ok in self.quizzes.items() if ok)
        return completion.Progress(self.lessons, passed, self.sandbox)


@dataclass(frozen=True)
class Variant:
    """Which of the bundled course's lessons and quizzes this course keeps, and what its completion rule asks."""

    lessons: tuple[int, ...]
    quizzes: tuple[int, ...]
    required: bool
    threshold: int | None

    def of(self, course: Course) -> Course:
        return replace(
            course,
            lessons=tuple(course.lessons[i] for i in self.lessons),
            quizzes=tuple(course.quizzes[i] for i in self.quizzes),
            completion=CompletionRule(quizzes="all" if self.required else None, sandbox=self.threshold),
        )


LESSON_COUNT, QUIZ_COUNT = 6, 6  # the bundled course (checked below)


@st.composite
def variants(draw: st.DrawFn) -> Variant:
    return Variant(
        lessons=tuple(sorted(draw(st.sets(st.integers(0, LESSON_COUNT - 1), min_size=1)))),
        quizzes=tuple(sorted(draw(st.sets(st.integers(0, QUIZ_COUNT - 1))))),
        required=draw(st.booleans()),
        threshold=draw(st.none() | st.integers(1, 100)),
    )


def scores(threshold: int | None) -> st.SearchStrategy[completion.SandboxStanding | None]:
    """Sandbox standings: the best score and the counting scores in the assigned account and one of another kind,
    many of them at or just around the threshold, where `>=` must agree."""
    at = 70 if threshold is None else threshold
    near = [at + delta for delta in (-1.0, -0.5, -1e-9, 0.0, 1e-9, 0.5) if 0 <= at + delta <= 100]
    score = st.sampled_from(near) | st.floats(0, 100)
    return st.none() | st.builds(completion.SandboxStanding, score, st.none() | score, st.none() | score)


@st.composite
def cases(draw: st.DrawFn, lesson_ids: tuple[str, ...], quiz_ids: tuple[str, ...]) -> tuple[Variant, list[Learner]]:
    variant = draw(variants())
    learner = st.builds(
        Learner,
        lessons=st.frozensets(st.sampled_from((*lesson_ids, OLD_LESSON))),
        quizzes=st.dictionaries(st.sampled_from((*quiz_ids, OLD_QUIZ)), st.booleans()),
        sandbox=scores(variant.threshold),
        certificate=st.sampled_from(CERTIFICATES),
    )
    return variant, draw(st.lists(learner, min_size=1, max_size=8))


def _store(learners: list[Learner]) -> dict[int, Learner]:
    """Insert the learners (and one trainer with progress, whom the table must leave out); user id → learner."""
    stored: dict[int, Learner] = {}
    for index, learner in enumerate([*learners, None]):
        user = User(
            email=f"learner{index}@example.org",
            password_hash="!",
            display_name=f"Learner {index:02d}",
            role="learner" if learner else "trainer",
        )
        db.session.add(user)
        db.session.flush()
        if learner is None:
            db.session.add(LessonProgress(user_id=user.id, course_id=COURSE, lesson_id=OLD_LESSON, completed_at=T0))
            continue
        stored[user.id] = learner
        rows = [LessonProgress(user_id=user.id, course_id=COURSE, lesson_id=lesson_id) for lesson_id in learner.lessons]
        rows += [
            QuizResult(
                user_id=user.id,
                course_id=COURSE,
                quiz_id=quiz_id,
                best_percent=90.0 if ok else 40.0,
                passed=ok,
                attempts=1,
            )
            for quiz_id, ok in learner.quizzes.items()
        ]
        if learner.sandbox is not None:
            best, assigned, other = learner.sandbox
            rows.append(
                SandboxResult(
                    user_id=user.id, course_id=COURSE, best_score=best, assigned_score=assigned, other_score=other
                )
            )
        for kind in (learner.certificate or "").split(" and "):
            if kind:
                rows.append(
                    Certificate(
                        public_id=secrets.token_urlsafe(16),
                        user_id=user.id,
                        course_id=COURSE,
                        record={},
                        signature="-",
                        key_id="-",
                        revoked_at=T0 if kind == "revoked" else None,
                    )
                )
        db.session.add_all(rows)
    db.session.commit()
    return stored


def _clear() -> None:
    for model in (Certificate, SandboxResult, QuizResult, LessonProgress, User):
        db.session.execute(delete(model))
    db.session.commit()


def _check(course: Course, stored: dict[int, Learner]) -> None:
    rule = completion.Requirements.of(course)
    expected = {
        user_id: completion.status(
            rule,
            learner.progress(),
            certified="valid" in (learner.certificate or ""),
            quizzes_taken=bool(learner.quizzes),
        )
        for user_id, learner in stored.items()
    }
    rows = {row.user_id: row for row in all_learners(course, LearnerFilter())}
    assert set(rows) == set(stored)  # every learner once, the trainer left out
    for user_id, learner in stored.items():
        row, progress = rows[user_id], learner.progress()
        assert row.status == expected[user_id], (learner, rule)
        assert row.lessons == len(completion.lessons_done(rule, progress))
        assert row.quizzes_passed == len(completion.quizzes_passed(rule, progress))
        assert row.sandbox == (learner.sandbox.best if learner.sandbox else None)
    for status in completion.STATUSES:  # the status filter selects what the core says
        selected = {row.user_id for row in all_learners(course, LearnerFilter(status=status))}
        assert selected == {user_id for user_id, found in expected.items() if found == status}, status
    # Sorted by quizzes passed (then lessons), as the core counts them.
    page = learner_page(course, LearnerFilter(sort="quizzes", descending=True), 1)
    keys = [
        (
            len(completion.quizzes_passed(rule, stored[row.user_id].progress())),
            len(completion.lessons_done(rule, stored[row.user_id].progress())),
        )
        for row in page.rows
    ]
    assert keys == sorted(keys, reverse=True)


def test_the_progress_tables_sql_gives_the_completion_rules_answer(app: Flask) -> None:
    bundled = course_of(app)
    assert (len(bundled.lessons), len(bundled.quizzes)) == (LESSON_COUNT, QUIZ_COUNT)
    lesson_ids, quiz_ids = bundled.lesson_ids, tuple(quiz.id for quiz in bundled.quizzes)

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(cases(lesson_ids, quiz_ids))
    def check(case: tuple[Variant, list[Learner]]) -> None:
        variant, learners = case
        with app.app_context():
            try:
                _check(variant.of(bundled), _store(learners))
            finally:
                _clear()

    check()
