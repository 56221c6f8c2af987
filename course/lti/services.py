"""The tool's client for a platform's LTI Advantage services: Assignment and Grade Services (line items, scores) and
Names and Role Provisioning Services (memberships), per the 1EdTech Security Framework.

Each call carries an OAuth 2 access token the platform issues for a client-credentials grant, the tool proving who
it is with a JWT signed by its key (RFC 7523 `private_key_jwt`: iss = sub = client id, aud = the token endpoint or
the platform's `auth_audience`, a fresh jti, five minutes to live). Authlib signs the assertion, the same library
the single sign-on uses; requests does the HTTP, so every failure can be told apart: no answer (`unreachable`, the
outbox leaves the platform's other messages for later), an error status (kept with the message), or a refusal that
trying again cannot change (`permanent`). Tokens are kept per platform and scope set until shortly before they
expire (one process cache, course/core/caching.py); a 401 from a service drops the token and asks once for another.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from flask import current_app

from course.core import caching
from course.core import lti_services as spec
from course.lti import keys
from course.models import LtiContext, LtiPlatform, LtiResourceLink

if TYPE_CHECKING:
    import requests

ASSERTION_LIFETIME_SECONDS = 300
TOKEN_MARGIN_SECONDS = 30  # a token this close to its expiry is not used for a new call
DEFAULT_TOKEN_LIFETIME_SECONDS = 3600  # when the platform does not say (RFC 6749 recommends expires_in)
MAX_PAGES = 1000  # a memberships list longer than this many pages (or one that loops) is refused
USER_AGENT = "kam-course-lti-tool"
# Statuses that say the platform refuses this request itself: asking again with the same body cannot help.
_REFUSED = frozenset({400, 404, 405, 409, 410, 413, 415, 422})

_tokens: caching.Cache[tuple[str, float]] = caching.cache("lti.service-tokens", 256)


class ServiceError(Exception):
    """A service call failed. `status_code`: what the platform answered, if it did; `unreachable`: it did not answer
    at all; `permanent`: the platform refused the request itself, or the registration cannot make it."""

    def __init__(
        self, message: str, *, status_code: int | None = None, unreachable: bool = False, permanent: bool = False
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.unreachable = unreachable
        self.permanent = permanent


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: Any
    link: str | None  # the Link header, for paging


def _timeout() -> float:
    return float(current_app.config["LTI_SERVICE_TIMEOUT_SECONDS"])


def _granted(context: LtiContext | None, *wanted: str) -> list[str]:
    """The scopes a call needs, if the platform granted them for this course; else a permanent ServiceError."""
    granted = set(context.service_scopes or ()) if context is not None else set()
    missing = [scope for scope in wanted if scope not in granted]
    if missing:
        raise ServiceError(
            f"the platform did not grant {', '.join(missing)} for this LMS course (launch the tool from it again, or "
            "enable the service in the LMS's tool settings)",
            permanent=True,
        )
    return list(wanted)


# --- Access tokens ---------------------------------------------------------------------------------------------------


def _token_key(platform: LtiPlatform, scopes: Iterable[str]) -> tuple:
    return (platform.id, platform.client_id, platform.auth_token_url, platform.auth_audience, frozenset(scopes))


def client_assertion(platform: LtiPlatform) -> str:
    """The JWT that proves to the platform's token endpoint that the tool asks (RFC 7523, 2.2). Authlib and
    joserfc are imported here, not at the top: only a site that sends grades to an LMS needs them."""
    from authlib.oauth2.rfc7523 import private_key_jwt_sign
    from joserfc.jwk import RSAKey

    key = RSAKey.import_key(keys.private_key_pem())
    return private_key_jwt_sign(
        key,
        client_id=platform.client_id,
        token_endpoint=platform.auth_audience or platform.auth_token_url,
        header={"kid": keys.key_id(), "typ": "JWT"},
        expires_in=ASSERTION_LIFETIME_SECONDS,
    )


def access_token(platform: LtiPlatform, scopes: Iterable[str]) -> str:
    """A bearer token for these scopes: the kept one while it is valid, else a new one from the platform."""
    scopes = sorted(set(scopes))
    key = _token_key(platform, scopes)
    kept = _tokens.get(key)
    if kept is not None and kept[1] - TOKEN_MARGIN_SECONDS > time.time():
        return kept[0]
    token, lifetime = _fetch_token(platform, scopes)
    _tokens.put(key, (token, time.time() + lifetime))
    return token


def forget_token(platform: LtiPlatform, scopes: Iterable[str]) -> None:
    _tokens.put(_token_key(platform, scopes), ("", 0.0))


def _fetch_token(platform: LtiPlatform, scopes: list[str]) -> tuple[str, float]:
    where = f"token endpoint {platform.auth_token_url} of platform {platform.name!r}"
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": client_assertion(platform),
        "scope": " ".join(scopes),
    }
    response = _http("POST", platform.auth_token_url, where, data=form, headers={"Accept": "application/json"})
    if response.status_code != 200:
        error = _json_or_none(response)
        reason = error.get("error") if isinstance(error, dict) else None
        hint = " (check the client id and that the platform has the tool's key set URL)" if reason else ""
        raise ServiceError(
            f"{where} refused the token request: HTTP {response.status_code}" + (f" {reason}" if reason else "") + hint,
            status_code=response.status_code,
        )
    body = _json_or_none(response)
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token or str(body.get("token_type", "")).lower() != "bearer":
        raise ServiceError(f"{where} answered without a bearer access token", status_code=response.status_code)
    lifetime = body.get("expires_in", DEFAULT_TOKEN_LIFETIME_SECONDS)
    if isinstance(lifetime, bool) or not isinstance(lifetime, int | float) or lifetime <= 0:
        lifetime = DEFAULT_TOKEN_LIFETIME_SECONDS
    return token, float(lifetime)


# --- Calls -----------------------------------------------------------------------------------------------------------


def _http(method: str, url: str, where: str, **arguments: Any) -> requests.Response:
    import requests  # HTTP for the integrations: loaded by the process that sends, not by every worker

    headers = {"User-Agent": USER_AGENT, **arguments.pop("headers", {})}
    try:
        return requests.request(method, url, headers=headers, timeout=_timeout(), allow_redirects=False, **arguments)
    except requests.Timeout:
        raise ServiceError(f"{where} did not answer within {_timeout():g} s", unreachable=True) from None
    except requests.RequestException as error:
        raise ServiceError(f"{where} could not be reached ({error.__class__.__name__})", unreachable=True) from None


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def call(
    platform: LtiPlatform,
    scopes: list[str],
    method: str,
    url: str,
    *,
    accept: str,
    body: dict | None = None,
    content_type: str | None = None,
) -> Answer:
    """One service request with a bearer token (asked for again once if the platform says it is not valid any
    more). Raises ServiceError for no answer or an error status."""
    where = f"{method} {url} (platform {platform.name!r})"
    for attempt in (1, 2):
        headers = {"Authorization": f"Bearer {access_token(platform, scopes)}", "Accept": accept}
        if content_type:
            headers["Content-Type"] = content_type
        response = _http(method, url, where, headers=headers, json=body)
        if response.status_code == 401 and attempt == 1:
            forget_token(platform, scopes)
            continue
        break
    if not 200 <= response.status_code < 300:
        detail = response.text[:300].strip() if response.text else ""
        raise ServiceError(
            f"{where} answered HTTP {response.status_code}" + (f": {detail}" if detail else ""),
            status_code=response.status_code,
            permanent=response.status_code in _REFUSED,
        )
    return Answer(
        response.status_code, _json_or_none(response) if response.content else None, response.headers.get("Link")
    )


# --- Assignment and Grade Services -----------------------------------------------------------------------------------


def line_item_for(platform: LtiPlatform, context: LtiContext | None, link: LtiResourceLink) -> str:
    """The line item the link's scores go to: the one the platform named in the launch, else this tool's item for the
    link (found among the course's line items, or created there). The caller keeps it on the link."""
    if link.lineitem_url:
        return link.lineitem_url
    if context is None or not context.lineitems_url:
        raise ServiceError(
            "the platform gave this link no line item and its course no line items service", permanent=True
        )
    granted = set(context.service_scopes or ())
    scopes = _granted(context, spec.AGS_LINEITEM if spec.AGS_LINEITEM in granted else spec.AGS_LINEITEM_READONLY)
    url = context.lineitems_url
    separator = "&" if "?" in url else "?"
    query = urlencode({"resource_link_id": link.resource_link_id, "resource_id": link.target, "tag": spec.LINEITEM_TAG})
    found = _pages(platform, scopes, f"{url}{separator}{query}", spec.LINEITEMS_TYPE, _line_items_of(link))
    if found:
        return found[0]
    scopes = _granted(context, spec.AGS_LINEITEM)
    created = call(
        platform,
        scopes,
        "POST",
        url,
        accept=spec.LINEITEM_TYPE,
        body=spec.line_item(link.title or link.target, link.resource_link_id, link.target),
        content_type=spec.LINEITEM_TYPE,
    )
    item_id = created.body.get("id") if isinstance(created.body, dict) else None
    if not isinstance(item_id, str) or not spec.same_origin(item_id, url):
        raise ServiceError(f"platform {platform.name!r} created a line item without a usable id")
    return item_id


def _line_items_of(link: LtiResourceLink):  # noqa: ANN202 - a page reader
    def read(body: Any) -> list[str]:
        try:
            match = spec.matching_line_item(body, link.resource_link_id, link.target)
        except spec.ServiceProblem as problem:
            raise ServiceError(f"the platform's line items: {problem}") from None
        return [match] if match else []

    return read


def post_score(platform: LtiPlatform, context: LtiContext | None, lineitem_url: str, score: spec.Score) -> int:
    """Send one score to a line item; the platform's status code."""
    scopes = _granted(context, spec.AGS_SCORE)
    answer = call(
        platform,
        scopes,
        "POST",
        spec.scores_url(lineitem_url),
        accept="application/json",
        body=score.body(),
        content_type=spec.SCORE_TYPE,
    )
    return answer.status_code


# --- Names and Role Provisioning -------------------------------------------------------------------------------------


def memberships(platform: LtiPlatform, context: LtiContext) -> list[spec.Member]:
    """Everyone in the LMS course, all pages followed."""
    if not context.memberships_url:
        raise ServiceError("the platform gave this LMS course no memberships service", permanent=True)
    scopes = _granted(context, spec.NRPS_MEMBERSHIPS)

    def read(body: Any) -> list[spec.Member]:
        try:
            return spec.parse_members(body)
        except spec.ServiceProblem as problem:
            raise ServiceError(f"the platform's memberships: {problem}") from None

    return _pages(platform, scopes, context.memberships_url, spec.MEMBERSHIPS_TYPE, read)


def _pages(platform: LtiPlatform, scopes: list[str], url: str, accept: str, read) -> list:  # noqa: ANN001
    """Every item of a paged list, following Link rel="next" on the same origin only (the bearer token goes nowhere
    else)."""
    items, seen, page_url = [], set(), url
    while page_url is not None:
        if page_url in seen or len(seen) >= MAX_PAGES:
            raise ServiceError(f"platform {platform.name!r} pages its list without end ({len(seen)} pages)")
        if not spec.same_origin(page_url, url):
            raise ServiceError(f"platform {platform.name!r} pointed the next page at another site: {page_url[:200]}")
        seen.add(page_url)
        answer = call(platform, scopes, "GET", page_url, accept=accept)
        items.extend(read(answer.body))
        page_url = spec.next_page(answer.link)
    return items
