"""What an LTI 1.3 launch decides from the platform's validated claims: what the link opens (its target), which
role a person gets here and in the context's group, how a new account is named and addressed, and why a launch
is refused.

Plain data in, plain data out: the claims are the id_token's payload after pylti1p3 checked its signature,
nonce and deployment (course/lti/tool.py); the web layer joins them with the database (course/lti/operations.py).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = CLAIM + "message_type"
VERSION = CLAIM + "version"
DEPLOYMENT_ID = CLAIM + "deployment_id"
TARGET_LINK_URI = CLAIM + "target_link_uri"
RESOURCE_LINK = CLAIM + "resource_link"
ROLES = CLAIM + "roles"
CONTEXT = CLAIM + "context"
CUSTOM = CLAIM + "custom"
LAUNCH_PRESENTATION = CLAIM + "launch_presentation"
DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
RESOURCE_LAUNCH = "LtiResourceLinkRequest"
DEEP_LINKING_LAUNCH = "LtiDeepLinkingRequest"

# The LTI roles (context and institution roles, short or full URIs) that make a person a trainer here: they teach
# or build courses in the LMS. Everyone else learns. A launch never makes anyone a site admin.
_TEACHING = ("Instructor", "Administrator", "ContentDeveloper", "TeachingAssistant", "Mentor")
TEACHING_ROLES = frozenset(
    role
    for name in _TEACHING
    for role in (
        f"http://purl.imsglobal.org/vocab/lis/v2/membership#{name}",
        f"http://purl.imsglobal.org/vocab/lis/v2/institution/person#{name}",
        f"http://purl.imsglobal.org/vocab/lis/v2/system/person#{name}",
        name,
    )
)
# The TeachingAssistant sub-role of Instructor comes as membership/Instructor#TeachingAssistant.
_TEACHING_SUBROLE = re.compile(r"^http://purl\.imsglobal\.org/vocab/lis/v2/membership/(Instructor|ContentDeveloper)#")
_KEEP_ROLES = ("trainer", "admin")  # a launch never lowers these
NAME_MAX_LENGTH = 120  # users.display_name
TITLE_MAX_LENGTH = 255  # lti_contexts.title, lti_resource_links.title
# A placeholder address for a person the platform gives no usable address for: `.invalid` is reserved (RFC 2606),
# so no mail to it can ever be delivered, and the digest keeps it unique per platform and person.
PLACEHOLDER_DOMAIN = "lti.invalid"

# Why a launch or a login initiation is refused: the reason's HTTP status (the page explains each).
REFUSAL_STATUS = {
    "malformed": 400,  # no id_token, not a JWT, login initiation without issuer or login hint
    "state": 400,  # state missing or not this browser's (cookie lost, or opened twice)
    "replay": 400,  # the nonce was used before (or never issued here)
    "unknown_issuer": 403,
    "unknown_client": 403,  # the issuer is known, the login initiation names another client id
    "wrong_audience": 403,  # the issuer is known, the token is for another client id
    "inactive_platform": 403,
    "unknown_deployment": 403,
    "bad_signature": 403,  # not signed by the platform's key, or unsigned (alg none), or a key we cannot read
    "expired": 400,
    "missing_claims": 400,
    "unsupported_message": 400,
    "jwks_unreachable": 502,  # the platform's key set did not come (unreachable, an error, not a key set)
    "wrong_target": 400,  # login initiation for a target_link_uri that is not this site's
    "account_closed": 403,
    "not_instructor": 403,  # a deep-linking request from someone who may not choose content
}


class LaunchRefused(Exception):  # noqa: N818 - a refusal shown to the person, not a programming error
    """An LTI message is refused. `reason` is one of REFUSAL_STATUS (the page explains it), `detail` is for the
    log and the admins (never shown to the person)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        if reason not in REFUSAL_STATUS:
            raise ValueError(f"unknown LTI refusal {reason!r}")
        self.reason = reason
        self.detail = detail

    @property
    def status(self) -> int:
        return REFUSAL_STATUS[self.reason]


# --- targets ----------------------------------------------------------------------------------------------------

