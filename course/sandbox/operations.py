"""Sandbox designs in the database: assignments, start, evaluate and save versions, duplicate, comment, rubric
weights."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace

from sqlalchemy import Select, and_, case, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value

from course import events
from course.audit import operations as audit
from course.core import assignment as assigning
from course.core.catalog import Course
from course.core.errors import N_, NotFound
from course.core.sandbox import SCENARIOS, Plan, is_unchanged_copy, same_design, scenario, validate_plan
from course.core.sandbox.evaluation import Evaluation, evaluate, plan_data
from course.extensions import db
from course.groups import operations as groups
from course.groups.operations import READER_ROLES
from course.models import (
    CurrentUser,
    RubricWeights,
    SandboxAssignment,
    SandboxComment,
    SandboxDesign,
    SandboxResult,
    SandboxVersion,
    User,
    utcnow,
)
from course.notifications import operations as notifications

MAX_ID = 2**31 - 1
MAX_NAME = 120
MAX_COMMENT = 4000


def _design(design_id: int) -> SandboxDesign:
    design = db.session.get(SandboxDesign, design_id) if 0 < design_id <= MAX_ID else None
    if design is None:
        raise NotFound(N_("There is no such design."))
    return design


def own_design(design_id: int, user: CurrentUser) -> SandboxDesign:
    """The user's own design; someone else's is reported exactly like a missing one."""
    design = _design(design_id)
    if design.user_id != user.id:
        raise NotFound(N_("There is no such design."))
    return design


def visible_design(design_id: int, user: CurrentUser) -> SandboxDesign:
    """A design its owner may read, and a manager, trainer or admin who has its learner in view (course/groups/
    operations.py); anyone else's is reported exactly like a missing one."""
    design = _design(design_id)
    if design.user_id != user.id and not (user.role in READER_ROLES and groups.may_see_learner(user, design.user_id)):
        raise NotFound(N_("There is no such design."))
    return design


def version_of(design: SandboxDesign, number: int) -> SandboxVersion:
    for version in design.versions:
        if version.number == number:
            return version
    raise NotFound(N_("There is no such version."))


def designs_of(user: CurrentUser, course_id: str) -> list[SandboxDesign]:
    return list(
        db.session.scalars(
            select(SandboxDesign)
            .where(SandboxDesign.user_id == user.id, SandboxDesign.course_id == course_id)
            .order_by(SandboxDesign.updated_at.desc(), SandboxDesign.id.desc())
        )
    )


def _insert(table):  # noqa: ANN001, ANN202 - a table; the dialect's INSERT with ON CONFLICT
    return (postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert)(table)


def assignment_of(user_id: int, course_id: str) -> SandboxAssignment:
    """The learner's assigned account in the course, picked at random and stored the first time it is asked for.

    Two first requests at the same moment pick one each; the insert keeps whichever came first and both read it.
    """
    found = db.session.scalar(
        select(SandboxAssignment).where(SandboxAssignment.user_id == user_id, SandboxAssignment.course_id == course_id)
    )
    if found is not None:
        return found
    picked = assigning.pick(list(SCENARIOS), secrets.randbelow(MAX_ID), secrets.randbelow(MAX_ID))
    db.session.execute(
        _insert(SandboxAssignment.__table__)
        .values(
            user_id=user_id, course_id=course_id, scenario_id=picked.scenario_id, seed=picked.seed, created_at=utcnow()
        )
        .on_conflict_do_nothing(index_elements=["user_id", "course_id"])
    )
    return db.session.scalars(
        select(SandboxAssignment).where(SandboxAssignment.user_id == user_id, SandboxAssignment.course_id == course_id)
    ).one()


def has_evaluated(user_id: int, scenario_id: str, course_id: str | None = None) -> bool:
    """Whether the user has at least one evaluated design version in the scenario (in the course, if given):
    from then on the scenario's benchmark plan is shown to them."""
    query = exists().where(
        SandboxDesign.user_id == user_id, SandboxDesign.scenario_id == scenario_id, SandboxDesign.latest_version > 0
    )
    if course_id is not None:
        query = query.where(SandboxDesign.course_id == course_id)
    return bool(db.session.scalar(select(query)))


def benchmark_revealed(user: CurrentUser, design: SandboxDesign) -> bool:
    """Whether `user` may see the benchmark plan of the design's scenario: trainers always, the learner once they
    evaluated a design there."""
    return user.is_staff or has_evaluated(design.user_id, design.scenario_id, design.course_id)


def start_design(user: CurrentUser, course: Course, scenario_id: str, name: str | None, lang: str) -> SandboxDesign:
    """A new design with a draw of the scenario's numbers (the seed is kept for every version): the learner's
    assigned draw in the assigned scenario, so no one can pick an easier one there; a new draw elsewhere.

    Without a name it is called after the scenario and numbered: "Defend a stable strategic account 2".
    """
    chosen = scenario(scenario_id)  # NotFound for an unknown scenario
    assigned = assignment_of(user.id, course.id)
    if name is None:
        count = db.session.scalar(
            select(func.count()).where(
                SandboxDesign.user_id == user.id,
                SandboxDesign.course_id == course.id,
                SandboxDesign.scenario_id == scenario_id,
            )
        )
        name = f"{chosen.title(lang)} {count + 1}"
    design = SandboxDesign(
        user_id=user.id,
        course_id=course.id,
        scenario_id=scenario_id,
        seed=assigned.seed if scenario_id == assigned.scenario_id else secrets.randbelow(MAX_ID),
        name=name[:MAX_NAME],
    )
    db.session.add(design)
    db.session.flush()
    return design


