"""The questions the integrations ask of every quiz submission, answered on the bare driver.

A passed submission asks whether an LMS wants the quiz's score (has this learner launched a link to it?), whether
one wants the course's, and whether a webhook wants "course.completed"; a design evaluation asks the LMS question
too. Through the session these three reads were about a quarter of a submission in-process on SQLite (4.1 → 3.0 ms
with them left out). They read rows the request never writes (launches, links, webhooks), so a read on a
connection of its own, outside the request's transaction, sees what the session would.

Most learners never came from an LMS, and the request's user snapshot (course/fast/request_user.py) already says
so: for them the LMS questions need no read at all.
"""

from __future__ import annotations

import json

from flask import g, has_request_context
from flask_login import current_user
from sqlalchemy import bindparam, or_, select, true

from course.extensions import db
from course.fast.query import FastQuery
from course.fast.request_user import RequestUser
from course.models import LtiLaunch, LtiResourceLink, Webhook

_LAUNCHED = FastQuery(
    select(LtiLaunch.id)
    .join(LtiResourceLink, LtiResourceLink.id == LtiLaunch.link_id)
    .where(
        LtiLaunch.user_id == bindparam("user_id"),
        # A NULL pattern matches nothing, so a target without one is matched exactly.
        or_(
            LtiResourceLink.target == bindparam("exact"),
            LtiResourceLink.target.like(bindparam("pattern"), escape="\\"),
        ),
    )
    .limit(1)
)
_ACTIVE_WEBHOOK_EVENTS = FastQuery(select(Webhook.events).where(Webhook.active.is_(true())))


def launched(user_id: int, exact: str, pattern: str | None) -> bool:
    """Whether the learner launched a link whose target is `exact` or matches the LIKE `pattern`."""
    if _never_launched(user_id):
        return False
    return bool(_LAUNCHED.all(db.engine, user_id=user_id, exact=exact, pattern=pattern))


def _never_launched(user_id: int) -> bool:
    """The request's own user is this learner, and their snapshot, read as the request began, shows no launch.

    A launch only starts in its own request (which logs the learner in, so its user is the `User` row, not a
    snapshot); one in another tab at the same moment as a submission could be missed as with a read a little later.
    """
    # Without a request: the page lane's learner (course/fast/lane.py), or a job or a command (no snapshot)
    user = current_user._get_current_object() if has_request_context() else g.get(LANE_USER)
    return isinstance(user, RequestUser) and user.id == user_id and not user.launched_from_lms


# Where the page lane, which runs in an app context without a request, keeps its learner's snapshot in `g`, and
# on a submission the active webhooks' events it read with it.
LANE_USER = "lane_user"
LANE_WEBHOOK_EVENTS = "lane_webhook_events"


def active_webhook_events() -> list[list[str]]:
    """The events each active webhook chose (JSON text on SQLite, already parsed by psycopg); on the page lane's
    submission as its first read found them (course/fast/attempt_page.learner_and_attempt)."""
    read = None if has_request_context() else g.get(LANE_WEBHOOK_EVENTS)
    if read is not None:
        return read
    rows = _ACTIVE_WEBHOOK_EVENTS.all(db.engine)
    return [json.loads(events) if isinstance(events, str) else (events or []) for (events,) in rows]
