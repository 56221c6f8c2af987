"""Notifications: in the app with an unread count, and by mail through an outbox a job sends (`flask
notifications send`), for course reminders, certificates, comments on designs, feedback requests and weekly
summaries. Each person chooses which mails they get."""

from course.notifications.views import bp

__all__ = ["bp"]
