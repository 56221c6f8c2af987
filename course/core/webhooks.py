"""Webhooks for HR systems, the pure part: the events offered, the secret, the signature and the address rules.

Deliveries follow the Standard Webhooks specification (standardwebhooks.com): headers `webhook-id`,
`webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, the key being
the secret without its `whsec_` start, base64-decoded. Receivers can verify with any library for that
specification; tests/web/test_webhooks.py verifies with the reference one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
from collections.abc import Callable
from urllib.parse import urlsplit

from course.core.errors import N_

SECRET_START = "whsec_"  # noqa: S105 - the format's marker, not a secret
SECRET_BYTES = 24
EVENTS = ("certificate.issued", "certificate.revoked", "course.completed", "learner.overdue")
PING = "ping"  # the test delivery an admin sends from the webhook's page; no subscription needed
MAX_URL = 2000


def new_secret(token_bytes: Callable[[int], bytes]) -> str:
    """A signing secret in the specification's format; `token_bytes` is `secrets.token_bytes`."""
    return SECRET_START + base64.b64encode(token_bytes(SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_START))


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """The `webhook-signature` header value for this body, id and timestamp (seconds since the epoch)."""
    mac = hmac.new(_key(secret), f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


class AddressRefused(ValueError):
    """A webhook address the site will not post to. `message` (English, %(name)s placeholders) says why; the web
    layer translates it with `params`, the sender logs it as is."""

    def __init__(self, message: str, **params: object) -> None:
        self.message, self.params = message, params
        super().__init__(message % params if params else message)


def check_url(url: str, *, allow_http: bool) -> str:
    """The address as it will be used, or AddressRefused: http(s) only (https unless `allow_http`), a host name,
    no user name or password in it (they would show in lists and logs; the signature authenticates the site)."""
    url = url.strip()
    if not url or len(url) > MAX_URL:
        raise AddressRefused(N_("Enter the receiver's full address, e.g. https://hr.example.com/hooks/course."))
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise AddressRefused(N_("This is not a valid web address.")) from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise AddressRefused(N_("Enter the receiver's full address, e.g. https://hr.example.com/hooks/course."))
    if parts.scheme == "http" and not allow_http:
        raise AddressRefused(N_("The address must start with https://: deliveries carry personal data."))
    if parts.username is not None or parts.password is not None:
        raise AddressRefused(
            N_("The address must not contain a user name or password; the signature proves the sender.")
        )
    if parts.fragment:
        raise AddressRefused(N_("The address must not contain a fragment (#…)."))
    return url


def is_private(address: str) -> bool:
    """Whether an IP address is one a webhook must not reach unless allowed: loopback, private networks, link-local
    (cloud metadata services live there), multicast, reserved or unspecified."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast
