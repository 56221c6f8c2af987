"""Which sandbox account a learner is assigned, and which designs count for the certificate's sandbox step.

Every learner gets one scenario and one draw of its numbers per course, picked at random once and stored, never
chosen: the step asks for a pass in that draw, so a learner cannot shop for an easy account or an easy draw.
The step also asks for a pass in a scenario of another *kind*, so the learner shows that the plan was adapted
to an account, not tuned once.

**Kinds.** The defend and the at-risk account are one kind ("keep the customer"): both are won with the same
shape of plan, retention pay behind a renewal gate, and differ mainly in the numbers (how likely the customer is
to stay, how much relationship work moves that). Passing both would show one plan tuned twice. The growth account
(pay for growth above the baseline, and a clawback so growth does not cost the customer) and the global team
account (team credit for what the team decides) each need a different plan, so each is a kind of its own.
A scenario missing from `KINDS` is a kind of its own (tests/core/test_assignment.py checks every scenario is
listed, so adding one is a decision).

**Copies never count**: neither the lesson's plan unchanged (`core.sandbox.is_unchanged_copy`) nor, once it is
shown after the first evaluation, the draw's benchmark plan unchanged (`core.sandbox.same_design`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

KINDS: dict[str, str] = {
    "defend": "keep",
    "at_risk": "keep",
    "growth": "grow",
    "global_team": "team",
}

ASSIGNED = "assigned"
OTHER = "other"


def kind(scenario_id: str) -> str:
    """The scenario's kind; a scenario not listed is its own kind."""
    return KINDS.get(scenario_id, scenario_id)


@dataclass(frozen=True)
class Assignment:
    """A learner's assigned account in one course: the scenario and the seed of its draw."""

    scenario_id: str
    seed: int

    def counts_as(self, scenario_id: str, seed: int) -> Literal["assigned", "other"] | None:
        """What a counting version of a design in (`scenario_id`, `seed`) does for the sandbox step.

        "assigned": it is the assigned account's draw; "other": a scenario of another kind (any draw: those are
        for practice); None: the assigned scenario in another draw, or a scenario of the same kind.
        """
        role = self.role(scenario_id)
        return None if role == ASSIGNED and seed != self.seed else role

    def role(self, scenario_id: str) -> Literal["assigned", "other"] | None:
        """The part a scenario plays for the sandbox step: the assigned account, one of another kind, or None."""
        if scenario_id == self.scenario_id:
            return ASSIGNED
        return OTHER if kind(scenario_id) != kind(self.scenario_id) else None

    def other_scenarios(self, scenario_ids: Sequence[str]) -> tuple[str, ...]:
        """The scenarios whose pass counts as the second one, in the order given."""
        return tuple(s for s in scenario_ids if kind(s) != kind(self.scenario_id))


def pick(scenario_ids: Sequence[str], scenario_draw: int, seed: int) -> Assignment:
    """The assignment for a random `scenario_draw` (any whole number ≥ 0) and `seed`, over the scenarios in a
    fixed order (so the same numbers give the same account)."""
    ordered = sorted(scenario_ids)
    if not ordered:
        raise ValueError("there is no scenario to assign")
    return Assignment(ordered[scenario_draw % len(ordered)], seed)
