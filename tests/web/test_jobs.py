"""Background jobs (course/jobs/): one job runs once and keeps its file; a failure is tried again later and given up
as failed; a runner that dies lets its lease run out and another one takes over; old jobs are purged; the CLI; the
RQ runner with a real Redis; the embedded thread; and who sees which job's page and file."""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis
from flask import Flask
from sqlalchemy import select

from course.account.operations import delete_account
from course.core.jobs import BACKOFF
from course.extensions import db
from course.jobs import operations, registry, runners
from course.jobs.registry import JobKind, Result
from course.models import Job, User, utcnow
from tests.conftest import DEFAULT_REDIS_URL, require
from tests.jobs import ask, run_jobs
from tests.quiz_helpers import client_for

REDIS_URL = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL)
EN = {"Accept-Language": "en"}
calls: list[dict] = []


def _echo(params: dict, progress: registry.Progress) -> Result:
    """A test kind: counts to `steps`, then returns a file naming its parameters."""
    calls.append(params)
    steps = params.get("steps", 3)
    for step in range(steps):
        progress(step, steps, f"step {step}")
    if params.get("fail"):
        raise RuntimeError("the test kind fails on purpose")
    return Result(f"echo {params.get('text', '')}".encode(), "echo.txt", "text/plain; charset=utf-8")


@pytest.fixture(autouse=True)
def echo_kind() -> Iterator[JobKind]:
    calls.clear()
    kind = registry.register(JobKind("test.echo", "Echo", _echo))
    yield kind
    registry.unregister("test.echo")


def queue(app: Flask, by: User | None = None, **params: object) -> int:
    with app.app_context():
        job = operations.create("test.echo", params, by_id=by.id if by else None, lang="en")
        db.session.commit()
        return job.id


def job_of(app: Flask, job_id: int) -> Job:
    with app.app_context():
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        return job


# --- running ---------------------------------------------------------------------------------------------------------


def test_a_job_runs_once_and_keeps_its_file_and_progress(app: Flask) -> None:
    job_id = queue(app, text="hello", steps=2)
    assert job_of(app, job_id).state == "queued"
    assert run_jobs(app) == 1
    assert run_jobs(app) == 0  # nothing left: it ran once
    job = job_of(app, job_id)
    assert (job.state, job.attempts, job.result_name, job.result_type) == (
        "done",
        1,
        "echo.txt",
        "text/plain; charset=utf-8",
    )
    assert (job.progress_done, job.progress_total, job.progress_text) == (2, 2, "step 0")  # the bar ends full
    assert job.finished_at is not None and job.claimed_until is None and job.result_size == len(b"echo hello")
    with app.app_context():
        assert operations.result_of(job) == b"echo hello"
    assert calls == [{"text": "hello", "steps": 2, "lang": "en"}]


def test_an_unknown_kind_cannot_be_queued(app: Flask) -> None:
    with app.app_context(), pytest.raises(registry.UnknownJobKind, match="no job kind 'nope'"):
        operations.create("nope", {}, by_id=None, lang="en")


def test_a_kind_name_cannot_be_registered_twice() -> None:
    with pytest.raises(ValueError, match="registered already"):
        registry.register(JobKind("test.echo", "Another", _echo))


def test_two_runners_never_take_the_same_job(app: Flask) -> None:
    first, second = queue(app), queue(app)
    with app.app_context():
        taken = [operations.claim_next(), operations.claim_next(), operations.claim_next()]
    assert taken == [(first, 1), (second, 1), None]


