"""Partial credit where Moodle gives it: single-choice options worth part of the points, weighted multiple choice,
short-text answers with their own credit and feedback; and the quiz file's checks for each."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from course.core.quiz import parse_quiz, question_type
from course.core.quiz.model import Question
from course.core.quiz.types.multiple import weighted_fraction
from tests.core.test_quiz_types import LANGS, both, choice, feedback, grade, make_question, read, responses


def problems(kind: str, **fields: object) -> list[str]:
    """The loader's messages for one question of `kind` with these fields."""
    data = {
        "id": "probe",
        "title": both("Probe"),
        "questions": [
            {
                "id": "q",
                "type": kind,
                "lesson": "some-lesson",
                "text": both("Frage?"),
                "explanation": both("Weil."),
                **fields,
            }
        ],
    }
    quiz, found = parse_quiz("quizzes/demo/probe.yml", json.dumps(data), "demo", LANGS)
    assert quiz is None or not found
    return [problem.message for problem in found]


def review(question: Question, response: object, lang: str = "en") -> dict:
    kind = question_type(question.type)
    return kind.review(question.spec, kind.shuffled(question.spec), response, lang)


# --- single choice: a partly right option -------------------------------------------------------------------

SINGLE = make_question(
    "single",
    options=[
        choice("retention", "Renewal", correct=True),
        choice("satisfaction", "Satisfaction score", percent=50, feedback=both("Halb.", "Half way: it leads there.")),
        choice("revenue", "Revenue", percent=0),
        choice("visits", "Visits"),
    ],
)


@pytest.mark.parametrize(
    ("picked", "fraction", "verdict"),
    [
        ("retention", 1.0, "right"),
        ("satisfaction", 0.5, "partial"),
        ("revenue", 0.0, "wrong"),
        ("visits", 0.0, "wrong"),
    ],
)
def test_single_option_earns_its_own_credit(picked: str, fraction: float, verdict: str) -> None:
    result = grade(SINGLE, picked)
    assert (result.fraction, result.verdict) == (fraction, verdict)


def test_single_partly_right_option_gives_its_feedback_and_the_review_shows_its_credit() -> None:
    assert feedback(grade(SINGLE, "satisfaction")) == ["Half way: it leads there."]
    options = {option["text"]: option for option in review(SINGLE, "satisfaction")["options"]}
    assert options["Satisfaction score"]["percent"] == 50
    assert options["Satisfaction score"]["chosen"] and not options["Satisfaction score"]["correct"]
    assert options["Renewal"]["correct"] and options["Renewal"]["percent"] is None
    assert options["Revenue"]["percent"] is None  # 0 % is simply wrong


def test_single_without_percent_keeps_its_meaning() -> None:
    plain = make_question("single", options=[choice("a", "A", correct=True), choice("b", "B")])
    assert plain.spec.credit == ()
    assert [grade(plain, "a").fraction, grade(plain, "b").fraction] == [1.0, 0.0]
    assert all(option["percent"] is None for option in review(plain, "b")["options"])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            [choice("a", "A", correct=True, percent=100), choice("b", "B")],
            "option 'a' is the right one and earns 100 %: give percent only to partly right options",
        ),
        (
            [choice("a", "A", correct=True), choice("b", "B", percent=100)],
            "option 'b': percent must be from 0 to below 100 for a partly right option (got 100)",
        ),
        (
            [choice("a", "A", correct=True), choice("b", "B", percent=150)],
            "option 'b': percent must be from 0 to below 100 for a partly right option (got 150)",
        ),
        (
            [choice("a", "A", correct=True), choice("b", "B", percent=-50)],
            "option 'b': percent must be from 0 to below 100 for a partly right option (got -50)",
        ),
        ([choice("a", "A", correct=True), choice("b", "B", percent="half")], "percent must be a number (got 'half')"),
    ],
)
def test_single_bad_percent_is_refused_with_the_reason(options: list, message: str) -> None:
    assert any(message in found for found in problems("single", options=options)), problems("single", options=options)


# --- multiple choice: weights per option -----------------------------------------------------------------------

WEIGHTED = make_question(
    "multiple",
    options=[
        choice("renewal", "Renewal", percent=50),
        choice("complaints", "Complaints closed", percent=50),
        choice("visits", "Visits", percent=-100, feedback=both("Aktivität.", "An activity, not a result.")),
        choice("weather", "Weather", percent=0),
    ],
)


@pytest.mark.parametrize(
    ("ticked", "fraction"),
    [
        (["renewal"], 0.5),
        (["complaints", "renewal"], 1.0),
        (["complaints", "renewal", "weather"], 1.0),  # a 0 % option neither earns nor costs
        (["complaints", "renewal", "visits"], 0.0),  # −100 % takes everything back
        (["renewal", "visits"], 0.0),  # never below 0
        (["weather"], 0.0),
    ],
)
def test_weighted_multiple_adds_the_ticked_weights(ticked: list[str], fraction: float) -> None:
    assert grade(WEIGHTED, ticked).fraction == fraction


