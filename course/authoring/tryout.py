"""Try a quiz revision as a learner would, graded on the spot and recorded nowhere."""

from __future__ import annotations

from flask import abort

from course.auth.access import staff_required
from course.authoring.views import bp


@bp.route("/files/<path:path>/try", methods=["GET", "POST"])
@staff_required
def try_quiz(path: str):
    """Placeholder."""
    abort(404)