_ID = r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}"
_TARGET = re.compile(rf"^(course):({_ID})$|^(lesson|quiz):({_ID})/({_ID})$|^(sandbox):({_ID})(?:/({_ID}))?$")


@dataclass(frozen=True)
class Target:
    """What a resource link opens: kind "course", "lesson", "quiz" or "sandbox", the course and (except for a
    course, or the sandbox's start page) the lesson, quiz or scenario."""

    kind: str
    course_id: str
    item_id: str | None = None

    def __str__(self) -> str:
        return f"{self.kind}:{self.course_id}" + (f"/{self.item_id}" if self.item_id else "")


def parse_target(text: object) -> Target | None:
    """The target a string names ("course:<c>", "lesson:<c>/<l>", "quiz:<c>/<q>", "sandbox:<c>[/<scenario>]"), or
    None when it names none. Whether the course and item exist is the catalog's question."""
    if not isinstance(text, str):
        return None
    match = _TARGET.match(text.strip())
    if match is None:
        return None
    if match.group(1):
        return Target("course", match.group(2))
    if match.group(3):
        return Target(match.group(3), match.group(4), match.group(5))
    return Target("sandbox", match.group(7), match.group(8))


def requested_target(claims: Mapping[str, object], query_target: str | None) -> str | None:
    """The target a launch asks for, as the platform sent it: the link's custom parameter `target` (set by deep
    linking or by hand in the LMS), else the `target` query parameter of the launch URL (target_link_uri)."""
    custom = claims.get(CUSTOM)
    if isinstance(custom, Mapping) and isinstance(custom.get("target"), str) and custom["target"].strip():
        return custom["target"].strip()
    return query_target


# --- people -----------------------------------------------------------------------------------------------------


def role_values(claims: Mapping[str, object]) -> list[str]:
    roles = claims.get(ROLES)
    return [role for role in roles if isinstance(role, str)] if isinstance(roles, list) else []


def teaches(claims: Mapping[str, object]) -> bool:
    """Whether the launch's roles make the person a teacher (instructor, administrator, content developer,
    teaching assistant, mentor) of the context."""
    return any(role in TEACHING_ROLES or _TEACHING_SUBROLE.match(role) for role in role_values(claims))


def site_role(claims: Mapping[str, object], current_role: str | None) -> str:
    """The account's role after this launch (`current_role` None: a new account). Teachers become trainers,
    everyone else a learner; a trainer or admin stays what they are, and a manager who learns stays a manager."""
    if current_role in _KEEP_ROLES:
        return current_role
    if teaches(claims):
        return "trainer"
    return current_role or "learner"


def group_role(claims: Mapping[str, object]) -> str:
    """The person's part in the context's group: its trainers look after its members."""
    return "trainer" if teaches(claims) else "member"


def display_name(claims: Mapping[str, object], fallback: str) -> str:
    """The name a new account shows: the name claim, else given and family name, else `fallback`."""
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        parts = [claims.get("given_name"), claims.get("family_name")]
        name = " ".join(part.strip() for part in parts if isinstance(part, str) and part.strip())
    name = " ".join(str(name or "").split())
    return (name or fallback)[:NAME_MAX_LENGTH]


def email_claim(claims: Mapping[str, object]) -> str | None:
    """The platform's address for the person, normalised, if it looks like one."""
    email = claims.get("email")
    if not isinstance(email, str):
        return None
    email = email.strip().lower()
    if len(email) > 254 or email.count("@") != 1 or any(char.isspace() for char in email):
        return None
    local, domain = email.split("@")
    return email if local and "." in domain and not domain.endswith(PLACEHOLDER_DOMAIN) else None


def placeholder_email(platform_id: int, subject: str) -> str:
    """A unique address no mail can reach, for a person the platform names only by `sub`."""
    digest = hashlib.sha256(f"{platform_id}\0{subject}".encode()).hexdigest()[:32]
    return f"lti-{platform_id}-{digest}@{PLACEHOLDER_DOMAIN}"


def is_placeholder_email(email: str) -> bool:
    return email.endswith("@" + PLACEHOLDER_DOMAIN)


