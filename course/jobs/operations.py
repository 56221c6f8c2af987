"""Background jobs in the database: asking for one, claiming and running it, its progress, result and retries.

The `jobs` table is the truth in every mode (docs/operations.md, "Background jobs"): a runner, the thread in each
app process or an RQ worker, only decides *when* to look; what runs, how often it was tried, how far it got and the
file it made are rows here, so every server shows the same page and a restart loses nothing. A claim is a lease
(`claimed_until`) taken with the outbox's claiming (course/jobs/claims.py); a runner that dies lets the lease run
out and the next runner takes the job again. Every write of a running job names the attempt it belongs to, so a
runner that lost its lease cannot overwrite the work of the one that took over.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import Select, and_, bindparam, delete, event, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, SessionTransaction, joinedload

from course.core import jobs as rules
from course.extensions import db
from course.groups import operations as groups
from course.jobs import registry
from course.jobs.claims import claim
from course.models import Job, User, utcnow

MAX_ERROR = 2000
MAX_PROGRESS_TEXT = 200
PROGRESS_EVERY_SECONDS = 0.5  # a job reporting each of 10,000 rows writes its progress a few times a second at most
_DISPATCH = "course_jobs_dispatch"  # Session.info key: jobs to hand to the runner once the transaction commits
_SOON = "course_jobs_soon"  # Session.info key: housekeeping jobs to queue, once per key, as the transaction commits
# A housekeeping job (a send, a periodic run) appears on the admins' page only when it failed or has waited this long:
# a runner takes a due job within seconds, so a longer wait means none is running.
HOUSEKEEPING_LATE = timedelta(minutes=2)


class JobNotFound(LookupError):
    """No such job, or not one the account may see: both look the same (404)."""


# --- Asking for a job ------------------------------------------------------------------------------------------------


def create(kind: str, params: dict, *, by_id: int | None, lang: str | None, now: datetime | None = None) -> Job:
    """Queue a job of a registered kind; the caller commits, and the runner hears of it once the commit is done.

    `params` must hold everything the job needs (JSON): it runs later, maybe on another server, without the request.
    `lang` is the asker's language, the one its file is written in."""
    job = Job(
        kind=kind,
        params={**params, "lang": lang or current_app.config["DEFAULT_LANGUAGE"]},
        state="queued",
        attempts=0,
        max_attempts=_max_attempts(registry.kind(kind)),
        run_after=now or utcnow(),
        progress_done=0,
        created_by_id=by_id,
        created_at=utcnow(),
    )
    db.session.add(job)
    db.session.flush()
    _dispatch_after_commit(job.id, job.run_after)
    return job


def _max_attempts(kind: registry.JobKind) -> int:
    """A housekeeping job is tried once: its next run (the next event's, the next interval's) is its retry."""
    return 1 if kind.housekeeping else int(current_app.config["JOBS_MAX_ATTEMPTS"])


def _dispatch_after_commit(job_id: int, run_after: datetime, session: Session | None = None) -> None:
    (session or db.session).info.setdefault(_DISPATCH, []).append((job_id, run_after))


def queue_soon(kind: str, key: str, params: dict | None = None) -> None:
    """Queue a housekeeping job ("send the outbox now") as the caller's transaction commits, unless one with this
    `key` is waiting already: the events of one request, or of many requests at once, make one job, and the
    messages they queued go out within seconds instead of at the next periodic run. A transaction that rolls back
    queues nothing. The insert waits until just before the commit and goes in the keys' order, so two transactions
    that queue the same key wait for each other only for the moment of their commits, and never deadlock."""
    registry.kind(kind)
    db.session.info.setdefault(_SOON, {})[key] = (kind, params or {})


def _queue_once(session: Session, kind: str, key: str, params: dict, run_after: datetime) -> int | None:
    """Insert a job with `dedupe_key` = key unless one with that key waits (one statement, so two servers at once
    make one job); the id if it was queued now. The runner hears of it after the commit."""
    table = Job.__table__
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .values(
            kind=kind,
            params={**params, "lang": current_app.config["DEFAULT_LANGUAGE"]},
            state="queued",
            attempts=0,
            max_attempts=_max_attempts(registry.kind(kind)),
            run_after=run_after,
            progress_done=0,
            created_at=utcnow(),
            dedupe_key=key,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(table.c.id)
    )
    job_id = session.execute(statement).scalar()
    if job_id is not None:
        _dispatch_after_commit(job_id, run_after, session)
    return job_id


