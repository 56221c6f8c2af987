"""How many learners the two-server set-up carries: a learner's request mix through nginx, 1 server then 2.

Run from the project root:

    .venv/bin/python bench/capacity.py                 # 1 server, then 2, stepping the learners (4-10 min)
    .venv/bin/python bench/capacity.py --quick         # 400 learners for 3 + 6 s on 2 servers: does it work?

For each server count it starts the set-up of deploy/cluster.py (gunicorn servers behind nginx, PostgreSQL, Redis,
the bundled course imported), walks one learner through every request of the mix and checks each answer, then runs
`wrk` with one connection per learner: each learner waits a think time, then sends the next request of its session
(read the course page and lessons, open a quiz attempt, check each question, submit, read the review, evaluate
sandbox plans). It steps the number of learners up until the p95 latency of the mix passes the bound, and for each
step reports the requests/s, the latency of each kind of request, the errors and the CPU seconds used by the app
servers, PostgreSQL, nginx and Redis (read from /proc). From the CPU per request it sizes the set-up for a given
number of learners (`size`). The model and its figures are in docs/operations.md ("Capacity"); how to read the
output in bench/README.md ("Capacity").

Why think time and one connection per learner: "concurrent learners" should mean people, each clicking every
45 seconds or so, not connections that fire as fast as the server answers. Why CPU per request rather than raw
throughput: on a 2-core machine the app servers, PostgreSQL, nginx and the load client share the same two cores,
so two servers cannot serve twice as much here; the CPU each request costs each part is what carries over to
separate hosts.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script (bench/capacity.py), like the other benchmarks
    sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402 - after the path fix above
    BENCH_EMAIL,
    BENCH_PASSWORD,
    COURSE_ID,
    LOGGED_IN_MARK,
    SANDBOX_BODY,
    fetch,
    login,
    lua_string,
    percentile,
    run_quiz_tool,
)
from deploy.cluster import Cluster, ClusterError  # noqa: E402

# --------------------------------------------------------------------------------------------------------------
# The learner's mix
# --------------------------------------------------------------------------------------------------------------

#: One cycle of an active learner's session, in order: `kind*count@think seconds`. A think time is how long the
#: learner spends on what the request showed before the next click. Justified in docs/operations.md ("Capacity").
DEFAULT_MIX = "overview@10, lesson*2@150, attempt@20, check*7@25, submit@2, review@60, evaluate*3@60, evaluate_same@30"

#: Each kind of request: method, expected status, what it is.
KINDS: dict[str, tuple[str, int, str]] = {
    "overview": ("GET", 200, "the course page with the learner's path and progress"),
    "lesson": ("GET", 200, "a lesson page (the six lessons in turn)"),
    "attempt": ("GET", 200, "the quiz attempt page (kam-mandate-quiz, seven questions)"),
    "check": ("POST", 200, "check one question in place, as the page script does (saves the others)"),
    "submit": ("POST", 302, "submit the attempt: grade, close, best result, item-statistics rows"),
    "review": ("GET", 200, "the submitted attempt's review"),
    "evaluate": ("POST", 200, "sandbox evaluation of a plan no one sent before (JSON API)"),
    "evaluate_same": ("POST", 200, "the same plan again: the evaluation comes from the memo"),
}
QUIZ_QUESTIONS = 7  # kam-mandate-quiz: checks beyond the seventh check a question again (the app refuses, 200)
LESSON_IDS = (
    "kams-are-not-salespeople",
    "year-end-retention-bonus",
    "kam-mandate",
    "direct-and-indirect-rewards",
    "recognition-and-customer-feedback",
    "designing-a-kam-bonus-plan",
)
EVALUATE_PATH = "/api/v1/sandbox/evaluate"
SEED_STEP = 1_000_000  # each step's learners draw seeds base + pool line: no step meets a draw an earlier one met
PLAN_AMOUNT_CENTS = 15_000_000  # 150,000.00 €: every "evaluate" adds cents no other request sent (as bench/run.py)


class CapacityError(RuntimeError):
    """The run could not be set up or a page answered wrongly: its figures would mean nothing."""


@dataclass(frozen=True)
class Step:
    """`count` requests of one kind in a row, each followed by `think_s` seconds on what it showed."""

    kind: str
    count: int
    think_s: float


def parse_mix(text: str) -> tuple[Step, ...]:
    """`kind*count@think` items separated by commas (count 1 if left out), checked against KINDS and the quiz's
    order: a review needs a submit before it in the cycle."""
    steps = []
    for item in (part.strip() for part in text.split(",")):
        match = re.fullmatch(r"([a-z_]+)(?:\*(\d+))?@(\d+(?:\.\d+)?)", item)
        if match is None:
            raise ValueError(f"cannot read {item!r}: write kind*count@seconds, e.g. check*7@25")
        kind, count, think = match.group(1), int(match.group(2) or 1), float(match.group(3))
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r} (known: {', '.join(KINDS)})")
        if count < 1:
            raise ValueError(f"{item!r}: the count must be at least 1")
        steps.append(Step(kind, count, think))
    kinds = cycle_kinds(tuple(steps))
    if "review" in kinds and ("submit" not in kinds or kinds.index("review") < kinds.index("submit")):
        raise ValueError("a review needs a submit before it in the cycle")
    if sum(step.think_s * step.count for step in steps) <= 0:
        raise ValueError("the cycle needs some think time")
    return tuple(steps)


def cycle_kinds(mix: Sequence[Step]) -> list[str]:
    """The requests of one cycle, in order."""
    return [step.kind for step in mix for _ in range(step.count)]


def cycle_seconds(mix: Sequence[Step]) -> float:
    """How long one cycle takes a learner (think times; the answers' own time is small beside them)."""
    return sum(step.think_s * step.count for step in mix)


def mean_think_s(mix: Sequence[Step]) -> float:
    return cycle_seconds(mix) / len(cycle_kinds(mix))


def learner_rate(mix: Sequence[Step]) -> float:
    """Requests per second that one learner sends."""
    return len(cycle_kinds(mix)) / cycle_seconds(mix)


def kind_shares(mix: Sequence[Step]) -> dict[str, float]:
    """Each kind's share of the requests."""
    kinds = cycle_kinds(mix)
    return {kind: kinds.count(kind) / len(kinds) for kind in dict.fromkeys(kinds)}


# --------------------------------------------------------------------------------------------------------------
# The model: what the mix costs and what a number of learners needs
# --------------------------------------------------------------------------------------------------------------

#: req/s of each kind in bench/run.py on PostgreSQL (2 sync workers, wrk and PostgreSQL on the same 2 cores; the
#: lead's full run of December 2026, floor 6,550 req/s). A check is a POST of the whole form like a submission; a
#: review is priced as the attempt page; the course page as the lesson.
BENCH_RATES_POSTGRESQL: dict[str, float] = {
    "overview": 1348.0,
    "lesson": 1348.0,
    "attempt": 410.0,
    "check": 377.0,
    "submit": 377.0,
    "review": 410.0,
    "evaluate": 248.0,
    "evaluate_same": 0.10 * 6550.0,
}
BENCH_CORES = 2


def benchmark_cost_ms(mix: Sequence[Step], rates: dict[str, float], cores: int = BENCH_CORES) -> float:
    """CPU milliseconds of the whole machine per mix request, from the single-page benchmark's req/s: a page at
    R req/s on C saturated cores costs C / R core-seconds (app, database and load client together)."""
    return sum(share * cores * 1000.0 / rates[kind] for kind, share in kind_shares(mix).items())


@dataclass(frozen=True)
class Costs:
    """CPU milliseconds per mix request, by part, as measured (see `costs_from`)."""

    app_ms: float
    database_ms: float
    proxy_ms: float
    redis_ms: float


@dataclass(frozen=True)
class Sizing:
    """What `learners` need (see `size`)."""

    learners: int
    requests_per_s: float
    app_cores: float
    app_servers: int
    gunicorn_workers: int
    database_cores: float
    database_connections: int
    proxy_cores: float
    proxy_connections: int
    redis_cores: float


#: Cores are planned at this share busy at the peak: above it, queues (and the p95) grow fast.
PLANNED_BUSY = 0.6


def size(
    learners: int,
    rate_per_learner: float,
    costs: Costs,
    *,
    server_cores: int = 2,
    workers_per_core: int = 2,
    busy: float = PLANNED_BUSY,
    spare_connections: int = 10,
) -> Sizing:
    """App servers of `server_cores` cores, a PostgreSQL and nginx for `learners` concurrent learners.

    Two sync workers per core, so a core has work while a worker waits for PostgreSQL (measured: at 3,000 learners
    four workers on two cores kept the p95 at 303 ms where two let it reach 844 ms). Each sync worker holds one
    database connection while it serves (its pool never needs a second); the job worker and an operator's shell
    take `spare_connections`. nginx holds one idle connection per learner
    between clicks (browsers keep them open), so its worker_connections must cover the learners.
    """
    rps = learners * rate_per_learner
    app_cores = rps * costs.app_ms / 1000.0 / busy
    servers = max(1, math.ceil(app_cores / server_cores))
    workers = servers * server_cores * workers_per_core
    return Sizing(
        learners=learners,
        requests_per_s=rps,
        app_cores=app_cores,
        app_servers=servers,
        gunicorn_workers=workers,
        database_cores=rps * costs.database_ms / 1000.0 / busy,
        database_connections=workers + spare_connections,
        proxy_cores=rps * costs.proxy_ms / 1000.0 / busy,
        proxy_connections=2 * learners,  # a browser may hold two; plus one upstream connection per request in flight
        redis_cores=rps * costs.redis_ms / 1000.0 / busy,
    )


def learners_per_server(
    rate_per_learner: float, app_ms: float, server_cores: int = 2, busy: float = PLANNED_BUSY
) -> int:
    """Learners one app server carries with PostgreSQL elsewhere: its cores at `busy`."""
    return int(server_cores * busy * 1000.0 / app_ms / rate_per_learner)


# --------------------------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------------------------


@dataclass
class KindResult:
    """One kind of request in a step's measured seconds: latency from the client, errors by status."""

    requests: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float


@dataclass
class StepResult:
    """One load step: `learners` for `seconds` (after the warm-up)."""

    servers: int
    learners: int
    seconds: float
    expected_rps: float  # learners × the mix's rate: what they send when every answer is instant
    requests: int
    requests_per_s: float
    errors: int  # unexpected statuses + wrk's socket errors over the whole run
    socket_errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    kinds: dict[str, KindResult]
    cpu_s: dict[str, float]  # CPU seconds by part during the measured seconds, less what the part uses idle
    idle_cpu_s: dict[str, float]  # what each part used in as long without load (subtracted above)
    machine_busy: float  # share of all cores busy (everything on the machine, other people's work included)
    others_cpu_s: float  # CPU seconds of everything else on the machine (other people's work, the kernel's)
    database_connections: int
    pool_exhausted: int
    passed: bool = False

    def cpu_ms_per_request(self) -> dict[str, float]:
        return {part: 1000.0 * seconds / self.requests for part, seconds in self.cpu_s.items()} if self.requests else {}


def costs_from(result: StepResult) -> Costs:
    """The CPU per request of a step, PostgreSQL's shared background processes counted with the database."""
    per = result.cpu_ms_per_request()
    return Costs(
        app_ms=per.get("app", 0.0) + per.get("jobs", 0.0),
        database_ms=per.get("postgresql", 0.0) + per.get("postgresql-aux", 0.0),
        proxy_ms=per.get("nginx", 0.0),
        redis_ms=per.get("redis", 0.0),
    )


# --- CPU from /proc -------------------------------------------------------------------------------------------


def clock_ticks() -> int:
    return os.sysconf("SC_CLK_TCK")


def scan_cpu(groups: dict[int, str], database: str, client_pid: int | None) -> dict[str, dict[int, int]]:
    """CPU ticks (user + system) of every process that belongs to a part, per pid: app servers, job worker and nginx
    by process group, PostgreSQL backends by their title naming `database`, its background processes, Redis, wrk."""
    parts: dict[str, dict[int, int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        comm = raw[raw.find("(") + 1 : raw.rfind(")")]
        fields = raw.rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])
        part = groups.get(int(fields[2]))
        if part is None and pid == client_pid:
            part = "client"
        elif part is None and comm == "redis-server":
            part = "redis"
        elif part is None and comm == "postgres":
            part = postgres_part(entry, database)
        if part is not None:
            parts.setdefault(part, {})[pid] = ticks
    return parts


def postgres_part(entry: Path, database: str) -> str | None:
    """ "postgresql" for a backend (or autovacuum worker) of `database`, "postgresql-aux" for the server's own
    processes (WAL writer, checkpointer, …), None for other databases' backends (other people's tests)."""
    try:
        title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return None
    words = title.split()
    if database in words:
        return "postgresql"
    if "/postgres" in title or any(
        word in title for word in ("checkpointer", "background writer", "walwriter", "launcher", "stats")
    ):
        return "postgresql-aux"
    return None


def cpu_delta(before: dict[str, dict[int, int]], after: dict[str, dict[int, int]]) -> dict[str, float]:
    """CPU seconds per part between two scans; a process born in between counts from zero."""
    hz = clock_ticks()
    return {
        part: sum(ticks - before.get(part, {}).get(pid, 0) for pid, ticks in pids.items()) / hz
        for part, pids in after.items()
    }


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all cores from /proc/stat."""
    values = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return total - idle, total


# --- the set-up -----------------------------------------------------------------------------------------------

IDLE_PATH = "/capacity-idle"  # answered by nginx itself: sent when every learner of a wrk thread awaits an answer
TAG_HEADER = "X-Bench-Tag"  # "kind learner sent-µs", echoed by nginx so the client can time each kind


@dataclass
class LoadCluster(Cluster):
    """deploy/cluster.py's set-up, with nginx's configuration changed for a load of many idle learners only:
    room for one connection per learner (deploy/nginx.conf's 1,024 would be full at about 500 learners, each
    holding a client and, while served, an upstream connection), a longer accept queue for wrk's start, the
    client's tag echoed on every answer, and IDLE_PATH answered by nginx itself."""

    connections: int = 1024

    def nginx_config(self, run: Path) -> str:
        text = super().nginx_config(run)
        limit = 2 * self.connections + 256
        changes = (
            ("worker_processes 1;", f"worker_processes 1;\nworker_rlimit_nofile {limit + 64};"),
            ("worker_connections 1024;", f"worker_connections {limit};"),
            (f"listen {self.url.removeprefix('http://')};", f"listen {self.url.removeprefix('http://')} backlog=4096;"),
            (
                "add_header X-Course-Upstream $upstream_addr always;",
                "add_header X-Course-Upstream $upstream_addr always;\n"
                f"            add_header {TAG_HEADER} $http_x_bench_tag always;",
            ),
            (
                "        location / {",
                f"        location = {IDLE_PATH} {{\n"
                f"            add_header {TAG_HEADER} $http_x_bench_tag always;\n"
                "            return 204;\n"
                "        }\n\n"
                "        location / {",
            ),
        )
        for old, new in changes:
            if old not in text:
                raise CapacityError(f"deploy/nginx.conf changed: {old!r} not found")
            text = text.replace(old, new, 1)
        return text


@contextmanager
def started(cluster: Cluster) -> Iterator[Cluster]:
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def database_name(url: str) -> str:
    from sqlalchemy.engine import make_url

    return str(make_url(url).database)


# --- learners -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """One learner's session and open quiz attempt: what each learner of the load sends as."""

    attempt_path: str
    cookie: str
    csrf_token: str
    answers: str  # the right answers for this attempt's layout, form-encoded

    def line(self) -> str:
        return "\t".join((self.attempt_path, self.cookie, self.csrf_token, self.answers))

    @classmethod
    def from_pool_line(cls, line: str) -> Identity:
        """From a line of bench/run.py's quiz tool: path, cookie, and the submission's body with its token."""
        path, cookie, body = line.split("\t")
        fields = parse_qsl(body, keep_blank_values=True)
        token = next(value for name, value in fields if name == "csrf_token")
        answers = urlencode([(name, value) for name, value in fields if name not in ("csrf_token", "submit")])
        return cls(path, cookie, token, answers)


def make_identities(cluster: Cluster, count: int, work: Path, lang: str) -> list[Identity]:
    """`count` learners made by the app's own code (bench/run.py's quiz tool): each a user with a server-side
    session, its CSRF token, and an open attempt at kam-mandate-quiz with its right answers. Logging thousands in
    through the form would cost a password hash each; one learner is logged in through the form (`check_login`)."""
    if count <= 0:
        return []
    out = work / f"made-{time.monotonic_ns()}.tsv"
    run_quiz_tool(cluster.server_env("a"), "--make", str(count), "--out", str(out), "--lang", lang)
    lines = out.read_text().splitlines()
    out.unlink()
    return [Identity.from_pool_line(line) for line in lines]


def check_login(cluster: Cluster, lang: str) -> None:
    """A learner registered by the CLI logs in through nginx with the real form, as a browser does (GET the form
    and its token, POST, follow to the home page): the set-up's sessions work end to end."""
    cluster.flask("users", "create", BENCH_EMAIL, "--role", "learner", "--password-stdin", stdin=BENCH_PASSWORD + "\n")
    session = login(cluster.port, lang)
    status, _headers, body = fetch(
        cluster.port, "GET", lesson_path(0), {"Accept-Language": lang, "Cookie": session.cookie_header}
    )
    if status != 200 or LOGGED_IN_MARK not in body.decode("utf-8", "replace"):
        raise CapacityError(f"a lesson after the form login answered {status} without the log-out form")


def lesson_path(number: int) -> str:
    return f"/courses/{COURSE_ID}/lessons/{LESSON_IDS[number % len(LESSON_IDS)]}"


def plan_body(cents: int | None) -> str:
    """SANDBOX_BODY with its target total cash in cents (None: the plan as it is, the same every time)."""
    if cents is None:
        return SANDBOX_BODY
    return SANDBOX_BODY.replace('"ttc": 150000', f'"ttc": {cents // 100}.{cents % 100:02d}')


def plan_parts() -> tuple[str, str, str]:
    """SANDBOX_BODY cut around its seed and its target total cash, for the load client to fill in."""
    before_seed, rest = SANDBOX_BODY.split('"seed": ', 1)
    between, after = rest.split(", ", 1)[1].split('"ttc": 150000', 1)
    return before_seed + '"seed": ', ", " + between + '"ttc": ', after


def walk(cluster: Cluster, identity: Identity, mix: Sequence[Step], lang: str) -> None:
    """One learner through one cycle of the mix, one request at a time, each answer checked: a broken page is never
    measured (a redirect to the login would look fast)."""
    base = {"Accept-Language": lang, "Cookie": identity.cookie}
    form = {**base, "Content-Type": "application/x-www-form-urlencoded"}
    api = {**base, "Content-Type": "application/json", "X-CSRFToken": identity.csrf_token}
    checks = lessons = 0
    for number, kind in enumerate(cycle_kinds(mix)):
        method, expected, _what = KINDS[kind]
        body: str | None = None
        headers = base
        needle = LOGGED_IN_MARK
        if kind == "overview":
            path = f"/courses/{COURSE_ID}"
        elif kind == "lesson":
            path, lessons = lesson_path(lessons), lessons + 1
        elif kind == "attempt":
            path, needle = identity.attempt_path, 'class="quiz-form"'
        elif kind == "check":
            checks += 1
            path, headers, needle = identity.attempt_path, {**form, "X-Requested-With": "fetch"}, "outcome"
            body = f"csrf_token={identity.csrf_token}&{identity.answers}&check={(checks - 1) % QUIZ_QUESTIONS + 1}"
        elif kind == "submit":
            path, headers, needle = identity.attempt_path, form, ""
            body = f"csrf_token={identity.csrf_token}&{identity.answers}&submit=1"
        elif kind == "review":
            path, needle = f"{identity.attempt_path}/review", 'class="result result--passed"'
        else:
            path, headers, needle = EVALUATE_PATH, api, '"score":'
            body = plan_body(PLAN_AMOUNT_CENTS - 1 - number if kind == "evaluate" else None)
        status, response, content = fetch(
            cluster.port, method, path, headers, body.encode() if body is not None else None
        )
        text = content.decode("utf-8", "replace")
        if status != expected or needle not in text:
            raise CapacityError(f"{kind}: {method} {path} answered {status} (expected {expected}): {text[:300]}")
        if kind == "submit" and not response.get("Location", "").endswith("/review"):
            raise CapacityError(f"submit redirected to {response.get('Location')!r}, not to the review")


# --- the load: wrk with one connection per learner ---------------------------------------------------------------

WRK_SCRIPT = """\
-- Generated by bench/capacity.py. One connection per learner; wrk waits delay() before every request, the
-- first one too, so the learners' clicks are spread from the start. wrk calls delay() and request() without saying
-- for which connection, so a connection is a learner's pace (a think time drawn from an exponential distribution
-- with the mix's mean, then a request) and the thread's learners take turns in what they send: each learner walks
-- its own cycle in order, with its own session and quiz attempt, and never sends while its last request is open.
-- nginx echoes the tag of each request ("kind learner sent-us"), so each answer is timed by its kind.
local ffi = require("ffi")
ffi.cdef[[
typedef struct {{ long tv_sec; long tv_usec; }} capacity_timeval;
int gettimeofday(capacity_timeval *tv, void *tz);
]]
local clock = ffi.new("capacity_timeval")
local function now_us()
  ffi.C.gettimeofday(clock, nil)
  return tonumber(clock.tv_sec) * 1000000 + tonumber(clock.tv_usec)
end

local pool_file, log_dir, idle_path = {pool}, {log_dir}, {idle_path}
local thread_count, per_thread, mean_think_ms = {threads}, {per_thread}, {think_ms}
local cycle = {{ {cycle} }}
local lessons = {{ {lessons} }}
local overview_path, evaluate_path = {overview}, {evaluate}
local plan_head, plan_middle, plan_tail, same_plan = {plan_head}, {plan_middle}, {plan_tail}, {same_plan}
local seed_base = {seed_base}
local first_cents, questions = {first_cents}, {questions}
local threads = {{}}

function setup(thread)
  table.insert(threads, thread)
  thread:set("number", #threads - 1)
end

function init(args)
  math.randomseed(number * 7919 + os.time())
  identities, next_identity, exhausted, idle, plans, turn = {{}}, 1, 0, 0, 0, 0
  local index = 0
  for line in io.lines(pool_file) do
    if index % thread_count == number then
      local path, cookie, token, answers = line:match("^([^\\t]*)\\t([^\\t]*)\\t([^\\t]*)\\t(.*)$")
      table.insert(identities, {{index, path, cookie, token, answers}})
    end
    index = index + 1
  end
  log = io.open(log_dir .. "/thread-" .. number .. ".log", "w")
  log:setvbuf("line")
  learners = {{}}
  for i = 1, per_thread do
    local learner = {{position = math.random(1, #cycle), lesson = math.random(0, #lessons - 1), busy = false}}
    learners[i] = learner
    take_identity(learner)
  end
end

function take_identity(learner)
  learner.identity = identities[next_identity]
  learner.submitted, learner.checks = false, 0
  if learner.identity == nil then
    exhausted = exhausted + 1
    learner.identity = identities[1]
  else
    next_identity = next_identity + 1
    log:write("take ", learner.identity[1], "\\n")
  end
end

function delay()
  return math.floor(-mean_think_ms * math.log(1 - math.random()))
end

local function tagged(kind, index, headers)
  local all = {{}}
  for name, value in pairs(wrk.headers) do all[name] = value end
  for name, value in pairs(headers) do all[name] = value end
  all["X-Bench-Tag"] = kind .. " " .. index .. " " .. string.format("%d", now_us())
  return all
end

function request()
  local learner, index = nil, 0
  for _ = 1, #learners do
    turn = turn % #learners + 1
    if not learners[turn].busy then learner, index = learners[turn], turn break end
  end
  if learner == nil then
    idle = idle + 1
    return wrk.format("GET", idle_path, tagged("idle", 0, {{}}))
  end
  local kind = cycle[learner.position]
  -- a learner who starts the run after its cycle's submit has no submitted attempt to review: it opens the attempt
  -- page instead, which draws the same seven questions (without their feedback)
  if kind == "review" and not learner.submitted then kind = "attempt" end
  learner.position = learner.position % #cycle + 1
  learner.busy = true
  local id = learner.identity
  local path, cookie, token, answers = id[2], id[3], id[4], id[5]
  local form = "application/x-www-form-urlencoded"
  local result
  if kind == "overview" then
    result = wrk.format("GET", overview_path, tagged(kind, index, {{Cookie = cookie}}))
  elseif kind == "lesson" then
    learner.lesson = (learner.lesson + 1) % #lessons
    result = wrk.format("GET", lessons[learner.lesson + 1], tagged(kind, index, {{Cookie = cookie}}))
  elseif kind == "attempt" then
    result = wrk.format("GET", path, tagged(kind, index, {{Cookie = cookie}}))
  elseif kind == "check" then
    learner.checks = learner.checks + 1
    local body = "csrf_token=" .. token .. "&" .. answers .. "&check=" .. ((learner.checks - 1) % questions + 1)
    local headers = {{Cookie = cookie, ["Content-Type"] = form, ["X-Requested-With"] = "fetch"}}
    result = wrk.format("POST", path, tagged(kind, index, headers), body)
  elseif kind == "submit" then
    learner.submitted = true
    log:write("submitted ", id[1], "\\n")
    local body = "csrf_token=" .. token .. "&" .. answers .. "&submit=1"
    result = wrk.format("POST", path, tagged(kind, index, {{Cookie = cookie, ["Content-Type"] = form}}), body)
  elseif kind == "review" then
    result = wrk.format("GET", path .. "/review", tagged(kind, index, {{Cookie = cookie}}))
  else
    -- "evaluate": a plan no one sent before, at this learner's own draw of the scenario (its design's seed), so
    -- a learner's first evaluation also simulates the benchmark at that draw; "evaluate_same": the memo's case
    local body = same_plan
    if kind == "evaluate" then
      local cents = first_cents + number + thread_count * plans
      plans = plans + 1
      local amount = string.format("%d.%02d", math.floor(cents / 100), cents % 100)
      body = plan_head .. string.format("%d", seed_base + id[1]) .. plan_middle .. amount .. plan_tail
    end
    local headers = {{Cookie = cookie, ["Content-Type"] = "application/json", ["X-CSRFToken"] = token}}
    result = wrk.format("POST", evaluate_path, tagged(kind, index, headers), body)
  end
  if learner.position == 1 then take_identity(learner) end
  return result
end

function response(status, headers, body)
  local tag = headers["X-Bench-Tag"] or headers["x-bench-tag"]
  if tag == nil then
    log:write("untagged ", status, "\\n")
    return
  end
  local kind, index, sent = tag:match("^(%S+) (%d+) (%d+)$")
  local done_us = now_us()
  index = tonumber(index)
  if index > 0 then learners[index].busy = false end
  log:write(kind, " ", status, " ", string.format("%d %d", done_us - tonumber(sent), done_us), "\\n")
end

function done(summary, latency, requests)
  local out = 0
  for _, thread in ipairs(threads) do out = out + thread:get("exhausted") end
  io.write(string.format("CAPACITY exhausted=%d\\n", out))
end
"""


def lua_list(items: Sequence[str]) -> str:
    return ", ".join(lua_string(item) for item in items)


def write_script(
    path: Path,
    *,
    pool: Path,
    logs: Path,
    threads: int,
    per_thread: int,
    mix: Sequence[Step],
    first_cents: int,
    seed_base: int,
) -> None:
    head, middle, tail = plan_parts()
    path.write_text(
        WRK_SCRIPT.format(
            pool=lua_string(str(pool)),
            log_dir=lua_string(str(logs)),
            idle_path=lua_string(IDLE_PATH),
            threads=int(threads),
            per_thread=int(per_thread),
            think_ms=round(mean_think_s(mix) * 1000),
            cycle=lua_list(cycle_kinds(mix)),
            lessons=lua_list([lesson_path(number) for number in range(len(LESSON_IDS))]),
            overview=lua_string(f"/courses/{COURSE_ID}"),
            evaluate=lua_string(EVALUATE_PATH),
            plan_head=lua_string(head),
            plan_middle=lua_string(middle),
            plan_tail=lua_string(tail),
            seed_base=int(seed_base),
            same_plan=lua_string(SANDBOX_BODY),
            first_cents=int(first_cents),
            questions=QUIZ_QUESTIONS,
        )
    )


@dataclass
class Pool:
    """The learners' identities: topped up before each step, those whose attempt was submitted never used again."""

    cluster: Cluster
    work: Path
    lang: str
    spare: list[Identity] = field(default_factory=list)
    made: int = 0

    def fill(self, needed: int) -> Path:
        if len(self.spare) < needed:
            fresh = make_identities(self.cluster, needed - len(self.spare), self.work, self.lang)
            self.made += len(fresh)
            self.spare += fresh
        path = self.work / "pool.tsv"
        path.write_text("".join(f"{identity.line()}\n" for identity in self.spare))
        return path

    def after(self, submitted: set[int]) -> None:
        """Drop the identities whose attempt a submit went out for (sent or not, it may be closed)."""
        self.spare = [identity for number, identity in enumerate(self.spare) if number not in submitted]


@dataclass(frozen=True)
class Answer:
    kind: str
    status: int
    latency_ms: float
    done_s: float


def read_logs(folder: Path) -> tuple[list[Answer], set[int], int]:
    """The answers, the pool lines a submit went out for, and the answers without a tag (nginx lost the echo)."""
    answers, submitted, untagged = [], set(), 0
    for log in sorted(folder.glob("thread-*.log")):
        for line in log.read_text().splitlines():
            words = line.split()
            if words[0] == "submitted":
                submitted.add(int(words[1]))
            elif words[0] == "untagged":
                untagged += 1
            elif words[0] != "take" and len(words) == 4:
                answers.append(Answer(words[0], int(words[1]), int(words[2]) / 1000.0, int(words[3]) / 1e6))
    return answers, submitted, untagged


def parse_socket_errors(output: str) -> int:
    match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return sum(int(group) for group in match.groups()) if match else 0


def summarise_kinds(answers: Sequence[Answer]) -> dict[str, KindResult]:
    kinds: dict[str, KindResult] = {}
    for kind in KINDS:
        mine = [answer for answer in answers if answer.kind == kind]
        if not mine:
            continue
        ordered = sorted(answer.latency_ms for answer in mine)
        kinds[kind] = KindResult(
            requests=len(mine),
            errors=sum(answer.status != KINDS[kind][1] for answer in mine),
            p50_ms=percentile(ordered, 50),
            p95_ms=percentile(ordered, 95),
            p99_ms=percentile(ordered, 99),
        )
    return kinds


def database_connections(database: str) -> int:
    """Backends connected to the set-up's database now (from the processes' titles)."""
    count = 0
    for entry in Path("/proc").iterdir():
        try:
            postgres = entry.name.isdigit() and (entry / "comm").read_text().strip() == "postgres"
        except OSError:
            continue
        count += postgres and postgres_part(entry, database) == "postgresql"
    return count


@dataclass
class Settings:
    mix: tuple[Step, ...]
    warmup_s: float
    seconds: float
    threads: int
    bound_ms: float
    lang: str
    idle_s: float = 5.0  # seconds without load, to measure what each part uses idle


def part_groups(cluster: Cluster) -> dict[int, str]:
    """Process groups of the set-up's own processes: the app servers, the job worker and nginx."""
    groups = {server.process.pid: "app" for server in cluster.app_servers if server.process is not None}
    groups.update(
        {process.pid: part for part, process in (("jobs", cluster.worker), ("nginx", cluster.proxy)) if process}
    )
    return groups


def idle_rates(cluster: Cluster, seconds: float) -> dict[str, float]:
    """CPU seconds per second that each part uses without load (catalog checks, job polling, other people's use of
    the shared PostgreSQL server and Redis): subtracted from every step, so a request is charged only its own."""
    groups, database = part_groups(cluster), database_name(cluster.database_url)
    before, started_at = scan_cpu(groups, database, None), time.monotonic()
    time.sleep(seconds)
    used = cpu_delta(before, scan_cpu(groups, database, None))
    elapsed = time.monotonic() - started_at
    return {part: value / elapsed for part, value in used.items()}


def pool_need(learners: int, settings: Settings) -> int:
    """Identities a step may use: one per learner, one more per cycle a learner finishes (twice the expected)."""
    total = settings.warmup_s + settings.seconds
    cycles = learners * total * learner_rate(settings.mix) / len(cycle_kinds(settings.mix))
    return learners + math.ceil(2 * cycles) + 4 * settings.threads


def run_step(
    cluster: LoadCluster,
    pool: Pool,
    learners: int,
    settings: Settings,
    plan_cents: int,
    work: Path,
    idle: dict[str, float],
) -> tuple[StepResult, int]:
    """`learners` connections for warm-up + measured seconds; returns the result and the plan cents used."""
    mix, threads = settings.mix, settings.threads
    per_thread = learners // threads
    total = settings.warmup_s + settings.seconds
    pool_path = pool.fill(pool_need(learners, settings))
    logs = work / f"logs-{cluster.servers}-{learners}"
    logs.mkdir()
    script = work / "capacity.lua"
    write_script(
        script,
        pool=pool_path,
        logs=logs,
        threads=threads,
        per_thread=per_thread,
        mix=mix,
        first_cents=plan_cents,
        seed_base=SEED_STEP * (100 * cluster.servers + len(list(work.glob("logs-*")))),
    )
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{per_thread * threads}",
        f"-d{math.ceil(total)}s",
        "--timeout=10s",
        "-s",
        str(script),
        "-H",
        f"Accept-Language: {settings.lang}",
        cluster.url + "/",
    ]
    groups = part_groups(cluster)
    database = database_name(cluster.database_url)
    with (work / "wrk.out").open("w") as out:
        client = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        time.sleep(settings.warmup_s)
        cpu_before, machine_before, window_start = scan_cpu(groups, database, client.pid), machine_ticks(), time.time()
        time.sleep(settings.seconds)
        cpu_after, machine_after, window_end = scan_cpu(groups, database, client.pid), machine_ticks(), time.time()
        connections = database_connections(database)
        try:
            client.wait(timeout=total + 60)
        except subprocess.TimeoutExpired as error:
            client.kill()
            raise CapacityError("wrk did not finish in time") from error
    output = (work / "wrk.out").read_text()
    if client.returncode != 0:
        raise CapacityError(f"wrk failed ({client.returncode}):\n{output}")
    answers, submitted, untagged = read_logs(logs)
    pool.after(submitted)
    served = [answer for answer in answers if answer.kind in KINDS]
    window = [answer for answer in served if window_start <= answer.done_s <= window_end]
    ordered = sorted(answer.latency_ms for answer in window)
    exhausted_match = re.search(r"^CAPACITY exhausted=(\d+)", output, re.MULTILINE)
    socket_errors = parse_socket_errors(output)
    busy = machine_after[0] - machine_before[0]
    elapsed = window_end - window_start
    raw = cpu_delta(cpu_before, cpu_after)
    share = busy / max(1, machine_after[1] - machine_before[1])
    result = StepResult(
        servers=cluster.servers,
        learners=per_thread * threads,
        seconds=elapsed,
        expected_rps=per_thread * threads * learner_rate(mix),
        requests=len(window),
        requests_per_s=len(window) / elapsed,
        errors=sum(answer.status != KINDS[answer.kind][1] for answer in served) + socket_errors + untagged,
        socket_errors=socket_errors,
        p50_ms=percentile(ordered, 50),
        p95_ms=percentile(ordered, 95),
        p99_ms=percentile(ordered, 99),
        kinds=summarise_kinds(window),
        cpu_s={part: max(0.0, value - idle.get(part, 0.0) * elapsed) for part, value in raw.items()},
        idle_cpu_s={part: idle.get(part, 0.0) * elapsed for part in raw},
        machine_busy=share,
        others_cpu_s=max(0.0, share * (os.cpu_count() or 1) * elapsed - sum(raw.values())),
        database_connections=connections,
        pool_exhausted=int(exhausted_match.group(1)) if exhausted_match else -1,
    )
    result.passed = bool(result.requests) and not result.errors and not result.pool_exhausted
    result.passed = result.passed and result.p95_ms <= settings.bound_ms
    # Thread n of N sent plans first + n, first + n + N, …, at most one per request it sent (answered or not):
    # the next step starts past them all.
    return result, plan_cents + threads * (len(answers) + per_thread * threads + 1)


