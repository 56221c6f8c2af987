"""What the LTI Advantage services mean, without the talking: the scopes, the body of a score (Assignment and Grade
Services 2.0), where a line item's scores go, the next page of a list, the members of an LMS course (Names and Role
Provisioning Services 2.0) and what a roster sync changes. Which part a member plays is the launch's rule
(course/core/lti.py): a roster sync and a launch must agree.

Plain data in, plain data out: course/lti/services.py does the HTTP, course/lti/grades.py and roster.py the writing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from course.core import lti

AGS_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
AGS_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
AGS_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
NRPS_MEMBERSHIPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"

SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
MEMBERSHIPS_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"

SCORE_MAXIMUM = 100.0
LINEITEM_TAG = "kam-course"  # marks the line items this tool made, so it finds them again instead of adding more
ACTIVITY_PROGRESS = ("Initialized", "Started", "InProgress", "Submitted", "Completed")
GRADING_PROGRESS = ("FullyGraded", "Pending", "PendingManual", "Failed", "NotReady")


class ServiceProblem(ValueError):
    """A platform's answer that does not follow the specification (a member without user_id, a list that is not
    one); the message says what was wrong."""


def scores_url(lineitem_url: str) -> str:
    """A line item's scores endpoint: "/scores" added to the path, the query kept (AGS 2.0, 3.4)."""
    parts = urlsplit(lineitem_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def same_origin(url: str, other: str) -> bool:
    """Whether both addresses have the same scheme, host and port: a platform's bearer token goes nowhere else."""
    a, b = urlsplit(url), urlsplit(other)
    return (a.scheme.lower(), a.hostname, a.port) == (b.scheme.lower(), b.hostname, b.port)


def next_page(link_header: str | None) -> str | None:
    """The `rel="next"` address of an HTTP Link header (RFC 8288), or None."""
    if not link_header:
        return None
    for entry in _split_links(link_header):
        target, _, params = entry.partition(">")
        target = target.strip()
        if not target.startswith("<"):
            continue
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "rel" and "next" in value.strip().strip('"').lower().split():
                return target[1:].strip()
    return None


def _split_links(header: str) -> list[str]:
    """The comma-separated links of a header, without splitting at commas inside <…> or quotes."""
    links, current, inside_url, inside_quotes = [], [], False, False
    for char in header:
        if char == "<" and not inside_quotes:
            inside_url = True
        elif char == ">" and not inside_quotes:
            inside_url = False
        elif char == '"' and not inside_url:
            inside_quotes = not inside_quotes
        elif char == "," and not inside_url and not inside_quotes:
            links.append("".join(current))
            current = []
            continue
        current.append(char)
    links.append("".join(current))
    return [link.strip() for link in links if link.strip()]


@dataclass(frozen=True)
class Score:
    """One score for one person on one line item; `score_given` None sends progress only."""

    user_id: str  # the platform's id of the person (the launch's `sub`)
    score_given: float | None
    activity: str
    grading: str
    timestamp: datetime
    score_maximum: float = SCORE_MAXIMUM

    def body(self) -> dict[str, object]:
        """The score as AGS 2.0 wants it posted (application/vnd.ims.lis.v1.score+json)."""
        if self.activity not in ACTIVITY_PROGRESS or self.grading not in GRADING_PROGRESS:
            raise ValueError(f"unknown progress {self.activity!r}/{self.grading!r}")
        if self.timestamp.tzinfo is None:
            raise ValueError("a score's timestamp needs a time zone")
        body: dict[str, object] = {
            "userId": self.user_id,
            "activityProgress": self.activity,
            "gradingProgress": self.grading,
            "timestamp": self.timestamp.isoformat(timespec="milliseconds"),
        }
        if self.score_given is not None:
            body["scoreGiven"] = round(min(max(self.score_given, 0.0), self.score_maximum), 2)
            body["scoreMaximum"] = self.score_maximum
        return body


def line_item(label: str, resource_link_id: str, resource_id: str) -> dict[str, object]:
    """The line item this tool creates for a link the platform gave none (AGS 2.0, 3.2)."""
    return {
        "label": label[:255] or resource_id,
        "scoreMaximum": SCORE_MAXIMUM,
        "resourceLinkId": resource_link_id,
        "resourceId": resource_id,
        "tag": LINEITEM_TAG,
    }


def matching_line_item(items: object, resource_link_id: str, resource_id: str) -> str | None:
    """The id (URL) of this tool's line item for the link among a platform's line items, or None."""
    if not isinstance(items, list):
        raise ServiceProblem("the line items are not a JSON list")
    for item in items:
        if (
            isinstance(item, Mapping)
            and isinstance(item.get("id"), str)
            and item.get("resourceLinkId") == resource_link_id
            and item.get("resourceId") == resource_id
            and item.get("tag") == LINEITEM_TAG
        ):
            return item["id"]
    return None


# --- Names and Role Provisioning -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """A person in an LMS course, as NRPS lists them."""

    subject: str  # user_id: the same as the launch's `sub`
    roles: tuple[str, ...]  # context roles, full URIs or (NRPS allows them) simple names
    active: bool  # status "Active" (the default); "Inactive" and "Deleted" leave the group
    email: str | None
    name: str | None
    given_name: str | None
    family_name: str | None
    locale: str | None

    @property
    def claims(self) -> dict[str, object]:
        """The member as a launch's claims name a person, so account and roles follow the launch's rules."""
        values: dict[str, object] = {
            "sub": self.subject,
            lti.ROLES: list(self.roles),
            "email": self.email,
            "name": self.name,
            "given_name": self.given_name,
            "family_name": self.family_name,
            "locale": self.locale,
        }
        return {name: value for name, value in values.items() if value}


def parse_members(body: object) -> list[Member]:
    """The members of one page of a membership container; raises ServiceProblem for a page that is not one."""
    if not isinstance(body, Mapping) or not isinstance(body.get("members"), list):
        raise ServiceProblem("the memberships answer has no list of members")
    members = []
    for index, entry in enumerate(body["members"]):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("user_id"), str) or not entry["user_id"]:
            raise ServiceProblem(f"member {index + 1} has no user_id")
        roles = entry.get("roles") if isinstance(entry.get("roles"), list) else []
        roles = tuple(role for role in roles if isinstance(role, str))
        members.append(
            Member(
                subject=entry["user_id"][:255],
                roles=roles,
                active=entry.get("status", "Active") == "Active",
                email=_text(entry.get("email")),
                name=_text(entry.get("name")),
                given_name=_text(entry.get("given_name")),
                family_name=_text(entry.get("family_name")),
                locale=_text(entry.get("locale")),
            )
        )
    return members


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


@dataclass(frozen=True)
class RosterPlan:
    add: dict[int, str]  # account id → role in the group
    change: dict[int, str]  # account id → new role (only memberships the roster made)
    remove: frozenset[int]  # account ids whose roster-made membership ends


def roster_plan(synced: Mapping[int, str], others: Iterable[int], wanted: Mapping[int, str]) -> RosterPlan:
    """What a sync changes in a group. `synced`: the members the roster put there (account → role); `others`: the
    members put there otherwise (an admin, a file, a sign-on claim), which a sync never touches; `wanted`: the
    active members of the LMS course with a part in the group."""
    kept = set(others)
    add = {user: role for user, role in wanted.items() if user not in synced and user not in kept}
    change = {user: role for user, role in wanted.items() if user in synced and synced[user] != role}
    remove = frozenset(user for user in synced if user not in wanted)
    return RosterPlan(add, change, remove)
