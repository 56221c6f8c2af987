"""`flask --app wsgi backup create FILE` and `... backup restore FILE` (docs/operations.md, "Backups")."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from course.backup import operations
from course.core.backup import MIN_PASSPHRASE_LENGTH, BackupError, WrongPassphrase

backup_cli = AppGroup("backup", help="Back up the site into one file and restore it.")

_FROM_FILE_HELP = "Read the passphrase from the first line of this file ('-': standard input), e.g. for cron."


@backup_cli.command("create")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@click.option("--encrypt", is_flag=True, help="Encrypt the archive with a passphrase (prompted for, twice).")
@click.option("--passphrase-file", metavar="PATH", help=f"{_FROM_FILE_HELP} Implies --encrypt.")
def create_command(file: str, encrypt: bool, passphrase_file: str | None) -> None:
    """Write the database, uploaded media, signing keys and instance/config.py into FILE."""
    passphrase = None
    if encrypt or passphrase_file:
        passphrase = _read_passphrase(passphrase_file, new=True)
        if len(passphrase) < MIN_PASSPHRASE_LENGTH:
            raise click.UsageError(f"the passphrase must have at least {MIN_PASSPHRASE_LENGTH} characters")
    try:
        report = operations.create_backup(current_app._get_current_object(), Path(file), passphrase)  # type: ignore[attr-defined]
    except BackupError as error:
        raise click.ClickException(f"No backup written: {error}") from None
    manifest = report.manifest
    click.echo(
        f"Wrote {report.path}: the {manifest.database} database (schema {manifest.schema_revision}), "
        f"{report.media} media file(s), {report.keys} signing key file(s)"
        f"{', instance/config.py' if report.has_config else ''}."
    )
    secrets = [f"{report.keys} private signing key file(s)"] if report.keys else []
    secrets += ["instance/config.py with SECRET_KEY"] if report.has_config else []
    contents = "the learners' personal data and password hashes" + (f", {', '.join(secrets)}" if secrets else "")
    if report.encrypted:
        click.echo(
            f"The archive holds {contents}, encrypted: keep the passphrase apart from it; without the passphrase "
            "it cannot be restored.",
            err=True,
        )
    else:
        click.echo(
            f"WARNING: the archive holds {contents}, unencrypted"
            + (": anyone who reads it can sign certificates in the site's name" if report.keys else "")
            + ". Keep it like a password (it is written with mode 0600), or use --encrypt.",
            err=True,
        )


@backup_cli.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@click.option("--passphrase-file", metavar="PATH", help=_FROM_FILE_HELP)
def restore_command(file: str, force: bool, passphrase_file: str | None) -> None:
    """Fill the configured (empty) database (uploaded images included) and key files from a backup FILE."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        archive, encrypted = operations.open_archive(Path(file))
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    with archive:
        passphrase = _read_passphrase(passphrase_file, new=False) if encrypted else None
        try:
            report = operations.restore_backup(app, archive, passphrase, force=force, confirm_overwrite=_overwriting)
        except operations.IncompleteRestore as error:
            raise click.ClickException(f"Restore from {file} incomplete: {error}") from None
        except WrongPassphrase:
            raise click.ClickException(f"Nothing restored: the passphrase for {file} is wrong.") from None
        except BackupError as error:
            raise click.ClickException(f"Nothing restored from {file}: {error}") from None
    manifest = report.manifest
    click.echo(
        f"Restored the {manifest.database} database from {manifest.created_at}, {report.media} media file(s) and "
        f"{report.keys} signing key file(s)."
    )
    for note in report.notes:
        click.echo(note)


def _overwriting(tables: list[tuple[str, int]]) -> None:
    listing = ", ".join(f"{name} ({rows} row{'s' * (rows != 1)})" for name, rows in tables)
    click.echo(f"--force: replacing the database's current data: {listing}.", err=True)


def _read_passphrase(source: str | None, *, new: bool) -> str:
    """From a file or standard input for scripts; otherwise prompted, never from a command-line value."""
    if source is None:
        return click.prompt("Passphrase", hide_input=True, confirmation_prompt=new, err=True)
    if source == "-":
        line = sys.stdin.readline()
    else:
        try:
            with open(source, encoding="utf-8") as handle:
                line = handle.readline()
        except (OSError, UnicodeDecodeError) as error:
            raise click.UsageError(f"--passphrase-file: cannot read {source} ({error})") from None
    passphrase = line.rstrip("\r\n")
    if not passphrase:
        raise click.UsageError("--passphrase-file: the first line is empty")
    return passphrase
