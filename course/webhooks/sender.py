"""Delivering a webhook message: the outbox's "webhook" channel (course/outbox/operations.py runs it).

One POST of the JSON payload with the Standard Webhooks headers, signed with the webhook's current secret, no
redirects followed, within WEBHOOK_TIMEOUT_SECONDS. What the answer means:

- 2xx: delivered.
- no answer (refused, timed out, DNS failure), 5xx, 408, 425 or 429: tried again later with the outbox's waits; a
  receiver that does not answer at all holds back only its own messages, not other webhooks'.
- another 4xx or a redirect: the receiver refused this message or the address is wrong; trying the same bytes
  again cannot help, so the message fails at once and admins see why in the webhook's delivery log (and can try it
  again there once the receiver is fixed).
- the webhook deleted, switched off or no longer subscribed to the event: skipped.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l

from course.core import webhooks as rules
from course.core.webhooks import AddressRefused
from course.extensions import db
from course.models import OutboxMessage, Webhook
from course.outbox.operations import Channel, DeliveryError, Skip, register
from course.webhooks.operations import CHANNEL, checked_url, person

RETRIED = {408, 425, 429}
USER_AGENT = "KAM-course-webhooks/1"
SHOWN_BODY = 200  # characters of a refusing receiver's answer kept with the error


def body_of(message: OutboxMessage) -> str:
    """The JSON body as sent now: the learner re-read, so an account erased since the event is only an id."""
    payload = json.loads(json.dumps(message.payload))
    data = payload.get("data") or {}
    if isinstance(data.get("user"), dict) and "id" in data["user"]:
        data["user"] = person(data["user"]["id"])
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def headers_for(webhook: Webhook, message: OutboxMessage, body: str, now: int) -> dict[str, str]:
    message_id = f"msg_{message.id}"  # the same on every try, so a receiver can drop a second copy
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(now),
        "webhook-signature": rules.sign(webhook.secret, message_id, now, body),
    }


def send(message: OutboxMessage) -> int:
    import requests  # HTTP for the integrations: loaded by the process that sends, not by every worker
    import urllib3

    webhook = db.session.get(Webhook, message.target_id) if message.target_id is not None else None
    if webhook is None:
        raise Skip("The webhook was deleted.")
    if not webhook.active:
        raise Skip("The webhook is switched off.")
    event = message.payload.get("type")
    if event != rules.PING and event not in webhook.events:
        raise Skip(f"The webhook no longer subscribes to {event}.")
    try:
        url = checked_url(webhook.url)
    except AddressRefused as error:
        raise DeliveryError(f"Not sent to {webhook.url}: {error}", permanent=True) from None
    body = body_of(message)
    timeout = float(current_app.config["WEBHOOK_TIMEOUT_SECONDS"])
    try:
        response = requests.post(
            url,
            data=body.encode(),
            headers=headers_for(webhook, message, body, int(time.time())),
            timeout=timeout,
            allow_redirects=False,
            stream=True,  # only the first bytes of an answer are read: a receiver cannot flood the job's memory
        )
        with response:
            status = response.status_code
            answer = "" if 200 <= status < 300 else response.raw.read(SHOWN_BODY * 4, decode_content=True)
    except (requests.Timeout, urllib3.exceptions.TimeoutError):
        raise DeliveryError(f"{_host(url)} gave no answer within {timeout:g} s.", unreachable=True) from None
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as error:
        raise DeliveryError(f"Could not reach {_host(url)}: {error.__class__.__name__}.", unreachable=True) from None
    if 200 <= status < 300:
        return status
    answer = " ".join(answer.decode("utf-8", "replace").split())[:SHOWN_BODY]
    if 300 <= status < 400:
        location = response.headers.get("Location", "?")[:SHOWN_BODY]
        raise DeliveryError(
            f"HTTP {status}: the receiver redirects to {location}; enter that address in the webhook.",
            status_code=status,
            permanent=True,
        )
    retried = status >= 500 or status in RETRIED
    raise DeliveryError(
        f"HTTP {status} from {_host(url)}" + (f": {answer}" if answer else "."),
        status_code=status,
        permanent=not retried,
    )


def _host(url: str) -> str:
    return urlsplit(url).netloc


register(Channel(CHANNEL, _l("Webhooks"), send, receiver=lambda message: message.target_id))
