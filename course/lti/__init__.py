"""The LTI 1.3 tool: LMSs (platforms) registered by admins launch the course, a lesson, a quiz or a sandbox scenario,
and their instructors pick what to place (deep linking). The routes are in course/lti/views.py."""

from course.lti.views import bp

__all__ = ["bp"]
