"""User administration for admins: the accounts, invitations (one by one or from a CSV file) and the audit log."""

from course.admin import groups as _groups  # noqa: F401 - registers the group pages on bp
from course.admin.views import bp

__all__ = ["bp"]
