"""Benchmark the course app against a hello-world Flask floor, both under the same gunicorn settings.

Run from the project root:  .venv/bin/python bench/run.py [--databases sqlite,postgresql] [--rounds 3] [--duration 10]

For each database (SQLite, then PostgreSQL by default) it seeds a throw-away database, starts the app and
bench/hello.py under gunicorn on loopback ports, logs a learner in once and checks every target answers as
expected (a quiz submission target gets fresh open attempts made by the app, one per request; the new-plan sandbox
target a plan no other request sent: see bench/README.md). Then, in each of --rounds rounds, it loads the hello
floor and every target with the same client (wrk, or a Python fallback); each ratio is taken against the floor
of its own round, and the verdict is decided on the medians over the rounds, with thresholds per database. The
floor is measured once more at the end as a drift check, the app workers' memory is read, and the first request
for a lesson, a sandbox evaluation and a certificate PDF is timed after fresh starts under `flask run` and
gunicorn. It prints one table per database and one verdict, writes bench/results/latest.json, and exits 1 when
a target misses its threshold or a page answered wrongly (unless --no-fail), 2 when the set-up itself failed.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from statistics import median
from typing import Literal
from urllib.parse import urlencode, urlsplit

# --------------------------------------------------------------------------------------------------------------
# Targets. To benchmark a new page, add a Target here (see bench/README.md, "Adding a target").
# --------------------------------------------------------------------------------------------------------------

COURSE_ID = "kam-pay"
LESSON_ID = "kams-are-not-salespeople"
QUIZ_ID = "kam-mandate-quiz"  # seven questions, one of each type: every form reader and grader is exercised
LOGGED_IN_MARK = 'action="/auth/logout"'  # only a logged-in page offers the log-out form
ANONYMOUS_MARK = 'href="/auth/login'  # only an anonymous page links to the login form
# The plan the last lesson recommends, for the account to defend (course.core.sandbox.recommended_plan).
SANDBOX_BODY = json.dumps(
    {
        "scenario": "defend",
        "seed": 20261127,
        "course": COURSE_ID,
        "plan": {
            "ttc": 150000,
            "base_salary": 120000,
            "components": [
                {"metric": "retention", "weight_pct": 40},
                {"metric": "satisfaction", "weight_pct": 30},
                {
                    "metric": "mandate_objectives",
                    "weight_pct": 30,
                    "mandate_questions": ["who_contact", "what_achieve", "how_ensure", "where_support"],
                },
            ],
            "gates": [{"condition": "customer_active_at_year_end"}],
            "indirect_rewards": [
                "autonomy",
                "impact_visibility",
                "company_backing",
                "recognition",
                "customer_feedback",
                "customer_at_kam_meeting",
            ],
        },
    }
)


DATABASES = ("sqlite", "postgresql")
# A threshold for every database, or one per database ({"sqlite": 0.5, "postgresql": 0.4}).
Threshold = float | dict[str, float] | None


def on(database: str, threshold: Threshold) -> float | None:
    """The threshold that holds on `database`."""
    return threshold.get(database) if isinstance(threshold, dict) else threshold


@dataclass(frozen=True)
class Target:
    """One page to load. Thresholds are optional; a target without them is measured and reported only."""

    name: str
    path: str
    server: Literal["app", "hello"] = "app"
    method: str = "GET"
    login: bool = False  # send the learner's session cookie
    body: str | None = None  # form-encoded; "{csrf_token}" is replaced with a valid token for the session
    content_type: str = "application/x-www-form-urlencoded"
    expect_status: int = 200
    expect_text: tuple[str, ...] = ()  # the verification fails unless the body contains each of these
    expect_location: str | None = None  # a redirect's Location must end with this (checked under load too)
    min_ratio: Threshold = field(default=None, hash=False)  # requests/s at least this fraction of the floor's
    max_p99_ms: Threshold = field(default=None, hash=False)
    # Socket errors and timeouts (no answer within LOAD_TIMEOUT_S) are a FAIL of this target, not an ERROR.
    no_timeouts: bool = False
    previous: str = "-"  # the thresholds before the product owner's targets of December 2026, for comparison
    # "open": "{attempt_id}" in the path is the bench learner's open attempt at QUIZ_ID, started through the quiz
    #   page's form, every answer saved and question 1 checked (so the page shows inputs and feedback).
    # "fresh": every request submits a different open attempt, each of its own learner (cookie, CSRF token and
    #   the right answers for that attempt's layout), from a pool topped up before every load run (AttemptPool).
    attempt: Literal["open", "fresh"] | None = None
    csrf_header: bool = False  # send the session's CSRF token as X-CSRFToken (the JSON API's POSTs)
    # "{certificate_id}" in the path is the certificate of a second learner who completed the course, issued
    # before the run (certificate_tool); "owner" sends that learner's session cookie, "public" no cookie.
    certificate: Literal["owner", "public"] | None = None
    # "{amount}" in the body becomes this amount plus a number of cents that no other request of the whole
    # benchmark process sent (PlanVariants): every request is a new plan, so the app's memo never answers it.
    unique_amount: float | None = None


FLOOR = Target("hello floor", "/", server="hello", expect_text=("Hello, world!",))

TARGETS: tuple[Target, ...] = (
    FLOOR,
    Target("course overview (learner)", "/", login=True, expect_text=(LOGGED_IN_MARK,)),
    Target(
        "lesson (learner)",
        f"/courses/{COURSE_ID}/lessons/{LESSON_ID}",
        login=True,
        expect_text=(LOGGED_IN_MARK,),
        min_ratio={"sqlite": 0.5, "postgresql": 0.4},
        max_p99_ms=30.0,
        previous="≥0.50× p99≤30ms",
    ),
    Target("lesson (anonymous)", f"/courses/{COURSE_ID}/lessons/{LESSON_ID}", expect_text=(ANONYMOUS_MARK,)),
    Target(
        "quiz attempt (learner)",
        "/attempts/{attempt_id}",
        login=True,
        attempt="open",
        expect_text=(LOGGED_IN_MARK, 'class="quiz-form"', 'class="outcome'),
        min_ratio=0.3,
    ),
    Target(
        "quiz submission (learner)",
        "/attempts/{attempt_id}",
        method="POST",
        attempt="fresh",
        expect_status=302,
        expect_location="/review",
        min_ratio={"sqlite": 0.25, "postgresql": 0.15},
        previous="≥0.30×",
    ),
    # The same plan, scenario and seed every time: the evaluation is memoised in-process (course/core/sandbox/
    # evaluation.py), so this measures the API around it. The next target measures a new plan's cost.
    Target(
        "sandbox evaluate (API)",
        "/api/v1/sandbox/evaluate",
        method="POST",
        login=True,
        csrf_header=True,
        body=SANDBOX_BODY,
        content_type="application/json",
        expect_text=('"score":', '"benchmark":'),
        min_ratio=0.15,
        previous="≥0.15×",
    ),
    # The same plan with a different target total cash (cents) in every request, at the same scenario draw: a
    # learner trying one more version of a design. Every request misses the evaluation memo and simulates.
    Target(
        "sandbox evaluate (new plan)",
        "/api/v1/sandbox/evaluate",
        method="POST",
        login=True,
        csrf_header=True,
        body=SANDBOX_BODY.replace('"ttc": 150000', '"ttc": {amount}'),
        content_type="application/json",
        expect_text=('"score":', '"benchmark":'),
        min_ratio=0.05,
        unique_amount=150000.0,
    ),
    # The PDF is drawn once at issue and kept (about 25 ms of CPU, bench/certificates.py holds it to ≤ 50 ms p95):
    # a download sends the kept bytes after the owner and signature checks.
    Target(
        "certificate PDF (learner)",
        "/certificates/{certificate_id}/certificate.pdf",
        certificate="owner",
        expect_text=("%PDF-", "%%EOF"),
        min_ratio=0.1,
        no_timeouts=True,
        previous="≥0.005×",
    ),
    # The public check: a database read and an Ed25519 signature check over the stored record on every
    # request; the page around it is drawn once (course/fast/shells.py).
    Target(
        "certificate verify (anonymous)",
        "/verify/{certificate_id}",
        certificate="public",
        expect_text=("status-title", "certificate-facts"),
        min_ratio=0.1,
        previous="≥0.10×",
    ),
)

# --------------------------------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "latest.json"
BENCH_EMAIL = "bench@example.org"
BENCH_PASSWORD = "benchmark-password-123"
LOOPBACK = "127.0.0.1"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", ""}
SETUP_TIMEOUT_S = 180.0
START_TIMEOUT_S = 60.0
REQUEST_TIMEOUT_S = 10.0
LOAD_TIMEOUT_S = 2.0  # under load, a request not answered within this counts as a timeout (wrk's default)
VERIFY_REQUESTS = 3
DRIFT_WARNING = 0.15  # floor measurements further apart than this mean the machine was not quiet
DEFAULT_ROUNDS = 3
DEFAULT_DURATION_S = 10.0
DEFAULT_WARMUP_S = 2.0  # first round: the servers start cold
DEFAULT_ROUND_WARMUP_S = 1.0  # later rounds and the end floor: the servers are warm, this only refills the pipes
SETUP_ESTIMATE_S = 30.0  # seeding, server start, login, the app-side helper's calls: rough, for the estimate only
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/course_bench"
# First requests: each page's first request in a freshly started server, under `flask run` and gunicorn.
FIRST_REQUEST_MAX_MS = 200.0
FIRST_REQUEST_TIMEOUT_S = 60.0
FIRST_REQUEST_START_ESTIMATE_S = 10.0  # one start, readiness, quiet and the request: for the estimate only
QUIET_SAMPLE_S = 0.5  # the server counts as idle once its processes used less than QUIET_CPU_SHARE of a CPU
QUIET_CPU_SHARE = 0.05  # in each of QUIET_SAMPLES samples of QUIET_SAMPLE_S in a row (a warm-up has finished) ...
QUIET_SAMPLES = 2  # (one quiet sample could be a busy thread that a loaded machine did not let run)
QUIET_TIMEOUT_S = 30.0  # ... or after this long, whichever comes first
MAX_WORKER_RSS_MB = 150.0  # resident memory of each gunicorn worker of the app, after the load
# Environment the app reads; inherited values are dropped so a developer's shell cannot change the run.
APP_ENV_NAMES = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "FLASK_APP", "FLASK_DEBUG")


class BenchError(RuntimeError):
    """The benchmark could not be set up or a page answered wrongly: the numbers would mean nothing."""


@dataclass
class Options:
    rounds: int
    duration: float
    warmup: float
    round_warmup: float
    connections: int
    threads: int
    workers: int
    worker_class: str
    worker_threads: int | None
    database_url: str | None
    databases: list[str]
    app: str
    client: Literal["auto", "wrk", "python"]
    lang: str
    only: list[str]
    json_path: Path
    keep_tmp: bool
    no_fail: bool
    first_request: bool

    def postgres_url(self, database: str) -> str | None:
        """The PostgreSQL URL of the run (None for SQLite: a temporary file)."""
        return (self.database_url or DEFAULT_POSTGRES_URL) if database == "postgresql" else None


@dataclass
class LoadResult:
    """What one load run measured; `unexpected` counts responses whose status was not the expected one."""

    requests: int
    seconds: float
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    socket_errors: int = 0
    unexpected: int = 0
    unexpected_statuses: dict[str, int] = field(default_factory=dict)
    exhausted: int = 0  # requests sent after a pool of fresh attempts ran out (also counted as unexpected)
    pool_taken: list[int] = field(default_factory=list)  # pool lines taken per client thread (wrk), or in all
    variants: int = 0  # unique amounts the run used up (PlanVariants): the next run starts this much further


@dataclass(frozen=True)
class Summary:
    """Medians over the rounds (the verdict is decided on these) and the range of the per-round ratios."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float
    ratio: float | None
    ratio_min: float | None
    ratio_max: float | None


