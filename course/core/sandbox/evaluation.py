"""One evaluation of a plan in a scenario draw: simulation, benchmark, salesperson comparison and grade.

This is what the web pages and the JSON API call. The result depends only on the plan, the scenario,
the seed of the scenario draw and the rubric weights, so it is memoised in-process: a learner who
reloads a result, compares two saved versions or sends the same plan twice costs a dictionary lookup.

A new seed costs four simulations, about 25 ms: the plan, the salesperson plan and the benchmark's two
(`benchmark.benchmark_plan`). The benchmark's design-space search runs once per scenario and process,
about 1 s on the first evaluation in that scenario; `benchmark.warm_up()` at start-up spares a learner
that wait.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from course.core.sandbox.benchmark import Benchmark, benchmark_plan
from course.core.sandbox.plan import Plan
from course.core.sandbox.rubric import Grade, grade
from course.core.sandbox.scenarios import Scenario, ScenarioParameters, draw_parameters, scenario
from course.core.sandbox.simulation import SimulationResult, salesperson_plan, simulate

CACHE_SIZE = 512


@dataclass(frozen=True)
class Evaluation:
    scenario: Scenario
    seed: int
    params: ScenarioParameters
    plan: Plan
    result: SimulationResult
    grade: Grade
    benchmark: Benchmark
    salesperson: SimulationResult  # the plain salesperson plan at the scenario's budget


_CACHE: OrderedDict[tuple, Evaluation] = OrderedDict()


def evaluate(plan: Plan, scenario_id: str, seed: int, weights: Mapping[str, float] | None = None) -> Evaluation:
    """Simulate and grade `plan` in the draw `seed` of the scenario (raises NotFound for an unknown one).

    `weights` must be validated (`rubric.validate_weights`); None means the default weights.
    """
    chosen = scenario(scenario_id)
    key = (plan, chosen.id, seed, tuple(sorted(weights.items())) if weights is not None else None)
    found = _CACHE.get(key)
    if found is not None:
        _CACHE.move_to_end(key)
        return found
    params = draw_parameters(chosen, seed)
    result = simulate(plan, params, seed=seed)
    benchmark = benchmark_plan(chosen, params, seed)
    found = Evaluation(
        scenario=chosen,
        seed=seed,
        params=params,
        plan=plan,
        result=result,
        grade=grade(plan, params, result, benchmark, weights),
        benchmark=benchmark,
        salesperson=simulate(salesperson_plan(params.budget_ttc), params, seed=seed),
    )
    _CACHE[key] = found
    if len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return found


def clear_cache() -> None:
    _CACHE.clear()


def plan_data(plan: Plan) -> dict:
    """The plan as JSON-ready data in the shape `validate_plan` reads, so a saved plan reads back equal."""
    return {
        "ttc": plan.ttc,
        "base_salary": plan.base_salary,
        "currency": plan.currency,
        "components": [
            {
                "metric": c.metric,
                "weight_pct": c.weight_pct,
                "period": c.period,
                "credit": c.credit,
                "team_share_pct": c.team_share_pct,
                "threshold_pct": c.threshold_pct,
                "target_pct": c.target_pct,
                "cap_pct": c.cap_pct,
                "mandate_questions": list(c.mandate_questions),
            }
            for c in plan.components
        ],
        "gates": [{"condition": g.condition, "applies_to": list(g.applies_to)} for g in plan.gates],
        "clawback": (
            {
                "trigger": plan.clawback.trigger,
                "window_months": plan.clawback.window_months,
                "share_pct": plan.clawback.share_pct,
            }
            if plan.clawback
            else None
        ),
        "deferral": {"pct": plan.deferral.pct, "years": plan.deferral.years},
        "indirect_rewards": sorted(plan.indirect_rewards),
    }
