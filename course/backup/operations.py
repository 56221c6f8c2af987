"""Backup and restore of a whole site: the database (uploaded images included), the signing keys, instance/config.py.

A backup is one file (course/core/backup.py describes its format). The database is copied consistently
while the app runs: SQLite through its online backup API, PostgreSQL with `pg_dump`, which reads one
snapshot. A restore first unpacks and checks the whole archive in a staging folder; only then does it
replace the database in one transaction and put the files in place, so a bad archive changes nothing.

Archives written before the images moved into the database (schema revision 0014) hold them as `media/<name>`
members; a restore still reads those, and a backup of a database not yet upgraded still writes them.
"""

from __future__ import annotations

import filecmp
import io
import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from flask import Flask
from sqlalchemy import func, inspect, select, table, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from course.authoring import media_store
from course.backup.archive import DecryptingReader, EncryptingWriter, read_archive, write_archive
from course.certificates.keys import key_files, key_path, retired_dir
from course.config import PROJECT_ROOT
from course.core.backup import (
    ACTIVE_KEY_MEMBER,
    CHUNK_SIZE,
    CONFIG_MEMBER,
    DATABASE_MEMBERS,
    ENCRYPTED_MAGIC,
    LTI_KEY_MEMBER,
    MEDIA_FOLDER,
    NONCE_PREFIX_SIZE,
    RETIRED_KEYS_FOLDER,
    SALT_SIZE,
    BackupError,
    ChunkCipher,
    Manifest,
    is_encrypted,
)
from course.core.media import is_stored_name
from course.extensions import db
from course.lti.keys import key_path as lti_key_path
from course.models import MediaFile

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory

VERSION_TABLE = "alembic_version"
CONFIG_FILE_NAME = "config.py"
# A restore waits this long for a table lock (app servers still running), then stops with a message.
PG_LOCK_TIMEOUT = "60s"


class IncompleteRestore(BackupError):
    """The database is restored, the files are not all in place: the one state a restore can end in halfway."""


@dataclass(frozen=True)
class CreateReport:
    path: Path
    manifest: Manifest
    encrypted: bool
    media: int  # uploaded images in the archive: rows of the database when the backup started, or legacy files

    @property
    def keys(self) -> int:
        return sum(1 for member in self.manifest.members if member.name.startswith("keys/"))

    @property
    def has_config(self) -> bool:
        return self.manifest.member(CONFIG_MEMBER) is not None


@dataclass
class RestoreReport:
    manifest: Manifest
    media: int = 0  # images the restored site serves (for an older schema: once `flask db upgrade` has run)
    keys: int = 0
    notes: list[str] = field(default_factory=list)


def database_kind(app: Flask) -> str:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() in ("sqlite", "postgresql"):
        return url.get_backend_name()
    raise BackupError(f"backups support SQLite and PostgreSQL, not {url.get_backend_name()}")


# --- Create ----------------------------------------------------------------------------------------------------


def create_backup(app: Flask, target: Path, passphrase: str | None = None) -> CreateReport:
    """Write the archive to `target` (mode 0600), atomically: a failed backup leaves no file under that name."""
    kind = database_kind(app)
    if kind == "postgresql":
        _tool("pg_dump")
    target = target.absolute()
    if target.is_dir():
        raise BackupError(f"{target} is a folder; give the archive's file name")
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist")
    with ExitStack() as stack:
        staging = Path(stack.enter_context(tempfile.TemporaryDirectory(dir=target.parent, prefix=".course-backup-")))
        database_file = staging / "database"
        if kind == "sqlite" and not _sqlite_path(app).is_file():
            raise BackupError(f"there is no database file {_sqlite_path(app)}")
        with _database_errors():
            revision = schema_revision()
            images = _image_count()
        db.session.remove()  # the dump must not wait for, or see, a transaction of this process
        if kind == "sqlite":
            _dump_sqlite(_sqlite_path(app), database_file)
        else:
            _dump_postgresql(app.config["SQLALCHEMY_DATABASE_URI"], database_file)
        legacy = _legacy_media_files(app) if images is None else []
        files = [(DATABASE_MEMBERS[kind], database_file), *legacy, *_site_files(app)]
        descriptor, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
        stack.callback(lambda: Path(partial).unlink(missing_ok=True))
        with os.fdopen(descriptor, "wb") as out:  # mkstemp creates it with mode 0600
            writer: BinaryIO = out
            sealer = None
            if passphrase is not None:
                cipher, header = ChunkCipher.for_new_archive(
                    passphrase, secrets.token_bytes(SALT_SIZE), secrets.token_bytes(NONCE_PREFIX_SIZE)
                )
                sealer = EncryptingWriter(out, cipher, header)
                writer = sealer  # type: ignore[assignment]
            created_at = datetime.now(UTC).isoformat(timespec="seconds")
            manifest = write_archive(writer, kind, revision, created_at, files)
            if sealer is not None:
                sealer.finish()
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, target)
    return CreateReport(target, manifest, passphrase is not None, len(legacy) if images is None else images)


