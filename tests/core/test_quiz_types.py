"""The eight question types, pure: reading answers, grading with exact fractions, no key before answering."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course.core.quiz import (
    AnswerError,
    Question,
    Quiz,
    grade_answer,
    grade_attempt,
    make_layout,
    parse_quiz,
    pick,
    question_type,
    type_names,
)
from course.core.quiz.attempt import trainer_fraction
from course.core.quiz.model import Grade
from course.core.quiz.numbers import format_number, parse_number
from course.core.quiz.types.multiple import multiple_fraction

LANGS = ("de", "en")
QUIZ_DIR = Path(__file__).resolve().parents[2] / "quizzes"
PUBLIC_KEYS = {"id", "text", "prompts", "choices", "items", "options", "unit", "parts", "blanks", "max_chars"}
SHUFFLED_TYPES = ("single", "multiple", "matching", "ordering")


def both(de: str, en: str | None = None) -> dict[str, str]:
    return {"de": de, "en": en if en is not None else de}


def make_question(kind: str, **fields: object) -> Question:
    """One question through the real loader; JSON is valid YAML, so the test needs no YAML writer."""
    data = {
        "id": "probe",
        "title": both("Probe", "Probe"),
        "questions": [
            {
                "id": "q",
                "type": kind,
                "lesson": "some-lesson",
                "text": both("Frage?", "Question?"),
                "explanation": both("Weil es so ist.", "Because it is so."),
                **fields,
            }
        ],
    }
    quiz, problems = parse_quiz("quizzes/demo/probe.yml", json.dumps(data, ensure_ascii=False), "demo", LANGS)
    assert problems == []
    assert quiz is not None
    return quiz.questions[0]


def choice(choice_id: str, text: str, **extra: object) -> dict[str, object]:
    return {"id": choice_id, "text": both(text), **extra}


SINGLE = make_question(
    "single",
    options=[
        choice("retention", "The customer staying", correct=True, feedback=both("Genau.", "Exactly.")),
        choice("revenue", "The year's revenue", feedback=both("Provision.", "That would be a commission.")),
        choice("visits", "Twenty visits"),
    ],
)
MULTIPLE = make_question(
    "multiple",
    options=[
        choice("a", "Renewed contract", correct=True),
        choice("b", "Complaints closed", correct=True, feedback=both("Ja.", "Yes.")),
        choice("c", "Twenty visits", feedback=both("Aktivität.", "An activity.")),
        choice("d", "Share price"),
        choice("e", "Weather"),
    ],
)
TRUEFALSE = make_question(
    "truefalse",
    answer=False,
    feedback_true=both("Nein, ohne Kunde kein Bonus.", "No: no customer, no bonus."),
    feedback_false=both("Richtig.", "Right."),
)
MATCHING = make_question(
    "matching",
    prompts=[
        choice("who", "Who?", match="contact"),
        choice("what", "What?", match="goal"),
        choice("how", "How?", match="review"),
        choice("where", "Where?", match="sponsor"),
    ],
    choices=[
        choice("contact", "Contact at the customer"),
        choice("goal", "Renew the contract"),
        choice("review", "Quarterly reviews"),
        choice("sponsor", "A board sponsor"),
        choice("visits", "Twenty visits"),
    ],
)
ORDERING = make_question("ordering", items=[choice(item, f"Step {item}") for item in "abcde"])
NUMERIC = make_question("numeric", answer=6000, tolerance=50, feedback_wrong=both("Daneben.", "Not quite."))
NUMERIC_PARTIAL = make_question(
    "numeric",
    answers=[
        {"value": 100000, "percent": 100},
        {"value": 15000, "percent": 50, "feedback": both("Nur der Bonus.", "Only the bonus.")},
        {"min": 90000, "max": 110000, "percent": 25, "feedback": both("Knapp.", "Close.")},
    ],
    unit=both("€"),
    feedback_wrong=both("Daneben.", "Not quite."),
)
SHORTTEXT = make_question(
    "shorttext",
    accept={"de": ["Kundenbindung"], "en": ["customer retention", "retention"]},
    patterns={"en": ["keep(ing)? the customer"]},
    feedback_wrong=both("Gesucht ist „Kundenbindung“.", "The word is “retention”."),
)
BLANKS = make_question(
    "blanks",
    text={
        "de": "Der Bonus wird nur gezahlt, wenn der Kunde {{gate}}. Er belohnt die {{what}}.",
        "en": "It rewards {{what}}: the bonus is paid only if the customer {{gate}}.",  # another order than German
    },
    blanks=[
        {
            "id": "gate",
            "options": [
                choice("stays", "noch kauft", correct=True),
                choice("grows", "mehr kauft", percent=25, feedback=both("Fast.", "Growth is not the condition.")),
                choice("visited", "besucht wurde"),
            ],
        },
        {
            "id": "what",
            "accept": {"de": ["Kundenbindung"], "en": ["retention"]},
            "feedback_wrong": both("Kundenbindung.", "Retention."),
        },
    ],
)
ESSAY = make_question(
    "essay", max_chars=300, rubric=both("Nennt die Bindung.", "Names retention as what the bonus rewards.")
)
SAMPLES = {
    "blanks": BLANKS,
    "essay": ESSAY,
    "single": SINGLE,
    "multiple": MULTIPLE,
    "truefalse": TRUEFALSE,
    "matching": MATCHING,
    "ordering": ORDERING,
    "numeric": NUMERIC,
    "shorttext": SHORTTEXT,
}


def grade(question: Question, response: object) -> Grade:
    return question_type(question.type).grade(question.spec, response)


def reversed_order(question: Question) -> tuple[str, ...]:
    """A layout that differs from the author's order, so tokens and ids never coincide by accident."""
    return tuple(reversed(question_type(question.type).shuffled(question.spec)))


