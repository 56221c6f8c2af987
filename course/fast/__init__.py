"""The deliberate fast paths: every place the app leaves the plain Flask way for speed lives in this package.

- `lane.py`: a logged-in learner's lesson page and open attempt page answered by a WSGI middleware in front of
  Flask, from the same shells, with the same functions, whenever it can answer exactly as Flask would (plain:
  Flask's request handling);
- `submission.py`: on the lane, a plain, complete quiz submission graded with the view's functions and written
  at once (one statement on PostgreSQL, one transaction on the bare driver on SQLite) whose UPDATE requires the
  answers unchanged since an unlocked read (plain: Flask's view, the attempt read under a lock through the ORM);
- `shells.py`: the lesson, overview and verification pages rendered once per context, then only filled
  (plain: `render_template` with the holes filled as it renders);
- `request_user.py` with `query.py`: the logged-in user as a snapshot from one precompiled query
  (plain: Flask-Login loads the ORM `User`);
- `csrf.py`: the CSRF token signed once per session (plain: Flask-WTF signs one per request);
- `sessions.py`: the cookie signer built once per key set, and a cookie checked once opened from what was kept
  (plain: Flask's `SecureCookieSessionInterface`);
- `attempts.py`: a quiz attempt closed by an UPDATE built once (plain: the ORM UPDATE in quiz/operations.py);
- `attempt_page.py`: the attempt page reads its attempt as a snapshot, in one query on the bare driver, and on the
  lane in the same statement as the learner (plain: the ORM `QuizAttempt` through the session);
- `login.py`: no address-and-browser hash when session protection is off (plain: Flask-Login as shipped);
- `assignments.py`: a learner's assignments for the home page, read on the bare driver (plain: the same SELECT
  through the session);
- `integrations.py`: whether an LMS or a webhook wants a submission's events, read on the bare driver (plain:
  the same reads through the session);
- `sandbox.py`: the rubric weights and the benchmark reveal an API evaluation reads, in one statement on the
  bare driver (plain: two reads through the session);
- `reads.py`: the certificate download reads outside a transaction on PostgreSQL (plain: the session's BEGIN and
  ROLLBACK around its reads);
- `translations.py`: a template's translations looked up once per locale and request (plain: Flask-Babel's
  lookup per translated string).

docs/architecture.md ("Fast paths") gives for each the benchmark figure that justifies it and how it fails.
`FAST_PATHS = False` (env COURSE_FAST_PATHS=false) serves everything the plain way. The switch is read
per request, so a test can serve the same request both ways and compare the pages.
"""

from __future__ import annotations

from flask import current_app


def enabled() -> bool:
    """Whether this request takes the fast paths (config FAST_PATHS, env COURSE_FAST_PATHS)."""
    return bool(current_app.config["FAST_PATHS"])
