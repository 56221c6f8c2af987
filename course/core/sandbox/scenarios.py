"""The account scenarios a learner designs for, each with documented parameter ranges and a short story.

Numbers vary per attempt within each range, drawn from a seed stored with the attempt, so a result can
always be reproduced. Units: efforts are in "target" units (1 = the effort the plan's targets assume);
`b_s` and `b_r` are the company's yearly value of one unit of selling and of the account's renewal, in
multiples of the KAM's target total cash; `pay_scale` converts pay in target total cash into the
model's utility units, so 20 % variable pay is one unit (the size of the retention bonus in the
textbook toy example of docs/sandbox-model.md).

**Calibration of the KAM** (`KAM_RANGES`; the reference's toy numbers c = 1, δ = 0.5, m = 0.5 are
illustrative, not calibrated). Two checks on the plans the sandbox compares fix the ranges:

- *The salesperson plan* (40 % of target total cash as revenue commission, α_s = 2 model units) must
  not buy more selling than a KAM would give: with c_s = 1 the KAM sold 2.5× target and cost 1.6× the
  budget. Selling is costlier for a KAM than relationship work (c_s 1.4–1.6 against c_r 0.9–1.1: his
  job is the account, not the quota), so the commissioned KAM sells s = (α_s + m_s)/c_s ≈ 1.8–2.1× target
  and costs 1.3–1.45× the budget, still a clear overspend.
- *A fixed-heavy plan* must not drive selling to zero: the KAM sells s* = (m_s − δ·r)/c_s on intrinsic
  motivation and the account's own demand even with no pay for it. With m_s 0.8–1.0 and the time
  conflict δ 0.25–0.35, the recommended plans get s ≈ 0.15–0.75 (mostly 0.3–0.5) next to relationship
  work r ≈ 1–2. A revenue commission still crowds relationship work out entirely (r* = 0).

**White space** (`white_space`): selling beyond what the account needs (`s_bar`) pulls orders forward and is
borrowed from next year, except this share of real new business (`simulation.selling_value`): 0.1 where the
customer already buys most of what it can or is about to leave, 0.25 at the global account, 0.7–0.9 at the
growth account. The growth account's revenue noise is 0.2–0.3 (a loyal customer's orders are predictable):
growth above baseline multiplies it by 1/(1 − baseline) = 2.5, and at 0.5–0.8 the risk premium ate the
incentive, so no growth plan sold above the baseline.

The growth account's `lam` (0.15–0.2 from `s_bar` = 1) says what its story says: pushing beyond the
target costs the customer's trust, so an uncapped commission that sells 2× target loses renewals; with
the three-year company value (see `simulation`) that is what keeps the salesperson plan below the
benchmark there. The value ranges are kept where that holds in every draw checked (300 seeds per
scenario): where selling is worth much more than the renewal (growth with b_s near 4 and b_r near 8,
or defend with b_s near 2), an uncapped commission is simply the better deal for the company in this
model, and the lesson would not be true of the account.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np

from course.core.errors import N_, NotFound


@dataclass(frozen=True)
class ScenarioParameters:
    """One draw of a scenario's numbers: the account, the KAM's preferences and the budget."""

    p0: float  # chance the customer renews with no relationship work
    k: float  # renewal chance gained per unit of relationship work
    lam: float  # renewal chance lost per unit of selling above s_bar (pushy selling hurts trust)
    s_bar: float
    b_s: float
    b_r: float
    sigma_s: float  # noise on selling signals (revenue, margin)
    sigma_r: float  # noise on relationship signals (satisfaction, objectives)
    team_dependence: float  # share of the account result the KAM's team, not the KAM, decides
    baseline_selling: float  # what the account buys anyway, in selling units (revenue growth pays above it)
    c_s: float
    c_r: float
    delta: float  # selling and relationship work compete for time: δ > 0, δ² < c_s·c_r
    m_s: float  # intrinsic motivation to sell
    m_r: float  # intrinsic motivation for relationship work, before indirect rewards
    rho: float  # the KAM's risk aversion (CARA)
    indirect_boost: float  # rise in m_r per indirect reward: an assumption, not a measured size
    pay_scale: float
    budget_ttc: float  # the company's target total cash for this KAM
    target_retention: float
    time_preference: float  # the KAM's yearly discount on pay received later (deferred pay)
    # Share of the selling beyond what the account needs (s > s_bar) that is new business; the rest pulls
    # orders forward and is borrowed from next year. Last field, so adding it left earlier draws unchanged.
    white_space: float = 0.0


KAM_RANGES: Mapping[str, tuple[float, float]] = {
    "c_s": (1.4, 1.6),
    "c_r": (0.9, 1.1),
    "delta": (0.25, 0.35),
    "m_s": (0.8, 1.0),
    "m_r": (0.2, 0.4),
    "rho": (1.5, 2.5),
    "indirect_boost": (0.08, 0.08),
    "pay_scale": (5.0, 5.0),
    # A year's wait makes pay worth 10 % less to the KAM (a common planning discount rate; an
    # assumption, not measured): deferral ties pay to retention at a price in certainty.
    "time_preference": (0.1, 0.1),
}


@dataclass(frozen=True)
class Scenario:
    id: str
    titles: Mapping[str, str]
    stories: Mapping[str, str]
    ranges: Mapping[str, tuple[float, float]]  # every ScenarioParameters field: (low, high)

    def title(self, lang: str) -> str:
        return self.titles.get(lang) or self.titles["en"]

    def story(self, lang: str) -> str:
        return self.stories.get(lang) or self.stories["en"]


def _ranges(**account: tuple[float, float]) -> dict[str, tuple[float, float]]:
    ranges = {**KAM_RANGES, **account}
    if set(ranges) != {f.name for f in fields(ScenarioParameters)}:  # checked at import, also under python -O
        raise RuntimeError("a scenario must give every parameter a range")
    return ranges


SCENARIOS: dict[str, Scenario] = {}


def _add(scenario: Scenario) -> None:
    SCENARIOS[scenario.id] = scenario


_add(
    Scenario(
        id="defend",
        titles={"en": "Defend a stable strategic account", "de": "Einen stabilen strategischen Kunden halten"},
        stories={
            "en": "A long-standing customer buys most of what it can from you already. Growth is small; "
            "what matters is that the customer still buys next year and the year after.",
            "de": "Ein langjähriger Kunde kauft schon fast alles, was er kann, bei Ihnen. Das Wachstum ist "
            "klein; entscheidend ist, dass er nächstes und übernächstes Jahr noch kauft.",
        },
        ranges=_ranges(
            p0=(0.78, 0.86),
            k=(0.05, 0.09),
            lam=(0.08, 0.12),
            s_bar=(1.0, 1.0),
            b_s=(1.0, 1.8),
            b_r=(8.0, 12.0),
            sigma_s=(0.4, 0.6),
            sigma_r=(0.5, 0.7),
            team_dependence=(0.1, 0.3),
            baseline_selling=(0.8, 0.8),
            budget_ttc=(110_000, 140_000),
            target_retention=(0.92, 0.92),
            white_space=(0.1, 0.1),
        ),
    )
)
_add(
    Scenario(
        id="at_risk",
        titles={"en": "Win back an at-risk account", "de": "Einen gefährdeten Kunden zurückgewinnen"},
        stories={
            "en": "After delivery problems the customer has escalated twice and is talking to a competitor. "
            "Whether the account renews depends on how much care the KAM puts into the relationship.",
            "de": "Nach Lieferproblemen hat der Kunde zweimal eskaliert und spricht mit einem Wettbewerber. "
            "Ob er verlängert, hängt davon ab, wie sehr sich der KAM um die Beziehung kümmert.",
        },
        ranges=_ranges(
            p0=(0.5, 0.6),
            k=(0.15, 0.22),
            lam=(0.12, 0.2),
            s_bar=(0.8, 0.8),
            b_s=(0.8, 1.5),
            b_r=(6.0, 10.0),
            sigma_s=(0.5, 0.7),
            sigma_r=(0.6, 0.9),
            team_dependence=(0.1, 0.3),
            baseline_selling=(0.6, 0.6),
            budget_ttc=(100_000, 130_000),
            target_retention=(0.8, 0.8),
            white_space=(0.1, 0.1),
        ),
    )
)
_add(
    Scenario(
        id="growth",
        titles={"en": "Grow an account with white space", "de": "Einen Kunden mit Potenzial ausbauen"},
        stories={
            "en": "The customer is loyal but buys only a fifth of what it needs in your categories from you. "
            "There is room to grow, as long as pushing for it does not cost the customer's trust.",
            "de": "Der Kunde ist treu, kauft aber nur ein Fünftel seines Bedarfs in Ihren Kategorien bei Ihnen. "
            "Es gibt Raum zum Wachsen, solange der Druck dafür nicht das Vertrauen des Kunden kostet.",
        },
        ranges=_ranges(
            p0=(0.82, 0.9),
            k=(0.07, 0.1),
            lam=(0.15, 0.2),
            s_bar=(1.0, 1.0),
            b_s=(3.0, 3.6),
            b_r=(9.0, 11.0),
            sigma_s=(0.2, 0.3),
            sigma_r=(0.5, 0.7),
            team_dependence=(0.1, 0.3),
            baseline_selling=(0.6, 0.6),
            budget_ttc=(120_000, 160_000),
            target_retention=(0.88, 0.88),
            white_space=(0.7, 0.9),
        ),
    )
)
_add(
    Scenario(
        id="global_team",
        titles={"en": "Serve a global account with a team", "de": "Einen globalen Kunden mit einem Team betreuen"},
        stories={
            "en": "The customer buys in twelve countries. Local sales, service and pre-sales decide much of "
            "what happens; the KAM coordinates them, and no one person's result can be told apart.",
            "de": "Der Kunde kauft in zwölf Ländern. Vertrieb, Service und Presales vor Ort entscheiden vieles; "
            "der KAM koordiniert sie, und das Ergebnis einer einzelnen Person lässt sich nicht herauslösen.",
        },
        ranges=_ranges(
            p0=(0.7, 0.8),
            k=(0.1, 0.16),
            lam=(0.08, 0.12),
            s_bar=(1.0, 1.0),
            b_s=(1.5, 2.5),
            b_r=(10.0, 15.0),
            sigma_s=(0.8, 1.1),
            sigma_r=(0.6, 0.8),
            team_dependence=(0.5, 0.7),
            baseline_selling=(0.8, 0.8),
            budget_ttc=(130_000, 170_000),
            target_retention=(0.9, 0.9),
            white_space=(0.25, 0.25),
        ),
    )
)


def scenario(scenario_id: str) -> Scenario:
    try:
        return SCENARIOS[scenario_id]
    except KeyError:
        raise NotFound(N_("There is no scenario %(scenario)s."), scenario=scenario_id) from None


BUDGET_DIGITS = -3  # drawn budgets are whole thousands


def draw_parameters(scenario: Scenario, seed: int) -> ScenarioParameters:
    """The scenario's numbers for one attempt: uniform within each range, reproducible from `seed`."""
    rng = np.random.default_rng(seed)
    values = {}
    for f in fields(ScenarioParameters):  # a fixed order, so the same seed always gives the same draw
        low, high = scenario.ranges[f.name]
        values[f.name] = round(float(rng.uniform(low, high)), 4) if high > low else float(low)
    values["budget_ttc"] = float(round(values["budget_ttc"], BUDGET_DIGITS))  # a budget a company would set
    return ScenarioParameters(**values)


def typical_parameters(scenario: Scenario) -> ScenarioParameters:
    """The middle of every range: the numbers the lesson and the benchmark plans are described with."""
    return ScenarioParameters(**{name: (low + high) / 2 for name, (low, high) in scenario.ranges.items()})
