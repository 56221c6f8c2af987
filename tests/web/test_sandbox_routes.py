"""The sandbox in the browser: start, edit, evaluate, versions, duplicate, compare, comments, weights, progress."""

from __future__ import annotations

import html
import re
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from course.core.sandbox import SCENARIOS, draw_parameters, lesson_plan, recommended_plan, salesperson_plan
from course.core.sandbox.evaluation import evaluate as evaluate_plan
from course.core.sandbox.evaluation import plan_data
from course.extensions import db
from course.models import (
    RubricWeights,
    SandboxAssignment,
    SandboxComment,
    SandboxDesign,
    SandboxResult,
    SandboxVersion,
)
from tests.quiz_helpers import client_for, faster_apps
from tests.sandbox_helpers import adapted_plan, posted

SANDBOX = "/courses/kam-pay/sandbox"
EN = {"Accept-Language": "en"}


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    return faster_apps(make_app, monkeypatch)


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def start(client: FlaskClient, scenario: str = "defend", example: str = "lesson") -> int:
    response = client.post(f"{SANDBOX}/designs", data={"scenario": scenario, "example": example})
    assert response.status_code == 302
    return int(re.search(r"/sandbox/designs/(\d+)", response.headers["Location"]).group(1))


def evaluate(client: FlaskClient, design_id: int, data: dict):
    return client.post(f"/sandbox/designs/{design_id}", data=data, headers=EN)


def field_errors(page: str) -> dict[str, list[str]]:
    found = re.findall(r'<ul class="field__errors" id="([\w-]+)-error">(.*?)</ul>', page, re.S)
    return {
        field: [html.unescape(text) for text in re.findall(r"<li>(.*?)</li>", items, re.S)] for field, items in found
    }


def test_a_learner_starts_from_the_lesson_example_adapts_it_and_passes(app, client, make_user, login_as) -> None:
    learner = make_user(locale="en")
    login_as(learner)
    brief = client.get(f"{SANDBOX}/scenarios/defend?example=lesson", headers=EN).get_data(as_text=True)
    assert "Defend a stable strategic account" in brief
    assert 'value="lesson" checked' in brief
    design_id = start(client)
    editor = client.get(f"/sandbox/designs/{design_id}?example=lesson", headers=EN).get_data(as_text=True)
    assert '<option selected value="mandate_objectives">' in editor  # the lesson's plan is filled in
    with app.app_context():
        seed = db.session.get(SandboxDesign, design_id).seed
    response = evaluate(client, design_id, posted("My plan", plan_data(adapted_plan("defend", seed))))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/sandbox/designs/{design_id}/versions/1"
    page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert "Passed: this plan would work for the account." in page
    assert page.count("<svg") == 3
    assert "Benchmark" in page and "Salesperson plan" in page
    with app.app_context():
        design = db.session.get(SandboxDesign, design_id)
        assert design.name == "My plan" and design.latest_version == 1 and design.best_score >= 70
        best = db.session.scalar(select(SandboxResult.best_score).where(SandboxResult.user_id == learner.id))
        assert best == design.best_score


def test_the_salesperson_example_fails_with_the_reason_and_a_lesson_link(client, make_user, login_as) -> None:
    login_as(make_user(locale="en"))
    design_id = start(client, example="salesperson")
    response = evaluate(client, design_id, posted("Sales", plan_data(salesperson_plan(150_000))))
    page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert "Not passed yet" in page
    row = re.search(
        r'<tr class="criterion criterion--(\w+)" id="criterion-criteria-title-no_commission_crowding">(.*?)</tr>',
        page,
        re.S,
    )
    assert row.group(1) == "fail"
    assert "/courses/kam-pay/lessons/designing-a-kam-bonus-plan#" in row.group(2)