def measure_servers(
    servers: int, steps: Sequence[int], settings: Settings, options: argparse.Namespace, work: Path
) -> list[StepResult]:
    """Start the set-up with `servers` servers, check a learner's cycle, then load the steps until one fails."""
    folder = work / f"cluster-{servers}"
    cluster = LoadCluster(
        options.database_url, options.redis_url, folder, servers, options.workers, connections=max(steps)
    )
    results: list[StepResult] = []
    print(f"\n== {servers} server(s) × {options.workers} workers: starting the set-up …", flush=True)
    with started(cluster):
        check_login(cluster, settings.lang)
        pool = Pool(cluster, folder, settings.lang)
        pool.fill(pool_need(steps[0], settings) + 1)
        walk(cluster, pool.spare.pop(), settings.mix, settings.lang)
        print(f"   {cluster.url}: the form login and one learner's whole cycle answered as expected", flush=True)
        idle = idle_rates(cluster, settings.idle_s)
        print(
            "   without load, CPU s per s: " + ", ".join(f"{part} {value:.3f}" for part, value in sorted(idle.items()))
        )
        cents = PLAN_AMOUNT_CENTS
        for learners in steps:
            result, cents = run_step(cluster, pool, learners, settings, cents, folder, idle)
            results.append(result)
            print_step(result, settings.bound_ms)
            if not result.passed:
                break
    return results