def current_weights(course_id: str) -> RubricWeights | None:
    """The course's newest rubric weights; None means the rubric's defaults."""
    return db.session.scalar(
        select(RubricWeights).where(RubricWeights.course_id == course_id).order_by(RubricWeights.number.desc()).limit(1)
    )


def set_weights(course_id: str, weights: Mapping[str, float], author: CurrentUser) -> RubricWeights:
    """A new numbered row: grades made with the old weights keep pointing at theirs."""
    newest = current_weights(course_id)
    row = RubricWeights(
        course_id=course_id,
        number=(newest.number + 1) if newest else 1,
        weights=dict(weights),
        author_id=author.id,
    )
    db.session.add(row)
    db.session.flush()
    audit.record("rubric_weights_changed", actor=author, target_label=course_id, number=row.number, weights=row.weights)
    return row


def evaluate_plan(design: SandboxDesign, plan: Plan, weights: RubricWeights | None) -> Evaluation:
    return evaluate(plan, design.scenario_id, design.seed, weights.weights if weights else None)


def save_version(design: SandboxDesign, plan: Plan) -> tuple[SandboxVersion, Evaluation]:
    """Evaluate `plan` with the course's current weights and keep it as the design's next version."""
    weights = current_weights(design.course_id)
    evaluation = evaluate_plan(design, plan, weights)
    grade = evaluation.grade
    number = _next_version(design, grade.score)
    version = SandboxVersion(
        design=design,
        number=number,
        plan=plan_data(plan),
        score=grade.score,
        passed=grade.passed,
        verdicts={result.id: result.verdict for result in grade.criteria},
        weights_id=weights.id if weights else None,
    )
    db.session.add(version)
    db.session.flush()
    counts = counts_as(design, evaluation)
    _record_best(design.user_id, design.course_id, grade.score, counts)
    _tell_evaluated(design, version, counts)
    return version, evaluation


def _tell_evaluated(design: SandboxDesign, version: SandboxVersion, counts: str | None) -> None:
    """Tell other systems (course/events.py) of the evaluated version, and of the course completed by it."""
    now = utcnow()
    event = events.DesignEvaluated(
        design.user_id,
        design.course_id,
        design.id,
        version.number,
        design.scenario_id,
        version.score,
        bool(version.passed),
        version.score,
        counts,
        now,
    )
    if events.wanted(event):
        best = db.session.scalar(
            select(SandboxResult.best_score).where(
                SandboxResult.user_id == design.user_id, SandboxResult.course_id == design.course_id
            )
        )
        events.emit(replace(event, best_score=max(best or 0.0, version.score)))
    if counts is not None:
        events.progress_changed(design.user_id, design.course_id, now)


def copied_from(evaluation: Evaluation) -> str | None:
    """ "lesson" if the evaluated plan is the lesson's plan (or a scenario's recommended one) unchanged,
    "benchmark" if it is the draw's benchmark plan unchanged; None for a plan of the learner's own."""
    plan = evaluation.plan
    if is_unchanged_copy(plan, plan.ttc):
        return "lesson"
    if same_design(plan, evaluation.benchmark.plan):
        return "benchmark"
    return None


def counts_as(design: SandboxDesign, evaluation: Evaluation) -> str | None:
    """What a version of `design` evaluated as `evaluation` does for the certificate's sandbox step: "assigned",
    "other" or None. A copy (`copied_from`) never counts; course/core/assignment.py says the rest."""
    if copied_from(evaluation) is not None:
        return None
    return assignment_of(design.user_id, design.course_id).assignment.counts_as(design.scenario_id, design.seed)


def _next_version(design: SandboxDesign, score: float) -> int:
    """Take the next version number and raise the best score to `score` if higher, in one UPDATE.

    Two saves at the same moment wait for each other and never collide; the best score is the maximum of
    what the row holds when each writes, never of what a request read earlier (a stale read could lower it).
    """
    now = utcnow()
    best = SandboxDesign.best_score
    number, best_score = db.session.execute(
        update(SandboxDesign)
        .where(SandboxDesign.id == design.id)
        .values(
            latest_version=SandboxDesign.latest_version + 1,
            best_score=case((or_(best.is_(None), best < score), score), else_=best),
            updated_at=now,
        )
        .returning(SandboxDesign.latest_version, SandboxDesign.best_score)
        .execution_options(synchronize_session=False)
    ).one()
    for key, value in (("latest_version", number), ("best_score", best_score), ("updated_at", now)):
        set_committed_value(design, key, value)  # what the row now holds
    return number


