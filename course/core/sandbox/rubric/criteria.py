"""The ten criteria of the rubric, in the order they are shown, with the thresholds each one applies.

Each looks at the plan, the scenario's numbers and the simulation (the learner's plan and the scenario's
benchmark) and returns a verdict with one or two sentences of feedback: an English template marked with
`N_()` plus its parameters, translated by the web layer. Importing this module registers them.
"""

from __future__ import annotations

import math

from course.core.errors import N_
from course.core.sandbox.metrics import METRICS, metric
from course.core.sandbox.plan import MANDATE_QUESTIONS, Plan
from course.core.sandbox.rubric.registry import WEIGHT_TOLERANCE, Check, Context, default_weights, register

FIXED_SHARE_BAND = (0.15, 0.25)  # variable share of target total cash: the 75–85 % fixed practice range
GROWTH_FIXED_SHARE_BAND = (0.15, 0.35)  # white space justifies up to 35 % variable
PAY_MIX_SLACK = 0.10  # up to 10 points above the band is "partial"; below the band too (mostly fixed is safe)
COMMISSION_MAX = 15.0  # % of the variable pay that may be commission (revenue, growth, margin)
GROWTH_COMMISSION_MAX = 40.0
RELATIONSHIP_EFFORT_SHARE = 0.7  # relationship's share of effort must reach 70 % of the benchmark plan's
RETENTION_WEIGHT_MIN = 30.0  # a retention metric anchors the plan from this weight (or a gate does)
SCORECARD_METRICS = (2, 4)
SCORECARD_WEIGHT_MIN = 10.0
RELATIONSHIP_METRICS = frozenset({"satisfaction", "share_of_wallet", "mandate_objectives", "retention"})
MANDATE_COVERAGE = 3  # of the four mandate questions
YEAR_END_SHARE = 80.0  # % of the variable pay that should fall due at year end or later
CAP_MIN = 200.0  # caps below 200 % of target hold people back
REACHABLE = 0.5  # a gate or threshold the simulated KAM reaches less often than this breeds cynicism
TEAM_CREDIT_MIN = 20.0  # % of the variable pay on the team's result where the account is team-served
INDIRECT_MIN = 2
VALUE_SHARE = 0.85  # company value must reach 85 % of the benchmark's
RETENTION_SLACK = 0.02  # expected retention may fall 2 points short of min(target, benchmark's retention)
COST_SLACK = 1.10  # expected plan cost may exceed the budgeted target total cash by 10 %

_COMMISSION = frozenset(m.name for m in METRICS.values() if m.commission)  # revenue, growth, margin
_ANCHORS = "designing-a-kam-bonus-plan"


def _pct(value: float) -> int | float:
    """A share (0–1) as a percentage for feedback: whole numbers where possible, else one decimal."""
    number = round(value * 100, 1)
    return int(number) if number.is_integer() else number


def _n(value: float) -> int | float:
    number = round(float(value), 1)
    return int(number) if number.is_integer() else number


def _variable_weight(plan: Plan, metrics: frozenset[str]) -> float:
    return sum(c.weight_pct for c in plan.components if c.metric in metrics)


def _team_credit(plan: Plan) -> float:
    """% of the variable pay paid on the team's result."""
    total = 0.0
    for c in plan.components:
        if c.metric == "team_account_goal" or c.credit == "team":
            total += c.weight_pct
        elif c.credit == "split":
            total += c.weight_pct * c.team_share_pct / 100
    return total


def _fully_gated(plan: Plan) -> bool:
    return bool(plan.components) and all(plan.gated(i) for i in range(len(plan.components)))


def _verdict(problems: int) -> str:
    return "pass" if problems == 0 else "partial" if problems == 1 else "fail"


# 1. Pay mix ------------------------------------------------------------------------------------------


@register("pay_mix", 10, _ANCHORS, "step-1-pay-mostly-fixed", "schritt-1-ueberwiegend-fest-bezahlen")
def _pay_mix(ctx: Context) -> Check:
    low, high = GROWTH_FIXED_SHARE_BAND if ctx.growth else FIXED_SHARE_BAND
    share = ctx.plan.variable_share
    params = {"variable": _pct(share), "low": _pct(low), "high": _pct(high)}
    if low - 1e-9 <= share <= high + 1e-9:
        return Check(
            "pass",
            N_("%(variable)s %% variable pay is in the range that fits a KAM here (%(low)s–%(high)s %%)."),
            params,
        )
    if share < low:
        return Check(
            "partial",
            N_(
                "Only %(variable)s %% of the pay is variable: safe, but too little to signal what matters; "
                "%(low)s–%(high)s %% is typical here."
            ),
            params,
        )
    verdict = "partial" if share <= high + PAY_MIX_SLACK + 1e-9 else "fail"
    return Check(
        verdict,
        N_(
            "%(variable)s %% variable pay is a salesperson's mix; KAMs are paid mostly fixed, "
            "with %(low)s–%(high)s %% variable for this account."
        ),
        params,
    )


