"""Who runs the jobs: a thread in each app process ("embedded", the default without Redis), RQ workers ("rq", the
default with REDIS_URL), or nobody in this process ("off": another process runs `flask jobs work`, or a test runs
them itself). Each runner only decides when to look; the running is `operations.run_claimed`, the same for all.

The embedded thread starts with the first request a process serves (gunicorn workers, `flask run`), never when the
app is merely created, so CLI commands and tests that import the app start no thread. It wakes when a job is queued
in its own process and otherwise looks every JOBS_POLL_SECONDS, so a job queued on another server, or due for
another try, waits at most that long. With RQ, the row's id travels through Redis ("run job 42"); messages are
only hints: a lost or doubled one changes nothing, because the worker claims the row first, and the worker queues
the overdue jobs again when it starts and every RQ_SWEEP (docs/operations.md, "Background jobs").

Every runner also keeps the periodic jobs going (sending the outbox, the reminders and notification mails): it
queues the next run of each when it starts and then now and then; the unique key of a waiting run makes that one run
per interval however many processes ask.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import Flask, current_app

from course.extensions import db
from course.jobs import operations
from course.models import utcnow

log = logging.getLogger(__name__)
PURGE_EVERY = timedelta(hours=1)
# How often a runner makes sure each periodic job has its next run queued. Each run queues its successor as it
# starts; this only mends a chain that broke (the first start, a job an admin deleted, a database that was away).
PERIODIC_CHECK = timedelta(minutes=1)
RQ_SWEEP = timedelta(minutes=1)  # how often an idle RQ worker looks for jobs whose message was lost
# RQ's own time limit for one job: only a backstop, since a stuck job is noticed by its lease running out.
RQ_JOB_TIMEOUT = int(timedelta(hours=6).total_seconds())


class NoRunner:
    """JOBS_RUNNER = "off": jobs wait in the table for `flask jobs work` in another process (or a test)."""

    name = "off"

    def notify(self, waiting: Iterable[tuple[int, datetime]]) -> None:
        """Nothing to tell."""

    def start(self) -> None:
        """Nothing to start."""


class EmbeddedRunner:
    """A daemon thread per app process that runs due jobs one at a time."""

    name = "embedded"

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.poll = float(app.config["JOBS_POLL_SECONDS"])
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._purged_at: datetime | None = None
        self._periodic_at: datetime | None = None

    def notify(self, waiting: Iterable[tuple[int, datetime]]) -> None:
        self._wake.set()

    def start(self) -> None:
        """Start the thread in this process, once (a forked worker starts its own: threads do not survive a fork)."""
        if self._pid == os.getpid() and self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._pid == os.getpid() and self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self.loop, name="course-jobs", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        """Let the current job finish and end the thread (tests; a process that exits simply drops it)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            self.run_once()
            self._wake.wait(self.poll)

    def run_once(self) -> int:
        """Run what is due; a failure of the database (a restart, say) is logged and the next round tries again."""
        with self.app.app_context():
            try:
                self._periodic()
                ran = operations.run_due()
                self._housekeeping()
                return ran
            except Exception:  # noqa: BLE001 - the thread must outlive a database restart
                log.exception("The job runner could not run the due jobs; it tries again in %.0f s", self.poll)
                db.session.rollback()
                return 0
            finally:
                db.session.remove()

    def _periodic(self) -> None:
        now = utcnow()
        if self._periodic_at is None or now - self._periodic_at >= PERIODIC_CHECK:
            self._periodic_at = now
            operations.queue_periodic(now)

    def _housekeeping(self) -> None:
        now = utcnow()
        if self._purged_at is None or now - self._purged_at >= PURGE_EVERY:
            self._purged_at = now
            purge_finished(now)