@dataclass
class Row:
    """One page across the run: a load result per round and, once evaluated, the ratio of each to its floor."""

    target: Target
    database: str
    label: str = ""  # shown instead of the target's name (the end-of-run floor)
    response_bytes: int = 0
    results: list[LoadResult] = field(default_factory=list)
    ratios: list[float | None] = field(default_factory=list)
    verdict: Literal["PASS", "FAIL", "ERROR", "-"] = "-"
    reasons: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.label or self.target.name

    @property
    def summary(self) -> Summary:
        known = [ratio for ratio in self.ratios if ratio is not None]
        return Summary(
            requests_per_s=median([result.requests_per_s for result in self.results]),
            p50_ms=median([result.p50_ms for result in self.results]),
            p99_ms=median([result.p99_ms for result in self.results]),
            ratio=median(known) if known else None,
            ratio_min=min(known, default=None),
            ratio_max=max(known, default=None),
        )


@dataclass
class FirstRequest:
    """The first request for one page in a freshly started server (see measure_first_requests)."""

    server: str  # "flask run" or "gunicorn"
    page: str
    ready_s: float  # from the start until /healthz answered 200
    quiet_s: float  # from the start until the server's processes went idle (or QUIET_TIMEOUT_S)
    quiet: bool  # False: still busy after QUIET_TIMEOUT_S, measured anyway
    ms: float | None = None
    status: int | None = None
    verdict: Literal["PASS", "FAIL", "ERROR"] = "ERROR"
    reason: str = ""


@dataclass
class Memory:
    """Resident memory (VmRSS) of the gunicorn processes after the load rounds, in MB."""

    workers_mb: list[float]
    master_mb: float | None
    floor_workers_mb: list[float]  # the hello floor's workers: what Flask and gunicorn alone take
    verdict: Literal["PASS", "FAIL", "ERROR"] = "ERROR"
    reason: str = ""


@dataclass
class Measured:
    """Everything one run measured on one database: the floor and the targets (a result per round each), the
    end floor, the app workers' memory after the load and the first requests after a start."""

    database: str
    floor: Row
    pages: list[Row]
    end: Row
    memory: Memory | None = None
    first_requests: list[FirstRequest] = field(default_factory=list)
    context: dict[str, object] = field(default_factory=dict)

    @property
    def rows(self) -> list[Row]:
        return [self.floor, *self.pages, self.end]

    @property
    def failed(self) -> bool:
        verdicts = [row.verdict for row in self.rows] + [first.verdict for first in self.first_requests]
        verdicts += [self.memory.verdict] if self.memory else []
        return any(verdict in ("FAIL", "ERROR") for verdict in verdicts)


@dataclass
class Session:
    """The learner's cookies and a CSRF token valid for them (for POST targets)."""

    cookie_header: str
    csrf_token: str


# --- command line ---------------------------------------------------------------------------------------------


def load_seconds(rounds: int, pages: int, duration: float, warmup: float, round_warmup: float) -> float:
    """Seconds spent loading: `pages` (floor included) per round, the first round warmed up longer, the end floor."""
    first = pages * (warmup + duration)
    later = (rounds - 1) * pages * (round_warmup + duration)
    return first + later + round_warmup + duration


def first_request_seconds(pages: int) -> float:
    """Seconds for the first-request measurement of one database: a fresh start per server mode and page."""
    return len(FIRST_REQUEST_SERVERS) * pages * FIRST_REQUEST_START_ESTIMATE_S


def format_seconds(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def run_time_help() -> str:
    pages, rounds, duration = len(TARGETS), DEFAULT_ROUNDS, DEFAULT_DURATION_S
    first, later = DEFAULT_WARMUP_S + duration, DEFAULT_ROUND_WARMUP_S + duration
    seconds = load_seconds(rounds, pages, duration, DEFAULT_WARMUP_S, DEFAULT_ROUND_WARMUP_S)
    starts = first_request_seconds(len(FIRST_REQUEST_PAGES))
    per_database = seconds + SETUP_ESTIMATE_S + starts
    return (
        f"Run time, per database: set-up (about {SETUP_ESTIMATE_S:g} s), then in each round the floor and every "
        "target, each warm-up + duration (--warmup in the first round, --round-warmup after), then the floor once "
        f"more; then {len(FIRST_REQUEST_SERVERS) * len(FIRST_REQUEST_PAGES)} fresh server starts for the first "
        f"requests (about {format_seconds(starts)}). With the defaults: {pages} pages × {first:g} s + "
        f"{rounds - 1} × {pages} pages × {later:g} s + {later:g} s = {format_seconds(seconds)} of load, about "
        f"{format_seconds(per_database)} per database and {format_seconds(per_database * len(DATABASES))} for "
        "both, plus 20–40 s per database in which the app makes open attempts for the submission target. It "
        "grows linearly with --rounds, --duration, the number of targets (--only measures fewer) and of "
        "--databases; every run prints its own estimate first."
    )


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        description="Benchmark the course app against a hello-world Flask floor (see bench/README.md).",
        epilog=run_time_help(),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=DEFAULT_ROUNDS,
        help="rounds of (floor, then every target); ratios use the same round's floor, the verdict the medians",
    )
    parser.add_argument(
        "--duration", type=float, default=DEFAULT_DURATION_S, help="seconds of measured load per target and round"
    )
    parser.add_argument(
        "--warmup", type=float, default=DEFAULT_WARMUP_S, help="seconds of unmeasured load per target, first round"
    )
    parser.add_argument(
        "--round-warmup",
        type=float,
        default=DEFAULT_ROUND_WARMUP_S,
        help="seconds of unmeasured load per target in later rounds and before the end floor (at most --warmup)",
    )
    parser.add_argument("--connections", "-c", type=int, default=32, help="concurrent connections (wrk -c)")
    parser.add_argument("--threads", "-t", type=int, default=2, help="load-generator threads (wrk -t)")
    parser.add_argument("--workers", "-w", type=int, default=2, help="gunicorn worker processes per server")
    parser.add_argument("--worker-class", "-k", default="sync", help="gunicorn worker class (sync, gthread, ...)")
    parser.add_argument("--worker-threads", type=int, default=None, help="gunicorn --threads (for gthread)")
    parser.add_argument(
        "--databases",
        default=None,
        help="comma-separated databases to run one after the other, each with its own table: sqlite, postgresql "
        "(default: both; only postgresql when --database-url is given alone)",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="PostgreSQL URL on loopback for the postgresql run; the database is dropped and re-created, so its "
        f"name must contain 'bench' (default {DEFAULT_POSTGRES_URL})",
    )
    parser.add_argument(
        "--app",
        default="wsgi:app",
        help="WSGI app gunicorn serves (module:name, importable from the project root or PYTHONPATH), "
        "e.g. to measure a variant; the database set-up always uses the project's wsgi",
    )
    parser.add_argument(
        "--client",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="load generator: wrk if installed (auto), or the built-in Python one",
    )
    parser.add_argument("--lang", default="de", help="Accept-Language sent with every request")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="measure only targets whose name contains NAME (repeatable); the hello floor is always measured",
    )
    parser.add_argument("--json", dest="json_path", type=Path, default=RESULTS, help="where to write the results")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temporary folder (database, logs)")
    parser.add_argument("--no-fail", action="store_true", help="report only: exit 0 even when a target fails")
    parser.add_argument(
        "--no-first-request",
        dest="first_request",
        action="store_false",
        help="skip the first requests after a fresh start (flask run and gunicorn); measured: %(default)s",
    )
    args = parser.parse_args(argv)
    if args.databases is None:
        args.databases = "postgresql" if args.database_url else ",".join(DATABASES)
    args.databases = [name.strip() for name in args.databases.split(",") if name.strip()]
    unknown = sorted(set(args.databases) - set(DATABASES))
    if unknown or not args.databases or len(set(args.databases)) != len(args.databases):
        parser.error(f"--databases: a comma-separated list of {', '.join(DATABASES)}, each once")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.duration <= 0 or args.warmup < 0 or args.round_warmup < 0:
        parser.error("--duration must be positive, --warmup and --round-warmup not negative")
    args.round_warmup = min(args.round_warmup, args.warmup)
    if args.connections < 1 or args.threads < 1 or args.connections < args.threads:
        parser.error("need at least one connection per load-generator thread")
    if args.database_url and "postgresql" not in args.databases:
        parser.error("--database-url is the postgresql run's database, but --databases does not include postgresql")
    if "postgresql" in args.databases:
        check_loopback_database(args.database_url or DEFAULT_POSTGRES_URL, parser)
    return Options(**vars(args))


def check_loopback_database(url: str, parser: argparse.ArgumentParser) -> None:
    """Only loopback PostgreSQL with a 'bench' database: the runner drops it, and must never reach elsewhere."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("postgres"):
        parser.error("--database-url must be a postgresql:// URL (SQLite is the default)")
    host = parsed.host or ""
    if host not in LOOPBACK_HOSTS and not host.startswith("/"):
        parser.error(f"--database-url must point at loopback or a local socket, not {host!r}")
    if not parsed.database or "bench" not in parsed.database:
        parser.error("--database-url: the database is dropped and re-created, so its name must contain 'bench'")


# --- set-up: database and servers -----------------------------------------------------------------------------


def app_env(database_url: str, instance: Path) -> dict[str, str]:
    """The app's configuration for this run: throw-away secret and instance folder, plain-HTTP cookies."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("COURSE_") and name not in APP_ENV_NAMES
    }
    env.update(
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=database_url,
        COURSE_INSTANCE_PATH=str(instance),
        COURSE_PUBLIC_URL=f"http://{LOOPBACK}",  # required in production; the bench never follows absolute URLs
        COURSE_SESSION_COOKIE_SECURE="false",
        COURSE_REMEMBER_COOKIE_SECURE="false",
        COURSE_LOGIN_RATE_LIMIT="100000 per minute",
    )
    return env


