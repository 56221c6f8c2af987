"""The KAM simulation: reproducible, bounded, and behaving as the multitask model says (docs/sandbox-model.md)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from course.core.errors import NotFound
from course.core.sandbox import (
    INDIRECT_REWARDS,
    SCENARIOS,
    Clawback,
    Component,
    Deferral,
    Gate,
    Plan,
    ScenarioParameters,
    benchmark_plan,
    closed_form_response,
    draw_parameters,
    is_linear,
    lesson_plan,
    numeric_response,
    recommended_plan,
    salesperson_plan,
    scenario,
    simulate,
    typical_parameters,
    validate_plan,
)
from course.core.sandbox.simulation import selling_value, team_effort

SCENARIO_IDS = sorted(SCENARIOS)
BASE = 90_000.0
# The numeric solver refines to a final step of about 0.0007 effort units; comparisons allow 0.01
# (1 % of target effort), which covers that step and nothing a learner could see.
EFFORT_TOLERANCE = 0.01
# derandomize: CI runs the same examples every time; the properties were also run with 300 examples
# under three random seeds before they were committed.
PROPERTY_SETTINGS = settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)

scenario_draws = st.builds(
    draw_parameters, st.sampled_from(SCENARIO_IDS).map(scenario), st.integers(min_value=0, max_value=10_000)
)
amounts = st.integers(min_value=1_000, max_value=40_000).map(float)
relationship_pay = st.builds(
    Component,
    metric=st.sampled_from(["retention", "satisfaction", "mandate_objectives"]),
    weight_pct=st.just(1.0),
    period=st.sampled_from(["quarter", "half", "year"]),
    credit=st.sampled_from(["individual", "team"]),
    threshold_pct=st.sampled_from([None, 50.0, 80.0]),
    cap_pct=st.sampled_from([None, 150.0, 200.0]),
)
non_commission = st.builds(
    Component,
    metric=st.sampled_from(["retention", "satisfaction", "mandate_objectives", "share_of_wallet", "team_account_goal"]),
    weight_pct=st.just(1.0),
    period=st.sampled_from(["quarter", "half", "year"]),
    credit=st.sampled_from(["individual", "team"]),
    threshold_pct=st.sampled_from([None, 50.0, 80.0]),
    cap_pct=st.sampled_from([None, 150.0, 200.0]),
)
# Pay that is never negative: a threshold or the growth floor keeps a bad year at zero, not below.
renewal_or_commission = st.builds(
    Component,
    metric=st.sampled_from(["revenue", "revenue_growth", "retention"]),
    weight_pct=st.just(1.0),
    period=st.sampled_from(["quarter", "half", "year"]),
    threshold_pct=st.sampled_from([0.0, 50.0]),
    cap_pct=st.sampled_from([None, 200.0]),
)
linear_component = st.builds(
    Component,
    metric=st.sampled_from(
        ["revenue", "margin", "share_of_wallet", "satisfaction", "mandate_objectives", "team_account_goal"]
    ),
    weight_pct=st.just(1.0),
    credit=st.sampled_from(["individual", "team", "split"]),
    team_share_pct=st.just(40.0),
    target_pct=st.sampled_from([80.0, 100.0, 120.0]),
)


def plan_paying(
    parts: Sequence[tuple[Component, float]],
    *,
    gates: tuple[Gate, ...] = (),
    clawback: Clawback | None = None,
    rewards: frozenset[str] = frozenset(),
) -> Plan:
    """A plan that pays each component the given target amount on top of a fixed base."""
    total = sum(amount for _, amount in parts)
    components = tuple(dataclasses.replace(c, weight_pct=100 * amount / total) for c, amount in parts)
    return Plan(BASE + total, BASE, components, gates, clawback, indirect_rewards=rewards)


def test_same_plan_scenario_and_seed_give_the_same_result() -> None:
    params = draw_parameters(scenario("defend"), 42)
    plan = recommended_plan("defend")
    assert simulate(plan, params) == simulate(plan, draw_parameters(scenario("defend"), 42))
    assert draw_parameters(scenario("defend"), 43) != params


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
def test_drawn_parameters_stay_in_the_documented_ranges(scenario_id: str) -> None:
    chosen = scenario(scenario_id)
    for seed in range(20):
        params = draw_parameters(chosen, seed)
        for name, (low, high) in chosen.ranges.items():
            assert low <= getattr(params, name) <= high, name
        assert params.delta**2 < params.c_s * params.c_r
        assert params.p0 >= 0.5  # the range in which a renewal gate cannot backfire (docs/sandbox-model.md)


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
def test_every_scenario_tells_its_story_in_german_and_english(scenario_id: str) -> None:
    chosen = scenario(scenario_id)
    assert chosen.title("de") != chosen.title("en")
    assert len(chosen.story("de")) > 80 and len(chosen.story("en")) > 80


def test_an_unknown_scenario_is_not_found() -> None:
    with pytest.raises(NotFound) as caught:
        scenario("moon_base")
    assert caught.value.params == {"scenario": "moon_base"}


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
@pytest.mark.parametrize("seed", [None, 1, 2, 3])
def test_salesperson_plan_gets_less_relationship_work_and_retention_than_the_recommended_plan(
    scenario_id: str, seed: int | None
) -> None:
    chosen = scenario(scenario_id)
    params = typical_parameters(chosen) if seed is None else draw_parameters(chosen, seed)
    sales = simulate(salesperson_plan(params.budget_ttc), params)
    recommended = simulate(recommended_plan(chosen), params)
    assert sales.relationship_effort < recommended.relationship_effort
    assert sales.retention[2] < recommended.retention[2]
    assert sales.selling_effort > recommended.selling_effort


def test_closed_form_matches_the_hand_computed_best_response() -> None:
    # c_s = c_r = 1, δ = 0.5, m_s = 0.5, m_r = 0.3 + 0.1 (one indirect reward); commission α_s = 0.2:
    # A = 0.7, B = 0.4, D = 0.75 → s* = (0.7 − 0.2)/0.75 = 2/3, r* = (0.4 − 0.35)/0.75 = 1/15.
    params = dataclasses.replace(
        typical_parameters(scenario("defend")), c_s=1.0, c_r=1.0, delta=0.5, m_s=0.5, m_r=0.3, indirect_boost=0.1
    )
    unit = params.budget_ttc / params.pay_scale
    plan = Plan(BASE + 0.2 * unit, BASE, (Component("revenue", 100.0),), indirect_rewards=frozenset({"autonomy"}))
    s, r = closed_form_response(plan, params)
    assert (s, r) == (pytest.approx(2 / 3), pytest.approx(1 / 15))
    # A commission of α_s = 0.6 (the reference's sales-rep style) leaves no relationship work at all.
    plan = dataclasses.replace(plan, ttc=BASE + 0.6 * unit)
    assert closed_form_response(plan, params) == (pytest.approx(1.1), 0.0)


def test_closed_form_refuses_a_non_linear_plan() -> None:
    plan = recommended_plan("defend")
    assert not is_linear(plan)
    with pytest.raises(ValueError, match="linear"):
        closed_form_response(plan, typical_parameters(scenario("defend")))


def test_a_plan_from_the_form_runs_through_the_simulation() -> None:
    plan, problems = validate_plan(
        {
            "ttc": "120000",
            "base_salary": "96000",
            "components": [
                {"metric": "retention", "weight_pct": 50},
                {"metric": "revenue_growth", "weight_pct": 50, "threshold_pct": 50, "cap_pct": 200},
            ],
            "gates": [{"applies_to": [0]}],
            "clawback": {"window_months": 6, "share_pct": 100},
        }
    )
    assert problems == []
    result = simulate(plan, draw_parameters(scenario("growth"), 7))
    assert result.solver == "numeric"
    assert result.pay.gate_pays == result.retention[0]
    assert result.pay.thresholds_met[0] is None and 0 <= result.pay.thresholds_met[1] <= 1
    assert result.pay.percentiles[5] >= plan.base_salary  # thresholds and caps keep variable pay ≥ 0


def test_a_fixed_salary_is_paid_exactly() -> None:
    params = typical_parameters(scenario("defend"))
    result = simulate(Plan(100_000.0, 100_000.0), params)
    assert result.solver == "closed_form"
    assert result.plan_cost == 100_000 and result.pay.sd == 0
    assert set(result.pay.percentiles.values()) == {100_000}


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
def test_a_churn_clawback_keeps_a_commissioned_kam_from_overselling(scenario_id: str) -> None:
    # Selling beyond s̄ costs renewal chance (λ); with a clawback the KAM pays for that himself.
    params = typical_parameters(scenario(scenario_id))
    unit = params.budget_ttc / params.pay_scale
    commission = (Component("revenue", 100.0),)
    plain = simulate(Plan(BASE + 0.8 * unit, BASE, commission), params)
    clawed = simulate(Plan(BASE + 0.8 * unit, BASE, commission, clawback=Clawback("churn", 12, 100.0)), params)
    assert clawed.selling_effort <= plain.selling_effort
    assert clawed.retention[0] >= plain.retention[0]


@PROPERTY_SETTINGS
@given(
    params=scenario_draws,
    others=st.lists(st.tuples(relationship_pay, amounts), max_size=3),
    commission=st.builds(
        Component, metric=st.just("revenue"), weight_pct=st.just(1.0), cap_pct=st.sampled_from([None, 200.0])
    ),
    low=amounts,
    raise_by=st.integers(min_value=1_000, max_value=40_000),
    gate_others=st.booleans(),
    rewards=st.frozensets(st.sampled_from(INDIRECT_REWARDS)),
)
def test_more_revenue_commission_never_means_more_relationship_work(
    params: ScenarioParameters,
    others: list,
    commission: Component,
    low: float,
    raise_by: int,
    gate_others: bool,
    rewards: frozenset[str],
) -> None:
    # No churn clawback and no gate on the commission itself: either ties commission to renewal and
    # makes selling and relationship work complements (docs/sandbox-model.md). Margin is left out on purpose: it
    # holds when the relationship lets the KAM defend price, so it rewards relationship work too.
    # Growth commission is left out too: it pays like an option on selling above the baseline, and a
    # risk-averse KAM values a much larger, very noisy option less at the margin, so a huge raise can
    # shift a little effort from selling to relationship work (found by hypothesis, global account). The
    # other components pay on relationship signals or renewal only: a threshold on a metric both
    # efforts drive (share of wallet, team goal) makes them complements near the threshold, where more
    # selling makes the relationship work that reaches it worth more.
    gates = (Gate(applies_to=tuple(range(1, len(others) + 1))),) if gate_others and others else ()
    before, after = (
        simulate(plan_paying([(commission, amount), *others], gates=gates, rewards=rewards), params)
        for amount in (low, low + raise_by)
    )
    # A gate on the other pay ties it to the renewal, and selling beyond s̄ costs renewal chance (λ):
    # a KAM pushed past s̄ by the commission then adds relationship work to protect his gated bonus,
    # the clawback's mechanism again (found by hypothesis once the calibration let commissioned
    # selling pass s̄: at an at-risk account with a large gated satisfaction bonus, r 2.58 → 2.72
    # while selling rose from 0 to 0.99 beyond s̄ = 0.8). The property holds while selling stays at s̄.
    assume(not gates or after.selling_effort <= params.s_bar)
    assert after.relationship_effort <= before.relationship_effort + EFFORT_TOLERANCE


@PROPERTY_SETTINGS
@given(
    params=scenario_draws,
    gated=st.lists(st.tuples(renewal_or_commission, amounts), min_size=1, max_size=3),
    ungated=st.lists(st.tuples(st.one_of(relationship_pay, linear_component), amounts), max_size=2),
    rewards=st.frozensets(st.sampled_from(INDIRECT_REWARDS)),
)
def test_a_year_end_renewal_gate_never_lowers_expected_retention(
    params: ScenarioParameters, gated: list, ungated: list, rewards: frozenset[str]
) -> None:
    # The gate covers commission and renewal pay that is never negative. On a bonus that already pays
    # for relationship signals it can backfire (see the next test), so those stay ungated here. And
    # on linear pay with no threshold, whose noise can make a year's payout negative, a gate can
    # make renewal a bad bet for the KAM when the pay's risk outweighs its mean (a very noisy
    # individual commission in the global account), so the gated commission here has a floor. Ungated
    # pay on a metric both efforts drive (share of wallet, team goal) is linear here: with a threshold
    # the two efforts are complements near it (see the commission test), so the selling a gate removes
    # can take a little relationship work with it (found by hypothesis once the calibration made both
    # efforts interior: retention 55.8 % → 55.7 % at an at-risk account).
    gate = (Gate(applies_to=tuple(range(len(gated)))),)
    without = simulate(plan_paying([*gated, *ungated], rewards=rewards), params)
    with_gate = simulate(plan_paying([*gated, *ungated], gates=gate, rewards=rewards), params)
    assert with_gate.retention[0] >= without.retention[0] - params.k * EFFORT_TOLERANCE


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
def test_gating_a_relationship_bonus_discounts_it_by_the_renewal_chance(scenario_id: str) -> None:
    # A satisfaction bonus pays a·(r + noise); gated, it pays that only on renewal, so its pull on
    # relationship work falls from a to a·(p + k·r) < a whenever k·r < 1 − p. The model says: anchor
    # renewal with its own bonus, do not make the relationship bonus conditional on it.
    params = typical_parameters(scenario(scenario_id))
    parts = [(Component("satisfaction", 1.0), 5_000.0)]
    without = simulate(plan_paying(parts), params)
    with_gate = simulate(plan_paying(parts, gates=(Gate(),)), params)
    assert with_gate.relationship_effort < without.relationship_effort
    assert with_gate.pay.mean < without.pay.mean


@PROPERTY_SETTINGS
@given(
    params=scenario_draws,
    parts=st.lists(st.tuples(st.one_of(non_commission, linear_component), amounts), max_size=4),
    fewer=st.frozensets(st.sampled_from(INDIRECT_REWARDS)),
    more=st.frozensets(st.sampled_from(INDIRECT_REWARDS), min_size=1),
    gated=st.booleans(),
)
def test_more_indirect_rewards_never_lower_relationship_work(
    params: ScenarioParameters, parts: list, fewer: frozenset[str], more: frozenset[str], gated: bool
) -> None:
    gates = (Gate(),) if gated and parts else ()
    make = (
        (lambda rewards: plan_paying(parts, gates=gates, rewards=rewards))
        if parts
        else (lambda rewards: Plan(BASE, BASE, indirect_rewards=rewards))
    )
    before = simulate(make(fewer), params)
    after = simulate(make(fewer | more), params)
    assert after.relationship_effort >= before.relationship_effort - EFFORT_TOLERANCE


@PROPERTY_SETTINGS
@given(
    params=scenario_draws,
    parts=st.lists(st.tuples(linear_component, amounts), min_size=1, max_size=4),
    rewards=st.frozensets(st.sampled_from(INDIRECT_REWARDS)),
)
def test_closed_form_and_numeric_solver_agree_on_linear_plans(
    params: ScenarioParameters, parts: list, rewards: frozenset[str]
) -> None:
    # The numeric solver values linear terms exactly (mean − ρ/2·variance), so only its search, the
    # grid and the refinement step, separates it from the closed form.
    plan = plan_paying(parts, rewards=rewards)
    assert is_linear(plan)
    exact = closed_form_response(plan, params)
    s, r, _ = numeric_response(plan, params)
    assert s == pytest.approx(exact[0], abs=EFFORT_TOLERANCE)
    assert r == pytest.approx(exact[1], abs=EFFORT_TOLERANCE)
    closed, numeric = simulate(plan, params), simulate(plan, params, solver="numeric")
    assert closed.solver == "closed_form" and numeric.solver == "numeric"
    assert numeric.plan_cost == pytest.approx(closed.plan_cost, rel=0.01)


@PROPERTY_SETTINGS
@given(
    params=scenario_draws,
    parts=st.lists(st.tuples(st.one_of(non_commission, linear_component), amounts), max_size=4),
    gated=st.booleans(),
    clawback=st.sampled_from([None, Clawback("churn", 6, 50.0), Clawback("churn", 12, 100.0)]),
    commission=st.sampled_from([None, "revenue", "revenue_growth"]),
    seed=st.integers(min_value=0, max_value=2**31),
)
def test_results_stay_within_bounds(
    params: ScenarioParameters,
    parts: list,
    gated: bool,
    clawback: Clawback | None,
    commission: str | None,
    seed: int,
) -> None:
    if commission:
        parts = [*parts, (Component(commission, 1.0), 20_000.0)]
    plan = plan_paying(parts, gates=(Gate(),) if gated else (), clawback=clawback) if parts else Plan(BASE, BASE)
    result = simulate(plan, params, seed=seed)
    assert all(0 <= p <= 1 for p in result.retention)
    assert result.retention[0] >= result.retention[1] >= result.retention[2]
    assert 0 <= result.selling_effort <= 4 and 0 <= result.relationship_effort <= 4
    assert result.plan_cost >= 0 and result.pay.mean >= 0 and result.pay.sd >= 0
    percentiles = list(result.pay.percentiles.values())
    assert percentiles == sorted(percentiles)
    assert result.pay.gate_pays is None or 0 <= result.pay.gate_pays <= 1


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
def test_the_plans_the_sandbox_compares_have_sensible_economics(scenario_id: str) -> None:
    # The calibration (scenarios.py): an uncapped commission buys selling of about twice target at well
    # over budget, and a fixed-heavy plan still gets some selling (the KAM is not idle on the account).
    params = typical_parameters(scenario(scenario_id))
    sales = simulate(salesperson_plan(params.budget_ttc), params)
    assert 1.5 <= sales.selling_effort <= 2.2
    assert 1.2 * params.budget_ttc <= sales.plan_cost <= 1.5 * params.budget_ttc
    assert sales.relationship_effort == 0
    for seed in (None, 1, 2, 3):
        drawn = params if seed is None else draw_parameters(scenario(scenario_id), seed)
        recommended = simulate(recommended_plan(scenario_id, drawn.budget_ttc), drawn)
        # Restated for #14: at the growth account the fitted plan pays for growth above baseline, and it
        # buys selling up to what the account needs (s̄ = 1), never beyond; elsewhere selling stays low.
        high = drawn.s_bar if scenario_id == "growth" else 0.8
        assert 0.1 <= recommended.selling_effort <= high + 1e-9
        assert recommended.relationship_effort > recommended.selling_effort


def test_company_value_counts_three_years_of_the_relationship() -> None:
    params = typical_parameters(scenario("defend"))
    result = simulate(recommended_plan("defend"), params)
    p = result.retention[0]
    selling = selling_value(params, result.selling_effort + team_effort(recommended_plan("defend"), params))
    yearly = params.budget_ttc * (params.b_s * selling + params.b_r * p) - result.plan_cost
    assert result.company_value == pytest.approx(yearly * (1 + p + p**2))


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
def test_selling_beyond_the_need_is_borrowed_from_next_year_except_white_space(scenario_id: str) -> None:
    # #14: volume the account buys anyway is no value of the plan, and selling beyond what the account
    # needs only counts in the scenario's share of real white space.
    params = typical_parameters(scenario(scenario_id))
    assert selling_value(params, params.baseline_selling) == 0
    assert selling_value(params, 0.0) == 0
    within = params.s_bar - params.baseline_selling
    assert selling_value(params, params.s_bar) == pytest.approx(within)
    assert selling_value(params, params.s_bar + 1) == pytest.approx(within + params.white_space)
    assert params.white_space >= 0.7 if scenario_id == "growth" else params.white_space <= 0.25


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
def test_a_pure_commission_plan_is_far_below_the_benchmark(scenario_id: str) -> None:
    # #14: the salesperson plan reached 99 % of the benchmark's first-year value when all volume counted.
    for seed in (1, 2, 3):
        params = draw_parameters(scenario(scenario_id), seed)
        sales = simulate(salesperson_plan(params.budget_ttc), params, seed=seed)
        bench = benchmark_plan(scenario_id, params, seed).result
        first_year = [
            params.b_s * selling_value(params, r.selling_effort) + params.b_r * r.retention[0] for r in (sales, bench)
        ]
        # At the growth account most of the extra volume is real white space, so the commission may even
        # win the first year: it loses there over the three years (lost renewals), checked below.
        if scenario_id != "growth":
            assert first_year[0] < 0.9 * first_year[1]
        # Over three years it stays well below; least so at the growth account, where its volume is real.
        assert sales.company_value < (0.9 if scenario_id == "growth" else 0.8) * bench.company_value


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_team_credit_changes_what_the_teammates_do(seed: int) -> None:
    # #14: at a team-served account team credit shows in the outcome, not only in a rubric criterion.
    params = draw_parameters(scenario("global_team"), seed)
    fitted = recommended_plan("global_team", params.budget_ttc)
    copied = recommended_plan("defend", params.budget_ttc)
    assert team_effort(fitted, params) >= 0.5 * params.team_dependence
    assert team_effort(copied, params) == 0
    with_team, without = simulate(fitted, params, seed=seed), simulate(copied, params, seed=seed)
    assert with_team.retention[0] >= without.retention[0]
    assert with_team.company_value > without.company_value
    # Adding other pay does not disengage the team: engagement follows the team pay, not its share.
    assert team_effort(dataclasses.replace(fitted, base_salary=fitted.base_salary - 5_000), params) >= team_effort(
        fitted, params
    )


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_the_growth_account_rewards_pay_for_growth_above_baseline(seed: int) -> None:
    # #14: the growth account has real white space, so the plan that pays nothing for growth loses value.
    params = draw_parameters(scenario("growth"), seed)
    fitted = simulate(recommended_plan("growth", params.budget_ttc), params, seed=seed)
    lesson = simulate(lesson_plan(params.budget_ttc), params, seed=seed)
    assert fitted.selling_effort > lesson.selling_effort
    assert selling_value(params, fitted.selling_effort) > selling_value(params, lesson.selling_effort)


def test_deferring_commission_ties_it_to_the_customer() -> None:
    params = typical_parameters(scenario("defend"))
    plain = salesperson_plan(params.budget_ttc)
    deferred = dataclasses.replace(plain, deferral=Deferral(50.0, 2))
    assert is_linear(plain) and not is_linear(deferred)
    before, after = simulate(plain, params), simulate(deferred, params)
    assert after.solver == "numeric"
    assert after.selling_effort < before.selling_effort
    assert after.retention[0] > before.retention[0]
    assert after.company_value > before.company_value
    assert after.plan_cost < before.plan_cost  # forfeited on churn, and less overselling to pay for
    # The price: pay later and only if the customer stays is worth less to the KAM.
    assert after.certainty_equivalent < before.certainty_equivalent
    assert simulate(deferred, params) == after


def test_deferral_forfeited_on_churn_is_never_paid_for_a_lost_customer() -> None:
    # All variable pay deferred a year on a retention bonus: paid only if the customer is still buying
    # after this year's renewal and the next one, so the plan costs the base plus p² of the bonus.
    params = typical_parameters(scenario("defend"))
    plan = plan_paying([(Component("retention", 1.0), 10_000.0)])
    result = simulate(dataclasses.replace(plan, deferral=Deferral(100.0, 1)), params)
    p = result.retention[0]
    assert result.plan_cost == pytest.approx(BASE + 10_000 * p**2)
    assert result.pay.percentiles[5] == BASE


@PROPERTY_SETTINGS
@given(
    params=scenario_draws,
    commission=st.builds(
        Component,
        metric=st.sampled_from(["revenue", "revenue_growth"]),
        weight_pct=st.just(1.0),
        period=st.sampled_from(["quarter", "year"]),
        threshold_pct=st.sampled_from([0.0, 50.0]),
        cap_pct=st.sampled_from([None, 200.0]),
    ),
    amount=amounts,
    pct=st.sampled_from([10.0, 30.0, 50.0, 100.0]),
    years=st.integers(min_value=1, max_value=5),
    rewards=st.frozensets(st.sampled_from(INDIRECT_REWARDS)),
)
def test_deferring_commission_never_lowers_relationship_work_or_retention(
    params: ScenarioParameters, commission: Component, amount: float, pct: float, years: int, rewards: frozenset[str]
) -> None:
    # Deferred commission is paid only if the customer still buys, so it pays less for selling and
    # something for keeping the customer. Checked with 300 random examples, three times. Where it does
    # not hold, and why: (1) commission whose noise can make a year's payout negative (no threshold):
    # forfeiting a negative payout on churn rewards the KAM for losing the customer, a quirk of linear
    # pay; (2) margin, which pays for relationship work too, so deferring it weakens that pull; (3) a
    # deferred bonus that already pays on retention: its pull moves to later renewals, worth
    # (1 + years)·p^years·(1.1)^(−years) of today's, less than 1 at a shaky account with long deferral.
    plan = plan_paying([(commission, amount)], rewards=rewards)
    before = simulate(plan, params)
    after = simulate(dataclasses.replace(plan, deferral=Deferral(pct, years)), params)
    assert after.relationship_effort >= before.relationship_effort - EFFORT_TOLERANCE
    assert after.selling_effort <= before.selling_effort + EFFORT_TOLERANCE
    assert after.retention[0] >= before.retention[0] - params.k * EFFORT_TOLERANCE