class RQRunner:
    """Queues "run job <id>" messages in Redis for `flask jobs work` (an RQ worker); RQ's scheduler holds the ones
    due later (a retry's wait)."""

    name = "rq"

    def __init__(self, app: Flask) -> None:
        self.app = app

    def queue(self):  # noqa: ANN201 - rq.Queue, imported only when RQ is used
        from redis import Redis
        from rq import Queue

        extensions = self.app.extensions
        if "jobs_rq_queue" not in extensions:
            # Bounded waits: the hand-over runs at a request's commit, and a Redis that does not answer must not
            # hold the page (the job waits in the table for the worker's sweep instead).
            connection = Redis.from_url(self.app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5)
            extensions["jobs_rq_queue"] = Queue(self.app.config["JOBS_RQ_QUEUE"], connection=connection)
        return extensions["jobs_rq_queue"]

    def notify(self, waiting: Iterable[tuple[int, datetime]]) -> None:
        """Hand the jobs to RQ; if Redis cannot be reached, they stay queued in the table and the worker finds them
        when it next looks (its start, or its next sweep), so nothing is lost."""
        try:
            enqueue(self.queue(), waiting)
        except Exception as error:  # noqa: BLE001 - the commit stands; only the hint was lost
            log.warning("Could not hand job(s) to RQ (%s); the worker will find them in the database", error)

    def start(self) -> None:
        """The RQ workers run elsewhere (`flask jobs work`)."""


def enqueue(queue, waiting: Iterable[tuple[int, datetime]]) -> None:  # noqa: ANN001 - rq.Queue
    now = utcnow()
    for job_id, run_after in waiting:
        description = f"run job {job_id}"
        options = {"description": description, "job_timeout": RQ_JOB_TIMEOUT, "result_ttl": 0}
        if run_after > now:  # a second late, so a worker whose clock is a little behind finds the job due
            queue.enqueue_at(run_after + timedelta(seconds=1), run_job, job_id, **options)
        else:
            queue.enqueue(run_job, job_id, **options)


def run_job(job_id: int) -> str:
    """The RQ task: run the job if it is (still) due, in the worker's app context; a message for a job that is done,
    held by another runner or not yet due does nothing."""
    try:
        claimed = operations.claim_next(job_id=job_id)
        return operations.run_claimed(*claimed) if claimed else "not due"
    finally:
        db.session.remove()


def rq_worker(app: Flask):  # noqa: ANN201 - an rq.SimpleWorker
    """An RQ worker that runs each job in this process (and so in its app context) and, when idle, queues again the
    jobs whose message was lost and purges old ones. Its scheduler moves retries due later into the queue."""
    from rq import SimpleWorker

    runner = app.extensions["jobs_runner"]
    queue = runner.queue() if isinstance(runner, RQRunner) else RQRunner(app).queue()

    class CourseWorker(SimpleWorker):
        purged_at: datetime | None = None

        def run_maintenance_tasks(self) -> None:
            super().run_maintenance_tasks()
            with app.app_context():
                try:
                    operations.queue_periodic()  # hands the runs it queues to RQ's scheduler as it commits
                    enqueue(queue, operations.overdue(grace=RQ_SWEEP))
                    now = utcnow()
                    if self.purged_at is None or now - self.purged_at >= PURGE_EVERY:
                        self.purged_at = now
                        purge_finished(now)
                finally:
                    db.session.remove()

    sweep = int(RQ_SWEEP.total_seconds())
    # The worker blocks on Redis for its time to live less 15 s; this keeps the sweep about once a minute when idle.
    return CourseWorker([queue], connection=queue.connection, maintenance_interval=sweep, worker_ttl=sweep + 15)


def purge_finished(now: datetime | None = None) -> int:
    """Delete finished jobs older than JOBS_RETENTION_DAYS; returns how many."""
    days = int(current_app.config["JOBS_RETENTION_DAYS"])
    count = operations.purge(now or utcnow(), timedelta(days=days))
    db.session.commit()
    if count:
        log.info("Deleted %d finished job(s) older than %d days", count, days)
    return count


def runner_for(app: Flask) -> NoRunner | EmbeddedRunner | RQRunner:
    name = app.config["JOBS_RUNNER"]
    if name == "embedded":
        return EmbeddedRunner(app)
    if name == "rq":
        return RQRunner(app)
    return NoRunner()


def init_app(app: Flask) -> None:
    """Pick the runner; the embedded one starts with the first request this process serves."""
    runner = runner_for(app)
    app.extensions["jobs_runner"] = runner
    if isinstance(runner, EmbeddedRunner):
        app.before_request(runner.start)
