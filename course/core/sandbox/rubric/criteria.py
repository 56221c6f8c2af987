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
COMMISSION_MAX = 0.0  # % of the variable pay that may be commission outside a growth account: none (step 2)
GROWTH_COMMISSION_MAX = 40.0  # growth pay above baseline at a growth account: a share, never the whole bonus
GROWTH_PAY_MIN = 15.0  # … and enough of it to count (below this the white space goes unrewarded)
RELATIONSHIP_EFFORT_SHARE = 0.7  # relationship effort must reach 70 % of the benchmark plan's
CROWDING_RETENTION = 0.03  # … and first-year retention may fall at most 3 points below the benchmark's
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
VALUE_SHARE = 0.9  # company value earns full outcome credit from 90 % of the benchmark's …
VALUE_ZERO = 0.5  # … and none at half of it or less, in proportion in between
RETENTION_SLACK = 0.02  # expected retention may fall 2 points short of min(target, benchmark's retention) …
RETENTION_ZERO = 0.12  # … and earns no credit 12 points short of that, in proportion in between
COST_SLACK = 1.10  # expected plan cost may exceed the budgeted target total cash by 10 % …
COST_ZERO = 1.30  # … and earns no credit at 130 % of it, in proportion in between

_COMMISSION = frozenset(m.name for m in METRICS.values() if m.commission)  # revenue, growth, margin
_GROWTH_PAY = frozenset(m.name for m in METRICS.values() if m.commission and m.above_baseline)  # revenue growth
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
    return plan.team_credit_pct


def _reach(ctx: Context) -> list[float]:
    """Per component: the chance it can pay at all, given its threshold and the gates in front of it."""
    pay = ctx.result.pay
    gate = pay.gate_pays if pay.gate_pays is not None else 1.0
    reach = []
    for i, _ in enumerate(ctx.plan.components):
        own = pay.thresholds_met[i] if i < len(pay.thresholds_met) and pay.thresholds_met[i] is not None else 1.0
        reach.append(own * (gate if ctx.plan.gated(i) else 1.0))
    return reach


def _dead_weight(ctx: Context) -> float:
    """% of the bonus that pays less often than `REACHABLE`: to the KAM that part is no variable pay at all."""
    return sum(c.weight_pct for c, chance in zip(ctx.plan.components, _reach(ctx), strict=True) if chance < REACHABLE)


def _never_pays(ctx: Context) -> bool:
    """The whole bonus sits behind a gate or thresholds that rarely pay: the KAM is on a fixed salary."""
    return bool(ctx.plan.components) and _dead_weight(ctx) >= 100 - WEIGHT_TOLERANCE


