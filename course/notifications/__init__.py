"""Notifications: in the app with an unread count, and by mail through an outbox that jobs send (right after the
event, and a periodic run for reminders and retries), for course reminders, certificates, comments on designs,
feedback requests and weekly summaries. Each person chooses which mails they get."""

from course.notifications import jobs  # noqa: F401 - registers the sending jobs
from course.notifications.views import bp

__all__ = ["bp"]
