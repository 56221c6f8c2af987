"""The plan editor as a tool: money in the learner's format, one plan-wide gate, settings behind "More settings",
and the pay preview (without JavaScript a button, with it a small JSON endpoint)."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from course.core.sandbox import Gate, recommended_plan, salesperson_plan
from course.core.sandbox.evaluation import plan_data
from course.extensions import db
from course.models import SandboxVersion
from tests.quiz_helpers import client_for, faster_apps
from tests.sandbox_helpers import posted

SANDBOX = "/courses/kam-pay/sandbox"


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    return faster_apps(make_app, monkeypatch)


def start(client: FlaskClient, example: str = "lesson") -> int:
    response = client.post(f"{SANDBOX}/designs", data={"scenario": "defend", "example": example})
    assert response.status_code == 302
    return int(re.search(r"/sandbox/designs/(\d+)", response.headers["Location"]).group(1))


def versions(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(SandboxVersion))


def value_of(page: str, field_id: str) -> str:
    match = re.search(rf'id="{re.escape(field_id)}"[^>]*value="([^"]*)"', page) or re.search(
        rf'value="([^"]*)"[^>]*id="{re.escape(field_id)}"', page
    )
    assert match, f"no value for {field_id}"
    return html.unescape(match.group(1))


def csrf_token(page: str) -> str:
    found = re.search(r'<input[^>]*name="csrf_token"[^>]*>', page)
    assert found, "no CSRF token in the page"
    return re.search(r'value="([^"]+)"', found.group(0)).group(1)


def errors_of(page: str, field_id: str) -> list[str]:
    found = re.search(rf'<ul class="field__errors" id="{re.escape(field_id)}-error">(.*?)</ul>', page, re.S)
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)] if found else []


@pytest.mark.parametrize(("locale", "shown"), [("de", "120.000"), ("en", "120,000")])
def test_amounts_are_shown_in_the_learners_format(client, make_user, login_as, locale: str, shown: str) -> None:
    login_as(make_user(locale=locale))
    design_id = start(client)
    page = client.get(f"/sandbox/designs/{design_id}").get_data(as_text=True)
    assert value_of(page, "ttc") == shown or value_of(page, "ttc").endswith(shown[-4:])
    assert re.fullmatch(r"\d{1,3}([.,]\d{3})+", value_of(page, "ttc"))


@pytest.mark.parametrize(
    ("locale", "typed", "amount"),
    [("de", "150.000,50", 150_000.5), ("en", "150,000.50", 150_000.5), ("en", "150000", 150_000)],
)
def test_amounts_with_cents_are_read_in_the_learners_format(
    app, client, make_user, login_as, locale: str, typed: str, amount: float
) -> None:
    login_as(make_user(locale=locale))
    design_id = start(client)
    data = posted("Plan", plan_data(recommended_plan("defend", 150_000))) | {"ttc": typed, "base_salary": "120000"}
    assert client.post(f"/sandbox/designs/{design_id}", data=data).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(SandboxVersion)).plan["ttc"] == amount


@pytest.mark.parametrize(
    ("locale", "typed", "message"),
    [
        ("en", "150.000", "Is that 150,000? Group thousands with “,” and put “.” before cents, as in 60,000.50."),
        (
            "de",
            "150,000",
            "Ist das 150.000? Tausender mit „.“ gruppieren und „,“ vor die Cent setzen, wie in 60.000,50.",
        ),
        ("en", "lots", "Enter an amount such as 60,000.50: thousands grouped with “,”, cents after “.”."),
        ("de", "1.50.000", "Geben Sie einen Betrag wie 60.000,50 ein: Tausender mit „.“ gruppiert, Cent nach „,“."),
    ],
)
def test_an_unclear_or_garbled_amount_is_questioned_and_nothing_is_lost(
    app, client, make_user, login_as, locale: str, typed: str, message: str
) -> None:
    login_as(make_user(locale=locale))
    design_id = start(client)
    data = posted("Plan", plan_data(recommended_plan("defend", 150_000))) | {"ttc": typed}
    response = client.post(f"/sandbox/designs/{design_id}", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert errors_of(page, "ttc") == [message]  # one message, not the core's "Enter a number." besides
    assert value_of(page, "ttc") == typed
    assert 'aria-describedby="ttc-hint ttc-error"' in page
    assert versions(app) == 0


@pytest.mark.parametrize(
    ("gates", "choice", "marked"),
    [((), "none", []), ((Gate(),), "all", []), ((Gate(applies_to=(0, 2)),), "some", [0, 2])],
)
def test_the_plan_wide_gate_round_trips(app, client, make_user, login_as, gates, choice: str, marked: list) -> None:
    """A saved plan's gates load as the one gate choice and are saved back the same."""
    login_as(make_user(locale="en"))
    design_id = start(client)
    plan = recommended_plan("defend", 150_000)
    plan = type(plan)(**{**plan.__dict__, "gates": gates})
    data = plan_data(plan)
    assert client.post(f"/sandbox/designs/{design_id}", data=posted("Plan", data)).status_code == 302
    page = client.get(f"/sandbox/designs/{design_id}").get_data(as_text=True)
    assert re.search(rf'<input checked id="gate-\d" name="gate" type="radio" value="{choice}">', page)
    ticked = [int(n) for n in re.findall(r'<input checked id="components-(\d)-gated"', page)]
    assert ticked == marked
    with app.app_context():
        saved = db.session.scalar(select(SandboxVersion).order_by(SandboxVersion.id.desc()))
        assert saved.plan["gates"] == data["gates"]
    # Per-row marks count only when the gate is "only for the marked components".
    assert "Paid only if the gate holds" not in page


