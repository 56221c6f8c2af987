"""JSON API v1 for the bonus-plan sandbox: evaluate a plan without saving it, and the learner's saved designs.

The routes live on the same `api` blueprint as the quiz API (login, CSRF header, JSON bodies and error
shape are shared). Every invalid request is answered 422 with the full list of problems, each at its
field (`plan.components[1].cap_pct`, `scenario`, `seed`, …); nothing is simulated or stored then.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from datetime import datetime

from flask import Response, jsonify, url_for
from flask_babel import gettext as _
from flask_login import current_user

from course import fast
from course.api.views import ApiError, _body, bp
from course.assignments.operations import visible
from course.core.catalog import Course
from course.core.errors import NotFound
from course.core.sandbox import PASS_SCORE, SCENARIOS, Plan, SimulationResult, validate_plan
from course.core.sandbox.evaluation import Evaluation, evaluate, plan_data
from course.extensions import db
from course.fast import sandbox as sandbox_reads
from course.i18n import current_language
from course.models import SandboxDesign, SandboxVersion
from course.publishing.cache import catalog
from course.sandbox import operations, presenting
from course.sandbox.labels import CRITERION_LABELS

MAX_SEED = 2**31 - 1
EVALUATE_FIELDS = {"scenario", "seed", "plan", "course"}
CREATE_FIELDS = {"scenario", "name", "plan"}
VERSION_FIELDS = {"plan"}


class _Problems:
    """Every problem of a request, each at its field; raised together as one 422."""

    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []

    def add(self, field: str, message: str) -> None:
        self.items.append({"field": field, "message": message})

    def unknown_fields(self, body: Mapping, allowed: set[str]) -> None:
        for key in sorted(set(body) - allowed):
            self.add(key, _("Unknown field."))

    def plan(self, body: Mapping) -> Plan | None:
        """The plan in `body["plan"]`; its problems at `plan.<path>` (`plan` for the plan as a whole)."""
        if body.get("plan") is None:
            self.add("plan", _("This field is required."))
            return None
        plan, problems = validate_plan(body["plan"])
        for problem in problems:
            self.add(f"plan.{problem.path}" if problem.path else "plan", presenting.message(problem))
        return plan

    def scenario(self, body: Mapping) -> str | None:
        value = body.get("scenario")
        if value is None or (isinstance(value, str) and not value.strip()):
            self.add("scenario", _("This field is required."))
            return None
        if not isinstance(value, str) or value not in SCENARIOS:
            self.add("scenario", _("There is no scenario %(scenario)s.", scenario=str(value)))
            return None
        return value

    def raise_if_any(self) -> None:
        if self.items:
            db.session.rollback()
            raise ApiError(
                422,
                "invalid_plan",
                _("Some fields are not valid; nothing was evaluated or saved."),
                problems=self.items,
            )


def _seed(body: Mapping, problems: _Problems) -> int:
    value = body.get("seed", 0)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        problems.add("seed", _("Send a whole number from 0 to %(max)s.", max=MAX_SEED))
        return 0
    return value


def _weights_course(body: Mapping, problems: _Problems) -> Course | None:
    value = body.get("course")
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return visible(catalog().sandbox_course(value))
        except NotFound:
            pass
    problems.add("course", _("There is no course %(course)s.", course=str(value)))
    return None


def _name(body: Mapping, problems: _Problems) -> str | None:
    """The name sent, stripped; None when none was sent (the default name is used)."""
    value = body.get("name")
    if value is None:
        return None
    if not isinstance(value, str):
        problems.add("name", _("Send the name as text."))
        return None
    value = value.strip()
    if len(value) > operations.MAX_NAME:
        problems.add("name", _("Use at most %(max)s characters.", max=operations.MAX_NAME))
    if any(unicodedata.category(character) == "Cc" for character in value):
        problems.add("name", _("The name must not contain control characters."))
    return value or None


# --- Documents -------------------------------------------------------------------------------------------------


def _simulation(result: SimulationResult) -> dict:
    pay = result.pay
    return {
        "selling_effort": result.selling_effort,
        "relationship_effort": result.relationship_effort,
        "relationship_share": result.relationship_share,
        "retention": list(result.retention),
        "company_value": result.company_value,
        "plan_cost": result.plan_cost,
        "pay": {
            "mean": pay.mean,
            "sd": pay.sd,
            "percentiles": {str(key): value for key, value in sorted(pay.percentiles.items())},
            "gate_pays": pay.gate_pays,
            "thresholds_met": list(pay.thresholds_met),
        },
        "solver": result.solver,
    }


def _evaluation(evaluation: Evaluation, course_id: str | None, revealed: bool) -> dict:
    """What an evaluation shows; lesson links need a course (`url` is null without one). The benchmark's plan only
    when `revealed`: after the learner's first evaluated design in the scenario (its outcome is always shown)."""
    lang = current_language()
    params = evaluation.params
    criteria = []
    for result in evaluation.grade.criteria:
        anchor = result.lesson.anchor(lang)
        url = (
            url_for("learn.lesson", course_id=course_id, lesson_id=result.lesson.lesson_id, _anchor=anchor)
            if course_id
            else None
        )
        criteria.append(
            {
                "id": result.id,
                "title": str(CRITERION_LABELS[result.id]),
                "verdict": result.verdict,
                "points": result.points,
                "max_points": result.max_points,
                "feedback": presenting.message(result),
                "lesson": {"lesson_id": result.lesson.lesson_id, "anchor": anchor, "url": url},
            }
        )
    return {
        "scenario": {"id": evaluation.scenario.id, "title": evaluation.scenario.title(lang)},
        "seed": evaluation.seed,
        "parameters": {
            "budget_ttc": params.budget_ttc,
            "p0": params.p0,
            "target_retention": params.target_retention,
            "team_dependence": params.team_dependence,
        },
        "score": evaluation.grade.score,
        "passed": evaluation.grade.passed,
        "pass_score": PASS_SCORE,
        "criteria": criteria,
        "result": _simulation(evaluation.result),
        "benchmark": {"result": _simulation(evaluation.benchmark.result)}
        | ({"plan": plan_data(evaluation.benchmark.plan)} if revealed else {}),
        "salesperson": {"result": _simulation(evaluation.salesperson)},
    }


