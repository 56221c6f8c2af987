"""The grading rubric of the bonus-plan sandbox (docs/sandbox-model.md, "The rubric").

Ten criteria, each in a registry with a default weight; the default weights add up to 100. Each criterion
looks at the plan, the scenario's numbers and the simulation (the learner's plan and the scenario's
benchmark) and returns a verdict: "pass" earns the criterion's full weight, "partial" half of it, "fail"
nothing; the outcome criterion earns its weight in proportion to the distance from the benchmark. Every
verdict carries one or two sentences of feedback (an English template marked with `N_()` plus its
parameters, translated by the web layer) that say what to change, and a link to the lesson section that
teaches the point.

The rubric judges an account by its numbers, not by the scenario's name, so a drawn scenario and a
trainer's own scenario are graded alike: an account is *team-served* when the team decides at least
`TEAM_SERVED` of its result, a *growth* account when a unit of selling is worth at least `GROWTH_B_S`
target total cash a year, and *at risk* when it renews with less than `AT_RISK_P0` chance without any
relationship work.

A plan passes with `PASS_SCORE` (70) of 100 points, the course's `completion.sandbox`. Partial verdicts cost
their points only, so a plan right for the account with a rough edge or two passes; but each failed criterion
scales the score by `FAIL_FACTOR` (0.7), so a plan that breaks one rule of the lesson (a plan right for
another account, revenue commission at a stable account, a bonus that never pays) stays below the pass
mark however well it does elsewhere, and the salesperson plan, failing eight to ten, scores under 1.

The package by job: registry.py (what a criterion is, and the registry), criteria.py (the ten criteria and
their thresholds; importing it registers them), grading.py (weights and grading). Importers use the names
below.
"""

from course.core.sandbox.rubric.criteria import (
    CAP_MIN,
    COMMISSION_MAX,
    COST_SLACK,
    COST_ZERO,
    CROWDING_RETENTION,
    FIXED_SHARE_BAND,
    GROWTH_COMMISSION_MAX,
    GROWTH_FIXED_SHARE_BAND,
    GROWTH_PAY_MIN,
    INDIRECT_MIN,
    MANDATE_COVERAGE,
    PAY_MIX_SLACK,
    REACHABLE,
    RELATIONSHIP_EFFORT_SHARE,
    RELATIONSHIP_METRICS,
    RETENTION_SLACK,
    RETENTION_WEIGHT_MIN,
    RETENTION_ZERO,
    SCORECARD_METRICS,
    SCORECARD_WEIGHT_MIN,
    TEAM_CREDIT_MIN,
    VALUE_SHARE,
    VALUE_ZERO,
    YEAR_END_SHARE,
)
from course.core.sandbox.rubric.grading import (
    FAIL_FACTOR,
    PASS_SCORE,
    VERDICT_SHARE,
    CriterionResult,
    Grade,
    grade,
    validate_weights,
)
from course.core.sandbox.rubric.registry import (
    AT_RISK_P0,
    CRITERIA,
    GROWTH_B_S,
    TEAM_SERVED,
    VERDICTS,
    WEIGHT_TOLERANCE,
    Check,
    Context,
    Criterion,
    LessonLink,
    UnknownCriterion,
    criterion,
    default_weights,
    register,
)

__all__ = [
    "AT_RISK_P0",
    "CAP_MIN",
    "COMMISSION_MAX",
    "COST_SLACK",
    "COST_ZERO",
    "CROWDING_RETENTION",
    "FAIL_FACTOR",
    "GROWTH_PAY_MIN",
    "RETENTION_ZERO",
    "VALUE_ZERO",
    "CRITERIA",
    "FIXED_SHARE_BAND",
    "GROWTH_B_S",
    "GROWTH_COMMISSION_MAX",
    "GROWTH_FIXED_SHARE_BAND",
    "INDIRECT_MIN",
    "MANDATE_COVERAGE",
    "PASS_SCORE",
    "PAY_MIX_SLACK",
    "REACHABLE",
    "RELATIONSHIP_EFFORT_SHARE",
    "RELATIONSHIP_METRICS",
    "RETENTION_SLACK",
    "RETENTION_WEIGHT_MIN",
    "SCORECARD_METRICS",
    "SCORECARD_WEIGHT_MIN",
    "TEAM_CREDIT_MIN",
    "TEAM_SERVED",
    "VALUE_SHARE",
    "VERDICTS",
    "VERDICT_SHARE",
    "WEIGHT_TOLERANCE",
    "YEAR_END_SHARE",
    "Check",
    "Context",
    "Criterion",
    "CriterionResult",
    "Grade",
    "LessonLink",
    "UnknownCriterion",
    "criterion",
    "default_weights",
    "grade",
    "register",
    "validate_weights",
]