# 2. No commission that crowds out relationship work ---------------------------------------------------


@register(
    "no_commission_crowding",
    12,
    _ANCHORS,
    "step-2-leave-out-revenue-commission",
    "schritt-2-auf-umsatzprovision-verzichten",
)
def _no_commission_crowding(ctx: Context) -> Check:
    limit = GROWTH_COMMISSION_MAX if ctx.growth else COMMISSION_MAX
    commission = _variable_weight(ctx.plan, _COMMISSION)
    share, benchmark_share = ctx.result.relationship_share, ctx.benchmark.relationship_share
    weight_ok = commission <= limit + WEIGHT_TOLERANCE
    effort_ok = share >= RELATIONSHIP_EFFORT_SHARE * benchmark_share
    params = {"commission": _n(commission), "max": _n(limit), "share": _pct(share), "benchmark": _pct(benchmark_share)}
    if weight_ok and effort_ok:
        return Check(
            "pass",
            N_("Commission is %(commission)s %% of the bonus, so relationship work keeps its share of the KAM's time."),
            params,
        )
    if effort_ok:
        return Check(
            "partial",
            N_(
                "%(commission)s %% of the bonus is commission, more than the %(max)s %% this account can take; "
                "the more you pay for selling, the less time goes into the relationship."
            ),
            params,
        )
    if weight_ok:
        return Check(
            "partial",
            N_(
                "In the simulation the KAM gives the relationship %(share)s %% of his effort, against "
                "%(benchmark)s %% under the benchmark plan; reward the relationship more directly."
            ),
            params,
        )
    return Check(
        "fail",
        N_(
            "%(commission)s %% of the bonus is commission, and in the simulation the KAM gives the relationship "
            "only %(share)s %% of his effort (benchmark: %(benchmark)s %%): the multitask trap."
        ),
        params,
    )


# 3. Retention anchors the bonus --------------------------------------------------------------------


@register(
    "retention_anchor",
    14,
    _ANCHORS,
    "step-3-anchor-the-bonus-on-retention",
    "schritt-3-den-bonus-an-die-kundenbindung-knuepfen",
)
def _retention_anchor(ctx: Context) -> Check:
    plan = ctx.plan
    year_end = [c for c in plan.components if c.metric == "retention" and c.period in ("year", "multi_year")]
    weight = sum(c.weight_pct for c in year_end)
    if _fully_gated(plan) or weight >= RETENTION_WEIGHT_MIN - WEIGHT_TOLERANCE:
        return Check(
            "pass",
            N_("The bonus is paid at year end only if the customer is still buying: the anchor of the plan."),
        )
    if plan.gates or any(c.metric == "retention" for c in plan.components):
        return Check(
            "partial",
            N_(
                "Retention counts, but not enough: gate all variable pay on the customer still buying at year "
                "end, or give a year-end retention metric at least %(min)s %% of the bonus."
            ),
            {"min": _n(RETENTION_WEIGHT_MIN)},
        )
    return Check(
        "fail",
        N_("Nothing pays for the customer still buying next year; add a year-end renewal gate or metric."),
    )


# 4. A small, balanced, controllable scorecard ------------------------------------------------------


@register(
    "scorecard",
    8,
    _ANCHORS,
    "step-4-choose-a-few-balanced-measures",
    "schritt-4-wenige-ausgewogene-kennzahlen-waehlen",
)
def _scorecard(ctx: Context) -> Check:
    components = ctx.plan.components
    fewest, most = SCORECARD_METRICS
    measures = len({c.metric for c in components})
    problems = 0
    if not fewest <= measures <= most:
        problems += 1
    if any(c.weight_pct < SCORECARD_WEIGHT_MIN - WEIGHT_TOLERANCE for c in components):
        problems += 1
    if not any(c.metric in RELATIONSHIP_METRICS for c in components):
        problems += 1
    params = {"count": measures, "fewest": fewest, "most": most, "min": _n(SCORECARD_WEIGHT_MIN)}
    # Counts stand where no plural form is needed: the pass message's count is always 2–4, and the
    # others read "Measures …: 1" as well as "Measures …: 5" in both languages.
    if problems == 0:
        return Check(
            "pass",
            N_("%(count)s measures with noticeable weights, including the relationship: a focused scorecard."),
            params,
        )
    return Check(
        _verdict(problems),
        N_(
            "Measures on your scorecard: %(count)s; use %(fewest)s to %(most)s, each with at least %(min)s %% "
            "of the bonus, and at least one that reflects the relationship (satisfaction, share of wallet, "
            "mandate objectives)."
        ),
        params,
    )


