"""The scenario's benchmark plan stays hidden until the learner has an evaluated design in that scenario (issue #14).

Before: the sandbox index, every scenario brief, the editor of a new design with every starting point, and the
API's stateless evaluation show nothing of the benchmark's plan (its outcome may be shown: it gives no plan away).
After the first evaluated design in a scenario: the result page and the API show it, for that scenario only.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from course.core.sandbox import SCENARIOS, draw_parameters, lesson_plan, salesperson_plan
from course.core.sandbox.evaluation import evaluate, plan_data
from course.extensions import db
from course.models import SandboxDesign
from course.sandbox.forms import form_data
from tests.quiz_helpers import faster_apps
from tests.sandbox_helpers import posted

SANDBOX = "/courses/kam-pay/sandbox"
EVALUATE = "/api/v1/sandbox/evaluate"
EN = {"Accept-Language": "en"}


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    return faster_apps(make_app, monkeypatch)


def benchmark_of(scenario_id: str, seed: int):  # noqa: ANN201 - a Plan
    return evaluate(salesperson_plan(), scenario_id, seed).benchmark.plan


def prefilled(page: str) -> tuple[str, list[str]]:
    """The editor's base salary and selected metrics, as filled in."""
    base = re.search(r'name="base_salary"[^>]*value="([^"]*)"', page) or re.search(
        r'value="([^"]*)"[^>]*name="base_salary"', page
    )
    return (base.group(1) if base else ""), re.findall(r'<option selected value="([a-z_]+)">', page)


def looks_like(page: str, plan) -> bool:  # noqa: ANN001 - a Plan
    """Whether the editor is filled with `plan`'s base salary and metrics."""
    wanted = form_data("", plan_data(plan))
    metrics = [row["metric"] for row in wanted["components"] if row.get("metric")]
    base, selected = prefilled(page)
    return base == wanted["base_salary"] and [m for m in selected if m in metrics] == metrics


def test_no_page_shows_the_benchmark_plan_before_the_first_evaluation(app, client, make_user, login_as) -> None:
    login_as(make_user(locale="en"))
    for page in [client.get(SANDBOX, headers=EN)] + [
        client.get(f"{SANDBOX}/scenarios/{s}?example={e}", headers=EN)
        for s in SCENARIOS
        for e in ("lesson", "recommended", "salesperson", "blank")
    ]:
        assert page.status_code == 200
        assert "The benchmark plan" not in page.get_data(as_text=True)
    for scenario_id in SCENARIOS:
        for example in ("lesson", "recommended", "salesperson", "blank"):
            response = client.post(f"{SANDBOX}/designs", data={"scenario": scenario_id, "example": example})
            editor = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
            assert "The benchmark plan" not in editor
            with app.app_context():
                design = db.session.scalars(select(SandboxDesign).order_by(SandboxDesign.id.desc())).first()
                seed = design.seed
            benchmark = benchmark_of(scenario_id, seed)
            ttc = draw_parameters(SCENARIOS[scenario_id], seed).budget_ttc
            if plan_data(benchmark) != plan_data(lesson_plan(ttc)):  # where the general plan is the best, it is
                assert not looks_like(editor, benchmark), (scenario_id, example)


def test_the_api_reveals_the_benchmark_plan_only_after_a_design_was_evaluated_there(
    app: Flask, client, make_user, login_as
) -> None:
    login_as(make_user(locale="en"))
    sent = {"scenario": "growth", "seed": 5, "plan": plan_data(salesperson_plan()), "course": "kam-pay"}
    before = client.post(EVALUATE, json=sent).get_json()
    assert "plan" not in before["benchmark"] and "result" in before["benchmark"]
    assert (
        "plan"
        not in client.post(EVALUATE, json={k: v for k, v in sent.items() if k != "course"}).get_json()["benchmark"]
    )
    response = client.post(f"{SANDBOX}/designs", data={"scenario": "growth", "example": "blank"})
    design_id = int(response.headers["Location"].split("/")[3].split("?")[0])
    assert "plan" not in client.post(EVALUATE, json=sent).get_json()["benchmark"]  # started, not evaluated
    client.post(f"/sandbox/designs/{design_id}", data=posted("Mine", plan_data(salesperson_plan())), headers=EN)
    page = client.get(f"/sandbox/designs/{design_id}/versions/1", headers=EN).get_data(as_text=True)
    assert "The benchmark plan" in page
    after = client.post(EVALUATE, json=sent).get_json()
    assert after["benchmark"]["plan"] == plan_data(benchmark_of("growth", 5))
    assert "plan" not in client.post(EVALUATE, json=sent | {"scenario": "defend"}).get_json()["benchmark"]
    version = client.get(f"/api/v1/sandbox/designs/{design_id}/versions/1").get_json()
    assert "plan" in version["evaluation"]["benchmark"]


def test_trainers_always_get_the_benchmark_plan(client, make_user, login_as) -> None:
    login_as(make_user(role="trainer", locale="en"))
    sent = {"scenario": "defend", "seed": 5, "plan": plan_data(salesperson_plan())}
    assert "plan" in client.post(EVALUATE, json=sent).get_json()["benchmark"]
