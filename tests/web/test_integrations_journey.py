"""The journey the integrations exist for, end to end against implementations nobody here wrote: an LMS launches
a learner over LTI 1.3 into a lesson and then into a quiz; after the outbox job runs, the quiz score is in the
LMS's gradebook (Assignment and Grade Services, with a token the LMS granted against the tool's signed assertion)
and the learner's statements are in a real Ralph LRS, which accepts and validates them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from course.extensions import db
from course.lti import keys, operations
from course.outbox import operations as outbox
from tests.lti_platform import AGS_CLAIM, AGS_SCOPES, CLAIM, launch, running_platform
from tests.lti_platform_services import LEARNER_ROLE, ServicePlatform
from tests.lti_platform_services import running_platform as running_services
from tests.quiz_helpers import MANDATE, attempt_key, faster_apps, start_attempt
from tests.ralph_lrs import RalphLRS, running_ralph

LESSON = "kams-are-not-salespeople"


@pytest.fixture(scope="module")
def ralph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RalphLRS]:
    with running_ralph(tmp_path_factory.mktemp("ralph-journey")) as lrs:
        yield lrs


@pytest.fixture(scope="module")
def services() -> Iterator[ServicePlatform]:
    with running_services() as platform:
        yield platform


@pytest.fixture
def site() -> str:
    """A public address of its own per test: statement ids derive from it, so the two database backends never
    send the one Ralph the same statement id."""
    return f"https://{uuid.uuid4().hex[:12]}.kurs.example.org"


@pytest.fixture
def tool(make_app, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ralph: RalphLRS, site: str) -> Flask:
    user, password = ralph.auth
    return faster_apps(make_app, monkeypatch)(
        PUBLIC_URL=site,
        LTI_KEY_FILE=str(tmp_path / "lti-tool-key.pem"),
        XAPI_LRS_URL=ralph.url,
        XAPI_LRS_USERNAME=user,
        XAPI_LRS_PASSWORD=password,
    )


def test_an_lms_launch_lands_in_a_lesson_and_the_quiz_score_reaches_the_gradebook_and_the_lrs(
    tool: Flask, services: ServicePlatform, ralph: RalphLRS, site: str
) -> None:
    services.reset()
    with tool.app_context():
        services.tool_jwks = keys.jwks()
    with running_platform(site) as lms:
        with tool.app_context():
            settings = lms.settings(auth_token_url=services.token_url)
            operations.add_platform(operations.PlatformSettings(**settings))
            db.session.commit()
        browser = tool.test_client()
        subject = "lms-learner-" + uuid.uuid4().hex[:8]
        services.add_member(subject, LEARNER_ROLE)
        ags = {"scope": AGS_SCOPES, "lineitems": services.lineitems_url}

        # The LMS's lesson link: the learner lands in the lesson, logged in.
        lesson_link = {"id": "link-lesson", "title": "Lesson 1"}
        answer, *_ = launch(
            browser,
            lms,
            sub=subject,
            **{CLAIM + "resource_link": lesson_link, CLAIM + "custom": {"target": f"lesson:kam-pay/{LESSON}"}},
            **{AGS_CLAIM: ags},
        )
        assert answer.status_code in (302, 303), answer.get_data(as_text=True)
        assert answer.headers["Location"].endswith(f"/courses/kam-pay/lessons/{LESSON}")
        page = browser.get(f"/courses/kam-pay/lessons/{LESSON}")
        assert page.status_code == 200 and "Kim Kunde" in page.get_data(as_text=True)

        # The LMS's quiz link, with its gradebook column: the learner takes the quiz and passes it.
        column = services.add_line_item("Mandate quiz", "link-quiz")
        quiz_link = {"id": "link-quiz", "title": "Mandate quiz"}
        answer, *_ = launch(
            browser,
            lms,
            sub=subject,
            **{CLAIM + "resource_link": quiz_link, CLAIM + "custom": {"target": f"quiz:kam-pay/{MANDATE}"}},
            **{AGS_CLAIM: {**ags, "lineitem": column}},
        )
        assert answer.headers["Location"].endswith(f"/courses/kam-pay/quizzes/{MANDATE}")
        attempt_id = start_attempt(browser)
        key = attempt_key(tool, attempt_id)
        submitted = browser.post(f"/attempts/{attempt_id}", data={**key.form_data(key.right_answers()), "submit": "1"})
        assert submitted.status_code == 302

    with tool.app_context():
        report = outbox.send_due()
    assert (report.failed, report.retrying) == (0, 0), report

    # The gradebook: 100 % for the LMS's own user id, on the quiz link's column.
    (score,) = services.scores(column).values()
    assert (score["userId"], score["scoreGiven"], score["scoreMaximum"]) == (subject, 100, 100)
    assert (score["activityProgress"], score["gradingProgress"]) == ("Completed", "FullyGraded")

    # The LRS: the lesson read, the quiz passed and each question answered, accepted and valid by Ralph's models.
    statements = ralph.statements(limit="100")
    mine = [s for s in statements if s["object"]["id"].startswith(site)]
    verbs = {s["verb"]["id"].rsplit("/", 1)[1] for s in mine}
    assert {"experienced", "passed", "answered"} <= verbs
    assert [verdict for verdict in ralph.validate(mine) if verdict["errors"]] == []
