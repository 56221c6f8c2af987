"""The outbox: messages for other systems (xAPI statements, webhook deliveries, LMS scores) and the account mails,
queued in the same transaction as the event they tell of, and sent by jobs with retries (course/outbox/jobs.py)."""

from course.outbox import jobs  # noqa: F401 - registers the sending jobs
from course.outbox.views import bp

__all__ = ["bp"]