def read(question: Question, value: object, lang: str = "en", order: tuple[str, ...] | None = None) -> object:
    order = reversed_order(question) if order is None else order
    return question_type(question.type).read(question.spec, order, value, lang)


def feedback(result: Grade, lang: str = "en") -> list[str]:
    return [pick(text, lang) for text in result.feedback]


def test_every_builtin_type_has_a_sample_here() -> None:
    assert set(type_names()) == set(SAMPLES)


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_unanswered_question_scores_zero_without_feedback(kind: str) -> None:
    assert grade(SAMPLES[kind], None) == Grade(0.0)


@pytest.mark.parametrize("blank", [None, "", "   ", [], {}], ids=["none", "empty", "spaces", "list", "dict"])
@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_blank_submission_reads_as_unanswered(kind: str, blank: object) -> None:
    assert read(SAMPLES[kind], blank) is None


# --- single ---------------------------------------------------------------------------------------------------


def test_single_right_option_scores_fully_with_its_feedback() -> None:
    result = grade(SINGLE, "retention")
    assert result.fraction == 1.0
    assert result.verdict == "right"
    assert feedback(result) == ["Exactly."]


def test_single_wrong_option_scores_zero_with_its_feedback() -> None:
    result = grade(SINGLE, "revenue")
    assert result.fraction == 0.0
    assert result.verdict == "wrong"
    assert feedback(result, "de") == ["Provision."]


def test_single_wrong_option_without_feedback_gives_none() -> None:
    assert grade(SINGLE, "visits") == Grade(0.0)


@pytest.mark.parametrize("value", ["0", 0, " 0 ", ["0"]], ids=["text", "int", "spaces", "list-of-one"])
def test_single_token_is_the_position_in_this_attempts_order(value: object) -> None:
    assert read(SINGLE, value, order=("visits", "retention", "revenue")) == "visits"


# --- multiple -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ticked", "fraction"),
    [
        (["a", "b"], 1),
        (["a"], 1 / 2),
        (["a", "b", "c"], 1 - 1 / 3),
        (["a", "c"], 1 / 2 - 1 / 3),
        (["a", "b", "c", "d"], 1 - 2 / 3),
        (["a", "c", "d"], 0),  # 1/2 − 2/3 is below zero
        (["a", "b", "c", "d", "e"], 0),
        (["c", "d"], 0),
        ([], 0),
    ],
    ids=[
        "all-right",
        "half",
        "both-and-one-wrong",
        "one-and-one-wrong",
        "two-wrong",
        "clamped",
        "all",
        "only-wrong",
        "none",
    ],
)
def test_multiple_earns_right_shares_and_loses_wrong_shares(ticked: list[str], fraction: float) -> None:
    assert grade(MULTIPLE, ticked).fraction == pytest.approx(fraction, abs=1e-12)


def test_multiple_gives_the_feedback_of_every_ticked_option() -> None:
    assert feedback(grade(MULTIPLE, ["b", "c", "d"])) == ["Yes.", "An activity."]


def test_multiple_reads_tokens_into_sorted_ids() -> None:
    assert read(MULTIPLE, ["0", "4", "2"]) == ["a", "c", "e"]  # the reversed layout shows e, d, c, b, a
    assert read(MULTIPLE, "1") == ["d"]


