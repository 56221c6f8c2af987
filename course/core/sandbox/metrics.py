"""The metrics a plan component can pay on, in a registry: what each one measures in the KAM model.

Every metric is a noisy signal of the KAM's two efforts (selling `s`, relationship work `r`), except
`retention`, which is the customer's year-end renewal itself (docs/sandbox-model.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from course.core.errors import N_, CourseError


class UnknownMetric(CourseError):
    pass


@dataclass(frozen=True)
class Metric:
    """How a metric's signal depends on effort: `selling·s + relationship·r + noise`, attainment 1 = target.

    `noise` names the scenario's noise level it uses (`sigma_s` or `sigma_r`) and `noise_factor` scales
    it. `binary` metrics pay on the renewal outcome; `above_baseline` metrics pay only on growth beyond
    what the account buys anyway; `commission` metrics are the ones a churn clawback recovers.
    """

    name: str
    selling: float = 0.0
    relationship: float = 0.0
    noise: str = "sigma_s"
    noise_factor: float = 1.0
    binary: bool = False
    above_baseline: bool = False
    commission: bool = False


METRICS: dict[str, Metric] = {}


def register(metric: Metric) -> Metric:
    if metric.name in METRICS:
        raise ValueError(f"metric {metric.name!r} is registered twice")
    METRICS[metric.name] = metric
    return metric


def metric(name: str) -> Metric:
    try:
        return METRICS[name]
    except KeyError:
        raise UnknownMetric(N_("Unknown metric %(name)s."), name=name) from None


def metric_names() -> tuple[str, ...]:
    return tuple(METRICS)


register(Metric("revenue", selling=1.0, commission=True))
register(Metric("revenue_growth", selling=1.0, above_baseline=True, commission=True))
# Margin holds when the relationship lets the KAM defend price, so it rewards a little relationship work.
register(Metric("margin", selling=0.8, relationship=0.2, noise_factor=1.2, commission=True))
register(Metric("retention", binary=True))
register(Metric("share_of_wallet", selling=0.5, relationship=0.5, noise_factor=1.2))
register(Metric("satisfaction", relationship=1.0, noise="sigma_r"))
register(Metric("mandate_objectives", relationship=1.0, noise="sigma_r"))
# The team's account result: the KAM's own part of it is scaled by (1 − team dependence) in the simulation.
register(Metric("team_account_goal", selling=0.5, relationship=0.5, noise_factor=0.6))
