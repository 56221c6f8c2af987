"""The KAM's best response to a plan: a multitask principal–agent model after Holmström & Milgrom (1991).

docs/sandbox-model.md gives the model's equations, assumptions and calibration in full.

The KAM splits effort between selling `s` and relationship work `r` to maximise his certainty equivalent
`CE[pay] − C(s, r) + m_s·s + m_r·r`, with `C = ½c_s·s² + ½c_r·r² + δ·s·r` and CE[pay] the exact CARA
certainty equivalent (the mean-variance `E[pay] − (ρ/2)·Var[pay]` when pay is normal; see
`_pay_certainty_equivalent`). Each component pays on a noisy signal of the efforts (see `metrics`); the
customer renews with probability `p = clip(p0 + k·(r + team) − λ·max(0, s − s̄), 0, 1)`. Linear plans have a
closed-form best response; caps, thresholds, growth above baseline, renewal metrics, gates and clawbacks
are solved numerically on a grid plus local refinement, over Monte Carlo noise drawn from a fixed seed,
so the same plan always gets the same result. Expectations over the renewal are taken exactly (pay if
renewed × p + pay if lost × (1 − p)), which keeps the objective smooth in the efforts.

**The team**: team credit brings the teammates' extra work (`team_effort`), which raises the renewal chance
like the KAM's own care and counts as selling in the company value.

**Company value** is the expected value of the account over the relationship's horizon of three years
(the horizon of the retention chart), net of the plan's cost: a year with the customer is worth
`budget·(b_s·selling_value(s + team) + b_r·p)` (the selling that counts, see `selling_value`, and the
renewal at its end) minus the plan's expected cost, and the KAM keeps the same efforts each year, so
year 2 happens with chance p and year 3 with p². A first-year value would let a plan that oversells
and loses the customer look better than one that keeps him; over three years the lost renewals count.

**Deferral** (`Plan.deferral`): the deferred share of each year's variable pay is paid `years` later
only if the customer is still buying then (chance p^years after this year's renewal) and is forfeited
on a churn; the KAM values it at `(1 + time_preference)^(−years)`. The pay then has three outcomes
(renewed and still buying at payout, renewed but lost before it, churned), each valued exactly under
CARA; the plan's cost counts deferred pay at face value when it is paid.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from course.core.sandbox.metrics import metric
from course.core.sandbox.plan import INDIRECT_REWARDS, MANDATE_QUESTIONS, Clawback, Component, Gate, Plan
from course.core.sandbox.scenarios import SCENARIOS, Scenario, ScenarioParameters, scenario, typical_parameters

EFFORT_MAX = 4.0  # efforts are in target units; beyond 4× target effort the cost dwarfs any plan's pay
GRID_POINTS = 13  # per effort axis for the global search (step 4/12 ≈ 0.33)
REFINE_ROUNDS = 9  # 3 × 3 points around the best so far, halving the step: final step 0.33 / 2⁹ ≈ 0.00065
SOLVER_DRAWS = 200  # antithetic pairs, so 400 noise draws per effort pair
PAY_DRAWS = 4000  # draws (noise and renewal) for the pay distribution at the chosen efforts
SOLVER_SEED = 20_260_401
PERCENTILES = (5, 25, 50, 75, 95)
# Team pay (target, as a share of target total cash) from which the team is fully engaged: 30 % of a 20 %
# bonus. An amount, not a share of the bonus, so that adding other pay does not disengage the team.
TEAM_PAY_FULL = 0.06
TEAM_RESPONSE = 1.0  # the teammates' extra care at full engagement, per unit of team dependence (an assumption)
HORIZON_YEARS = 3  # the relationship's horizon: retention after 1, 2 and 3 years, company value over 3
# What a renewal-metric component has paid before a churn, on average, when it pays per period:
# churn falls uniformly in the year, and quarterly payouts already made are kept.
PAID_BEFORE_CHURN = {"quarter": 0.375, "half": 0.25, "year": 0.0, "multi_year": 0.0}


@dataclass(frozen=True)
class PayDistribution:
    """The KAM's yearly total pay (base + variable) in the plan's currency."""

    mean: float
    sd: float
    percentiles: Mapping[int, float]
    gate_pays: float | None  # chance the gate condition holds; None without a gate
    thresholds_met: tuple[float | None, ...]  # per component: chance its threshold is reached; None without one


@dataclass(frozen=True)
class SimulationResult:
    selling_effort: float
    relationship_effort: float
    retention: tuple[float, float, float]  # chance the customer is still buying after 1, 2 and 3 years
    company_value: float  # expected value over HORIZON_YEARS while the customer buys, minus the plan's cost
    plan_cost: float  # expected yearly pay, base included
    pay: PayDistribution
    certainty_equivalent: float  # the KAM's, in model units (for comparing plans, not for display)
    solver: str  # "closed_form" or "numeric"

    @property
    def relationship_share(self) -> float:
        total = self.selling_effort + self.relationship_effort
        return self.relationship_effort / total if total > 0 else 0.0


@dataclass(frozen=True)
class _Term:
    """A component translated into the model: pay = amount · curve(attainment), attainment from the efforts."""

    amount: float  # model units at 100 % payout
    on_selling: float
    on_relationship: float
    constant: float
    sigma: float
    component: Component
    binary: bool
    above_baseline: bool
    gated: bool
    clawback: float  # share of the payout recovered if the customer churns
    column: int  # the term's own column of noise draws

    @property
    def on_renewal(self) -> bool:
        """Whether the pay depends on the renewal (and so is not independent of the other terms)."""
        return self.binary or self.gated or bool(self.clawback)

    @property
    def linear(self) -> bool:
        c = self.component
        return not (self.on_renewal or self.above_baseline) and c.threshold_pct is None and c.cap_pct is None


def _clawback_share(clawback: Clawback | None) -> float:
    if clawback is None:
        return 0.0
    # A window shorter than the year recovers only churn that happens inside it.
    return clawback.share_pct / 100 * min(1.0, clawback.window_months / 12)


def _terms(plan: Plan, params: ScenarioParameters) -> list[_Term]:
    unit = params.budget_ttc / params.pay_scale  # currency per model unit
    variable = (plan.ttc - plan.base_salary) / unit
    tau = params.team_dependence
    terms = []
    for index, component in enumerate(plan.components):
        info = metric(component.metric)
        if component.metric == "team_account_goal" or component.credit == "team":
            team = 1.0
        else:
            team = component.team_share_pct / 100 if component.credit == "split" else 0.0
        own = 1 - team * tau  # the part of the signal the KAM's own effort decides; the team delivers the rest
        sigma = getattr(params, info.noise) * info.noise_factor * (1 + (1 - team) * tau)
        if component.metric == "mandate_objectives":
            # Objectives tied to more of the four mandate questions describe the job more precisely.
            sigma *= 1.5 - 0.2 * len(component.mandate_questions)
        terms.append(
            _Term(
                amount=variable * component.weight_pct / 100,
                on_selling=own * info.selling,
                on_relationship=own * info.relationship,
                constant=team * tau,
                sigma=sigma,
                component=component,
                binary=info.binary,
                above_baseline=info.above_baseline,
                gated=plan.gated(index),
                clawback=_clawback_share(plan.clawback) if info.commission else 0.0,
                column=index,
            )
        )
    return terms


def _paid(term: _Term, attainment: np.ndarray) -> np.ndarray:
    """The component's pay in model units for an attainment array (1 = target); overwrites `attainment`."""
    c = term.component
    if c.threshold_pct is not None:
        attainment *= attainment * 100 >= c.threshold_pct
    attainment *= term.amount * 100 / c.target_pct
    if c.cap_pct is not None:
        np.minimum(attainment, term.amount * c.cap_pct / 100, out=attainment)
    return attainment


