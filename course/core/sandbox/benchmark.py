"""The scenario's benchmark: the best plan the simulator finds in a small design space.

The design space is a grid over what the course teaches a designer to choose, with no plain revenue
commission in it (a commission plan is the comparison, never the benchmark):

- fixed share of target total cash: 70, 75, 80 or 85 % (the practice range, and 70 % for white space);
- a renewal gate on all variable pay ("customer still buying at year end"): on or off;
- the metric mix: one of four templates (see `TEMPLATES`): retention-led, retention-heavy with
  satisfaction, growth above baseline with a churn clawback, and a team account goal with retention;
- the period of the mandate objectives: year or half year;
- the team's share of the satisfaction (or objectives) component: 0 or 50 % (split credit);
- indirect rewards: none or all six;

plus the course's recommended plan for the scenario, so the benchmark is never worse than it.
That is 4 · 2 · 4 · 2 · 2 · 2 = 256 candidates + 1, each simulated at the budgeted target total cash.

**Objective**: the highest `SimulationResult.company_value`, the expected value of the account over the
relationship's three-year horizon net of the plan's cost (see `simulation.company_value`), among the
candidates that meet what the rubric's outcome criterion asks of every plan: expected first-year
retention at least the scenario's target (or what the recommended plan reaches, where that is less)
and expected cost at most 110 % of the budgeted target total cash (or the recommended plan's cost,
where that is more). The three-year value already makes overselling lose (a lost customer earns
nothing in the later years); the retention floor remains so that the benchmark never trades the
customer for selling value (at a defend account, the growth template would otherwise win by a hair
with 89 % retention against a 92 % target). And a candidate must earn every point of the rubric when
graded against itself, so the benchmark never shows a plan the feedback would fault (without that, the
team account's benchmark dropped team credit and the growth account's its renewal anchor; since the
anchor criterion asks for the renewal gate itself, every benchmark has it). The
recommended plan is the fallback and needs no such check. Ties go to the first candidate in the fixed
order above, so the search is deterministic; the simulation itself is seeded.

**Cost**: the search runs once per scenario, at its typical parameters (`search`, about 1 s, kept in the
"sandbox.searches" cache, one entry per scenario; `warm_up` runs all of them, for an app's start-up). For a
drawn set of numbers and a seed, `benchmark_plan` then simulates only the search's winner and the
recommended plan, both at the drawn budget, and keeps the better under the same objective and conditions:
two simulations per new seed, so the benchmark is never worse than the recommended plan in any draw. The
newest `BENCHMARKS_KEPT` of those per-draw benchmarks stay in the "sandbox.benchmarks" cache.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field, replace

from course.core.caching import Cache, cache
from course.core.sandbox.plan import INDIRECT_REWARDS, MANDATE_QUESTIONS, Clawback, Component, Gate, Plan
from course.core.sandbox.rubric import grade
from course.core.sandbox.scenarios import SCENARIOS, Scenario, ScenarioParameters, scenario, typical_parameters
from course.core.sandbox.simulation import SOLVER_SEED, SimulationResult, recommended_plan, simulate

FIXED_SHARES = (0.7, 0.75, 0.8, 0.85)  # the practice range for KAMs, and 70 % where white space allows it
COST_SLACK = 1.10  # expected cost may exceed the budgeted target total cash by 10 % (as in the rubric)
GATE_OPTIONS = (True, False)
OBJECTIVE_PERIODS = ("year", "half")
TEAM_SHARES = (0.0, 50.0)
INDIRECT_OPTIONS = (frozenset(INDIRECT_REWARDS), frozenset())
RETENTION_TOLERANCE = 1e-9


def _objectives(weight: float, period: str) -> Component:
    return Component("mandate_objectives", weight, period=period, mandate_questions=MANDATE_QUESTIONS)


# Each template: name → (components for an objectives period, churn clawback or None). The component
# whose credit the team share splits is the satisfaction one, or the objectives where there is none.
TEMPLATES: dict[str, tuple[tuple[tuple[str, float], ...], Clawback | None]] = {
    "retention_led": ((("retention", 40.0), ("satisfaction", 30.0), ("mandate_objectives", 30.0)), None),
    "retention_heavy": ((("retention", 50.0), ("mandate_objectives", 30.0), ("satisfaction", 20.0)), None),
    "growth": (
        (("revenue_growth", 35.0), ("retention", 25.0), ("share_of_wallet", 20.0), ("mandate_objectives", 20.0)),
        Clawback("churn", 12, 50.0),
    ),
    "team": (
        (("team_account_goal", 35.0), ("retention", 30.0), ("mandate_objectives", 20.0), ("satisfaction", 15.0)),
        None,
    ),
}


@dataclass(frozen=True)
class Benchmark:
    plan: Plan
    result: SimulationResult
    design: str  # which candidate won, e.g. "retention_led, 85 % fixed, gate, year, team 0 %, indirect"
    candidates: int
    seconds: float = field(compare=False)  # time of the scenario's design-space search (not part of the result)


def _components(template: str, period: str, team_share: float) -> tuple[tuple[Component, ...], Clawback | None]:
    mix, clawback = TEMPLATES[template]
    names = [name for name, _ in mix]
    split_target = "satisfaction" if "satisfaction" in names else "mandate_objectives"
    components = []
    for name, weight in mix:
        if name == "mandate_objectives":
            component = _objectives(weight, period)
        elif name == "team_account_goal":
            component = Component(name, weight, credit="team")
        else:
            component = Component(name, weight)
        if name == split_target and team_share:
            component = replace(component, credit="split", team_share_pct=team_share)
        components.append(component)
    return tuple(components), clawback


@dataclass(frozen=True)
class _Design:
    """One point of the design space, independent of the budget."""

    label: str
    fixed: float
    gate: bool
    template: str
    period: str
    team_share: float
    rewards: frozenset[str]

    def plan(self, ttc: float) -> Plan:
        components, clawback = _components(self.template, self.period, self.team_share)
        return Plan(
            ttc=ttc,
            base_salary=round(self.fixed * ttc, 2),
            components=components,
            gates=(Gate("customer_active_at_year_end"),) if self.gate else (),
            clawback=clawback,
            indirect_rewards=self.rewards,
        )


def _designs() -> list[_Design]:
    found = []
    for fixed, gate, template, period, team_share, rewards in itertools.product(
        FIXED_SHARES, GATE_OPTIONS, TEMPLATES, OBJECTIVE_PERIODS, TEAM_SHARES, INDIRECT_OPTIONS
    ):
        label = (
            f"{template}, {round(fixed * 100)} % fixed, {'gate' if gate else 'no gate'}, {period}, "
            f"team {round(team_share)} %, {'indirect' if rewards else 'no indirect'}"
        )
        found.append(_Design(label, fixed, gate, template, period, team_share, rewards))
    return found


_DESIGNS = _designs()
RECOMMENDED = "recommended"


def candidates(scenario_: Scenario, params: ScenarioParameters) -> list[tuple[str, Plan]]:
    """The design space in its fixed search order, the recommended plan first."""
    ttc = params.budget_ttc
    return [(RECOMMENDED, recommended_plan(scenario_, ttc))] + [(d.label, d.plan(ttc)) for d in _DESIGNS]


def _plan(scenario_: Scenario, label: str, ttc: float) -> Plan:
    if label == RECOMMENDED:
        return recommended_plan(scenario_, ttc)
    return next(d for d in _DESIGNS if d.label == label).plan(ttc)


class _Conditions:
    """The benchmark's conditions, set by the recommended plan's result (which always meets them)."""

    def __init__(self, params: ScenarioParameters, recommended: SimulationResult) -> None:
        self.params = params
        self.floor = min(params.target_retention, recommended.retention[0]) - RETENTION_TOLERANCE
        self.ceiling = max(params.budget_ttc * COST_SLACK, recommended.plan_cost)

    def met(self, plan: Plan, result: SimulationResult) -> bool:
        if result.retention[0] < self.floor or result.plan_cost > self.ceiling:
            return False
        # A benchmark the rubric faults would teach the wrong lesson: graded against itself, it must
        # earn every point (pay mix, retention anchor, team credit where the team serves, …).
        graded = grade(plan, self.params, result, result)
        return graded.score >= graded.max_score


# One search per scenario: the limit is the number of scenarios, so none is ever searched twice in a process. A
# search depends on nothing but the code, so it also outlives `caching.clear_all()` (tests would only repeat it).
_SEARCHES: Cache[Benchmark] = cache("sandbox.searches", max(len(SCENARIOS), 1), survives_clear_all=True)


def search(scenario_or_id: Scenario | str) -> Benchmark:
    """The best candidate at the scenario's typical parameters: the full search, once per scenario."""
    chosen = scenario(scenario_or_id) if isinstance(scenario_or_id, str) else scenario_or_id
    return _SEARCHES.get_or_compute(chosen.id, lambda: _search(chosen))


