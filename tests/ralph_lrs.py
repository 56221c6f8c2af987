"""Learning Record Stores for the xAPI tests.

`RalphLRS`: the real Ralph LRS (ralph-malph) as a separate process on a free loopback port, with its file backend
in a temporary folder and HTTP Basic credentials in its own auth file. Ralph cannot share the project's venv (its
`lrs` extra pins cachetools 5.5, its `cli` extra click < 8.2.1, both older than the project's), so it lives in
.venv-ralph, built from the pinned tests/ralph/requirements.txt when the venv is missing or the file changed (a
stamp with the file's hash). The server is Ralph's own ASGI app (`ralph.api:app`, what `ralph runserver -b fs`
starts) under uvicorn without runserver's auto-reloader, which would restart it whenever a file changes under the
working directory; tests/ralph/serve.py makes its file backend append (Ralph 5.1.0's stores one write only).
`validate` checks statements with Ralph's own pydantic models (tests/ralph/validate.py).

`CraftedLRS`: a small LRS in a thread that answers what a test asks for (500, 401, 400, 409, or nothing until the
client gives up), for what a healthy LRS never does.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests
from flask import Flask, request
from werkzeug.serving import make_server

from tests.paths import PROJECT_ROOT
from tests.sso_provider import free_port

RALPH_VENV = PROJECT_ROOT / ".venv-ralph"
REQUIREMENTS = PROJECT_ROOT / "tests" / "ralph" / "requirements.txt"
VALIDATE = PROJECT_ROOT / "tests" / "ralph" / "validate.py"
SERVE = PROJECT_ROOT / "tests" / "ralph" / "serve.py"
STAMP = RALPH_VENV / "requirements.sha256"
START_TIMEOUT_SECONDS = 30
USERNAME = "course"
PASSWORD = "ralph-test-password"
VERSION_HEADER = {"X-Experience-API-Version": "1.0.3"}


class RalphUnavailable(RuntimeError):
    """Ralph could not be installed or started here (the fixture skips outside CI and fails in CI)."""


def _python() -> Path:
    return RALPH_VENV / "bin" / "python"


def ensure_ralph() -> float:
    """Build .venv-ralph unless it matches tests/ralph/requirements.txt; how many seconds the install took (0 when
    it was there). A lock file keeps two test runs from building it at once."""
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    lock_path = PROJECT_ROOT / ".venv-ralph.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if STAMP.exists() and STAMP.read_text().strip() == wanted and _python().exists():
            return 0.0
        started = time.monotonic()
        shutil.rmtree(RALPH_VENV, ignore_errors=True)
        steps = [
            [sys.executable, "-m", "venv", str(RALPH_VENV)],
            [str(_python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(REQUIREMENTS)],
        ]
        for step in steps:
            done = subprocess.run(step, capture_output=True, text=True)
            if done.returncode != 0:
                raise RalphUnavailable(f"{' '.join(step[:4])} … failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        STAMP.write_text(wanted + "\n")
        return time.monotonic() - started


class RalphLRS:
    """A running Ralph; `url` is its xAPI endpoint (what XAPI_LRS_URL takes)."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.base}/xAPI"
        self.auth = (USERNAME, PASSWORD)
        data = folder / "data"
        data.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "RALPH_APP_DIR": str(folder / "app"),
            "RALPH_AUTH_FILE": str(folder / "auth.json"),
            "RALPH_RUNSERVER_BACKEND": "fs",
            "RALPH_RUNSERVER_AUTH_BACKENDS": "basic",
            "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(data),
            "RALPH_SENTRY_DSN": "",
        }
        self._add_user()
        self.log_path = folder / "ralph.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [str(_python()), "-m", "uvicorn", "serve:app", "--app-dir", str(SERVE.parent)]
            + ["--host", "127.0.0.1", "--port", str(self.port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=self.env,
            cwd=folder,
        )
        self._wait_until_ready()

    def _add_user(self) -> None:
        """Ralph's own command writes the credentials (a bcrypt hash) and the scopes into its auth file."""
        command = [str(RALPH_VENV / "bin" / "ralph"), "auth", "-u", USERNAME, "-p", PASSWORD, "-s", "all"]
        command += ["-M", "mailto:course-lrs@example.org", "-w"]
        done = subprocess.run(command, capture_output=True, text=True, env=self.env)
        if done.returncode != 0:
            raise RalphUnavailable(f"ralph auth failed: {done.stderr[-2000:]}")

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RalphUnavailable(f"Ralph exited: {self.log_path.read_text(errors='replace')[-3000:]}")
            try:
                if requests.get(f"{self.base}/__heartbeat__", timeout=1).ok:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RalphUnavailable(f"Ralph did not answer within {START_TIMEOUT_SECONDS} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def statements(self, **params: str) -> list[dict]:
        """GET /xAPI/statements with these filters, following the LRS's "more" links."""
        found: list[dict] = []
        url: str | None = f"{self.url}/statements"
        while url:
            response = requests.get(url, params=params, auth=self.auth, headers=VERSION_HEADER, timeout=10)
            response.raise_for_status()
            answer = response.json()
            found += answer["statements"]
            url, params = (self.base + answer["more"] if answer.get("more") else None), {}
        return found

    def statement(self, statement_id: str) -> dict:
        """GET one statement by id (Ralph answers with a list of one, where xAPI 1.0.3 says the statement)."""
        response = requests.get(
            f"{self.url}/statements",
            params={"statementId": statement_id},
            auth=self.auth,
            headers=VERSION_HEADER,
            timeout=10,
        )
        response.raise_for_status()
        answer = response.json()
        (statement,) = answer.get("statements", [answer])
        return statement

    def validate(self, statements: list[dict]) -> list[dict]:
        """Each statement checked by Ralph's own models, in one subprocess: [{"id", "models", "errors"}]."""
        done = subprocess.run(
            [str(_python()), str(VALIDATE)],
            input=json.dumps(statements),
            capture_output=True,
            text=True,
            env=self.env,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


@dataclass
class CraftedLRS:
    """An LRS in this process that answers `status` (or waits `delay` seconds first); `reset()` before each test."""

    port: int = 0
    received: list[dict] = field(default_factory=list)

    def reset(self) -> None:
        self.status = 204
        self.body = ""
        self.headers: dict[str, str] = {}
        self.delay = 0.0
        self.received = []
        self.release = threading.Event()  # set to end a delay early (the client has long given up by then)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/xAPI"

    def app(self) -> Flask:
        app = Flask("crafted_lrs")

        @app.put("/xAPI/statements")
        def put():
            self.received.append(
                {
                    "statementId": request.args.get("statementId"),
                    "version": request.headers.get("X-Experience-API-Version"),
                    "authorization": request.headers.get("Authorization"),
                    "statement": request.get_json(silent=True),
                }
            )
            if self.delay:
                self.release.wait(self.delay)
            return self.body, self.status, self.headers

        return app


@contextmanager
def running_ralph(folder: Path) -> Iterator[RalphLRS]:
    """A real Ralph until the block ends, installed into .venv-ralph on first use; skipped where it cannot run,
    except in CI, where that fails the run."""
    from tests.conftest import require

    try:
        ensure_ralph()
        lrs = RalphLRS(folder)
    except RalphUnavailable as error:
        require(f"Ralph LRS: {error}")
    try:
        yield lrs
    finally:
        lrs.stop()


@contextmanager
def crafted_lrs() -> Iterator[CraftedLRS]:
    lrs = CraftedLRS()
    lrs.reset()
    server = make_server("127.0.0.1", 0, lrs.app(), threaded=True)
    lrs.port = server.server_port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield lrs
    finally:
        lrs.release.set()
        server.shutdown()
        thread.join()