def test_a_runner_finding_nothing_due_leaves_sqlites_write_lock_alone(make_app, backend: str) -> None:
    """While another writer holds SQLite's write lock, a runner with nothing to do answers at once: it does not
    wait for the lock to find nothing (here waiting would fail at once: no busy timeout)."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL locks rows, not the database")
    app = make_app(SQLITE_BUSY_TIMEOUT_MS=0)
    job_id = queue(app)
    with app.app_context():
        assert operations.claim_next() == (job_id, 1)
        operations.run_claimed(job_id, 1)
        writer = sqlite3.connect(db.engine.url.database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        with app.app_context():
            assert operations.claim_next() is None
    finally:
        writer.rollback()
        writer.close()


def test_a_failing_job_is_tried_again_later_and_then_given_up(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    app.config["JOBS_MAX_ATTEMPTS"] = 3
    job_id = queue(app, fail=True)
    assert run_jobs(app) == 1
    job = job_of(app, job_id)
    assert (job.state, job.attempts) == ("queued", 1)
    assert "RuntimeError: the test kind fails on purpose" in job.last_error
    wait = job.run_after - utcnow()
    assert timedelta(0) < wait <= BACKOFF[0]
    assert run_jobs(app) == 0  # not due yet
    with app.app_context():
        assert operations.run_due(now=job.run_after + timedelta(seconds=1)) == 1
    job = job_of(app, job_id)
    assert (job.state, job.attempts) == ("queued", 2)
    with caplog.at_level(logging.WARNING), app.app_context():
        assert operations.run_due(now=job.run_after + timedelta(seconds=1)) == 1
    job = job_of(app, job_id)
    assert (job.state, job.attempts) == ("failed", 3) and job.finished_at is not None
    assert any("failed after 3 attempt(s)" in record.getMessage() for record in caplog.records)
    with app.app_context():
        assert operations.run_due(now=utcnow() + timedelta(days=1)) == 0  # failed jobs wait for an admin


def test_a_job_whose_runner_died_is_taken_again_when_its_lease_runs_out(app: Flask) -> None:
    job_id = queue(app, text="again")
    with app.app_context():
        assert operations.claim_next() == (job_id, 1)  # this runner "dies" here, holding the job
        assert operations.claim_next() is None  # the lease keeps others away
        later = utcnow() + timedelta(seconds=app.config["JOBS_LEASE_SECONDS"] + 1)
        assert operations.claim_next(later) == (job_id, 2)
        assert operations.run_claimed(job_id, 1) == "lost"  # the first runner came back: its attempt is void
        assert operations.run_claimed(job_id, 2) == "done"
    assert job_of(app, job_id).state == "done"


def test_a_job_whose_last_attempt_died_is_given_up(app: Flask) -> None:
    app.config["JOBS_MAX_ATTEMPTS"] = 1
    job_id = queue(app)
    with app.app_context():
        assert operations.claim_next() == (job_id, 1)
        later = utcnow() + timedelta(seconds=app.config["JOBS_LEASE_SECONDS"] + 1)
        claimed = operations.claim_next(later)
        assert claimed == (job_id, 2)
        assert operations.run_claimed(*claimed) == "failed"
    job = job_of(app, job_id)
    assert job.state == "failed" and "stopped before the job finished" in job.last_error
    assert calls == []  # it was not run a second time


def test_retry_queues_failed_jobs_with_fresh_attempts(app: Flask) -> None:
    app.config["JOBS_MAX_ATTEMPTS"] = 1
    failed, done = queue(app, fail=True), queue(app)
    run_jobs(app)
    assert job_of(app, failed).state == "failed"
    with app.app_context():
        assert operations.retry() == 1
        db.session.commit()
    assert (job_of(app, failed).state, job_of(app, failed).attempts) == ("queued", 0)
    with app.app_context():
        assert operations.retry([done]) == 0  # a finished job is not run again


def test_purge_deletes_finished_jobs_after_the_retention(app: Flask) -> None:
    old, recent, waiting = queue(app), queue(app), queue(app)
    run_jobs(app)
    with app.app_context():
        db.session.get(Job, old).finished_at = utcnow() - timedelta(days=8)
        db.session.get(Job, waiting).state = "queued"
        db.session.get(Job, waiting).finished_at = None
        db.session.commit()
        assert runners.purge_finished() == 1
        assert sorted(db.session.scalars(select(Job.id))) == sorted([recent, waiting])


def test_erasing_an_account_deletes_its_jobs(app: Flask, make_user) -> None:
    trainer, other = make_user(role="trainer"), make_user(role="trainer")
    mine, theirs = queue(app, trainer), queue(app, other)
    with app.app_context():
        delete_account(db.session.get(User, trainer.id), None)
        db.session.commit()
        assert list(db.session.scalars(select(Job.id))) == [theirs]
    assert mine != theirs


# --- the command line ------------------------------------------------------------------------------------------------


def test_the_cli_lists_works_retries_and_purges(app: Flask) -> None:
    app.config["JOBS_MAX_ATTEMPTS"] = 1
    runner = app.test_cli_runner()
    good, bad = queue(app, text="x"), queue(app, fail=True)
    listed = runner.invoke(args=["jobs", "list", "--state", "queued"])
    assert listed.exit_code == 0 and f"{good}\ttest.echo\tqueued" in listed.output
    worked = runner.invoke(args=["jobs", "work", "--burst"])
    assert worked.exit_code == 0 and "2 job(s) run." in worked.output
    failed = runner.invoke(args=["jobs", "list", "--state", "failed"])
    assert f"{bad}\ttest.echo\tfailed\t1/1" in failed.output and "RuntimeError" in failed.output
    assert runner.invoke(args=["jobs", "retry"]).exit_code == 2  # neither an id nor --all-failed
    assert runner.invoke(args=["jobs", "retry", str(good)]).exit_code == 1  # done: nothing to retry
    retried = runner.invoke(args=["jobs", "retry", "--all-failed"])
    assert retried.exit_code == 0 and "1 job(s) queued again." in retried.output
    assert job_of(app, bad).state == "queued"
    purged = runner.invoke(args=["jobs", "purge", "--days", "0"])
    assert purged.exit_code == 0 and "1 finished job(s) older than 0 days deleted." in purged.output


def test_a_typo_in_the_runner_setting_stops_the_start(make_app) -> None:
    from course.config import InsecureConfigError

    with pytest.raises(InsecureConfigError, match="JOBS_RUNNER must be one of"):
        make_app(JOBS_RUNNER="celery")
    with pytest.raises(InsecureConfigError, match="needs REDIS_URL"):
        make_app(JOBS_RUNNER="rq")


# --- the runners -----------------------------------------------------------------------------------------------------


def wait_until_done(app: Flask, job_id: int) -> Job:
    for _ in range(300):  # bounded: a thread is involved
        job = job_of(app, job_id)
        if job.state == "done":
            return job
        time.sleep(0.05)
    return job_of(app, job_id)


def test_the_embedded_thread_starts_with_the_first_request_and_runs_jobs(make_app) -> None:
    app = make_app(JOBS_RUNNER="embedded", JOBS_POLL_SECONDS=0.05)
    other_server = make_app()  # the same database, no runner of its own
    runner = app.extensions["jobs_runner"]
    assert runner._thread is None  # creating the app starts nothing
    try:
        app.test_client().get("/healthz")
        assert runner._thread is not None and runner._thread.is_alive()
        assert wait_until_done(app, queue(app, text="threaded")).state == "done"  # woken by the commit
        assert wait_until_done(app, queue(other_server, text="elsewhere")).state == "done"  # found by polling
    finally:
        runner.stop()
    assert not runner._thread.is_alive()


def test_the_page_shows_how_far_a_running_job_is(app: Flask, make_user) -> None:
    asker = make_user(role="trainer", locale="en")
    owner = client_for(app, asker)
    seen: list[dict] = []

    def peek(params: dict, progress: registry.Progress) -> None:
        progress(1, 4, "One of four")
        seen.append(owner.get(f"/jobs/{params['id']}/status", headers=EN).get_json())

    registry.register(JobKind("test.peek", "Peek", peek))
    try:
        with app.app_context():
            job = operations.create("test.peek", {}, by_id=asker.id, lang="en")
            job.params = {**job.params, "id": job.id}
            db.session.commit()
            job_id = job.id
        run_jobs(app)
    finally:
        registry.unregister("test.peek")
    assert seen[0]["state"] == "running" and seen[0]["percent"] == 25
    assert seen[0]["message"] == "One of four (25 %)" and seen[0]["download"] is None
    done = job_of(app, job_id)
    assert done.state == "done" and done.result_name is None  # a job may make no file
    assert owner.get(f"/jobs/{job_id}/download").status_code == 404


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        client.close()
        require(f"Redis not reachable at {REDIS_URL}: {error}")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def test_rq_carries_the_job_to_a_worker_and_the_database_keeps_the_truth(make_app, redis_client) -> None:
    app = make_app(REDIS_URL=REDIS_URL, JOBS_RUNNER="rq")
    job_id = queue(app, text="via redis")
    worker = runners.rq_worker(app)
    assert worker.queues[0].count == 1  # "run job <id>", queued at the commit
    with app.app_context():
        assert worker.work(burst=True) is True
    job = job_of(app, job_id)
    assert (job.state, job.attempts) == ("done", 1)
    with app.app_context():
        assert operations.result_of(job) == b"echo via redis"


def test_rq_tries_a_failed_job_again_through_its_scheduler(make_app, redis_client) -> None:
    from rq.registry import ScheduledJobRegistry

    app = make_app(REDIS_URL=REDIS_URL, JOBS_RUNNER="rq", JOBS_MAX_ATTEMPTS=2)
    job_id = queue(app, fail=True)
    worker = runners.rq_worker(app)
    with app.app_context():
        worker.work(burst=True)
    job = job_of(app, job_id)
    assert (job.state, job.attempts) == ("queued", 1)
    scheduled = ScheduledJobRegistry(queue=worker.queues[0])
    waiting = [
        rq_job.description
        for rq_job in worker.queues[0].job_class.fetch_many(scheduled.get_job_ids(), connection=redis_client)
    ]
    assert waiting.count(f"run job {job_id}") == 1  # the retry waits in RQ's scheduler until its time


def test_an_rq_worker_queues_the_periodic_sends_for_its_scheduler(make_app, redis_client) -> None:
    """No cron: the worker queues the next run of each periodic job, due at the start of its interval."""
    from rq.registry import ScheduledJobRegistry

    app = make_app(REDIS_URL=REDIS_URL, JOBS_RUNNER="rq")
    worker = runners.rq_worker(app)
    with app.app_context():
        worker.work(burst=True)
        periodic = {job.kind: job.id for job in db.session.scalars(select(Job).where(Job.dedupe_key.is_not(None)))}
    assert set(periodic) == {"outbox.send", "notifications.send"}
    scheduled = ScheduledJobRegistry(queue=worker.queues[0])
    waiting = [
        rq_job.description
        for rq_job in worker.queues[0].job_class.fetch_many(scheduled.get_job_ids(), connection=redis_client)
    ]
    assert sorted(waiting) == sorted(f"run job {job_id}" for job_id in periodic.values())


def test_an_rq_worker_finds_jobs_whose_message_was_lost(make_app, redis_client) -> None:
    app = make_app(REDIS_URL=REDIS_URL, JOBS_RUNNER="rq")
    job_id = queue(app, text="lost")
    redis_client.flushdb()  # Redis restarted without its data
    with app.app_context():
        db.session.get(Job, job_id).run_after = utcnow() - runners.RQ_SWEEP * 2
        db.session.commit()
    worker = runners.rq_worker(app)
    with app.app_context():
        worker.work(burst=True)  # its first maintenance queues the overdue job again, then it runs it
    assert job_of(app, job_id).state == "done"


def test_without_redis_a_queued_job_waits_in_the_database(make_app, caplog: pytest.LogCaptureFixture) -> None:
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0", JOBS_RUNNER="rq")
    with caplog.at_level(logging.WARNING):
        job_id = queue(app)
    assert job_of(app, job_id).state == "queued"
    assert any("Could not hand job(s) to RQ" in record.getMessage() for record in caplog.records)


# --- pages -----------------------------------------------------------------------------------------------------------


def test_only_the_asker_and_admins_see_a_job_and_its_file(app: Flask, make_user) -> None:
    asker = make_user(role="trainer", locale="en")
    job_id = queue(app, asker, text="secret")
    page = f"/jobs/{job_id}"
    assert app.test_client().get(page).headers["Location"].startswith("/auth/login")
    for stranger in (make_user(role="learner"), make_user(role="trainer"), make_user(role="manager")):
        client = client_for(app, stranger)
        for path in (page, f"{page}/status", f"{page}/download"):
            assert client.get(path).status_code == 404, (stranger.role, path)
        assert client.post(f"{page}/retry").status_code == 404
    owner = client_for(app, asker)
    waiting = owner.get(page, headers=EN)
    assert waiting.status_code == 200 and "Waiting to start…" in waiting.get_data(as_text=True)
    assert waiting.headers["Cache-Control"] == "no-store"
    assert re.search(r'<script src="/static/js/jobs\.[^"]*js" defer>', waiting.get_data(as_text=True))
    assert owner.get(f"{page}/download").status_code == 404  # no file yet
    with app.app_context():  # nobody took it for minutes (no runner started): the page says whom to tell
        db.session.get(Job, job_id).run_after = utcnow() - timedelta(minutes=3)
        db.session.commit()
    assert "please tell an administrator" in owner.get(page, headers=EN).get_data(as_text=True)
    with app.app_context():
        db.session.get(Job, job_id).run_after = utcnow()
        db.session.commit()
    assert owner.get(f"{page}/status", headers=EN).get_json() == {
        "state": "queued",
        "percent": None,
        "done": 0,
        "total": None,
        "message": "Waiting to start…",
        "download": None,
        "download_label": "Download the file",
    }
    run_jobs(app)
    status = owner.get(f"{page}/status", headers=EN).get_json()
    assert status["state"] == "done" and status["download"] == f"{page}/download" and status["percent"] == 100
    assert "Ready: echo.txt." in owner.get(page, headers=EN).get_data(as_text=True)
    download = owner.get(f"{page}/download")
    assert download.data == b"echo secret" and download.headers["Content-Disposition"] == (
        'attachment; filename="echo.txt"'
    )
    admin = client_for(app, make_user(role="admin"))
    assert admin.get(page).status_code == 200 and admin.get(f"{page}/download").data == b"echo secret"


def test_the_asker_tries_a_failed_job_again(app: Flask, make_user) -> None:
    app.config["JOBS_MAX_ATTEMPTS"] = 1
    asker = make_user(role="trainer", locale="en")
    job_id = queue(app, asker, fail=True)
    run_jobs(app)
    owner = client_for(app, asker)
    page = owner.get(f"/jobs/{job_id}", headers=EN).get_data(as_text=True)
    assert "The job failed." in page and "RuntimeError" not in page  # the error is for admins
    assert owner.post(f"/jobs/{job_id}/retry").status_code == 302
    assert job_of(app, job_id).state == "queued"
    assert "Only a failed job" in owner.post(f"/jobs/{job_id}/retry", headers=EN, follow_redirects=True).get_data(
        as_text=True
    )


def test_admins_see_failed_and_waiting_jobs_and_try_them_again(app: Flask, make_user) -> None:
    app.config["JOBS_MAX_ATTEMPTS"] = 1
    admin = client_for(app, make_user(role="admin"))
    assert "No job has failed or is waiting." in admin.get("/admin/jobs", headers=EN).get_data(as_text=True)
    asker = make_user(role="trainer", email="asker@example.org")
    failed, waiting = queue(app, asker, fail=True), queue(app, asker)
    with app.app_context():
        operations.run_claimed(*operations.claim_next())  # the first one fails for good
    for role in ("learner", "trainer", "manager"):
        assert client_for(app, make_user(role=role)).get("/admin/jobs").status_code == 403
    page = admin.get("/admin/jobs", headers=EN).get_data(as_text=True)
    assert f"Echo #{failed}" in page and f"Echo #{waiting}" in page and "asker@example.org" in page
    assert "RuntimeError: the test kind fails on purpose" in page and "Try all failed jobs again" in page
    assert admin.post(f"/admin/jobs/{failed}/retry").status_code == 302
    assert job_of(app, failed).state == "queued"
    assert admin.post("/admin/jobs/999999/retry").status_code == 404
    run_jobs(app)  # it fails again; the other one is done
    assert job_of(app, waiting).state == "done"
    flashed = admin.post("/admin/jobs/retry-failed", headers=EN, follow_redirects=True).get_data(as_text=True)
    assert "1 failed job is queued again." in flashed
    assert job_of(app, failed).state == "queued"


def test_the_export_buttons_ask_with_a_csrf_token(make_app, make_user) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    client = client_for(app, make_user(role="trainer"))
    assert client.post("/courses/kam-pay/certificates/export").status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Job.id)) is None


def test_a_job_writes_its_file_in_the_askers_language(app: Flask, make_user) -> None:
    german = client_for(app, make_user(role="trainer", locale="de"))
    page = ask(german, "/studio/courses/kam-pay/learners.csv")
    run_jobs(app)
    assert german.get(f"{page}/download").get_data(as_text=True).startswith("Name,E-Mail,Status")
    assert "Bereit: kam-pay-learners.csv." in german.get(page).get_data(as_text=True)
