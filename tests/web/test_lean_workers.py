"""A server process carries only what its pages use: the integrations a site may never use (single sign-on, LTI,
JSON-LD signing, migrations, the command line, the Redis client when REDIS_URL is not set) and the certificate's PDF
drawing load where they are first needed, so each worker stays within its memory budget (bench/run.py measures it).
The check runs in a fresh interpreter: this test process has imported everything already."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parents[2]
# Each weighs 2-60 MB resident; none is needed to serve a course page, a sandbox evaluation or a kept PDF.
HEAVY = (
    "fpdf",
    "fontTools.subset",
    "authlib",
    "joserfc",
    "pylti1p3",
    "jwt",
    "jwcrypto",
    "pyld",
    "zxcvbn",
    "alembic",
    "requests",
    "PIL",
    "course.cli",
    "tarfile",
    "redis",
)

SERVE = """
import json, sys
from course.app import create_app
from course.extensions import db
from course.publishing.operations import bundled_files, import_files
from course.warmup import warm_up

app = create_app()
with app.app_context():
    db.create_all()
    files, problems = bundled_files(app.config)
    import_files(files, problems)
    db.session.commit()
warm_up(app)
client = app.test_client()
statuses = [client.get(path).status_code for path in sys.argv[2:]]
print(json.dumps({"statuses": statuses, "loaded": [name for name in sys.argv[1].split(",") if name in sys.modules]}))
"""


def test_a_worker_serving_course_pages_loads_none_of_the_heavy_integrations(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "COURSE_INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "lean-worker-test-" + "x" * 32,
        "COURSE_PUBLIC_URL": "http://127.0.0.1:5000",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'lean.sqlite3'}",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("REDIS_URL", None)
    lesson = "/courses/kam-pay/lessons/kams-are-not-salespeople"
    pages = ["/", lesson, "/auth/login", "/verify", "/verify/7QX39KDM2FH4JN6P"]
    result = subprocess.run(
        [sys.executable, "-c", SERVE, ",".join(HEAVY), *pages],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert all(status < 500 for status in report["statuses"]), report
    assert report["loaded"] == []


def test_flask_db_loads_the_migration_commands_when_run(app: Flask) -> None:
    assert "migrate" not in app.extensions
    result = app.test_cli_runner().invoke(args=["db", "--help"])
    assert result.exit_code == 0, result.output
    assert "Upgrade to a later version" in result.output
    assert "migrate" in app.extensions
