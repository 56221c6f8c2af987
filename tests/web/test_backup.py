"""`flask backup create|restore`: a round trip on both databases, refusals, encryption, damaged and hostile archives."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import stat
import tarfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from course.app import create_app
from course.backup import operations
from course.backup.archive import DecryptingReader, EncryptingWriter
from course.certificates.keys import key_path, retired_dir
from course.core import backup as core_backup
from course.core.backup import ENCRYPTED_MAGIC, MANIFEST_NAME
from course.core.certificates.credential import verify_credential
from course.core.certificates.signing import public_key_from_multibase
from course.extensions import db, init_migrations
from course.lti import keys as lti_keys
from course.models import Certificate, User
from tests.conftest import PASSWORD
from tests.quiz_helpers import (
    DRAW_QUIZ,
    MANDATE,
    attempt_key,
    client_for,
    faster_apps,
    start_attempt,
    stored_responses,
)
from tests.web.test_authoring_media import png, png_name, stored, stored_bytes, upload
from tests.web.test_certificates_routes import complete_course, issue

EN = {"Accept-Language": "en"}
PASSPHRASE = "a long and private passphrase"


@pytest.fixture
def restore_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty database to restore into: a new SQLite file, or a PostgreSQL database made for the test."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    url = make_url(request.getfixturevalue("postgres_url"))
    name = f"{url.database}_backup_restore"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def make_app(restore_url: str, make_app, monkeypatch: pytest.MonkeyPatch):  # restore_url first: dropped last
    return faster_apps(make_app, monkeypatch)


@pytest.fixture
def make_target(make_app, restore_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Flask]:
    """A second site: its own instance folder (media, keys, config.py) and the empty restore database."""

    def build(**overrides: object) -> Flask:
        monkeypatch.setenv("COURSE_INSTANCE_PATH", str(tmp_path / "restored-instance"))
        return make_app(DATABASE_URL=restore_url, **overrides)

    return build


def cli(app: Flask, *args: str, input: str | None = None):  # noqa: A002 - click's name
    result = app.test_cli_runner().invoke(args=list(args), input=input)
    assert "Traceback" not in result.output
    return result


def table_rows(app: Flask) -> dict[str, list[tuple]]:
    with app.app_context():
        rows = {
            table.name: [tuple(row) for row in db.session.execute(select(table).order_by(*table.primary_key.columns))]
            for table in db.metadata.sorted_tables
        }
        db.session.remove()
        return rows


def files_in(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


def users(app: Flask) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(User))
        db.session.remove()
        return count


# --- The round trip --------------------------------------------------------------------------------------------


def test_a_restored_site_has_every_row_image_key_certificate_and_open_attempt(
    app, make_user, login_as, make_target, tmp_path
) -> None:
    learner = make_user(locale="en", email="learner@example.org")
    client = login_as(learner)
    trainer = client_for(app, make_user(role="trainer", locale="en"))
    assert upload(trainer, png()).status_code == 302
    assert not (Path(app.instance_path) / "media").exists()  # images are rows of the database
    complete_course(app, learner)
    assert issue(client).status_code == 302
    with app.app_context():
        pid = db.session.scalar(select(Certificate.public_id))
    submitted = start_attempt(client, MANDATE)
    key = attempt_key(app, submitted)
    client.post(f"/attempts/{submitted}", data={**key.form_data(key.right_answers()), "submit": "1"})
    open_attempt = start_attempt(client, DRAW_QUIZ)
    key = attempt_key(app, open_attempt)
    draft = {question_id: key.right(question_id) for question_id in key.question_ids[:2]}
    assert client.post(f"/attempts/{open_attempt}", data={**key.form_data(draft), "save": "1"}).status_code == 302
    saved = stored_responses(app, open_attempt)
    assert sum(response is not None for response in saved.values()) == 2
    design = client.post("/courses/kam-pay/sandbox/designs", data={"scenario": "defend", "example": "recommended"})
    assert design.status_code == 302
    instance = Path(app.instance_path)
    (instance / "config.py").write_text("SECRET_KEY = 'test-secret'\n", encoding="utf-8")
    retired = retired_dir(app) / "retired-kid.pem"
    retired.parent.mkdir(parents=True, exist_ok=True)
    retired.write_bytes(b"a retired private key\n")
    source_key = key_path(app).read_bytes()
    with app.app_context():
        lti_keys.tool_key()  # the LTI tool's key, which LMS registrations trust
    source_lti_key = lti_keys.key_path(app).read_bytes()

    archive = tmp_path / "site.backup"
    result = cli(app, "backup", "create", str(archive))
    assert result.exit_code == 0, result.output
    assert "1 media file(s), 3 signing key file(s), instance/config.py" in result.output
    warning = " ".join(result.output.split())
    assert (
        "WARNING: the archive holds the learners' personal data and password hashes, 3 private signing key file(s), "
        "instance/config.py with SECRET_KEY, unencrypted: anyone who reads it can sign certificates" in warning
    )
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    before = table_rows(app)
    filled = ("users", "user_sessions", "lesson_progress", "quiz_attempts", "sandbox_designs", "certificates")
    assert all(before[name] for name in filled)

    target = make_target()
    result = cli(target, "backup", "restore", str(archive))
    assert result.exit_code == 0, result.output
    assert table_rows(target) == before
    target_instance = Path(target.instance_path)
    assert target_instance != instance
    assert not any(name.startswith("media/") for name in unpack(archive)[1])
    assert "1 media file(s) and 3 signing key file(s)" in " ".join(result.output.split())
    with target.test_client().get(f"/media/{png_name(png())}") as image:
        assert (image.status_code, image.data) == (200, png())
    assert key_path(target).read_bytes() == source_key
    assert lti_keys.key_path(target).read_bytes() == source_lti_key
    assert (retired_dir(target) / "retired-kid.pem").read_bytes() == b"a retired private key\n"
    assert (target_instance / "config.py").read_bytes() == (instance / "config.py").read_bytes()

    page = target.test_client().get(f"/verify/{pid}", headers=EN).get_data(as_text=True)
    assert "Valid certificate" in page
    browser = target.test_client()
    login = browser.post("/auth/login", data={"email": "learner@example.org", "password": PASSWORD})
    assert login.status_code == 302, login.get_data(as_text=True)
    credential = json.loads(browser.get(f"/certificates/{pid}/credential.json").data)
    issuer = json.loads(browser.get("/certificates/issuer.json").data)
    keys = {m["id"]: public_key_from_multibase(m["publicKeyMultibase"]) for m in issuer["verificationMethod"]}
    assert verify_credential(credential, keys).valid
    assert start_attempt(browser, DRAW_QUIZ) == open_attempt  # the start button resumes it
    assert browser.get(f"/attempts/{open_attempt}").status_code == 200
    assert stored_responses(target, open_attempt) == saved


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_sqlite_copy_is_consistent_while_another_connection_writes(app, make_target, tmp_path) -> None:
    """Pairs of rows are committed together; the copy holds whole pairs, including those still in the WAL."""
    path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    writer = sqlite3.connect(path, check_same_thread=False, timeout=30)
    writer.execute("PRAGMA wal_autocheckpoint = 0")  # committed rows stay in the -wal file: a file copy misses them
    writer.execute("CREATE TABLE probe (n INTEGER)")
    for n in range(50):
        with writer:
            writer.executemany("INSERT INTO probe VALUES (?)", [(n,), (n,)])
    stop, written = threading.Event(), []

    def keep_writing() -> None:
        n = 50
        while not stop.is_set():
            with writer:
                writer.executemany("INSERT INTO probe VALUES (?)", [(n,), (n,)])
            written.append(n)
            n += 1

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        result = cli(app, "backup", "create", str(tmp_path / "live.backup"))
    finally:
        stop.set()
        thread.join()
        writer.close()
    assert result.exit_code == 0, result.output
    target = make_target()
    assert cli(target, "backup", "restore", str(tmp_path / "live.backup")).exit_code == 0
    restored = sqlite3.connect(make_url(target.config["SQLALCHEMY_DATABASE_URI"]).database)
    try:
        assert restored.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        counts = restored.execute("SELECT n, count(*) FROM probe GROUP BY n").fetchall()
    finally:
        restored.close()
    assert len(counts) >= 50 and {count for _n, count in counts} == {2}


# --- Refusals ----------------------------------------------------------------------------------------------------


def test_a_database_with_rows_is_refused_unless_forced_and_then_replaced(app, make_user, tmp_path) -> None:
    make_user(email="kept@example.org")
    archive = tmp_path / "one-user.backup"
    assert cli(app, "backup", "create", str(archive)).exit_code == 0
    make_user(email="later@example.org")
    refused = cli(app, "backup", "restore", str(archive))
    assert refused.exit_code == 1
    assert "the database is not empty: users (2 rows)" in refused.output and "--force" in refused.output
    assert users(app) == 2
    forced = cli(app, "backup", "restore", "--force", str(archive))
    assert forced.exit_code == 0, forced.output
    assert "replacing the database's current data: users (2 rows)" in forced.output
    with app.app_context():
        assert db.session.scalars(select(User.email)).all() == ["kept@example.org"]
        db.session.remove()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_missing_postgresql_client_tools_are_named(app, make_target, tmp_path, monkeypatch) -> None:
    archive = tmp_path / "pg.backup"
    assert cli(app, "backup", "create", str(archive)).exit_code == 0
    empty = tmp_path / "no-tools"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = cli(app, "backup", "create", str(tmp_path / "other.backup"))
    assert result.exit_code == 1
    assert "pg_dump was not found on the PATH" in result.output and "postgresql-client" in result.output
    assert not (tmp_path / "other.backup").exists()
    result = cli(make_target(), "backup", "restore", str(archive))
    assert result.exit_code == 1 and "pg_restore was not found on the PATH" in result.output


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_archive_of_the_other_database_kind_is_refused(app, make_target, tmp_path) -> None:
    archive = tmp_path / "site.backup"
    assert cli(app, "backup", "create", str(archive)).exit_code == 0
    manifest, members = unpack(archive)
    manifest["database"] = "postgresql"
    members["database/course.pgdump"] = members.pop("database/course.sqlite3")
    manifest["members"][0]["name"] = "database/course.pgdump"
    pack(archive, manifest, members)
    result = cli(make_target(), "backup", "restore", str(archive))
    assert (
        result.exit_code == 1 and "holds a postgresql database, but this app is configured for sqlite" in result.output
    )


# --- Encryption --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_encrypted_archive_restores_with_its_passphrase_only(app, make_user, make_target, tmp_path) -> None:
    make_user(email="secret@example.org")
    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text(PASSPHRASE + "\n", encoding="utf-8")
    archive = tmp_path / "site.backup.enc"
    result = cli(app, "backup", "create", "--encrypt", "--passphrase-file", str(passphrase_file), str(archive))
    assert result.exit_code == 0, result.output
    assert "encrypted: keep the passphrase apart from it" in result.output
    data = archive.read_bytes()
    assert data.startswith(ENCRYPTED_MAGIC) and b"secret@example.org" not in data
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    target = make_target()

    wrong = cli(target, "backup", "restore", str(archive), input="not the passphrase\n")
    assert wrong.exit_code == 1 and "the passphrase for" in wrong.output and "is wrong" in wrong.output
    assert users(target) == 0
    cut = tmp_path / "cut.enc"
    cut.write_bytes(data[: len(data) - 10])
    damaged = cli(target, "backup", "restore", "--passphrase-file", str(passphrase_file), str(cut))
    assert damaged.exit_code == 1 and "does not authenticate" in damaged.output
    assert users(target) == 0

    right = cli(target, "backup", "restore", str(archive), input=PASSPHRASE + "\n")  # prompted for
    assert right.exit_code == 0, right.output
    with target.app_context():
        assert db.session.scalars(select(User.email)).all() == ["secret@example.org"]
        db.session.remove()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_passphrase_is_prompted_twice_and_must_be_long(app, tmp_path) -> None:
    archive = tmp_path / "site.backup"
    short = cli(app, "backup", "create", "--encrypt", str(archive), input="short\nshort\n")
    assert short.exit_code == 2 and "at least 12 characters" in short.output and not archive.exists()
    typo = cli(app, "backup", "create", "--encrypt", str(archive), input=f"{PASSPHRASE}\n{PASSPHRASE}x\n")
    assert "do not match" in typo.output
    good = cli(app, "backup", "create", "--encrypt", str(archive), input=f"{PASSPHRASE}\n{PASSPHRASE}\n")
    assert good.exit_code == 0, good.output
    assert archive.read_bytes().startswith(ENCRYPTED_MAGIC)


# --- Damaged and hostile archives --------------------------------------------------------------------------------


def unpack(archive: Path) -> tuple[dict, dict[str, bytes]]:
    with tarfile.open(archive, "r:gz") as tar:
        members = {info.name: tar.extractfile(info).read() for info in tar.getmembers()}
    return json.loads(members.pop(MANIFEST_NAME)), members


def pack(archive: Path, manifest: dict, members: dict[str, bytes], extra: list[tarfile.TarInfo] = ()) -> None:
    with tarfile.open(archive, "w:gz") as tar:
        body = json.dumps(manifest).encode()
        info = tarfile.TarInfo(MANIFEST_NAME)
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info in extra:
            tar.addfile(info)


def listed(name: str, data: bytes) -> dict:
    return {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


IMAGE = "0" * 64 + ".png"


def not_an_archive(archive: Path) -> None:
    archive.write_bytes(b"just some text, not a backup\n")


def empty_file(archive: Path) -> None:
    archive.write_bytes(b"")


def cut_short(archive: Path) -> None:
    archive.write_bytes(archive.read_bytes()[:-200])


def flipped_byte(archive: Path) -> None:
    manifest, members = unpack(archive)
    database = members["database/course.sqlite3"]
    members["database/course.sqlite3"] = database[:5000] + bytes([database[5000] ^ 1]) + database[5001:]
    pack(archive, manifest, members)


def other_tar(archive: Path) -> None:
    pack(archive, {"format": "something else"}, {})


def traversal_in_manifest(archive: Path) -> None:
    manifest, members = unpack(archive)
    members["media/../../evil.py"] = b"print('owned')"
    manifest["members"].append(listed("media/../../evil.py", b"print('owned')"))
    pack(archive, manifest, members)


def unlisted_member(archive: Path) -> None:
    manifest, members = unpack(archive)
    members["../evil.py"] = b"print('owned')"
    pack(archive, manifest, members)


def symlink_member(archive: Path) -> None:
    manifest, members = unpack(archive)
    manifest["members"].append(listed(f"media/{IMAGE}", b""))
    link = tarfile.TarInfo(f"media/{IMAGE}")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    pack(archive, manifest, members, [link])


def huge_member(archive: Path) -> None:
    manifest, members = unpack(archive)
    manifest["members"].append({"name": f"media/{IMAGE}", "size": 2**60, "sha256": "0" * 64})
    pack(archive, manifest, members)


def newer_format(archive: Path) -> None:
    manifest, members = unpack(archive)
    manifest["format_version"] = 99
    pack(archive, manifest, members)


def unknown_revision(archive: Path) -> None:
    manifest, members = unpack(archive)
    manifest["schema_revision"] = "9999"
    pack(archive, manifest, members)


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (not_an_archive, "it is not a backup archive, or it is damaged or cut short"),
        (empty_file, "it is not a backup archive, or it is damaged or cut short"),
        (cut_short, "it is not a backup archive, or it is damaged or cut short"),
        (flipped_byte, "its member database/course.sqlite3 does not match its checksum"),
        (other_tar, "it is not a backup of this app"),
        (traversal_in_manifest, "it holds a member the app does not write: 'media/../../evil.py'"),
        (unlisted_member, "it holds a member its manifest does not list: '../evil.py'"),
        (symlink_member, f"its member media/{IMAGE} is a link or special file"),
        (huge_member, "it needs 1,152,921,504,60"),  # 2**60 bytes and the rest
        (newer_format, "it was written in backup format 99 by a newer version of the app"),
        (
            unknown_revision,
            "the archive's database is at schema revision 9999, which this version of the app does not know",
        ),
    ],
    ids=lambda value: getattr(value, "__name__", "message"),
)
def test_a_damaged_or_hostile_archive_is_refused_with_a_message_and_changes_nothing(
    app, make_user, make_target, tmp_path, spoil, message: str
) -> None:
    make_user()
    archive = tmp_path / "site.backup"
    assert cli(app, "backup", "create", str(archive)).exit_code == 0
    spoil(archive)
    target = make_target()
    result = cli(target, "backup", "restore", str(archive))
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert f"Nothing restored from {archive}: {message}" in result.output.replace("\n", " ")
    assert users(target) == 0
    instance = Path(target.instance_path)
    assert not (instance / "media").exists() and not key_path(target).exists()
    assert not (tmp_path / "evil.py").exists() and not (instance / "evil.py").exists()
    assert [path.name for path in instance.iterdir()] == []  # the staging folder is gone too


def test_a_database_member_that_is_no_dump_leaves_the_database_unchanged(app, make_user, make_target, tmp_path) -> None:
    make_user()
    archive = tmp_path / "site.backup"
    assert cli(app, "backup", "create", str(archive)).exit_code == 0
    manifest, members = unpack(archive)
    (name,) = [member for member in members if member.startswith("database/")]
    members[name] = b"not a database dump " * 500  # the checksums match: only the database can tell
    manifest["members"][0] = listed(name, members[name])
    pack(archive, manifest, members)
    target = make_target()
    result = cli(target, "backup", "restore", str(archive))
    assert result.exit_code == 1 and "the database is unchanged" in result.output, result.output
    assert users(target) == 0 and not key_path(target).exists()


# --- Archives from before the images moved into the database (schema revision 0014) -----------------------------


def with_media_members(archive: Path, images: dict[str, bytes]) -> None:
    """The archive as versions before 0014 wrote it: the images as media/<name> members."""
    manifest, members = unpack(archive)
    for name, data in images.items():
        members[f"media/{name}"] = data
        manifest["members"].append(listed(f"media/{name}", data))
    pack(archive, manifest, members)


def test_an_older_archives_images_are_added_to_the_restored_database(app, make_user, make_target, tmp_path) -> None:
    there, added = png(colour=(1, 2, 3)), png(colour=(4, 5, 6))
    assert upload(client_for(app, make_user(role="trainer")), there).status_code == 302
    archive = tmp_path / "site.backup"
    assert cli(app, "backup", "create", str(archive)).exit_code == 0
    (dumped,) = table_rows(app)["media_files"]
    with_media_members(archive, {png_name(there): there, png_name(added): added})
    target = make_target()
    result = cli(target, "backup", "restore", str(archive))
    assert result.exit_code == 0, result.output
    assert "2 media file(s)" in result.output
    assert stored(target) == sorted([png_name(there), png_name(added)])
    assert dumped in table_rows(target)["media_files"]  # the name was there: the database's row is kept
    assert stored_bytes(target, png_name(added)) == added
    with target.test_client().get(f"/media/{png_name(added)}") as image:
        assert (image.status_code, image.data) == (200, added)
    assert not (Path(target.instance_path) / "media").exists()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_image_member_whose_bytes_are_not_its_name_is_refused_before_anything_changes(
    app, make_user, make_target, tmp_path
) -> None:
    make_user()
    archive = tmp_path / "site.backup"
    assert cli(app, "backup", "create", str(archive)).exit_code == 0
    with_media_members(archive, {png_name(png()): b"other bytes under the name of an image"})
    target = make_target()
    result = cli(target, "backup", "restore", str(archive))
    assert result.exit_code == 1
    expected = (
        f"Nothing restored from {archive}: the archive holds a media file the app does not write: {png_name(png())}"
    )
    assert expected in " ".join(result.output.split())
    assert users(target) == 0 and stored(target) == []


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_site_not_yet_upgraded_to_0014_keeps_its_images_through_backup_restore_and_upgrade(
    make_target, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("COURSE_INSTANCE_PATH", str(tmp_path / "old-instance"))
    old = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": f"sqlite:///{tmp_path / 'old.db'}"})
    image = png()
    legacy = tmp_path / "old-instance" / "media"
    legacy.mkdir(parents=True)
    (legacy / png_name(image)).write_bytes(image)
    archive = tmp_path / "old.backup"
    try:
        init_migrations(old)
        with old.app_context():
            upgrade(revision="0013")  # the schema before the images moved into the database
        created = cli(old, "backup", "create", str(archive))
    finally:
        with old.app_context():
            db.engine.dispose()
    assert created.exit_code == 0, created.output
    assert "(schema 0013), 1 media file(s)" in created.output
    assert unpack(archive)[1][f"media/{png_name(image)}"] == image

    target = make_target()
    restored = cli(target, "backup", "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    output = " ".join(restored.output.split())
    target_folder = Path(target.instance_path) / "media"
    assert "1 media file(s)" in output
    assert f"The archive's 1 image(s) are in {target_folder}; `flask --app wsgi db upgrade` moves them" in output
    assert files_in(target_folder) == {png_name(image): image}
    init_migrations(target)
    with target.app_context():
        upgrade()
    assert stored_bytes(target, png_name(image)) == image
    with target.test_client().get(f"/media/{png_name(image)}") as response:
        assert (response.status_code, response.data) == (200, image)


# --- The encrypted stream ----------------------------------------------------------------------------------------


@pytest.fixture
def cheap_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """scrypt at its lowest accepted cost: these tests are about the chunking, not the key derivation."""
    monkeypatch.setattr(core_backup, "SCRYPT_LOG2_N", 10)


def seal(plaintext: bytes, passphrase: str = PASSPHRASE) -> bytes:
    cipher, header = core_backup.ChunkCipher.for_new_archive(passphrase, b"s" * 16, b"n" * 7)
    out = io.BytesIO()
    writer = EncryptingWriter(out, cipher, header)
    for start in range(0, len(plaintext), 10_000):  # written in pieces, as tarfile does
        writer.write(plaintext[start : start + 10_000])
    writer.finish()
    return out.getvalue()


def opened(sealed: bytes, passphrase: str = PASSPHRASE) -> bytes:
    return io.BufferedReader(DecryptingReader(io.BytesIO(sealed), passphrase)).read()


CHUNK = core_backup.CHUNK_SIZE


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5])
def test_the_encrypted_stream_gives_back_every_byte(cheap_kdf, size: int) -> None:
    plaintext = bytes(range(256)) * (size // 256) + bytes(size % 256)
    sealed = seal(plaintext)
    assert len(sealed) == core_backup.HEADER_SIZE + size + (size // CHUNK + 1) * core_backup.TAG_SIZE
    assert opened(sealed) == plaintext


def test_the_encrypted_stream_refuses_cut_reordered_and_altered_chunks(cheap_kdf) -> None:
    sealed = seal(b"x" * (2 * CHUNK + 100))
    header, step = core_backup.HEADER_SIZE, CHUNK + core_backup.TAG_SIZE
    first, second, rest = (
        sealed[header : header + step],
        sealed[header + step : header + 2 * step],
        sealed[header + 2 * step :],
    )
    with pytest.raises(core_backup.BackupError, match="cut short"):
        opened(sealed[: header + 2 * step])  # cut at a chunk boundary: the last chunk is missing
    with pytest.raises(core_backup.BackupError, match="chunk 1 does not authenticate"):
        opened(sealed[:header] + second + first + rest)
    with pytest.raises(core_backup.BackupError, match="chunk 3 does not authenticate"):
        opened(sealed[:-1] + bytes([sealed[-1] ^ 1]))
    with pytest.raises(core_backup.WrongPassphrase):
        opened(sealed, "another passphrase")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_restore_keeps_a_replaced_key_and_the_servers_own_config(app, make_target, tmp_path) -> None:
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    key_path(app).write_bytes(b"the archived key\n")
    (Path(app.instance_path) / "config.py").write_text("SECRET_KEY = 'archived'\n", encoding="utf-8")
    archive = tmp_path / "site.backup"
    assert cli(app, "backup", "create", str(archive)).exit_code == 0
    target = make_target()
    instance = Path(target.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    key_path(target).write_bytes(b"the new server's own key\n")
    own_config = "SECRET_KEY = 'own'\nPUBLIC_URL = 'https://new.example.org'\n"
    (instance / "config.py").write_text(own_config, encoding="utf-8")
    result = cli(target, "backup", "restore", str(archive))
    assert result.exit_code == 0, result.output
    assert key_path(target).read_bytes() == b"the archived key\n"
    (kept,) = instance.glob("certificate-signing-key.pem.before-restore-*")
    assert kept.read_bytes() == b"the new server's own key\n"
    assert f"the previous one is now {kept}" in " ".join(result.output.split())
    assert (instance / "config.py").read_text(encoding="utf-8") == own_config
    assert (instance / "config.py.from-backup").read_text(encoding="utf-8") == "SECRET_KEY = 'archived'\n"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_files_that_cannot_be_put_in_place_are_reported_after_the_database(
    app, make_user, make_target, tmp_path
) -> None:
    make_user()
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    key_path(app).write_bytes(b"the archived key\n")
    archive = tmp_path / "site.backup"
    assert cli(app, "backup", "create", str(archive)).exit_code == 0
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the key file's folder should be")
    target = make_target(CERTIFICATE_KEY_FILE=str(blocker / "key.pem"))
    result = cli(target, "backup", "restore", str(archive))
    assert result.exit_code == 1
    assert f"Restore from {archive} incomplete: the database was restored, but the files" in result.output
    assert "run the restore again with --force" in " ".join(result.output.split())
    assert users(target) == 1


def test_the_postgresql_tools_get_a_libpq_url_and_the_password_in_their_environment() -> None:
    url, environment = operations.libpq_url(
        "postgresql+psycopg://kam:p%40ss@db.example.org:5433/course?sslmode=require"
    )
    assert url == "postgresql://kam@db.example.org:5433/course?sslmode=require"
    assert environment["PGPASSWORD"] == "p@ss"
