"""Pages that only read, read outside a transaction on PostgreSQL.

Through the session, a page's first query opens a transaction (BEGIN) and the end of the request rolls it back: two
round trips on PostgreSQL around reads that need neither. The certificate download (the certificate, its key and
the kept PDF) puts the session's connection in autocommit first. (The quiz attempt page did too, at 2.09 → 1.79 ms
in-process on PostgreSQL; it now reads its attempt on the bare driver, course/fast/attempt_page.py.)

Only for views whose reads are one statement, or whose later statements do not depend on seeing the same snapshot;
a view that writes commits each statement alone, so it must write at most one (the download keeps an old
certificate's first PDF with one guarded UPDATE). SQLite has no round trips to save and keeps its transactions.
"""

from __future__ import annotations

from course import fast
from course.extensions import db


def outside_transaction() -> None:
    """Before the view's first query: its reads go out without BEGIN and ROLLBACK. Does nothing once the request's
    session has begun (the plain path reads the user through it), on SQLite, and without the fast paths."""
    if not fast.enabled() or db.session().in_transaction() or db.engine.dialect.name != "postgresql":
        return
    db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
