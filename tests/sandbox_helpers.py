"""Plans a learner could have made: passing in a scenario draw, and not an unchanged copy of the lesson's plan.

Built from the core's own plans and checked with the core's own grader, so the tests that use them do not depend
on exact scores (the rubric may change): the scenario's recommended plan and the draw's benchmark, each changed a
little the way a learner adapting it would, and the first of those that passes and is no copy is taken.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from functools import cache

from course.core.sandbox import (
    Plan,
    benchmark_plan,
    draw_parameters,
    is_unchanged_copy,
    lesson_plan,
    recommended_plan,
    same_design,
    scenario,
)
from course.core.sandbox.evaluation import evaluate
from course.sandbox.forms import form_data


def _changes(plan: Plan) -> Iterator[Plan]:
    """Small changes a learner adapting `plan` would make: the fixed share a point up or down, five weight points
    moved between the first two components."""
    for share in (0.01, -0.01, 0.02, -0.02):
        yield replace(plan, base_salary=round(plan.base_salary + share * plan.ttc, 2))
    if len(plan.components) >= 2:
        for points in (5.0, -5.0):
            first, second, *rest = plan.components
            if first.weight_pct - points > 0 and second.weight_pct + points > 0:
                moved = (
                    replace(first, weight_pct=first.weight_pct - points),
                    replace(second, weight_pct=second.weight_pct + points),
                )
                yield replace(plan, components=(*moved, *rest))


@cache
def adapted_plan(scenario_id: str, seed: int) -> Plan:
    """A plan that passes in the draw (with the default rubric weights) and is no unchanged copy of the lesson's
    plan or of the draw's benchmark."""
    chosen = scenario(scenario_id)
    params = draw_parameters(chosen, seed)
    benchmark = benchmark_plan(chosen, params, seed).plan
    for base in (recommended_plan(chosen, params.budget_ttc), benchmark):
        for plan in (base, *_changes(base)):
            if is_unchanged_copy(plan, plan.ttc) or same_design(plan, benchmark):
                continue
            if evaluate(plan, scenario_id, seed).grade.passed:
                return plan
    raise AssertionError(f"no adapted plan passes in {scenario_id} draw {seed}")


def copied_plan(scenario_id: str, seed: int) -> Plan:
    """The lesson's plan at the draw's budget, unchanged: what "start from the lesson's plan" fills in."""
    return lesson_plan(draw_parameters(scenario(scenario_id), seed).budget_ttc)


def posted(name: str, plan: Mapping) -> dict:
    """The editor's form fields for `plan` (as `plan_data` gives it), as a browser would send them."""
    values = form_data(name, plan)
    data: dict[str, object] = {}
    for key, value in values.items():
        if key == "components":
            for i, row in enumerate(value):
                data[f"components-{i}-metric"] = row.get("metric") or ""  # a browser sends every row's choices
                for field, item in row.items():
                    if field == "gated":
                        if item:
                            data[f"components-{i}-gated"] = "y"
                    elif item is not None:
                        data[f"components-{i}-{field}"] = item
        elif isinstance(value, bool):
            if value:
                data[key] = "y"
        elif value is not None:
            data[key] = value
    return data