@event.listens_for(Session, "before_commit")
def _queue_waiting(session: Session) -> None:
    waiting = session.info.pop(_SOON, None)
    if waiting:
        now = utcnow()
        for key in sorted(waiting):
            kind, params = waiting[key]
            _queue_once(session, kind, key, params, now)


@event.listens_for(Session, "after_soft_rollback")
def _forget_waiting(session: Session, previous: SessionTransaction) -> None:
    """A rolled-back transaction queues nothing; a savepoint rolled back inside it (a refused insert) changes
    nothing of what the transaction will queue."""
    if not previous.nested:
        session.info.pop(_SOON, None)


def periodic_key(kind: str) -> str:
    return f"every:{kind}"


def queue_periodic(now: datetime | None = None, kinds: Iterable[registry.JobKind] | None = None) -> list[int]:
    """Queue the next run of each periodic kind (at the start of its next interval) unless one is waiting; commits
    and returns the ids queued now. Every runner calls it now and then, and a periodic job queues its successor as
    it starts, so a site needs no cron, and several servers queue one run per interval between them."""
    now = now or utcnow()
    queued = []
    for kind in registry.kinds().values() if kinds is None else kinds:
        seconds = int(current_app.config.get(kind.every, 0)) if kind.every else 0
        if seconds > 0:
            run_after = rules.next_slot(now, timedelta(seconds=seconds))
            job_id = _queue_once(db.session, kind.name, periodic_key(kind.name), {}, run_after)
            if job_id is not None:
                queued.append(job_id)
    db.session.commit()
    return queued


@event.listens_for(Session, "after_commit")
def _dispatch(session: Session) -> None:
    """Tell the runner of the jobs this transaction queued, only now that another process can read them."""
    waiting = session.info.pop(_DISPATCH, None)
    if waiting:
        current_app.extensions["jobs_runner"].notify(waiting)


@event.listens_for(Session, "after_rollback")
def _forget_dispatch(session: Session) -> None:
    session.info.pop(_DISPATCH, None)


def capture_scope(user: object) -> list[int] | None:
    """The learners `user` may see now (course/groups/operations.py `learners_in_view`) as ids, for a job's
    parameters: the job exports what the asker saw, even if a group changes before it runs. None: everyone."""
    scope = groups.learners_in_view(user)
    return None if scope is None else sorted(db.session.scalars(scope))


def captured_scope(ids: list[int] | None) -> Select | None:
    """Captured ids as the SELECT of user ids the exports filter by. The ids are written into the SQL, so a list of
    many thousands does not run into a database's limit on bound parameters."""
    if ids is None:
        return None
    return select(User.id).where(
        User.id.in_(bindparam("job_learners", list(ids), expanding=True, literal_execute=True))
    )


# --- Reading ---------------------------------------------------------------------------------------------------------


def visible_job(user: object, job_id: int) -> Job:
    """The job if the account asked for it or is an admin; anyone else's looks missing."""
    job = db.session.get(Job, job_id)
    if job is None or not (getattr(user, "role", None) == "admin" or job.created_by_id == getattr(user, "id", None)):
        raise JobNotFound(job_id)
    return job


def result_of(job: Job) -> bytes | None:
    """The file's bytes, loaded only here (the column is deferred: the status page polls without them)."""
    return db.session.scalar(select(Job.result).where(Job.id == job.id))


def listing(states: Iterable[str] | None = None, limit: int = 200) -> list[Job]:
    """Jobs newest first, of the given states or all."""
    statement = select(Job).order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)
    if states is not None:
        statement = statement.where(Job.state.in_(list(states)))
    return list(db.session.scalars(statement))


def troubled(limit: int = 200, now: datetime | None = None) -> list[Job]:
    """What admins look after: jobs that failed for good, then the ones not finished yet (waiting, retrying,
    running), the ones due first at the top. The site's own sends and periodic runs only when they failed or wait
    longer than HOUSEKEEPING_LATE: that they come and go every minute is no news."""
    late = (now or utcnow()) - HOUSEKEEPING_LATE
    housekeeping = registry.housekeeping()
    return list(
        db.session.scalars(
            select(Job)
            .options(joinedload(Job.created_by))
            .where(Job.state.in_(("failed", "queued", "running")))
            .where(
                or_(
                    Job.kind.not_in(housekeeping),
                    Job.state == "failed",
                    and_(Job.state == "queued", Job.run_after < late),
                    and_(Job.state == "running", Job.claimed_until < late),
                )
            )
            .order_by(Job.state, Job.run_after, Job.id)
            .limit(limit)
        )
    )