def reset_postgres(url: str) -> None:
    """Drop and re-create the benchmark database so every run starts from the same seed."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = target.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
            name = sql.Identifier(str(target.database))
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
    except psycopg.Error as error:
        raise BenchError(f"cannot reset the PostgreSQL database: {error}") from error


def seed(env: dict[str, str]) -> None:
    """Schema, the bundled course and one learner, through the app's own CLI (as an operator would)."""
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    steps: list[tuple[list[str], str | None]] = [
        ([*flask, "db", "upgrade"], None),
        ([*flask, "course", "import"], None),
        ([*flask, "users", "create", BENCH_EMAIL, "--role", "learner", "--password-stdin"], BENCH_PASSWORD + "\n"),
    ]
    for command, stdin in steps:
        try:
            done = subprocess.run(
                command, cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=SETUP_TIMEOUT_S
            )
        except subprocess.TimeoutExpired as error:
            raise BenchError(f"set-up step timed out: {' '.join(command[2:])}") from error
        if done.returncode != 0:
            raise BenchError(f"set-up step failed: {' '.join(command[2:])}\n{done.stdout}{done.stderr}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


class Server:
    """One gunicorn (or `flask run`) in its own process group, so stopping it also stops every worker it forked."""

    def __init__(
        self,
        name: str,
        app_spec: str,
        env: dict[str, str],
        options: Options,
        log_dir: Path,
        *,
        workers: int | None = None,
        flask_run: bool = False,
    ) -> None:
        self.name = name
        self.port = free_port()
        self.log_path = log_dir / f"{re.sub(r'[^a-z0-9]+', '-', name.lower())}.log"
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        if flask_run:  # the development server as `flask run` starts it, without the debugger and the reloader
            self.command = [sys.executable, "-m", "flask", "--app", app_spec, "run"]
            self.command += ["--host", LOOPBACK, "--port", str(self.port), "--no-debugger", "--no-reload"]
            return
        self.command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"{LOOPBACK}:{self.port}",
            "--workers",
            str(workers or options.workers),
            "--worker-class",
            options.worker_class,
            "--no-control-socket",  # two servers at once would fight over the default control socket
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
            *(["--threads", str(options.worker_threads)] if options.worker_threads else []),
            app_spec,
        ]

    def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        """Poll /healthz until it answers 200; fail early with the log if gunicorn died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise BenchError(f"{self.name} server exited during start-up:\n{self.log_tail()}")
            with suppress(OSError, http.client.HTTPException):
                if fetch(self.port, "GET", "/healthz", {}, timeout=2.0)[0] == 200:
                    return
            time.sleep(0.1)
        raise BenchError(f"{self.name} server not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def wait_quiet(self) -> bool:
        """Wait until the server's processes used less than QUIET_CPU_SHARE of a CPU in QUIET_SAMPLES samples in a
        row (a warm-up thread is done); False if they were still busy after QUIET_TIMEOUT_S."""
        assert self.process is not None
        deadline = time.monotonic() + QUIET_TIMEOUT_S
        before, quiet_samples = group_cpu_seconds(self.process.pid), 0
        while time.monotonic() < deadline:
            time.sleep(QUIET_SAMPLE_S)
            now = group_cpu_seconds(self.process.pid)
            quiet_samples = quiet_samples + 1 if now - before < QUIET_CPU_SHARE * QUIET_SAMPLE_S else 0
            if quiet_samples == QUIET_SAMPLES:
                return True
            before = now
        return False

    def workers(self) -> list[int]:
        """Process ids of gunicorn's workers: the master's children."""
        assert self.process is not None
        return children(self.process.pid)

    def stop(self) -> None:
        """SIGTERM the whole group, then SIGKILL whatever is left after a few seconds."""
        if self.process is None or self.process.returncode is not None:
            return
        for sig, grace in ((signal.SIGTERM, 8.0), (signal.SIGKILL, 5.0)):
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                continue
            break
        with suppress(ProcessLookupError):  # orphaned workers, if the master died first
            os.killpg(self.process.pid, signal.SIGKILL)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state, ppid, pgrp, …), or None once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def all_pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def children(parent: int) -> list[int]:
    return sorted(pid for pid in all_pids() if (fields := proc_stat(pid)) and int(fields[1]) == parent)


def group_cpu_seconds(group: int) -> float:
    """User + system CPU time of every live process in a process group."""
    ticks = 0
    for pid in all_pids():
        fields = proc_stat(pid)
        if fields and int(fields[2]) == group:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process (VmRSS), in MB; None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else None


def measure_memory(app: Server, floor: Server) -> Memory:
    """VmRSS of each app worker (held to MAX_WORKER_RSS_MB), the master's, and the floor's workers for scale."""
    assert app.process is not None
    workers = [mb for pid in app.workers() if (mb := rss_mb(pid)) is not None]
    memory = Memory(
        workers_mb=workers,
        master_mb=rss_mb(app.process.pid),
        floor_workers_mb=[mb for pid in floor.workers() if (mb := rss_mb(pid)) is not None],
    )
    if not workers:
        memory.reason = "no app worker found (children of the gunicorn master)"
    elif max(workers) > MAX_WORKER_RSS_MB:
        memory.verdict, memory.reason = "FAIL", f"largest worker {max(workers):.1f} MB > {MAX_WORKER_RSS_MB:.0f} MB"
    else:
        memory.verdict = "PASS"
    return memory


@contextmanager
def running(servers: Sequence[Server]) -> Iterator[None]:
    """Start all servers and stop every one of them however the block ends."""
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready()
        yield
    finally:
        for server in servers:
            server.stop()


# --- HTTP: one request, login, verification -------------------------------------------------------------------


def fetch(
    port: int,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes | None = None,
    timeout: float = REQUEST_TIMEOUT_S,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def update_cookies(jar: dict[str, str], headers: http.client.HTTPMessage) -> None:
    for line in headers.get_all("Set-Cookie") or []:
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(line)
        for name, morsel in cookie.items():
            if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                jar.pop(name, None)
            else:
                jar[name] = morsel.value


def cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in jar.items())


CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


def login(port: int, lang: str) -> Session:
    """Log the learner in through the real form, as a browser would: GET for the token, POST, keep the cookie."""
    jar: dict[str, str] = {}
    status, headers, body = fetch(port, "GET", "/auth/login", {"Accept-Language": lang})
    update_cookies(jar, headers)
    match = CSRF_INPUT.search(body.decode("utf-8", "replace"))
    if status != 200 or match is None:
        raise BenchError(f"GET /auth/login answered {status} without a csrf_token field")
    token = match.group(1)
    form = urlencode({"csrf_token": token, "email": BENCH_EMAIL, "password": BENCH_PASSWORD, "next": "/"})
    status, headers, body = fetch(
        port,
        "POST",
        "/auth/login",
        {
            "Accept-Language": lang,
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie_header(jar),
        },
        form.encode(),
    )
    update_cookies(jar, headers)
    if status != 302 or "session" not in jar:
        snippet = body.decode("utf-8", "replace")[:300]
        raise BenchError(f"POST /auth/login answered {status} (expected 302 with a session cookie): {snippet}")
    # The login drops the token seen before it; the logged-in home page's forms carry the session's new one.
    status, headers, body = fetch(port, "GET", "/", {"Accept-Language": lang, "Cookie": cookie_header(jar)})
    update_cookies(jar, headers)
    text = body.decode("utf-8", "replace")
    match = CSRF_INPUT.search(text)
    if status != 200 or LOGGED_IN_MARK not in text or match is None:
        raise BenchError(f"GET / after the login answered {status} without the log-out form and its csrf_token")
    return Session(cookie_header(jar), match.group(1))


@dataclass(frozen=True)
class Request:
    """A target made concrete for one server and session: exactly what every load request sends."""

    port: int
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    expect_status: int
    expect_location: str | None = None
    # A pool of fresh attempts: one line per request, "path<TAB>Cookie header<TAB>form body"; each line is sent
    # at most once, and `path`, `body` and the cookie above are then only the pool's first line.
    pool: Path | None = None
    # Plan variants: "{amount}" in `body` becomes `amount_cents` + k cents, k = variant_start, variant_start + 1, …
    # (each k once), written as euros with two decimals.
    amount_cents: int | None = None
    variant_start: int = 0

    def variant_body(self, number: int) -> bytes:
        """The body of the `number`-th request of a run with plan variants."""
        assert self.body is not None and self.amount_cents is not None
        return self.body.replace(b"{amount}", amount_text(self.amount_cents + self.variant_start + number).encode())


def amount_text(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def build_request(
    target: Target,
    port: int,
    session: Session,
    lang: str,
    attempt_id: int | None = None,
    certificate: dict[str, str] | None = None,
) -> Request:
    headers = {"Accept-Language": lang}
    if target.login:
        headers["Cookie"] = session.cookie_header
    if target.certificate is not None:
        if certificate is None:
            raise BenchError(f"{target.name}: no certificate was issued for the run")
        if target.certificate == "owner":
            headers["Cookie"] = certificate["cookie"]
        return Request(
            port,
            target.method,
            target.path.replace("{certificate_id}", certificate["public_id"]),
            headers,
            None,
            target.expect_status,
        )
    body = None
    if target.body is not None:
        body = target.body.replace("{csrf_token}", session.csrf_token).encode()
        headers["Content-Type"] = target.content_type
    if target.csrf_header:
        headers["X-CSRFToken"] = session.csrf_token
    path = target.path.replace("{attempt_id}", str(attempt_id)) if attempt_id is not None else target.path
    cents = round(target.unique_amount * 100) if target.unique_amount is not None else None
    return Request(
        port, target.method, path, headers, body, target.expect_status, target.expect_location, amount_cents=cents
    )


def verify(target: Target, request: Request) -> int:
    """A few plain requests before any load: a wrong status or missing content stops the run. Returns size."""
    size = 0
    for _ in range(VERIFY_REQUESTS):
        status, headers, body = fetch(request.port, request.method, request.path, request.headers, request.body)
        text = body.decode("utf-8", "replace")
        if status != target.expect_status:
            raise BenchError(
                f"{target.name}: {target.method} {request.path} answered {status}, expected {target.expect_status}"
            )
        location = headers.get("Location", "")
        if target.expect_location is not None and not location.endswith(target.expect_location):
            raise BenchError(f"{target.name}: redirected to {location!r}, expected …{target.expect_location}")
        missing = [needle for needle in target.expect_text if needle not in text]
        if missing:
            raise BenchError(f"{target.name}: response lacks {missing!r} (not logged in, or the page changed?)")
        size = len(body)
    return size


def verify_variants(target: Target, request: Request, variants: PlanVariants, env: dict[str, str]) -> int:
    """A few plan variants one by one: each must answer as expected with a result of its own; and in the app's
    own process the variants must miss the evaluation memo (and a repeat hit it). Returns a response's size."""
    if request.body is None or b"{amount}" not in request.body:
        raise BenchError(f"{target.name}: the body has no {{amount}} to vary")
    planned = variants.request_for(request)
    results, size = set(), 0
    for number in range(VERIFY_REQUESTS):
        body = planned.variant_body(number)
        status, _headers, content = fetch(request.port, request.method, request.path, request.headers, body)
        text = content.decode("utf-8", "replace")
        if status != target.expect_status or any(needle not in text for needle in target.expect_text):
            raise BenchError(f"{target.name}: a plan variant answered {status}: {text[:300]}")
        results.add(json.dumps(json.loads(text)["result"], sort_keys=True))
        size = len(content)
    variants.used(VERIFY_REQUESTS)
    if len(results) != VERIFY_REQUESTS:
        raise BenchError(f"{target.name}: {VERIFY_REQUESTS} plan variants gave {len(results)} different result(s)")
    template = variants.work / "variant-body.json"
    template.write_bytes(request.body)
    check = run_quiz_tool(env, "--memo-check", str(template), "--amount-cents", str(request.amount_cents))["memo"]
    if check["misses"] != check["variants"] or check["repeat_hits"] != 1:
        raise BenchError(f"{target.name}: the plan variants do not each miss the evaluation memo: {check}")
    print(
        f"{target.name}: {check['misses']} of {check['variants']} plan variants missed the evaluation memo "
        "in the app's own code, a repeat hit it",
        flush=True,
    )
    return size


