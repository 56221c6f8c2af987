"""xAPI statements for a Learning Record Store: what learners do (lessons read and completed, questions answered,
quizzes passed or failed, sandbox designs scored, certificates earned, courses completed) is queued in the outbox
with the event and sent to the LRS by `flask outbox send` (docs/operations.md, "xAPI"). Importing the package
subscribes the handlers and registers the "xapi" outbox channel; with no XAPI_LRS_URL, nothing is queued. `bp`
serves the activity ids as xAPI Activity Definitions."""

from course.xapi import sender, statements
from course.xapi.views import bp

__all__ = ["bp", "sender", "statements"]
