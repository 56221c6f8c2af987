"""The trainers' studio: write lessons and quizzes in the browser, preview, publish, roll back."""

from __future__ import annotations

from flask import Blueprint, abort

from course.auth.access import staff_required

bp = Blueprint("authoring", __name__, url_prefix="/studio")


@bp.get("/files/<path:path>")
@staff_required
def edit(path: str):
    """Placeholder: the editor of one content file."""
    abort(404)
