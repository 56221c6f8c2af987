"""An independent verifier accepts our credentials end to end: Digital Bazaar's VC stack (tests/verifier/, Node),
run against the app served on loopback. It checks the signature with its own RDF canonicalisation, resolves the
key through the issuer profile (the keys' controller document, in JSON-LD safe mode) and reads the revocation
bit from the signed status list. Without node and npm the test is skipped, except in CI, where it fails.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from course.certificates import documents, operations
from course.core.certificates.record import record_from_dict
from course.core.certificates.signing import generate_private_key
from course.extensions import db
from course.models import Certificate
from tests.conftest import require
from tests.paths import PROJECT_ROOT
from tests.quiz_helpers import client_for
from tests.web.test_certificates_routes import complete_course, make_app  # noqa: F401 - the faster apps

VERIFIER = PROJECT_ROOT / "tests" / "verifier"
NPM_TIMEOUT_S = 600  # a fresh `npm ci` on a slow network; not a limit on the app


@pytest.fixture(scope="session")
def verifier() -> Path:
    """tests/verifier with its pinned packages installed (`npm ci` once, from package-lock.json)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        require("node and npm are needed for the independent credential verifier")
    if not (VERIFIER / "node_modules" / "@digitalbazaar" / "vc").is_dir():
        done = subprocess.run(  # noqa: S603 - fixed arguments, npm from PATH
            [npm, "ci", "--no-audit", "--no-fund"], cwd=VERIFIER, capture_output=True, text=True, timeout=NPM_TIMEOUT_S
        )
        if done.returncode != 0:
            pytest.fail(f"npm ci in {VERIFIER} failed:\n{done.stdout}\n{done.stderr}")
    return VERIFIER


@pytest.fixture
def live_app(app: Flask) -> Iterator[Flask]:
    """The test's app on 127.0.0.1:<free port>, with PUBLIC_URL set to that address (as e2e's live server)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["PUBLIC_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="verifier-live-server", daemon=True)
    thread.start()
    try:
        yield app
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def run_verifier(folder: Path, app: Flask, credentials: dict[str, dict]) -> dict:
    base = app.config["PUBLIC_URL"]
    job = {"origin": base, "issuer": f"{base}/certificates/issuer.json", "credentials": credentials}
    done = subprocess.run(  # noqa: S603 - fixed arguments, node from PATH
        [shutil.which("node") or "node", "verify.js"],
        cwd=folder,
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=NPM_TIMEOUT_S,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def valid(result: dict) -> bool:
    return result["verified"] is True and result["signature"] is True and result["revoked"] is False


def certified(app: Flask, make_user, name: str) -> tuple:
    learner = make_user(locale="en", display_name=name)
    client = client_for(app, learner)
    complete_course(app, learner)
    assert client.post("/courses/kam-pay/certificate", data={"name": name}).status_code == 302
    with app.app_context():
        public_id = db.session.scalar(select(Certificate.public_id).where(Certificate.user_id == learner.id))
    return client, public_id


def download(client, public_id: str) -> dict:
    response = client.get(f"/certificates/{public_id}/credential.json")
    assert response.status_code == 200
    return response.get_json()


def test_digital_bazaars_verifier_accepts_ours_and_refuses_tampered_revoked_and_foreign_ones(
    live_app: Flask, verifier: Path, make_user
) -> None:
    app = live_app
    client, public_id = certified(app, make_user, "Zoë Ångström")
    original = download(client, public_id)
    status_list = f"{app.config['PUBLIC_URL']}/certificates/status/revocation"
    assert original["credentialStatus"]["statusListCredential"] == status_list

    tampered = json.loads(json.dumps(original))
    tampered["credentialSubject"]["achievement"]["name"] = "Another course"

    other_client, other_id = certified(app, make_user, "Олег Петров")
    revoked = download(other_client, other_id)
    with app.app_context():
        operations.revoke(operations.find(other_id), None, "Issued by mistake")
        db.session.commit()

    with app.test_request_context():
        row = operations.find(public_id)
        foreign = documents.credential(record_from_dict(row.record), generate_private_key(), row.status_index)

    report = run_verifier(
        verifier, app, {"original": original, "tampered": tampered, "revoked": revoked, "foreign": foreign}
    )
    assert report["issuer"]["ok"], report["issuer"]
    results = report["credentials"]
    assert valid(results["original"]), results["original"]
    assert not results["tampered"]["verified"] and not results["tampered"]["signature"], results["tampered"]
    assert results["revoked"]["signature"] and results["revoked"]["revoked"] is True, results["revoked"]
    assert not results["foreign"]["verified"] and not results["foreign"]["signature"], results["foreign"]

    rotated = app.test_cli_runner().invoke(args=["certificates", "rotate-key", "--yes"])
    assert rotated.exit_code == 0, rotated.output
    after = download(client, public_id)
    assert after["proof"]["verificationMethod"] != original["proof"]["verificationMethod"]

    report = run_verifier(verifier, app, {"before rotation": original, "after rotation": after})
    assert report["issuer"]["ok"] and len(report["issuer"]["keys"]) == 2, report["issuer"]
    assert valid(report["credentials"]["before rotation"]), report["credentials"]["before rotation"]
    assert valid(report["credentials"]["after rotation"]), report["credentials"]["after rotation"]
