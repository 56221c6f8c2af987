"""One site on several servers: app servers under gunicorn behind nginx, on one PostgreSQL and one Redis.

Run from the project root:

    .venv/bin/python deploy/cluster.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/course_cluster

It migrates the database and imports the bundled course (as an operator would, with the app's own commands),
starts the app servers (default two, each with two workers, each with its own instance folder), one job worker
(`flask jobs work`, RQ on the same Redis) and nginx (Debian's package, config from deploy/nginx.conf) in front,
prints the site's address and runs until Ctrl-C.
The end-to-end test tests/e2e/test_two_servers.py starts the same set-up through `Cluster`.

The servers share exactly what the operator's guide says several servers must share, and nothing else: the
database, Redis, SECRET_KEY and the signing key files (given to each server by path, as configuration). Each has
its own instance folder, so anything that would live only in one server's folder shows up as a failure.
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NGINX_TEMPLATE = ROOT / "deploy" / "nginx.conf"
LOOPBACK = "127.0.0.1"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", ""}
START_TIMEOUT_S = 90.0
SETUP_TIMEOUT_S = 180.0
#: Settings a developer's shell might hold; the servers get only what the cluster gives them.
INHERITED_APP_SETTINGS = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "FLASK_APP", "FLASK_DEBUG")


class ClusterError(RuntimeError):
    """The set-up could not start; the message says which part and shows its log."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def healthy(port: int) -> bool:
    """True when /healthz on the port answers 200 (the app reached its database)."""
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=2.0)
    try:
        connection.request("GET", "/healthz", headers={"Host": f"{LOOPBACK}:{port}"})
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def check_database_url(url: str) -> None:
    """Only a loopback PostgreSQL whose name says it may be dropped: `reset_database` drops it on every start."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("postgres"):
        raise ClusterError("the set-up needs PostgreSQL (several servers cannot share a SQLite file)")
    if (parsed.host or "") not in LOOPBACK_HOSTS and not (parsed.host or "").startswith("/"):
        raise ClusterError(f"the database must be on this machine, not {parsed.host!r}: it is dropped and re-created")
    if not parsed.database or "cluster" not in parsed.database:
        raise ClusterError("the database is dropped and re-created, so its name must contain 'cluster'")


def reset_database(url: str) -> None:
    """Drop and re-create the cluster's database, so every start begins from the same state."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = target.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as connection:
            name = sql.Identifier(str(target.database))
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            connection.execute(sql.SQL("CREATE DATABASE {}").format(name))
    except psycopg.Error as error:
        raise ClusterError(f"cannot reset the PostgreSQL database: {error}") from error