def test_a_gate_for_marked_components_needs_a_mark(app, client, make_user, login_as) -> None:
    login_as(make_user(locale="en"))
    design_id = start(client)
    data = posted("Plan", plan_data(recommended_plan("defend", 150_000))) | {"gate": "some"}
    response = client.post(f"/sandbox/designs/{design_id}", data=data)
    assert response.status_code == 400
    assert errors_of(response.get_data(as_text=True), "gate") == [
        "Mark the components the gate applies to, or choose another option."
    ]
    assert versions(app) == 0
    data |= {"gate": "all", "components-1-gated": "y"}  # a mark without "some" is ignored
    assert client.post(f"/sandbox/designs/{design_id}", data=data).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(SandboxVersion)).plan["gates"][0]["applies_to"] == []


def test_mandate_questions_count_only_for_objectives(app, client, make_user, login_as) -> None:
    login_as(make_user(locale="en"))
    design_id = start(client)
    data = posted("Plan", plan_data(recommended_plan("defend", 150_000)))
    data["components-0-mandate_questions"] = ["who_contact"]  # ticked on the retention row without the script
    assert client.post(f"/sandbox/designs/{design_id}", data=data).status_code == 302
    with app.app_context():
        components = db.session.scalar(select(SandboxVersion)).plan["components"]
    assert components[0]["mandate_questions"] == []
    assert components[2]["metric"] == "mandate_objectives" and len(components[2]["mandate_questions"]) == 4


def test_more_settings_open_only_when_they_hold_something(client, make_user, login_as) -> None:
    login_as(make_user(locale="en"))
    design_id = start(client, example="salesperson")  # no threshold, cap or split credit
    page = client.get(f"/sandbox/designs/{design_id}").get_data(as_text=True)
    assert page.count('<details class="component__more">') == 6
    data = posted("Plan", plan_data(salesperson_plan(150_000))) | {"components-0-cap_pct": "50"}
    page = client.post(f"/sandbox/designs/{design_id}", data=data).get_data(as_text=True)
    assert page.count('<details class="component__more" open>') == 1  # the error is not hidden
    assert errors_of(page, "components-0-cap_pct")
    capped = posted("Plan", plan_data(salesperson_plan(150_000))) | {"components-0-cap_pct": "150", "action": "preview"}
    page = client.post(f"/sandbox/designs/{design_id}", data=capped).get_data(as_text=True)
    assert page.count('<details class="component__more" open>') == 1  # a cap is set: it is not hidden


def test_without_javascript_the_preview_button_shows_the_pay_and_saves_nothing(
    app, client, make_user, login_as
) -> None:
    login_as(make_user(locale="en"))
    design_id = start(client, example="blank")
    data = posted("Plan", plan_data(salesperson_plan(100_000))) | {"action": "preview", "name": "Try"}
    response = client.post(f"/sandbox/designs/{design_id}", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert versions(app) == 0
    preview = page[page.index('class="pay-preview"') :]
    preview = preview[: preview.index("</table>")]
    # 60 % base, all variable pay on revenue: 80 / 100 / 120 % of target pays 92,000 / 100,000 / 108,000.
    assert re.findall(r"€\d+,\d{3}", preview)[::2] == ["€32,000", "€40,000", "€48,000"]
    assert re.findall(r"€\d+,\d{3}", preview)[1::2] == ["€92,000", "€100,000", "€108,000"]
    assert value_of(page, "name") == "Try"  # nothing lost
    invalid = client.post(f"/sandbox/designs/{design_id}", data=data | {"components-0-weight_pct": "90"})
    assert invalid.status_code == 400
    assert "The pay preview appears when the plan is complete" in invalid.get_data(as_text=True)
    assert versions(app) == 0


def test_the_preview_endpoint_answers_only_the_owner_with_pay_arithmetic(make_app, make_user) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    owner, other = make_user(locale="en"), make_user(locale="en")
    client = client_for(app, owner)
    page = client.get(f"{SANDBOX}/scenarios/defend").get_data(as_text=True)
    token = csrf_token(page)
    response = client.post(f"{SANDBOX}/designs", data={"scenario": "defend", "example": "lesson", "csrf_token": token})
    design_id = int(re.search(r"/sandbox/designs/(\d+)", response.headers["Location"]).group(1))
    data = posted("Plan", plan_data(salesperson_plan(100_000)))
    url = f"/sandbox/designs/{design_id}/preview"
    assert client.post(url, data=data).status_code == 400  # no CSRF token
    answer = client.post(url, data=data | {"csrf_token": token})
    assert answer.status_code == 200 and answer.is_json
    assert answer.json["valid"] is True
    assert "€108,000" in answer.json["html"]
    assert not re.search(r"score|points|benchmark|pass", answer.json["html"], re.I)
    broken = client.post(url, data=data | {"csrf_token": token, "base_salary": "viel"}).json
    assert broken["valid"] is False and "pay-preview" not in broken["html"]
    assert versions(app) == 0
    stranger = client_for(app, other)
    own_token = csrf_token(stranger.get(f"{SANDBOX}/scenarios/defend").get_data(as_text=True))
    assert stranger.post(url, data=data | {"csrf_token": own_token}).status_code == 404
    assert app.test_client().post(url, data=data).status_code in (302, 400)  # no session: refused either way