@dataclass
class PlanVariants:
    """Hands every load run of a plan-variant target amounts no earlier run (or check) of the target sent."""

    work: Path
    next: int = 0

    def request_for(self, base: Request) -> Request:
        return replace(base, variant_start=self.next)

    def used(self, count: int) -> None:
        self.next += count


def verify_submissions(target: Target, request: Request, attempts: AttemptPool) -> int:
    """Submit a few attempts of a fresh pool one by one: each must redirect to its own review, which says passed.

    Returns the size of a submission's response. The database check of the pool follows with the next pool.
    """
    assert request.pool is not None
    size = 0
    for line in request.pool.read_text().splitlines():
        path, cookie, body = line.split("\t")
        headers = {**request.headers, "Cookie": cookie}
        status, response, content = fetch(request.port, "POST", path, headers, body.encode())
        location = urlsplit(response.get("Location", "")).path
        if status != target.expect_status or location != f"{path}/review":
            raise BenchError(f"{target.name}: POST {path} answered {status} → {location!r}, expected 302 → review")
        status, _headers, review = fetch(request.port, "GET", location, {**request.headers, "Cookie": cookie})
        if status != 200 or 'class="result result--passed"' not in review.decode("utf-8", "replace"):
            raise BenchError(f"{target.name}: the review {location} answered {status} without a passed result")
        size = len(content)
    attempts.expect(request.pool, submitted=VERIFY_REQUESTS, slack=0)
    return size


# --- quiz attempts: the learner's open attempt, and pools of fresh ones to submit --------------------------------
#
# A submission closes its attempt, so a load of submissions needs one open attempt per request. Before every load
# run of such a target (warm-ups included) the runner has the app top up a pool: new learners, each with one open
# attempt started by the app's own start_attempt, a session cookie and CSRF token made by the app's own login_user
# and generate_csrf (a login through the form costs a scrypt hash each), and the right answers for that attempt's
# layout. The load client sends every line at most once. Afterwards the database must show the ones it sent as
# submitted, all graded 100 %. The app-side helper is this file run as `python -m bench.run quiz-tool …` in the
# app's environment, so the runner itself never imports the app.

QUIZ_TOOL = "quiz-tool"
# A pool holds enough attempts for the coming run at the larger of two rates: the fastest earlier run of the
# target × POOL_MARGIN, and the round's floor × POOL_FLOOR_SHARE (which sizes the first pools: a cold warm-up is
# a poor guide). A page faster than both runs out of attempts: an ERROR, never a wrong figure.
POOL_MARGIN = 2.0
POOL_FLOOR_SHARE = 0.4
POOL_EXHAUSTED_PATH = "/bench-pool-exhausted"  # requested when a pool ran out: a 404, counted as unexpected
# The quiz tool makes about 250 attempts/s (December 2026: 3–5 ms each, most of it the attempt's and the session's
# inserts); a first pool for a long run can hold 100,000. Its time limit grows with what it makes, at 5× that cost.
MAKE_SECONDS_EACH = 0.02


