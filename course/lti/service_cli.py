"""`flask --app wsgi lti-services sync-rosters`: the job that brings the groups of LMS courses in line with their
rosters (Names and Role Provisioning). Run it from cron, e.g. nightly (docs/operations.md, "LMS grades and
rosters"); a context that fails is reported and the others are synced all the same."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from course.extensions import db
from course.lti import roster, services
from course.models import LtiContext

lti_services_cli = AppGroup("lti-services", help="LTI Advantage services: rosters from the LMS (grades: flask outbox).")


@lti_services_cli.command("sync-rosters")
@click.option("--context", "context_id", type=int, help="Only this LMS course (its id on /admin/lti/contexts).")
def sync_rosters(context_id: int | None) -> None:
    """Sync the roster of every LMS course that offers one (or of one); exit 1 if any failed."""
    if context_id is not None:
        context = db.session.get(LtiContext, context_id)
        if context is None:
            raise click.BadParameter(f"there is no LMS course (LTI context) {context_id}", param_hint="--context")
        contexts = [context]
    else:
        contexts = roster.syncable()
    failed = 0
    for context in contexts:
        name = f"{context.id} ({context.title or context.context_id})"
        try:
            report = roster.sync(context)
        except (services.ServiceError, roster.RosterUnavailable) as error:
            db.session.rollback()
            failed += 1
            click.echo(f"LMS course {name}: not synced: {error}", err=True)
            continue
        db.session.commit()
        click.echo(f"LMS course {name}: {report}.")
        for line in report.not_added:
            click.echo(f"  not added: {line}")
    click.echo(f"{len(contexts) - failed} of {len(contexts)} roster(s) synced.")
    if failed:
        sys.exit(1)