def stored_plan(version: SandboxVersion) -> Plan:
    """A saved version's plan; it was valid when saved, so a failure here means the plan format changed."""
    plan, problems = validate_plan(version.plan)
    if plan is None:
        raise NotFound(N_("This version can no longer be read."), problems=len(problems))
    return plan


def version_evaluation(design: SandboxDesign, version: SandboxVersion) -> Evaluation:
    """The saved version evaluated again with the weights it was graded with (memoised in the core)."""
    return evaluate_plan(design, stored_plan(version), version.weights)


def duplicate(design: SandboxDesign, user: CurrentUser, name: str) -> SandboxDesign:
    """A copy with the same scenario draw whose first version is the original's newest plan."""
    copy = SandboxDesign(
        user_id=user.id, course_id=design.course_id, scenario_id=design.scenario_id, seed=design.seed, name=name
    )
    db.session.add(copy)
    db.session.flush()
    if design.versions:
        save_version(copy, stored_plan(design.versions[-1]))
    return copy


def rename(design: SandboxDesign, name: str) -> None:
    design.name = name[:MAX_NAME]
    design.updated_at = utcnow()


def add_comment(design: SandboxDesign, author: CurrentUser, body: str, version_number: int | None) -> SandboxComment:
    if version_number is not None:
        version_of(design, version_number)
    comment = SandboxComment(design_id=design.id, author_id=author.id, body=body, version_number=version_number)
    db.session.add(comment)
    db.session.flush()
    design.feedback_requested_at = None  # answered: the learner may ask again
    notifications.design_commented(design, comment, author.display_name)
    return comment


class FeedbackAlreadyRequested(Exception):
    """The learner asked for feedback on this design and no trainer has commented since."""


def request_feedback(design: SandboxDesign, learner: CurrentUser) -> None:
    """The owner asks the trainers who look after them for a comment on the design; one open request at a time
    (a comment answers it). Raises FeedbackAlreadyRequested. The caller commits."""
    if design.feedback_requested_at is not None:
        raise FeedbackAlreadyRequested
    design.feedback_requested_at = utcnow()
    notifications.feedback_requested(design, learner.display_name, design.feedback_requested_at)


def _record_best(user_id: int, course_id: str, score: float, counts: str | None) -> None:
    """One upsert keeps the best score and the best counting score where the version counts (`counts`: "assigned",
    "other" or None), so two evaluations at the same moment cannot lose each other's."""
    table = SandboxResult.__table__
    insert = _insert(table).values(
        user_id=user_id,
        course_id=course_id,
        best_score=score,
        assigned_score=score if counts == assigning.ASSIGNED else None,
        other_score=score if counts == assigning.OTHER else None,
        updated_at=utcnow(),
    )
    new, old = insert.excluded, table.c

    def higher(column: str):  # noqa: ANN202 - a SQL expression: the new value if it is higher, NULL never wins
        fresh, kept = new[column], old[column]
        return case((and_(fresh.is_not(None), or_(kept.is_(None), fresh > kept)), fresh), else_=kept)

    db.session.execute(
        insert.on_conflict_do_update(
            index_elements=[old.user_id, old.course_id],
            set_={
                "best_score": higher("best_score"),
                "assigned_score": higher("assigned_score"),
                "other_score": higher("other_score"),
                "updated_at": new.updated_at,
            },
        )
    )


@dataclass(frozen=True)
class DesignRow:
    """A line of the trainer's list: the design, its learner and its newest version's verdicts."""

    design: SandboxDesign
    learner: str
    email: str
    latest: SandboxVersion | None
    comments: int


TRAINER_LIST_LIMIT = 200


def course_designs(
    course_id: str, scenario_id: str | None = None, limit: int = TRAINER_LIST_LIMIT, learners: Select | None = None
) -> list[DesignRow]:
    """Every learner's designs in a course (of `learners` only, a SELECT of user ids, if given), newest first, in
    three queries whatever the number of designs."""
    query = (
        select(SandboxDesign, User.display_name, User.email)
        .join(User, User.id == SandboxDesign.user_id)
        .where(SandboxDesign.course_id == course_id, User.deleted_at.is_(None))  # erased accounts are left out
        .order_by(SandboxDesign.updated_at.desc(), SandboxDesign.id.desc())
        .limit(limit)
    )
    if scenario_id:
        query = query.where(SandboxDesign.scenario_id == scenario_id)
    if learners is not None:
        query = query.where(SandboxDesign.user_id.in_(learners))
    rows = db.session.execute(query).all()
    ids = [design.id for design, *_ in rows]
    latest = {
        version.design_id: version
        for version in db.session.scalars(
            select(SandboxVersion)
            .join(SandboxDesign, SandboxDesign.id == SandboxVersion.design_id)
            .where(SandboxVersion.design_id.in_(ids), SandboxVersion.number == SandboxDesign.latest_version)
        )
    }
    comments = dict(
        db.session.execute(
            select(SandboxComment.design_id, func.count())
            .where(SandboxComment.design_id.in_(ids))
            .group_by(SandboxComment.design_id)
        ).all()
    )
    return [
        DesignRow(design, name, email, latest.get(design.id), comments.get(design.id, 0))
        for design, name, email in rows
    ]
