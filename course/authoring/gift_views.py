"""Moodle GIFT in the studio: upload a GIFT file as a draft quiz, download a quiz as GIFT."""

from __future__ import annotations

from flask import abort

from course.auth.access import staff_required
from course.authoring.views import bp


@bp.get("/files/<path:path>/gift")
@staff_required
def gift_download(path: str):
    """Placeholder."""
    abort(404)
