"""Plan validation: every problem at once, each at its field with the exact message the learner sees."""

from __future__ import annotations

import copy

import pytest

from course.core.sandbox import MANDATE_QUESTIONS, Clawback, Component, Gate, Plan, validate_plan


def valid_data() -> dict:
    return {
        "ttc": 120000,
        "base_salary": 96000,
        "currency": "EUR",
        "components": [
            {"metric": "retention", "weight_pct": 40},
            {"metric": "satisfaction", "weight_pct": 30, "period": "year", "threshold_pct": 80, "cap_pct": 150},
            {"metric": "mandate_objectives", "weight_pct": 30, "mandate_questions": list(MANDATE_QUESTIONS)},
        ],
        "gates": [{"condition": "customer_active_at_year_end"}],
        "clawback": {"trigger": "churn", "window_months": 12, "share_pct": 50},
        "deferral": {"pct": 20, "years": 1},
        "indirect_rewards": ["autonomy", "recognition", "customer_at_kam_meeting"],
    }


def with_change(path: str, value: object) -> dict:
    """A copy of the valid plan with one field (dotted path, list indices as numbers) set."""
    data = copy.deepcopy(valid_data())
    *parents, last = path.split(".")
    target = data
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return data


def test_valid_plan_has_no_problems() -> None:
    plan, problems = validate_plan(valid_data())
    assert problems == []
    assert plan == Plan(
        ttc=120000.0,
        base_salary=96000.0,
        components=(
            Component("retention", 40.0),
            Component("satisfaction", 30.0, threshold_pct=80.0, cap_pct=150.0),
            Component("mandate_objectives", 30.0, mandate_questions=MANDATE_QUESTIONS),
        ),
        gates=(Gate("customer_active_at_year_end"),),
        clawback=Clawback("churn", 12, 50.0),
        deferral=plan.deferral,
        indirect_rewards=frozenset({"autonomy", "recognition", "customer_at_kam_meeting"}),
    )
    assert plan.deferral.pct == 20 and plan.deferral.years == 1
    assert plan.variable_share == pytest.approx(0.2)


def test_numbers_typed_as_text_with_a_decimal_comma_are_read() -> None:
    data = with_change("base_salary", " 95500,5 ")
    data["components"][0]["weight_pct"] = "40.0"
    plan, problems = validate_plan(data)
    assert problems == []
    assert plan.base_salary == 95500.5


def test_a_fixed_only_plan_needs_no_components() -> None:
    plan, problems = validate_plan({"ttc": 100000, "base_salary": 100000})
    assert problems == []
    assert plan.components == () and plan.variable_share == 0


