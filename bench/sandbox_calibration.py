"""The sandbox grader's calibration table: reference plans per scenario, scored over several draws.

For each scenario the same reference plans are evaluated as a learner's plan would be
(`evaluation.evaluate`: the draw of the seed, the benchmark, the rubric with default weights):

- **salesperson**: 60 % base, 40 % quarterly revenue commission (must fail everywhere);
- **lesson plan**: lesson 6's general plan unchanged (`lesson_plan`);
- **fitted plan**: the lesson's plan fitted to the scenario (`recommended_plan`, must pass);
- **defend plan copied**: the defend scenario's fitted plan used unchanged in this scenario;
- **+ revenue commission**: the fitted plan with 15 % of the bonus as quarterly revenue commission and a
  full 12-month churn clawback (the other weights scaled to 85 %);
- **unreachable threshold**: the fitted plan with every component behind a 150 % threshold (target 200 %):
  the bonus almost never pays;
- **benchmark**: the scenario's benchmark plan for the draw, graded against itself.

Each cell: mean score [lowest–highest] and how many draws pass. docs/sandbox-model.md keeps the table
before and after each change to the grader. Usage:
    .venv/bin/python bench/sandbox_calibration.py [--seeds N] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from course.core.sandbox import (  # noqa: E402 - after the path set-up, so the script runs from anywhere
    PASS_SCORE,
    SCENARIOS,
    Clawback,
    Component,
    Plan,
    draw_parameters,
    evaluation,  # noqa: E402
    grade,
    lesson_plan,
    recommended_plan,
    salesperson_plan,
)

PLANS = (
    "salesperson",
    "lesson plan",
    "fitted plan",
    "defend plan copied",
    "+ revenue commission",
    "unreachable threshold",
    "benchmark",
)


def with_commission(plan: Plan) -> Plan:
    """15 % of the bonus as quarterly revenue commission with a full churn clawback, the rest scaled."""
    scaled = tuple(replace(c, weight_pct=round(c.weight_pct * 0.85, 2)) for c in plan.components)
    rest = 85.0 - sum(c.weight_pct for c in scaled)
    scaled = (replace(scaled[0], weight_pct=round(scaled[0].weight_pct + rest, 2)), *scaled[1:])
    return replace(
        plan,
        components=(*scaled, Component("revenue", 15.0, period="quarter")),
        clawback=Clawback("churn", 12, 100.0),
    )


def unreachable(plan: Plan) -> Plan:
    """Every component pays only from 150 % of target (target 200 %): the bonus almost never pays."""
    return replace(
        plan, components=tuple(replace(c, threshold_pct=150.0, target_pct=200.0, cap_pct=None) for c in plan.components)
    )


def reference_plans(scenario_id: str, ttc: float) -> dict[str, Plan]:
    fitted = recommended_plan(scenario_id, ttc)
    return {
        "salesperson": salesperson_plan(ttc),
        "lesson plan": lesson_plan(ttc),
        "fitted plan": fitted,
        "defend plan copied": recommended_plan("defend", ttc),
        "+ revenue commission": with_commission(fitted),
        "unreachable threshold": unreachable(fitted),
    }


def table(seeds: int) -> dict[str, dict[str, dict]]:
    report: dict[str, dict[str, dict]] = {}
    for scenario_id in SCENARIOS:
        scores: dict[str, list[float]] = {name: [] for name in PLANS}
        for seed in range(1, seeds + 1):
            params = draw_parameters(SCENARIOS[scenario_id], seed)
            for name, plan in reference_plans(scenario_id, params.budget_ttc).items():
                scores[name].append(evaluation.evaluate(plan, scenario_id, seed).grade.score)
            bench = evaluation.benchmark_plan(scenario_id, params, seed)
            scores["benchmark"].append(grade(bench.plan, params, bench.result, bench.result).score)
        report[scenario_id] = {
            name: {
                "mean": round(statistics.mean(values), 1),
                "low": min(values),
                "high": max(values),
                "passed": sum(value >= PASS_SCORE for value in values),
                "draws": len(values),
            }
            for name, values in scores.items()
        }
    return report


def markdown(report: dict[str, dict[str, dict]]) -> str:
    scenarios = list(report)
    lines = ["| plan | " + " | ".join(scenarios) + " |", "|---" * (len(scenarios) + 1) + "|"]
    for name in PLANS:
        cells = []
        for scenario_id in scenarios:
            cell = report[scenario_id][name]
            cells.append(f"{cell['mean']:g} [{cell['low']:g}–{cell['high']:g}], {cell['passed']}/{cell['draws']} pass")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=20, help="draws per scenario (seeds 1…N)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    options = parser.parse_args(argv)
    report = table(options.seeds)
    print(markdown(report))
    if options.json:
        options.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
