"""`flask --app wsgi notifications send`: create the reminders that are due and send the mails waiting in the
outbox by hand (to catch up, or as if it were another moment): the periodic job of course/notifications/jobs.py does
it on its own, so no cron line is needed (docs/operations.md, "Notifications"). Each reminder is created once and
each mail sent once, whoever runs it."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from course.extensions import db
from course.models import utcnow
from course.notifications import operations
from course.reports import weekly

notifications_cli = AppGroup("notifications", help="Reminders and notification mails.")


def _moment(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a moment in ISO 8601, e.g. 2026-12-05T21:00:00+00:00 (without an offset: UTC)"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@notifications_cli.command("send")
@click.option(
    "--now",
    callback=_moment,
    metavar="ISO8601",
    help="Act as if it were this moment (UTC unless the text gives an offset): for tests and to catch up.",
)
@click.option("--limit", default=500, show_default=True, type=click.IntRange(1), help="Most mails to send in this run.")
def send(now: datetime | None, limit: int) -> None:
    """Create the reminders and weekly summaries that are due, then send the mails that are due."""
    now = now or utcnow()
    reminders = operations.queue_reminders(now)
    db.session.commit()
    summaries = weekly.queue_weekly_summaries(now)
    db.session.commit()
    report = operations.send_due(now, limit)
    click.echo(
        f"{reminders} reminder(s) and {summaries} weekly summary(ies) created; mails: {report.sent} sent,"
        f" {report.retrying} to retry, {report.failed} failed, {report.skipped} skipped."
    )
