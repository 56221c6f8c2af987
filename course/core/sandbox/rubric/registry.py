"""The rubric's criteria registry: what a criterion is, what it looks at and says, and the registration.

Criteria register themselves (criteria.py) with a default weight and the lesson section that teaches their
point; a second registration under the same id is refused, and the web layer refuses to start while a
registered id has no label (course/sandbox/labels.py, `check_labels`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from course.core.errors import N_, CourseError
from course.core.sandbox.plan import Plan
from course.core.sandbox.scenarios import ScenarioParameters
from course.core.sandbox.simulation import SimulationResult

VERDICTS = ("pass", "partial", "fail")
WEIGHT_TOLERANCE = 0.01  # percentage points, as for component weights

TEAM_SERVED = 0.4  # team dependence from which an account counts as team-served (global_team: 0.5–0.7)
GROWTH_B_S = 2.75  # value of selling from which an account has white space (growth: 3.0–3.6, others ≤ 2.5)
AT_RISK_P0 = 0.65  # renewal chance without relationship work below which the account is at risk (0.5–0.6)


class UnknownCriterion(CourseError):
    """A criterion id that no criterion is registered under."""


@dataclass(frozen=True)
class LessonLink:
    """A lesson of the course and the section, per language, that explains a criterion."""

    lesson_id: str
    anchors: Mapping[str, str]  # language → heading anchor

    def anchor(self, lang: str) -> str:
        return self.anchors.get(lang) or self.anchors["en"]


@dataclass(frozen=True)
class Context:
    """Everything a criterion may look at."""

    plan: Plan
    params: ScenarioParameters
    result: SimulationResult
    benchmark: SimulationResult

    @property
    def team_served(self) -> bool:
        return self.params.team_dependence >= TEAM_SERVED

    @property
    def growth(self) -> bool:
        return self.params.b_s >= GROWTH_B_S

    @property
    def at_risk(self) -> bool:
        return self.params.p0 < AT_RISK_P0


@dataclass(frozen=True)
class Check:
    """A criterion's verdict and its feedback template with parameters.

    `credit` (0–1) is the share of the weight earned where the criterion measures a distance (the outcome
    against the benchmark); otherwise the verdict decides (pass all, partial half, fail nothing).
    """

    verdict: str
    message: str
    params: Mapping[str, object] = field(default_factory=dict)
    credit: float | None = None


@dataclass(frozen=True)
class Criterion:
    """A registered criterion: its default weight, its lesson section and its check."""

    id: str
    weight: float  # default points out of 100
    lesson: LessonLink
    check: Callable[[Context], Check]


CRITERIA: dict[str, Criterion] = {}


def register(
    criterion_id: str, weight: float, lesson_id: str, en: str, de: str
) -> Callable[[Callable[[Context], Check]], Callable[[Context], Check]]:
    """Register the decorated check as a criterion; refuses an id registered twice."""

    def decorator(check: Callable[[Context], Check]) -> Callable[[Context], Check]:
        if criterion_id in CRITERIA:
            raise ValueError(f"criterion {criterion_id!r} is registered twice")
        CRITERIA[criterion_id] = Criterion(criterion_id, weight, LessonLink(lesson_id, {"en": en, "de": de}), check)
        return check

    return decorator


def criterion(criterion_id: str) -> Criterion:
    """The registered criterion `criterion_id`; UnknownCriterion (a course error a page can show) if none."""
    try:
        return CRITERIA[criterion_id]
    except KeyError:
        raise UnknownCriterion(N_("There is no rubric criterion %(criterion)s."), criterion=criterion_id) from None


def default_weights() -> dict[str, float]:
    """Each criterion's own weight, in registration order: the weights of a course that set none."""
    return {c.id: c.weight for c in CRITERIA.values()}
