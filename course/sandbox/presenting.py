"""What the sandbox pages show: translated feedback, the comparison table, charts and example plans."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import url_for
from flask_babel import format_decimal, format_percent, ngettext
from flask_babel import gettext as _

from course.core.sandbox import FieldProblem, Scenario, ScenarioParameters, lesson_plan, salesperson_plan
from course.core.sandbox.evaluation import Evaluation, plan_data
from course.core.sandbox.rubric import CriterionResult
from course.sandbox.charts import Chart, Series, effort_chart, money, pay_chart, retention_chart
from course.sandbox.labels import CRITERION_LABELS, VERDICT_LABELS

EXAMPLES = ("lesson", "salesperson", "blank")
OLD_EXAMPLES = {"recommended": "lesson"}  # links from before the lesson's plan was the general one


def example_name(value: str | None) -> str:
    """A starting point the editor offers; anything else starts blank."""
    value = OLD_EXAMPLES.get(value or "", value or "")
    return value if value in EXAMPLES else "blank"


def _localised(params: Mapping[str, object]) -> dict[str, object]:
    """Numbers in a core message written as the learner's language writes them (12,5 in German)."""
    return {
        key: format_decimal(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
        for key, value in params.items()
    }


def message(problem: FieldProblem | CriterionResult) -> str:
    return _(problem.message, **_localised(problem.params))


@dataclass(frozen=True)
class CriterionView:
    id: str
    title: str
    verdict: str
    verdict_label: str
    points: float
    max_points: float
    feedback: str
    lesson_url: str


def criterion_views(evaluation: Evaluation, course_id: str, lang: str) -> list[CriterionView]:
    views = []
    for result in evaluation.grade.criteria:
        views.append(
            CriterionView(
                id=result.id,
                title=str(CRITERION_LABELS[result.id]),
                verdict=result.verdict,
                verdict_label=str(VERDICT_LABELS[result.verdict]),
                points=result.points,
                max_points=result.max_points,
                feedback=message(result),
                lesson_url=url_for(
                    "learn.lesson",
                    course_id=course_id,
                    lesson_id=result.lesson.lesson_id,
                    _anchor=result.lesson.anchor(lang),
                ),
            )
        )
    return views


def series(evaluation: Evaluation) -> list[Series]:
    return [
        Series(_("Your plan"), evaluation.result, "plan"),
        Series(_("Benchmark"), evaluation.benchmark.result, "benchmark"),
        Series(_("Salesperson plan"), evaluation.salesperson, "salesperson"),
    ]


def charts(evaluation: Evaluation, prefix: str = "", with_comparison: bool = True) -> list[Chart]:
    shown = series(evaluation) if with_comparison else series(evaluation)[:1]
    return [
        effort_chart(shown, prefix=prefix),
        retention_chart(shown, prefix=prefix),
        pay_chart(shown, evaluation.plan.currency, evaluation.plan.ttc, prefix=prefix),
    ]


def outcome_rows(evaluation: Evaluation) -> list[tuple[str, list[str]]]:
    """The comparison table: one row per outcome, columns your plan / benchmark / salesperson plan."""
    currency = evaluation.plan.currency
    results = [evaluation.result, evaluation.benchmark.result, evaluation.salesperson]

    def chance(value: float | None) -> str:
        return "–" if value is None else format_percent(value, format="#,##0 %")

    rows = [
        (_("Selling effort"), [format_decimal(r.selling_effort, format="0.00") for r in results]),
        (_("Relationship effort"), [format_decimal(r.relationship_effort, format="0.00") for r in results]),
        (_("Share of effort on the relationship"), [chance(r.relationship_share) for r in results]),
    ]
    for year in (1, 2, 3):
        rows.append(
            (
                ngettext("Customer still buying after %(num)d year", "Customer still buying after %(num)d years", year),
                [chance(r.retention[year - 1]) for r in results],
            )
        )
    rows += [
        (_("Company value over three years"), [money(r.company_value, currency) for r in results]),
        (_("Expected plan cost per year"), [money(r.plan_cost, currency) for r in results]),
        (_("The KAM's average pay"), [money(r.pay.mean, currency) for r in results]),
        (_("Spread of the KAM's pay (standard deviation)"), [money(r.pay.sd, currency) for r in results]),
        (_("Chance the gate pays"), [chance(r.pay.gate_pays) for r in results]),
    ]
    return rows


def scenario_facts(scenario: Scenario, params: ScenarioParameters, currency: str = "EUR") -> list[tuple[str, str]]:
    """The numbers of one scenario draw that a designer needs, in words."""
    return [
        (
            _("Budget: target total cash per year"),
            money(params.budget_ttc, currency),
        ),
        (_("Chance the customer renews without relationship work"), format_percent(params.p0, format="#,##0 %")),
        (_("Renewal rate the company aims for"), format_percent(params.target_retention, format="#,##0 %")),
        (_("Share of the account result the team decides"), format_percent(params.team_dependence, format="#,##0 %")),
        (_("Value of a renewal, in multiples of the KAM's pay"), format_decimal(params.b_r, format="0.0")),
        (_("Value of one unit of selling, in multiples of the KAM's pay"), format_decimal(params.b_s, format="0.0")),
    ]


def example_plan(example: str, params: ScenarioParameters) -> dict:
    """The editor's starting values: the lesson's general plan at the draw's budget (not fitted to the scenario:
    fitting it is the exercise), the plain salesperson plan, or only the budget."""
    example = example_name(example)
    if example == "lesson":
        return plan_data(lesson_plan(params.budget_ttc))
    if example == "salesperson":
        return plan_data(salesperson_plan(params.budget_ttc))
    return {"ttc": params.budget_ttc, "currency": "EUR"}
