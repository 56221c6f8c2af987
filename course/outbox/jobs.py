"""The jobs that send the outbox: "send now", queued as a transaction that put messages in a channel commits, and
the periodic run (JOBS_OUTBOX_SECONDS) that sends what waited for another try and deletes old delivered messages.
They replace the cron line of `flask outbox send`, which stays for catching up by hand (docs/operations.md,
"Outbox")."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from course.core.errors import N_
from course.extensions import db
from course.jobs.registry import JobKind, Progress, register
from course.models import utcnow
from course.outbox import operations

BATCH = 100  # messages per claim: a long backlog renews the job's lease (its progress) between batches


def send_all_due(progress: Progress, channel_names: list[str] | None = None) -> operations.SendReport:
    """Send the due messages (of these channels, or all) in batches until none is due; returns the totals."""
    total = operations.SendReport()
    while True:
        report = operations.send_due(limit=BATCH, channel_names=channel_names)
        for name in ("sent", "retrying", "failed", "skipped", "postponed"):
            setattr(total, name, getattr(total, name) + getattr(report, name))
        progress(total.handled)
        if report.handled < BATCH:
            return total


def send_outbox(params: dict, progress: Progress) -> None:
    """The periodic run: every channel's due messages, then the delivered ones past OUTBOX_RETENTION_DAYS."""
    report = send_all_due(progress)
    days = int(current_app.config["OUTBOX_RETENTION_DAYS"])
    purged = operations.purge(utcnow(), timedelta(days=days))
    db.session.commit()
    if report.handled or purged:
        current_app.logger.info("Outbox: %s; %d delivered message(s) older than %d days deleted", report, purged, days)


def send_channel_now(params: dict, progress: Progress) -> None:
    """One channel's due messages, right after an event queued some."""
    channel = str(params.get("channel", ""))
    if channel not in operations.channels():  # queued by a version that had this channel: the periodic run decides
        return
    report = send_all_due(progress, [channel])
    if report.handled:
        current_app.logger.info("Outbox %s: %s", channel, report)


SEND = register(
    JobKind("outbox.send", N_("Send the outbox"), send_outbox, housekeeping=True, every="JOBS_OUTBOX_SECONDS")
)
SEND_NOW = register(JobKind(operations.SEND_NOW, N_("Send new outbox messages"), send_channel_now, housekeeping=True))
