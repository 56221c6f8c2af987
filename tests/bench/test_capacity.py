"""The pure parts of bench/capacity.py: reading a learner's mix, its arithmetic, and the sizing model."""

from __future__ import annotations

import json
import re

import pytest

from bench.capacity import (
    BENCH_RATES_POSTGRESQL,
    DEFAULT_MIX,
    KINDS,
    Costs,
    Identity,
    StepResult,
    benchmark_cost_ms,
    costs_from,
    cycle_kinds,
    cycle_seconds,
    kind_shares,
    learner_rate,
    learners_per_server,
    mean_think_s,
    parse_mix,
    plan_parts,
    size,
)
from bench.run import SANDBOX_BODY


def test_default_mix_is_one_lesson_quiz_and_sandbox_cycle() -> None:
    mix = parse_mix(DEFAULT_MIX)
    kinds = cycle_kinds(mix)
    assert len(kinds) == 17
    assert kinds.count("check") == 7
    assert kinds.index("submit") < kinds.index("review")
    assert cycle_seconds(mix) == 777
    assert learner_rate(mix) == pytest.approx(17 / 777)
    assert mean_think_s(mix) == pytest.approx(777 / 17)
    assert sum(kind_shares(mix).values()) == pytest.approx(1.0)
    assert set(kind_shares(mix)) == set(KINDS)


def test_a_count_defaults_to_one_and_spaces_are_ignored() -> None:
    mix = parse_mix(" lesson*3@60 ,evaluate@30.5")
    assert cycle_kinds(mix) == ["lesson", "lesson", "lesson", "evaluate"]
    assert cycle_seconds(mix) == pytest.approx(210.5)
    assert kind_shares(mix) == {"lesson": 0.75, "evaluate": 0.25}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lesson", "write kind*count@seconds"),
        ("lesson*2", "write kind*count@seconds"),
        ("homework@10", "unknown kind 'homework'"),
        ("lesson*0@10", "at least 1"),
        ("review@10, submit@5", "a review needs a submit before it"),
        ("review@10", "a review needs a submit before it"),
        ("lesson@0", "needs some think time"),
    ],
)
def test_a_mix_that_cannot_be_run_is_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_mix(text)


def test_the_benchmark_prices_a_page_at_its_share_of_two_saturated_cores() -> None:
    assert benchmark_cost_ms(parse_mix("lesson@10"), {"lesson": 1000.0}) == pytest.approx(2.0)
    half = benchmark_cost_ms(parse_mix("lesson@10, evaluate@10"), {"lesson": 1000.0, "evaluate": 250.0})
    assert half == pytest.approx((2.0 + 8.0) / 2)
    assert benchmark_cost_ms(parse_mix(DEFAULT_MIX), BENCH_RATES_POSTGRESQL) > 0


def test_sizing_scales_with_learners_and_rounds_servers_up() -> None:
    costs = Costs(app_ms=3.0, database_ms=1.0, proxy_ms=0.2, redis_ms=0.0)
    small = size(1000, 0.02, costs, busy=0.5)
    assert small.requests_per_s == pytest.approx(20.0)
    assert small.app_cores == pytest.approx(20 * 3.0 / 1000 / 0.5)
    assert small.app_servers == 1
    assert small.gunicorn_workers == 4
    assert small.database_connections == 14
    big = size(100_000, 0.02, costs, busy=0.5)
    assert big.app_cores == pytest.approx(12.0)
    assert big.app_servers == 6
    assert big.gunicorn_workers == 24
    assert big.database_cores == pytest.approx(4.0)
    assert big.proxy_connections == 200_000
    assert learners_per_server(0.02, 3.0, busy=0.5) == 16_666


def test_costs_per_request_come_from_the_measured_cpu_seconds() -> None:
    result = StepResult(
        servers=2, learners=100, seconds=10, expected_rps=10, requests=200, requests_per_s=20, errors=0,
        socket_errors=0, p50_ms=5, p95_ms=20, p99_ms=40, kinds={},
        cpu_s={"app": 0.6, "jobs": 0.02, "postgresql": 0.2, "postgresql-aux": 0.02, "nginx": 0.04, "redis": 0.0},
        idle_cpu_s={}, machine_busy=0.3, others_cpu_s=1.0, database_connections=5, pool_exhausted=0,
    )  # fmt: skip
    costs = costs_from(result)
    assert costs.app_ms == pytest.approx(3.1)
    assert costs.database_ms == pytest.approx(1.1)
    assert costs.proxy_ms == pytest.approx(0.2)
    assert costs.redis_ms == 0


def test_a_pool_line_of_the_quiz_tool_becomes_an_identity_without_token_or_submit() -> None:
    line = "/attempts/7\tsession=abc.def\tcsrf_token=Ik1.x-y&q1=2&q2.0=1&q3=wahr&submit=1"
    identity = Identity.from_pool_line(line)
    assert identity == Identity("/attempts/7", "session=abc.def", "Ik1.x-y", "q1=2&q2.0=1&q3=wahr")
    assert identity.line().split("\t") == ["/attempts/7", "session=abc.def", "Ik1.x-y", "q1=2&q2.0=1&q3=wahr"]


def test_the_load_client_fills_a_seed_and_an_amount_into_the_benchmark_plan() -> None:
    head, middle, tail = plan_parts()
    assert head + "20261127" + middle + "150000" + tail == SANDBOX_BODY
    body = json.loads(head + "7" + middle + "150000.05" + tail)
    assert (body["seed"], body["plan"]["ttc"]) == (7, 150000.05)
