"""The trainers' studio: write lessons and quizzes in the browser, preview, publish, roll back."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("authoring", __name__, url_prefix="/studio")