@given(
    correct=st.integers(1, 12),
    wrong=st.integers(0, 12),
    data=st.data(),
)
@settings(max_examples=60)
def test_multiple_fraction_follows_the_penalty_rule(correct: int, wrong: int, data: st.DataObject) -> None:
    right_ticks = data.draw(st.integers(0, correct))
    wrong_ticks = data.draw(st.integers(0, wrong))
    expected = max(0.0, right_ticks / correct - (wrong_ticks / wrong if wrong else 0.0))
    assert multiple_fraction(correct, wrong, right_ticks, wrong_ticks) == pytest.approx(expected, abs=1e-12)


@given(st.integers(-5, 50), st.integers(-5, 50), st.integers(-5, 50), st.integers(-5, 50))
@settings(max_examples=60)
def test_multiple_fraction_is_clamped_to_zero_and_one(correct: int, wrong: int, right: int, wrong_ticks: int) -> None:
    assert 0.0 <= multiple_fraction(correct, wrong, right, wrong_ticks) <= 1.0


# --- truefalse ------------------------------------------------------------------------------------------------


def test_truefalse_right_answer_scores_fully_with_that_answers_feedback() -> None:
    result = grade(TRUEFALSE, False)
    assert result.fraction == 1.0
    assert feedback(result) == ["Right."]


def test_truefalse_wrong_answer_scores_zero_with_that_answers_feedback() -> None:
    result = grade(TRUEFALSE, True)
    assert result.fraction == 0.0
    assert feedback(result, "de") == ["Nein, ohne Kunde kein Bonus."]


@pytest.mark.parametrize(
    ("value", "answer"), [(True, True), (False, False), ("true", True), (" False ", False), (["true"], True)]
)
def test_truefalse_reads_booleans_and_words(value: object, answer: bool) -> None:
    assert read(TRUEFALSE, value) is answer


# --- matching -------------------------------------------------------------------------------------------------

MATCHING_KEY = {"who": "contact", "what": "goal", "how": "review", "where": "sponsor"}


@pytest.mark.parametrize(
    ("response", "fraction"),
    [
        (MATCHING_KEY, 1.0),
        ({**MATCHING_KEY, "where": "visits"}, 0.75),
        ({"who": "contact", "what": "goal", "how": "review"}, 0.75),  # an unanswered prompt counts as wrong
        ({"who": "contact", "what": "goal", "how": "goal", "where": "review"}, 0.5),
        ({"who": "goal", "what": "contact"}, 0.0),
        (dict.fromkeys(MATCHING_KEY, "contact"), 0.25),
    ],
    ids=["all", "three-with-distractor", "three-one-unanswered", "two", "none", "same-choice-everywhere"],
)
def test_matching_scores_right_prompts_over_all_prompts(response: dict[str, str], fraction: float) -> None:
    assert grade(MATCHING, response).fraction == fraction


def test_matching_reads_prompt_positions_and_shown_choice_tokens() -> None:
    # prompts keep the author's order; choices are shown reversed: visits, sponsor, review, goal, contact
    assert read(MATCHING, {"0": "4", "3": 1, "1": ""}) == {"who": "contact", "where": "sponsor"}


def test_matching_with_every_prompt_blank_reads_as_unanswered() -> None:
    assert read(MATCHING, {"0": "", "1": None}) is None


# --- ordering -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "fraction"),
    [
        ("abcde", 1.0),
        ("abdce", 9 / 10),
        ("bacde", 9 / 10),
        ("edcba", 0.0),
        ("eabcd", 6 / 10),
        ("badce", 8 / 10),
    ],
    ids=["right", "adjacent-swap", "first-two-swapped", "reversed", "last-to-front", "two-swaps"],
)
def test_ordering_scores_pairs_in_the_right_relative_order(given: str, fraction: float) -> None:
    assert grade(ORDERING, list(given)).fraction == pytest.approx(fraction, abs=1e-12)


def test_ordering_reads_tokens_of_the_shown_order_into_item_ids() -> None:
    assert read(ORDERING, ["4", "3", "2", "1", "0"]) == ["a", "b", "c", "d", "e"]


# --- numeric --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "fraction"),
    [("6000", 1.0), ("5950", 1.0), ("6050", 1.0), ("5949.99", 0.0), ("6050.01", 0.0), ("-6000", 0.0)],
    ids=["exact", "low-edge", "high-edge", "below", "above", "negative"],
)
def test_numeric_tolerance_edges_are_inclusive(typed: str, fraction: float) -> None:
    assert grade(NUMERIC, read(NUMERIC, typed)).fraction == fraction


