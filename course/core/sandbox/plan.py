"""A KAM compensation plan as plain data, and validation that reports every problem at its field.

`validate_plan` takes what a form or the JSON API sends (numbers may arrive as text, with a decimal
comma) and returns the plan or, if anything is wrong, None and the full list of problems. Each problem
names its field (`components[1].cap_pct`) and carries an English template marked with `N_()` plus its
parameters, so the web layer translates it and the simulation never runs on invalid data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from course.core.errors import N_
from course.core.sandbox.metrics import METRICS

MAX_AMOUNT = 10_000_000.0  # a KAM's yearly target total cash above this is a typo, not a plan
MAX_COMPONENTS = 6  # practice: ≥ 80 % of firms use ≤ 3 measures; 6 leaves room to show why fewer is better
MAX_GATES = 3
MAX_PERCENT = 1000.0  # thresholds, targets and caps are attainment percentages; 10× target is absurd
MAX_CLAWBACK_MONTHS = 36
MAX_DEFERRAL_YEARS = 5
WEIGHT_TOLERANCE = 0.01  # percentage points: weights typed with two decimals must still add up

PERIODS = ("quarter", "half", "year", "multi_year")
CREDITS = ("individual", "team", "split")
GATE_CONDITIONS = ("customer_active_at_year_end",)
CLAWBACK_TRIGGERS = ("churn",)
MANDATE_QUESTIONS = ("who_contact", "what_achieve", "how_ensure", "where_support")
INDIRECT_REWARDS = (
    "autonomy",
    "impact_visibility",
    "company_backing",
    "recognition",
    "customer_feedback",
    "customer_at_kam_meeting",
)


@dataclass(frozen=True)
class Component:
    """One variable-pay component; percentages are of target attainment (100 = on target)."""

    metric: str
    weight_pct: float  # share of the target variable pay
    period: str = "year"
    credit: str = "individual"
    team_share_pct: float = 0.0  # for split credit: the part paid on the team's result
    threshold_pct: float | None = None  # below this attainment the component pays nothing
    target_pct: float = 100.0  # attainment that pays 100 % of the component's target amount
    cap_pct: float | None = None  # the most the component pays, as % of its target amount
    mandate_questions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Gate:
    """Variable pay on the listed components (all, if none listed) is paid only if the condition holds."""

    condition: str = "customer_active_at_year_end"
    applies_to: tuple[int, ...] = ()


@dataclass(frozen=True)
class Clawback:
    trigger: str = "churn"
    window_months: int = 12
    share_pct: float = 100.0


@dataclass(frozen=True)
class Deferral:
    """`pct` % of each year's variable pay held back `years` whole years (a holdback).

    The simulation pays the deferred share only if the customer is still buying when it falls due and
    forfeits it otherwise (a churn in the meantime, this year's included), and the KAM values it at his
    time preference (`ScenarioParameters.time_preference`, 10 % a year). So deferring commission ties
    it to retention: less overselling, more relationship work, at a price in the KAM's certainty
    equivalent. Deferring a bonus that already pays on retention spreads its pull over later renewals,
    which a long deferral at a shaky account weakens.
    """

    pct: float = 0.0
    years: int = 0


@dataclass(frozen=True)
class Plan:
    ttc: float  # target total cash per year
    base_salary: float
    components: tuple[Component, ...] = ()
    gates: tuple[Gate, ...] = ()
    clawback: Clawback | None = None
    deferral: Deferral = field(default_factory=Deferral)
    indirect_rewards: frozenset[str] = frozenset()
    currency: str = "EUR"

    @property
    def variable_share(self) -> float:
        """Target variable pay as a fraction of target total cash."""
        return (self.ttc - self.base_salary) / self.ttc

    def gated(self, index: int) -> bool:
        return any(not gate.applies_to or index in gate.applies_to for gate in self.gates)

    @property
    def team_credit_pct(self) -> float:
        """% of the variable pay paid on the team's result (a team account goal, team or split credit)."""
        total = 0.0
        for c in self.components:
            if c.metric == "team_account_goal" or c.credit == "team":
                total += c.weight_pct
            elif c.credit == "split":
                total += c.weight_pct * c.team_share_pct / 100
        return total


@dataclass(frozen=True)
class FieldProblem:
    path: str  # "" for the plan as a whole
    message: str  # English template with %(name)s placeholders
    params: Mapping[str, object] = field(default_factory=dict)

    def text(self) -> str:
        return self.message % dict(self.params)


_NOT_A_NUMBER = N_("Enter a number.")
_REQUIRED = N_("This field is required.")

_PLAN_KEYS = {
    "ttc",
    "base_salary",
    "currency",
    "components",
    "gates",
    "clawback",
    "deferral",
    "indirect_rewards",
}
_COMPONENT_KEYS = {
    "metric",
    "weight_pct",
    "period",
    "credit",
    "team_share_pct",
    "threshold_pct",
    "target_pct",
    "cap_pct",
    "mandate_questions",
}


def _as_number(value: object) -> float | None:
    """A finite float from a number or numeric text (decimal comma allowed); None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace(" ", "")
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _Checker:
    def __init__(self) -> None:
        self.problems: list[FieldProblem] = []

    def add(self, path: str, message: str, **params: object) -> None:
        self.problems.append(FieldProblem(path, message, params))

    def number(
        self,
        data: Mapping,
        key: str,
        path: str,
        *,
        low: float,
        high: float,
        required: bool = True,
        default: float | None = None,
        above_low: bool = False,
    ) -> float | None:
        value = data.get(key)
        if _missing(value):
            if required:
                self.add(path, _REQUIRED)
            return default
        number = _as_number(value)
        if number is None:
            self.add(path, _NOT_A_NUMBER)
            return None
        if number < 0 and low >= 0:
            self.add(path, N_("Must not be negative."))
            return None
        if number < low or (above_low and number <= low):
            message = N_("Must be greater than %(low)s.") if above_low else N_("Must be at least %(low)s.")
            self.add(path, message, low=_shown(low))
            return None
        if number > high:
            self.add(path, N_("Must be at most %(high)s."), high=_shown(high))
            return None
        return number

    def choice(self, data: Mapping, key: str, path: str, choices: tuple[str, ...], default: str | None) -> str | None:
        value = data.get(key)
        if _missing(value):
            if default is None:
                self.add(path, _REQUIRED)
            return default
        if not isinstance(value, str) or value not in choices:
            self.add(path, N_("Unknown choice %(value)s."), value=str(value), choices=", ".join(choices))
            return None
        return value

    def mapping(self, value: object, path: str) -> Mapping | None:
        if not isinstance(value, Mapping):
            self.add(path, N_("Must be an object with named fields."))
            return None
        return value

    def items(self, value: object, path: str) -> list:
        if _missing(value):
            return []
        if not isinstance(value, list | tuple):
            self.add(path, N_("Must be a list."))
            return []
        return list(value)

    def unknown_keys(self, data: Mapping, allowed: set[str], prefix: str) -> None:
        for key in sorted(set(data) - allowed, key=str):
            self.add(f"{prefix}{key}", N_("Unknown field."))


def _has_problem_at(check: _Checker, path: str) -> bool:
    return any(problem.path == path for problem in check.problems)


def _shown(number: float) -> int | float:
    return int(number) if float(number).is_integer() else number


def validate_plan(data: object) -> tuple[Plan | None, list[FieldProblem]]:
    """The plan described by `data`, or None and every problem found, each at its field path."""
    check = _Checker()
    plan_data = check.mapping(data, "")
    if plan_data is None:
        return None, check.problems
    check.unknown_keys(plan_data, _PLAN_KEYS, "")

    ttc = check.number(plan_data, "ttc", "ttc", low=0, high=MAX_AMOUNT, above_low=True)
    base = check.number(plan_data, "base_salary", "base_salary", low=0, high=MAX_AMOUNT)
    if ttc is not None and base is not None and base > ttc:
        check.add("base_salary", N_("The base salary is above the target total cash."))
    currency = plan_data.get("currency") or "EUR"
    if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha() and currency.isupper()):
        check.add("currency", N_("Use a three-letter currency code such as EUR."))

    raw_components = check.items(plan_data.get("components"), "components")
    components = [_component(check, item, f"components[{i}]") for i, item in enumerate(raw_components)]
    if len(raw_components) > MAX_COMPONENTS:
        check.add("components", N_("Use at most %(max)s components."), max=MAX_COMPONENTS)
    if raw_components:
        weights = [_as_number(item.get("weight_pct")) for item in raw_components if isinstance(item, Mapping)]
        if all(weight is not None and 0 < weight <= 100 for weight in weights):
            total = round(sum(weights), 6)
            if abs(total - 100) > WEIGHT_TOLERANCE:
                check.add(
                    "components",
                    N_("The weights add up to %(total)s %%; they must add up to 100 %%."),
                    total=_shown(total),
                )
    elif ttc is not None and base is not None and base < ttc and not _has_problem_at(check, "components"):
        check.add("components", N_("There is variable pay but no component that pays it."))

    raw_gates = check.items(plan_data.get("gates"), "gates")
    if len(raw_gates) > MAX_GATES:
        check.add("gates", N_("Use at most %(max)s gates."), max=MAX_GATES)
    gates = [_gate(check, item, f"gates[{i}]", len(raw_components)) for i, item in enumerate(raw_gates)]

    clawback = None
    if not _missing(plan_data.get("clawback")):
        clawback = _clawback(check, plan_data["clawback"], "clawback")
    deferral = Deferral()
    if not _missing(plan_data.get("deferral")):
        deferral = _deferral(check, plan_data["deferral"], "deferral")

    rewards: set[str] = set()
    for i, reward in enumerate(check.items(plan_data.get("indirect_rewards"), "indirect_rewards")):
        path = f"indirect_rewards[{i}]"
        if not isinstance(reward, str) or reward not in INDIRECT_REWARDS:  # a list or object is no id
            check.add(path, N_("Unknown indirect reward %(value)s."), value=str(reward))
        elif reward in rewards:
            check.add(path, N_("Listed twice."))
        rewards.add(str(reward))

    if check.problems:
        return None, check.problems
    plan = Plan(
        ttc=ttc,
        base_salary=base,
        components=tuple(components),
        gates=tuple(gates),
        clawback=clawback,
        deferral=deferral,
        indirect_rewards=frozenset(rewards),
        currency=currency,
    )
    return plan, []


def _component(check: _Checker, item: object, path: str) -> Component | None:
    data = check.mapping(item, path)
    if data is None:
        return None
    check.unknown_keys(data, _COMPONENT_KEYS, f"{path}.")
    metric = data.get("metric")
    if _missing(metric):
        check.add(f"{path}.metric", _REQUIRED)
    elif not isinstance(metric, str) or metric not in METRICS:
        check.add(f"{path}.metric", N_("Unknown metric %(value)s."), value=str(metric))
    weight = check.number(data, "weight_pct", f"{path}.weight_pct", low=0, high=100, above_low=True)
    period = check.choice(data, "period", f"{path}.period", PERIODS, "year")
    credit = check.choice(data, "credit", f"{path}.credit", CREDITS, "individual")
    team_share = check.number(
        data, "team_share_pct", f"{path}.team_share_pct", low=0, high=100, required=False, default=0
    )
    if credit == "split" and team_share is not None and not 0 < team_share < 100:
        check.add(
            f"{path}.team_share_pct",
            N_("Split credit needs a team share between %(low)s and %(high)s %%."),
            low=0,
            high=100,
        )
    threshold = check.number(data, "threshold_pct", f"{path}.threshold_pct", low=0, high=MAX_PERCENT, required=False)
    target = check.number(
        data, "target_pct", f"{path}.target_pct", low=0, high=MAX_PERCENT, required=False, default=100.0, above_low=True
    )
    cap = check.number(data, "cap_pct", f"{path}.cap_pct", low=0, high=MAX_PERCENT, required=False)
    if target is not None and cap is not None and cap < target:
        check.add(
            f"{path}.cap_pct",
            N_("The cap (%(cap)s %%) is below the target (%(target)s %%)."),
            cap=_shown(cap),
            target=_shown(target),
        )
    if threshold is not None and cap is not None and threshold > cap:
        check.add(
            f"{path}.threshold_pct",
            N_("The threshold (%(threshold)s %%) is above the cap (%(cap)s %%)."),
            threshold=_shown(threshold),
            cap=_shown(cap),
        )
    elif threshold is not None and target is not None and threshold >= target:
        check.add(
            f"{path}.threshold_pct",
            N_("The threshold (%(threshold)s %%) must be below the target (%(target)s %%)."),
            threshold=_shown(threshold),
            target=_shown(target),
        )
    questions: list[str] = []
    for i, question in enumerate(check.items(data.get("mandate_questions"), f"{path}.mandate_questions")):
        if not isinstance(question, str) or question not in MANDATE_QUESTIONS:
            check.add(f"{path}.mandate_questions[{i}]", N_("Unknown mandate question %(value)s."), value=str(question))
        elif question in questions:
            check.add(f"{path}.mandate_questions[{i}]", N_("Listed twice."))
        else:
            questions.append(question)
    known_metric = isinstance(metric, str) and metric in METRICS
    if None in (metric, weight, period, credit, team_share, target) or not known_metric:
        return None
    return Component(
        metric=metric,
        weight_pct=weight,
        period=period,
        credit=credit,
        team_share_pct=team_share if credit == "split" else 0.0,
        threshold_pct=threshold,
        target_pct=target,
        cap_pct=cap,
        mandate_questions=tuple(questions),
    )


def _gate(check: _Checker, item: object, path: str, n_components: int) -> Gate | None:
    data = check.mapping(item, path)
    if data is None:
        return None
    check.unknown_keys(data, {"condition", "applies_to"}, f"{path}.")
    condition = check.choice(data, "condition", f"{path}.condition", GATE_CONDITIONS, GATE_CONDITIONS[0])
    indices: list[int] = []
    for i, value in enumerate(check.items(data.get("applies_to"), f"{path}.applies_to")):
        number = _as_number(value)
        if number is None or not number.is_integer() or not 0 <= number < n_components:
            check.add(f"{path}.applies_to[{i}]", N_("There is no component %(value)s."), value=str(value))
        else:
            indices.append(int(number))
    return Gate(condition=condition, applies_to=tuple(sorted(set(indices)))) if condition else None


def _clawback(check: _Checker, item: object, path: str) -> Clawback | None:
    data = check.mapping(item, path)
    if data is None:
        return None
    check.unknown_keys(data, {"trigger", "window_months", "share_pct"}, f"{path}.")
    trigger = check.choice(data, "trigger", f"{path}.trigger", CLAWBACK_TRIGGERS, CLAWBACK_TRIGGERS[0])
    window = check.number(data, "window_months", f"{path}.window_months", low=1, high=MAX_CLAWBACK_MONTHS)
    if window is not None and not window.is_integer():
        check.add(f"{path}.window_months", N_("Enter whole months."))
        window = None
    share = check.number(data, "share_pct", f"{path}.share_pct", low=0, high=100, above_low=True)
    if None in (trigger, window, share):
        return None
    return Clawback(trigger=trigger, window_months=int(window), share_pct=share)


def _deferral(check: _Checker, item: object, path: str) -> Deferral:
    data = check.mapping(item, path)
    if data is None:
        return Deferral()
    check.unknown_keys(data, {"pct", "years"}, f"{path}.")
    pct = check.number(data, "pct", f"{path}.pct", low=0, high=100, required=False, default=0.0)
    years = check.number(data, "years", f"{path}.years", low=0, high=MAX_DEFERRAL_YEARS, required=False, default=0.0)
    if years is not None and not years.is_integer():
        check.add(f"{path}.years", N_("Enter whole years."))
        years = None
    if pct and years == 0:
        check.add(f"{path}.years", N_("A deferred share needs at least one year of deferral."))
    if pct is None or years is None:
        return Deferral()
    return Deferral(pct=pct, years=int(years))
