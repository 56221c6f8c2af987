"""What the results page compares: the learner's plan, the benchmark and the salesperson plan
(docs/sandbox-model.md)"""

from __future__ import annotations

import pytest

from course.core.sandbox import (
    SCENARIOS,
    benchmark_plan,
    draw_parameters,
    recommended_plan,
    salesperson_plan,
    scenario,
    simulate,
    typical_parameters,
)
from course.core.sandbox import benchmark as benchmark_module
from course.core.sandbox.evaluation import evaluate

SCENARIO_IDS = sorted(SCENARIOS)
SEEDS = range(21)


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
def test_the_salesperson_plan_is_worth_less_to_the_company_than_the_lessons_plans(scenario_id: str) -> None:
    # Over the three-year horizon the customer an overselling KAM loses costs more than the extra
    # selling earns: salesperson < recommended ≤ benchmark, at the typical numbers and in every draw.
    chosen = scenario(scenario_id)
    params = typical_parameters(chosen)
    sales = simulate(salesperson_plan(params.budget_ttc), params)
    recommended = simulate(recommended_plan(chosen, params.budget_ttc), params)
    benchmark = benchmark_plan(chosen, params)
    assert sales.company_value < recommended.company_value <= benchmark.result.company_value
    for seed in SEEDS:
        found = evaluate(recommended_plan(chosen, draw_parameters(chosen, seed).budget_ttc), scenario_id, seed)
        assert found.salesperson.company_value < found.result.company_value, seed
        assert found.result.company_value <= found.benchmark.result.company_value, seed
        assert found.salesperson.retention[2] < found.benchmark.result.retention[2], seed


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
def test_a_new_draw_costs_the_benchmark_two_simulations(scenario_id: str, monkeypatch) -> None:
    searched = benchmark_module.search(scenario_id)
    assert benchmark_module.search(scenario_id) is searched  # the design-space search runs once per scenario
    calls = []

    def counting(*args, **kwargs):
        calls.append(args[0])
        return simulate(*args, **kwargs)

    monkeypatch.setattr(benchmark_module, "simulate", counting)
    params = draw_parameters(scenario(scenario_id), 90_001)
    found = benchmark_plan(scenario_id, params, 90_001)
    assert len(calls) <= 2
    assert found.candidates == searched.candidates > 100
    assert found.plan.ttc == params.budget_ttc
    assert found.design in (searched.design, "recommended")
    assert benchmark_plan(scenario_id, params, 90_001) is found
    assert len(calls) <= 2


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
@pytest.mark.parametrize("seed", [4, 5, 6])
def test_the_benchmark_is_never_worse_than_the_recommended_plan_in_a_draw(scenario_id: str, seed: int) -> None:
    params = draw_parameters(scenario(scenario_id), seed)
    benchmark = benchmark_plan(scenario_id, params, seed)
    recommended = simulate(recommended_plan(scenario_id, params.budget_ttc), params, seed=seed)
    assert benchmark.result.company_value >= recommended.company_value
    assert benchmark.result.retention[0] >= min(params.target_retention, recommended.retention[0]) - 1e-9
    assert benchmark.result.plan_cost <= max(1.1 * params.budget_ttc, recommended.plan_cost)


def test_evaluations_are_reproducible_and_memoised() -> None:
    plan = recommended_plan("defend")
    first = evaluate(plan, "defend", 7)
    assert evaluate(plan, "defend", 7) is first
    benchmark_module.clear_cache()
    from course.core.sandbox import evaluation

    evaluation.clear_cache()
    again = evaluate(plan, "defend", 7)
    assert again is not first and again == first


def test_warm_up_runs_every_scenarios_search() -> None:
    benchmark_module.warm_up()
    assert benchmark_module.searched_scenarios() == set(SCENARIOS)


def test_documents_are_kept_inside_their_evaluation_once_per_key_and_bounded() -> None:
    from course.core.sandbox import evaluation

    found = evaluate(recommended_plan("defend"), "defend", 8)
    renders: list[str] = []

    def render(text: str):
        return lambda: renders.append(text) or text.encode()

    assert found.document(("api", None, "de"), render("de")) == b"de"
    assert evaluate(recommended_plan("defend"), "defend", 8).document(("api", None, "de"), render("again")) == b"de"
    assert renders == ["de"]
    for number in range(evaluation.DOCUMENTS_KEPT + 2):
        found.document(("api", f"course-{number}", "en"), render(str(number)))
    assert len(found.documents) == evaluation.DOCUMENTS_KEPT
    assert found == evaluation._evaluate(found.plan, found.scenario, found.seed, None)  # documents are no part of it
    evaluation.clear_cache()
    assert evaluate(recommended_plan("defend"), "defend", 8).documents == {}  # they went with their evaluation


def test_every_plan_in_a_draw_compares_with_one_salesperson_result_simulated_once() -> None:
    from course.core.sandbox import evaluation

    evaluation.clear_cache()
    first = evaluate(recommended_plan("defend"), "defend", 9)
    other = evaluate(salesperson_plan(first.params.budget_ttc * 1.1), "defend", 9)
    assert other.salesperson is first.salesperson  # the draw's own, not simulated again
    assert first.salesperson == simulate(salesperson_plan(first.params.budget_ttc), first.params, seed=9)
    assert evaluate(recommended_plan("defend"), "defend", 10).salesperson != first.salesperson  # another draw
