"""How learners do: the progress table, item statistics per quiz question, sandbox scores per scenario."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("analytics", __name__, url_prefix="/studio")