@pytest.mark.parametrize(
    ("path", "value", "field", "message", "params"),
    [
        ("ttc", -5, "ttc", "Must not be negative.", {}),
        ("ttc", 0, "ttc", "Must be greater than %(low)s.", {"low": 0}),
        ("ttc", 1e12, "ttc", "Must be at most %(high)s.", {"high": 10_000_000}),
        ("ttc", "abc", "ttc", "Enter a number.", {}),
        ("ttc", float("nan"), "ttc", "Enter a number.", {}),
        ("ttc", "1e400", "ttc", "Enter a number.", {}),
        ("ttc", True, "ttc", "Enter a number.", {}),
        ("ttc", None, "ttc", "This field is required.", {}),
        ("base_salary", -1, "base_salary", "Must not be negative.", {}),
        ("base_salary", 130000, "base_salary", "The base salary is above the target total cash.", {}),
        ("currency", "euro", "currency", "Use a three-letter currency code such as EUR.", {}),
        (
            "components.0.weight_pct",
            50,
            "components",
            "The weights add up to %(total)s %%; they must add up to 100 %%.",
            {"total": 110},
        ),
        ("components.0.weight_pct", -40, "components.0.weight_pct", "Must not be negative.", {}),
        ("components.0.weight_pct", "viel", "components.0.weight_pct", "Enter a number.", {}),
        (
            "components.0.metric",
            "happiness",
            "components.0.metric",
            "Unknown metric %(value)s.",
            {"value": "happiness"},
        ),
        ("components.0.metric", "", "components.0.metric", "This field is required.", {}),
        (
            "components.1.cap_pct",
            90,
            "components.1.cap_pct",
            "The cap (%(cap)s %%) is below the target (%(target)s %%).",
            {"cap": 90, "target": 100},
        ),
        (
            "components.1.threshold_pct",
            200,
            "components.1.threshold_pct",
            "The threshold (%(threshold)s %%) is above the cap (%(cap)s %%).",
            {"threshold": 200, "cap": 150},
        ),
        (
            "components.1.threshold_pct",
            120,
            "components.1.threshold_pct",
            "The threshold (%(threshold)s %%) must be below the target (%(target)s %%).",
            {"threshold": 120, "target": 100},
        ),
        ("components.1.cap_pct", 5000, "components.1.cap_pct", "Must be at most %(high)s.", {"high": 1000}),
        (
            "components.1.period",
            "monthly",
            "components.1.period",
            "Unknown choice %(value)s.",
            {"value": "monthly", "choices": "quarter, half, year, multi_year"},
        ),
        (
            "components.1.credit",
            "split",
            "components.1.team_share_pct",
            "Split credit needs a team share between %(low)s and %(high)s %%.",
            {"low": 0, "high": 100},
        ),
        (
            "components.2.mandate_questions",
            ["why"],
            "components.2.mandate_questions.0",
            "Unknown mandate question %(value)s.",
            {"value": "why"},
        ),
        ("gates.0.applies_to", [0, 7], "gates.0.applies_to.1", "There is no component %(value)s.", {"value": "7"}),
        (
            "gates.0.condition",
            "sunny",
            "gates.0.condition",
            "Unknown choice %(value)s.",
            {"value": "sunny", "choices": "customer_active_at_year_end"},
        ),
        ("clawback.window_months", 48, "clawback.window_months", "Must be at most %(high)s.", {"high": 36}),
        ("clawback.window_months", 1.5, "clawback.window_months", "Enter whole months.", {}),
        ("clawback.share_pct", 0, "clawback.share_pct", "Must be greater than %(low)s.", {"low": 0}),
        ("deferral.years", 0, "deferral.years", "A deferred share needs at least one year of deferral.", {}),
        (
            "indirect_rewards.1",
            "free_pizza",
            "indirect_rewards.1",
            "Unknown indirect reward %(value)s.",
            {"value": "free_pizza"},
        ),
        ("indirect_rewards.1", "autonomy", "indirect_rewards.1", "Listed twice.", {}),
        ("components", [], "components", "There is variable pay but no component that pays it.", {}),
        ("components", "retention", "components", "Must be a list.", {}),
        ("clawback", "yes", "clawback", "Must be an object with named fields.", {}),
        ("bonus_multiplier", 3, "bonus_multiplier", "Unknown field.", {}),
        ("components.0.colour", "red", "components.0.colour", "Unknown field.", {}),
    ],
)
def test_bad_field_gives_its_path_and_message(path: str, value: object, field: str, message: str, params: dict) -> None:
    plan, problems = validate_plan(with_change(path, value))
    assert plan is None
    assert [(p.path, p.message, dict(p.params)) for p in problems] == [(_display_path(field), message, params)]


def _display_path(dotted: str) -> str:
    """`components.1.cap_pct` → `components[1].cap_pct`, the form the web layer maps to its fields."""
    parts = []
    for part in dotted.split("."):
        if part.isdigit():
            parts[-1] += f"[{part}]"
        else:
            parts.append(part)
    return ".".join(parts)


def test_too_many_components_are_refused() -> None:
    data = valid_data()
    data["components"] = [{"metric": "satisfaction", "weight_pct": 100 / 7} for _ in range(7)]
    data["gates"] = []
    plan, problems = validate_plan(data)
    assert plan is None
    assert [(p.path, p.message, dict(p.params)) for p in problems] == [
        ("components", "Use at most %(max)s components.", {"max": 6})
    ]


def test_every_problem_is_reported_at_once() -> None:
    data = valid_data()
    data["ttc"] = "zwei"
    data["base_salary"] = -3
    data["components"][0]["metric"] = "luck"
    data["components"][1]["cap_pct"] = 50
    data["components"][2]["weight_pct"] = 10
    data["indirect_rewards"].append("bonus_trip")
    plan, problems = validate_plan(data)
    assert plan is None
    assert [p.path for p in problems] == [
        "ttc",
        "base_salary",
        "components[0].metric",
        "components[1].cap_pct",
        "components[1].threshold_pct",
        "components",
        "indirect_rewards[3]",
    ]


def test_a_gate_can_cover_some_components() -> None:
    plan, problems = validate_plan(with_change("gates.0", {"applies_to": ["2", 0, 0]}))
    assert problems == []
    assert plan.gates == (Gate("customer_active_at_year_end", (0, 2)),)
    assert [plan.gated(i) for i in range(3)] == [True, False, True]


def test_a_plan_that_is_not_an_object_is_one_problem() -> None:
    assert validate_plan(["ttc", 1]) == (None, [validate_plan(None)[1][0]])
    assert validate_plan(None)[1][0].path == ""


def test_problem_text_fills_in_the_parameters() -> None:
    _, problems = validate_plan(with_change("components.1.cap_pct", 90))
    assert problems[0].text() == "The cap (90 %) is below the target (100 %)."
    _, problems = validate_plan(with_change("components.1.credit", "split"))
    assert problems[0].text() == "Split credit needs a team share between 0 and 100 %."