# 5. Objectives linked to the four mandate questions -----------------------------------------------


@register(
    "mandate_link",
    8,
    _ANCHORS,
    "step-5-derive-objectives-from-the-mandate",
    "schritt-5-ziele-aus-dem-auftrag-ableiten",
)
def _mandate_link(ctx: Context) -> Check:
    covered = {q for c in ctx.plan.components for q in c.mandate_questions if q in MANDATE_QUESTIONS}
    params = {"covered": len(covered), "needed": MANDATE_COVERAGE}
    if len(covered) >= MANDATE_COVERAGE:
        return Check(
            "pass",
            N_("Your objectives answer %(covered)s of the four questions of the KAM's mandate."),
            params,
        )
    if covered:
        return Check(
            "partial",
            N_(
                "Your objectives answer only %(covered)s of the four mandate questions; link them to at least "
                "%(needed)s (who is the contact, what to achieve, how to ensure success, where to find support)."
            ),
            params,
        )
    return Check(
        "fail",
        N_("No objective is linked to the KAM's mandate; derive them from its four questions."),
        params,
    )


# 6. Timing matches the relationship's horizon -----------------------------------------------------


@register(
    "timing",
    8,
    _ANCHORS,
    "step-6-match-timing-to-the-relationship",
    "schritt-6-den-zeitrahmen-an-die-beziehung-anpassen",
)
def _timing(ctx: Context) -> Check:
    plan = ctx.plan
    year_end = sum(
        c.weight_pct for i, c in enumerate(plan.components) if c.period in ("year", "multi_year") or plan.gated(i)
    )
    relationship = [c for c in plan.components if c.metric in RELATIONSHIP_METRICS]
    quarterly = any(c.period == "quarter" for c in relationship)
    # An at-risk account may pay recovery milestones each half year; elsewhere relationship work is yearly.
    half = not ctx.at_risk and any(c.period == "half" for c in relationship)
    params = {"share": _n(year_end), "min": _n(YEAR_END_SHARE)}
    if not plan.components:
        return Check("fail", N_("There is no bonus to time; pay one at year end."), params)
    if quarterly or year_end < YEAR_END_SHARE / 2:
        return Check(
            "fail",
            N_(
                "Only %(share)s %% of the bonus falls due at year end; quarterly payouts reward the calendar, "
                "not the relationship."
            ),
            params,
        )
    if half or year_end < YEAR_END_SHARE - WEIGHT_TOLERANCE:
        return Check(
            "partial",
            N_(
                "%(share)s %% of the bonus falls due at year end; pay relationship objectives yearly, "
                "at least %(min)s %% of the bonus."
            ),
            params,
        )
    return Check("pass", N_("The bonus falls due at year end, in step with the relationship."), params)


# 7. Sensible risk controls ------------------------------------------------------------------------


@register("risk_controls", 8, _ANCHORS, "step-7-control-risks-sensibly", "schritt-7-risiken-vernuenftig-begrenzen")
def _risk_controls(ctx: Context) -> Check:
    plan, pay = ctx.plan, ctx.result.pay
    commission = any(metric(c.metric).commission for c in plan.components)
    reach = [chance for chance in (pay.gate_pays, *pay.thresholds_met) if chance is not None]
    lowest = min(reach) if reach else 1.0
    issues = {
        "clawback": commission and plan.clawback is None,
        "cap": any(c.cap_pct is not None and c.cap_pct < CAP_MIN for c in plan.components),
        "reach": lowest < REACHABLE,
    }
    params = {"chance": _pct(lowest), "cap": _n(CAP_MIN)}
    problems = sum(issues.values())
    if problems == 0:
        return Check(
            "pass",
            N_(
                "Gates and thresholds are within reach, caps are high or absent, "
                "and commission, if any, can be reclaimed."
            ),
            params,
        )
    if issues["reach"]:
        message = N_(
            "A gate or threshold in your plan pays only %(chance)s %% of the time in the simulation; "
            "conditions hardly anyone meets breed cynicism."
        )
    elif issues["clawback"]:
        message = N_("Your plan pays commission without a clawback; reclaim it if the customer leaves soon after.")
    else:
        message = N_("A cap below %(cap)s %% of target holds the KAM back; set it high or leave it out.")
    return Check(_verdict(problems), message, params)