@pytest.mark.parametrize(
    ("typed", "fraction", "said"),
    [
        ("100000", 1.0, []),  # inside the 25 % range too: the best answer counts
        ("15000", 0.5, ["Only the bonus."]),
        ("90000", 0.25, ["Close."]),
        ("110000", 0.25, ["Close."]),
        ("110000.01", 0.0, ["Not quite."]),
        ("89999.99", 0.0, ["Not quite."]),
    ],
)
def test_numeric_partial_credit_is_the_best_matching_percent(typed: str, fraction: float, said: list[str]) -> None:
    result = grade(NUMERIC_PARTIAL, read(NUMERIC_PARTIAL, typed))
    assert result.fraction == fraction
    assert feedback(result) == said


def test_numeric_wrong_answer_gives_feedback_wrong_and_right_one_does_not() -> None:
    assert feedback(grade(NUMERIC, read(NUMERIC, "7000")), "de") == ["Daneben."]
    assert grade(NUMERIC, read(NUMERIC, "6000")).feedback == ()


@pytest.mark.parametrize(
    ("typed", "lang", "number"),
    [
        ("6.000,50", "de", 6000.5),
        ("6000,5", "de", 6000.5),
        ("6,000.50", "en", 6000.5),
        ("6000.5", "en", 6000.5),
        ("6.000 €", "de", 6000.0),
        ("€6,000", "en", 6000.0),
        ("6,000", "de", 6.0),
        (6000, "en", 6000.0),
        (6000.5, "de", 6000.5),
        ([" 6000 "], "en", 6000.0),
        ("−12", "en", -12.0),
    ],
)
def test_numeric_reads_numbers_the_way_the_language_writes_them(typed: object, lang: str, number: float) -> None:
    assert read(NUMERIC, typed, lang)["value"] == number


# --- shorttext ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "lang", "fraction"),
    [
        ("Kundenbindung", "de", 1.0),
        ("  KUNDENBINDUNG.  ", "de", 1.0),
        ("customer    Retention!", "en", 1.0),
        ("„Kundenbindung“", "de", 1.0),
        ("(retention)", "en", 1.0),
        ("retention", "de", 1.0),  # another language's accepted answer counts
        ("Kundenbindung", "en", 1.0),
        ("keeping the customer", "en", 1.0),
        ("Keep the Customer", "de", 1.0),  # patterns ignore case and count in any language
        ("keeping the customer happy", "en", 0.0),  # a pattern must match the whole answer
        ("we keep the customer", "en", 0.0),
        ("customer-retention", "en", 0.0),  # only surrounding punctuation is ignored
        ("Umsatz", "de", 0.0),
    ],
)
def test_shorttext_matches_accepted_answers_and_patterns(typed: str, lang: str, fraction: float) -> None:
    assert grade(SHORTTEXT, read(SHORTTEXT, typed, lang)).fraction == fraction


def test_shorttext_wrong_answer_gives_feedback_wrong_and_right_one_does_not() -> None:
    assert feedback(grade(SHORTTEXT, "Umsatz")) == ["The word is “retention”."]
    assert grade(SHORTTEXT, "retention").feedback == ()


def test_shorttext_stores_the_answer_with_spaces_collapsed() -> None:
    assert read(SHORTTEXT, "  customer \t retention ") == "customer retention"


def test_shorttext_pattern_with_sharp_s_matches_the_text_it_names() -> None:
    question = make_question(
        "shorttext", accept={"de": ["Vertrieb"], "en": ["sales"]}, patterns={"de": ["Außendienst"]}
    )
    assert grade(question, "Außendienst").fraction == 1.0


# --- reading errors and round trips ---------------------------------------------------------------------------

NOT_SHOWN = "That choice is not one of the options shown."
NOT_A_NUMBER = "That is not a number."