@contextmanager
def _database_errors() -> Iterator[None]:
    try:
        yield
    except SQLAlchemyError as error:
        db.session.rollback()
        raise BackupError(f"the database cannot be read: {getattr(error, 'orig', None) or error}") from None


def schema_revision() -> str | None:
    """The database's Alembic revision; a database made from the models (no version table) has the head's."""
    connection = db.session.connection()
    if inspect(connection).has_table(VERSION_TABLE):
        rows = sorted(connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())  # noqa: S608 - a constant
        if rows:
            return "+".join(rows)
    return _migrations().get_current_head()


def _has_media_table() -> bool:
    return inspect(db.session.connection()).has_table(MediaFile.__tablename__)


def _image_count() -> int | None:
    """The images in the database, or None when its schema predates them (not yet `flask db upgrade`d)."""
    return media_store.image_count() if _has_media_table() else None


def _legacy_media_files(app: Flask) -> list[tuple[str, Path]]:
    """The images of the legacy folder, for a database that does not hold them yet: the upgrade will move them."""
    folder = media_store.legacy_media_dir(app)
    if not folder.is_dir():
        return []
    images = [path for path in sorted(folder.iterdir()) if is_stored_name(path.name) and path.is_file()]
    return [(f"{MEDIA_FOLDER}/{path.name}", path) for path in images]


def _migrations() -> ScriptDirectory:
    from alembic.script import ScriptDirectory  # only backups and restores read the migrations

    return ScriptDirectory(str(PROJECT_ROOT / "migrations"))


def _site_files(app: Flask) -> list[tuple[str, Path]]:
    """Everything besides the database: private signing keys, the instance's config.py."""
    files: list[tuple[str, Path]] = []
    active, retired = key_path(app), retired_dir(app)
    for path in key_files(app):
        if path == active:
            files.append((ACTIVE_KEY_MEMBER, path))
        elif path.parent == retired:
            files.append((f"{RETIRED_KEYS_FOLDER}/{path.name}", path))
        else:
            raise BackupError(f"the key file {path} is in no place a restore knows; back it up by hand")
    if lti_key_path(app).is_file():
        files.append((LTI_KEY_MEMBER, lti_key_path(app)))
    config = Path(app.instance_path) / CONFIG_FILE_NAME
    if config.is_file():
        files.append((CONFIG_MEMBER, config))
    return files


def _sqlite_path(app: Flask) -> Path:
    database = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("the SQLite database is not a plain file; there is nothing to back up or restore into")
    return Path(database)


def _dump_sqlite(source: Path, target: Path) -> None:
    """Copy a live SQLite database with its online backup API: one consistent snapshot, writers keep going.

    In WAL mode the copy holds a read transaction while it runs, so it sees exactly the commits before it
    started, including those still in the -wal file that a plain file copy would miss.
    """
    if not source.is_file():
        raise BackupError(f"there is no database file {source}")
    try:
        with _sqlite(source) as live, _sqlite(target) as copy:
            live.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file in the archive
    except sqlite3.Error as error:
        raise BackupError(f"the SQLite backup failed: {error}") from None


def _sqlite(path: Path) -> closing[sqlite3.Connection]:
    """A connection closed on exit (sqlite3's own context manager only commits)."""
    return closing(sqlite3.connect(path, timeout=30))


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found on the PATH. Backups of a PostgreSQL database need the PostgreSQL client "
            f"tools (pg_dump and pg_restore) of the server's major version or newer, e.g. on Debian: "
            f"apt-get install postgresql-client"
        )
    return found


def libpq_url(url: str) -> tuple[str, dict[str, str]]:
    """The SQLAlchemy URL as a libpq one; the password goes into the environment, not the command line."""
    parsed = make_url(url)
    environment = dict(os.environ)
    if parsed.password:
        environment["PGPASSWORD"] = str(parsed.password)
    plain = URL.create(
        "postgresql", parsed.username, None, parsed.host, parsed.port, parsed.database, parsed.query
    ).render_as_string(hide_password=False)
    return plain, environment


def _run(command: list[str], environment: dict[str, str], what: str) -> None:
    result = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)  # noqa: S603 - a fixed tool, arguments as a list
    if result.returncode != 0:
        detail = result.stderr.strip() or f"exit status {result.returncode}"
        raise BackupError(f"{what} failed: {detail}")


