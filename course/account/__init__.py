"""The learner's own account: profile, password, email address, data export and deletion."""

from course.account.views import bp

__all__ = ["bp"]
