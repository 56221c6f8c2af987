"""What a plan pays the KAM at a given attainment: the editor's preview, as plain arithmetic.

The preview answers the learner's first question about a plan ("what would the KAM earn in a normal, a weak and
a strong year?") before the simulation runs. It uses the same payout curve as the simulation (threshold, target,
cap) and assumes the customer stays, so a gate holds and a renewal metric pays its amount; it never grades.
"""

from __future__ import annotations

from dataclasses import dataclass

from course.core.sandbox.metrics import metric
from course.core.sandbox.plan import Component, Plan

PREVIEW_ATTAINMENTS = (80.0, 100.0, 120.0)  # a weak, a normal and a strong year, in % of target


@dataclass(frozen=True)
class PayAt:
    """The KAM's yearly pay when every component reaches `attainment_pct` % of its target."""

    attainment_pct: float
    variable: float
    components: tuple[float, ...]  # per component, in plan order
    base_salary: float

    @property
    def total(self) -> float:
        return self.base_salary + self.variable


def component_pay(component: Component, amount: float, attainment_pct: float) -> float:
    """One component's pay: nothing below the threshold, in proportion to target above it, at most the cap.

    `amount` is what the component pays on target (its weight of the target variable pay). A renewal metric pays
    on the renewal, not on an attainment, so it pays its amount (the customer is assumed to stay)."""
    if metric(component.metric).binary:
        attainment_pct = 100.0
    if component.threshold_pct is not None and attainment_pct < component.threshold_pct:
        return 0.0
    pay = amount * attainment_pct / component.target_pct
    if component.cap_pct is not None:
        pay = min(pay, amount * component.cap_pct / 100)
    return max(pay, 0.0)


def pay_at(plan: Plan, attainment_pct: float) -> PayAt:
    """The plan's pay at one attainment, component by component."""
    variable = plan.ttc - plan.base_salary
    paid = tuple(component_pay(c, variable * c.weight_pct / 100, attainment_pct) for c in plan.components)
    return PayAt(attainment_pct=attainment_pct, variable=sum(paid), components=paid, base_salary=plan.base_salary)


def pay_preview(plan: Plan, attainments: tuple[float, ...] = PREVIEW_ATTAINMENTS) -> tuple[PayAt, ...]:
    """The plan's pay at a weak, a normal and a strong year (80, 100 and 120 % of target)."""
    return tuple(pay_at(plan, attainment) for attainment in attainments)
