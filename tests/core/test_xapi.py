"""The xAPI statements as plain data: ADL verbs and activity types, the documented activity ids, a statement id
that follows from the fact it tells (so a resend is the same statement), no e-mail address in the default actor,
responses in xAPI's formats, and no empty values (an LRS refuses them)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from course.core import xapi

SITE = xapi.Site("https://kurs.example.org", "KAM-Kurs")
AT = datetime(2026, 12, 6, 9, 30, 15, 123456, tzinfo=UTC)
LEARNER = xapi.actor(SITE, "account", 7)
COURSE_NAMES = {"de": "KAM-Vergütung", "en": "Paying KAMs"}
BASE = "https://kurs.example.org/xapi/activities/courses/kam-pay"


def quiz(passed: bool = True, answers: tuple[xapi.Answer, ...] = ()) -> list[xapi.Statement]:
    return xapi.quiz_submitted(
        SITE, LEARNER, "kam-pay", "mandate", 12, 2, 6.5, 8, 81.25, passed, AT, answers, COURSE_NAMES, {"de": "Mandat"}
    )


def every_statement() -> list[xapi.Statement]:
    return [
        xapi.lesson_experienced(SITE, LEARNER, 7, "kam-pay", "intro", "de", AT, AT.date(), COURSE_NAMES, {"de": "A"}),
        xapi.lesson_completed(SITE, LEARNER, 7, "kam-pay", "intro", AT, COURSE_NAMES),
        xapi.course_completed(SITE, LEARNER, 7, "kam-pay", AT, COURSE_NAMES),
        *quiz(answers=(xapi.Answer("q1", "single", 1.0, 2, "b", {"de": "<p>Was?</p>"}),)),
        xapi.design_evaluated(SITE, LEARNER, "kam-pay", 3, 2, "defend", 74.5, True, "assigned", AT, COURSE_NAMES),
        xapi.certificate_earned(SITE, LEARNER, 7, "kam-pay", "K7QX2M", "https://kurs.example.org/verify/K7QX2M", AT),
    ]


def empty_values(value: Any, path: str = "") -> list[str]:
    """Where a statement holds "", {} , [] or None (outside extensions), which xAPI and Ralph refuse."""
    if value in ("", {}, [], None):
        return [path]
    if isinstance(value, dict):
        return [p for key, item in value.items() if key != "extensions" for p in empty_values(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in empty_values(item, f"{path}[{index}]")]
    return []


def test_each_event_uses_the_adl_verb_and_activity_type_for_it() -> None:
    found = [(s.body["verb"]["id"], s.body["object"]["definition"]["type"]) for s in every_statement()]
    adl = "http://adlnet.gov/expapi/"
    assert found == [
        (adl + "verbs/experienced", adl + "activities/lesson"),
        (adl + "verbs/completed", adl + "activities/lesson"),
        (adl + "verbs/completed", adl + "activities/course"),
        (adl + "verbs/passed", adl + "activities/assessment"),
        (adl + "verbs/answered", adl + "activities/cmi.interaction"),
        (adl + "verbs/scored", adl + "activities/simulation"),
        ("http://id.tincanapi.com/verb/earned", "http://id.tincanapi.com/activitytype/certificate"),
    ]
    assert quiz(passed=False)[0].body["verb"] == {"id": adl + "verbs/failed", "display": {"en-US": "failed"}}


def test_activity_ids_follow_the_documented_scheme() -> None:
    ids = [s.body["object"]["id"] for s in every_statement()]
    assert ids == [
        f"{BASE}/lessons/intro",
        f"{BASE}/lessons/intro",
        BASE,
        f"{BASE}/quizzes/mandate",
        f"{BASE}/quizzes/mandate/questions/q1",
        f"{BASE}/scenarios/defend",
        f"{BASE}/certificate",
    ]
    assert SITE.activity_id("courses", "a b/c") == "https://kurs.example.org/xapi/activities/courses/a%20b%2Fc"


def test_a_statement_id_follows_from_its_key_and_the_site() -> None:
    first, again = every_statement(), every_statement()
    assert [s.id for s in first] == [s.id for s in again]
    assert len({s.id for s in first}) == len(first)
    other_site = xapi.Site("https://other.example.org", "KAM-Kurs")
    assert other_site.uuid("completed:7:kam-pay:intro") != SITE.uuid("completed:7:kam-pay:intro")
    registrations = {s.body["context"].get("registration") for s in first} - {None}
    assert not registrations & {s.id for s in first}  # a registration is never a statement's id


def test_keys_make_each_fact_once_and_a_lesson_read_once_a_day() -> None:
    def viewed(at: datetime) -> xapi.Statement:
        return xapi.lesson_experienced(SITE, LEARNER, 7, "kam-pay", "intro", "de", at, at.date())

    assert viewed(AT).key == viewed(AT + timedelta(hours=3)).key == "experienced:7:kam-pay:intro:2026-12-06"
    assert viewed(AT + timedelta(days=1)).key != viewed(AT).key
    keys = [s.key for s in every_statement()]
    assert keys[1:] == [
        "completed:7:kam-pay:intro",
        "course-completed:7:kam-pay",
        "attempt:12",
        "attempt:12:q1",
        "design:3:2",
        "certificate:7:kam-pay",
    ]


def test_a_key_too_long_for_the_outbox_is_replaced_by_its_hash() -> None:
    key = xapi.outbox_key("experienced", 7, "c" * 150, "l" * 150, "2026-12-06")
    assert len(key) <= xapi.MAX_KEY and key.startswith("experienced:sha256:")
    assert key == xapi.outbox_key("experienced", 7, "c" * 150, "l" * 150, "2026-12-06")
    assert key != xapi.outbox_key("experienced", 7, "c" * 150, "l" * 150, "2026-12-07")


def test_the_default_actor_is_an_account_on_the_site_without_the_address() -> None:
    assert LEARNER == {"objectType": "Agent", "account": {"homePage": "https://kurs.example.org", "name": "7"}}
    assert "@" not in json.dumps([s.body for s in every_statement()])


def test_the_other_actors_name_the_address_or_its_hash() -> None:
    assert xapi.actor(SITE, "mbox", 7, "ada@example.org", " Ada ") == {
        "objectType": "Agent",
        "mbox": "mailto:ada@example.org",
        "name": "Ada",
    }
    assert xapi.actor(SITE, "mbox", 7, "ada@example.org", "") == {
        "objectType": "Agent",
        "mbox": "mailto:ada@example.org",
    }
    assert xapi.actor(SITE, "mbox_sha1sum", 7, "ada@example.org") == {  # xAPI: the SHA-1 of the mailto IRI
        "objectType": "Agent",
        "mbox_sha1sum": "d714b8a95bd857a37405a7b56db9108b60ae42bd",
    }
    with pytest.raises(ValueError, match="needs the learner's e-mail address"):
        xapi.actor(SITE, "mbox", 7)
    with pytest.raises(ValueError, match="unknown XAPI_ACTOR 'email'"):
        xapi.actor(SITE, "email", 7, "ada@example.org")


def test_the_quiz_result_carries_the_scaled_score_success_and_the_attempt() -> None:
    passed = quiz()[0].body
    assert passed["result"] == {
        "score": {"scaled": 0.8125, "raw": 6.5, "min": 0, "max": 8.0},
        "success": True,
        "completion": True,
    }
    assert passed["context"]["extensions"] == {"https://kurs.example.org/xapi/extensions/attempt-number": 2}
    assert passed["context"]["contextActivities"]["parent"][0]["id"] == BASE


def test_answers_share_the_attempt_as_registration_and_a_blank_question_gets_no_statement() -> None:
    statements = quiz(
        answers=(
            xapi.Answer("q1", "multiple", 0.5, 2, ["a", "c"]),
            xapi.Answer("q2", "single", 0.0, 1, None),
            xapi.Answer("q3", "ordering", 0.0, 1, []),
        )
    )
    assert [s.key for s in statements] == ["attempt:12", "attempt:12:q1"]
    answered = statements[1].body
    assert answered["context"]["registration"] == statements[0].body["context"]["registration"]
    assert answered["result"] == {
        "score": {"scaled": 0.5, "raw": 1.0, "min": 0, "max": 2.0},
        "success": False,
        "completion": True,
        "response": "a[,]c",
    }
    assert answered["context"]["contextActivities"]["parent"][0]["id"] == f"{BASE}/quizzes/mandate"
    assert answered["context"]["contextActivities"]["grouping"][0]["id"] == BASE


@pytest.mark.parametrize(
    ("kind", "stored", "interaction", "response"),
    [
        ("single", "b", "choice", "b"),
        ("multiple", ["a", "c"], "choice", "a[,]c"),
        ("truefalse", False, "true-false", "false"),
        ("truefalse", True, "true-false", "true"),
        ("numeric", {"text": "12,5", "value": 12.5}, "numeric", "12.5"),
        ("numeric", {"text": "40 000", "value": 40000.0}, "numeric", "40000"),
        ("ordering", ["c", "a", "b"], "sequencing", "c[,]a[,]b"),
        ("shorttext", "Deckungsbeitrag", "fill-in", "Deckungsbeitrag"),
        ("shorttext", "a[,]b", "fill-in", "a, b"),
        ("matching", {"p2": "x", "p1": "y"}, "matching", "p1[.]y[,]p2[.]x"),
        ("essay", {"words": 3}, "other", '{"words": 3}'),
    ],
)
def test_responses_use_the_format_of_their_interaction_type(
    kind: str, stored: object, interaction: str, response: str
) -> None:
    assert xapi.interaction_response(kind, stored) == response
    definition = xapi.question_activity(SITE, "kam-pay", "mandate", xapi.Answer("q", kind, 1, 1, stored))["definition"]
    assert definition["interactionType"] == interaction


@pytest.mark.parametrize("stored", [None, "", [], {}, "   "])
def test_an_unanswered_question_has_no_response(stored: object) -> None:
    assert xapi.interaction_response("shorttext", stored) is None


def test_a_question_is_named_by_its_text_without_markup() -> None:
    long = "<p>" + "Wie viel Fixum? " * 30 + "</p>"
    definition = xapi.question_activity(
        SITE, "kam-pay", "mandate", xapi.Answer("q", "single", 1, 1, "a", {"de": long, "en": "<b>How&nbsp;much?</b>"})
    )["definition"]
    assert definition["name"]["en"] == "How much?"
    assert len(definition["name"]["de"]) == xapi.NAME_LENGTH and definition["name"]["de"].endswith("…")
    assert definition["description"]["de"].startswith("Wie viel Fixum?") and "en" not in definition["description"]


def test_the_design_statement_scores_out_of_100_and_names_the_version() -> None:
    body = xapi.design_evaluated(SITE, LEARNER, "kam-pay", 3, 2, "defend", 74.5, False, None, AT).body
    assert body["result"] == {"score": {"scaled": 0.745, "raw": 74.5, "min": 0, "max": 100.0}, "success": False}
    assert body["context"]["extensions"] == {"https://kurs.example.org/xapi/extensions/design-version": 2}
    assert body["context"]["registration"] == SITE.uuid("registration:design:3")
    counting = xapi.design_evaluated(SITE, LEARNER, "kam-pay", 3, 3, "defend", 80, True, "assigned", AT).body
    assert counting["context"]["extensions"] == {
        "https://kurs.example.org/xapi/extensions/design-version": 3,
        "https://kurs.example.org/xapi/extensions/counts-for-certificate": "assigned",
    }


def test_the_certificate_statement_names_the_learners_certificate_by_its_verification_address() -> None:
    body = every_statement()[-1].body
    assert body["context"]["extensions"] == {
        "https://kurs.example.org/xapi/extensions/certificate": "https://kurs.example.org/verify/K7QX2M"
    }
    assert "result" not in body


@pytest.mark.parametrize(
    ("raw", "maximum", "scaled", "expected"),
    [
        (5, 10, None, {"scaled": 0.5, "raw": 5.0, "min": 0, "max": 10.0}),
        (12, 10, None, {"scaled": 1.0, "raw": 10.0, "min": 0, "max": 10.0}),
        (-1, 10, None, {"scaled": 0.0, "raw": 0.0, "min": 0, "max": 10.0}),
        (0, 0, 1.0, {"scaled": 1.0}),
        (1, 3, 1 / 3, {"scaled": 0.3333, "raw": 1.0, "min": 0, "max": 3.0}),
    ],
)
def test_scores_stay_within_what_xapi_allows(raw: float, maximum: float, scaled: float | None, expected: dict) -> None:
    assert xapi.score(raw, maximum, scaled) == expected


def test_timestamps_are_utc_with_milliseconds() -> None:
    assert xapi.timestamp(AT) == "2026-12-06T09:30:15.123Z"
    berlin = datetime(2026, 12, 6, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    assert xapi.timestamp(berlin) == "2026-12-06T09:30:00.000Z"
    assert xapi.timestamp(datetime(2026, 12, 6, 9, 30)) == "2026-12-06T09:30:00.000Z"


def test_statements_hold_no_empty_values_even_without_names() -> None:
    bare = [
        xapi.lesson_experienced(SITE, LEARNER, 7, "kam-pay", "intro", "de", AT, date(2026, 12, 6), {}, {"de": " "}),
        *quiz(answers=(xapi.Answer("q1", "single", 1.0, 0, "b", {}),)),
    ]
    for statement in every_statement() + bare:
        assert empty_values(statement.body) == [], statement.key
        assert statement.body["context"]["platform"] == "KAM-Kurs"


@given(
    kind=st.sampled_from([*xapi.INTERACTION_TYPES, "other"]),
    stored=st.one_of(
        st.none(),
        st.booleans(),
        st.text(max_size=30),
        st.lists(st.text(min_size=1, max_size=5), max_size=4),
        st.dictionaries(st.text(min_size=1, max_size=5), st.text(min_size=1, max_size=5), max_size=3),
        st.fixed_dictionaries({"text": st.text(max_size=5), "value": st.floats(allow_nan=False, allow_infinity=False)}),
    ),
    fraction=st.floats(min_value=0, max_value=1),
    points=st.floats(min_value=0, max_value=100),
)
def test_any_stored_answer_gives_a_statement_without_empty_values(
    kind: str, stored: object, fraction: float, points: float
) -> None:
    response = xapi.interaction_response(kind, stored)
    assert response is None or (isinstance(response, str) and response.strip())
    for statement in quiz(answers=(xapi.Answer("q", kind, fraction, points, stored),)):
        assert empty_values(statement.body) == []
        score = statement.body["result"]["score"]
        assert 0 <= score["scaled"] <= 1
        assert "max" not in score or score["min"] <= score["raw"] <= score["max"]
