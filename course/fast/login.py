"""Flask-Login without the per-request session-protection hash when protection is off."""

from __future__ import annotations

from flask_login import LoginManager

from course.fast import enabled


class CourseLoginManager(LoginManager):
    """Flask-Login hashes the client's address and browser on every request before it looks whether session
    protection is on; it is off here (course/auth/views.py), so the check can only answer False."""

    def _session_protection_failed(self) -> bool:
        if enabled() and not self.session_protection:
            return False
        return super()._session_protection_failed()