def test_the_best_score_shows_on_the_overview_but_a_copy_does_not_count(client, make_user, login_as) -> None:
    login_as(make_user(locale="en"))
    before = client.get("/courses/kam-pay", headers=EN).get_data(as_text=True)
    assert 'value="0"' in before
    design_id = start(client)
    evaluate(client, design_id, posted("Plan", plan_data(recommended_plan("defend"))))
    after = client.get("/courses/kam-pay", headers=EN).get_data(as_text=True)
    assert 'value="0"' in after  # the scenario's own recommended plan, unchanged: no step done
    assert "Your best score:" in after


BAD_INPUT = [
    ("ttc", "-5", "ttc", "Must not be negative."),
    ("ttc", "lots", "ttc", "Enter an amount such as 60,000.50: thousands grouped with “,”, cents after “.”."),
    ("ttc", "10,000,001", "ttc", "Must be at most 10,000,000."),
    ("components-0-weight_pct", "50", "components", "The weights add up to 110 %; they must add up to 100 %."),
    ("components-0-cap_pct", "80", "components-0-cap_pct", "The cap (80 %) is below the target (100 %)."),
    (
        "components-0-threshold_pct",
        "120",
        "components-0-threshold_pct",
        "The threshold (120 %) must be below the target (100 %).",
    ),
    ("components-0-metric", "bitcoin", "components-0-metric", "Unknown metric bitcoin."),
    ("base_salary", "999999", "base_salary", "The base salary is above the target total cash."),
]


