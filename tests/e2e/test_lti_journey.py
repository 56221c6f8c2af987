"""An LTI launch in a real browser: the LMS's course page shows the tool in an iframe, the frame posts the login
initiation, the tool checks that its cookies last in the frame, sends the browser to the platform, the platform
form-posts the signed id_token back, and the learner sees the lesson inside the LMS's page, logged in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from course.extensions import db
from course.lti import operations
from course.models import LtiPlatform, User
from tests.lti_platform import Platform, running_platform

from .conftest import LiveServer


@pytest.fixture
def platform(live_server: LiveServer) -> Iterator[Platform]:
    """A platform registered in the live server for this test only (its origin may frame the site meanwhile)."""
    with running_platform(live_server.url) as running:
        with live_server.app.app_context():
            platform_id = operations.add_platform(operations.PlatformSettings(**running.settings())).id
            db.session.commit()
        try:
            yield running
        finally:
            with live_server.app.app_context():
                operations.remove_platform(db.session.get(LtiPlatform, platform_id))
                db.session.commit()


def test_a_learner_opens_the_lesson_inside_the_lms(page: Page, live_server: LiveServer, platform: Platform):
    platform.browser_subject = "e2e-lti-learner"
    page.goto(f"{platform.base}/lms/course")
    frame = page.frame_locator("iframe")
    expect(frame.locator("h1")).to_be_visible()
    expect(frame.locator("body")).to_contain_text("Kim Kunde")  # the name from the id_token, in the header
    lesson = next(f for f in page.frames if f != page.main_frame)
    assert lesson.url == f"{live_server.url}/courses/kam-pay/lessons/kams-are-not-salespeople"
    with live_server.app.app_context():
        assert db.session.scalar(select(User.role).where(User.email == "e2e-lti-learner@lms.example.org")) == "learner"