def _search(chosen: Scenario) -> Benchmark:
    started = time.perf_counter()
    params = typical_parameters(chosen)
    space = candidates(chosen, params)
    best: tuple[str, Plan, SimulationResult] | None = None
    conditions = None
    for label, plan in space:
        result = simulate(plan, params)
        if conditions is None:  # the recommended plan comes first and is always feasible
            conditions = _Conditions(params, result)
        if conditions.met(plan, result) and (best is None or result.company_value > best[2].company_value):
            best = (label, plan, result)
    assert best is not None  # noqa: S101 - narrows the type: the recommended plan comes first and sets the conditions it meets
    return Benchmark(
        plan=best[1],
        result=best[2],
        design=best[0],
        candidates=len(space),
        seconds=time.perf_counter() - started,
    )


def warm_up() -> None:
    """Run every scenario's search now (about 1 s each), so no learner waits for one."""
    for scenario_id in SCENARIOS:
        search(scenario_id)


# Per (scenario, drawn parameters, seed): every design draws its own seed, so keep the most recently used ones
# (the designs learners are working on); the evaluations above them are kept in "sandbox.evaluations".
BENCHMARKS_KEPT = 256
_BENCHMARKS: Cache[Benchmark] = cache("sandbox.benchmarks", BENCHMARKS_KEPT)


