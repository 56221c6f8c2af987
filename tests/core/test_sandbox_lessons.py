"""The sandbox grader agrees with the lessons (#14): each design rule lesson 6 teaches is checked by a criterion
and/or the simulation, in every scenario it concerns and over several draws (docs/sandbox-model.md, "Rules").
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import yaml

from course.core.sandbox import (
    CRITERIA,
    INDIRECT_REWARDS,
    MANDATE_QUESTIONS,
    PASS_SCORE,
    SCENARIOS,
    Clawback,
    Component,
    Gate,
    Plan,
    benchmark_plan,
    draw_parameters,
    grade,
    is_unchanged_copy,
    lesson_plan,
    recommended_plan,
    salesperson_plan,
    scenario,
)
from course.core.sandbox.evaluation import evaluate

ROOT = Path(__file__).resolve().parents[2]
SCENARIO_IDS = sorted(SCENARIOS)
SEEDS = (1, 2, 3, 4, 5)
OTHERS = ("at_risk", "defend", "global_team")  # the accounts without white space
ALL_REWARDS = frozenset(INDIRECT_REWARDS)


def budget(scenario_id: str, seed: int) -> float:
    return draw_parameters(scenario(scenario_id), seed).budget_ttc


def graded(plan: Plan, scenario_id: str, seed: int):
    return evaluate(plan, scenario_id, seed).grade


def following_lesson_6(scenario_id: str, ttc: float) -> Plan:
    """A plan a learner builds by following lesson 6 for the account, different from the recommended plan."""
    yearly = (
        Component("retention", 40.0, cap_pct=200.0),
        Component("satisfaction", 30.0, cap_pct=200.0),
        Component("mandate_objectives", 30.0, mandate_questions=MANDATE_QUESTIONS, cap_pct=200.0),
    )
    plans = {
        "defend": Plan(ttc, 0.8 * ttc, yearly, (Gate(),), indirect_rewards=frozenset({"recognition", "autonomy"})),
        "at_risk": Plan(
            ttc,
            0.75 * ttc,
            (
                Component("retention", 50.0),
                Component("satisfaction", 25.0),
                Component("mandate_objectives", 25.0, period="half", mandate_questions=MANDATE_QUESTIONS),
            ),
            (Gate(),),
            indirect_rewards=ALL_REWARDS,
        ),
        "growth": Plan(
            ttc,
            0.72 * ttc,
            (
                Component("revenue_growth", 30.0),
                Component("retention", 30.0),
                Component("satisfaction", 20.0),
                Component("mandate_objectives", 20.0, mandate_questions=MANDATE_QUESTIONS),
            ),
            (Gate(),),
            clawback=Clawback("churn", 12, 100.0),
            indirect_rewards=ALL_REWARDS,
        ),
        # The lesson's own example: renewal 40 %, relationship quality 30 %, team goal 30 %.
        "global_team": Plan(
            ttc,
            0.8 * ttc,
            (
                Component("retention", 40.0),
                Component("satisfaction", 30.0, mandate_questions=("who_contact", "how_ensure")),
                Component(
                    "team_account_goal", 30.0, credit="team", mandate_questions=("what_achieve", "where_support")
                ),
            ),
            (Gate(),),
            indirect_rewards=ALL_REWARDS,
        ),
    }
    return plans[scenario_id]


def with_commission(plan: Plan, metric: str = "revenue", weight: float = 15.0) -> Plan:
    scaled = [dataclasses.replace(c, weight_pct=c.weight_pct * (100 - weight) / 100) for c in plan.components]
    return dataclasses.replace(
        plan,
        components=(*scaled, Component(metric, weight, period="quarter")),
        clawback=Clawback("churn", 12, 100.0),
    )


def unreachable(plan: Plan) -> Plan:
    return dataclasses.replace(
        plan,
        components=tuple(dataclasses.replace(c, threshold_pct=150.0, target_pct=200.0) for c in plan.components),
    )


# The plans the course compares -------------------------------------------------------------------------


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_the_salesperson_plan_fails_everywhere(scenario_id: str, seed: int) -> None:
    result = graded(salesperson_plan(budget(scenario_id, seed)), scenario_id, seed)
    assert not result.passed and result.score < PASS_SCORE / 2


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_a_plan_built_by_following_lesson_6_for_the_account_passes_there(scenario_id: str, seed: int) -> None:
    ttc = budget(scenario_id, seed)
    for plan in (following_lesson_6(scenario_id, ttc), recommended_plan(scenario_id, ttc)):
        result = graded(plan, scenario_id, seed)
        assert result.passed, [(c.id, c.verdict) for c in result.criteria if c.verdict != "pass"]
        assert result.failed == 0


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
def test_the_benchmark_earns_every_point_of_its_own_rubric_and_keeps_the_renewal_gate(scenario_id: str) -> None:
    # Seeds 1 and 47 (defend) and 1, 18 and 47 (at-risk) once gave the benchmark 93 of 100 against itself.
    for seed in (*SEEDS, 18, 47):
        params = draw_parameters(scenario(scenario_id), seed)
        bench = benchmark_plan(scenario_id, params, seed)
        assert grade(bench.plan, params, bench.result, bench.result).score == 100, seed
        assert bench.plan.gates, seed  # lesson 6, step 3: the gate is the anchor
        assert not any(c.metric in ("revenue", "margin") for c in bench.plan.components)


# Item 2: a plan right for one account is not right for another ----------------------------------------


@pytest.mark.parametrize("scenario_id", ["global_team", "growth"])
@pytest.mark.parametrize("seed", SEEDS)
def test_the_defend_plan_copied_to_an_account_whose_specifics_it_ignores_stays_below_the_pass_mark(
    scenario_id: str, seed: int
) -> None:
    ttc = budget(scenario_id, seed)
    for plan in (recommended_plan("defend", ttc), lesson_plan(ttc)):
        result = graded(plan, scenario_id, seed)
        assert not result.passed and result.score < PASS_SCORE
        missed = "team_credit" if scenario_id == "global_team" else "no_commission_crowding"
        assert result.criterion(missed).verdict == "fail"
    # … while it passes where it fits.
    assert graded(recommended_plan("defend", budget("defend", seed)), "defend", seed).passed


@pytest.mark.parametrize("scenario_id", OTHERS)
@pytest.mark.parametrize("seed", SEEDS)
def test_revenue_commission_outside_a_growth_account_costs_the_commission_criterion_even_with_a_clawback(
    scenario_id: str, seed: int
) -> None:
    fitted = recommended_plan(scenario_id, budget(scenario_id, seed))
    for metric in ("revenue", "margin", "revenue_growth"):
        result = graded(with_commission(fitted, metric), scenario_id, seed)
        commission = result.criterion("no_commission_crowding")
        assert commission.verdict == "fail" and commission.points == 0, metric
        assert "even with a clawback" in commission.text()
        assert not result.passed
        assert result.score < graded(fitted, scenario_id, seed).score


@pytest.mark.parametrize("seed", SEEDS)
def test_at_a_growth_account_only_growth_above_baseline_may_be_commissioned(seed: int) -> None:
    fitted = recommended_plan("growth", budget("growth", seed))
    assert graded(fitted, "growth", seed).criterion("no_commission_crowding").verdict == "pass"
    plain = graded(with_commission(fitted, "revenue"), "growth", seed)
    assert plain.criterion("no_commission_crowding").verdict == "fail"
    assert "buys anyway" in plain.criterion("no_commission_crowding").text()
    assert not plain.passed
    # Growth pay as the whole bonus is a salesperson's plan in disguise.
    only_growth = dataclasses.replace(fitted, components=(Component("revenue_growth", 100.0),))
    assert graded(only_growth, "growth", seed).criterion("no_commission_crowding").verdict == "fail"


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
@pytest.mark.parametrize("seed", (1, 2, 3))
def test_a_bonus_that_almost_never_pays_counts_as_no_variable_pay(scenario_id: str, seed: int) -> None:
    fitted = recommended_plan(scenario_id, budget(scenario_id, seed))
    result = graded(unreachable(fitted), scenario_id, seed)
    for criterion_id in ("risk_controls", "retention_anchor"):
        check = result.criterion(criterion_id)
        assert check.verdict == "fail", criterion_id
        assert "will almost never pay" in check.text() and "fixed salary and knows it" in check.text()
    assert not result.passed
    # The KAM works less for the relationship than under the reachable plan, towards a fixed salary's level.
    reached = evaluate(fitted, scenario_id, seed).result
    missed = evaluate(unreachable(fitted), scenario_id, seed).result
    fixed_only = evaluate(dataclasses.replace(fitted, base_salary=fitted.ttc, components=()), scenario_id, seed).result
    assert fixed_only.relationship_effort <= missed.relationship_effort + 0.01
    assert missed.relationship_effort < reached.relationship_effort


# Item 1: each rule of lesson 6 ---------------------------------------------------------------------------


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
def test_step_1_pay_mostly_fixed(scenario_id: str) -> None:
    ttc = budget(scenario_id, 1)
    fitted = recommended_plan(scenario_id, ttc)
    assert graded(fitted, scenario_id, 1).criterion("pay_mix").verdict == "pass"
    half = graded(dataclasses.replace(fitted, base_salary=0.5 * ttc), scenario_id, 1)
    assert half.criterion("pay_mix").verdict == "fail" and not half.passed
    assert "Lower the variable share" in half.criterion("pay_mix").text()


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
def test_step_3_the_renewal_gate_is_the_anchor(scenario_id: str) -> None:
    fitted = recommended_plan(scenario_id, budget(scenario_id, 1))
    assert graded(fitted, scenario_id, 1).criterion("retention_anchor").verdict == "pass"
    ungated = graded(dataclasses.replace(fitted, gates=()), scenario_id, 1).criterion("retention_anchor")
    assert ungated.verdict == "partial" and "gate" in ungated.text()
    nothing = dataclasses.replace(
        fitted, gates=(), components=tuple(c for c in fitted.components if c.metric != "retention")
    )
    nothing = dataclasses.replace(
        nothing,
        components=tuple(dataclasses.replace(c, weight_pct=100 / len(nothing.components)) for c in nothing.components),
    )
    assert graded(nothing, scenario_id, 1).criterion("retention_anchor").verdict == "fail"


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
def test_step_4_a_few_balanced_measures(scenario_id: str) -> None:
    # The lesson's common mistake, "seven measures at 5 % each", as far as a plan's six components go.
    ttc = budget(scenario_id, 1)
    many = Plan(
        ttc,
        0.8 * ttc,
        tuple(
            Component(m, w)
            for m, w in (
                ("retention", 75.0),
                ("satisfaction", 5.0),
                ("mandate_objectives", 5.0),
                ("share_of_wallet", 5.0),
                ("team_account_goal", 5.0),
                ("margin", 5.0),
            )
        ),
        (Gate(),),
    )
    assert graded(many, scenario_id, 1).criterion("scorecard").verdict == "fail"


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
def test_step_5_objectives_from_the_four_mandate_questions(scenario_id: str) -> None:
    fitted = recommended_plan(scenario_id, budget(scenario_id, 1))
    unlinked = dataclasses.replace(
        fitted, components=tuple(dataclasses.replace(c, mandate_questions=()) for c in fitted.components)
    )
    result = graded(unlinked, scenario_id, 1)
    assert result.criterion("mandate_link").verdict == "fail" and not result.passed


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
def test_step_6_relationship_objectives_are_paid_at_year_end(scenario_id: str) -> None:
    fitted = recommended_plan(scenario_id, budget(scenario_id, 1))
    quarterly = dataclasses.replace(
        fitted,
        gates=(),
        components=tuple(dataclasses.replace(c, period="quarter") for c in fitted.components),
    )
    result = graded(quarterly, scenario_id, 1)
    assert result.criterion("timing").verdict == "fail" and not result.passed


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
def test_step_7_caps_high_or_absent_and_a_cap_on_a_yes_no_metric_is_not_penalised(scenario_id: str) -> None:
    fitted = recommended_plan(scenario_id, budget(scenario_id, 1))
    capped = [dataclasses.replace(c, cap_pct=100.0) if c.metric == "retention" else c for c in fitted.components]
    assert (
        graded(dataclasses.replace(fitted, components=tuple(capped)), scenario_id, 1).criterion("risk_controls").verdict
        == "pass"
    )
    low = [dataclasses.replace(c, cap_pct=120.0) if c.metric != "retention" else c for c in fitted.components]
    check = graded(dataclasses.replace(fitted, components=tuple(low)), scenario_id, 1).criterion("risk_controls")
    assert check.verdict == "partial" and "raise it" in check.text()


@pytest.mark.parametrize("scenario_id", ["growth"])
def test_step_7_commission_needs_a_clawback(scenario_id: str) -> None:
    fitted = recommended_plan(scenario_id, budget(scenario_id, 1))
    result = graded(dataclasses.replace(fitted, clawback=None), scenario_id, 1)
    check = result.criterion("risk_controls")
    assert check.verdict == "fail" and "clawback" in check.text() and not result.passed


@pytest.mark.parametrize("seed", SEEDS)
def test_step_8_team_credit_where_the_team_serves(seed: int) -> None:
    fitted = recommended_plan("global_team", budget("global_team", seed))
    assert graded(fitted, "global_team", seed).criterion("team_credit").verdict == "pass"
    # Team credit is not demanded where the KAM decides the account: not penalised there.
    for scenario_id in OTHERS[:2]:
        assert (
            graded(lesson_plan(budget(scenario_id, seed)), scenario_id, seed).criterion("team_credit").verdict == "pass"
        )


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
def test_step_8_indirect_rewards(scenario_id: str) -> None:
    fitted = recommended_plan(scenario_id, budget(scenario_id, 1))
    bare = graded(dataclasses.replace(fitted, indirect_rewards=frozenset()), scenario_id, 1)
    assert bare.criterion("indirect_rewards").verdict == "fail" and not bare.passed


# The outcome: proportional to the distance ---------------------------------------------------------------


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
def test_the_outcome_earns_credit_in_proportion_and_names_the_retention_actually_needed(scenario_id: str) -> None:
    for seed in SEEDS:
        found = evaluate(lesson_plan(budget(scenario_id, seed)), scenario_id, seed)
        outcome = found.grade.criterion("outcome")
        if outcome.verdict == "partial":
            assert 0 < outcome.points < outcome.max_points
        needed = min(found.params.target_retention, found.benchmark.result.retention[0]) - 0.02
        assert outcome.params["target"] == pytest.approx(round(needed * 100, 1))


# Feedback that teaches -----------------------------------------------------------------------------------

ACTIONS = re.compile(
    r"\b(add|put|give|move|set|raise|lower|make|pay|share|use|link|reward|derive|keep|compare|replace)\b", re.I
)


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
def test_every_criterion_that_is_not_passed_says_what_to_change(scenario_id: str) -> None:
    ttc = budget(scenario_id, 1)
    bad = [
        salesperson_plan(ttc),
        unreachable(recommended_plan(scenario_id, ttc)),
        with_commission(lesson_plan(ttc)),
        Plan(ttc, ttc * 0.98, (Component("retention", 100.0, period="quarter"),)),
        Plan(ttc, ttc, ()),
    ]
    seen = set()
    for plan in bad:
        for check in graded(plan, scenario_id, 1).criteria:
            if check.verdict != "pass":
                seen.add(check.id)
                assert ACTIONS.search(check.text()), (check.id, check.text())
                assert check.lesson.lesson_id and check.lesson.anchor("en")
    assert len(seen) >= 8


# The lesson's plans and copies ---------------------------------------------------------------------------


def test_the_lessons_general_plan_is_what_lesson_6_teaches() -> None:
    plan = lesson_plan(112_500)
    assert plan.base_salary == 90_000  # 80 % fixed, as in the lesson's example
    assert plan.gates and all(plan.gated(i) for i in range(len(plan.components)))
    assert {c.metric for c in plan.components} == {"retention", "satisfaction", "mandate_objectives"}
    assert plan.team_credit_pct == 0 and plan.clawback is None
    assert set(plan.indirect_rewards) == set(INDIRECT_REWARDS)


def test_an_unchanged_copy_is_recognised_after_normalising_numbers() -> None:
    for scenario_id in SCENARIO_IDS:
        fitted = recommended_plan(scenario_id, 150_000)
        assert is_unchanged_copy(fitted, 150_000)
        assert is_unchanged_copy(dataclasses.replace(fitted, components=tuple(reversed(fitted.components))), 150_000)
    assert is_unchanged_copy(lesson_plan(130_000), 130_000)
    assert is_unchanged_copy(lesson_plan(130_000.0), 99_000)  # the design, not the budget
    changed = lesson_plan(130_000)
    assert not is_unchanged_copy(dataclasses.replace(changed, base_salary=changed.base_salary - 6_500), 130_000)
    assert not is_unchanged_copy(dataclasses.replace(changed, gates=()), 130_000)
    assert not is_unchanged_copy(following_lesson_6("global_team", 130_000), 130_000)
    assert not is_unchanged_copy(salesperson_plan(130_000), 130_000)


def test_the_pass_mark_agrees_with_the_courses_sandbox_completion() -> None:
    course = yaml.safe_load((ROOT / "content" / "kam-pay" / "course.yml").read_text(encoding="utf-8"))
    assert course["completion"]["sandbox"] == PASS_SCORE


def test_every_criterion_is_covered_by_the_rule_table() -> None:
    table = (ROOT / "docs" / "sandbox-model.md").read_text(encoding="utf-8")
    for criterion_id in CRITERIA:
        assert f"`{criterion_id}`" in table, criterion_id
