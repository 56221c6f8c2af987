"""The editor's pay preview: what the KAM earns at 80, 100 and 120 % of target, by the simulation's payout curve."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course.core.sandbox import METRICS, Component, Plan, lesson_plan, salesperson_plan
from course.core.sandbox.preview import PREVIEW_ATTAINMENTS, component_pay, pay_at, pay_preview

PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, derandomize=True)

components = st.builds(
    Component,
    metric=st.sampled_from(sorted(METRICS)),
    weight_pct=st.just(50.0),
    threshold_pct=st.sampled_from([None, 50.0, 80.0, 90.0, 110.0]),
    target_pct=st.sampled_from([80.0, 100.0, 120.0]),
    cap_pct=st.sampled_from([None, 120.0, 150.0, 200.0]),
).filter(lambda c: c.cap_pct is None or c.cap_pct >= c.target_pct)
plans = st.builds(
    lambda ttc, fixed, pair: Plan(ttc=ttc, base_salary=ttc * fixed, components=pair),
    st.integers(min_value=50_000, max_value=300_000).map(float),
    st.sampled_from([0.6, 0.75, 0.8, 0.9]),
    st.tuples(components, components),
)
attainments = st.integers(min_value=0, max_value=300).map(float)


def test_on_target_a_plain_plan_pays_its_target_total_cash() -> None:
    plan = salesperson_plan(100_000.0)
    weak, normal, strong = pay_preview(plan)
    assert [p.attainment_pct for p in (weak, normal, strong)] == list(PREVIEW_ATTAINMENTS)
    assert normal.total == pytest.approx(plan.ttc)
    variable = plan.ttc - plan.base_salary
    assert weak.variable == pytest.approx(0.8 * variable)
    assert strong.variable == pytest.approx(1.2 * variable)


def test_threshold_target_and_cap_shape_the_pay() -> None:
    capped = Component("revenue", 100.0, threshold_pct=90.0, cap_pct=110.0)
    assert component_pay(capped, 10_000.0, 80.0) == 0.0  # below the threshold
    assert component_pay(capped, 10_000.0, 90.0) == pytest.approx(9_000.0)  # the threshold itself pays
    assert component_pay(capped, 10_000.0, 120.0) == pytest.approx(11_000.0)  # capped at 110 %
    stretched = Component("margin", 100.0, target_pct=120.0)
    assert component_pay(stretched, 12_000.0, 120.0) == pytest.approx(12_000.0)


def test_a_renewal_pays_its_amount_whatever_the_attainment() -> None:
    retention = Component("retention", 100.0)
    assert {component_pay(retention, 5_000.0, a) for a in PREVIEW_ATTAINMENTS} == {5_000.0}


def test_the_lesson_plan_is_capped_above_target() -> None:
    plan = lesson_plan(120_000.0)
    normal, strong = pay_at(plan, 100.0), pay_at(plan, 300.0)
    assert normal.total == pytest.approx(plan.ttc)
    assert strong.total < plan.base_salary + 3 * (plan.ttc - plan.base_salary)


@PROPERTY_SETTINGS
@given(plans, attainments, attainments)
def test_pay_never_falls_as_attainment_rises(plan: Plan, low: float, high: float) -> None:
    low, high = min(low, high), max(low, high)
    assert pay_at(plan, low).total <= pay_at(plan, high).total + 1e-6


@PROPERTY_SETTINGS
@given(plans, attainments)
def test_each_component_pays_nothing_below_its_threshold_and_never_above_its_cap(plan: Plan, attainment: float) -> None:
    variable = plan.ttc - plan.base_salary
    paid = pay_at(plan, attainment)
    assert paid.variable == pytest.approx(sum(paid.components))
    for component, pay in zip(plan.components, paid.components, strict=True):
        amount = variable * component.weight_pct / 100
        assert pay >= 0
        if component.cap_pct is not None:
            assert pay <= amount * component.cap_pct / 100 + 1e-6
        binary = METRICS[component.metric].binary
        if component.threshold_pct is not None and attainment < component.threshold_pct and not binary:
            assert pay == 0.0