def _dump_postgresql(url: str, target: Path) -> None:
    """pg_dump in custom format: one snapshot of the whole database, compressed, restorable with pg_restore."""
    connection, environment = libpq_url(url)
    _run(
        [_tool("pg_dump"), "--format=custom", "--no-password", f"--file={target}", f"--dbname={connection}"],
        environment,
        "pg_dump",
    )


# --- Restore ---------------------------------------------------------------------------------------------------


def open_archive(path: Path) -> tuple[BinaryIO, bool]:
    """The archive file, opened, and whether it is encrypted (then it needs a passphrase)."""
    try:
        file = path.open("rb")
    except OSError as error:
        raise BackupError(f"cannot read {path}: {error.strerror}") from None
    start = file.read(len(ENCRYPTED_MAGIC))
    file.seek(0)
    return file, is_encrypted(start)


def restore_backup(
    app: Flask,
    file: BinaryIO,
    passphrase: str | None,
    *,
    force: bool = False,
    confirm_overwrite: Callable[[list[tuple[str, int]]], None] | None = None,
) -> RestoreReport:
    """Fill the configured database and key files from an archive (and the images of an archive from before 0014).

    The whole archive is unpacked and checked before anything is touched. A database that holds rows is
    refused unless `force`; `confirm_overwrite` hears which tables would be replaced first.
    """
    kind = database_kind(app)
    if kind == "postgresql":
        _tool("pg_restore")
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    source: BinaryIO = file
    if passphrase is not None:
        source = io.BufferedReader(DecryptingReader(file, passphrase), CHUNK_SIZE)  # type: ignore[assignment]
    with tempfile.TemporaryDirectory(dir=instance, prefix=".course-restore-") as folder:
        manifest, staged = read_archive(source, Path(folder))
        if manifest.database != kind:
            raise BackupError(
                f"the archive holds a {manifest.database} database, but this app is configured for {kind}; "
                "restore into the same kind of database"
            )
        images = _archived_images(manifest, staged)
        with _database_errors():
            _check_revision(manifest, kind)
            filled = non_empty_tables()
        if filled and not force:
            listing = ", ".join(f"{name} ({rows} row{'s' * (rows != 1)})" for name, rows in filled)
            raise BackupError(
                f"the database is not empty: {listing}. A restore replaces all of it (and adds the archive's "
                "media and keys); pass --force to do that"
            )
        if filled and confirm_overwrite is not None:
            confirm_overwrite(filled)
        db.session.remove()
        db.engine.dispose()  # no connection of this process may hold a lock the restore waits for
        database = staged[manifest.database_member]
        if kind == "sqlite":
            _restore_sqlite(database, _sqlite_path(app))
        else:
            _restore_postgresql(database, app.config["SQLALCHEMY_DATABASE_URI"])
        db.engine.dispose()
        report = RestoreReport(manifest)
        try:
            _place_images(app, images, report)
            _place_files(app, staged, report)
        except (OSError, SQLAlchemyError) as error:
            raise IncompleteRestore(
                f"the database was restored, but the files were not all put in place ({error}); fix that and "
                "run the restore again with --force"
            ) from None
    app.extensions.pop("certificate_key", None)  # this process must read the restored key, not a cached one
    head = _migrations().get_current_head()
    if manifest.schema_revision != head:
        report.notes.append(
            f"The archive's database is at schema revision {manifest.schema_revision}; run "
            f"`flask --app wsgi db upgrade` to bring it to {head}."
        )
    return report


def _check_revision(manifest: Manifest, kind: str) -> None:
    scripts = _migrations()
    known = {script.revision for script in scripts.walk_revisions()}
    revision = manifest.schema_revision
    if revision is None or not set(revision.split("+")) <= known:
        raise BackupError(
            f"the archive's database is at schema revision {revision}, which this version of the app does not "
            f"know (its newest is {scripts.get_current_head()}): restore it with the version of the app that "
            "wrote it, or a newer one"
        )
    if kind == "postgresql" and revision != scripts.get_current_head() and _table_names():
        raise BackupError(
            f"the archive's database is at the older schema revision {revision}: restore it into a database "
            "without tables (e.g. a new one from createdb), then run `flask --app wsgi db upgrade`"
        )


def _table_names() -> list[str]:
    return [name for name in inspect(db.session.connection()).get_table_names() if name != VERSION_TABLE]


def non_empty_tables() -> list[tuple[str, int]]:
    """(table, rows) for every table of the configured database that holds rows (Alembic's own aside)."""
    counts = [(name, db.session.scalar(select(func.count()).select_from(table(name)))) for name in _table_names()]
    db.session.rollback()
    return [(name, rows) for name, rows in counts if rows]