def test_weighted_multiple_differs_from_the_penalty_rule_where_the_author_wants() -> None:
    # Under the penalty rule one wrong tick of two wrong options costs half; here "visits" costs everything.
    penalty = make_question(
        "multiple",
        options=[
            choice("renewal", "Renewal", correct=True),
            choice("complaints", "Complaints closed", correct=True),
            choice("visits", "Visits"),
            choice("weather", "Weather"),
        ],
    )
    ticked = ["complaints", "renewal", "visits"]
    assert (grade(penalty, ticked).fraction, grade(WEIGHTED, ticked).fraction) == (0.5, 0.0)
    assert review(penalty, ticked)["scoring"] == "penalty"
    assert all(option["percent"] is None for option in review(penalty, ticked)["options"])


def test_weighted_review_names_the_rule_and_every_options_weight() -> None:
    shown = review(WEIGHTED, ["renewal", "visits"])
    assert shown["scoring"] == "weights"
    assert {option["text"]: option["percent"] for option in shown["options"]} == {
        "Renewal": 50,
        "Complaints closed": 50,
        "Visits": -100,
        "Weather": 0,
    }
    assert {option["text"] for option in shown["options"] if option["correct"]} == {"Renewal", "Complaints closed"}
    assert feedback(grade(WEIGHTED, ["renewal", "visits"])) == ["An activity, not a result."]


def test_weights_in_thirds_add_up_within_rounding() -> None:
    thirds = make_question(
        "multiple",
        options=[choice(name, name.upper(), percent=33.33333) for name in ("a", "b", "c")]
        + [choice("d", "D", percent=-50)],
    )
    assert grade(thirds, ["a", "b", "c"]).fraction == pytest.approx(1.0, abs=1e-6)
    assert grade(thirds, ["a", "b", "c"]).verdict == "right"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            [choice("a", "A", percent=50), choice("b", "B", percent=30), choice("c", "C", percent=-100)],
            "the positive weights add up to 80 %; they must add up to 100 %",
        ),
        (
            [choice("a", "A", percent=100), choice("b", "B", percent=60)],
            "the positive weights add up to 160 %; they must add up to 100 %",
        ),
        (
            [choice("a", "A", percent=100), choice("b", "B")],
            "option 'b' has no percent: with weights, every option needs one",
        ),
        (
            [choice("a", "A", percent=100), choice("b", "B", correct=True, percent=0)],
            "option 'b': give every option either a percent (weights) or correct: true (the penalty rule), not both",
        ),
        (
            [choice("a", "A", percent=100), choice("b", "B", percent=-150)],
            "option 'b': percent must be from -100 to 100 (got -150)",
        ),
        (
            [choice("a", "A", percent=-50), choice("b", "B", percent=0)],
            "the positive weights add up to 0 %",
        ),
    ],
)
def test_weighted_multiple_bad_weights_are_refused_with_the_reason(options: list, message: str) -> None:
    found = problems("multiple", options=options)
    assert any(message in text for text in found), found


@given(st.lists(st.floats(min_value=-1, max_value=1, allow_nan=False), max_size=8))
def test_weighted_fraction_is_the_clamped_sum(weights: list[float]) -> None:
    assert weighted_fraction(weights) == min(1.0, max(0.0, sum(weights)))


# --- short text: answers with their own credit and feedback ------------------------------------------------------

SHORT = make_question(
    "shorttext",
    answers=[
        {
            "accept": {"de": ["Kundenbindung"], "en": ["customer retention", "retention"]},
            "patterns": {"de": ["kunden-?bindung"]},
            "feedback": both("Genau.", "Exactly: the customer staying."),
        },
        {
            "accept": {"de": ["Kundenzufriedenheit"], "en": ["customer satisfaction"]},
            "percent": 50,
            "feedback": both("Fast.", "Close: satisfaction leads to retention."),
        },
        {"accept": {"de": ["Umsatz"], "en": ["revenue"]}, "percent": 0, "feedback": both("Nein.", "That is sales.")},
    ],
    feedback_wrong=both("Das Wort ist Kundenbindung.", "The word is retention."),
)


@pytest.mark.parametrize(
    ("typed", "fraction", "said"),
    [
        ("Retention", 1.0, ["Exactly: the customer staying."]),
        ("Kunden-Bindung", 1.0, ["Exactly: the customer staying."]),
        ("customer satisfaction", 0.5, ["Close: satisfaction leads to retention."]),
        ("Umsatz", 0.0, ["That is sales."]),  # a known wrong answer has its own feedback
        ("visits", 0.0, ["The word is retention."]),
    ],
)
def test_shorttext_answer_earns_its_credit_and_feedback(typed: str, fraction: float, said: list[str]) -> None:
    result = grade(SHORT, read(SHORT, typed))
    assert (result.fraction, feedback(result)) == (fraction, said)


