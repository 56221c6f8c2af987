"""Grading a plan with the registered criteria: the trainer's weights checked, the points added up.

A verdict earns a share of its criterion's weight (pass all of it, partial half, fail nothing); a course may
weigh the criteria its own way (`validate_weights`), else each criterion's default weight counts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from course.core.errors import N_
from course.core.sandbox.plan import FieldProblem, Plan
from course.core.sandbox.rubric.registry import (
    CRITERIA,
    WEIGHT_TOLERANCE,
    Context,
    LessonLink,
    UnknownCriterion,
    default_weights,
)
from course.core.sandbox.scenarios import ScenarioParameters
from course.core.sandbox.simulation import SimulationResult

PASS_SCORE = 70.0  # points out of 100 a plan needs to pass; the package docstring (__init__.py) says why 70
VERDICT_SHARE = {"pass": 1.0, "partial": 0.5, "fail": 0.0}  # share of a criterion's weight each verdict earns
# Each failed criterion (with a weight) scales the points by this factor: a plan that breaks one rule of the
# lesson stays below the pass mark however well it does elsewhere (points < 100 and × 0.7 < 70).
FAIL_FACTOR = PASS_SCORE / 100


@dataclass(frozen=True)
class CriterionResult:
    """One criterion's verdict on a plan, its points under the weights used, and its feedback."""

    id: str
    verdict: str
    points: float
    max_points: float
    message: str  # English template with %(name)s placeholders, marked with N_()
    params: Mapping[str, object]
    lesson: LessonLink

    def text(self) -> str:
        return self.message % dict(self.params)


@dataclass(frozen=True)
class Grade:
    """A graded plan: the score, whether it passes, each criterion's result and the weights used."""

    score: float  # `points` × FAIL_FACTOR per failed criterion, rounded
    max_score: float
    passed: bool
    criteria: tuple[CriterionResult, ...]
    weights: Mapping[str, float]
    points: float = 0.0  # the criteria's points added up
    failed: int = 0  # failed criteria that carry weight; each scales the score by FAIL_FACTOR

    def criterion(self, criterion_id: str) -> CriterionResult:
        for result in self.criteria:
            if result.id == criterion_id:
                return result
        raise UnknownCriterion(N_("There is no rubric criterion %(criterion)s."), criterion=criterion_id)


def validate_weights(weights: object) -> list[FieldProblem]:
    """Every problem with a trainer's criterion weights: numbers ≥ 0 for known criteria, adding up to 100.

    A criterion left out weighs 0 (a trainer may switch one off). Each problem's path is the criterion id.
    """
    if not isinstance(weights, Mapping):
        return [FieldProblem("", N_("Must be an object with named fields."))]
    problems: list[FieldProblem] = []
    total = 0.0
    for key in sorted(weights, key=str):
        value = weights[key]
        if key not in CRITERIA:
            problems.append(
                FieldProblem(str(key), N_("There is no rubric criterion %(criterion)s."), {"criterion": str(key)})
            )
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            problems.append(FieldProblem(str(key), N_("Enter a number.")))
            continue
        if value < 0:
            problems.append(FieldProblem(str(key), N_("Must not be negative.")))
            continue
        total += float(value)
    if not problems and abs(total - 100) > WEIGHT_TOLERANCE:
        shown = round(total, 2)
        problems.append(
            FieldProblem(
                "",
                N_("The rubric weights add up to %(total)s; they must add up to 100."),
                {"total": int(shown) if shown.is_integer() else shown},
            )
        )
    return problems


def grade(
    plan: Plan,
    scenario_params: ScenarioParameters,
    result: SimulationResult,
    benchmark: object,
    weights: Mapping[str, float] | None = None,
) -> Grade:
    """Grade `plan` (simulated as `result`) against the scenario's benchmark.

    `benchmark` is the benchmark plan's SimulationResult, or a `benchmark.Benchmark` (its `.result` is
    used). `weights` default to each criterion's weight; pass validated weights (`validate_weights`).
    """
    bench = getattr(benchmark, "result", benchmark)
    if not isinstance(bench, SimulationResult):
        raise TypeError("benchmark must be a SimulationResult or a Benchmark")
    if weights is None:
        chosen = default_weights()
    else:
        problems = validate_weights(weights)
        if problems:
            raise ValueError(f"invalid rubric weights: {[p.text() for p in problems]}")
        chosen = {criterion_id: float(weights.get(criterion_id, 0.0)) for criterion_id in CRITERIA}
    ctx = Context(plan=plan, params=scenario_params, result=result, benchmark=bench)
    results = []
    for item in CRITERIA.values():
        check = item.check(ctx)
        max_points = chosen[item.id]
        share = VERDICT_SHARE[check.verdict] if check.credit is None else min(max(check.credit, 0.0), 1.0)
        results.append(
            CriterionResult(
                id=item.id,
                verdict=check.verdict,
                points=round(max_points * share, 2),
                max_points=max_points,
                message=check.message,
                params=dict(check.params),
                lesson=item.lesson,
            )
        )
    points = round(sum(r.points for r in results), 2)
    failed = sum(1 for r in results if r.verdict == "fail" and r.max_points > 0)
    score = round(points * FAIL_FACTOR**failed, 2)
    return Grade(
        score=score,
        max_score=round(sum(chosen.values()), 2),
        passed=score >= PASS_SCORE,
        criteria=tuple(results),
        weights=chosen,
        points=points,
        failed=failed,
    )
