"""Claiming due rows for one worker among many: the job runners and the outbox's sender (course/outbox/) share it.

PostgreSQL locks the rows it selects and skips rows another worker holds (`FOR UPDATE SKIP LOCKED`), so two servers
take different rows at once. SQLite has one writer at a time: `lock_for_writing` takes the write lock before the
read, so the read and the marking UPDATE happen as one step. Either way the claim is committed before any work
starts, and the values it writes (a lease in `claimed_until`) say until when the row is taken.
"""

from __future__ import annotations

from sqlalchemy import Select, update

from course.extensions import db, lock_for_writing


def claim(due: Select, model: type, values: dict) -> list[int]:
    """Take the rows whose ids `due` selects, write `values` into them and commit; returns their ids.

    On SQLite it first looks without the lock: an idle runner asks every few seconds in every app process, and
    taking the database's one write lock to find nothing made every writer of the moment wait (SQLite's wait
    sleeps 1 ms at least). What it finds is then read again under the lock.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    elif db.session.scalars(due).first() is None:
        db.session.commit()
        return []
    lock_for_writing()
    ids = list(db.session.scalars(due))
    if ids:
        db.session.execute(update(model).where(model.id.in_(ids)).values(**values))
    db.session.commit()
    return ids
