"""Signed webhooks for HR systems: the admins' pages, the event handlers that queue deliveries in the outbox, and
the outbox channel that sends them (docs/operations.md, "HR systems")."""

from course.webhooks import sender as _sender  # noqa: F401 - registers the "webhook" outbox channel
from course.webhooks.views import bp

__all__ = ["bp"]
