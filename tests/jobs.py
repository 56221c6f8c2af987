"""Background jobs in tests: ask for an export as the page's button does, run what is queued, fetch the file.

Tests run with JOBS_RUNNER = "off" (course/config.py): nothing runs a job until the test says so, so every test
decides exactly when its jobs run.
"""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from course.jobs import operations

JOB_PAGE = re.compile(r"/jobs/(\d+)$")


def run_jobs(app: Flask) -> int:
    """Run every due job now, in this process; returns how many ran."""
    with app.app_context():
        return operations.run_due()


def ask(client: FlaskClient, path: str, data: dict | None = None, headers: dict | None = None) -> str:
    """POST the export button's form; returns the job page it redirects to."""
    response = client.post(path, data=data or {}, headers=headers)
    assert response.status_code == 302, (response.status_code, response.get_data(as_text=True)[:300])
    location = response.headers["Location"]
    assert JOB_PAGE.search(location), location
    return location


def export(
    client: FlaskClient, app: Flask, path: str, data: dict | None = None, headers: dict | None = None
) -> TestResponse:
    """Ask for an export, run the job, and download its file (asserting that it is there)."""
    page = ask(client, path, data, headers)
    run_jobs(app)
    response = client.get(f"{page}/download")
    assert response.status_code == 200, (response.status_code, client.get(page).get_data(as_text=True)[:500])
    return response
