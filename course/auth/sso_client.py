"""Talking to the OpenID Connect providers in OIDC_PROVIDERS, through Authlib's Flask client.

Authlib does the protocol: the authorization redirect with state, nonce and a PKCE (S256) challenge kept in the
session, the code exchange with the verifier, and the ID token's signature against the provider's JWKS, its
expiry and nonce. Three checks it leaves open are made here: the discovery document must name the configured
issuer (so a document served elsewhere cannot swap the provider), the token's `aud` must contain our client id
(Authlib only checks `azp`), and only asymmetric signature algorithms count (a document that lists "none" would
otherwise let an unsigned token through). A token answer without an ID token is refused too: Authlib would
return it unvalidated. Every failure becomes a `SignInRefused` with a reason the views turn into a clear page.

Authlib and joserfc (about 25 MB per process) are imported only where a provider is configured and used: a site
without single sign-on never loads them.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, current_app

from course.config import InsecureConfigError
from course.core.sso import DEFAULT_SCOPE, ROLE_ORDER, SignInRefused
from course.models import GROUP_NAME_MAX
from course.urls import external_url

if TYPE_CHECKING:
    import requests
    from authlib.integrations.flask_client.apps import FlaskOAuth2App

# The asymmetric JWS algorithms providers sign ID tokens with; a key from the JWKS can only verify these.
SIGNATURE_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
METADATA_MAX_AGE_SECONDS = 24 * 3600  # discovery is read again after a day (keys are refetched on a new key id)
CLOCK_LEEWAY_SECONDS = 60
_EXTENSION = "course_sso"


def init_app(app: Flask) -> None:
    """One Authlib registry per app, with a client per configured provider; a provider setting that could only
    fail at a login (a role that does not exist, plain HTTP in production) stops the start instead."""
    if not app.config["OIDC_PROVIDERS"]:
        return
    from authlib.integrations.flask_client import OAuth

    oauth = OAuth(app)
    timeout = float(app.config["OIDC_TIMEOUT_SECONDS"])
    for key, provider in app.config["OIDC_PROVIDERS"].items():
        problem = provider_problem(provider, plain_http_allowed=app.debug or app.testing)
        if problem:
            raise InsecureConfigError(f"OIDC_PROVIDERS[{key!r}]: {problem}")
        oauth.register(
            key,
            client_id=provider["client_id"],
            client_secret=provider["client_secret"],
            server_metadata_url=discovery_url(provider["issuer"]),
            client_kwargs={
                "scope": provider.get("scope") or DEFAULT_SCOPE,
                "code_challenge_method": "S256",
                "default_timeout": timeout,
            },
        )
    app.extensions[_EXTENSION] = oauth


def provider_problem(provider: dict, plain_http_allowed: bool) -> str | None:
    """What is wrong with one OIDC_PROVIDERS entry beyond the required names config.py checks, or None."""
    issuer = urlsplit(str(provider["issuer"]))
    if issuer.scheme != "https" and not (plain_http_allowed and issuer.scheme == "http"):
        return f"the issuer must be an https:// address, not {provider['issuer']!r}"
    roles = provider.get("roles", {})
    if not isinstance(roles, dict) or any(role not in ROLE_ORDER for role in roles.values()):
        return f"roles must map claim values to {', '.join(ROLE_ORDER)}, not {roles!r}"
    if provider.get("default_role") not in (None, *ROLE_ORDER):
        return f"default_role must be one of {', '.join(ROLE_ORDER)}, not {provider['default_role']!r}"
    if "role_claim" in provider and not (isinstance(provider["role_claim"], str) and provider["role_claim"]):
        return (
            f"role_claim must be a claim name such as 'roles' or 'realm_access.roles', not {provider['role_claim']!r}"
        )
    if "group_claim" in provider and not (isinstance(provider["group_claim"], str) and provider["group_claim"]):
        return f"group_claim must be a claim name such as 'groups', not {provider['group_claim']!r}"
    groups = provider.get("groups", {})
    if not isinstance(groups, dict) or not all(
        isinstance(name, str) and name.strip() and len(name) <= GROUP_NAME_MAX for name in groups.values()
    ):
        return f"groups must map claim values to group names of at most {GROUP_NAME_MAX} characters, not {groups!r}"
    if groups and "group_claim" not in provider:
        return "groups needs a group_claim that names the claim to read"
    if "openid" not in str(provider.get("scope", DEFAULT_SCOPE)).split():
        return f"scope must include openid, not {provider['scope']!r}"
    return None


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def providers() -> dict[str, dict]:
    return current_app.config["OIDC_PROVIDERS"]


def provider_name(key: str) -> str:
    return str(providers()[key]["name"])


def _client(key: str) -> FlaskOAuth2App:
    return current_app.extensions[_EXTENSION].create_client(key)


def metadata(key: str) -> dict:
    """The provider's discovery document, fetched once and checked; raises SignInRefused."""
    import requests  # loaded with Authlib, only where a provider is configured

    client = _client(key)
    cached = client.server_metadata
    if time.time() - cached.get("_loaded_at", time.time()) > METADATA_MAX_AGE_SECONDS:
        cached.clear()
    try:
        document = client.load_server_metadata()
    except requests.JSONDecodeError as error:
        cached.clear()
        raise SignInRefused("provider_error", "discovery document is not JSON") from error
    except requests.RequestException as error:
        cached.clear()
        raise _unreachable(error) from error
    except (ValueError, TypeError, AttributeError) as error:  # not a JSON object
        cached.clear()
        raise SignInRefused("provider_error", "discovery document is not a JSON object") from error
    problem = _metadata_problem(document, providers()[key]["issuer"])
    if problem:
        cached.clear()  # a corrected document is picked up at the next attempt
        raise SignInRefused("provider_error", problem)
    return document