# 8. Team credit where the account is team-served --------------------------------------------------


@register(
    "team_credit",
    8,
    _ANCHORS,
    "step-8-plan-for-the-team-and-indirect-rewards",
    "schritt-8-team-und-indirekte-belohnung-einplanen",
)
def _team_credit_check(ctx: Context) -> Check:
    credit = _team_credit(ctx.plan)
    params = {
        "credit": _n(credit),
        "min": _n(TEAM_CREDIT_MIN),
        "dependence": _pct(ctx.params.team_dependence),
    }
    if not ctx.team_served:
        return Check(
            "pass",
            N_("The KAM decides most of this account's result, so individual credit fits."),
            params,
        )
    if credit >= TEAM_CREDIT_MIN - WEIGHT_TOLERANCE:
        return Check(
            "pass",
            N_("%(credit)s %% of the bonus rewards the team's result, as fits an account the team serves."),
            params,
        )
    return Check(
        "partial" if credit > 0 else "fail",
        N_(
            "The team decides about %(dependence)s %% of this account's result, but only %(credit)s %% of the "
            "bonus rewards it; share at least %(min)s %% with service and pre-sales through a team goal."
        ),
        params,
    )


# 9. Indirect rewards -------------------------------------------------------------------------------


@register(
    "indirect_rewards",
    10,
    "direct-and-indirect-rewards",
    "indirect-rewards-three-levers",
    "indirekte-belohnung-drei-hebel",
)
def _indirect_rewards(ctx: Context) -> Check:
    count = len(ctx.plan.indirect_rewards)
    params = {"count": count, "min": INDIRECT_MIN}
    if count >= INDIRECT_MIN:  # so the count here is at least 2: plural in both languages
        return Check(
            "pass",
            N_("%(count)s indirect rewards back the bonus at no cost: they raise relationship effort."),
            params,
        )
    return Check(
        "partial" if count else "fail",
        N_(
            "Indirect rewards in your plan: %(count)s; add at least %(min)s, such as inviting the customer to "
            "thank the team in person: the strongest motivator costs nothing."
        ),
        params,
    )


# 10. Simulated outcome close to the benchmark ------------------------------------------------------


@register(
    "outcome",
    14,
    "year-end-retention-bonus",
    "you-get-what-you-pay-for",
    "man-bekommt-wofuer-man-bezahlt",
)
def _outcome(ctx: Context) -> Check:
    result, benchmark, params = ctx.result, ctx.benchmark, ctx.params
    value = result.company_value / benchmark.company_value if benchmark.company_value > 0 else 1.0
    needed = min(params.target_retention, benchmark.retention[0]) - RETENTION_SLACK
    budget = params.budget_ttc * COST_SLACK
    shortfalls = {
        "value": value < VALUE_SHARE,
        "retention": result.retention[0] < needed,
        "cost": result.plan_cost > budget,
    }
    feedback = {
        "value": _pct(min(value, 9.99)),
        "retention": _pct(result.retention[0]),
        "target": _pct(needed + RETENTION_SLACK),
        "cost": round(result.plan_cost),
        "budget": round(params.budget_ttc),
    }
    problems = sum(shortfalls.values())
    if problems == 0:
        return Check(
            "pass",
            N_(
                "In the simulation your plan reaches %(value)s %% of the benchmark's company value "
                "with %(retention)s %% retention, within budget."
            ),
            feedback,
        )
    if shortfalls["retention"]:
        message = N_(
            "Expected retention is %(retention)s %% against %(target)s %% needed: relationship effort is "
            "under-rewarded."
        )
    elif shortfalls["cost"]:
        message = N_(
            "The plan is expected to cost %(cost)s for a budget of %(budget)s: too expensive for what it buys."
        )
    else:
        message = N_("Your plan reaches only %(value)s %% of the benchmark's company value in the simulation.")
    return Check(_verdict(problems), message, feedback)


if not math.isclose(sum(default_weights().values()), 100.0):  # checked at import, also under python -O
    raise RuntimeError("the default rubric weights must add up to 100")
