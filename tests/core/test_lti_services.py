"""The pure side of the LTI Advantage services: score bodies as AGS 2.0 wants them, the scores endpoint of a line
item, Link headers, the members of an NRPS page, and what a roster sync changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from course.core import lti
from course.core import lti_services as spec

AT = datetime(2026, 12, 6, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    ("lineitem", "scores"),
    [
        ("https://lms.example/ctx/1/lineitems/7", "https://lms.example/ctx/1/lineitems/7/scores"),
        ("https://lms.example/ctx/1/lineitems/7/", "https://lms.example/ctx/1/lineitems/7/scores"),
        (
            "https://lms.example/mod/lti/services.php/2/lineitems/5/lineitem?type_id=1",
            "https://lms.example/mod/lti/services.php/2/lineitems/5/lineitem/scores?type_id=1",
        ),
    ],
)
def test_the_scores_endpoint_is_the_line_item_path_with_scores_and_its_query_kept(lineitem: str, scores: str) -> None:
    assert spec.scores_url(lineitem) == scores


def test_a_score_body_has_what_ags_asks_for() -> None:
    body = spec.Score("sub-1", 87.456, "Completed", "FullyGraded", AT).body()
    assert body == {
        "userId": "sub-1",
        "scoreGiven": 87.46,
        "scoreMaximum": 100.0,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": "2026-12-06T09:30:15.123+00:00",
    }


def test_progress_without_a_score_leaves_score_given_out_and_scores_stay_in_range() -> None:
    body = spec.Score("sub-1", None, "InProgress", "Pending", AT.astimezone(timezone(timedelta(hours=1)))).body()
    assert "scoreGiven" not in body and "scoreMaximum" not in body
    assert body["timestamp"] == "2026-12-06T10:30:15.123+01:00"
    assert spec.Score("s", 120.0, "Completed", "FullyGraded", AT).body()["scoreGiven"] == 100.0
    assert spec.Score("s", -3.0, "Completed", "FullyGraded", AT).body()["scoreGiven"] == 0.0


@pytest.mark.parametrize(
    ("activity", "grading", "timestamp"),
    [("Done", "FullyGraded", AT), ("Completed", "Graded", AT), ("Completed", "FullyGraded", AT.replace(tzinfo=None))],
)
def test_a_score_with_unknown_progress_or_a_naive_time_is_refused(activity: str, grading: str, timestamp) -> None:
    with pytest.raises(ValueError):
        spec.Score("s", 50.0, activity, grading, timestamp).body()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('<https://lms.example/m?page=2>; rel="next"', "https://lms.example/m?page=2"),
        (
            '<https://lms.example/m?p=1>; rel="first", <https://lms.example/m?p=3&a=b,c>; rel="next"',
            "https://lms.example/m?p=3&a=b,c",
        ),
        ('<https://lms.example/m?p=3>; rel="prev next"', "https://lms.example/m?p=3"),
        ("<https://lms.example/m?p=3>; REL=next", "https://lms.example/m?p=3"),
        ('<https://lms.example/m?p=1>; rel="differences"', None),
        ('<https://lms.example/CaseMatters?Token=AbC>; rel="next"', "https://lms.example/CaseMatters?Token=AbC"),
        ("", None),
        (None, None),
        ("garbage", None),
    ],
)
def test_the_next_page_comes_from_the_link_header(header: str | None, expected: str | None) -> None:
    assert spec.next_page(header) == expected


@given(st.text(max_size=200))
def test_any_link_header_gives_a_page_or_none(header: str) -> None:
    assert spec.next_page(header) is None or isinstance(spec.next_page(header), str)


def test_same_origin_compares_scheme_host_and_port() -> None:
    assert spec.same_origin("https://lms.example/a", "https://LMS.example/b?c")
    assert not spec.same_origin("https://lms.example/a", "http://lms.example/a")
    assert not spec.same_origin("https://lms.example/a", "https://lms.example:8443/a")
    assert not spec.same_origin("https://lms.example/a", "https://evil.example/a")


def test_the_tools_line_item_is_found_by_link_target_and_tag() -> None:
    items = [
        {"id": "https://lms/li/1", "resourceLinkId": "rl", "resourceId": "quiz:c/q"},  # not ours: no tag
        {"id": "https://lms/li/2", "resourceLinkId": "other", "resourceId": "quiz:c/q", "tag": spec.LINEITEM_TAG},
        {"id": "https://lms/li/3", "resourceLinkId": "rl", "resourceId": "quiz:c/q", "tag": spec.LINEITEM_TAG},
    ]
    assert spec.matching_line_item(items, "rl", "quiz:c/q") == "https://lms/li/3"
    assert spec.matching_line_item(items[:2], "rl", "quiz:c/q") is None
    with pytest.raises(spec.ServiceProblem):
        spec.matching_line_item({"lineItems": items}, "rl", "quiz:c/q")
    created = spec.line_item("", "rl", "quiz:c/q")
    assert created == {
        "label": "quiz:c/q",
        "scoreMaximum": 100.0,
        "resourceLinkId": "rl",
        "resourceId": "quiz:c/q",
        "tag": spec.LINEITEM_TAG,
    }


def test_members_of_a_page_become_claims_a_launch_would_bring() -> None:
    page = {
        "id": "https://lms/memberships",
        "context": {"id": "c1"},
        "members": [
            {"user_id": "u1", "roles": ["Instructor"], "name": "  Ida Ross ", "email": "ida@example.org"},
            {"user_id": "u2", "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner", 7]},
            {"user_id": "u3", "status": "Inactive", "roles": ["Learner"]},
        ],
    }
    ida, second, third = spec.parse_members(page)
    assert ida.claims == {
        "sub": "u1",
        lti.ROLES: ["Instructor"],
        "email": "ida@example.org",
        "name": "Ida Ross",
    }
    assert lti.group_role(ida.claims) == "trainer" and lti.group_role(second.claims) == "member"
    assert second.roles == ("http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",) and second.active
    assert not third.active


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "no list of members"),
        ({"members": {}}, "no list of members"),
        ({"members": [{"roles": ["Learner"]}]}, "member 1 has no user_id"),
        ({"members": [{"user_id": "a"}, {"user_id": ""}]}, "member 2 has no user_id"),
    ],
)
def test_a_page_that_is_not_a_membership_container_is_refused_with_the_reason(body: object, message: str) -> None:
    with pytest.raises(spec.ServiceProblem, match=message):
        spec.parse_members(body)


def test_a_roster_plan_changes_only_what_the_roster_made() -> None:
    synced = {1: "member", 2: "member", 3: "trainer"}
    others = [4, 5]  # an admin's members: never added again, changed or removed
    wanted = {1: "member", 2: "trainer", 4: "trainer", 6: "member"}
    plan = spec.roster_plan(synced, others, wanted)
    assert plan.add == {6: "member"}
    assert plan.change == {2: "trainer"}
    assert plan.remove == frozenset({3})


@given(
    st.dictionaries(st.integers(0, 30), st.sampled_from(["member", "trainer"])),
    st.sets(st.integers(0, 30)),
    st.dictionaries(st.integers(0, 30), st.sampled_from(["member", "trainer"])),
)
def test_after_a_plan_the_roster_made_members_are_exactly_the_wanted_ones_not_otherwise_in_the_group(
    synced: dict[int, str], others: set[int], wanted: dict[int, str]
) -> None:
    synced = {user: role for user, role in synced.items() if user not in others}
    plan = spec.roster_plan(synced, others, wanted)
    after = {user: role for user, role in synced.items() if user not in plan.remove} | plan.change | plan.add
    assert after == {user: role for user, role in wanted.items() if user not in others}
