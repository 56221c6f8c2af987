"""The jobs that send notification mails: "send now", queued as a transaction that created mails commits, and the
periodic run (JOBS_NOTIFICATIONS_SECONDS) that creates the course reminders and weekly summaries that fell due and
sends what waits, retries included. They replace the cron line of `flask notifications send`, which stays for
catching up by hand (docs/operations.md, "Notifications")."""

from __future__ import annotations

from flask import current_app

from course.core.errors import N_
from course.extensions import db
from course.jobs.registry import JobKind, Progress, register
from course.models import utcnow
from course.notifications import operations
from course.reports import weekly

BATCH = 100  # mails per claim: a long backlog renews the job's lease (its progress) between batches


def send_all_due(progress: Progress) -> operations.SendReport:
    """Send the due mails in batches until none is due; returns the totals."""
    total = operations.SendReport()
    while True:
        report = operations.send_due(limit=BATCH)
        for name in ("sent", "retrying", "failed", "skipped"):
            setattr(total, name, getattr(total, name) + getattr(report, name))
        progress(total.handled)
        if report.handled < BATCH:
            return total


def remind_and_send(params: dict, progress: Progress) -> None:
    """The periodic run: the reminders and weekly summaries due by now, then every due mail."""
    now = utcnow()
    reminders = operations.queue_reminders(now)
    db.session.commit()
    summaries = weekly.queue_weekly_summaries(now)
    db.session.commit()
    report = send_all_due(progress)
    if reminders or summaries or report.handled:
        current_app.logger.info(
            "Notifications: %d reminder(s) and %d weekly summary(ies) created; mails: %s", reminders, summaries, report
        )


def send_now(params: dict, progress: Progress) -> None:
    """The due mails, right after an event created some."""
    report = send_all_due(progress)
    if report.handled:
        current_app.logger.info("Notification mails: %s", report)


SEND = register(
    JobKind(
        "notifications.send",
        N_("Create reminders and send notification mails"),
        remind_and_send,
        housekeeping=True,
        every="JOBS_NOTIFICATIONS_SECONDS",
    )
)
SEND_NOW = register(JobKind(operations.SEND_NOW, N_("Send new notification mails"), send_now, housekeeping=True))