def _attainment(term: _Term, params: ScenarioParameters, s: np.ndarray, r: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Signal over target, shape (efforts, draws); growth metrics count only what exceeds the baseline."""
    signal = (term.on_selling * s + term.on_relationship * r + term.constant)[:, None] + term.sigma * noise
    if term.above_baseline:
        baseline = params.baseline_selling
        signal -= baseline
        np.maximum(signal, 0.0, out=signal)
        signal /= 1 - baseline
    return signal


def _pay(
    terms: list[_Term], params: ScenarioParameters, s: np.ndarray, r: np.ndarray, noise: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Variable pay if the customer renews and if it churns, shape (efforts, draws), in model units.

    When no term depends on the renewal, both are the same array (callers use that to skip work).
    """
    shape = (s.shape[0], noise.shape[0])
    renewed = np.zeros(shape)
    churned = np.zeros(shape) if any(t.on_renewal for t in terms) else renewed
    for term in terms:
        if term.binary:
            full = float(_paid(term, np.ones(1))[0])
            renewed += full
            if not term.gated:
                churned += full * PAID_BEFORE_CHURN[term.component.period]
            continue
        paid = _paid(term, _attainment(term, params, s, r, noise[:, term.column]))
        renewed += paid
        if churned is not renewed and not term.gated:
            churned += paid * (1 - term.clawback) if term.clawback else paid
    return renewed, churned


def renewal_chance(
    params: ScenarioParameters, s: np.ndarray | float, r: np.ndarray | float, team: float = 0.0
) -> np.ndarray:
    """p = clip(p0 + k·(r + team) − λ·max(0, s − s̄), 0, 1); `team` is the teammates' extra relationship
    work that team credit brings (`team_effort`)."""
    return np.clip(params.p0 + params.k * (r + team) - params.lam * np.maximum(0.0, s - params.s_bar), 0.0, 1.0)


def team_effort(plan: Plan, params: ScenarioParameters) -> float:
    """The teammates' extra work, in the KAM's effort units, that the plan's team credit brings.

    Service, pre-sales and local sales decide `team_dependence` of the account's result. When part of the
    KAM's bonus rides on the team's result, he pulls them in and they share the goal: their extra care for
    the account (and selling, see `company_value`) rises to `TEAM_RESPONSE` × team dependence as the pay on
    the team's result reaches `TEAM_PAY_FULL` of target total cash (30 % of a 20 % bonus). An assumption
    in the spirit of lesson 6, step 8: at a team-served account it is worth 0.5–0.7 units of care, about
    half of what a well-paid KAM gives himself.
    """
    team_pay = (plan.ttc - plan.base_salary) / plan.ttc * plan.team_credit_pct / 100 if plan.ttc > 0 else 0.0
    engagement = min(team_pay / TEAM_PAY_FULL, 1.0)
    return TEAM_RESPONSE * params.team_dependence * engagement


def selling_value(params: ScenarioParameters, s: float) -> float:
    """Selling that counts as value, in selling units: what the KAM adds to the volume the account buys
    anyway (`baseline_selling`) up to what it needs (`s_bar`), and beyond that only the scenario's share of
    real white space; the rest pulls orders forward and is borrowed from next year's revenue."""
    within_need = max(0.0, min(s, params.s_bar) - params.baseline_selling)
    return within_need + params.white_space * max(0.0, s - params.s_bar)


def _relationship_motivation(plan: Plan, params: ScenarioParameters) -> float:
    return params.m_r + params.indirect_boost * len(plan.indirect_rewards & set(INDIRECT_REWARDS))


def _effort_cost(params: ScenarioParameters, s: np.ndarray | float, r: np.ndarray | float) -> np.ndarray | float:
    return 0.5 * params.c_s * s**2 + 0.5 * params.c_r * r**2 + params.delta * s * r


def is_linear(plan: Plan) -> bool:
    """True if pay is linear in the signals, so the best response has a closed form."""
    return (
        plan.clawback is None
        and not plan.gates
        and not _deferred(plan)
        and all(_term_is_linear(c) for c in plan.components)
    )


def _deferred(plan: Plan) -> bool:
    return plan.deferral.pct > 0 and plan.deferral.years > 0


def _deferral_branches(
    plan: Plan, params: ScenarioParameters, renewed: np.ndarray, churned: np.ndarray, p: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The pay outcomes of a plan with deferral: (chance, pay as the KAM values it, pay the company makes).

    The deferred share `d` of each year's variable pay is paid `years` later if the customer is still
    buying then and forfeited otherwise (on a churn this year too). The customer is still buying after
    `years` more renewals with chance p^years (the KAM keeps the same effort each year), and the KAM
    values pay `years` away at (1 + time_preference)^(−years).
    """
    d = plan.deferral.pct / 100
    years = plan.deferral.years
    later = p**years
    kept = (1 - d) * renewed
    return [
        (p * later, kept + d * (1 + params.time_preference) ** -years * renewed, renewed),
        (p * (1 - later), kept, kept),
        (1 - p, (1 - d) * churned, (1 - d) * churned),
    ]


def _branches_certainty_equivalent(branches: list[tuple[np.ndarray, np.ndarray]], rho: float) -> np.ndarray:
    """−(1/ρ)·ln Σ chance·E[exp(−ρ·pay)] over outcome branches, per effort pair (log-sum-exp for stability)."""
    exponents = [-rho * pay for _, pay in branches]
    shift = np.max([e.max(axis=1) for e in exponents], axis=0)
    expected = sum(
        chance * np.exp(exponent - shift[:, None]).mean(axis=1)
        for (chance, _), exponent in zip(branches, exponents, strict=True)
    )
    return -(shift + np.log(expected)) / rho


def _term_is_linear(component: Component) -> bool:
    info = metric(component.metric)
    return not (info.binary or info.above_baseline) and component.threshold_pct is None and component.cap_pct is None


def _clip(effort: float) -> float:
    return min(max(effort, 0.0), EFFORT_MAX)


def closed_form_response(plan: Plan, params: ScenarioParameters) -> tuple[float, float]:
    """The best response (s, r) to a linear plan, on the effort box [0, EFFORT_MAX]².

    Maximises A·s + B·r − C(s, r), A = α_s + m_s, B = α_r + m_r: the interior optimum
    s* = (c_r·A − δ·B)/D, r* = (c_s·B − δ·A)/D with D = c_s·c_r − δ², or the best point on an edge.
    """
    if not is_linear(plan):
        raise ValueError("the closed form needs a linear plan")
    terms = _terms(plan, params)
    a = params.m_s + sum(t.amount * t.on_selling * 100 / t.component.target_pct for t in terms)
    b = _relationship_motivation(plan, params) + sum(
        t.amount * t.on_relationship * 100 / t.component.target_pct for t in terms
    )
    c_s, c_r, delta = params.c_s, params.c_r, params.delta
    d = c_s * c_r - delta**2
    candidates = [((c_r * a - delta * b) / d, (c_s * b - delta * a) / d)]
    for edge in (0.0, EFFORT_MAX):
        candidates.append((edge, _clip((b - delta * edge) / c_r)))
        candidates.append((_clip((a - delta * edge) / c_s), edge))
    feasible = [(s, r) for s, r in candidates if 0 <= s <= EFFORT_MAX and 0 <= r <= EFFORT_MAX]
    return max(feasible, key=lambda e: a * e[0] + b * e[1] - _effort_cost(params, e[0], e[1]))


def _pay_certainty_equivalent(renewed: np.ndarray, churned: np.ndarray, p: np.ndarray, rho: float) -> np.ndarray:
    """The CARA certainty equivalent −(1/ρ)·ln E[exp(−ρ·pay)] per effort pair, renewal taken exactly.

    For normally distributed (linear) pay it is the mean-variance E[pay] − (ρ/2)·Var[pay]; for capped,
    floored or gated pay it is the exact value, which never prefers a plan that pays less in every
    outcome (the mean–variance formula would, since it penalises upside spread too).
    """
    exponent = -rho * renewed
    if churned is renewed:
        shift = exponent.max(axis=1)  # log-sum-exp, for stability
        exponent -= shift[:, None]  # in place: the same values, one (efforts, draws) array fewer
        return -(shift + np.log(np.exp(exponent, out=exponent).mean(axis=1))) / rho
    if not churned.any():  # everything is gated: nothing is paid after a churn
        shift = np.maximum(exponent.max(axis=1), 0.0)
        lost = np.exp(-shift)
    else:
        churn_exponent = -rho * churned
        shift = np.maximum(exponent.max(axis=1), churn_exponent.max(axis=1))
        churn_exponent -= shift[:, None]
        lost = np.exp(churn_exponent, out=churn_exponent).mean(axis=1)
    exponent -= shift[:, None]
    expected = p * np.exp(exponent, out=exponent).mean(axis=1) + (1 - p) * lost
    return -(shift + np.log(expected)) / rho


def _objective(plan: Plan, params: ScenarioParameters, seed: int) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The KAM's certainty equivalent as a function of effort arrays, on noise drawn from `seed`."""
    terms = _terms(plan, params)
    half = np.random.default_rng(seed).standard_normal((SOLVER_DRAWS, max(len(terms), 1)))
    noise = np.concatenate([half, -half])  # antithetic: the noise averages to zero exactly
    m_r = _relationship_motivation(plan, params)
    team = team_effort(plan, params)

    # Under CARA the certainty equivalent of independent payouts is the sum of theirs, so terms that
    # do not depend on the renewal are valued one by one (linear ones exactly: mean − ρ/2·variance)
    # and only the renewal-linked terms together. This keeps one component's sampling noise from
    # leaking into how another is valued.
    # Deferred pay depends on the customer still buying, so deferral links every term to the renewal.
    deferred = _deferred(plan)
    linked = [t for t in terms if t.on_renewal or deferred]
    separate = [t for t in terms if not (t.on_renewal or deferred) and not t.linear]
    linear = [t for t in terms if t.linear and not deferred]
    slope_s = sum(t.amount * t.on_selling * 100 / t.component.target_pct for t in linear)
    slope_r = sum(t.amount * t.on_relationship * 100 / t.component.target_pct for t in linear)
    fixed = sum(t.amount * t.constant * 100 / t.component.target_pct for t in linear)
    fixed -= params.rho / 2 * sum((t.amount * t.sigma * 100 / t.component.target_pct) ** 2 for t in linear)

    def certainty_equivalent(s: np.ndarray, r: np.ndarray) -> np.ndarray:
        value = fixed + slope_s * s + slope_r * r
        for term in separate:
            paid = _paid(term, _attainment(term, params, s, r, noise[:, term.column]))
            value = value + _pay_certainty_equivalent(paid, paid, np.ones(1), params.rho)
        if linked and deferred:
            renewed, churned = _pay(linked, params, s, r, noise)
            branches = _deferral_branches(plan, params, renewed, churned, renewal_chance(params, s, r, team))
            value = value + _branches_certainty_equivalent([(c, valued) for c, valued, _ in branches], params.rho)
        elif linked:
            renewed, churned = _pay(linked, params, s, r, noise)
            value = value + _pay_certainty_equivalent(renewed, churned, renewal_chance(params, s, r, team), params.rho)
        return value - _effort_cost(params, s, r) + params.m_s * s + m_r * r

    return certainty_equivalent


def numeric_response(plan: Plan, params: ScenarioParameters, seed: int = SOLVER_SEED) -> tuple[float, float, float]:
    """The best response (s, r) and its certainty equivalent: grid search, then local refinement."""
    certainty_equivalent = _objective(plan, params, seed)
    axis = np.linspace(0.0, EFFORT_MAX, GRID_POINTS)
    s, r = (grid.ravel() for grid in np.meshgrid(axis, axis, indexing="ij"))
    values = certainty_equivalent(s, r)
    best = int(np.argmax(values))
    best_s, best_r, best_value = float(s[best]), float(r[best]), float(values[best])
    step = EFFORT_MAX / (GRID_POINTS - 1)
    offsets = np.array([-1.0, 0.0, 1.0])
    for _ in range(REFINE_ROUNDS):
        ds, dr = (grid.ravel() for grid in np.meshgrid(offsets * step, offsets * step, indexing="ij"))
        s = np.clip(best_s + ds, 0.0, EFFORT_MAX)
        r = np.clip(best_r + dr, 0.0, EFFORT_MAX)
        values = certainty_equivalent(s, r)
        best = int(np.argmax(values))
        if values[best] > best_value:
            best_s, best_r, best_value = float(s[best]), float(r[best]), float(values[best])
        step /= 2
    return best_s, best_r, best_value


def simulate(
    plan: Plan, params: ScenarioParameters, *, solver: str = "auto", seed: int = SOLVER_SEED
) -> SimulationResult:
    """The KAM's response to `plan` in a scenario draw, and what it means for retention, value and pay.

    `solver` is "auto" (closed form when the plan is linear), "closed_form" or "numeric".
    """
    if solver not in ("auto", "closed_form", "numeric"):
        raise ValueError(f"unknown solver {solver!r}")
    use_closed_form = solver == "closed_form" or (solver == "auto" and is_linear(plan))
    if use_closed_form:
        s, r = closed_form_response(plan, params)
        used = "closed_form"
    else:
        s, r, _ = numeric_response(plan, params, seed)
        used = "numeric"
    terms = _terms(plan, params)
    rng = np.random.default_rng(seed + 1)
    half = rng.standard_normal((PAY_DRAWS // 2, max(len(terms), 1)))
    noise = np.concatenate([half, -half])
    renews = rng.random(PAY_DRAWS)
    p = float(renewal_chance(params, s, r, team_effort(plan, params)))
    renewed, churned = _pay(terms, params, np.array([s]), np.array([r]), noise)
    if _deferred(plan):
        # The company pays deferred pay at face value, when due; the KAM's pay counts it in the year earned.
        branches = [
            (float(chance[0]), paid[0])
            for chance, _, paid in _deferral_branches(plan, params, renewed, churned, np.array([p]))
        ]
        still_buying = rng.random(PAY_DRAWS) < p**plan.deferral.years
        variable = np.where(renews < p, np.where(still_buying, branches[0][1], branches[1][1]), branches[2][1])
    else:
        branches = [(p, renewed[0]), (1 - p, churned[0])]
        variable = np.where(renews < p, renewed[0], churned[0])
    unit = params.budget_ttc / params.pay_scale
    total = plan.base_salary + unit * variable
    expected_variable = sum(chance * paid.mean() for chance, paid in branches)
    plan_cost = plan.base_salary + unit * float(expected_variable)
    pay_mean = float(expected_variable)
    pay_square = sum(chance * float((paid**2).mean()) for chance, paid in branches)
    pay = PayDistribution(
        mean=plan_cost,
        sd=unit * float(np.sqrt(max(pay_square - pay_mean**2, 0.0))),
        percentiles=dict(zip(PERCENTILES, np.percentile(total, PERCENTILES).tolist(), strict=True)),  # one partition
        gate_pays=p if plan.gates else None,
        thresholds_met=tuple(_threshold_chance(t, params, s, r, p, noise[:, i]) for i, t in enumerate(terms)),
    )
    certainty = float(_objective(plan, params, seed)(np.array([s]), np.array([r]))[0])
    return SimulationResult(
        selling_effort=s,
        relationship_effort=r,
        retention=(p, p**2, p**3),
        company_value=company_value(params, s, p, plan_cost, team_effort(plan, params)),
        plan_cost=plan_cost,
        pay=pay,
        certainty_equivalent=certainty,
        solver=used,
    )


def company_value(params: ScenarioParameters, s: float, p: float, plan_cost: float, team: float = 0.0) -> float:
    """The company's expected value of the account over `HORIZON_YEARS`, net of the plan's cost.

    A year with the customer is worth `budget·(b_s·selling_value(s + team) + b_r·p)` (the selling that
    counts, the teammates' included, and the renewal at its end) minus the plan's expected cost; year t+1
    happens only if the customer renewed t times (chance p^t).
    """
    yearly = params.budget_ttc * (params.b_s * selling_value(params, s + team) + params.b_r * p) - plan_cost
    return yearly * sum(p**year for year in range(HORIZON_YEARS))


def _threshold_chance(
    term: _Term, params: ScenarioParameters, s: float, r: float, p: float, noise: np.ndarray
) -> float | None:
    threshold = term.component.threshold_pct
    if threshold is None:
        return None
    if term.binary:
        return p if threshold <= 100 else 0.0
    attainment = _attainment(term, params, np.array([s]), np.array([r]), noise)
    return float(np.mean(attainment * 100 >= threshold))


def salesperson_plan(ttc: float = 120_000.0) -> Plan:
    """The plain sales-rep plan the sandbox compares with: 60 % base, 40 % quarterly revenue commission."""
    return Plan(ttc=ttc, base_salary=round(0.6 * ttc, 2), components=(Component("revenue", 100.0, period="quarter"),))


_ALL_REWARDS = frozenset(INDIRECT_REWARDS)
_RENEWAL_GATE = (Gate("customer_active_at_year_end"),)


def recommended_plan(scenario_or_id: Scenario | str, ttc: float | None = None) -> Plan:
    """The lesson's shape fitted to the scenario: mostly fixed pay, a year-end renewal gate, objectives on
    the four mandate questions and indirect rewards; plus growth pay, team credit or recovery milestones
    where the scenario calls for them."""
    chosen = scenario(scenario_or_id) if isinstance(scenario_or_id, str) else scenario_or_id
    ttc = ttc if ttc is not None else typical_parameters(chosen).budget_ttc
    objectives = Component("mandate_objectives", 30.0, mandate_questions=MANDATE_QUESTIONS)
    shapes: dict[str, tuple[float, tuple[Component, ...], Clawback | None]] = {
        "defend": (
            0.8,
            (Component("retention", 40.0), Component("satisfaction", 30.0), objectives),
            None,
        ),
        "at_risk": (
            0.75,
            (
                Component("retention", 50.0),
                Component("mandate_objectives", 30.0, period="half", mandate_questions=MANDATE_QUESTIONS),
                Component("satisfaction", 20.0),
            ),
            None,
        ),
        "growth": (
            0.7,
            (
                Component("revenue_growth", 35.0),
                Component("retention", 25.0),
                Component("share_of_wallet", 20.0),
                Component("mandate_objectives", 20.0, mandate_questions=MANDATE_QUESTIONS),
            ),
            Clawback("churn", 12, 50.0),
        ),
        "global_team": (
            0.78,
            (
                Component("team_account_goal", 35.0, credit="team"),
                Component("retention", 30.0),
                Component("mandate_objectives", 20.0, mandate_questions=MANDATE_QUESTIONS),
                Component("satisfaction", 15.0, credit="split", team_share_pct=50.0),
            ),
            None,
        ),
    }
    fixed_share, components, clawback = shapes[chosen.id]
    return Plan(
        ttc=ttc,
        base_salary=round(fixed_share * ttc, 2),
        components=components,
        gates=_RENEWAL_GATE,
        clawback=clawback,
        indirect_rewards=_ALL_REWARDS,
    )


def lesson_plan(ttc: float = 120_000.0) -> Plan:
    """Lesson 6's plan as taught, fitted to no account: 80 % fixed, the whole bonus behind the year-end
    renewal gate, retention (40 %), satisfaction (30 %) and objectives on the four mandate questions (30 %)
    paid yearly, every indirect reward; no team credit, no growth pay, no commission.

    It is right for an account to defend; elsewhere it ignores what the account needs (team credit, growth
    above baseline), which is what the sandbox must show a learner who only presses Evaluate.
    """
    return Plan(
        ttc=ttc,
        base_salary=round(0.8 * ttc, 2),
        components=(
            Component("retention", 40.0),
            Component("satisfaction", 30.0),
            Component("mandate_objectives", 30.0, mandate_questions=MANDATE_QUESTIONS),
        ),
        gates=_RENEWAL_GATE,
        indirect_rewards=_ALL_REWARDS,
    )


def _normalised(plan: Plan) -> tuple:
    """The plan's design without its budget, currency, rounding, component order or gate indices."""

    def number(value: float | None) -> float | None:
        return None if value is None else round(float(value), 2)

    components = tuple(
        sorted(
            (
                c.metric,
                number(c.weight_pct),
                c.period,
                c.credit,
                number(c.team_share_pct if c.credit == "split" else 0.0),
                number(c.threshold_pct),
                number(c.target_pct),
                number(c.cap_pct),
                tuple(sorted(c.mandate_questions)),
                plan.gated(i),
            )
            for i, c in enumerate(plan.components)
        )
    )
    clawback = plan.clawback and (plan.clawback.trigger, plan.clawback.window_months, number(plan.clawback.share_pct))
    deferral = (number(plan.deferral.pct), plan.deferral.years) if plan.deferral.pct and plan.deferral.years else None
    fixed = round(plan.base_salary / plan.ttc, 3) if plan.ttc else None
    return fixed, components, clawback, deferral, frozenset(plan.indirect_rewards)


def is_unchanged_copy(plan: Plan, ttc: float) -> bool:
    """True when `plan` is the lesson's general plan or a scenario's recommended plan with nothing of the
    design changed (the budget, number formatting, component order and gate indices do not count)."""
    references = [lesson_plan(ttc)] + [recommended_plan(s, ttc) for s in SCENARIOS.values()]
    return any(same_design(plan, reference) for reference in references)


def same_design(plan: Plan, other: Plan) -> bool:
    """Whether `plan` is `other` copied: the same design, whatever the budget, rounding or order of components."""
    return _normalised(plan) == _normalised(other)