# --- report ---------------------------------------------------------------------------------------------------


def print_step(result: StepResult, bound_ms: float) -> None:
    verdict = "within" if result.passed else "OVER"
    per = result.cpu_ms_per_request()
    parts = ", ".join(f"{part} {ms:.2f}" for part, ms in sorted(per.items()))
    print(
        f"   {result.learners:>6} learners: {result.requests_per_s:7.1f} req/s (they send {result.expected_rps:.1f}), "
        f"p50 {result.p50_ms:.0f} / p95 {result.p95_ms:.0f} / p99 {result.p99_ms:.0f} ms, errors {result.errors} "
        f"[{verdict} p95 ≤ {bound_ms:.0f} ms]; machine {100 * result.machine_busy:.0f} % busy; "
        f"CPU ms/request: {parts}; other work on the machine {result.others_cpu_s:.1f} CPU s; "
        f"{result.database_connections} database connections",
        flush=True,
    )
    for kind, found in result.kinds.items():
        print(
            f"      {kind:<14} {found.requests:>6}  p50 {found.p50_ms:6.1f}  p95 {found.p95_ms:6.1f}  "
            f"p99 {found.p99_ms:6.1f} ms  errors {found.errors}",
            flush=True,
        )


def best(results: Sequence[StepResult]) -> StepResult | None:
    """The largest step within the bound."""
    return max((result for result in results if result.passed), key=lambda result: result.learners, default=None)


