"""The floor: the cheapest Flask page, served under the same gunicorn settings as the course app.

Every app page is compared with this one, so the ratio says how much of the machine's Flask + gunicorn
capacity a page uses, independent of how fast the machine (or the load generator sharing it) is.
"""

from __future__ import annotations

from flask import Flask

PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Hello</title></head>'
    "<body><p>Hello, world!</p></body></html>"
)

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return PAGE


@app.get("/healthz")
def healthz() -> dict[str, str]:
    """Same readiness probe as the course app, so the runner waits for both servers the same way."""
    return {"status": "ok"}
