"""The store of lesson images: one table every app server reads, so an image uploaded through one is on all.

An image's name is the SHA-256 of its bytes plus its extension, so a row never changes once written: storing the
same image again (a second upload, or two servers at once) only moves its upload time. The bytes column is
deferred; lists and the conditional requests of browsers that have an image cached never read it.

`MEDIA_DIR` names the folder the images were kept in before they moved into the database: migration 0014 and
the restore of an older backup read it (docs/operations.md, "Backups").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from course.core.media import CheckedImage, media_type
from course.extensions import db, savepoint
from course.models import MediaFile, utcnow

LISTED = 200  # newest images shown in the studio; all of them stay served


@dataclass(frozen=True)
class StoredImage:
    name: str
    size: int
    media_type: str
    modified: datetime  # the latest upload

    @property
    def url(self) -> str:
        return f"/media/{self.name}"


def legacy_media_dir(app: Flask) -> Path:
    """The folder images were kept in before this version (MEDIA_DIR, default <instance>/media)."""
    return Path(app.config.get("MEDIA_DIR") or Path(app.instance_path) / "media")


def store_image(image: CheckedImage) -> bool:
    """Insert the image, or mark it as uploaded just now if it is there; True when it is new.

    The name is the primary key: when another server inserts the same image between our look and our insert,
    the insert fails on the key inside a savepoint and the image counts as "was there".
    """
    return _insert_or_touch(image.name, image.data)


def add_image(name: str, data: bytes) -> bool:
    """Insert an image checked elsewhere (a backup's member) under its stored name; False if it was there."""
    if db.session.get(MediaFile, name) is not None:
        return False
    return _insert(name, data)


def _insert_or_touch(name: str, data: bytes) -> bool:
    if _touch(name):
        return False
    if _insert(name, data):
        return True
    _touch(name)
    return False


def _touch(name: str) -> bool:
    moved = db.session.execute(
        update(MediaFile).where(MediaFile.name == name).values(uploaded_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    return bool(moved.rowcount)  # type: ignore[attr-defined]


def _insert(name: str, data: bytes) -> bool:
    now = utcnow()
    row = MediaFile(name=name, media_type=media_type(name), size=len(data), data=data, created_at=now, uploaded_at=now)
    try:
        with savepoint():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        return False
    db.session.expunge(row)  # its bytes need not stay in the session until the commit
    return True


def stored_images(limit: int = LISTED) -> tuple[list[StoredImage], int]:
    """The `limit` images uploaded last, newest first, and how many there are in all; never reads their bytes."""
    rows = db.session.execute(
        select(MediaFile.name, MediaFile.size, MediaFile.media_type, MediaFile.uploaded_at)
        .order_by(MediaFile.uploaded_at.desc(), MediaFile.name.desc())
        .limit(limit)
    ).all()
    return [StoredImage(*row) for row in rows], image_count()


def image_exists(name: str) -> bool:
    return db.session.scalar(select(MediaFile.name).where(MediaFile.name == name)) is not None


def image_bytes(name: str) -> bytes | None:
    """The image's bytes, or None if no image has that name."""
    return db.session.scalar(select(MediaFile.data).where(MediaFile.name == name))


def image_count() -> int:
    return db.session.scalar(select(func.count()).select_from(MediaFile)) or 0
