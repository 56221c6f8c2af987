"""The assigned sandbox account: which scenarios are of a kind, and which designs count for the sandbox step."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from course.core import assignment
from course.core.assignment import Assignment
from course.core.sandbox import SCENARIOS, recommended_plan, same_design


def test_every_scenario_has_a_kind_and_every_scenario_has_another_kind_to_pass() -> None:
    assert set(assignment.KINDS) == set(SCENARIOS)  # a new scenario needs a decision on its kind
    for scenario_id in SCENARIOS:
        others = Assignment(scenario_id, 1).other_scenarios(list(SCENARIOS))
        assert others and scenario_id not in others


def test_defend_and_at_risk_are_one_kind() -> None:
    assert Assignment("defend", 1).other_scenarios(list(SCENARIOS)) == ("growth", "global_team")
    assert Assignment("growth", 1).other_scenarios(list(SCENARIOS)) == ("defend", "at_risk", "global_team")


def test_only_the_assigned_draw_counts_in_the_assigned_scenario() -> None:
    mine = Assignment("growth", 1234)
    assert mine.counts_as("growth", 1234) == "assigned"
    assert mine.counts_as("growth", 99) is None  # an easier draw of the same account does not count
    assert mine.counts_as("defend", 99) == "other"  # other kinds: any draw, they are for practice
    assert Assignment("defend", 5).counts_as("at_risk", 5) is None  # same kind


@given(st.integers(0, 2**31 - 1), st.integers(0, 2**31 - 1))
def test_pick_is_a_known_scenario_and_keeps_the_seed(draw: int, seed: int) -> None:
    picked = assignment.pick(list(SCENARIOS), draw, seed)
    assert picked.scenario_id in SCENARIOS and picked.seed == seed
    assert assignment.pick(list(reversed(SCENARIOS)), draw, seed) == picked  # the order given does not matter


def test_every_scenario_can_be_assigned() -> None:
    assert {assignment.pick(list(SCENARIOS), n, 0).scenario_id for n in range(len(SCENARIOS))} == set(SCENARIOS)


def test_a_copy_is_the_same_design_whatever_the_budget_or_order_and_a_change_is_not() -> None:
    plan = recommended_plan("global_team", 150_000)
    moved = replace(plan, ttc=120_000, base_salary=plan.base_salary * 0.8, components=plan.components[::-1])
    assert same_design(moved, plan)
    first = plan.components[0]
    tweaked = replace(plan, components=(replace(first, weight_pct=first.weight_pct - 5), *plan.components[1:]))
    assert not same_design(tweaked, plan)
    assert not same_design(replace(plan, base_salary=plan.base_salary + 1_500), plan)