def run_quiz_tool(env: dict[str, str], *args: str, making: int = 0) -> dict:
    """The app-side helper's report; `making`: how many attempts it makes, which its time limit allows for."""
    command = [sys.executable, "-m", "bench.run", QUIZ_TOOL, *args]
    timeout = SETUP_TIMEOUT_S + making * MAKE_SECONDS_EACH
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"quiz tool timed out: {' '.join(args)}") from error
    if done.returncode != 0:
        raise BenchError(f"quiz tool failed: {' '.join(args)}\n{done.stdout}{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def open_attempt(port: int, session: Session, lang: str, env: dict[str, str]) -> int:
    """The learner starts QUIZ_ID on its quiz page, then saves every answer (right) and checks question 1."""
    headers = {"Accept-Language": lang, "Cookie": session.cookie_header}
    form_headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
    start = f"/courses/{COURSE_ID}/quizzes/{QUIZ_ID}/attempts"
    status, _headers, body = fetch(port, "GET", f"/courses/{COURSE_ID}/quizzes/{QUIZ_ID}", headers)
    if status != 200 or f'action="{start}"' not in body.decode("utf-8", "replace"):
        raise BenchError(f"the quiz page of {QUIZ_ID} answered {status} without the form to start it")
    token = urlencode({"csrf_token": session.csrf_token})
    status, response, _body = fetch(port, "POST", start, form_headers, token.encode())
    match = re.fullmatch(r"(?:https?://[^/]+)?/attempts/(\d+)", response.get("Location", ""))
    if status != 302 or match is None:
        raise BenchError(f"starting {QUIZ_ID} answered {status} → {response.get('Location')!r}")
    attempt_id = int(match.group(1))
    answers = run_quiz_tool(env, "--answers-for", str(attempt_id), "--lang", lang)["body"]
    form = f"{token}&{answers}&check=1"
    status, response, _body = fetch(port, "POST", f"/attempts/{attempt_id}", form_headers, form.encode())
    if status != 302 or not response.get("Location", "").endswith(f"/attempts/{attempt_id}#q1"):
        raise BenchError(f"checking question 1 answered {status} → {response.get('Location')!r}")
    return attempt_id


@dataclass
class AttemptPool:
    """The open attempts a submission target sends: topped up before each load run, checked in the database after.

    Lines the client never took (it stops mid-pool) are still open attempts: they carry over to the next run, so
    each run only makes what the one before used. The lines it took go to a "sent" file for the database check.
    """

    env: dict[str, str]
    work: Path
    lang: str
    connections: int
    fastest: float = 0.0  # requests/s of the fastest run of this target so far
    runs: int = 0
    spare: list[str] = field(default_factory=list)  # lines no request has taken: their attempts are still open
    pending: list[tuple[Path, int, int]] = field(default_factory=list)  # (sent lines, submissions counted, slack)

    def request_for(self, base: Request, seconds: float, floor_rate: float, *, size: int | None = None) -> Request:
        """A request whose pool holds enough open attempts for `seconds` of load (see POOL_MARGIN)."""
        if size is None:
            rate = max(self.fastest * POOL_MARGIN, floor_rate * POOL_FLOOR_SHARE)
            size = math.ceil(rate * seconds) + 2 * self.connections
        self.runs += 1
        pool = self.work / f"attempts-{self.runs}.tsv"
        lines, self.spare = self.spare, []
        if (missing := size - len(lines)) > 0:
            fresh = self.work / f"attempts-{self.runs}-new.tsv"
            self._tool("--make", str(missing), "--out", str(fresh), "--lang", self.lang, making=missing)
            lines += fresh.read_text().splitlines()
            fresh.unlink()
        pool.write_text("".join(f"{line}\n" for line in lines))
        path, cookie, body = lines[0].split("\t")
        headers = {**base.headers, "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        return replace(base, path=path, headers=headers, body=body.encode(), pool=pool)

    def after_load(self, request: Request, result: LoadResult) -> None:
        """Keep the lines the client did not take; the taken ones must show as submitted (see `expect`)."""
        assert request.pool is not None
        lines = request.pool.read_text().splitlines()
        slices = len(result.pool_taken) or 1  # wrk: thread t of N took lines t, t + N, … ; Python: one slice
        taken = {
            slice_number + slices * step
            for slice_number, count in enumerate(result.pool_taken)
            for step in range(count)
        }
        self.spare = [line for number, line in enumerate(lines) if number not in taken]
        sent = request.pool.with_suffix(".sent.tsv")
        sent.write_text("".join(f"{line}\n" for number, line in enumerate(lines) if number in taken))
        # Requests in flight when the client stopped (or that timed out) may have been submitted too; wrk also
        # takes one line at start-up to check its script, without sending it.
        good = result.requests - result.unexpected
        self.expect(sent, submitted=good, slack=self.connections + result.socket_errors)
        self.fastest = max(self.fastest, result.requests_per_s)

    def expect(self, sent: Path, *, submitted: int, slack: int) -> None:
        """Between `submitted` and `submitted + slack` of the attempts in `sent` must be submitted, all at 100 %."""
        self.pending.append((sent, submitted, slack))

    def finish(self) -> None:
        """Check what is still unchecked (each tool call also checks what is pending before making attempts)."""
        if self.pending:
            self._tool()

    def _tool(self, *args: str, making: int = 0) -> None:
        checks = [item for sent, _count, _slack in self.pending for item in ("--check", str(sent))]
        report = run_quiz_tool(self.env, *checks, *args, making=making)
        for (sent, count, slack), found in zip(self.pending, report.get("checked", []), strict=True):
            what = f"{sent.name}: {found['submitted']} of the {found['attempts']} attempts sent are submitted"
            if not count <= found["submitted"] <= count + slack:
                raise BenchError(f"{what}, but the client counted {count} submissions (+ up to {slack} in flight)")
            if found["full_marks"] != found["submitted"]:
                raise BenchError(f"{what}, only {found['full_marks']} of them passed with 100 %")
        self.pending.clear()


def quiz_tool(argv: Sequence[str]) -> int:
    """The app-side helper (runs in the app's environment): answers for an attempt, new pools, pool checks,
    and a certificate for the certificate targets.

    Prints one JSON line: {"body": …} for --answers-for, {"made": n} for --make, {"checked": [{…}, …]},
    {"certificate": {"public_id": …, "cookie": …}} for --certificate.
    """
    parser = argparse.ArgumentParser(prog=f"python -m bench.run {QUIZ_TOOL}")
    parser.add_argument("--lang", default="de")
    parser.add_argument("--answers-for", type=int, metavar="ATTEMPT_ID", help="print the right answers' form body")
    parser.add_argument("--check", type=Path, action="append", default=[], metavar="POOL", help="count submitted")
    parser.add_argument("--make", type=int, default=0, metavar="N", help="make N learners with an open attempt")
    parser.add_argument("--out", type=Path, help="where --make writes the pool")
    parser.add_argument("--certificate", action="store_true", help="a learner who completed the course, certified")
    parser.add_argument("--memo-check", type=Path, metavar="BODY", help="do plan variants of BODY miss the memo?")
    parser.add_argument("--amount-cents", type=int, default=0, help="the first variant's amount, for --memo-check")
    args = parser.parse_args(argv)
    if args.make and args.out is None:
        parser.error("--make needs --out")
    if args.memo_check:
        print(json.dumps({"memo": memo_check(args.memo_check.read_text(), args.amount_cents)}))
        return 0

    from flask import g, session
    from flask_login import UserMixin, login_user
    from flask_wtf.csrf import generate_csrf
    from sqlalchemy import insert, select
    from werkzeug.security import generate_password_hash

    from course.auth.operations import start_session
    from course.extensions import db
    from course.models import QuizAttempt, User
    from course.publishing.cache import catalog
    from course.quiz import operations
    from wsgi import app

    class PoolLearner(UserMixin):
        """A learner with a server-side session, as the login view leaves one (`<user id>:<token>`)."""

        def __init__(self, session_id: str) -> None:
            self.session_id = session_id

        def get_id(self) -> str:
            return self.session_id

    report: dict[str, object] = {}
    with app.app_context():
        course = catalog().course(COURSE_ID)
        quiz = course.quiz(QUIZ_ID)
        if args.check:
            report["checked"] = [check_pool(db, QuizAttempt, select, path) for path in args.check]
        if args.answers_for is not None:
            attempt = db.session.get(QuizAttempt, args.answers_for)
            if attempt is None or attempt.quiz_id != QUIZ_ID:
                parser.error(f"no attempt {args.answers_for} at {QUIZ_ID}")
            report["body"] = urlencode(right_answers(quiz, attempt.layout, args.lang))
        if args.certificate:
            holder = certified_learner(course, catalog().version, args.lang, app)
        made: list[tuple[str, int, list]] = []
        if args.make:
            tag = secrets.token_hex(6)
            password_hash = generate_password_hash(secrets.token_urlsafe(24))  # nobody logs in with it
            rows = [
                {
                    "email": f"quiz-{tag}-{number}@bench.example.org",
                    "password_hash": password_hash,
                    "display_name": f"Bench learner {number}",
                    "role": "learner",
                    "locale": args.lang,
                }
                for number in range(args.make)
            ]
            db.session.execute(insert(User), rows)
            users = db.session.scalars(select(User).where(User.email.like(f"quiz-{tag}-%")).order_by(User.id)).all()
            for user in users:
                attempt, _created = operations.start_attempt(user, course, quiz)
                start_session(user, remember=False)
                made.append((user.get_id(), attempt.id, attempt.layout))
            db.session.commit()
    if args.certificate:
        public_id = holder[1]
        with app.test_request_context("/", headers={"Accept-Language": args.lang}):
            login_user(PoolLearner(holder[0]))
            cookie = app.session_interface.get_signing_serializer(app).dumps(dict(session))
        report["certificate"] = {"public_id": public_id, "cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}"}
    if made:
        # Each learner's session as the login view leaves it (user id, CSRF secret), signed as Flask signs it.
        # One request context for all: the session is emptied and Flask-WTF's per-request token (kept in `g`)
        # dropped before each learner.
        serializer = app.session_interface.get_signing_serializer(app)
        cookie_name = app.config["SESSION_COOKIE_NAME"]
        context = app.test_request_context("/", headers={"Accept-Language": args.lang})
        with context, args.out.open("w") as out:
            for session_id, attempt_id, layout in made:
                session.clear()
                g.pop("csrf_token", None)
                login_user(PoolLearner(session_id))
                token = generate_csrf()
                cookie = serializer.dumps(dict(session))
                fields = [("csrf_token", token), *right_answers(quiz, layout, args.lang), ("submit", "1")]
                out.write(f"/attempts/{attempt_id}\t{cookie_name}={cookie}\t{urlencode(fields)}\n")
        report["made"] = len(made)
    print(json.dumps(report))
    return 0


def memo_check(template: str, amount_cents: int) -> dict[str, int]:
    """Evaluate VERIFY_REQUESTS plan variants (as PlanVariants makes them) with the app's own plan validation and
    evaluation, then the first once more: how many missed the evaluation memo, and whether the repeat hit it."""
    from course.core import caching
    from course.core.sandbox import evaluation, validate_plan

    def counts() -> tuple[int, int]:
        found = next(stats for stats in caching.stats() if stats.name == "sandbox.evaluations")
        return found.misses, found.hits

    calls = []
    for number in range(VERIFY_REQUESTS):
        body = json.loads(template.replace("{amount}", amount_text(amount_cents + number)))
        plan, problems = validate_plan(body["plan"])
        if plan is None:
            raise BenchError(f"plan variant {number} is not valid: {problems}")
        calls.append((plan, body["scenario"], body["seed"]))
    misses, hits = counts()
    for call in calls:
        evaluation.evaluate(*call)
    after_misses, after_hits = counts()
    evaluation.evaluate(*calls[0])
    return {
        "variants": len(calls),
        "misses": after_misses - misses,
        "repeat_hits": counts()[1] - after_hits,
        "distinct_plans": len({plan for plan, _scenario, _seed in calls}),
    }


def certified_learner(course, version: int, lang: str, app) -> tuple[str, str]:  # noqa: ANN001 - the app's Course and Flask app
    """A new learner with every lesson, quiz and the sandbox done, and the certificate issued as the page does;
    returns the learner's session id (as Flask-Login keeps it) and the certificate's public id."""
    from course.auth.operations import create_user, start_session
    from course.certificates import operations as certificates
    from course.certificates.keys import signing_key
    from course.extensions import db
    from course.models import LessonProgress, QuizResult, SandboxResult

    user = create_user(f"certified-{secrets.token_hex(6)}@bench.example.org", secrets.token_urlsafe(24), "Zoë Ångström")
    db.session.flush()
    db.session.add_all(LessonProgress(user_id=user.id, course_id=course.id, lesson_id=id_) for id_ in course.lesson_ids)
    db.session.add_all(
        QuizResult(user_id=user.id, course_id=course.id, quiz_id=quiz_id, best_percent=95.0, passed=True, attempts=1)
        for quiz_id in course.required_quizzes
    )
    db.session.add(
        SandboxResult(user_id=user.id, course_id=course.id, best_score=85.0, assigned_score=85.0, other_score=85.0)
    )
    start_session(user, remember=False)
    db.session.flush()
    if not certificates.eligible(user, course):
        raise BenchError("the certified bench learner does not meet the completion rule")
    issuer = certificates.Issuer(name="KAM course", url=f"http://{LOOPBACK}")
    with app.test_request_context("/"):
        certificate, _created = certificates.issue(
            user, course, user.display_name, lang, version, issuer, signing_key()
        )
    db.session.commit()
    return user.get_id(), certificate.public_id


def check_pool(db, attempt_model, select, pool: Path) -> dict[str, object]:  # noqa: ANN001 - the app's objects
    """How many of a pool's attempts the database shows submitted, and how many of those scored 100 %."""
    ids = [int(line.split("\t", 1)[0].rsplit("/", 1)[1]) for line in pool.read_text().splitlines()]
    submitted = full = 0
    for start in range(0, len(ids), 5000):
        query = select(attempt_model.status, attempt_model.percent, attempt_model.passed).where(
            attempt_model.id.in_(ids[start : start + 5000])
        )
        for status, percent, passed in db.session.execute(query):
            if status == "submitted":
                submitted += 1
                full += int(bool(passed) and percent == 100)
    return {"pool": pool.name, "attempts": len(ids), "submitted": submitted, "full_marks": full}


def right_answers(quiz, layout: list, lang: str) -> list[tuple[str, str]]:  # noqa: ANN001 - the app's Quiz
    """The form fields that answer every question of an attempt right, as the quiz page's form names them.

    Options are sent as their display position in this attempt (its layout: [[question id, [ids shown]], …]);
    matching prompts as their position in the quiz file, ordering items as position tokens with their place.
    """
    fields: list[tuple[str, str]] = []
    for number, (question_id, order) in enumerate(layout, start=1):
        question, name = quiz.question(question_id), f"q{number}"
        spec, shown = question.spec, list(order)
        if question.type == "single":
            fields.append((name, str(shown.index(next(iter(spec.correct))))))
        elif question.type == "multiple":
            fields += [(name, str(shown.index(option_id))) for option_id in sorted(spec.correct)]
        elif question.type == "truefalse":
            fields.append((name, "true" if spec.answer else "false"))
        elif question.type == "matching":
            prompts = [prompt.id for prompt in spec.prompts]
            fields += [(f"{name}.{prompts.index(p)}", str(shown.index(c))) for p, c in spec.matches]
        elif question.type == "ordering":
            fields += [(f"{name}.{shown.index(item.id)}", str(place)) for place, item in enumerate(spec.items, 1)]
        elif question.type == "numeric":
            best = next(answer for answer in spec.answers if answer.percent == 100)
            value = best.value if best.value is not None else (best.low + best.high) / 2
            text = str(int(value)) if value == int(value) else str(value)
            fields.append((name, text.replace(".", ",") if lang == "de" else text))
        elif question.type == "shorttext":
            fields.append((name, spec.accepted(lang)[0]))
        elif question.type == "blanks":  # a blank's token is its place in the file; its options are shuffled
            for token, blank in enumerate(spec.blanks):
                own = [item.split(".", 1)[1] for item in shown if item.startswith(f"{blank.id}.")]
                right = str(own.index(min(blank.spec.correct))) if own else blank.spec.accepted(lang)[0]
                fields.append((f"{name}.{token}", right))
        else:
            raise BenchError(f"{QUIZ_ID}: no right answer known for question type {question.type!r}")
    return fields


# --- load generators ------------------------------------------------------------------------------------------

WRK_SCRIPT = """\
-- Generated by bench/run.py: sets method and body, counts responses whose status is not the expected one.
wrk.method = {method}
{body}
local threads = {{}}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  unexpected = 0
  last_unexpected = 0
end
function response(status, headers, body)
  if status ~= {expect} then
    unexpected = unexpected + 1
    last_unexpected = status
  end
end
function done(summary, latency, requests)
  local bad, last = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("unexpected")
    if thread:get("last_unexpected") ~= 0 then last = thread:get("last_unexpected") end
  end
  io.write(string.format("BENCH_STATUS unexpected=%d last=%d\\n", bad, last))
end
"""


WRK_POOL_SCRIPT = """\
-- Generated by bench/run.py: every request sends the next line of a pool of fresh attempts, each line once
-- (thread n of N takes lines n, n+N, ...); counts unexpected statuses, wrong redirects and requests after the
-- thread's share of the pool ran out.
local pool_file, expect_location, content_type = {pool}, {location}, {content_type}
local thread_count = {threads}
local threads = {{}}
function setup(thread)
  table.insert(threads, thread)
  thread:set("number", #threads - 1)
end
function init(args)
  unexpected, last_unexpected, exhausted, wrong_location = 0, 0, 0, 0
  entries, next_entry = {{}}, 1
  local index = 0
  for line in io.lines(pool_file) do
    if index % thread_count == number then
      local path, cookie, body = line:match("^([^\\t]*)\\t([^\\t]*)\\t(.*)$")
      table.insert(entries, {{path, cookie, body}})
    end
    index = index + 1
  end
end
function request()
  local entry = entries[next_entry]
  if entry == nil then
    exhausted = exhausted + 1
    return wrk.format("GET", {exhausted_path})
  end
  next_entry = next_entry + 1
  local headers = {{}}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Cookie"] = entry[2]
  headers["Content-Type"] = content_type
  return wrk.format({method}, entry[1], headers, entry[3])
end
function response(status, headers, body)
  local location = headers["Location"] or headers["location"] or ""
  if status ~= {expect} then
    unexpected = unexpected + 1
    last_unexpected = status
  elseif expect_location ~= "" and location:sub(-#expect_location) ~= expect_location then
    wrong_location = wrong_location + 1
  end
end
function done(summary, latency, requests)
  local bad, last, out, wrong, taken = 0, 0, 0, 0, {{}}
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("unexpected")
    out = out + thread:get("exhausted")
    wrong = wrong + thread:get("wrong_location")
    table.insert(taken, tostring(thread:get("next_entry") - 1))
    if thread:get("last_unexpected") ~= 0 then last = thread:get("last_unexpected") end
  end
  io.write(string.format("BENCH_STATUS unexpected=%d last=%d\\n", bad, last))
  io.write(string.format("BENCH_POOL exhausted=%d wrong_location=%d taken=%s\\n", out, wrong, table.concat(taken, ",")))
end
"""


WRK_VARIANTS_SCRIPT = """\
-- Generated by bench/run.py: every request's body is a new plan ({{amount}} replaced by an amount in cents that no
-- other request sent: thread n of N sends start + n, start + n + N, ...); counts unexpected statuses.
wrk.method = {method}
local head, tail, first_cents = {head}, {tail}, {first_cents}
local thread_count = {threads}
local threads = {{}}
function setup(thread)
  table.insert(threads, thread)
  thread:set("number", #threads - 1)
end
function init(args)
  unexpected, last_unexpected, sent = 0, 0, 0
end
function request()
  local cents = first_cents + number + thread_count * sent
  sent = sent + 1
  local amount = string.format("%d.%02d", math.floor(cents / 100), cents % 100)
  return wrk.format(nil, nil, nil, head .. amount .. tail)
end
function response(status, headers, body)
  if status ~= {expect} then
    unexpected = unexpected + 1
    last_unexpected = status
  end
end
function done(summary, latency, requests)
  local bad, last, counts = 0, 0, {{}}
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("unexpected")
    table.insert(counts, tostring(thread:get("sent")))
    if thread:get("last_unexpected") ~= 0 then last = thread:get("last_unexpected") end
  end
  io.write(string.format("BENCH_STATUS unexpected=%d last=%d\\n", bad, last))
  io.write(string.format("BENCH_VARIANTS sent=%s\\n", table.concat(counts, ",")))
end
"""


def lua_string(text: str | bytes) -> str:
    """A Lua string literal; everything but plain characters as decimal escapes, so nothing can break out."""
    data = text.encode() if isinstance(text, str) else text
    plain = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_./:=&%+,;"
    return '"' + "".join(chr(byte) if byte in plain else f"\\{byte:03d}" for byte in data) + '"'


UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if match is None:
        raise BenchError(f"cannot read wrk duration {text!r}")
    return float(match.group(1)) * UNIT_MS[match.group(2)]


def parse_wrk(output: str) -> LoadResult:
    """Requests/s, the 50 % and 99 % latency lines of --latency, socket errors and our status line."""

    def find(pattern: str) -> re.Match[str]:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            raise BenchError(f"unexpected wrk output (no match for {pattern!r}):\n{output}")
        return match

    requests = int(find(r"^\s*(\d+) requests in ([\d.]+\w+)").group(1))
    seconds = duration_ms(find(r"^\s*\d+ requests in ([\d.]+\w+)").group(1)) / 1000
    socket_errors = 0
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if errors:
        socket_errors = sum(int(group) for group in errors.groups())
    status = find(r"^BENCH_STATUS unexpected=(\d+) last=(\d+)")
    unexpected = int(status.group(1))
    pool = re.search(r"^BENCH_POOL exhausted=(\d+) wrong_location=(\d+) taken=([\d,]+)", output, re.MULTILINE)
    variants = re.search(r"^BENCH_VARIANTS sent=([\d,]+)", output, re.MULTILINE)
    sent = [int(count) for count in variants.group(1).split(",")] if variants else []
    statuses = {status.group(2): unexpected} if unexpected else {}
    wrong_location = int(pool.group(2)) if pool else 0
    if wrong_location:
        statuses["wrong Location"] = wrong_location
    return LoadResult(
        requests=requests,
        seconds=seconds,
        requests_per_s=float(find(r"^Requests/sec:\s+([\d.]+)").group(1)),
        p50_ms=duration_ms(find(r"^\s+50%\s+(\S+)").group(1)),
        p99_ms=duration_ms(find(r"^\s+99%\s+(\S+)").group(1)),
        socket_errors=socket_errors,
        unexpected=unexpected + wrong_location,
        unexpected_statuses=statuses,
        exhausted=int(pool.group(1)) if pool else 0,
        pool_taken=[int(count) for count in pool.group(3).split(",")] if pool else [],
        variants=len(sent) * max(sent, default=0),  # thread n sent n, n + N, …: the next run starts past them all
    )


def run_wrk(request: Request, seconds: float, options: Options, script_dir: Path) -> LoadResult:
    script = script_dir / "wrk.lua"
    if request.pool is not None:
        script.write_text(
            WRK_POOL_SCRIPT.format(
                pool=lua_string(str(request.pool)),
                location=lua_string(request.expect_location or ""),
                content_type=lua_string(request.headers.get("Content-Type", "application/x-www-form-urlencoded")),
                exhausted_path=lua_string(POOL_EXHAUSTED_PATH),
                method=lua_string(request.method),
                expect=int(request.expect_status),
                threads=int(options.threads),
            )
        )
    elif request.amount_cents is not None:
        assert request.body is not None
        head, tail = request.body.split(b"{amount}", 1)
        script.write_text(
            WRK_VARIANTS_SCRIPT.format(
                method=lua_string(request.method),
                head=lua_string(head),
                tail=lua_string(tail),
                first_cents=int(request.amount_cents + request.variant_start),
                threads=int(options.threads),
                expect=int(request.expect_status),
            )
        )
    else:
        body = f"wrk.body = {lua_string(request.body)}" if request.body is not None else ""
        script.write_text(
            WRK_SCRIPT.format(method=lua_string(request.method), body=body, expect=int(request.expect_status))
        )
    command = [
        "wrk",
        f"-t{options.threads}",
        f"-c{options.connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        f"--timeout={LOAD_TIMEOUT_S:g}s",
        "-s",
        str(script),
    ]
    for name, value in request.headers.items():
        if request.pool is None or name not in ("Cookie", "Content-Type"):  # a pool brings its own per line
            command += ["-H", f"{name}: {value}"]
    command.append(f"http://{LOOPBACK}:{request.port}{request.path}")
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30)
    except subprocess.TimeoutExpired as error:
        raise BenchError("wrk did not finish in time") from error
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return parse_wrk(done.stdout)


def run_python_load(request: Request, seconds: float, connections: int) -> LoadResult:
    """Fallback when wrk is missing: one thread per connection, keep-alive, reconnect when the server closes.

    Slower than wrk (the GIL), so its ratios are only comparable with other runs of this same client.
    """
    latencies: list[list[float]] = [[] for _ in range(connections)]
    statuses: list[Counter[int]] = [Counter() for _ in range(connections)]
    errors = [0] * connections
    wrong_location = [0] * connections
    exhausted = [0] * connections
    start_line = threading.Barrier(connections + 1)
    deadline = 0.0
    pool_lines = iter(request.pool.read_text().splitlines()) if request.pool is not None else None
    pool_lock = threading.Lock()
    taken = 0

    def next_request() -> tuple[str, dict[str, str], bytes | None] | None:
        """Path, headers and body of the next request; None once a pool of fresh attempts ran out."""
        nonlocal taken
        if request.amount_cents is not None:
            with pool_lock:
                number, taken = taken, taken + 1
            return request.path, request.headers, request.variant_body(number)
        if pool_lines is None:
            return request.path, request.headers, request.body
        with pool_lock:
            line = next(pool_lines, None)
            taken += line is not None
        if line is None:
            return None
        path, cookie, body = line.split("\t")
        return path, {**request.headers, "Cookie": cookie}, body.encode()

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection(LOOPBACK, request.port, timeout=LOAD_TIMEOUT_S)
        start_line.wait()
        while (started := time.perf_counter()) < deadline:
            planned = next_request()
            if planned is None:
                exhausted[index] += 1
                break
            path, headers, body = planned
            try:
                conn.request(request.method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                conn.close()
                conn = http.client.HTTPConnection(LOOPBACK, request.port, timeout=LOAD_TIMEOUT_S)
                continue
            latencies[index].append(time.perf_counter() - started)
            statuses[index][response.status] += 1
            location = response.getheader("Location") or ""
            if request.expect_location is not None and not location.endswith(request.expect_location):
                wrong_location[index] += 1
            if response.will_close:
                conn.close()
                conn = http.client.HTTPConnection(LOOPBACK, request.port, timeout=LOAD_TIMEOUT_S)
        conn.close()

    pool = [threading.Thread(target=worker, args=(index,), daemon=True) for index in range(connections)]
    for thread in pool:
        thread.start()
    began = time.perf_counter()
    deadline = began + seconds
    start_line.wait()
    for thread in pool:
        thread.join(timeout=seconds + REQUEST_TIMEOUT_S + 5)
    elapsed = time.perf_counter() - began
    merged = sorted(value for per_thread in latencies for value in per_thread)
    counts: Counter[int] = sum(statuses, Counter())
    unexpected = {str(code): count for code, count in counts.items() if code != request.expect_status}
    if sum(wrong_location):
        unexpected["wrong Location"] = sum(wrong_location)
    if sum(exhausted):
        unexpected["pool ran out"] = sum(exhausted)
    return LoadResult(
        requests=len(merged),
        seconds=elapsed,
        requests_per_s=len(merged) / elapsed,
        p50_ms=percentile(merged, 50) * 1000,
        p99_ms=percentile(merged, 99) * 1000,
        socket_errors=sum(errors),
        unexpected=sum(unexpected.values()),
        unexpected_statuses=unexpected,
        exhausted=sum(exhausted),
        pool_taken=[taken] if pool_lines is not None else [],
        variants=taken if request.amount_cents is not None else 0,
    )


def percentile(ordered: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list (0 for an empty one)."""
    if not ordered:
        return 0.0
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil without floats drifting
    return ordered[int(rank) - 1]


def load(request: Request, seconds: float, options: Options, client: str, script_dir: Path) -> LoadResult:
    if client == "wrk":
        return run_wrk(request, seconds, options, script_dir)
    return run_python_load(request, seconds, options.connections)


# --- evaluation and report ------------------------------------------------------------------------------------


def ratio_to(rate: float, floor: float) -> float | None:
    return rate / floor if floor else None


def evaluate(measured: Measured) -> None:
    """Per-round ratios, then PASS/FAIL of each target on its medians; a bad response in any round is an ERROR.

    A target's ratio in a round is against the floor measured at the start of that same round. The floor rows
    are compared with the median floor instead, so their range shows how much the machine itself moved.
    """
    floor_rates = [result.requests_per_s for result in measured.floor.results]
    floor_median = median(floor_rates)
    for row in (measured.floor, measured.end):
        row.ratios = [ratio_to(result.requests_per_s, floor_median) for result in row.results]
    for row in measured.pages:
        row.ratios = [
            ratio_to(result.requests_per_s, floor) for result, floor in zip(row.results, floor_rates, strict=True)
        ]
    for row in measured.rows:
        judge(row)


def judge(row: Row) -> None:
    target = row.target
    for number, result in enumerate(row.results, start=1):
        where = f"round {number}: " if len(row.results) > 1 else ""
        if result.exhausted:
            row.reasons.append(
                f"{where}the pool of fresh attempts ran out ({result.exhausted} request(s) after it): the page was "
                "faster than the pool was sized for (POOL_MARGIN, POOL_FLOOR_SHARE); run again"
            )
        if result.unexpected:
            row.reasons.append(f"{where}{result.unexpected} unexpected status(es) {result.unexpected_statuses}")
        if result.socket_errors and not target.no_timeouts:
            row.reasons.append(f"{where}{result.socket_errors} socket error(s)/timeout(s)")
        if not result.requests:
            row.reasons.append(f"{where}no completed requests")
    if row.reasons:
        row.verdict = "ERROR"
        return
    summary = row.summary
    min_ratio, max_p99_ms = on(row.database, target.min_ratio), on(row.database, target.max_p99_ms)
    if min_ratio is None and max_p99_ms is None and not target.no_timeouts:
        return
    if min_ratio is not None and (summary.ratio or 0.0) < min_ratio:
        row.reasons.append(f"median ratio {summary.ratio or 0.0:.3f} < {min_ratio:.2f}")
    if max_p99_ms is not None and summary.p99_ms > max_p99_ms:
        row.reasons.append(f"median p99 {summary.p99_ms:.1f} ms > {max_p99_ms:.0f} ms")
    errors = sum(result.socket_errors for result in row.results)
    if target.no_timeouts and errors:
        row.reasons.append(
            f"{errors} socket error(s)/timeout(s) over the rounds (no answer within {LOAD_TIMEOUT_S:g} s); none allowed"
        )
    row.verdict = "FAIL" if row.reasons else "PASS"


def split_thresholds(row: Row) -> list[str]:
    """Thresholds that some rounds met and others missed: the verdict follows the medians but is not a firm one."""
    notes = []
    min_ratio, max_p99_ms = on(row.database, row.target.min_ratio), on(row.database, row.target.max_p99_ms)
    known = [ratio for ratio in row.ratios if ratio is not None]
    if min_ratio is not None and known and min(known) < min_ratio <= max(known):
        notes.append(f"ratio {min(known):.2f}–{max(known):.2f} around ≥{min_ratio:.2f}")
    p99s = [result.p99_ms for result in row.results]
    if max_p99_ms is not None and p99s and min(p99s) <= max_p99_ms < max(p99s):
        notes.append(f"p99 {min(p99s):.1f}–{max(p99s):.1f} ms around ≤{max_p99_ms:.0f} ms")
    return notes


def floor_drift(measured: Measured) -> float:
    """Relative spread of all floor measurements (every round's and the end one): how much the machine moved."""
    rates = [result.requests_per_s for row in (measured.floor, measured.end) for result in row.results]
    mean = sum(rates) / len(rates)
    return (max(rates) - min(rates)) / mean if mean else 0.0


def describe_target(target: Target, database: str) -> str:
    parts = []
    if (min_ratio := on(database, target.min_ratio)) is not None:
        parts.append(f"≥{min_ratio:.2f}×")
    if (max_p99_ms := on(database, target.max_p99_ms)) is not None:
        parts.append(f"p99≤{max_p99_ms:.0f}ms")
    if target.no_timeouts:
        parts.append("no timeouts")
    return " ".join(parts) or "-"


def ratio_range(row: Row) -> str:
    summary = row.summary
    if len(row.results) < 2 or summary.ratio_min is None or summary.ratio_max is None:
        return "-"
    return f"{summary.ratio_min:.2f}–{summary.ratio_max:.2f}"


def print_columns(lines: list[tuple[str, ...]], right: set[int]) -> None:
    """Columns padded to their widest cell (right-aligned where `right` says), a rule under the header line."""
    widths = [max(len(line[index]) for line in lines) for index in range(len(lines[0]))]
    for number, line in enumerate(lines):
        cells = [
            cell.rjust(width) if index in right else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(line, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())
        if number == 0:
            print("  ".join("-" * width for width in widths))


def print_table(measured: Measured, header: str) -> None:
    print()
    print(header)
    lines: list[tuple[str, ...]] = [
        ("page", "req/s", "p50 ms", "p99 ms", "ratio", "range", "target", "before", "result")
    ]
    for row in measured.rows:
        summary = row.summary
        lines.append(
            (
                row.name,
                f"{summary.requests_per_s:,.0f}",
                f"{summary.p50_ms:.1f}",
                f"{summary.p99_ms:.1f}",
                f"{summary.ratio:.2f}" if summary.ratio is not None else "-",
                ratio_range(row),
                describe_target(row.target, measured.database),
                row.target.previous,
                row.verdict,
            )
        )
    print_columns(lines, right={1, 2, 3, 4, 5})
    for row in measured.rows:
        for reason in row.reasons:
            print(f"{row.verdict}: {row.name}: {reason}")
    for row in measured.rows:
        if row.verdict in ("PASS", "FAIL") and (notes := split_thresholds(row)):
            print(f"NOTE: {row.name}: the rounds disagree ({'; '.join(notes)}); {row.verdict} is on the medians")
    if measured.memory is not None:
        print_memory(measured.memory)
    if measured.first_requests:
        print_first_requests(measured.first_requests)


def print_memory(memory: Memory) -> None:
    print()
    print("memory after the load rounds: VmRSS of each gunicorn worker of the app (/proc/<pid>/status)")
    each = ", ".join(f"{mb:.1f}" for mb in memory.workers_mb) or "-"
    largest = f"{max(memory.workers_mb):.1f}" if memory.workers_mb else "-"
    master = f"{memory.master_mb:.1f}" if memory.master_mb is not None else "-"
    floor = ", ".join(f"{mb:.1f}" for mb in memory.floor_workers_mb) or "-"
    lines = [
        ("processes", "each MB", "max MB", "target", "result"),
        ("app workers", each, largest, f"≤{MAX_WORKER_RSS_MB:.0f} MB", memory.verdict),
        ("app master", master, master, "-", "-"),
        ("hello floor workers", floor, "-", "-", "-"),
    ]
    print_columns(lines, right={1, 2})
    if memory.reason:
        print(f"{memory.verdict}: memory: {memory.reason}")


def print_first_requests(firsts: list[FirstRequest]) -> None:
    print()
    print(
        "first request after a fresh start, each page in its own start (gunicorn with 1 worker); "
        "sent once the server answered /healthz and its processes went idle"
    )
    lines: list[tuple[str, ...]] = [("server", "page", "ready s", "idle s", "first ms", "target", "result")]
    for first in firsts:
        lines.append(
            (
                first.server,
                first.page,
                f"{first.ready_s:.1f}",
                f"{first.quiet_s:.1f}" + ("" if first.quiet else "*"),
                f"{first.ms:,.0f}" if first.ms is not None else "-",
                f"≤{FIRST_REQUEST_MAX_MS:.0f}ms",
                first.verdict,
            )
        )
    print_columns(lines, right={2, 3, 4})
    if any(not first.quiet for first in firsts):
        print(f"* still busy after {QUIET_TIMEOUT_S:g} s: measured anyway")
    for first in firsts:
        if first.reason:
            print(f"{first.verdict}: first request · {first.server} · {first.page}: {first.reason}")


def row_document(row: Row) -> dict[str, object]:
    """Medians as the top-level numbers (counts are totals over the rounds), and every round's own result."""
    summary = row.summary
    statuses: Counter[str] = Counter()
    for result in row.results:
        statuses.update(result.unexpected_statuses)
    return {
        "page": row.name,
        "target": asdict(row.target),
        "thresholds": {
            "min_ratio": on(row.database, row.target.min_ratio),
            "max_p99_ms": on(row.database, row.target.max_p99_ms),
            "no_timeouts": row.target.no_timeouts,
        },
        "previous": row.target.previous,
        "requests": sum(result.requests for result in row.results),
        "seconds": round(sum(result.seconds for result in row.results), 3),
        "requests_per_s": summary.requests_per_s,
        "p50_ms": summary.p50_ms,
        "p99_ms": summary.p99_ms,
        "socket_errors": sum(result.socket_errors for result in row.results),
        "unexpected": sum(result.unexpected for result in row.results),
        "unexpected_statuses": dict(statuses),
        "response_bytes": row.response_bytes,
        "ratio": summary.ratio,
        "ratio_min": summary.ratio_min,
        "ratio_max": summary.ratio_max,
        "verdict": row.verdict,
        "reasons": row.reasons,
        "rounds": [{**asdict(result), "ratio": ratio} for result, ratio in zip(row.results, row.ratios, strict=True)],
    }


def database_document(measured: Measured) -> dict[str, object]:
    memory = measured.memory
    return {
        "database": measured.database,
        **measured.context,
        "verdict": "FAIL" if measured.failed else "PASS",
        "results": [row_document(row) for row in measured.rows],
        "memory": {**asdict(memory), "max_worker_rss_mb": MAX_WORKER_RSS_MB} if memory else None,
        "first_requests": {
            "max_ms": FIRST_REQUEST_MAX_MS,
            "gunicorn_workers": 1,
            "pages": [asdict(first) for first in measured.first_requests],
        },
    }


def write_json(path: Path, runs: list[Measured], context: dict[str, object]) -> None:
    document = {**context, "databases": [database_document(measured) for measured in runs]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def wrk_version() -> str | None:
    try:
        done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (done.stdout + done.stderr).split("\n", 1)[0].strip() or None


# --- first requests -------------------------------------------------------------------------------------------
#
# Each page's first request in a freshly started process, under the development server (`flask run`) and under
# gunicorn: whatever a process does on its first request (imports, templates, caches, the sandbox's search, the
# certificate fonts) shows here, unless it warmed up before. Every page gets its own start, so each request is
# the first of its kind. gunicorn runs 1 worker here: with 2, the first request could reach a worker other than
# the one that answered /healthz. A server counts as started once /healthz answers and its processes went idle
# (QUIET_CPU_SHARE), so warm-up work off the request path gets to finish, as before any learner arrives.

FIRST_REQUEST_SERVERS = ("flask run", "gunicorn")
FIRST_REQUEST_PAGES = ("lesson (learner)", "sandbox evaluate (API)", "certificate PDF (learner)")


def first_request_pages(only: list[str]) -> list[str]:
    return [name for name in FIRST_REQUEST_PAGES if not only or any(word in name for word in only)]


def measure_first_requests(
    options: Options, env: dict[str, str], work: Path, session: Session, certificate: dict[str, str] | None
) -> list[FirstRequest]:
    firsts = []
    for server_name in FIRST_REQUEST_SERVERS:
        for page in first_request_pages(options.only):
            target = next(target for target in TARGETS if target.name == page)
            print(f"first request · {server_name} · {page}: ", end="", flush=True)
            server = Server(
                f"first {server_name} {page}",
                options.app,
                env,
                options,
                work,
                workers=1,
                flask_run=server_name == "flask run",
            )
            started = time.monotonic()
            with running([server]):
                ready = time.monotonic() - started
                quiet = server.wait_quiet()
                first = FirstRequest(server_name, page, ready, time.monotonic() - started, quiet)
                request = build_request(target, server.port, session, options.lang, None, certificate)
                began = time.perf_counter()
                try:
                    status, headers, body = fetch(
                        server.port,
                        request.method,
                        request.path,
                        request.headers,
                        request.body,
                        timeout=FIRST_REQUEST_TIMEOUT_S,
                    )
                except (OSError, http.client.HTTPException) as error:
                    first.reason = f"no answer: {error}"
                else:
                    first.ms, first.status = (time.perf_counter() - began) * 1000, status
                    judge_first(first, target, body)
            firsts.append(first)
            answer = f"{first.ms:,.0f} ms" if first.ms is not None else "no answer"
            print(f"ready after {first.ready_s:.1f} s, idle after {first.quiet_s:.1f} s, {answer}", flush=True)
    return firsts


def judge_first(first: FirstRequest, target: Target, body: bytes) -> None:
    text = body.decode("utf-8", "replace")
    missing = [needle for needle in target.expect_text if needle not in text]
    if first.status != target.expect_status or missing:
        first.reason = f"answered {first.status}, expected {target.expect_status} with {list(target.expect_text)!r}"
    elif first.ms is not None and first.ms > FIRST_REQUEST_MAX_MS:
        first.verdict, first.reason = "FAIL", f"{first.ms:,.0f} ms > {FIRST_REQUEST_MAX_MS:.0f} ms"
    else:
        first.verdict = "PASS"
    if not first.quiet:
        first.reason = (first.reason + "; " if first.reason else "") + f"still busy after {QUIET_TIMEOUT_S:g} s"


# --- main -----------------------------------------------------------------------------------------------------


def select_targets(only: list[str]) -> list[Target]:
    """The targets to measure besides the floor, which is always measured."""
    chosen = [t for t in TARGETS if t is not FLOOR and (not only or any(word in t.name for word in only))]
    if not chosen and only:
        raise BenchError(f"no target matches {only!r}; targets: {[t.name for t in TARGETS]}")
    return chosen


def measure(
    name: str,
    request: Request,
    warmup: float,
    options: Options,
    client: str,
    work: Path,
    floor: LoadResult | None = None,
    attempts: AttemptPool | None = None,
    variants: PlanVariants | None = None,
) -> LoadResult:
    """Warm-up (statuses checked), then one measured load; prints a progress line, with the ratio to `floor`.

    With `attempts`, each of the two loads gets a fresh pool of open attempts, made just before it; with
    `variants`, plan variants that no earlier load sent.
    """
    print(f"{name}: warm-up {warmup:g} s, then {options.duration:g} s ... ", end="", flush=True)
    floor_rate = floor.requests_per_s if floor else 0.0

    def run(seconds: float) -> LoadResult:
        planned = request
        if attempts:
            planned = attempts.request_for(request, seconds, floor_rate)
        elif variants:
            planned = variants.request_for(request)
        result = load(planned, seconds, options, client, work)
        if attempts:
            attempts.after_load(planned, result)
        elif variants:
            variants.used(result.variants)
        return result

    if warmup > 0:
        warm = run(warmup)
        if warm.exhausted:
            raise BenchError(f"{name}: the pool of fresh attempts ran out during the warm-up (see POOL_FLOOR_SHARE)")
        if warm.unexpected:
            raise BenchError(f"{name}: unexpected statuses in warm-up {warm.unexpected_statuses}")
    result = run(options.duration)
    ratio = ratio_to(result.requests_per_s, floor.requests_per_s) if floor else None
    print(
        f"{result.requests_per_s:,.0f} req/s, p99 {result.p99_ms:.1f} ms"
        + (f", ratio {ratio:.2f}" if ratio is not None else "")
        + (f", {result.socket_errors} socket error(s)/timeout(s)" if result.socket_errors else ""),
        flush=True,
    )
    return result


def resolve_client(choice: str) -> str:
    if choice == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    if choice == "wrk" and not shutil.which("wrk"):
        raise BenchError("--client wrk, but wrk is not installed")
    return choice


def estimate_seconds(options: Options) -> float:
    """The run's load and fresh starts over every database (set-up and attempt pools come on top)."""
    pages = 1 + len(select_targets(options.only))
    load = load_seconds(options.rounds, pages, options.duration, options.warmup, options.round_warmup)
    starts = first_request_seconds(len(first_request_pages(options.only))) if options.first_request else 0.0
    return (load + starts + SETUP_ESTIMATE_S) * len(options.databases)


def benchmark(options: Options, database: str, client: str, work: Path) -> Measured:
    """One database: seed, start the servers, verify, the load rounds, memory; then the first requests."""
    measured = Measured(
        database=database,
        floor=Row(FLOOR, database),
        pages=[Row(target, database) for target in select_targets(options.only)],
        end=Row(FLOOR, database, label=f"{FLOOR.name} (end)"),
    )
    load_before = os.getloadavg()[0]
    postgres_url = options.postgres_url(database)
    if postgres_url:
        reset_postgres(postgres_url)
        database_url = postgres_url
    else:
        database_url = f"sqlite:///{work / 'course.sqlite3'}"
    instance = work / "instance"
    instance.mkdir()
    env = app_env(database_url, instance)
    print(f"\n{database}: seeding the database ...", flush=True)
    seed(env)

    servers = {
        "app": Server("app", options.app, env, options, work),
        "hello": Server("hello", "bench.hello:app", env, options, work),
    }
    firsts = first_request_pages(options.only) if options.first_request else []
    with running(list(servers.values())):
        port = servers["app"].port
        session = login(port, options.lang)
        wanted = {row.target.attempt for row in measured.pages}
        attempt_id = open_attempt(port, session, options.lang, env) if "open" in wanted else None
        certificate = None
        if any(row.target.certificate for row in measured.pages) or "certificate PDF (learner)" in firsts:
            certificate = run_quiz_tool(env, "--certificate", "--lang", options.lang)["certificate"]
        plan: list[tuple[Row, Request, AttemptPool | None, PlanVariants | None]] = []
        for row in (measured.floor, *measured.pages):
            request = build_request(
                row.target, servers[row.target.server].port, session, options.lang, attempt_id, certificate
            )
            attempts = variants = None
            if row.target.attempt == "fresh":
                attempts = AttemptPool(env, work, options.lang, options.connections)
                sample = attempts.request_for(request, 0.0, 0.0, size=VERIFY_REQUESTS)
                row.response_bytes = verify_submissions(row.target, sample, attempts)
            elif row.target.unique_amount is not None:
                variants = PlanVariants(work)
                row.response_bytes = verify_variants(row.target, request, variants, env)
            else:
                row.response_bytes = verify(row.target, request)
            plan.append((row, request, attempts, variants))
        # Every round measures the floor first, then each target against that floor: machine noise that comes
        # and goes hits a target and its floor alike, and the medians over the rounds ignore the odd bad round.
        for number in range(1, options.rounds + 1):
            warmup = options.warmup if number == 1 else options.round_warmup
            for row, request, attempts, variants in plan:
                floor = measured.floor.results[-1] if row is not measured.floor else None
                name = f"{database} · round {number}/{options.rounds} · {row.name}"
                row.results.append(measure(name, request, warmup, options, client, work, floor, attempts, variants))
        # Once more at the end: the spread of all floor measurements shows whether the machine stayed quiet.
        measured.end.response_bytes = measured.floor.response_bytes
        end_name = f"{database} · {measured.end.name}"
        measured.end.results.append(measure(end_name, plan[0][1], options.round_warmup, options, client, work))
        measured.memory = measure_memory(servers["app"], servers["hello"])
    # With the servers stopped no submission is in flight: the database must show what the client counted.
    for _row, _request, attempts, _variants in plan:
        if attempts is not None:
            attempts.finish()
    load_after = os.getloadavg()[0]
    if firsts:
        measured.first_requests = measure_first_requests(options, env, work, session, certificate)
    evaluate(measured)
    measured.context = {
        "load_average_before": round(load_before, 2),
        "load_average_after": round(load_after, 2),
        "floor_drift": round(floor_drift(measured), 3),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return measured


def report(measured: Measured, options: Options, client: str) -> None:
    """The database's tables and its warnings."""
    header = (
        f"{measured.database} · {client} -c{options.connections} -d{options.duration:g}s · "
        f"median of {options.rounds} round{'s' if options.rounds > 1 else ''} · gunicorn "
        f"{options.workers}×{options.worker_class}"
        + (f" --threads {options.worker_threads}" if options.worker_threads else "")
        + f" · {os.cpu_count()} CPU(s) shared by client and servers"
    )
    print_table(measured, header)
    drift = floor_drift(measured)
    if drift > DRIFT_WARNING:
        print(
            f"WARNING: the hello floor varied by {drift:.0%} over the {measured.database} run (its measurements in "
            "every round and at the end): other load on the machine. Each ratio uses its own round's floor, but "
            "check the range column; if it is wide, run again on a quieter machine or with more --rounds."
        )
    cpus = os.cpu_count() or 1
    load_before = float(measured.context.get("load_average_before", 0.0))  # type: ignore[arg-type]
    if load_before > cpus / 2:
        print(
            f"WARNING: load average was {load_before:.2f} on {cpus} CPU(s) before the {measured.database} run: "
            "other processes compete with the servers and the load generator."
        )


def verdict_line(runs: list[Measured]) -> str:
    missed = []
    for measured in runs:
        names = [row.name for row in measured.rows if row.verdict in ("FAIL", "ERROR")]
        names += [
            f"first {first.page} ({first.server})" for first in measured.first_requests if first.verdict != "PASS"
        ]
        names += ["memory"] if measured.memory and measured.memory.verdict != "PASS" else []
        if names:
            missed.append(f"{measured.database}: {', '.join(names)}")
    databases = ", ".join(measured.database for measured in runs)
    if not missed:
        return f"verdict: PASS — every target met on {databases}"
    return "verdict: FAIL — " + "; ".join(missed)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == [QUIZ_TOOL]:  # the app-side helper, run by the runner in the app's environment
        return quiz_tool(arguments[1:])
    options = parse_args(arguments)
    # A SIGTERM (e.g. a CI timeout) unwinds like Ctrl-C, so every `finally` stops its servers.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    started = time.monotonic()
    runs: list[Measured] = []
    try:
        client = resolve_client(options.client)
        pages = 1 + len(select_targets(options.only))
        print(
            f"{', '.join(options.databases)}: for each, {options.rounds} round(s) × {pages} pages (the floor first), "
            "then the floor once more"
            + (
                f", then {len(FIRST_REQUEST_SERVERS) * len(first_request_pages(options.only))} fresh starts for the "
                "first requests"
                if options.first_request
                else ""
            )
            + f": about {format_seconds(estimate_seconds(options))} in all.",
            flush=True,
        )
        if any(target.attempt == "fresh" for target in select_targets(options.only)):
            print(
                "Before each load of a submission target the app tops up a pool of open attempts (about 4 ms "
                "each, most of them for the first round's measured run): add 40–90 s per database.",
                flush=True,
            )
        for database in options.databases:
            work = Path(tempfile.mkdtemp(prefix=f"course-bench-{database}-"))
            try:
                runs.append(benchmark(options, database, client, work))
            finally:
                if options.keep_tmp:
                    print(f"kept {work}", file=sys.stderr)
                else:
                    shutil.rmtree(work, ignore_errors=True)
    except BenchError as error:
        print(f"\nbenchmark aborted: {error}", file=sys.stderr)
        return 2
    for measured in runs:
        report(measured, options, client)
    wall = time.monotonic() - started
    failed = any(measured.failed for measured in runs)
    print()
    print(verdict_line(runs))
    context: dict[str, object] = {
        "verdict": "FAIL" if failed else "PASS",
        "client": client,
        "client_version": wrk_version() if client == "wrk" else f"python {platform.python_version()}",
        "app": options.app,
        "connections": options.connections,
        "load_threads": options.threads,
        "load_timeout_s": LOAD_TIMEOUT_S,
        "rounds": options.rounds,
        "duration_s": options.duration,
        "warmup_s": options.warmup,
        "round_warmup_s": options.round_warmup,
        "gunicorn": {
            "workers": options.workers,
            "worker_class": options.worker_class,
            "threads": options.worker_threads,
        },
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "wall_time_s": round(wall, 1),
    }
    write_json(options.json_path, runs, context)
    print(f"results written to {options.json_path} · the run took {format_seconds(wall)}")
    if failed and not options.no_fail:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