def context_group_name(platform_name: str, claims: Mapping[str, object], context_id: str, max_length: int) -> str:
    """The group a platform's context (an LMS course) becomes: its title (or label, or id), with the platform's
    name, so two LMSs' "Sales 101" stay two groups."""
    context = claims.get(CONTEXT)
    title = ""
    if isinstance(context, Mapping):
        for key in ("title", "label"):
            if isinstance(context.get(key), str) and context[key].strip():
                title = context[key]
                break
    name = " ".join(f"{title or context_id} ({platform_name})".split())
    return name[:max_length]


def context_title(claims: Mapping[str, object]) -> str:
    context = claims.get(CONTEXT)
    if isinstance(context, Mapping) and isinstance(context.get("title"), str):
        return context["title"][:TITLE_MAX_LENGTH]
    return ""


# --- platforms --------------------------------------------------------------------------------------------------


def origin(url: str) -> str | None:
    """The origin ("https://lms.example.org[:port]") of an http(s) URL, or None."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def frame_ancestors(origins: Iterable[str]) -> str:
    """The CSP frame-ancestors value: only ourselves and the listed origins, or nobody when none is listed."""
    listed = sorted({value for value in origins if value})
    return " ".join(["'self'", *listed]) if listed else "'none'"


def is_http_url(value: str) -> bool:
    parts = urlsplit(value.strip())
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not parts.fragment


def parse_deployment_ids(text: str) -> list[str]:
    """Deployment ids as an admin types them: one per line or separated by commas, each kept once in order."""
    ids = [part.strip() for line in text.splitlines() for part in line.split(",")]
    return list(dict.fromkeys(part for part in ids if part))


# --- dynamic registration (LTI Dynamic Registration 1.0) ------------------------------------------------------------

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"


class RegistrationRefused(Exception):  # noqa: N818 - a refusal shown to the LMS admin
    """A dynamic registration cannot go on: `reason` is "link" (unknown, used or expired registration link),
    "platform" (the platform's configuration or answer is unusable or did not come) or "taken" (registered
    already); `detail` is for the log."""

    STATUS = {"link": 404, "platform": 502, "taken": 409}

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail

    @property
    def status(self) -> int:
        return self.STATUS[self.reason]


@dataclass(frozen=True)
class PlatformConfiguration:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str
    product: str  # the platform's product family code ("moodle", "canvas"), for the platform's name


def platform_configuration(document: object) -> PlatformConfiguration:
    """The parts of a platform's OpenID configuration a registration needs; raises RegistrationRefused."""
    if not isinstance(document, Mapping):
        raise RegistrationRefused("platform", "the OpenID configuration is not a JSON object")
    urls = {}
    for name in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint"):
        value = document.get(name)
        if not isinstance(value, str) or not is_http_url(value) or len(value) > 2000:
            raise RegistrationRefused("platform", f"{name} missing or not an http(s) URL")
        urls[name] = value
    if "id_token" not in (document.get("response_types_supported") or ["id_token"]):
        raise RegistrationRefused("platform", "the platform issues no id_token")
    lti_config = document.get(PLATFORM_CONFIGURATION)
    product = lti_config.get("product_family_code") if isinstance(lti_config, Mapping) else None
    return PlatformConfiguration(**urls, product=product if isinstance(product, str) else "")


def registered_client(answer: object) -> tuple[str, str | None]:
    """The client id and deployment id the platform's registration answer gives; raises RegistrationRefused."""
    if not isinstance(answer, Mapping) or not isinstance(answer.get("client_id"), str) or not answer["client_id"]:
        raise RegistrationRefused("platform", "the registration answer has no client_id")
    tool = answer.get(TOOL_CONFIGURATION)
    deployment = tool.get("deployment_id") if isinstance(tool, Mapping) else None
    return answer["client_id"][:255], deployment[:255] if isinstance(deployment, str) and deployment else None


def registered_platform_name(configuration: PlatformConfiguration) -> str:
    host = urlsplit(configuration.issuer).hostname or configuration.issuer
    return f"{configuration.product} ({host})"[:100] if configuration.product else host[:100]