@pytest.mark.parametrize(
    ("kind", "value", "message", "params"),
    [
        ("single", "3", NOT_SHOWN, {}),
        ("single", "-1", NOT_SHOWN, {}),
        ("single", "retention", NOT_SHOWN, {}),
        ("single", True, NOT_SHOWN, {}),
        ("single", 0.0, NOT_SHOWN, {}),
        ("single", ["0", "1"], "Pick one option only.", {}),
        ("multiple", ["0", "0"], "An option was ticked twice.", {}),
        ("multiple", ["1", 1], "An option was ticked twice.", {}),
        ("multiple", ["0", "5"], NOT_SHOWN, {}),
        ("multiple", [False], NOT_SHOWN, {}),
        ("truefalse", "yes", "Answer true or false.", {}),
        ("truefalse", 1, "Answer true or false.", {}),
        ("truefalse", ["true", "false"], "Answer true or false.", {}),
        ("matching", ["0"], "Choose a match for each prompt.", {}),
        ("matching", {"4": "0"}, NOT_SHOWN, {}),
        ("matching", {"0": "5"}, NOT_SHOWN, {}),
        ("matching", {"0": True}, NOT_SHOWN, {}),
        ("matching", {True: "0"}, NOT_SHOWN, {}),
        ("ordering", "0", "Give every item a position.", {}),
        ("ordering", ["0", "1", "2", "3"], "Give every item a different position.", {}),
        ("ordering", ["0", "0", "1", "2", "3"], "Give every item a different position.", {}),
        ("ordering", ["0", "1", "2", "3", "5"], NOT_SHOWN, {}),
        ("ordering", ["0", "1", "2", "3", True], NOT_SHOWN, {}),
        ("numeric", "abc", NOT_A_NUMBER, {}),
        ("numeric", "1,2,3", NOT_A_NUMBER, {}),
        ("numeric", "12-3", NOT_A_NUMBER, {}),
        ("numeric", True, NOT_A_NUMBER, {}),
        ("numeric", float("nan"), NOT_A_NUMBER, {}),
        ("numeric", float("inf"), NOT_A_NUMBER, {}),
        ("numeric", ["1", "2"], NOT_A_NUMBER, {}),
        ("numeric", "1" * 41, "A number has at most %(limit)d characters.", {"limit": 40}),
        ("shorttext", "x" * 201, "Keep the answer to %(limit)d characters.", {"limit": 200}),
        ("shorttext", 42, "Type your answer as text.", {}),
        ("shorttext", ["a", "b"], "Type your answer as text.", {}),
        ("essay", 42, "Write your answer as text.", {}),
        (
            "essay",
            "x" * 301,
            "Keep the answer to %(limit)d characters (it has %(count)d).",
            {"limit": 300, "count": 301},
        ),
        ("blanks", ["0"], "Fill in the blanks.", {}),
        ("blanks", "retention", "Fill in the blanks.", {}),
        ("blanks", {"2": "x"}, "That blank is not part of the question.", {}),
        ("blanks", {"gate": "0"}, "That blank is not part of the question.", {}),
        ("blanks", {True: "0"}, "That blank is not part of the question.", {}),
        ("blanks", {"0": "3"}, NOT_SHOWN, {}),
        ("blanks", {"0": ["0", "1"]}, "Pick one option only.", {}),
        ("blanks", {"1": "x" * 201}, "Keep the answer to %(limit)d characters.", {"limit": 200}),
    ],
)
def test_unreadable_answer_is_refused_with_the_reason(kind: str, value: object, message: str, params: dict) -> None:
    with pytest.raises(AnswerError) as refused:
        read(SAMPLES[kind], value)
    assert refused.value.message == message
    assert refused.value.params == params


def test_unicode_digit_that_is_no_number_is_refused_as_not_shown() -> None:
    with pytest.raises(AnswerError):
        read(SINGLE, "²")


def test_numeric_integer_too_large_for_a_float_is_refused_as_not_a_number() -> None:
    with pytest.raises(AnswerError):
        read(NUMERIC, 10**400)


@pytest.mark.parametrize(
    ("kind", "value", "lang"),
    [
        ("single", "0", "en"),
        ("single", "2", "de"),
        ("multiple", ["0"], "en"),
        ("multiple", ["0", "2", "4"], "en"),
        ("truefalse", True, "en"),
        ("truefalse", False, "de"),
        ("matching", {"0": "4", "1": "0", "3": "2"}, "en"),
        ("matching", {"2": "2"}, "de"),
        ("ordering", ["4", "3", "2", "1", "0"], "en"),
        ("ordering", ["1", "0", "2", "3", "4"], "de"),
        ("numeric", "6.000,5", "de"),
        ("numeric", "6,000.50", "en"),
        ("numeric", "-3", "en"),
        ("shorttext", "customer retention", "en"),
        ("shorttext", "Kundenbindung", "de"),
        ("essay", "Retention.\nThe mandate decides.", "en"),
        ("blanks", {"0": "2", "1": "retention"}, "en"),
        ("blanks", {"1": "Kundenbindung"}, "de"),
    ],
)
def test_saved_answer_is_shown_again_as_submitted(kind: str, value: object, lang: str) -> None:
    question = SAMPLES[kind]
    order = reversed_order(question)
    kind_ = question_type(kind)
    assert kind_.value(question.spec, order, kind_.read(question.spec, order, value, lang)) == value


