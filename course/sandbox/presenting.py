"""What the sandbox pages show: translated feedback, the comparison table, charts and example plans."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from babel import Locale, numbers
from flask import url_for
from flask_babel import format_decimal, format_percent, get_locale, ngettext
from flask_babel import gettext as _

from course.core import caching
from course.core.sandbox import FieldProblem, Plan, Scenario, ScenarioParameters, lesson_plan, salesperson_plan
from course.core.sandbox.evaluation import Evaluation, plan_data
from course.core.sandbox.preview import pay_preview
from course.core.sandbox.rubric import CriterionResult
from course.sandbox.charts import Chart, Series, effort_chart, money, pay_chart, retention_chart
from course.sandbox.labels import CRITERION_LABELS, VERDICT_LABELS

EXAMPLES = ("lesson", "salesperson", "blank")
OLD_EXAMPLES = {"recommended": "lesson"}  # links from before the lesson's plan was the general one


def example_name(value: str | None) -> str:
    """A starting point the editor offers; anything else starts blank."""
    value = OLD_EXAMPLES.get(value or "", value or "")
    return value if value in EXAMPLES else "blank"


# (type, number, locale) → the number as that locale writes it. An evaluation's feedback has dozens of numbers,
# mostly the same few (weights, steps, percentages), and Babel's formatting was a tenth of a new plan's evaluation.
_NUMBERS: caching.Cache[str] = caching.cache("sandbox.numbers", 4096)


def _number(value: float, locale: Locale) -> str:
    return _NUMBERS.get_or_compute(
        (type(value), value, str(locale)), lambda: numbers.format_decimal(value, locale=locale)
    )


def _localised(params: Mapping[str, object]) -> dict[str, object]:
    """Numbers in a core message written as the learner's language writes them (12,5 in German). The locale is
    looked up once per message: Flask-Babel's `format_decimal` looks it up per number, and an evaluation's
    feedback has dozens."""
    locale = get_locale()
    return {
        key: _number(value, locale) if isinstance(value, int | float) and not isinstance(value, bool) else value
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


@dataclass(frozen=True)
class PreviewRow:
    attainment: str
    variable: str
    total: str
    share: str  # of target total cash


def pay_preview_rows(plan: Plan) -> list[PreviewRow]:
    """The editor's pay preview in words: what the KAM earns at 80, 100 and 120 % of every target."""
    return [
        PreviewRow(
            attainment=format_percent(paid.attainment_pct / 100, format="#,##0 %"),
            variable=money(paid.variable, plan.currency),
            total=money(paid.total, plan.currency),
            share=format_percent(paid.total / plan.ttc, format="#,##0 %"),
        )
        for paid in pay_preview(plan)
    ]


@dataclass(frozen=True)
class Change:
    """How a number moved from the previous version: the arrow, the words and the class say the same."""

    direction: str  # "up", "down" or "same"
    text: str


@dataclass(frozen=True)
class CompareRow:
    label: str
    cells: list[str]
    changes: list[Change | None]  # per column after the first
    group: str  # "score", "criteria" or "outcomes"


def _change(before: float, after: float, higher_is_better: bool = True, shown: str = "") -> Change:
    if abs(after - before) < 0.005:
        return Change("same", _("unchanged"))
    up = after > before
    better = up == higher_is_better
    if up:
        text = _("up %(by)s, better", by=shown) if better else _("up %(by)s, worse", by=shown)
    else:
        text = _("down %(by)s, better", by=shown) if better else _("down %(by)s, worse", by=shown)
    return Change("up" if up else "down", text)


def compare_rows(evaluations: list[Evaluation]) -> list[CompareRow]:
    """One table for the compare page: score, each rubric criterion and the key outcomes, one column per version,
    with the change from the column before it."""

    def points(value: float) -> str:  # as the result pages write points (the `points` filter)
        return format_decimal(value, format="#,##0.##")

    def changes(values: list[float], shown: list[str], higher_is_better: bool = True) -> list[Change | None]:
        return [None] + [_change(values[i - 1], values[i], higher_is_better, shown[i]) for i in range(1, len(values))]

    def deltas(values: list[float], show) -> list[str]:  # noqa: ANN001 - a formatter
        return [""] + [show(abs(values[i] - values[i - 1])) for i in range(1, len(values))]

    scores = [e.grade.score for e in evaluations]
    rows = [
        CompareRow(
            _("Score"),
            [_("%(score)s of 100", score=points(s)) for s in scores],
            changes(scores, deltas(scores, lambda d: _("%(n)s points", n=points(d)))),
            "score",
        )
    ]
    by_id = [{r.id: r for r in e.grade.criteria} for e in evaluations]
    for criterion_id in by_id[0]:
        results = [found.get(criterion_id) for found in by_id]
        if None in results:
            continue
        values = [r.points for r in results]
        rows.append(
            CompareRow(
                str(CRITERION_LABELS[criterion_id]),
                [f"{VERDICT_LABELS[r.verdict]} · {points(r.points)} / {points(r.max_points)}" for r in results],
                changes(values, deltas(values, lambda d: _("%(n)s points", n=points(d)))),
                "criteria",
            )
        )
    currency = evaluations[0].plan.currency

    def percent(value: float) -> str:
        return format_percent(value, format="#,##0 %")

    outcomes = [
        (_("Share of effort on the relationship"), [e.result.relationship_share for e in evaluations], percent, True),
        (
            ngettext("Customer still buying after %(num)d year", "Customer still buying after %(num)d years", 3),
            [e.result.retention[2] for e in evaluations],
            percent,
            True,
        ),
        (
            _("Company value over three years"),
            [e.result.company_value for e in evaluations],
            lambda v: money(v, currency),
            True,
        ),
        (
            _("Expected plan cost per year"),
            [e.result.plan_cost for e in evaluations],
            lambda v: money(v, currency),
            False,
        ),
    ]
    for label, values, show, higher_is_better in outcomes:
        same = [abs(values[i] - values[i - 1]) < 0.005 * max(1.0, abs(values[i - 1])) for i in range(1, len(values))]
        shown_changes = changes(values, deltas(values, show), higher_is_better)
        shown_changes = [
            Change("same", _("unchanged")) if i and same[i - 1] else change for i, change in enumerate(shown_changes)
        ]
        rows.append(CompareRow(label, [show(v) for v in values], shown_changes, "outcomes"))
    return rows