def benchmark_plan(scenario_or_id: Scenario | str, params: ScenarioParameters, seed: int = SOLVER_SEED) -> Benchmark:
    """The scenario's benchmark for this draw: the better of the search's winner and the recommended
    plan at the drawn numbers (two simulations; the per-scenario search is cached in-process)."""
    chosen = scenario(scenario_or_id) if isinstance(scenario_or_id, str) else scenario_or_id
    return _BENCHMARKS.get_or_compute((chosen.id, params, seed), lambda: _benchmark(chosen, params, seed))


def _benchmark(chosen: Scenario, params: ScenarioParameters, seed: int) -> Benchmark:
    searched = search(chosen)
    recommended = recommended_plan(chosen, params.budget_ttc)
    best = (RECOMMENDED, recommended, simulate(recommended, params, seed=seed))
    if searched.design != RECOMMENDED:
        plan = _plan(chosen, searched.design, params.budget_ttc)
        result = simulate(plan, params, seed=seed)
        if _Conditions(params, best[2]).met(plan, result) and result.company_value > best[2].company_value:
            best = (searched.design, plan, result)
    return Benchmark(
        plan=best[1],
        result=best[2],
        design=best[0],
        candidates=searched.candidates,
        seconds=searched.seconds,
    )


def clear_cache() -> None:
    """Forget the per-draw benchmarks and the per-scenario searches."""
    _BENCHMARKS.clear()
    _SEARCHES.clear()


def searched_scenarios() -> set[str]:
    """The scenarios whose search this process has run (what `warm_up` fills)."""
    return {scenario_id for scenario_id in SCENARIOS if scenario_id in _SEARCHES}