# --- public view of the bundled quizzes -----------------------------------------------------------------------


def bundled_quizzes() -> list[Quiz]:
    quizzes = []
    for path in sorted((QUIZ_DIR / "kam-pay").glob("*.yml")):
        quiz, problems = parse_quiz(f"quizzes/kam-pay/{path.name}", path.read_text(encoding="utf-8"), "kam-pay", LANGS)
        assert problems == []
        assert quiz is not None
        quizzes.append(dataclasses.replace(quiz, draw=None))  # every question gets a slot
    return quizzes


BUNDLED = bundled_quizzes()
BUNDLED_QUESTIONS = [(quiz, question) for quiz in BUNDLED for question in quiz.questions]


def all_keys(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in all_keys(item)}
    if isinstance(value, list):
        return {key for item in value for key in all_keys(item)}
    return set()


def test_bundled_quizzes_use_every_question_type() -> None:
    assert {question.type for _, question in BUNDLED_QUESTIONS} == set(SAMPLES)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    ("quiz", "question"), BUNDLED_QUESTIONS, ids=[f"{quiz.id}:{question.id}" for quiz, question in BUNDLED_QUESTIONS]
)
def test_public_question_gives_nothing_of_the_key_away(quiz: Quiz, question: Question, lang: str, seed: int) -> None:
    kind = question_type(question.type)
    slot = next(slot for slot in make_layout(quiz, seed) if slot.question_id == question.id)
    typed = kind.public(question.spec, slot.order, lang)
    public = {"id": question.id, "text": pick(question.text, lang), **typed}
    assert all_keys(public) <= PUBLIC_KEYS
    # The author's own id and text may name a number or word of the key on purpose; what the type adds may not.
    added = {key: value for key, value in typed.items() if key != "parts"}  # parts: the author's text, cut
    assert not leaked(kind.secrets(question.spec, lang), added)
    assert not leaked([pick(question.explanation, lang)], public)
    for listed in ("options", "choices", "items"):
        if listed in typed:  # tokens are display positions, never the key's ids
            assert [entry["id"] for entry in typed[listed]] == [str(i) for i in range(len(typed[listed]))]


def leaked(secrets: Iterable[str], public: dict) -> list[str]:
    shown = json.dumps(public, ensure_ascii=False)
    return [s for s in secrets if s in shown or json.dumps(s, ensure_ascii=False)[1:-1] in shown]


def test_leak_check_finds_a_secret_in_the_public_view() -> None:
    assert leaked(["Exactly.", 'say "yes"', "absent"], {"options": [{"id": "0", "text": 'Exactly. Or say "yes"'}]}) == [
        "Exactly.",
        'say "yes"',
    ]


# --- properties -----------------------------------------------------------------------------------------------


def responses(question: Question) -> st.SearchStrategy[object]:
    """Any response the type's `read` could store for this question, in the key's own ids."""
    spec = question.spec
    if question.type == "single":
        stored = st.sampled_from([option.id for option in spec.options])
    elif question.type == "multiple":
        stored = st.lists(st.sampled_from([option.id for option in spec.options]), min_size=1, unique=True).map(sorted)
    elif question.type == "truefalse":
        stored = st.booleans()
    elif question.type == "matching":
        stored = st.dictionaries(
            st.sampled_from([prompt.id for prompt in spec.prompts]),
            st.sampled_from([item.id for item in spec.choices]),
            min_size=1,
        )
    elif question.type == "ordering":
        stored = st.permutations([item.id for item in spec.items]).map(list)
    elif question.type == "numeric":
        stored = st.floats(allow_nan=False, allow_infinity=False).map(lambda x: {"text": repr(x), "value": x})
    elif question.type == "essay":
        stored = st.text(min_size=1, max_size=300)
    elif question.type == "blanks":
        stored = st.fixed_dictionaries(
            {},
            optional={
                blank.id: st.sampled_from([option.id for option in blank.spec.options])
                if hasattr(blank.spec, "options")
                else st.text(max_size=200).map(lambda text: " ".join(text.split()) or "x")
                for blank in spec.blanks
            },
        )
    else:
        stored = st.text(max_size=200).map(lambda text: " ".join(text.split()) or None)
    return st.none() | stored


ALL_QUESTIONS = [*SAMPLES.values(), NUMERIC_PARTIAL, *(question for _, question in BUNDLED_QUESTIONS)]


