"""What an evaluation through the API reads besides the plan, answered on the bare driver in one round trip.

`POST /api/v1/sandbox/evaluate` stores nothing, but asks the database twice: the course's rubric weights and
whether the learner has evaluated a design in the scenario (which reveals the benchmark's plan). Through the
session those two reads, with the transaction they open and roll back, were two thirds of a repeated request
in-process on PostgreSQL (2.5 ms → 0.9 ms with both left out). The request writes neither table, so a read on a
connection of its own, outside the request's transaction, sees what the session would.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from sqlalchemy import bindparam, exists, select

from course.extensions import db
from course.fast.query import FastQuery
from course.models import RubricWeights, SandboxDesign


def _evaluated(*conditions: object):  # noqa: ANN202 - an EXISTS clause
    return exists().where(
        SandboxDesign.user_id == bindparam("user_id"),
        SandboxDesign.scenario_id == bindparam("scenario_id"),
        SandboxDesign.latest_version > 0,
        *conditions,
    )


_IN_COURSE = FastQuery(
    select(
        select(RubricWeights.weights)
        .where(RubricWeights.course_id == bindparam("course_id"))
        .order_by(RubricWeights.number.desc())
        .limit(1)
        .scalar_subquery(),
        _evaluated(SandboxDesign.course_id == bindparam("course_id")),
    )
)
_ANY_COURSE = FastQuery(select(_evaluated()))


def evaluation_reads(user_id: int, scenario_id: str, course_id: str | None) -> tuple[Mapping[str, float] | None, bool]:
    """The course's newest rubric weights (None: the defaults, or no course) and whether the user has an evaluated
    design in the scenario (in the course, when one is given)."""
    if course_id is None:
        ((evaluated,),) = _ANY_COURSE.all(db.engine, user_id=user_id, scenario_id=scenario_id)
        return None, bool(evaluated)
    ((weights, evaluated),) = _IN_COURSE.all(db.engine, user_id=user_id, scenario_id=scenario_id, course_id=course_id)
    if isinstance(weights, str):  # JSON text on SQLite; psycopg parses it
        weights = json.loads(weights)
    return weights, bool(evaluated)
