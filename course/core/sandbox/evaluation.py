"""One evaluation of a plan in a scenario draw: simulation, benchmark, salesperson comparison and grade.

This is what the web pages and the JSON API call. The result depends only on the plan, the scenario,
the seed of the scenario draw and the rubric weights, so the most recently used `EVALUATIONS_KEPT` are
kept in the "sandbox.evaluations" cache: a learner who reloads a result, compares two saved versions or
sends the same plan twice costs a lookup. It is the only cache of evaluations: the web layer keeps what it
makes of one (the API's finished JSON, per course and language; localised feedback and lesson links cost
more than the lookup) inside that evaluation (`Evaluation.document`), so it is held once and dropped with it.

A new plan in a draw already seen costs one simulation: the plan's. The first plan in a new draw adds three,
about 25 ms in all: the benchmark's two (`benchmark.benchmark_plan`) and the salesperson plan at the draw's
budget, each kept per draw ("sandbox.benchmarks", "sandbox.salespeople") since every plan in the draw
compares with the same ones. The benchmark's design-space search runs once per scenario and process, about
1 s on the first evaluation in that scenario; `benchmark.warm_up()` at start-up spares a learner that wait.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field

from course.core.caching import Cache, cache
from course.core.sandbox.benchmark import BENCHMARKS_KEPT, Benchmark, benchmark_plan
from course.core.sandbox.plan import Plan
from course.core.sandbox.rubric import Grade, grade
from course.core.sandbox.scenarios import Scenario, ScenarioParameters, draw_parameters, scenario
from course.core.sandbox.simulation import SimulationResult, salesperson_plan, simulate

# A few per learner at work in the sandbox, each a plan's whole result with its JSON (about 16 KB): 4 MB when full.
# A plan that fell out costs one simulation again, since its draw's benchmark and salesperson result are kept.
EVALUATIONS_KEPT = 256
DOCUMENTS_KEPT = 4  # per evaluation: two languages, with and without a course's lesson links
_DOCUMENTS_LOCK = threading.Lock()


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
    # What the web layer made of this evaluation, by its own key; not part of the result (see `document`).
    documents: dict[Hashable, bytes] = field(default_factory=dict, init=False, compare=False, hash=False, repr=False)

    def document(self, key: Hashable, render: Callable[[], bytes]) -> bytes:
        """`render()` of this evaluation, made once per `key` (e.g. a language and a course) and kept with it, so the
        evaluation cache holds the evaluation and its documents together; at most `DOCUMENTS_KEPT` are kept."""
        with _DOCUMENTS_LOCK:
            found = self.documents.get(key)
        if found is None:
            found = render()  # outside the lock, like the cache's own computations
            with _DOCUMENTS_LOCK:
                if key in self.documents or len(self.documents) < DOCUMENTS_KEPT:
                    self.documents[key] = found
        return found


_EVALUATIONS: Cache[Evaluation] = cache("sandbox.evaluations", EVALUATIONS_KEPT)
# The salesperson plan of a draw (its budget, its seed) is the same for every plan evaluated in it.
_SALESPEOPLE: Cache[SimulationResult] = cache("sandbox.salespeople", BENCHMARKS_KEPT)


def evaluate(plan: Plan, scenario_id: str, seed: int, weights: Mapping[str, float] | None = None) -> Evaluation:
    """Simulate and grade `plan` in the draw `seed` of the scenario (raises NotFound for an unknown one).

    `weights` must be validated (`rubric.validate_weights`); None means the default weights.
    """
    chosen = scenario(scenario_id)
    key = (plan, chosen.id, seed, tuple(sorted(weights.items())) if weights is not None else None)
    return _EVALUATIONS.get_or_compute(key, lambda: _evaluate(plan, chosen, seed, weights))


def _evaluate(plan: Plan, chosen: Scenario, seed: int, weights: Mapping[str, float] | None) -> Evaluation:
    params = draw_parameters(chosen, seed)
    result = simulate(plan, params, seed=seed)
    benchmark = benchmark_plan(chosen, params, seed)
    return Evaluation(
        scenario=chosen,
        seed=seed,
        params=params,
        plan=plan,
        result=result,
        grade=grade(plan, params, result, benchmark, weights),
        benchmark=benchmark,
        salesperson=_SALESPEOPLE.get_or_compute(
            (chosen.id, params, seed), lambda: simulate(salesperson_plan(params.budget_ttc), params, seed=seed)
        ),
    )


def clear_cache() -> None:
    """Forget the kept evaluations and salesperson results (the benchmarks stay: `benchmark.clear_cache`)."""
    _EVALUATIONS.clear()
    _SALESPEOPLE.clear()


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
