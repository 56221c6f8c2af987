"""What an LTI launch decides from its claims (course/core/lti.py): targets, roles, names, addresses, origins."""

from __future__ import annotations

import pytest

from course.core import lti
from course.core.lti import LaunchRefused, Target

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTITUTION = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("course:kam-pay", Target("course", "kam-pay")),
        ("lesson:kam-pay/kams-are-not-salespeople", Target("lesson", "kam-pay", "kams-are-not-salespeople")),
        ("quiz:kam-pay/kam-mandate-quiz", Target("quiz", "kam-pay", "kam-mandate-quiz")),
        ("sandbox:kam-pay/defend", Target("sandbox", "kam-pay", "defend")),
        ("sandbox:kam-pay", Target("sandbox", "kam-pay")),
        ("  course:kam-pay ", Target("course", "kam-pay")),
        ("course:kam-pay/extra", None),
        ("lesson:kam-pay", None),
        ("quiz:../etc/passwd", None),
        ("lesson:kam-pay/a/b", None),
        ("video:kam-pay/x", None),
        ("course:" + "x" * 65, None),
        ("", None),
        (None, None),
        (["course:kam-pay"], None),
    ],
)
def test_targets_are_parsed_strictly(text: object, target: Target | None) -> None:
    assert lti.parse_target(text) == target
    if target:
        assert lti.parse_target(str(target)) == target


def test_the_custom_target_wins_over_the_launch_url() -> None:
    claims = {lti.CUSTOM: {"target": "quiz:c/q"}}
    assert lti.requested_target(claims, "course:c") == "quiz:c/q"
    assert lti.requested_target({lti.CUSTOM: {"target": " "}}, "course:c") == "course:c"
    assert lti.requested_target({lti.CUSTOM: "not an object"}, None) is None


@pytest.mark.parametrize(
    ("roles", "current", "role", "in_group"),
    [
        ([MEMBERSHIP + "Learner"], None, "learner", "member"),
        ([MEMBERSHIP + "Instructor"], None, "trainer", "trainer"),
        ([MEMBERSHIP + "ContentDeveloper"], None, "trainer", "trainer"),
        (
            ["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"],
            None,
            "trainer",
            "trainer",
        ),
        ([MEMBERSHIP + "Administrator"], None, "trainer", "trainer"),
        ([INSTITUTION + "Administrator"], None, "trainer", "trainer"),
        (["Instructor"], None, "trainer", "trainer"),
        ([INSTITUTION + "Student", MEMBERSHIP + "Learner"], None, "learner", "member"),
        ([], None, "learner", "member"),
        ([MEMBERSHIP + "Learner"], "admin", "admin", "member"),
        ([MEMBERSHIP + "Learner"], "trainer", "trainer", "member"),
        ([MEMBERSHIP + "Learner"], "manager", "manager", "member"),
        ([MEMBERSHIP + "Instructor"], "admin", "admin", "trainer"),
        ([MEMBERSHIP + "Mentor"], "learner", "trainer", "trainer"),
        (["http://evil.example/Instructor"], None, "learner", "member"),
    ],
)
def test_lti_roles_map_to_trainer_or_learner_never_admin(roles, current, role, in_group) -> None:
    claims = {lti.ROLES: roles}
    assert lti.site_role(claims, current) == role
    assert lti.group_role(claims) == in_group


def test_odd_role_claims_count_as_no_roles() -> None:
    assert lti.role_values({lti.ROLES: "Instructor"}) == []
    assert lti.role_values({lti.ROLES: [1, None, "Learner"]}) == ["Learner"]


@pytest.mark.parametrize(
    ("claims", "name"),
    [
        ({"name": "  Kim   Kunde "}, "Kim Kunde"),
        ({"given_name": "Kim", "family_name": "Kunde"}, "Kim Kunde"),
        ({"given_name": "Kim"}, "Kim"),
        ({"name": ""}, "Moodle"),
        ({"name": 42}, "Moodle"),
        ({"name": "x" * 500}, "x" * 120),
    ],
)
def test_display_names(claims: dict, name: str) -> None:
    assert lti.display_name(claims, "Moodle") == name


@pytest.mark.parametrize(
    ("email", "usable"),
    [
        ("Kim@Example.org", "kim@example.org"),
        ("no-at-sign", None),
        ("two@@example.org", None),
        ("a b@example.org", None),
        ("kim@localhost", None),
        ("x@lti.invalid", None),
        (42, None),
        ("x" * 250 + "@example.org", None),
    ],
)
def test_email_claims(email: object, usable: str | None) -> None:
    assert lti.email_claim({"email": email}) == usable


def test_placeholder_addresses_are_unique_stable_and_undeliverable() -> None:
    first = lti.placeholder_email(1, "sub-a")
    assert first == lti.placeholder_email(1, "sub-a")
    assert first != lti.placeholder_email(2, "sub-a") != lti.placeholder_email(1, "sub-b")
    assert first.endswith("@lti.invalid") and lti.is_placeholder_email(first)
    assert len(first) < 254


def test_context_groups_carry_the_platforms_name() -> None:
    claims = {lti.CONTEXT: {"id": "c1", "label": "S101", "title": "Sales 101"}}
    assert lti.context_group_name("Moodle", claims, "c1", 100) == "Sales 101 (Moodle)"
    assert lti.context_group_name("Moodle", {lti.CONTEXT: {"id": "c1", "label": "S101"}}, "c1", 100) == "S101 (Moodle)"
    assert lti.context_group_name("Moodle", {}, "c1", 100) == "c1 (Moodle)"
    assert len(lti.context_group_name("Moodle", {lti.CONTEXT: {"title": "x" * 300}}, "c1", 100)) == 100


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://lms.example.org/mod/lti/auth.php", "https://lms.example.org"),
        ("https://LMS.example.org:8443/x", "https://lms.example.org:8443"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("javascript:alert(1)", None),
        ("lms.example.org", None),
        ("", None),
    ],
)
def test_origins(url: str, origin: str | None) -> None:
    assert lti.origin(url) == origin


def test_frame_ancestors_are_self_and_the_origins_or_nobody() -> None:
    assert lti.frame_ancestors([]) == "'none'"
    assert lti.frame_ancestors(["https://b.example", "https://a.example", "https://a.example"]) == (
        "'self' https://a.example https://b.example"
    )


def test_deployment_ids_as_typed() -> None:
    assert lti.parse_deployment_ids("1\n 2 , 3\n\n2") == ["1", "2", "3"]
    assert lti.parse_deployment_ids(" , \n") == []


def test_refusals_know_their_status_and_refuse_unknown_reasons() -> None:
    assert LaunchRefused("jwks_unreachable").status == 502
    assert LaunchRefused("replay", "nonce used").status == 400
    assert str(LaunchRefused("expired", "exp in the past")) == "expired: exp in the past"
    with pytest.raises(ValueError, match="unknown LTI refusal"):
        LaunchRefused("no-such-reason")
