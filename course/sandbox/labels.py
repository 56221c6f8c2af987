"""What the sandbox's core names (metrics, periods, criteria, …) are called in the learner's language.

The core keeps plain ids; every id a registry can hold must have a label here, which `check_labels`
verifies at start-up, so a metric or criterion added to the core cannot reach a page unnamed.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from course.core.sandbox import CRITERIA, INDIRECT_REWARDS, MANDATE_QUESTIONS, METRICS
from course.core.sandbox.plan import CREDITS, PERIODS

METRICS_LABELS = {
    "revenue": _l("Revenue"),
    "revenue_growth": _l("Revenue growth above baseline"),
    "margin": _l("Margin"),
    "retention": _l("Customer retention (renewal)"),
    "share_of_wallet": _l("Share of wallet"),
    "satisfaction": _l("Customer satisfaction / NPS"),
    "mandate_objectives": _l("Mandate objectives"),
    "team_account_goal": _l("Team account goal"),
}
PERIOD_LABELS = {
    "quarter": _l("Quarter"),
    "half": _l("Half year"),
    "year": _l("Year"),
    "multi_year": _l("Several years"),
}
CREDIT_LABELS = {
    "individual": _l("Individual"),
    "team": _l("Team"),
    "split": _l("Split (individual and team)"),
}
MANDATE_LABELS = {
    "who_contact": _l("Whom does the KAM contact at the customer?"),
    "what_achieve": _l("What should the KAM achieve?"),
    "how_ensure": _l("How does the KAM ensure it?"),
    "where_support": _l("Where does the KAM need the company's support?"),
}
REWARD_LABELS = {
    "autonomy": _l("Autonomy in how the KAM serves the account"),
    "impact_visibility": _l("Showing the KAM his impact on the customer"),
    "company_backing": _l("Visible backing from the company"),
    "recognition": _l("Recognition"),
    "customer_feedback": _l("Passing on the customer's feedback"),
    "customer_at_kam_meeting": _l("Inviting the key customer to the KAM meeting"),
}
CRITERION_LABELS = {
    "pay_mix": _l("Pay mix fits the role"),
    "no_commission_crowding": _l("No commission that crowds out relationship work"),
    "retention_anchor": _l("Retention anchors the bonus"),
    "scorecard": _l("A small, balanced, controllable scorecard"),
    "mandate_link": _l("Objectives cover the four mandate questions"),
    "timing": _l("Timing matches the relationship"),
    "risk_controls": _l("Sensible risk controls"),
    "team_credit": _l("Team credit where the team serves the account"),
    "indirect_rewards": _l("Indirect rewards"),
    "outcome": _l("Simulated outcome close to the benchmark"),
}
VERDICT_LABELS = {"pass": _l("pass"), "partial": _l("partial"), "fail": _l("fail")}


def check_labels() -> None:
    """Refuse to start if a core registry holds an id without a label."""
    wanted = {
        "metric": (METRICS, METRICS_LABELS),
        "period": (PERIODS, PERIOD_LABELS),
        "credit": (CREDITS, CREDIT_LABELS),
        "mandate question": (MANDATE_QUESTIONS, MANDATE_LABELS),
        "indirect reward": (INDIRECT_REWARDS, REWARD_LABELS),
        "rubric criterion": (CRITERIA, CRITERION_LABELS),
    }
    for kind, (ids, labels) in wanted.items():
        missing = sorted(set(ids) - set(labels))
        if missing:
            raise RuntimeError(f"sandbox {kind} without a label: {', '.join(missing)}")
