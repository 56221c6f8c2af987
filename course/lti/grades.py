"""Scores for an LMS's gradebook: what a learner who came through an LTI link achieved there goes back to the link's
line item (Assignment and Grade Services), through the outbox channel "lti_score".

Which score a link gets follows its target: a quiz link the learner's best percentage at that quiz, a sandbox link
their best sandbox score that counts for the course (an unchanged copy of the lesson's plan does not), a course link
100 once every step of the course is done. The outbox key is (link, learner, value): the same best score queued
twice is one message, a better one a new message, a worse attempt nothing. Each score carries the moment it was
reached, so a platform keeps the newest even when an older message arrives late after a retry (AGS 2.0, 3.4.8);
a message whose newer score was sent already is skipped.

`enabled` asks one indexed question (has this learner launched a link with this target?), so a site without LTI
pays nothing more per quiz submission.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select

from course import events, fast
from course.core import lti_services as spec
from course.extensions import db
from course.fast import integrations
from course.lti import services
from course.models import LtiContext, LtiLaunch, LtiPlatform, LtiResourceLink, OutboxMessage, SandboxResult
from course.outbox import operations as outbox
from course.outbox.operations import Channel, DeliveryError, Skip

CHANNEL = "lti_score"


# --- Which links want a learner's score ------------------------------------------------------------------------------


def _escaped(text: str) -> str:
    """`text` as a LIKE pattern that matches only itself (escape character: backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _quiz_targets(event: events.QuizSubmitted) -> tuple[str, str | None]:
    """The link targets that want this event's score: (a target, a LIKE pattern for more of them or None)."""
    return f"quiz:{event.course_id}/{event.quiz_id}", None


def _sandbox_targets(event: events.DesignEvaluated) -> tuple[str, str | None]:
    prefix = f"sandbox:{event.course_id}"
    return prefix, f"{_escaped(prefix)}/%"


def _course_targets(event: events.CourseCompleted) -> tuple[str, str | None]:
    return f"course:{event.course_id}", None


def _condition(targets: tuple[str, str | None]):  # noqa: ANN202 - an SQL condition
    exact, pattern = targets
    if pattern is None:
        return LtiResourceLink.target == exact
    return or_(LtiResourceLink.target == exact, LtiResourceLink.target.like(pattern, escape="\\"))


def _launched(user_id: int, targets: tuple[str, str | None]) -> bool:
    """Whether the learner launched a link with one of these targets: asked for every quiz submitted, design
    evaluated and course completed, so on the bare driver with the fast paths (course/fast/integrations.py)."""
    if fast.enabled():
        return integrations.launched(user_id, *targets)
    statement = (
        select(LtiLaunch.id)
        .join(LtiResourceLink, LtiResourceLink.id == LtiLaunch.link_id)
        .where(LtiLaunch.user_id == user_id, _condition(targets))
        .limit(1)
    )
    return db.session.scalar(statement) is not None


def _launches(user_id: int, targets: tuple[str, str | None]) -> list[tuple[LtiResourceLink, LtiLaunch]]:
    rows = db.session.execute(
        select(LtiResourceLink, LtiLaunch)
        .join(LtiLaunch, and_(LtiLaunch.link_id == LtiResourceLink.id, LtiLaunch.user_id == user_id))
        .where(_condition(targets))
        .order_by(LtiResourceLink.id)
    ).all()
    return [(row[0], row[1]) for row in rows]


# --- Queueing --------------------------------------------------------------------------------------------------------


def queue_score(link: LtiResourceLink, launch: LtiLaunch, score: float, at: datetime) -> bool:
    """Queue one score for one learner on one link, unless this value was queued already; the caller commits."""
    payload = {
        "platform_id": link.platform_id,
        "user_id": launch.user_id,
        "subject": launch.subject,
        "score": round(score, 2),
        "activity": "Completed",
        "grading": "FullyGraded",
        "timestamp": at.isoformat(),
    }
    key = f"link{link.id}:user{launch.user_id}:{score:.2f}"
    return outbox.enqueue(CHANNEL, key, payload, target_id=link.id, user_id=launch.user_id)


def _quiz_submitted(event: events.QuizSubmitted) -> None:
    for link, launch in _launches(event.user_id, _quiz_targets(event)):
        queue_score(link, launch, event.best_percent, event.at)


def _design_evaluated(event: events.DesignEvaluated) -> None:
    # Columns, not the entity: the request may hold the row from before the evaluation's upsert.
    result = db.session.execute(
        select(SandboxResult.assigned_score, SandboxResult.other_score).where(
            SandboxResult.user_id == event.user_id, SandboxResult.course_id == event.course_id
        )
    ).first()
    counting = [value for value in result if value is not None] if result else []
    if not counting:
        return
    for link, launch in _launches(event.user_id, _sandbox_targets(event)):
        queue_score(link, launch, max(counting), event.at)


def _course_completed(event: events.CourseCompleted) -> None:
    for link, launch in _launches(event.user_id, _course_targets(event)):
        queue_score(link, launch, spec.SCORE_MAXIMUM, event.at)


events.subscribe(events.QuizSubmitted, _quiz_submitted, lambda e: _launched(e.user_id, _quiz_targets(e)))
events.subscribe(events.DesignEvaluated, _design_evaluated, lambda e: _launched(e.user_id, _sandbox_targets(e)))
events.subscribe(events.CourseCompleted, _course_completed, lambda e: _launched(e.user_id, _course_targets(e)))


# --- Sending ---------------------------------------------------------------------------------------------------------


def _superseded(message: OutboxMessage) -> bool:
    """Whether a newer score for the same learner on the same link went out already."""
    prefix = message.key.rsplit(":", 1)[0] + ":"
    newer = select(OutboxMessage.id).where(
        OutboxMessage.channel == CHANNEL,
        OutboxMessage.target_id == message.target_id,
        OutboxMessage.id > message.id,
        OutboxMessage.status == "sent",
        OutboxMessage.key.startswith(prefix, autoescape=True),
    )
    return db.session.scalar(newer.limit(1)) is not None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def send(message: OutboxMessage) -> int:
    """Post the message's score to its link's line item (found or created first); the platform's status code."""
    link = db.session.get(LtiResourceLink, message.target_id) if message.target_id is not None else None
    if link is None:
        raise Skip("the LMS link was deleted")
    platform = db.session.get(LtiPlatform, link.platform_id)
    if not platform.active:
        raise DeliveryError(f"platform {platform.name!r} is deactivated; the score waits until it is active again")
    if _superseded(message):
        raise Skip("a newer score for this learner and link was sent already")
    context = db.session.get(LtiContext, link.context_row_id) if link.context_row_id is not None else None
    payload = message.payload
    score = spec.Score(
        user_id=payload["subject"],
        score_given=payload["score"],
        activity=payload["activity"],
        grading=payload["grading"],
        timestamp=_aware(datetime.fromisoformat(payload["timestamp"])),
    )
    try:
        lineitem_url = services.line_item_for(platform, context, link)
        link.lineitem_url = lineitem_url  # found or created once; the outbox commits after each message
        return services.post_score(platform, context, lineitem_url, score)
    except services.ServiceError as error:
        raise DeliveryError(
            str(error), status_code=error.status_code, unreachable=error.unreachable, permanent=error.permanent
        ) from None


outbox.register(
    Channel(
        CHANNEL,
        _l("LMS gradebook (LTI)"),
        send,
        receiver=lambda message: (message.payload or {}).get("platform_id"),
    )
)


# --- Admins ----------------------------------------------------------------------------------------------------------


def delivery_counts() -> dict[int, dict[str, int]]:
    """LMS course (context row id) → status → how many score messages for its links (one query)."""
    rows = db.session.execute(
        select(LtiResourceLink.context_row_id, OutboxMessage.status, func.count())
        .join(LtiResourceLink, LtiResourceLink.id == OutboxMessage.target_id)
        .where(OutboxMessage.channel == CHANNEL, LtiResourceLink.context_row_id.is_not(None))
        .group_by(LtiResourceLink.context_row_id, OutboxMessage.status)
    )
    counts: dict[int, dict[str, int]] = {}
    for context_id, status, number in rows:
        counts.setdefault(context_id, dict.fromkeys(outbox.STATUSES, 0))[status] = number
    return counts