@pytest.mark.parametrize(("name", "value", "field", "message"), BAD_INPUT)
def test_bad_input_is_shown_at_its_field_and_nothing_is_saved(
    app, client, make_user, login_as, name: str, value: str, field: str, message: str
) -> None:
    login_as(make_user(locale="en"))
    design_id = start(client)
    data = posted("Kept name", plan_data(recommended_plan("defend")))
    data[name] = value
    response = evaluate(client, design_id, data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in field_errors(page).get(field, []) or (field == "components" and message in html.unescape(page))
    assert 'value="Kept name"' in page  # what the learner typed comes back
    assert count(app, SandboxVersion) == 0


def test_a_threshold_above_the_cap_is_named(client, make_user, login_as) -> None:
    login_as(make_user(locale="en"))
    design_id = start(client)
    data = posted("Plan", plan_data(recommended_plan("defend")))
    data |= {"components-0-cap_pct": "150", "components-0-threshold_pct": "160"}
    errors = field_errors(evaluate(client, design_id, data).get_data(as_text=True))
    assert errors["components-0-threshold_pct"] == ["The threshold (160 %) is above the cap (150 %)."]


def test_every_problem_is_reported_at_once(client, make_user, login_as) -> None:
    login_as(make_user(locale="en"))
    design_id = start(client)
    data = posted("", plan_data(recommended_plan("defend")))
    data |= {
        "ttc": "abc",
        "components-1-cap_pct": "10",
        "clawback": "y",
        "clawback_window": "99",
        "clawback_share": "x",
    }
    errors = field_errors(evaluate(client, design_id, data).get_data(as_text=True))
    assert set(errors) >= {"name", "ttc", "components-1-cap_pct", "clawback_window", "clawback_share"}


def test_rows_beyond_six_components_are_not_read(app, client, make_user, login_as) -> None:
    login_as(make_user(locale="en"))
    design_id = start(client)
    data = posted("Plan", plan_data(recommended_plan("defend")))
    data |= {"components-6-metric": "revenue", "components-6-weight_pct": "100"}
    assert evaluate(client, design_id, data).status_code == 302
    with app.app_context():
        assert len(db.session.scalar(select(SandboxVersion)).plan["components"]) == 3


def test_blank_component_rows_are_skipped_and_errors_land_on_the_right_row(client, make_user, login_as) -> None:
    login_as(make_user(locale="en"))
    design_id = start(client)
    data = posted("Plan", plan_data(recommended_plan("defend")))
    # Move the third component to the last row: rows 2-4 stay blank.
    for field in ("metric", "weight_pct", "period", "credit", "target_pct", "mandate_questions"):
        if f"components-2-{field}" in data:
            data[f"components-5-{field}"] = data.pop(f"components-2-{field}")
    data["components-2-metric"] = ""
    data["components-5-cap_pct"] = "50"
    errors = field_errors(evaluate(client, design_id, data).get_data(as_text=True))
    assert list(errors) == ["components-5-cap_pct"]


def test_a_form_without_its_csrf_token_is_refused(make_app, make_user) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    learner = make_user()
    client = client_for(app, learner)
    assert client.post(f"{SANDBOX}/designs", data={"scenario": "defend"}).status_code == 400
    assert count(app, SandboxDesign) == 0


def test_an_unknown_scenario_is_not_found(client, make_user, login_as) -> None:
    login_as(make_user())
    assert client.get(f"{SANDBOX}/scenarios/moon").status_code == 404
    assert client.post(f"{SANDBOX}/designs", data={"scenario": "moon"}).status_code == 404


def test_another_learners_design_looks_missing(app, client, make_user, login_as) -> None:
    login_as(make_user())
    design_id = start(client)
    evaluate(client, design_id, posted("Mine", plan_data(recommended_plan("defend"))))
    other = client_for(app, make_user())
    assert other.get(f"/sandbox/designs/{design_id}").status_code == 404
    assert other.get(f"/sandbox/designs/{design_id}/versions/1").status_code == 404
    assert other.post(f"/sandbox/designs/{design_id}", data={"name": "x"}).status_code == 404
    assert other.post(f"/sandbox/designs/{design_id}/duplicate").status_code == 404
    assert other.get(f"{SANDBOX}/compare?a={design_id}-1&b={design_id}-1").status_code == 400


def test_versions_duplicate_and_compare(app, client, make_user, login_as) -> None:
    login_as(make_user(locale="en"))
    design_id = start(client)
    evaluate(client, design_id, posted("Plan", plan_data(salesperson_plan(150_000))))
    evaluate(client, design_id, posted("Plan", plan_data(recommended_plan("defend"))))
    editor = client.get(f"/sandbox/designs/{design_id}", headers=EN).get_data(as_text=True)
    assert "Version 2" in editor and "Version 1" in editor
    response = client.post(f"/sandbox/designs/{design_id}/duplicate", headers=EN)
    copy_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        original, copy = db.session.get(SandboxDesign, design_id), db.session.get(SandboxDesign, copy_id)
        assert copy.seed == original.seed and copy.scenario_id == original.scenario_id
        assert copy.versions[0].plan == original.versions[-1].plan
        assert copy.versions[0].score == original.versions[-1].score
        assert copy.name == "Copy of Plan"
    page = client.get(f"{SANDBOX}/compare?a={design_id}-2&b={design_id}-1", headers=EN).get_data(as_text=True)
    # One table, criteria × versions, the older version first; the later column says what changed, in words.
    assert page.count('<table class="compare-table">') == 1
    assert page.count('class="compare__side"') == 2
    assert page.index("Plan, version 1") < page.index("Plan, version 2")
    assert "↑</span> up" in page and "better" in page  # the score went up from the salesperson plan
    assert re.search(r'class="changed changed--up"', page)
    assert "No commission that crowds out relationship work" in page
    ids = re.findall(r'id="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    # From a result page's link (only `a`), the version before it is preselected and compared.
    page = client.get(f"{SANDBOX}/compare?a={design_id}-2", headers=EN).get_data(as_text=True)
    assert f'<option value="{design_id}-1" selected>' in page
    assert page.count('class="compare__side"') == 2
    first = client.get(f"{SANDBOX}/compare?a={design_id}-1", headers=EN).get_data(as_text=True)
    assert 'class="compare-table"' not in first  # version 1 has none before it
    assert client.get(f"{SANDBOX}/compare?a={design_id}-1&b=nonsense").status_code == 400


def test_trainers_see_designs_and_comment_and_the_learner_reads_it(app, client, make_user, login_as) -> None:
    learner = make_user(locale="en")
    login_as(learner)
    design_id = start(client, scenario="global_team")
    evaluate(client, design_id, posted("Team plan", plan_data(recommended_plan("defend"))))
    trainer = client_for(app, make_user(role="trainer", locale="en"))
    listing = trainer.get(f"{SANDBOX}/designs?scenario=global_team", headers=EN).get_data(as_text=True)
    assert "Team plan" in listing and learner.email in listing
    assert "Team plan" not in trainer.get(f"{SANDBOX}/designs?scenario=defend", headers=EN).get_data(as_text=True)
    result = trainer.get(f"/sandbox/designs/{design_id}/versions/1", headers=EN).get_data(as_text=True)
    assert "Designed by" in result and 'id="comment-form"' in result
    response = trainer.post(
        f"/sandbox/designs/{design_id}/comments", data={"body": "Where is the team credit?", "version": "1"}
    )
    assert response.status_code == 302
    assert trainer.post(f"/sandbox/designs/{design_id}/comments", data={"body": " "}).status_code == 302
    assert count(app, SandboxComment) == 1  # the empty comment was refused
    for url in (f"/sandbox/designs/{design_id}/versions/1", f"/sandbox/designs/{design_id}"):
        assert "Where is the team credit?" in client.get(url, headers=EN).get_data(as_text=True)
    assert client.post(f"/sandbox/designs/{design_id}/comments", data={"body": "me too"}).status_code == 403
    assert trainer.get(f"/sandbox/designs/{design_id}").status_code == 404  # only the owner edits


def test_copying_the_defend_shape_to_the_team_account_explains_the_lost_points(client, make_user, login_as) -> None:
    login_as(make_user(locale="en"))
    design_id = start(client, scenario="global_team")
    response = evaluate(client, design_id, posted("Copied", plan_data(recommended_plan("defend"))))
    page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    row = re.search(r'id="criterion-criteria-title-team_credit">(.*?)</tr>', page, re.S).group(1)
    assert "verdict--pass" not in row
    assert "team" in html.unescape(row).lower()
    # the score is below what the criteria's points add up to, and the page says why
    assert re.search(
        r"The criteria earned [\d.]+ points, but \d criteri(on|a) failed: each failed criterion "
        r"multiplies the score by 0\.7, so a plan that fails a criterion cannot pass\.",
        page,
    )


def test_trainers_change_the_rubric_weights_and_grades_keep_theirs(app, client, make_user, login_as) -> None:
    login_as(make_user(locale="en"))
    design_id = start(client)
    evaluate(client, design_id, posted("Plan", plan_data(salesperson_plan(150_000))))
    trainer = client_for(app, make_user(role="trainer", locale="en"))
    form = trainer.get(f"{SANDBOX}/weights", headers=EN).get_data(as_text=True)
    assert 'name="pay_mix"' in form and "the default weights" in form
    bad = trainer.post(f"{SANDBOX}/weights", data={"pay_mix": "50", "outcome": "x"}, headers=EN)
    assert bad.status_code == 400
    assert count(app, RubricWeights) == 0
    weights = {"pay_mix": "50", "indirect_rewards": "50"}
    assert trainer.post(f"{SANDBOX}/weights", data=weights).status_code == 302
    evaluate(client, design_id, posted("Plan", plan_data(salesperson_plan(150_000))))
    with app.app_context():
        first, second = db.session.scalars(select(SandboxVersion).order_by(SandboxVersion.number)).all()
        assert first.weights_id is None and second.weights.number == 1
        assert second.weights.weights == {"pay_mix": 50.0, "indirect_rewards": 50.0}
        assert second.score != first.score
    page = client.get(f"/sandbox/designs/{design_id}/versions/1", headers=EN).get_data(as_text=True)
    assert "Graded with the default rubric weights." in page
    page = client.get(f"/sandbox/designs/{design_id}/versions/2", headers=EN).get_data(as_text=True)
    assert "rubric weights, version 1" in page


def test_learners_cannot_change_weights(client, make_user, login_as) -> None:
    login_as(make_user())
    assert client.post(f"{SANDBOX}/weights", data={"pay_mix": "100"}).status_code == 403


def test_the_sandbox_pages_speak_german(client, make_user, login_as) -> None:
    login_as(make_user(locale="de"))
    design_id = start(client)
    evaluate(client, design_id, posted("Plan", plan_data(recommended_plan("defend"))))
    page = client.get(f"/sandbox/designs/{design_id}/versions/1").get_data(as_text=True)
    assert '<html lang="de">' in page
    assert "Bestanden" in page


@pytest.mark.parametrize(
    ("locale", "typed", "amount"),
    [("de", "150.000", 150_000), ("en", "150,000", 150_000), ("de", "150000,5", 150_000.5)],
)
def test_amounts_are_read_with_the_learners_separators(
    app, client, make_user, login_as, locale: str, typed: str, amount: float
) -> None:
    login_as(make_user(locale=locale))
    design_id = start(client)
    data = posted("Plan", plan_data(recommended_plan("defend", 150_000)))
    data |= {"ttc": typed, "base_salary": "120000"}
    assert client.post(f"/sandbox/designs/{design_id}", data=data).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(SandboxVersion)).plan["ttc"] == amount


def test_a_failing_design_does_not_count_toward_progress(client, make_user, login_as) -> None:
    login_as(make_user(locale="en"))
    design_id = start(client, example="salesperson")
    evaluate(client, design_id, posted("Sales", plan_data(salesperson_plan(150_000))))
    page = client.get("/courses/kam-pay", headers=EN).get_data(as_text=True)
    assert 'value="0"' in page
    assert "Your best score:" in page


# --- The assigned account and what counts for the certificate's sandbox step (issue #14) ------------------------


def assign(app: Flask, user, scenario_id: str, seed: int = 4242) -> None:  # noqa: ANN001 - a User
    """Give the learner a known assigned account (the app picks one at random on the first visit)."""
    with app.app_context():
        db.session.add(SandboxAssignment(user_id=user.id, course_id="kam-pay", scenario_id=scenario_id, seed=seed))
        db.session.commit()


def standing(app: Flask, user) -> tuple[float | None, float | None, float | None] | None:  # noqa: ANN001
    with app.app_context():
        row = db.session.scalar(select(SandboxResult).where(SandboxResult.user_id == user.id))
        return None if row is None else (row.best_score, row.assigned_score, row.other_score)


def seed_of(app: Flask, design_id: int) -> int:
    with app.app_context():
        return db.session.get(SandboxDesign, design_id).seed


def open_sandbox_steps(client: FlaskClient) -> list[str]:
    page = client.get("/courses/kam-pay/certificate", headers=EN).get_data(as_text=True)
    steps = re.findall(r'<li class="checklist__step(?: is-done)?">(.*?)</li>', page, re.S)
    done = re.findall(r'<li class="checklist__step is-done">(.*?)</li>', page, re.S)
    return [
        html.unescape(re.sub(r"<.*?>|\s+", " ", step)).strip()
        for step in steps
        if "Sandbox" in step and step not in done
    ]


def test_the_first_visit_assigns_an_account_once_and_shows_it_first(app, client, make_user, login_as) -> None:
    learner = make_user(locale="en")
    login_as(learner)
    first = client.get(SANDBOX, headers=EN).get_data(as_text=True)
    assert count(app, SandboxAssignment) == 1
    with app.app_context():
        assigned = db.session.scalar(select(SandboxAssignment))
        title = SCENARIOS[assigned.scenario_id].title("en")
        budget = draw_parameters(SCENARIOS[assigned.scenario_id], assigned.seed).budget_ttc
    assert first.index("Your assigned account") < first.index("Choose a scenario")
    assert title in first.split("Choose a scenario")[0]
    assert f"{budget:,.0f}" in first  # the assigned draw's budget
    assert "Assigned account: not yet" in first and "Account of another kind: not yet" in first
    again = client.get(SANDBOX, headers=EN).get_data(as_text=True)
    assert count(app, SandboxAssignment) == 1 and title in again.split("Choose a scenario")[0]


def test_designs_in_the_assigned_scenario_use_the_assigned_draw(app, client, make_user, login_as) -> None:
    learner = make_user(locale="en")
    login_as(learner)
    assign(app, learner, "growth", seed=777)
    assert {seed_of(app, start(client, "growth")) for _ in range(3)} == {777}
    brief = client.get(f"{SANDBOX}/scenarios/growth", headers=EN).get_data(as_text=True)
    assert "This is your assigned account" in brief
    assert "a pass here counts as the second pass" in client.get(f"{SANDBOX}/scenarios/defend", headers=EN).get_data(
        as_text=True
    )
    assign(app, other := make_user(locale="en"), "defend")
    same_kind = client_for(app, other).get(f"{SANDBOX}/scenarios/at_risk", headers=EN).get_data(as_text=True)
    assert "does not count for the certificate" in same_kind


def test_the_lesson_plan_is_the_general_one_not_fitted_to_the_scenario(app, client, make_user, login_as) -> None:
    login_as(make_user(locale="en"))
    for example in ("lesson", "recommended"):  # "recommended": links from before
        design_id = start(client, "global_team", example=example)
        editor = client.get(f"/sandbox/designs/{design_id}?example={example}", headers=EN).get_data(as_text=True)
        assert '<option selected value="retention">' in editor
        assert '<option selected value="team_account_goal">' not in editor  # fitting it is the exercise


def test_an_unchanged_copy_of_the_lesson_plan_never_counts(app, client, make_user, login_as) -> None:
    learner = make_user(locale="en")
    login_as(learner)
    assign(app, learner, "defend")
    design_id = start(client, "defend")
    seed = seed_of(app, design_id)
    ttc = draw_parameters(SCENARIOS["defend"], seed).budget_ttc
    for number, plan in enumerate((lesson_plan(ttc), recommended_plan("defend", ttc)), 1):
        evaluate(client, design_id, posted("Copy", plan_data(plan)))
        page = client.get(f"/sandbox/designs/{design_id}/versions/{number}", headers=EN).get_data(as_text=True)
        assert "This is the lesson's example plan unchanged" in page
    best, assigned, other = standing(app, learner)
    assert best is not None and (assigned, other) == (None, None)
    assert len(open_sandbox_steps(client)) == 2


def test_an_unchanged_copy_of_the_benchmark_plan_does_not_count_either(app, client, make_user, login_as) -> None:
    learner = make_user(locale="en")
    login_as(learner)
    assign(app, learner, "growth", seed=8)
    design_id = start(client, "growth", example="salesperson")
    evaluate(client, design_id, posted("First try", plan_data(salesperson_plan(150_000))))
    first_try = standing(app, learner)[1]
    assert first_try is not None and first_try < 70  # a plan of the learner's own counts, passing or not
    benchmark = evaluate_plan(salesperson_plan(), "growth", 8).benchmark.plan
    assert all(not gate.applies_to for gate in benchmark.gates)  # a gate on every component: order is free
    shuffled = replace(benchmark, components=tuple(reversed(benchmark.components)))  # copied in another order
    evaluate(client, design_id, posted("Benchmark", plan_data(shuffled)))
    page = client.get(f"/sandbox/designs/{design_id}/versions/2", headers=EN).get_data(as_text=True)
    assert "This is the benchmark plan unchanged" in page and "Passed" in page
    assert standing(app, learner)[1] == first_try


def test_the_step_needs_a_pass_in_the_assigned_account_and_in_another_kind(app, client, make_user, login_as) -> None:
    learner = make_user(locale="en")
    login_as(learner)
    assign(app, learner, "defend", seed=99)
    mine = start(client, "defend")
    evaluate(client, mine, posted("Mine", plan_data(adapted_plan("defend", 99))))
    page = client.get(f"/sandbox/designs/{mine}/versions/1", headers=EN).get_data(as_text=True)
    assert "This design is in your assigned account" in page
    assert standing(app, learner)[1] >= 70
    steps = open_sandbox_steps(client)
    assert len(steps) == 1 and "Sandbox: reach 70 points in an account of another kind (not yet)" in steps[0]
    same_kind = start(client, "at_risk")
    evaluate(client, same_kind, posted("Practice", plan_data(adapted_plan("at_risk", seed_of(app, same_kind)))))
    assert "for practice" in client.get(f"/sandbox/designs/{same_kind}/versions/1", headers=EN).get_data(as_text=True)
    assert standing(app, learner)[2] is None and len(open_sandbox_steps(client)) == 1
    other = start(client, "growth")
    evaluate(client, other, posted("Growth", plan_data(adapted_plan("growth", seed_of(app, other)))))
    assert standing(app, learner)[2] >= 70
    assert open_sandbox_steps(client) == []
    index = client.get(SANDBOX, headers=EN).get_data(as_text=True)
    assert "Assigned account: passed" in index and "Account of another kind: passed" in index


def test_another_draw_of_the_assigned_scenario_does_not_count(app, client, make_user, login_as) -> None:
    """A design made before the assignment (or a duplicate of one) keeps its own draw; only the assigned draw counts."""
    learner = make_user(locale="en")
    login_as(learner)
    assign(app, learner, "defend", seed=99)
    with app.app_context():
        design = SandboxDesign(user_id=learner.id, course_id="kam-pay", scenario_id="defend", seed=5, name="Old")
        db.session.add(design)
        db.session.commit()
        design_id = design.id
    evaluate(client, design_id, posted("Old", plan_data(adapted_plan("defend", 5))))
    assert standing(app, learner)[1:] == (None, None)


def test_trainers_and_admins_see_the_benchmark_and_no_counting_note(app, client, make_user, login_as) -> None:
    learner = make_user(locale="en")
    login_as(learner)
    assign(app, learner, "defend")
    design_id = start(client, "defend")
    evaluate(client, design_id, posted("Mine", plan_data(salesperson_plan(150_000))))
    for role in ("trainer", "admin"):
        staff = client_for(app, make_user(role=role, locale="en"))
        page = staff.get(f"/sandbox/designs/{design_id}/versions/1", headers=EN).get_data(as_text=True)
        assert "The benchmark plan" in page and "counts-note" not in page
        assert staff.get(SANDBOX, headers=EN).status_code == 200


def test_visitors_see_the_sandbox_without_an_assignment(app) -> None:
    visitor = app.test_client()
    page = visitor.get(SANDBOX, headers=EN).get_data(as_text=True)
    assert "Log in to get your assigned account" in page
    assert visitor.get(f"{SANDBOX}/scenarios/growth", headers=EN).status_code == 200
    assert count(app, SandboxAssignment) == 0
    assert visitor.post(f"{SANDBOX}/designs", data={"scenario": "growth"}).status_code in (302, 401)
    assert count(app, SandboxDesign) == 0


def test_the_api_starts_designs_in_the_assigned_draw(app, client, make_user, login_as) -> None:
    learner = make_user(locale="en")
    login_as(learner)
    assign(app, learner, "global_team", seed=31337)
    created = client.post("/api/v1/courses/kam-pay/sandbox/designs", json={"scenario": "global_team"})
    assert created.status_code == 201 and created.get_json()["seed"] == 31337