def _time(value: datetime) -> str:
    return value.isoformat()


def _design(design: SandboxDesign) -> dict:
    return {
        "id": design.id,
        "course_id": design.course_id,
        "name": design.name,
        "scenario": design.scenario_id,
        "seed": design.seed,
        "latest_version": design.latest_version,
        "best_score": design.best_score,
        "created_at": _time(design.created_at),
        "updated_at": _time(design.updated_at),
        "url": url_for("api.get_design", design_id=design.id),
    }


def _version(design: SandboxDesign, version: SandboxVersion, evaluation: Evaluation) -> dict:
    return {
        "number": version.number,
        "plan": version.plan,
        "score": version.score,
        "passed": version.passed,
        "weights_version": version.weights.number if version.weights else None,
        "created_at": _time(version.created_at),
        "url": url_for("api.get_version", design_id=design.id, number=version.number),
        "evaluation": _evaluation(evaluation, design.course_id, operations.benchmark_revealed(current_user, design)),
    }


# --- Routes ----------------------------------------------------------------------------------------------------


def _evaluation_reads(user_id: int, scenario_id: str, course_id: str | None) -> tuple[Mapping[str, float] | None, bool]:
    """The course's rubric weights (None: the defaults) and whether the learner has evaluated a design in the
    scenario; in one round trip on the bare driver with the fast paths (course/fast/sandbox.py)."""
    if fast.enabled():
        return sandbox_reads.evaluation_reads(user_id, scenario_id, course_id)
    weights = operations.current_weights(course_id) if course_id else None
    return (weights.weights if weights else None), operations.has_evaluated(user_id, scenario_id, course_id)


@bp.post("/sandbox/evaluate")
def sandbox_evaluate():
    """Simulate and grade a plan in a scenario draw; nothing is stored."""
    body = _body()
    problems = _Problems()
    problems.unknown_fields(body, EVALUATE_FIELDS)
    scenario_id = problems.scenario(body)
    seed = _seed(body, problems)
    course = _weights_course(body, problems)
    plan = problems.plan(body)
    problems.raise_if_any()
    course_id = course.id if course else None
    # Nothing is saved here, so this never reveals the benchmark plan: a saved design in the scenario does.
    weights, evaluated = _evaluation_reads(current_user.id, scenario_id, course_id)
    revealed = current_user.is_staff or evaluated
    evaluation = evaluate(plan, scenario_id, seed, weights)
    # The same request always gets the same answer (the evaluation is deterministic and a weights row never
    # changes), and building the document is most of a repeated request's cost: it is kept with the evaluation.
    document = evaluation.document(
        ("api", course_id, current_language(), revealed),
        lambda: json.dumps(_evaluation(evaluation, course_id, revealed)).encode(),
    )
    return Response(document, mimetype="application/json")


@bp.get("/courses/<course_id>/sandbox/designs")
def list_designs(course_id: str):
    course = visible(catalog().sandbox_course(course_id))
    return jsonify(designs=[_design(design) for design in operations.designs_of(current_user, course.id)])


@bp.post("/courses/<course_id>/sandbox/designs")
def create_design(course_id: str):
    """A new design (with its own draw of the scenario); with a plan, that plan is its first version."""
    course = visible(catalog().sandbox_course(course_id))
    body = _body()
    problems = _Problems()
    problems.unknown_fields(body, CREATE_FIELDS)
    scenario_id = problems.scenario(body)
    name = _name(body, problems)
    plan = problems.plan(body) if body.get("plan") is not None else None
    problems.raise_if_any()
    design = operations.start_design(current_user, course, scenario_id, name, current_language())
    version = None
    if plan is not None:
        saved, evaluation = operations.save_version(design, plan)
        version = _version(design, saved, evaluation)
    db.session.commit()
    return jsonify(**_design(design), version=version), 201


@bp.get("/sandbox/designs/<int:design_id>")
def get_design(design_id: int):
    design = operations.visible_design(design_id, current_user)
    return jsonify(
        **_design(design),
        versions=[
            {
                "number": version.number,
                "score": version.score,
                "passed": version.passed,
                "created_at": _time(version.created_at),
                "url": url_for("api.get_version", design_id=design.id, number=version.number),
            }
            for version in design.versions
        ],
        comments=[
            {
                "author": comment.author.display_name if comment.author else None,
                "body": comment.body,
                "created_at": _time(comment.created_at),
                "version": comment.version_number,
            }
            for comment in design.comments
        ],
    )


@bp.post("/sandbox/designs/<int:design_id>/versions")
def save_design_version(design_id: int):
    """Evaluate a plan with the course's current rubric weights and keep it as the design's next version."""
    design = operations.own_design(design_id, current_user)
    body = _body()
    problems = _Problems()
    problems.unknown_fields(body, VERSION_FIELDS)
    plan = problems.plan(body)
    problems.raise_if_any()
    version, evaluation = operations.save_version(design, plan)
    document = _version(design, version, evaluation)
    db.session.commit()
    return jsonify(document), 201


@bp.get("/sandbox/designs/<int:design_id>/versions/<int:number>")
def get_version(design_id: int, number: int):
    design = operations.visible_design(design_id, current_user)
    version = operations.version_of(design, number)
    return jsonify(_version(design, version, operations.version_evaluation(design, version)))
