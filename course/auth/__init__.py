"""Accounts: register, log in, log out."""

from course.auth import sso  # noqa: F401 - registers the single sign-on routes on bp
from course.auth.views import bp

__all__ = ["bp"]
