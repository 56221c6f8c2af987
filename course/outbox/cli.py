"""`flask --app wsgi outbox send`: send what waits in the outbox (xAPI statements, webhook deliveries, LMS scores,
account mails) by hand, to catch up: the jobs of course/outbox/jobs.py do it on their own, so no cron line is needed
(docs/operations.md, "Outbox"). Each message is sent once, whoever runs it."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from course.extensions import db
from course.models import utcnow
from course.notifications.cli import _moment
from course.outbox import operations

outbox_cli = AppGroup("outbox", help="Messages for other systems: xAPI statements, webhooks, LMS scores.")


@outbox_cli.command("send")
@click.option("--now", callback=_moment, metavar="ISO8601", help="Act as if it were this moment (UTC by default).")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(1), help="Most messages in this run.")
@click.option("--channel", "channels", multiple=True, help="Only this channel (xapi, webhook, lti_score); repeatable.")
def send(now, limit: int, channels: tuple[str, ...]) -> None:  # noqa: ANN001 - a datetime or None
    """Send the messages that are due."""
    known = operations.channels()
    unknown = [name for name in channels if name not in known]
    if unknown:
        raise click.BadParameter(f"unknown channel(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    report = operations.send_due(now, limit, channels or None)
    days = current_app.config["OUTBOX_RETENTION_DAYS"]
    purged = operations.purge(now or utcnow(), timedelta(days=days))
    db.session.commit()
    click.echo(f"Outbox: {report}; {purged} delivered message(s) older than {days} days deleted.")


@outbox_cli.command("retry")
@click.option("--channel", default=None, help="Only this channel's failed messages.")
def retry(channel: str | None) -> None:
    """Try the messages that failed for good again, from the start."""
    count = operations.retry(channel=channel)
    db.session.commit()
    click.echo(f"{count} message(s) queued again.")
