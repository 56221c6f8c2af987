"""Accounts: register, log in, log out."""

from course.auth.views import bp

__all__ = ["bp"]
