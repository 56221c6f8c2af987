"""`flask certificates ...`: check a credential file offline, export a course's certificates, rotate the key."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from course.certificates import export, keys, operations
from course.core.certificates.credential import MAX_JSON_DEPTH, json_too_deep, verify_credential
from course.core.certificates.signing import public_key_from_multibase
from course.core.errors import NotFound
from course.extensions import db
from course.publishing.cache import catalog
from course.urls import public_url

certificates_cli = AppGroup("certificates", help="Verify credential files, export certificates, rotate the key.")


def _read_json(file: str) -> object:
    """The file's JSON; exit 1 with a message (never a traceback) when it is not JSON or absurdly nested."""
    try:
        text = Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise click.ClickException(f"{file}: cannot be read ({error})") from None
    if json_too_deep(text):  # json.loads would recurse until Python gives up
        click.echo(f"{file}: NOT VALID: the JSON is nested more than {MAX_JSON_DEPTH} levels deep.", err=True)
        sys.exit(1)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        click.echo(f"{file}: not JSON (line {error.lineno}, column {error.colno}: {error.msg})", err=True)
        sys.exit(1)


@certificates_cli.command("verify")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--issuer",
    "issuer_file",
    type=click.Path(exists=True, dir_okay=False),
    help="The issuer profile (/certificates/issuer.json) whose keys to trust, instead of this site's keys.",
)
def verify_certificate_command(file: str, issuer_file: str | None) -> None:
    """Check an Open Badges credential file offline: its shape and its signature. Exit 1 if not valid."""
    data = _read_json(file)
    result = verify_credential(data, _trusted_keys(issuer_file))
    message = result.reason % dict(result.params) if result.params else result.reason
    if not result.valid:
        click.echo(f"{file}: NOT VALID: {message}", err=True)
        sys.exit(1)
    click.echo(f"{file}: valid. {message}")


def _trusted_keys(issuer_file: str | None) -> dict:
    if issuer_file is None:
        return operations.public_keys()  # every key this site ever signed with, by kid (the proof's "#...")
    profile = _read_json(issuer_file)
    try:
        return {
            method["id"]: public_key_from_multibase(method["publicKeyMultibase"])
            for method in profile["verificationMethod"]  # type: ignore[index]
        }
    except (ValueError, KeyError, TypeError) as error:
        raise click.ClickException(f"{issuer_file}: not an issuer profile with keys ({error})") from None


@certificates_cli.command("export")
@click.option("--course", "course_id", required=True, help="The course whose certificates to export.")
@click.option("--status", type=click.Choice(("all", "valid", "revoked")), default="all", show_default=True)
@click.option("--query", default="", help="Only certificates whose name or email contains this text.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The ZIP file to write.")
def export_certificates_command(course_id: str, status: str, query: str, out: str) -> None:
    """Write the course's certificates as a ZIP of PDFs plus certificates.csv, like the trainer page.

    QR codes and verification links point at PUBLIC_URL.
    """
    try:
        course = catalog().course(course_id)
    except NotFound as error:
        raise click.ClickException(str(error)) from None
    rows = operations.course_certificates(course.id, status, query, limit=None)
    with current_app.test_request_context(base_url=public_url()):
        data = export.build_zip(rows)
    db.session.commit()  # the PDFs drawn for certificates issued before PDFs were kept
    Path(out).write_bytes(data)
    click.echo(f"Wrote {out}: {len(rows)} certificate(s) and certificates.csv.")


@certificates_cli.command("rotate-key")
@click.option("--yes", is_flag=True, help="Rotate without asking.")
def rotate_key_command(yes: bool) -> None:
    """Retire the signing key and start a new one. What the old key signed stays valid: its public key stays
    published. Also the way back when the key file is lost for good."""
    path = keys.key_path(current_app)
    if not yes:
        click.confirm(f"Retire the key in {path} and start a new one?", abort=True)
    rotation = keys.rotate(current_app)
    db.session.commit()
    for kid in rotation.retired:
        click.echo(f"Retired key {kid}; it stays published, so what it signed stays valid.")
    if rotation.moved_to is not None:
        click.echo(f"Its private key is now in {rotation.moved_to}.")
    click.echo(f"New signing key {rotation.new_kid} in {path}.")
    click.echo("With several servers, copy that file to each of them: until then they refuse to issue.")