def _restore_sqlite(staged: Path, target: Path) -> None:
    """Copy the archive's database into the configured file with SQLite's backup API: one transaction."""
    try:
        with _sqlite(staged) as copy:
            if copy.execute("PRAGMA quick_check").fetchone() != ("ok",):
                raise BackupError("the archive's SQLite database fails SQLite's integrity check")
            target.parent.mkdir(parents=True, exist_ok=True)
            with _sqlite(target) as live:
                copy.backup(live)
    except sqlite3.Error as error:
        raise BackupError(f"the SQLite restore failed, the database is unchanged: {error}") from None


def _restore_postgresql(staged: Path, url: str) -> None:
    """pg_restore in one transaction: it replaces the archive's tables entirely or, on any error, nothing."""
    connection, environment = libpq_url(url)
    environment["PGOPTIONS"] = f"{environment.get('PGOPTIONS', '')} -c lock_timeout={PG_LOCK_TIMEOUT}".strip()
    _run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={connection}",
            str(staged),
        ],
        environment,
        "pg_restore (the database is unchanged)",
    )


def _archived_images(manifest: Manifest, staged: dict[str, Path]) -> list[tuple[str, Path]]:
    """The `media/<name>` members of an archive from before 0014, checked before anything changes: each is named
    as the app names images, after the SHA-256 of its bytes (which the archive's checksum has confirmed)."""
    images = []
    for name, path in staged.items():
        folder, _, file_name = name.rpartition("/")
        if folder != MEDIA_FOLDER:
            continue
        member = manifest.member(name)
        if not is_stored_name(file_name) or member is None or member.sha256 != file_name.partition(".")[0]:
            raise BackupError(f"the archive holds a media file the app does not write: {file_name}")
        images.append((file_name, path))
    return images


def _place_images(app: Flask, images: list[tuple[str, Path]], report: RestoreReport) -> None:
    """Count the restored database's images and add an older archive's `media/` members to them (names there
    already are the same image). A restored schema from before 0014 has no table for them: they go to the legacy
    folder, from which `flask db upgrade` moves them into the database."""
    with app.app_context():
        if _has_media_table():
            for name, path in images:
                media_store.add_image(name, path.read_bytes())
            db.session.commit()
            report.media = media_store.image_count()
        else:
            folder = media_store.legacy_media_dir(app)
            for name, path in images:
                _put(path, folder / name)
            report.media = len(images)
            if images:
                report.notes.append(
                    f"The archive's {len(images)} image(s) are in {folder}; `flask --app wsgi db upgrade` moves them "
                    "into the database."
                )
        db.session.remove()


def _place_files(app: Flask, staged: dict[str, Path], report: RestoreReport) -> None:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for name, path in staged.items():
        folder, _, file_name = name.rpartition("/")
        if name in (ACTIVE_KEY_MEMBER, LTI_KEY_MEMBER) or folder == RETIRED_KEYS_FOLDER:
            targets = {ACTIVE_KEY_MEMBER: key_path(app), LTI_KEY_MEMBER: lti_key_path(app)}
            target = targets.get(name) or retired_dir(app) / file_name
            if target.is_file() and not filecmp.cmp(path, target, shallow=False):
                kept = target.with_name(f"{target.name}.before-restore-{stamp}")
                os.replace(target, kept)  # a private key is never destroyed by a restore
                report.notes.append(f"The key file {target} was replaced; the previous one is now {kept}.")
            _put(path, target)
            report.keys += 1
        elif name == CONFIG_MEMBER:
            _place_config(app, path, report)


def _place_config(app: Flask, staged: Path, report: RestoreReport) -> None:
    """The archive's instance/config.py goes in place only if there is none: a server's own settings win."""
    target = Path(app.instance_path) / CONFIG_FILE_NAME
    if not target.exists():
        _put(staged, target)
        report.notes.append(f"Restored {target} (it holds SECRET_KEY).")
    elif not filecmp.cmp(staged, target, shallow=False):
        aside = target.with_name(f"{CONFIG_FILE_NAME}.from-backup")
        _put(staged, aside)
        report.notes.append(
            f"{target} exists and differs from the archive's; the archive's copy is {aside}. Take its SECRET_KEY "
            "over to keep sessions and signed links valid."
        )


def _put(source: Path, target: Path) -> None:
    """Copy into place atomically with mode 0600: a reader sees the old file or the new one, never half."""
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    try:
        with os.fdopen(descriptor, "wb") as out, source.open("rb") as data:
            shutil.copyfileobj(data, out)
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