# --- Running ---------------------------------------------------------------------------------------------------------


def _lease() -> timedelta:
    return timedelta(seconds=int(current_app.config["JOBS_LEASE_SECONDS"]))


def claim_next(now: datetime | None = None, job_id: int | None = None) -> tuple[int, int] | None:
    """Take the next due job (or the one named, if it is due) for this runner: (its id, this attempt's number).

    Due: queued and its time has come, or running under a lease that ran out (its runner died)."""
    now = now or utcnow()
    due = (
        select(Job.id)
        .where(
            or_(and_(Job.state == "queued", Job.run_after <= now), Job.state == "running"),
            or_(Job.claimed_until.is_(None), Job.claimed_until < now),
        )
        .order_by(Job.run_after, Job.id)
        .limit(1)
    )
    if job_id is not None:
        due = due.where(Job.id == job_id)
    lease = {
        "state": "running",
        "attempts": Job.attempts + 1,
        "claimed_until": now + _lease(),
        "started_at": now,
        "dedupe_key": None,  # taken: the next job with its key may be queued
    }
    ids = claim(due, Job, lease)
    if not ids:
        return None
    attempt = db.session.scalar(select(Job.attempts).where(Job.id == ids[0]))
    db.session.commit()
    return ids[0], attempt


def _held(job_id: int, attempt: int) -> tuple:
    """The conditions under which this attempt still holds the job."""
    return (Job.id == job_id, Job.state == "running", Job.attempts == attempt)


def _ours(job_id: int, attempt: int):  # noqa: ANN202 - an UPDATE
    """An UPDATE of the job that only applies while this attempt still holds it."""
    return update(Job).where(*_held(job_id, attempt))


class _Progress:
    """The `progress` a job is given: writes how far it got, at most every PROGRESS_EVERY_SECONDS, on a connection
    of its own (so the job's own session keeps what it loaded), and renews the lease each time."""

    def __init__(self, job_id: int, attempt: int, lease: timedelta) -> None:
        self.job_id, self.attempt, self.lease = job_id, attempt, lease
        self.last_written = float("-inf")

    def __call__(self, done: int, total: int | None = None, text: str | None = None) -> None:
        moment = time.monotonic()
        if moment - self.last_written < PROGRESS_EVERY_SECONDS and (total is None or done < total):
            return
        self.last_written = moment
        values = {"progress_done": max(0, int(done)), "claimed_until": utcnow() + self.lease}
        if total is not None:
            values["progress_total"] = max(0, int(total))
        if text is not None:
            values["progress_text"] = text[:MAX_PROGRESS_TEXT]
        try:
            with db.engine.begin() as connection:
                connection.execute(_ours(self.job_id, self.attempt).values(**values))
        except SQLAlchemyError as error:  # progress is a courtesy: a busy database must not fail the export
            current_app.logger.info("Job %d: progress not recorded: %s", self.job_id, error)


def run_claimed(job_id: int, attempt: int) -> str:
    """Run a job this runner claimed and record what came of it; returns the job's state afterwards.

    The one path every runner takes. The job runs in the asker's language; any exception fails the attempt (a bug
    in one job must not stop the runner), and the job is tried again later or given up as failed."""
    job = db.session.get(Job, job_id)
    if job is None:
        return "gone"
    kind_name, params, max_attempts = job.kind, dict(job.params or {}), job.max_attempts
    db.session.commit()
    if attempt > max_attempts:  # its last attempt's runner died holding it: give up instead of running again
        return _failed(job_id, attempt, "The runner of the last attempt stopped before the job finished.", final=True)
    try:
        kind = registry.kind(kind_name)
        if kind.every:  # the next run is queued before this one works, so a failure here cannot break the chain
            queue_periodic(kinds=[kind])
        with force_locale(params.get("lang") or current_app.config["DEFAULT_LANGUAGE"]):
            result = kind.run(params, _Progress(job_id, attempt, _lease()))
    except Exception as error:  # noqa: BLE001 - recorded on the job, logged, tried again
        db.session.rollback()
        current_app.logger.info("Job %d (%s), attempt %d failed", job_id, kind_name, attempt, exc_info=True)
        return _failed(job_id, attempt, f"{error.__class__.__name__}: {error}", final=attempt >= max_attempts)
    db.session.rollback()  # a job that reads only leaves nothing to keep; one that writes commits its own work
    if kind.housekeeping:  # nobody looks at a send that worked: it leaves no row
        recorded = db.session.execute(delete(Job).where(*_held(job_id, attempt))).rowcount
        db.session.commit()
        return "done" if recorded else "lost"
    values: dict = {
        "state": "done",
        "finished_at": utcnow(),
        "claimed_until": None,
        "last_error": None,
        "progress_done": func.coalesce(Job.progress_total, Job.progress_done),  # the bar ends full
    }
    if result is not None:
        values.update(
            result=result.data, result_name=result.filename, result_type=result.media_type, result_size=len(result.data)
        )
    recorded = db.session.execute(_ours(job_id, attempt).values(**values)).rowcount
    db.session.commit()
    return "done" if recorded else "lost"  # lost: its lease ran out and another runner's attempt counts


