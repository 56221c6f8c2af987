"""The outbox: messages for other systems (xAPI statements, webhook deliveries, LMS scores) queued in the same
transaction as the event they tell of, and sent by a job with retries (`flask outbox send`)."""

from course.outbox.views import bp

__all__ = ["bp"]