@given(st.sampled_from(ALL_QUESTIONS).flatmap(lambda q: st.tuples(st.just(q), responses(q))))
@settings(max_examples=300)
def test_score_is_always_between_zero_and_one(case: tuple[Question, object]) -> None:
    question, response = case
    assert 0.0 <= grade(question, response).fraction <= 1.0
    assert 0.0 <= grade_answer(question, response).fraction <= 1.0


SHUFFLED_QUESTIONS = [question for question in ALL_QUESTIONS if question.type in SHUFFLED_TYPES]


@given(st.data())
@settings(max_examples=150)
def test_display_order_never_changes_the_grade_of_a_stored_response(data: st.DataObject) -> None:
    question = data.draw(st.sampled_from(SHUFFLED_QUESTIONS))
    response = data.draw(responses(question).filter(lambda r: r is not None))
    kind = question_type(question.type)
    expected = kind.grade(question.spec, response)
    for _ in range(2):
        order = tuple(data.draw(st.permutations(kind.shuffled(question.spec))))
        shown = kind.value(question.spec, order, response)
        back = kind.read(question.spec, order, shown, "en")
        assert back == response
        assert kind.grade(question.spec, back) == expected


@pytest.mark.parametrize("kind", ["truefalse", "numeric", "shorttext"])
def test_types_without_choices_have_nothing_to_shuffle(kind: str) -> None:
    assert question_type(kind).shuffled(SAMPLES[kind].spec) == ()


@given(
    st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from(LANGS),
)
@settings(max_examples=200)
def test_formatted_number_reads_back_as_the_same_number(amount: object, lang: str) -> None:
    number = float(amount)
    assert parse_number(format_number(number, lang), lang) == number


@pytest.mark.parametrize(
    ("number", "lang", "text"),
    [(6000, "de", "6.000"), (6000, "en", "6,000"), (6000.5, "de", "6.000,5"), (-1234.25, "en", "-1,234.25")],
)
def test_numbers_are_shown_in_the_languages_style(number: float, lang: str, text: str) -> None:
    assert format_number(number, lang) == text


def test_number_with_euro_spelled_out_is_read() -> None:
    assert parse_number("6.000 Euro", "de") == 6000.0


# --- blanks -----------------------------------------------------------------------------------------------------


def blank_tokens(question: Question) -> dict[str, str]:
    """The select blank's option ids → tokens in the reversed layout the tests read with."""
    order = [item.split(".", 1)[1] for item in reversed_order(question)]
    return {option_id: str(position) for position, option_id in enumerate(order)}


@pytest.mark.parametrize(
    ("gate", "what", "fraction"),
    [
        ("stays", "retention", 1.0),
        ("stays", "Kundenbindung", 1.0),  # an accepted answer counts in any course language
        ("grows", "retention", (0.25 + 1) / 2),  # a partly right option in a blank
        ("visited", "retention", 0.5),
        ("visited", "revenue", 0.0),
        (None, "retention", 0.5),  # an empty blank scores 0, the others still count
    ],
)
def test_blanks_earn_the_average_of_their_blanks(gate: str | None, what: str, fraction: float) -> None:
    value = {"1": what} | ({"0": blank_tokens(BLANKS)[gate]} if gate else {})
    assert grade(BLANKS, read(BLANKS, value)).fraction == pytest.approx(fraction)


def test_blanks_feedback_comes_from_each_blank() -> None:
    result = grade(BLANKS, read(BLANKS, {"0": blank_tokens(BLANKS)["grows"], "1": "revenue"}))
    assert feedback(result) == ["Growth is not the condition.", "Retention."]


def test_blanks_public_view_cuts_the_text_in_the_languages_order_and_hides_the_key() -> None:
    kind = question_type("blanks")
    order = reversed_order(BLANKS)
    english = kind.public(BLANKS.spec, order, "en")
    assert english["parts"] == ["It rewards ", ": the bonus is paid only if the customer ", "."]
    assert [blank["id"] for blank in english["blanks"]] == ["1", "0"]  # "what" comes first in English
    assert [option["text"] for option in english["blanks"][1]["options"]] == [
        "besucht wurde",
        "mehr kauft",
        "noch kauft",
    ]
    german = kind.public(BLANKS.spec, order, "de")
    assert [blank["id"] for blank in german["blanks"]] == ["0", "1"]
    assert "retention" not in json.dumps(english) and "Kundenbindung" not in json.dumps(german)


def test_blanks_show_numbered_gaps_where_the_text_is_shown_without_fields() -> None:
    assert BLANKS.text["en"] == (
        'It rewards <span class="blank-gap">(1)</span>: the bonus is paid only if the customer '
        '<span class="blank-gap">(2)</span>.'
    )