@dataclass
class AppServer:
    """One gunicorn (master and workers) in its own process group, so that stopping or killing it takes them all."""

    name: str
    env: dict[str, str]
    log_path: Path
    workers: int = 2
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            self.address,
            "--workers",
            str(self.workers),
            "--no-control-socket",  # several servers on one host would fight over the default control socket
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
            "wsgi:app",
        ]
        self.process = start_group(command, self.env, self.log_path)

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise ClusterError(f"app server {self.name} exited while starting:\n{tail(self.log_path)}")
            if healthy(self.port):
                return
            time.sleep(0.1)
        raise ClusterError(f"app server {self.name} not ready after {timeout:.0f} s:\n{tail(self.log_path)}")

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        """Stop the whole group: SIGTERM lets requests finish, SIGKILL is a crash (the tests' dead server)."""
        stop_group(self.process, sig)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def start_group(command: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start a command from the project root in a process group of its own, its output appended to `log_path`."""
    with log_path.open("ab") as log:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop_group(process: subprocess.Popen[bytes] | None, sig: signal.Signals = signal.SIGTERM) -> None:
    """Signal a process group, then SIGKILL whatever is left after a few seconds (also orphaned children)."""
    if process is None or process.returncode is not None:
        return
    for current, grace in ((sig, 8.0), (signal.SIGKILL, 5.0)):
        with suppress(ProcessLookupError):
            os.killpg(process.pid, current)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        break
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class Cluster:
    """The app servers and nginx, started by `start()` and stopped by `stop()` (or use `running_cluster`)."""

    database_url: str
    redis_url: str
    folder: Path
    servers: int = 2
    workers: int = 2
    port: int = field(default_factory=free_port)
    #: extra COURSE_* settings for every server (e.g. {"COURSE_CATALOG_CHECK_SECONDS": "1"})
    settings: dict[str, str] = field(default_factory=dict)
    nginx: str = field(default_factory=lambda: shutil.which("nginx") or "/usr/sbin/nginx")
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32))  # SECRET_KEY, the same on every server
    app_servers: list[AppServer] = field(default_factory=list)
    worker: subprocess.Popen[bytes] | None = None  # `flask jobs work`: the RQ worker that runs the background jobs
    proxy: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The site's address: nginx, what visitors and the certificates' links use."""
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def key_folder(self) -> Path:
        """The keys every server is given by path: the certificate signing key and the LTI tool key."""
        return self.folder / "shared-keys"

    def server_env(self, name: str) -> dict[str, str]:
        """The process environment of one server: this shell's, without its app settings, plus the cluster's."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("COURSE_") and key not in INHERITED_APP_SETTINGS
        }
        env.update(self.app_settings(name))
        return env

    def app_settings(self, name: str) -> dict[str, str]:
        """One server's configuration: shared database, Redis, secret and key files; its own instance folder."""
        settings = dict(
            SECRET_KEY=self.secret_key,
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            COURSE_INSTANCE_PATH=str(self.folder / f"instance-{name}"),
            COURSE_PUBLIC_URL=self.url,
            COURSE_PROXY_FIX_X_FOR="1",  # nginx is the one proxy in front
            COURSE_SESSION_COOKIE_SECURE="false",  # plain HTTP on loopback
            COURSE_REMEMBER_COOKIE_SECURE="false",
            COURSE_CERTIFICATE_KEY_FILE=str(self.key_folder / "certificate-signing-key.pem"),
            COURSE_LTI_KEY_FILE=str(self.key_folder / "lti-tool-key.pem"),
        )
        settings.update(self.settings)
        return settings

    def prepare(self) -> None:
        """A fresh database with the schema and the bundled course, through the app's own commands."""
        check_database_url(self.database_url)
        if not Path(self.nginx).is_file():
            raise ClusterError(f"no nginx at {self.nginx} (apt-get install nginx)")
        reset_database(self.database_url)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.key_folder.mkdir(mode=0o700, exist_ok=True)
        self.flask("db", "upgrade")
        self.flask("course", "import")

    def flask(self, *arguments: str, stdin: str | None = None) -> str:
        """Run `flask --app wsgi ...` with the first server's configuration (an operator's shell on that host)."""
        command = [sys.executable, "-m", "flask", "--app", "wsgi", *arguments]
        try:
            done = subprocess.run(
                command,
                cwd=ROOT,
                env=self.server_env("a"),
                input=stdin,
                capture_output=True,
                text=True,
                timeout=SETUP_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise ClusterError(f"`flask {' '.join(arguments)}` timed out") from error
        if done.returncode != 0:
            raise ClusterError(f"`flask {' '.join(arguments)}` failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def start(self) -> None:
        self.prepare()
        names = [chr(ord("a") + index) for index in range(self.servers)]
        self.app_servers = [
            AppServer(name, self.server_env(name), self.folder / f"server-{name}.log", self.workers) for name in names
        ]
        for server in self.app_servers:
            server.start()
        for server in self.app_servers:
            server.wait_ready()
        # One job worker for the site (more would share the queue); it runs beside server a, as on its host.
        worker = [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "work"]
        self.worker = start_group(worker, self.server_env("a"), self.folder / "jobs-worker.log")
        self.start_proxy()

    def start_proxy(self) -> None:
        run = self.folder / "nginx"
        run.mkdir(exist_ok=True)
        config = run / "nginx.conf"
        config.write_text(self.nginx_config(run))
        check = subprocess.run(
            [self.nginx, "-t", "-q", "-p", str(run), "-e", str(run / "error.log"), "-c", str(config)],
            capture_output=True,
            text=True,
            check=False,
        )
        if check.returncode != 0:
            raise ClusterError(f"nginx refuses its configuration:\n{check.stdout}{check.stderr}")
        with (run / "stdout.log").open("ab") as log:
            self.proxy = subprocess.Popen(
                [self.nginx, "-p", str(run), "-e", str(run / "error.log"), "-c", str(config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not healthy(self.port):
            if self.proxy.poll() is not None or time.monotonic() > deadline:
                raise ClusterError(f"nginx did not start:\n{tail(run / 'error.log')}")
            time.sleep(0.1)

    def nginx_config(self, run: Path) -> str:
        """deploy/nginx.conf with this cluster's ports, folders and one pin entry per server."""
        upstreams = "\n".join(
            f"        server {server.address} max_fails=1 fail_timeout=10s;" for server in self.app_servers
        )
        pins = "\n".join(f"        {server.name} {server.address};" for server in self.app_servers)
        # As root, the workers must run as root too: they write to this temporary folder, which only root may.
        user = "user root root;" if os.geteuid() == 0 else ""
        text = NGINX_TEMPLATE.read_text()
        for placeholder, value in (
            ("@USER@", user),
            ("@RUN@", str(run)),
            ("@LISTEN@", f"{LOOPBACK}:{self.port}"),
            ("@UPSTREAM_SERVERS@", upstreams),
            ("@PIN_ENTRIES@", pins),
        ):
            text = text.replace(placeholder, value)
        return text

    def server(self, name: str) -> AppServer:
        return next(server for server in self.app_servers if server.name == name)

    def stop(self) -> None:
        if self.proxy is not None and self.proxy.poll() is None:
            self.proxy.send_signal(signal.SIGQUIT)  # graceful: finish open requests
            try:
                self.proxy.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proxy.kill()
                self.proxy.wait(timeout=5)
        stop_group(self.worker)
        for server in self.app_servers:
            server.stop()


@contextmanager
def running_cluster(**options: object) -> Iterator[Cluster]:
    """A started cluster, stopped however the block ends (options: the fields of `Cluster`)."""
    cluster = Cluster(**options)  # type: ignore[arg-type]
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        required=True,
        help="PostgreSQL on this machine, its name containing 'cluster' (it is dropped and re-created)",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument("--port", type=int, default=8080, help="nginx's port on 127.0.0.1")
    parser.add_argument("--folder", type=Path, help="logs, instance folders and keys (default: a temporary folder)")
    args = parser.parse_args(argv)
    if args.servers < 1 or args.workers < 1:
        parser.error("--servers and --workers must be at least 1")
    folder = args.folder or Path(tempfile.mkdtemp(prefix="course-cluster-"))
    cluster = Cluster(args.database_url, args.redis_url, folder, args.servers, args.workers, args.port)
    stop = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, request_stop)
    try:
        cluster.start()
        print(f"The site is at {cluster.url} (servers {', '.join(s.address for s in cluster.app_servers)}).")
        settings = folder / "server-a.env"
        exports = (f"export {key}={shlex.quote(value)}\n" for key, value in cluster.app_settings("a").items())
        settings.write_text("".join(exports))
        settings.chmod(0o600)
        print(f"Logs and instance folders: {folder}. Create an account with:")
        print(f"  . {settings} && .venv/bin/flask --app wsgi users create you@example.org --role admin")
        print("Ctrl-C stops everything.")
        while not stop and all(server.running for server in cluster.app_servers):
            time.sleep(0.5)
    except ClusterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
