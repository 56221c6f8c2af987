"""Background jobs: long work (the certificate ZIP, the CSV exports) and every send (the outbox, notification and
account mails, right after the event and periodically, instead of cron) run off the request, with progress, retries
and the file it made, kept in the database and run by a thread in each app process or by RQ workers
(docs/operations.md, "Background jobs"). The blueprint is `course.jobs.views.bp`; this package imports nothing at
import time, so the outbox can share its claiming (`course.jobs.claims`) without pulling in the views."""
