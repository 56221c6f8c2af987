"""`flask --app wsgi users ...` and `... audit purge`: account administration for whoever runs the server.

The commands do what the admin pages do, through the same operations: the same checks (a CSV file is read by
course/core/user_import.py and imported all or nothing; the last active admin stays), and the same audit
entries, whose actor is "command line".
"""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale

from course.account.operations import delete_account
from course.admin import operations
from course.audit import operations as audit
from course.auth import mails
from course.auth import operations as accounts
from course.auth.forms import password_refusal_message
from course.certificates.keys import KeyUnavailable
from course.core import user_import
from course.extensions import db
from course.i18n import LANGUAGES
from course.models import ROLES, User
from course.outbox import operations as outbox

users_cli = AppGroup("users", help="Manage accounts.")
audit_cli = AppGroup("audit", help="Look after the audit log.")

_LAST_ADMIN = (
    "{} is the last active admin: the site would have nobody left to manage it. Make another account an admin first"
    " (flask users set-role EMAIL admin, or flask users create EMAIL --role admin)."
)
_INVITER_HELP = "Who the invitation says it is from (default: nobody named; the mail just says they are invited)."


def _send_invitations(users: list[User]) -> list[tuple[str, str]]:
    """Send the queued account mails now, in this process, rather than wait for a runner, so the operator sees at
    once what the mail server said; returns (address, error) of the invitations it did not take. Those are tried
    again by the jobs and shown at /admin/mail."""
    outbox.send_due(channel_names=[mails.CHANNEL])
    unsent = []
    for user in users:
        for message in mails.pending_for(user.id):
            unsent.append((user.email, message.last_error or "not sent yet"))
    return unsent


def _report_unsent(unsent: list[tuple[str, str]]) -> None:
    for email, error in unsent:
        click.echo(f"not sent to {email}: {error}", err=True)
    click.echo("Those accounts exist; their invitations are tried again and shown at /admin/mail.", err=True)
    sys.exit(1)


def _existing_user(email: str) -> User:
    user = accounts.find_user(email)
    if user is None:
        raise click.UsageError(f"no account with email {email}")
    return user


def _password_from(stdin: bool, *texts: str) -> str:
    """A new password from standard input (for scripts) or a hidden prompt; there are no defaults."""
    if stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    problem = accounts.password_refusal(password, *texts)
    if problem is not None:
        with force_locale("en"):
            raise click.UsageError(f"password refused: {password_refusal_message(problem)}")
    return password


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="learner", show_default=True)
@click.option("--name", "display_name", help="Display name (default: the part of the email before @).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of prompting.")
def create_user_command(email: str, role: str, display_name: str | None, password_stdin: bool) -> None:
    """Create an account. The password is prompted for (or read from stdin): there are no defaults."""
    password = _password_from(password_stdin)
    try:
        user = accounts.create_user(email, password, display_name or email.split("@")[0], role=role)
    except accounts.AccountError as error:
        raise click.UsageError(str(error)) from None
    audit.record("registered", target=user, role=role)
    db.session.commit()
    click.echo(f"Created {user.role} {user.email}.")


@users_cli.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of prompting.")
def set_password_command(email: str, password_stdin: bool) -> None:
    """Set an account's password and end all of its sessions."""
    user = _existing_user(email)
    first = user.password_hash is None
    accounts.set_password(user, _password_from(password_stdin))
    audit.record("password_set" if first else "password_reset", target=user)
    db.session.commit()
    click.echo(f"New password set for {user.email}; all of its sessions have ended.")


@users_cli.command("deactivate")
@click.argument("email")
def deactivate_command(email: str) -> None:
    """Stop an account from logging in and end all of its sessions; its data stays."""
    _set_active(email, False, "{} is deactivated; all of its sessions have ended.")


@users_cli.command("activate")
@click.argument("email")
def activate_command(email: str) -> None:
    """Let a deactivated account log in again."""
    _set_active(email, True, "{} can log in again.")


def _set_active(email: str, active: bool, done: str) -> None:
    user = _existing_user(email)
    try:
        operations.change_active(user, active)
    except operations.LastAdminError:
        raise click.UsageError(_LAST_ADMIN.format(user.email)) from None
    db.session.commit()
    click.echo(done.format(user.email))


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
def set_role_command(email: str, role: str) -> None:
    """Change an account's role."""
    user = _existing_user(email)
    try:
        operations.change_role(user, role)
    except operations.LastAdminError:
        raise click.UsageError(_LAST_ADMIN.format(user.email)) from None
    db.session.commit()
    click.echo(f"{user.email} is now {role}.")


