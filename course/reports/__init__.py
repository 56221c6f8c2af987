"""Reports per group and course for the managers and trainers who look after the group, and for admins."""

from course.reports.views import bp

__all__ = ["bp"]