_NEVER_PAYS = N_(
    "This bonus will almost never pay (in %(chance)s %% of the simulated years): your KAM is on a fixed salary "
    "and knows it. Set thresholds and gates the KAM reaches most years (target met about one year in two, "
    "threshold eight in ten)."
)


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
                "Only %(variable)s %% of the pay is variable: safe, but too little to signal what matters. "
                "Make %(low)s–%(high)s %% of target total cash variable."
            ),
            params,
        )
    verdict = "partial" if share <= high + PAY_MIX_SLACK + 1e-9 else "fail"
    return Check(
        verdict,
        N_(
            "%(variable)s %% variable pay is a salesperson's mix; KAMs are paid mostly fixed. "
            "Lower the variable share to %(low)s–%(high)s %% for this account."
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
    """Step 2: no revenue commission, except a share on growth above baseline at a growth account; and, in
    the simulation, the KAM's relationship work and the retention it buys hold up against the benchmark."""
    plan, result, bench = ctx.plan, ctx.result, ctx.benchmark
    commission = _variable_weight(plan, _COMMISSION)
    growth_pay = _variable_weight(plan, _GROWTH_PAY)
    plain = commission - growth_pay  # revenue or margin: pays on the volume the customer buys anyway
    # Only pay for selling can crowd out relationship work (the benchmark may do better for other reasons,
    # which the outcome criterion judges).
    pays_selling = any(metric(c.metric).selling > 0 and c.metric != "team_account_goal" for c in plan.components)
    crowded = pays_selling and (
        result.relationship_effort < RELATIONSHIP_EFFORT_SHARE * bench.relationship_effort
        or result.retention[0] < bench.retention[0] - CROWDING_RETENTION
    )
    params = {
        "commission": _n(commission),
        "plain": _n(plain),
        "growth": _n(growth_pay),
        "min": _n(GROWTH_PAY_MIN),
        "max": _n(GROWTH_COMMISSION_MAX),
        "effort": _n(result.relationship_effort),
        "benchmark_effort": _n(bench.relationship_effort),
        "retention": _pct(result.retention[0]),
        "benchmark_retention": _pct(bench.retention[0]),
    }
    if not ctx.growth and commission > WEIGHT_TOLERANCE:
        return Check(
            "fail",
            N_(
                "%(commission)s %% of the bonus is commission. At an account like this the lesson pays none, even "
                "with a clawback: every hour it buys for selling is taken from the relationship. Move that weight "
                "to retention, satisfaction or mandate objectives."
            ),
            params,
        )
    if ctx.growth and plain > WEIGHT_TOLERANCE:
        return Check(
            "fail",
            N_(
                "%(plain)s %% of the bonus is commission on revenue or margin, which pays for the volume the "
                "customer buys anyway. Pay only on growth above baseline (%(min)s–%(max)s %% of the bonus)."
            ),
            params,
        )
    if ctx.growth and growth_pay > GROWTH_COMMISSION_MAX + WEIGHT_TOLERANCE:
        return Check(
            "fail",
            N_(
                "%(growth)s %% of the bonus pays for growth: a salesperson's plan in disguise. Keep growth above "
                "baseline to %(min)s–%(max)s %% and let retention and the relationship carry the rest."
            ),
            params,
        )
    if ctx.growth and growth_pay < GROWTH_PAY_MIN - WEIGHT_TOLERANCE:
        if _variable_weight(plan, frozenset({"share_of_wallet"})) >= SCORECARD_WEIGHT_MIN - WEIGHT_TOLERANCE:
            return Check(
                "partial",
                N_(
                    "Share of wallet rewards growth here, but also the volume the customer buys anyway. Give "
                    "%(min)s–%(max)s %% of the bonus to revenue growth above baseline, behind the renewal gate "
                    "and with a clawback."
                ),
                params,
            )
        return Check(
            "fail",
            N_(
                "This customer has white space, but your plan pays nothing for growth above baseline, so the KAM "
                "has no reason to win it. Give %(min)s–%(max)s %% of the bonus to revenue growth above baseline, "
                "behind the renewal gate and with a clawback."
            ),
            params,
        )
    if crowded:
        return Check(
            "partial",
            N_(
                "In the simulation the KAM puts %(effort)s units of effort into the relationship (benchmark: "
                "%(benchmark_effort)s) and the customer renews with %(retention)s %% (benchmark: "
                "%(benchmark_retention)s %%): reward the relationship more directly, with retention, satisfaction "
                "or mandate objectives, and less for selling."
            ),
            params,
        )
    if growth_pay:
        return Check(
            "pass",
            N_(
                "%(growth)s %% of the bonus pays for growth above baseline only, and the relationship keeps "
                "its share of the KAM's time."
            ),
            params,
        )
    return Check(
        "pass",
        N_("No commission: selling does not crowd out relationship work, as the simulation confirms."),
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
    """Step 3: the bonus is paid at year end only if the customer is still buying: a renewal gate on all
    variable pay is the anchor; a retention metric alone only half anchors it. A gate or threshold the KAM
    rarely reaches anchors nothing: to him that bonus is no variable pay at all."""
    plan = ctx.plan
    if _never_pays(ctx):
        return Check("fail", _NEVER_PAYS, {"chance": _pct(max(_reach(ctx), default=0.0))})
    year_end = [c for c in plan.components if c.metric == "retention" and c.period in ("year", "multi_year")]
    weight = sum(c.weight_pct for c in year_end)
    params = {"min": _n(RETENTION_WEIGHT_MIN), "weight": _n(weight)}
    if _fully_gated(plan):
        return Check(
            "pass",
            N_("The bonus is paid at year end only if the customer is still buying: the anchor of the plan."),
            params,
        )
    if plan.gates or weight >= RETENTION_WEIGHT_MIN - WEIGHT_TOLERANCE:
        return Check(
            "partial",
            N_(
                "Retention counts, but part of the bonus is paid even if the customer leaves. Put all variable "
                'pay behind the gate "customer still buying at year end": the lesson\'s anchor.'
            ),
            params,
        )
    if any(c.metric == "retention" for c in plan.components):
        return Check(
            "partial",
            N_(
                "Retention is only %(weight)s %% of the bonus or paid before year end. Put all variable pay behind "
                'the gate "customer still buying at year end", or at least give a year-end retention metric '
                "%(min)s %% of the bonus."
            ),
            params,
        )
    return Check(
        "fail",
        N_(
            'Nothing pays for the customer still buying next year. Add the gate "customer still buying at year '
            'end" on all variable pay.'
        ),
        params,
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
                "not the relationship. Pay relationship objectives yearly."
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
    """Step 7: gates and thresholds the KAM can meet, caps high or absent, a clawback on any commission.

    A cap on a yes/no metric (retention) changes nothing and is not counted; a gate or threshold that
    keeps most of the bonus from paying fails the criterion (to the KAM it is a fixed salary).
    """
    plan = ctx.plan
    commission = any(metric(c.metric).commission for c in plan.components)
    reach = _reach(ctx)
    dead = _dead_weight(ctx)
    lowest = min(reach, default=1.0)
    issues = {
        "clawback": commission and plan.clawback is None,
        "cap": any(
            c.cap_pct is not None and c.cap_pct < CAP_MIN and not metric(c.metric).binary for c in plan.components
        ),
        "reach": dead > WEIGHT_TOLERANCE,
    }
    params = {"chance": _pct(lowest), "cap": _n(CAP_MIN), "dead": _n(dead)}
    if _never_pays(ctx):
        return Check("fail", _NEVER_PAYS, {**params, "chance": _pct(max(reach, default=0.0))})
    # Commission without a clawback breaks what step 7 says a commission needs, and half the bonus out of
    # reach is half a fixed salary: each fails the criterion alone.
    problems = sum(issues.values()) + issues["clawback"] + (1 if dead >= 50 - WEIGHT_TOLERANCE else 0)
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
            "%(dead)s %% of the bonus pays only %(chance)s %% of the time in the simulation: conditions hardly "
            "anyone meets breed cynicism. Lower the threshold or gate so the KAM reaches it most years."
        )
    elif issues["clawback"]:
        message = N_(
            "Your plan pays commission without a clawback: add one that reclaims it if the customer leaves "
            "within a year."
        )
    else:
        message = N_("A cap below %(cap)s %% of target holds the KAM back; raise it to %(cap)s %% or leave it out.")
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
    """The simulated outcome against the benchmark, with credit in proportion to the distance: company value
    from `VALUE_ZERO` to `VALUE_SHARE` of the benchmark's, first-year retention up to `RETENTION_ZERO` below
    what is needed, cost from `COST_SLACK` to `COST_ZERO` of the budget. The weakest of the three counts."""
    result, benchmark, params = ctx.result, ctx.benchmark, ctx.params
    value = result.company_value / benchmark.company_value if benchmark.company_value > 0 else 1.0
    needed = min(params.target_retention, benchmark.retention[0]) - RETENTION_SLACK
    # A plan that costs no more than the benchmark is never too expensive.
    limit = max(params.budget_ttc * COST_SLACK, benchmark.plan_cost)
    credits = {
        "value": _between(value, VALUE_ZERO, VALUE_SHARE),
        "retention": _between(result.retention[0], needed - RETENTION_ZERO, needed),
        "cost": _between(-result.plan_cost, -limit * COST_ZERO / COST_SLACK, -limit),
    }
    credit = min(credits.values())
    feedback = {
        "value": _pct(min(max(value, 0.0), 9.99)),
        "full": _pct(VALUE_SHARE),
        "retention": _pct(result.retention[0]),
        "target": _pct(needed),
        "cost": round(result.plan_cost),
        "budget": round(params.budget_ttc),
        "limit": round(limit),
        "credit": _pct(credit),
    }
    if credit >= 1.0:
        return Check(
            "pass",
            N_(
                "In the simulation your plan reaches %(value)s %% of the benchmark's company value "
                "with %(retention)s %% retention, within budget."
            ),
            feedback,
            credit=1.0,
        )
    weakest = min(credits, key=lambda name: credits[name])
    if weakest == "retention":
        message = N_(
            "Expected retention is %(retention)s %% against the %(target)s %% needed, so the plan earns %(credit)s "
            "%% of these points: relationship work is under-rewarded. Put more of the bonus on retention and "
            "the relationship, behind the renewal gate."
        )
    elif weakest == "cost":
        message = N_(
            "The plan is expected to cost %(cost)s for a budget of %(budget)s (up to %(limit)s earns full "
            "credit), so it earns %(credit)s %% of these points. Lower the variable share or cap what "
            "commission can pay."
        )
    else:
        message = N_(
            "Your plan reaches %(value)s %% of the benchmark's company value in the simulation (full credit from "
            "%(full)s %%), so it earns %(credit)s %% of these points. Compare its effort split with the "
            "benchmark's and reward what this account needs."
        )
    return Check("fail" if credit <= 0.0 else "partial", message, feedback, credit=credit)


def _between(value: float, zero: float, full: float) -> float:
    """0 at or below `zero`, 1 at or above `full`, in proportion in between."""
    return min(max((value - zero) / (full - zero), 0.0), 1.0)


if not math.isclose(sum(default_weights().values()), 100.0):  # checked at import, also under python -O
    raise RuntimeError("the default rubric weights must add up to 100")
