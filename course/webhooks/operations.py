"""Webhooks: admins register addresses for events; the events' handlers queue one signed delivery per webhook in
the outbox (channel "webhook", target_id = the webhook's id), in the transaction that made the event.

`enabled` asks one small query (the active webhooks' event lists), only when one of these events happens: a
certificate issued or revoked, a course completed, a learner overdue. The payload names the learner by id, email
and name; if the account is erased before the delivery goes out, the sender leaves the name and email out.
"""

from __future__ import annotations

import secrets
import socket
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from course import events, fast
from course.audit import operations as audit
from course.certificates.documents import verify_url
from course.core import webhooks as rules
from course.core.errors import N_
from course.core.webhooks import AddressRefused
from course.extensions import db
from course.fast import integrations
from course.models import CurrentUser, User, Webhook
from course.outbox import operations as outbox

CHANNEL = "webhook"


# --- Admins ----------------------------------------------------------------------------------------------------------


def all_webhooks() -> list[Webhook]:
    return list(db.session.scalars(select(Webhook).order_by(Webhook.name, Webhook.id)))


def checked_url(url: str) -> str:
    """The address if the site may post to it now (format, scheme, and where its host name points); otherwise
    AddressRefused with the reason."""
    config = current_app.config
    url = rules.check_url(url, allow_http=bool(config["WEBHOOK_ALLOW_HTTP"]))
    if not config["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"]:
        refused = private_addresses(url)
        if refused:
            raise AddressRefused(
                N_(
                    "This address leads into a private or local network (%(address)s); webhooks may only go to"
                    " public addresses unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES is set."
                ),
                address=refused[0],
            )
    return url


def private_addresses(url: str) -> list[str]:
    """The private, loopback or link-local addresses the URL's host name resolves to (empty if none, or if it does
    not resolve now: the sender will say so)."""
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError):
        return []
    return sorted({info[4][0] for info in infos if rules.is_private(info[4][0])})


def _events(chosen: Iterable[str]) -> list[str]:
    wanted = set(chosen)
    return [event for event in rules.EVENTS if event in wanted]


def create_webhook(name: str, url: str, chosen: Iterable[str], active: bool, *, by: CurrentUser) -> Webhook:
    """A new webhook with a new secret; `url` must have passed `checked_url`. The caller commits."""
    webhook = Webhook(
        name=name.strip(),
        url=url,
        secret=rules.new_secret(secrets.token_bytes),
        events=_events(chosen),
        active=active,
        created_by_id=by.id,
    )
    db.session.add(webhook)
    db.session.flush()
    audit.record("webhook_created", target_label=_label(webhook), url=url, events=" ".join(webhook.events))
    return webhook


def change_webhook(webhook: Webhook, name: str, url: str, chosen: Iterable[str], active: bool) -> bool:
    """Save the admin's changes; False (and no audit entry) if nothing changes. The caller commits."""
    new = {"name": name.strip(), "url": url, "events": _events(chosen), "active": active}
    changed = {key: value for key, value in new.items() if getattr(webhook, key) != value}
    if not changed:
        return False
    for key, value in changed.items():
        setattr(webhook, key, value)
    detail = {key: (" ".join(value) if isinstance(value, list) else value) for key, value in changed.items()}
    audit.record("webhook_changed", target_label=_label(webhook), **detail)
    return True


def rotate_secret(webhook: Webhook) -> None:
    """A new signing secret from now on (deliveries already signed keep the old one). The caller commits."""
    webhook.secret = rules.new_secret(secrets.token_bytes)
    audit.record("webhook_secret_rotated", target_label=_label(webhook))


def delete_webhook(webhook: Webhook) -> None:
    """Delete the webhook; its waiting deliveries are skipped by the sender. The caller commits."""
    audit.record("webhook_deleted", target_label=_label(webhook), url=webhook.url)
    db.session.delete(webhook)


def queue_ping(webhook: Webhook) -> None:
    """A test delivery for the next run of the sending job. The caller commits."""
    message = {"webhook": {"id": webhook.id, "name": webhook.name}}
    _queue(webhook, rules.PING, uuid.uuid4().hex, message, datetime.now(UTC))


def _label(webhook: Webhook) -> str:
    return f"{webhook.name} ({webhook.url})"[:200]


# --- Events ----------------------------------------------------------------------------------------------------------


def _subscribers(event: str) -> list[Webhook]:
    return [
        hook for hook in db.session.scalars(select(Webhook).where(Webhook.active.is_(True))) if event in hook.events
    ]


def _wants(event: str):  # noqa: ANN202 - an `enabled` callback
    def enabled(_event: object) -> bool:
        """Asked for every course completed (so for many quiz submissions): on the bare driver with the fast paths
        (course/fast/integrations.py)."""
        if fast.enabled():
            chosen_sets = integrations.active_webhook_events()
        else:
            chosen_sets = db.session.scalars(select(Webhook.events).where(Webhook.active))
        return any(event in (chosen or []) for chosen in chosen_sets)

    return enabled


def _moment(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def person(user_id: int | None) -> dict | None:
    """The learner as a delivery names them; an erased account only by id."""
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        return {"id": user_id, "erased": True}
    return {"id": user.id, "erased": False, "email": user.email, "name": user.display_name}


def _queue(webhook: Webhook, event: str, subject: str, data: dict, at: datetime) -> None:
    payload = {"type": event, "timestamp": _moment(at), "data": data}
    about = (data.get("user") or {}).get("id")
    outbox.enqueue(CHANNEL, f"{event}:{subject}:{webhook.id}", payload, target_id=webhook.id, user_id=about)


def _fan_out(event: str, subject: str, data: dict, at: datetime) -> None:
    for webhook in _subscribers(event):
        _queue(webhook, event, subject, data, at)


def certificate_issued(event: events.CertificateIssued) -> None:
    data = {
        "user": person(event.user_id),
        "course_id": event.course_id,
        "certificate": {"id": event.public_id, "verify_url": verify_url(event.public_id)},
    }
    _fan_out("certificate.issued", event.public_id, data, event.at)


def certificate_revoked(event: events.CertificateRevoked) -> None:
    data = {
        "user": person(event.user_id),
        "course_id": event.course_id,
        "certificate": {"id": event.public_id, "verify_url": verify_url(event.public_id)},
        "reason": event.reason,
    }
    _fan_out("certificate.revoked", event.public_id, data, event.at)


def course_completed(event: events.CourseCompleted) -> None:
    data = {"user": person(event.user_id), "course_id": event.course_id, "completed_at": _moment(event.at)}
    _fan_out("course.completed", f"{event.user_id}/{event.course_id}", data, event.at)


def learner_overdue(event: events.LearnerOverdue) -> None:
    data = {
        "user": person(event.user_id),
        "course_id": event.course_id,
        "assignment_id": event.assignment_id,
        "due_at": _moment(event.due_at),
    }
    subject = f"{event.assignment_id}/{event.user_id}/{int(event.due_at.timestamp())}"
    _fan_out("learner.overdue", subject, data, event.at)


events.subscribe(events.CertificateIssued, certificate_issued, _wants("certificate.issued"))
events.subscribe(events.CertificateRevoked, certificate_revoked, _wants("certificate.revoked"))
events.subscribe(events.CourseCompleted, course_completed, _wants("course.completed"))
events.subscribe(events.LearnerOverdue, learner_overdue, _wants("learner.overdue"))