def _metadata_problem(document: dict, issuer: str) -> str | None:
    if not _same_issuer(document.get("issuer"), issuer):
        return f"discovery names the issuer {document.get('issuer')!r}, not the configured {issuer!r}"
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = document.get(name)
        if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https"):
            return f"discovery has no usable {name}"
    offered = document.get("id_token_signing_alg_values_supported") or ["RS256"]  # RS256 is the spec's default
    algorithms = [alg for alg in offered if alg in SIGNATURE_ALGORITHMS] if isinstance(offered, list) else []
    if not algorithms:
        return f"discovery offers no asymmetric ID token algorithm ({offered!r})"
    document["id_token_signing_alg_values_supported"] = algorithms  # Authlib verifies with these only
    return None


def _same_issuer(found: object, configured: str) -> bool:
    """Issuers compare as strings; a trailing slash is the only difference forgiven (Auth0 writes one)."""
    return isinstance(found, str) and found.rstrip("/") == configured.rstrip("/")


def _unreachable(error: requests.RequestException) -> SignInRefused:
    import requests

    reason = "provider_timeout" if isinstance(error, requests.Timeout) else "provider_unreachable"
    return SignInRefused(reason, error.__class__.__name__)


def authorize_redirect(key: str, redirect_uri: str, **params: str) -> Response:
    """The redirect to the provider's login; state, nonce and the PKCE verifier wait in the session."""
    metadata(key)
    return _client(key).authorize_redirect(redirect_uri, **params)


def verified_claims(key: str) -> dict:
    """Finish the callback request: exchange the code and return the validated ID token's claims.

    Raises SignInRefused: "state" (unknown or used state), "cancelled" (the person said no at the provider),
    "provider_error" (an error or an unusable answer), "provider_unreachable", "provider_timeout", "bad_token"
    (the ID token failed a check).
    """
    import requests
    from authlib.integrations.flask_client import OAuthError
    from joserfc.errors import JoseError

    document = metadata(key)
    client = _client(key)
    claims_options = {
        "iss": {"essential": True, "values": [document["issuer"]]},
        "aud": {"essential": True, "values": [client.client_id]},
    }
    try:
        token = client.authorize_access_token(claims_options=claims_options, leeway=CLOCK_LEEWAY_SECONDS)
    except OAuthError as error:
        if error.error == "mismatching_state":
            raise SignInRefused("state") from error
        if error.error == "access_denied":
            raise SignInRefused("cancelled") from error
        raise SignInRefused("provider_error", str(error.error)[:100]) from error
    except requests.JSONDecodeError as error:  # a key set that is not JSON
        raise SignInRefused("provider_error", "an answer is not JSON") from error
    except requests.RequestException as error:
        raise _unreachable(error) from error
    except JoseError as error:  # signature, key, algorithm, a claim (iss, aud, exp, nonce, ...)
        raise SignInRefused("bad_token", f"{error.__class__.__name__}: {error}"[:200]) from error
    except (ValueError, TypeError, KeyError) as error:  # a token answer or key set that is not what OIDC says
        raise SignInRefused("provider_error", f"{error.__class__.__name__}: {error}"[:200]) from error
    claims = token.get("userinfo")
    if not claims:
        raise SignInRefused("bad_token", "the token answer has no ID token")
    return dict(claims)


def end_session_url(key: str | None) -> str | None:
    """Where to send the browser after a logout from a session that provider `key` started, so it signs out
    there too (RP-initiated logout) and comes back to the home page; None when there is no such provider, it
    offers no end-session endpoint or cannot be reached: the local logout stands on its own."""
    if key is None or key not in providers():
        return None
    try:
        endpoint = metadata(key).get("end_session_endpoint")
    except SignInRefused:
        return None
    if not isinstance(endpoint, str) or urlsplit(endpoint).scheme not in ("http", "https"):
        return None
    query = urlencode(
        {"client_id": providers()[key]["client_id"], "post_logout_redirect_uri": external_url("learn.index")}
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