def _failed(job_id: int, attempt: int, error: str, *, final: bool) -> str:
    now = utcnow()
    job = db.session.get(Job, job_id)
    retry_at = None if final else rules.retry_at(attempt, job.max_attempts if job else attempt, now)
    values: dict = {"last_error": error[:MAX_ERROR], "claimed_until": None}
    if retry_at is None:
        values.update(state="failed", finished_at=now)
    else:
        values.update(state="queued", run_after=retry_at)
    if db.session.execute(_ours(job_id, attempt).values(**values)).rowcount == 0:
        db.session.rollback()
        return "lost"  # another runner took it over meanwhile; its attempt decides
    if retry_at is None:
        current_app.logger.warning(
            "Job %d (%s) failed after %d attempt(s): %s", job_id, job.kind if job else "?", attempt, error
        )
    else:
        _dispatch_after_commit(job_id, retry_at)
        current_app.logger.info("Job %d will be tried again at %s: %s", job_id, retry_at.isoformat(), error)
    db.session.commit()
    return values["state"]


def run_due(now: datetime | None = None, limit: int | None = None) -> int:
    """Run due jobs one after another until none is due (or `limit` ran); returns how many ran. What the embedded
    runner does each time it wakes, `flask jobs work --burst` does once, and tests call to run what they queued."""
    ran = 0
    while limit is None or ran < limit:
        claimed = claim_next(now)
        if claimed is None:
            break
        run_claimed(*claimed)
        ran += 1
    return ran


def overdue(now: datetime | None = None, grace: timedelta = timedelta(0)) -> list[tuple[int, datetime]]:
    """Jobs that should be running but nobody holds: due for longer than `grace`, or running under a lease that ran
    out. What an RQ worker queues again, in case Redis lost their messages (a restart without persistence)."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Job.id).where(
            or_(
                and_(Job.state == "queued", Job.run_after <= now - grace),
                Job.state == "running",
            ),
            or_(Job.claimed_until.is_(None), Job.claimed_until < now),
        )
    )
    return [(job_id, now) for (job_id,) in rows]


# --- Admins and housekeeping -----------------------------------------------------------------------------------------


def retry(job_ids: Iterable[int] | None = None, now: datetime | None = None) -> int:
    """Queue failed jobs again with a fresh count of attempts (all failed ones when `job_ids` is None; named ones
    may also be waiting for their next try, which then comes now). Returns how many; the caller commits."""
    now = now or utcnow()
    statement = select(Job.id)
    if job_ids is None:
        statement = statement.where(Job.state == "failed")
    else:
        statement = statement.where(Job.id.in_(list(job_ids)), Job.state.in_(("failed", "queued")))
    ids = list(db.session.scalars(statement))
    if not ids:
        return 0
    db.session.execute(
        update(Job)
        .where(Job.id.in_(ids))
        .values(state="queued", attempts=0, run_after=now, claimed_until=None, finished_at=None)
    )
    for job_id in ids:
        _dispatch_after_commit(job_id, now)
    return len(ids)


def purge(now: datetime, older_than: timedelta) -> int:
    """Delete finished jobs (done or failed) and their files older than `older_than` (JOBS_RETENTION_DAYS): an
    export holds personal data, and its asker has downloaded it by then. The caller commits."""
    return db.session.execute(
        delete(Job).where(Job.state.in_(rules.FINISHED), Job.finished_at < now - older_than)
    ).rowcount


def forget_person(user_id: int) -> int:
    """Delete the jobs an account asked for and their files (account/operations.py `delete_account`)."""
    return db.session.execute(delete(Job).where(Job.created_by_id == user_id)).rowcount