def test_blanks_review_lists_each_blank_in_the_texts_order() -> None:
    kind = question_type("blanks")
    response = read(BLANKS, {"0": blank_tokens(BLANKS)["grows"], "1": "revenue"})
    rows = kind.review(BLANKS.spec, reversed_order(BLANKS), response, "en")["blanks"]
    assert rows == [
        {
            "number": 1,
            "kind": "text",
            "given": "revenue",
            "correct": ["retention"],
            "verdict": "wrong",
            "percent": None,
        },
        {
            "number": 2,
            "kind": "select",
            "given": "mehr kauft",
            "correct": ["noch kauft"],
            "verdict": "partial",
            "percent": 25,
        },
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"text": both("No marker here.")}, "text (de): {{gate}} is missing"),
        ({"text": both("{{gate}} and {{gate}}")}, "{{gate}} appears more than once"),
        ({"text": both("{{gate}} and {{other}}")}, "{{other}} names no blank"),
        ({"text": both("[link {{gate}}](https://example.org/{{gate}})")}, "{{gate}} appears more than once"),
        ({"text": both("[x](https://example.org/{{gate}})")}, "a marker is inside a link or other markup"),
        (
            {
                "blanks": [
                    {"id": "gate", "options": [choice("a", "A", correct=True), choice("b", "B")], "accept": both("x")}
                ]
            },
            "blank 'gate' needs either options (a select) or accept/answers (a text field), not both",
        ),
        ({"blanks": [{"id": "gate"}]}, "blank 'gate' needs either options (a select) or accept/answers"),
        (
            {"blanks": [{"id": "gate", "options": [choice("a", "A"), choice("b", "B")]}]},
            "a single-choice question needs an option with correct: true",
        ),
        ({"blanks": [{"id": "Gate", "accept": {"de": ["x"], "en": ["x"]}}]}, "blank id must be lowercase letters"),
        ({"blanks": []}, "blanks must be a list of at least 1 blanks"),
    ],
)
def test_a_broken_blanks_question_is_refused_with_the_reason(fields: dict, message: str) -> None:
    data = {
        "id": "probe",
        "title": both("Probe"),
        "questions": [
            {
                "id": "q",
                "type": "blanks",
                "lesson": "some-lesson",
                "text": both("The customer {{gate}}."),
                "explanation": both("Weil."),
                "blanks": [{"id": "gate", "accept": {"de": ["x"], "en": ["x"]}}],
                **fields,
            }
        ],
    }
    quiz, problems = parse_quiz("quizzes/demo/probe.yml", json.dumps(data), "demo", LANGS)
    assert quiz is None
    assert any(message in problem.message for problem in problems), problems


# --- essay --------------------------------------------------------------------------------------------------------


def test_an_essay_is_kept_as_plain_text_with_its_line_breaks_and_without_control_characters() -> None:
    assert read(ESSAY, "  First line.\r\nSecond\x00 line. <b>bold</b>  ") == "First line.\nSecond line. <b>bold</b>"
    assert grade(ESSAY, "Anything.") == Grade(0.0)  # only a trainer grades it
    assert question_type("essay").public(ESSAY.spec, (), "en") == {"max_chars": 300}
    assert list(question_type("essay").secrets(ESSAY.spec, "en")) == ["Names retention as what the bonus rewards."]


def test_an_attempt_with_an_answered_essay_waits_for_the_trainers_mark() -> None:
    quiz = Quiz(
        "q",
        "demo",
        "quizzes/demo/q.yml",
        {"en": "Q"},
        {},
        50,
        None,
        0,
        False,
        None,
        (SINGLE, dataclasses.replace(ESSAY, id="e", points=2)),
    )
    layout = make_layout(quiz, 1)
    responses = {"q": "retention", "e": "Because retention."}
    waiting = grade_attempt(quiz, layout, responses)
    assert waiting.pending == ("e",) and waiting.score == 1.0
    done = grade_attempt(quiz, layout, responses, {"e": 1.5})
    assert done.pending == () and done.score == 2.5 and done.percent == 83.33
    unanswered = grade_attempt(quiz, layout, {"q": "retention"})
    assert unanswered.pending == ()  # nothing to grade: an empty essay scores 0 like any unanswered question


@pytest.mark.parametrize("mark", [-0.5, 2.5, float("nan"), float("inf"), True, "1"])
def test_a_trainers_mark_outside_the_questions_points_is_refused(mark: object) -> None:
    with pytest.raises(ValueError, match="a mark must"):
        trainer_fraction(mark, 2)  # type: ignore[arg-type]