@users_cli.command("invite")
@click.argument("email")
@click.option("--name", "display_name", help="Display name (default: the part of the email before @).")
@click.option("--role", type=click.Choice(ROLES), default="learner", show_default=True)
@click.option("--lang", type=click.Choice(LANGUAGES), help="Language of the invitation (default: DEFAULT_LANGUAGE).")
@click.option("--inviter", help=_INVITER_HELP)
def invite_command(email: str, display_name: str | None, role: str, lang: str | None, inviter: str | None) -> None:
    """Create an account without a password and mail its owner the invitation to set one."""
    problems = _person_problems(email, display_name)
    if problems:
        raise click.UsageError("; ".join(problems))
    email = accounts.normalise_email(email)
    try:
        user = operations.invite(
            email, display_name or email.split("@")[0], role, lang or current_app.config["DEFAULT_LANGUAGE"]
        )
    except accounts.EmailTakenError:
        raise click.UsageError(f"{email} already has an account") from None
    mails.send_invitation(user, inviter)
    db.session.commit()
    click.echo(f"Invited {email} as {role}.")
    unsent = _send_invitations([user])
    if unsent:
        _report_unsent(unsent)


def _person_problems(email: str, display_name: str | None) -> list[str]:
    """What the CSV import would say about this one person (address, name), in English."""
    found = user_import.check_person(
        email, display_name or "", "", "", roles=ROLES, languages=LANGUAGES, default_language=LANGUAGES[0]
    )
    return [] if isinstance(found, user_import.Person) else [str(problem) for problem in found]


@users_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--inviter", help=_INVITER_HELP)
def import_command(file: str, inviter: str | None) -> None:
    """Invite everyone in a CSV file (columns email, name, role, language, group), all or nothing: any bad row, and
    nobody is invited. Every problem is listed with its line."""
    with open(file, "rb") as handle:
        data = handle.read(user_import.MAX_BYTES + 1)
    parsed = user_import.read_people(
        data, roles=ROLES, languages=LANGUAGES, default_language=current_app.config["DEFAULT_LANGUAGE"]
    )
    parsed = operations.check_import(parsed)
    if parsed.problems:
        for problem in parsed.problems:
            click.echo(f"{file}: {problem}", err=True)
        click.echo(f"{len(parsed.problems)} problem(s); nobody was invited.", err=True)
        sys.exit(1)
    try:
        created = operations.import_people(parsed.people)
    except operations.AddressTakenError as error:
        db.session.rollback()
        click.echo(f"{file}: {error.problem}; nobody was invited.", err=True)
        sys.exit(1)
    for user in created:
        mails.send_invitation(user, inviter)
    db.session.commit()
    unsent = _send_invitations(created)
    click.echo(f"Created {len(created)} account(s); sent {len(created) - len(unsent)} invitation(s).")
    if unsent:
        _report_unsent(unsent)


@users_cli.command("delete")
@click.argument("email")
@click.confirmation_option("--yes", prompt="Erase this account's personal data for good?")
def delete_command(email: str) -> None:
    """Erase an account's personal data, as its owner can on their account page. Cannot be undone."""
    user = _existing_user(email)
    if user.deleted_at is not None:
        raise click.UsageError(f"{email} is deleted already")
    try:
        operations.check_deletable(user)
    except operations.LastAdminError:
        raise click.UsageError(_LAST_ADMIN.format(user.email)) from None
    try:
        delete_account(user, by=None)
    except KeyUnavailable as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Deleted the account of {email}; its personal data is erased.")


@users_cli.command("list")
@click.option("--role", type=click.Choice(ROLES))
@click.option("--status", type=click.Choice(operations.STATUSES), help="Default: every status but deleted.")
def list_command(role: str | None, status: str | None) -> None:
    """List accounts, one a line: email, role, status, last login, name (tab-separated)."""
    rows = operations.list_users(role, status)
    for row in rows:
        last = row.last_login_at.strftime("%Y-%m-%d %H:%M") if row.last_login_at else "never"
        click.echo("\t".join((row.email, row.role, row.status, last, row.name)))
    click.echo(f"{len(rows)} account(s).", err=True)


@audit_cli.command("purge")
@click.option("--days", type=click.IntRange(0, 36_500), help="Keep this many days (default: AUDIT_RETENTION_DAYS).")
def purge_command(days: int | None) -> None:
    """Delete audit entries older than the retention period (run daily from cron)."""
    kept = current_app.config["AUDIT_RETENTION_DAYS"] if days is None else days
    removed = audit.purge(kept)
    db.session.commit()
    click.echo(f"Removed {removed} audit entr{'y' if removed == 1 else 'ies'} older than {kept} day(s).")
