"""`flask lti platforms add|list|edit|remove`: the LMSs that may launch the course, for scripts and for a site
without an admin account yet (the same checks as the admin page, /admin/lti)."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from course.core import lti
from course.extensions import db
from course.lti import operations
from course.models import LtiPlatform

lti_cli = AppGroup("lti", help="The LTI 1.3 tool: platforms (LMSs) that launch the course.")
platforms_cli = AppGroup("platforms", help="Register, list, change and remove LTI platforms.")
lti_cli.add_command(platforms_cli)

_URLS = ("issuer", "auth_login_url", "auth_token_url", "key_set_url")


def _find(reference: str) -> LtiPlatform:
    """A platform by id or by name; exits with a message when none or several match."""
    if reference.isdigit():
        platform = db.session.get(LtiPlatform, int(reference))
        found = [platform] if platform else []
    else:
        found = list(db.session.scalars(select(LtiPlatform).where(LtiPlatform.name == reference)))
    if len(found) != 1:
        click.echo(f"No single platform {reference!r} (give its id from `flask lti platforms list`).", err=True)
        sys.exit(1)
    return found[0]


def _check(settings: operations.PlatformSettings) -> None:
    problems = [name for name in _URLS if not lti.is_http_url(getattr(settings, name))]
    if settings.auth_audience and not lti.is_http_url(settings.auth_audience):
        problems.append("auth_audience")
    if problems:
        click.echo(f"Not an http(s) address: {', '.join(problems)}.", err=True)
        sys.exit(1)
    if not settings.name.strip() or not settings.client_id.strip() or not settings.deployment_ids:
        click.echo("A platform needs a name, a client id and at least one deployment id.", err=True)
        sys.exit(1)


def _save(action: str, settings: operations.PlatformSettings, platform: LtiPlatform | None = None) -> LtiPlatform:
    _check(settings)
    try:
        if platform is None:
            platform = operations.add_platform(settings)
        else:
            operations.edit_platform(platform, settings)
    except operations.PlatformTakenError:
        db.session.rollback()
        click.echo(f"A platform with issuer {settings.issuer} and client id {settings.client_id} exists.", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"{action} platform {platform.id}: {platform.name} ({platform.issuer}, client id {platform.client_id}).")
    return platform


@platforms_cli.command("add")
@click.option("--name", required=True)
@click.option("--issuer", required=True, help="The platform's issuer (iss), as its id_tokens name it.")
@click.option("--client-id", required=True, help="The client id the platform gave the tool.")
@click.option("--deployment-id", "deployment_ids", multiple=True, required=True, help="Repeat for several.")
@click.option("--login-url", "auth_login_url", required=True, help="The platform's OIDC authentication URL.")
@click.option("--token-url", "auth_token_url", required=True, help="The platform's access token URL.")
@click.option("--jwks-url", "key_set_url", required=True, help="The platform's public keyset URL.")
@click.option("--audience", "auth_audience", default=None, help="The token endpoint's audience, if not its URL.")
def add_command(**values: object) -> None:
    """Register a platform (active at once)."""
    values["deployment_ids"] = lti.parse_deployment_ids("\n".join(values["deployment_ids"]))  # type: ignore[arg-type]
    _save("Added", operations.PlatformSettings(**values))  # type: ignore[arg-type]


@platforms_cli.command("list")
def list_command() -> None:
    """Every platform with its id, state, issuer, client id and deployment ids."""
    found = operations.platforms()
    for platform in found:
        state = "active" if platform.active else "inactive"
        click.echo(
            f"{platform.id}\t{platform.name}\t{state}\t{platform.issuer}\t{platform.client_id}\t"
            f"{','.join(platform.deployment_ids or [])}"
        )
    if not found:
        click.echo("No LTI platforms registered.", err=True)


@platforms_cli.command("edit")
@click.argument("reference")
@click.option("--name")
@click.option("--issuer")
@click.option("--client-id")
@click.option("--deployment-id", "deployment_ids", multiple=True, help="Replaces the list; repeat for several.")
@click.option("--login-url", "auth_login_url")
@click.option("--token-url", "auth_token_url")
@click.option("--jwks-url", "key_set_url")
@click.option("--audience", "auth_audience")
@click.option("--active/--inactive", default=None, help="Accept or refuse the platform's launches.")
def edit_command(reference: str, active: bool | None, **values: object) -> None:
    """Change the settings given (REFERENCE: the platform's id or name)."""
    platform = _find(reference)
    current = operations.platform_settings(platform).__dict__
    changes = {name: value for name, value in values.items() if value not in (None, ())}
    if "deployment_ids" in changes:
        changes["deployment_ids"] = lti.parse_deployment_ids("\n".join(changes["deployment_ids"]))  # type: ignore[arg-type]
    if active is not None:
        operations.set_active(platform, active)
    _save("Changed", operations.PlatformSettings(**{**current, **changes}), platform)


@platforms_cli.command("remove")
@click.argument("reference")
@click.option("--yes", is_flag=True, help="Do not ask.")
def remove_command(reference: str, yes: bool) -> None:
    """Delete a platform with its contexts, links and launches; the accounts and groups stay."""
    platform = _find(reference)
    if not yes:
        click.confirm(f"Remove {platform.name} ({platform.issuer})? Its launches stop at once", abort=True)
    name = platform.name
    operations.remove_platform(platform)
    db.session.commit()
    click.echo(f"Removed platform {name}.")