def print_model(runs: dict[int, list[StepResult]], mix: Sequence[Step]) -> None:
    """The model from the largest step within the bound of each server count (docs/operations.md, "Capacity")."""
    rate = learner_rate(mix)
    print(
        f"\nThe mix: {len(cycle_kinds(mix))} requests per {cycle_seconds(mix):.0f} s cycle, "
        f"{60 * rate:.2f} requests per learner-minute; the benchmark prices it at "
        f"{benchmark_cost_ms(mix, BENCH_RATES_POSTGRESQL):.2f} CPU ms per request (all parts)"
    )
    for servers, results in runs.items():
        top = best(results)
        costs = costs_from(top) if top is not None else None
        if top is None or costs is None or costs.app_ms <= 0:
            print(f"{servers} server(s): no step within the bound (or no CPU measured): no model")
            continue
        print(
            f"{servers} server(s): largest step within the bound {top.learners} learners ({top.requests_per_s:.1f} "
            f"req/s); CPU ms per request: app {costs.app_ms:.2f}, PostgreSQL {costs.database_ms:.2f}, "
            f"nginx {costs.proxy_ms:.2f}, Redis {costs.redis_ms:.3f}; one 2-core app server carries "
            f"{learners_per_server(rate, costs.app_ms)} learners at {PLANNED_BUSY:.0%} busy"
        )
        for learners in (1000, 10000):
            sizing = size(learners, rate, costs)
            print(
                f"   {learners:>6} learners: {sizing.requests_per_s:.0f} req/s, {sizing.app_servers} app server(s) "
                f"({sizing.app_cores:.1f} cores, {sizing.gunicorn_workers} workers), PostgreSQL "
                f"{sizing.database_cores:.1f} cores and {sizing.database_connections} connections, nginx "
                f"{sizing.proxy_cores:.2f} cores and {sizing.proxy_connections} connections, Redis "
                f"{sizing.redis_cores:.3f} cores"
            )


