"""`flask --app wsgi jobs ...`: list, retry and purge background jobs, and `work`, a dedicated runner in the
foreground (the RQ worker with JOBS_RUNNER = "rq", else the embedded loop; docs/operations.md, "Background jobs")."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from course.core.jobs import FINISHED, STATES, percent
from course.extensions import db
from course.jobs import operations, runners
from course.models import utcnow

jobs_cli = AppGroup("jobs", help="Background jobs: exports made off the request.")


@jobs_cli.command("list")
@click.option("--state", type=click.Choice(STATES), help="Only jobs in this state.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1), help="Most jobs listed.")
def list_command(state: str | None, limit: int) -> None:
    """List jobs, newest first: id, kind, state, attempts, progress, who asked, next try or finish, last error."""
    jobs = operations.listing([state] if state else None, limit)
    for job in jobs:
        done = percent(job.progress_done, job.progress_total)
        when = job.finished_at if job.state in FINISHED else job.run_after
        error = (job.last_error or "").splitlines()
        cells = (
            job.id,
            job.kind,
            job.state,
            f"{job.attempts}/{job.max_attempts}",
            "" if done is None else f"{done}%",
            f"user {job.created_by_id}" if job.created_by_id else "-",
            when.isoformat(timespec="seconds") if when else "-",
            error[0] if error else "",
        )
        click.echo("\t".join(str(cell) for cell in cells))
    click.echo(f"{len(jobs)} job(s).", err=True)


@jobs_cli.command("retry")
@click.argument("job_id", required=False, type=int)
@click.option("--all-failed", is_flag=True, help="Every job that failed for good.")
def retry_command(job_id: int | None, all_failed: bool) -> None:
    """Queue a failed (or waiting) job again now, with a fresh count of attempts."""
    if (job_id is None) == (not all_failed):
        raise click.UsageError("name one job by its id, or pass --all-failed")
    count = operations.retry(None if all_failed else [job_id])
    if job_id is not None and count == 0:
        raise click.ClickException(f"there is no failed or waiting job {job_id}")
    db.session.commit()
    click.echo(f"{count} job(s) queued again.")


@jobs_cli.command("purge")
@click.option("--days", type=click.IntRange(0), help="Older than this many days (default: JOBS_RETENTION_DAYS).")
def purge_command(days: int | None) -> None:
    """Delete finished jobs and their files older than the retention."""
    if days is None:
        count = runners.purge_finished()
        days = current_app.config["JOBS_RETENTION_DAYS"]
    else:
        count = operations.purge(utcnow(), timedelta(days=days))
        db.session.commit()
    click.echo(f"{count} finished job(s) older than {days} days deleted.")


@jobs_cli.command("work")
@click.option("--burst", is_flag=True, help="Run what is due, then stop (instead of waiting for more).")
def work_command(burst: bool) -> None:
    """Run jobs in the foreground until stopped: the RQ worker (JOBS_RUNNER = "rq"), else the embedded loop."""
    app = current_app._get_current_object()
    if app.config["JOBS_RUNNER"] == "rq":
        worker = runners.rq_worker(app)
        worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
        return
    runner = runners.EmbeddedRunner(app)
    if burst:
        click.echo(f"{runner.run_once()} job(s) run.")
        return
    click.echo(f"Running jobs; looking for new ones every {runner.poll:g} s. Stop with Ctrl+C.")
    try:
        runner.loop()
    except KeyboardInterrupt:
        click.echo("Stopped.")