def test_shorttext_best_matching_answer_counts() -> None:
    question = make_question(
        "shorttext",
        answers=[
            {"accept": {"de": ["Bindung"], "en": ["retention"]}, "percent": 40},
            {"accept": {"de": ["Kundenbindung"], "en": ["customer retention"]}, "patterns": {"en": [".*retention"]}},
        ],
    )
    assert grade(question, "retention").fraction == 1.0  # matched by both: the better one counts


def test_shorttext_review_shows_the_full_answers_and_the_credit_of_a_near_miss() -> None:
    assert review(SHORT, "customer satisfaction") == {
        "given": "customer satisfaction",
        "correct": ["customer retention", "retention"],
        "percent": 50,
    }
    assert review(SHORT, "retention", "de")["correct"] == ["Kundenbindung"]
    assert review(SHORT, "Umsatz")["percent"] is None


def test_shorttext_secrets_hold_every_answer_and_feedback() -> None:
    secrets = set(question_type("shorttext").secrets(SHORT.spec, "en"))
    assert {"revenue", "customer satisfaction", "That is sales.", "The word is retention."} <= {
        secret.removeprefix("<p>").removesuffix("</p>") for secret in secrets
    }


def test_shorttext_with_plain_accept_keeps_its_meaning() -> None:
    plain = make_question("shorttext", accept={"de": ["Bindung"], "en": ["retention"]})
    assert len(plain.spec.answers) == 1
    assert (grade(plain, "retention").fraction, grade(plain, "retention").feedback) == (1.0, ())


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"answers": [{"accept": {"de": ["x"], "en": ["x"]}, "percent": 50}]},
            "no answer gives full credit: give one of them percent: 100",
        ),
        (
            {"answers": [{"accept": {"de": ["x"], "en": ["x"]}, "percent": 120}]},
            "percent must be from 0 to 100 (got 120)",
        ),
        (
            {"answers": [{"accept": {"de": ["x"], "en": ["x"]}}], "accept": {"de": ["y"], "en": ["y"]}},
            "give accept inside each of answers, not beside them",
        ),
        ({"answers": [{"accept": {"de": ["x"]}}]}, "missing translation: accept has no 'en' answers"),
        (
            {"answers": [{"accept": {"de": ["x"], "en": ["x"]}, "credit": 5}]},
            "unknown field 'credit' in a short-text answer",
        ),
        (
            {"answers": [{"accept": {"de": ["x"], "en": ["x"]}, "patterns": {"en": ["(unclosed"]}}]},
            "is not a valid regular expression",
        ),
        ({"answers": []}, "answers must be a list of at least 1 answers"),
    ],
)
def test_shorttext_bad_answers_are_refused_with_the_reason(fields: dict, message: str) -> None:
    found = problems("shorttext", **fields)
    assert any(message in text for text in found), found


@given(st.sampled_from([SINGLE, WEIGHTED, SHORT]).flatmap(lambda q: st.tuples(st.just(q), responses(q))))
def test_partial_credit_stays_between_zero_and_one_and_the_verdict_agrees(case: tuple[Question, object]) -> None:
    question, response = case
    result = grade(question, response)
    assert 0.0 <= result.fraction <= 1.0
    assert result.verdict == (
        "right" if result.fraction >= 1 - 1e-9 else "partial" if result.fraction > 1e-9 else "wrong"
    )


def test_shorttext_answer_may_be_patterns_alone_but_plain_accept_may_not() -> None:
    question = make_question(
        "shorttext",
        answers=[
            {"accept": {"de": ["Farbe"], "en": ["colour"]}},
            {"patterns": {"en": ["colo.*r"]}, "percent": 50},
        ],
    )
    assert grade(question, "colonelr").fraction == 0.5
    assert problems("shorttext", patterns={"en": ["colo.*r"]}) == [
        "missing accept: give the accepted answers per language"
    ]


def test_single_with_several_right_options_accepts_any_one_of_them_as_moodle_does() -> None:
    question = make_question(
        "single", options=[choice("a", "2", correct=True), choice("b", "4", correct=True), choice("c", "3")]
    )
    assert [grade(question, option).fraction for option in ("a", "b", "c")] == [1.0, 1.0, 0.0]
    assert [option["correct"] for option in review(question, "a")["options"]] == [True, True, False]
    assert problems("single", options=[choice("a", "A"), choice("b", "B")]) == [
        "a single-choice question needs an option with correct: true"
    ]
