"""uploaded lesson images in the database, so every app server serves the same files

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 07:30:00.000000

Until now the images lived in one server's folder (MEDIA_DIR, default <instance>/media). The upgrade copies the
images of that folder into the new table when it runs inside the app (`flask db upgrade`), keeping the time of
their latest upload, and leaves the files where they are: an operator deletes them once every server runs this
version. The downgrade writes the table's images back into that folder before dropping the table.

"""
import os
import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from alembic import context, op
import sqlalchemy as sa
from flask import current_app, has_app_context


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# As course/core/media.py names stored images at this revision (a migration never imports the app's code).
STORED_NAME = re.compile(r"^[0-9a-f]{64}\.(?:png|jpg|svg)$")
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "svg": "image/svg+xml"}

media_files = sa.table(
    'media_files',
    sa.column('name', sa.String),
    sa.column('media_type', sa.String),
    sa.column('size', sa.Integer),
    sa.column('data', sa.LargeBinary),
    sa.column('created_at', sa.DateTime(timezone=True)),
    sa.column('uploaded_at', sa.DateTime(timezone=True)),
)


def upgrade():
    op.create_table('media_files',
    sa.Column('name', sa.String(length=68), nullable=False),
    sa.Column('media_type', sa.String(length=32), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_media_files'))
    )
    with op.batch_alter_table('media_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_files_uploaded_at'), ['uploaded_at'], unique=False)

    _import_legacy_folder()


def downgrade():
    _export_to_legacy_folder()
    with op.batch_alter_table('media_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_files_uploaded_at'))

    op.drop_table('media_files')


def _legacy_folder():
    """The folder the images were kept in, or None outside the app (then there is nothing to copy)."""
    if not has_app_context() or context.is_offline_mode():
        return None
    return Path(current_app.config.get("MEDIA_DIR") or Path(current_app.instance_path) / "media")


def _import_legacy_folder():
    """One row per stored image, one file at a time (never all bytes in memory); the names were checked at upload."""
    folder = _legacy_folder()
    if folder is None or not folder.is_dir():
        return
    connection = op.get_bind()
    for path in sorted(folder.iterdir()):
        if not STORED_NAME.fullmatch(path.name) or not path.is_file():
            continue
        data = path.read_bytes()
        uploaded = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
        connection.execute(
            media_files.insert().values(
                name=path.name,
                media_type=MEDIA_TYPES[path.name.rsplit(".", 1)[1]],
                size=len(data),
                data=data,
                created_at=uploaded,
                uploaded_at=uploaded,
            )
        )


def _export_to_legacy_folder():
    """The images the folder lacks, written atomically, so the previous version serves every image again."""
    folder = _legacy_folder()
    if folder is None:
        return
    connection = op.get_bind()
    rows = connection.execute(sa.select(media_files.c.name, media_files.c.uploaded_at)).all()
    missing = [row for row in rows if STORED_NAME.fullmatch(row.name) and not (folder / row.name).is_file()]
    if missing:
        folder.mkdir(parents=True, exist_ok=True)
    for name, uploaded in missing:
        data = connection.execute(sa.select(media_files.c.data).where(media_files.c.name == name)).scalar_one()
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.chmod(temporary, 0o644)
            if uploaded is not None:  # the previous version orders its list by the files' times
                moment = (uploaded if uploaded.tzinfo else uploaded.replace(tzinfo=timezone.utc)).timestamp()
                os.utime(temporary, (moment, moment))
            os.replace(temporary, folder / name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