# --- command line ---------------------------------------------------------------------------------------------

DEFAULT_STEPS = (1000, 2000, 3000, 4000, 5000, 6000, 8000, 10000)
QUICK_STEPS = (400,)
DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/course_capacity_cluster"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help="loopback PostgreSQL whose name contains 'cluster' (dropped and re-created)",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--servers", help="server counts to measure, in order (default 1,2; --quick: 2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server (default 2)")
    parser.add_argument(
        "--learners", help=f"steps of concurrent learners (default {','.join(map(str, DEFAULT_STEPS))})"
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per step (default 20)")
    parser.add_argument("--warmup", type=float, default=6.0, help="seconds before each step's measurement (default 6)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--bound-ms", type=float, default=200.0, help="p95 latency bound of the mix (default 200)")
    parser.add_argument("--mix", default=DEFAULT_MIX, help=f"the learner's cycle (default: {DEFAULT_MIX})")
    parser.add_argument("--lang", default="de", help="Accept-Language of every request")
    parser.add_argument(
        "--quick", action="store_true", help="one step of 400 learners, 3 + 6 s, on 2 servers (about a minute in all)"
    )
    parser.add_argument("--keep-tmp", action="store_true", help="keep the folder of logs, wrk's script and output")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "capacity.json")
    args = parser.parse_args(argv)
    try:
        args.mix_steps = parse_mix(args.mix)
    except ValueError as error:
        parser.error(f"--mix: {error}")
    if args.quick:
        args.seconds, args.warmup = 6.0, 3.0
    args.servers = args.servers or ("2" if args.quick else "1,2")
    steps = args.learners or ",".join(map(str, QUICK_STEPS if args.quick else DEFAULT_STEPS))
    args.steps = [int(value) for value in steps.split(",")]
    args.server_counts = [int(value) for value in args.servers.split(",")]
    if any(count < args.threads for count in args.steps) or min(args.server_counts) < 1:
        parser.error("every step needs at least --threads learners, and at least one server")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("error: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    settings = Settings(
        args.mix_steps, args.warmup, args.seconds, args.threads, args.bound_ms, args.lang, 1.0 if args.quick else 5.0
    )
    load_s = len(args.server_counts) * len(args.steps) * (args.warmup + args.seconds)
    print(
        f"At most {load_s:.0f} s of load ({len(args.steps)} step(s) × {args.warmup + args.seconds:.0f} s on each of "
        f"{args.servers} server(s)), plus about 30 s to start each set-up and to make the learners",
        flush=True,
    )
    runs: dict[int, list[StepResult]] = {}
    folder = Path(tempfile.mkdtemp(prefix="course-capacity-"))
    if args.keep_tmp:
        print(f"Logs, wrk's script and output: {folder}")
    try:
        for servers in args.server_counts:
            runs[servers] = measure_servers(servers, args.steps, settings, args, folder)
    except (CapacityError, ClusterError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        if not args.keep_tmp:
            shutil.rmtree(folder, ignore_errors=True)
    print_model(runs, settings.mix)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {str(servers): [asdict(result) for result in results] for servers, results in runs.items()}, indent=2
        )
    )
    print(f"\nWritten to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
