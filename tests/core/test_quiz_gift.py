"""Moodle GIFT import and export (course.core.quiz.gift): pure functions, no app."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course.core.quiz import parse_quiz
from course.core.quiz.gift import (
    Converted,
    GiftError,
    Note,
    Skipped,
    dump_yaml,
    escape,
    export_gift,
    import_gift,
    unescape,
)
from course.core.text.yamldoc import load_with_lines
from tests.paths import QUIZ_DIR

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "every-feature.gift"
LANGUAGES = ("de", "en")
LESSON = "kam-mandate"


def en(text: str) -> dict[str, str]:
    return {"en": text}


def read(text: str, lang: str = "en", **kwargs):
    quiz_id, title = kwargs.pop("quiz_id", "quiz"), kwargs.pop("title", "A quiz")
    return import_gift(text, lang, LANGUAGES, quiz_id, title, LESSON, **kwargs)


def question(text: str, lang: str = "en") -> dict:
    result = read(text, lang)
    assert len(result.data["questions"]) == 1, (result.skipped, result.notes)
    return result.data["questions"][0]


def body(item: dict) -> dict:
    """A question without the fields every question has."""
    return {key: value for key, value in item.items() if key not in ("id", "type", "lesson", "text", "explanation")}


def quiz_yaml(*questions: dict, languages: tuple[str, ...] = ("en",)) -> str:
    title = {lang: "A quiz" for lang in languages}
    return dump_yaml({"id": "quiz", "title": title, "questions": list(questions)})


# --------------------------------------------------------------------------------------------------
# The fixture with every feature

EXPECTED_QUESTIONS = [
    {
        "id": "bonus-purpose",
        "type": "single",
        "lesson": LESSON,
        "title": en("Ignored title"),
        "tags": ["bonus", "retention"],
        "text": en("What is a KAM's year-end bonus paid for?"),
        "explanation": en("It rewards the customer still doing business with us at year end: retention."),
        "options": [
            {"id": "a", "correct": True, "text": en("The customer staying"), "feedback": en("Exactly.")},
            {"id": "b", "text": en("The year's revenue"), "feedback": en("That would be a commission.")},
            {"id": "c", "text": en("The number of visits")},
        ],
    },
    {
        "id": "escapes",
        "type": "single",
        "lesson": LESSON,
        "title": en("Escapes"),
        "text": en("Specials: ~ = # { } \\ and a\nline break, **bold**."),
        "explanation": en("Two paragraphs.\n\nThe second one."),
        "options": [
            {"id": "a", "correct": True, "text": en("Right = correct"), "feedback": en("Feedback with a # hash")},
            {"id": "b", "text": en("Wrong {braces}")},
            {"id": "c", "text": en("Half right"), "percent": 25, "feedback": en("Partly.")},
        ],
    },
    {
        "id": "good-objectives",
        "type": "multiple",
        "lesson": LESSON,
        "title": en("Good objectives"),
        "text": en("Which objectives describe results?"),
        "explanation": en("Results, not activities."),
        "options": [
            {"id": "a", "correct": True, "text": en("Contract renewed"), "feedback": en("Yes.")},
            {"id": "b", "correct": True, "text": en("Complaints closed in ten days")},
            {"id": "c", "correct": True, "text": en("Met the new head of purchasing")},
            {"id": "d", "text": en("Twenty visits"), "feedback": en("An activity.")},
            {"id": "e", "text": en("Share price rose")},
        ],
    },
    {
        "id": "weighted",
        "type": "multiple",
        "lesson": LESSON,
        "title": en("Weighted"),
        "text": en("Which are direct rewards?"),
        "explanation": en("Recognition and praise are indirect."),
        "options": [
            {"id": "a", "text": en("Base salary"), "percent": 50},
            {"id": "b", "text": en("Bonus"), "percent": 50},
            {"id": "c", "text": en("Recognition"), "percent": -100},
            {"id": "d", "text": en("Praise"), "percent": 0},
        ],
    },
    {
        "id": "two-right",
        "type": "single",
        "lesson": LESSON,
        "title": en("Two right"),
        "text": en("Which numbers are even?"),
        "explanation": en("2 and 4."),
        "options": [
            {"id": "a", "correct": True, "text": en("2")},
            {"id": "b", "correct": True, "text": en("4")},
            {"id": "c", "text": en("3")},
        ],
    },
    {
        "id": "no-bonus",
        "type": "truefalse",
        "lesson": LESSON,
        "title": en("No bonus"),
        "text": en("If the customer has left, the KAM still gets part of the bonus."),
        "explanation": en("Retention is the gate."),
        "answer": False,
        "feedback_true": en("No: retention decides whether a bonus is paid."),
        "feedback_false": en("Right: no customer, no bonus."),
    },
    {
        "id": "q7",
        "type": "truefalse",
        "lesson": LESSON,
        "text": en("Accelerators apply above 100 % attainment."),
        "explanation": en("They reward over-achievement."),
        "answer": True,
    },
    {
        "id": "fourth-question",
        "type": "shorttext",
        "lesson": LESSON,
        "title": en("Fourth question"),
        "text": en("Where does the manager find ___ for his initiatives?"),
        "explanation": en("The fourth question is about support."),
        "answers": [
            {"accept": {"en": ["support", "backing"]}},
            {"accept": {"en": ["help"]}, "percent": 50, "feedback": en("Close.")},
        ],
        "feedback_wrong": en('The missing word is "support".'),
    },
    {
        "id": "total-pay",
        "type": "numeric",
        "lesson": LESSON,
        "title": en("Total pay"),
        "text": en("<p>Base 85,000 € plus 75 % of a 20,000 € target bonus. Total in €?</p>"),
        "explanation": en("85,000 + 15,000 = 100,000."),
        "answers": [
            {"value": 100000, "percent": 100, "feedback": en("Right.")},
            {"value": 15000, "percent": 50, "feedback": en("That is the bonus only.")},
            {"min": 99000, "max": 101000, "percent": 25, "feedback": en("Close.")},
        ],
        "feedback_wrong": en("Average, apply, then add the base salary."),
    },
    {
        "id": "split",
        "type": "numeric",
        "lesson": LESSON,
        "title": en("Split"),
        "text": en("Revenue part in €?"),
        "explanation": en("60 % of 30,000."),
        "answer": 18000,
        "tolerance": 500,
    },
    {
        "id": "range",
        "type": "numeric",
        "lesson": LESSON,
        "title": en("Range"),
        "text": en("Name a number from 2 to 4."),
        "explanation": en("Any of them."),
        "answers": [{"min": 2, "max": 4, "percent": 100}],
    },
    {
        "id": "four-questions",
        "type": "matching",
        "lesson": LESSON,
        "title": en("Four questions"),
        "text": en("Match each question of the mandate with an objective."),
        "explanation": en("Twenty visits is an activity."),
        "prompts": [
            {"id": "p1", "text": en("Who?"), "match": "a"},
            {"id": "p2", "text": en("What?"), "match": "b"},
            {"id": "p3", "text": en("How?"), "match": "c"},
        ],
        "choices": [
            {"id": "a", "text": en("Contacts at every level")},
            {"id": "b", "text": en("Renew the contract")},
            {"id": "c", "text": en("Quarterly reviews")},
            {"id": "d", "text": en("Twenty visits")},
        ],
    },
    {
        "id": "essay",
        "type": "essay",
        "lesson": LESSON,
        "title": en("Essay"),
        "text": en("Describe your own bonus plan."),
        "explanation": en("A good plan names the account and its mandate."),
    },
    {
        "id": "q15",
        "type": "blanks",
        "lesson": LESSON,
        "text": en("The bonus is paid {{blank}} a year."),
        "explanation": en("Once, in January."),
        "blanks": [
            {
                "id": "blank",
                "options": [{"id": "a", "correct": True, "text": en("once")}, {"id": "b", "text": en("twice")}],
            }
        ],
    },
    {
        "id": "split-2",
        "type": "shorttext",
        "lesson": LESSON,
        "title": en("Split"),
        "text": en("The same title again."),
        "explanation": en("Ids stay unique."),
        "accept": {"en": ["yes"]},
    },
]


@pytest.fixture(scope="module")
def every_feature():
    return import_gift(FIXTURE.read_text(encoding="utf-8"), "en", LANGUAGES, "every-feature", None, LESSON)


def test_every_feature_imports_to_exactly_the_expected_data(every_feature) -> None:
    assert every_feature.data == {
        "id": "every-feature",
        "title": en("Every feature"),
        "category": "$course$/top/KAM pay/Every feature",
        "questions": EXPECTED_QUESTIONS,
    }
    assert every_feature.languages == ("en",)
    assert every_feature.missing_languages == ("de",)


def test_every_feature_reports_what_was_converted_with_lines_and_types(every_feature) -> None:
    assert every_feature.converted == [
        Converted(7, "single", "bonus-purpose", "multiple choice"),
        Converted(14, "single", "escapes", "multiple choice"),
        Converted(22, "multiple", "good-objectives", "multiple choice (multiple answers)"),
        Converted(31, "multiple", "weighted", "multiple choice (multiple answers)"),
        Converted(39, "single", "two-right", "multiple choice"),
        Converted(41, "truefalse", "no-bonus", "true/false"),
        Converted(43, "truefalse", "q7", "true/false"),
        Converted(45, "shorttext", "fourth-question", "short answer"),
        Converted(53, "numeric", "total-pay", "numerical"),
        Converted(61, "numeric", "split", "numerical"),
        Converted(63, "numeric", "range", "numerical"),
        Converted(65, "matching", "four-questions", "matching"),
        Converted(73, "essay", "essay", "essay"),
        Converted(77, "blanks", "q15", "missing word"),
        Converted(81, "shorttext", "split-2", "short answer"),
    ]


def test_every_feature_reports_unsupported_types_by_name_and_line(every_feature) -> None:
    assert [(item.line, item.gift_type) for item in every_feature.skipped] == [
        (75, "description"),
        (79, "numerical"),
    ]
    assert "no units" in every_feature.skipped[1].reason


def test_every_feature_notes_each_lossy_conversion(every_feature) -> None:
    notes = [(note.line, note.message) for note in every_feature.notes]
    assert notes == [
        (53, "[html] text kept as HTML; it is sanitised when shown, check how it looks"),
        (81, "id 'split' is taken: this question is 'split-2'"),
    ]


def test_imported_data_is_a_valid_quiz_in_its_language(every_feature) -> None:
    quiz, problems = parse_quiz("quizzes/kam-pay/every-feature.yml", dump_yaml(every_feature.data), "kam-pay", ("en",))
    assert problems == []
    assert len(quiz.questions) == 15


def test_imported_data_fails_only_on_missing_translations_in_the_course_languages(every_feature) -> None:
    _quiz, problems = parse_quiz(
        "quizzes/kam-pay/every-feature.yml", dump_yaml(every_feature.data), "kam-pay", LANGUAGES
    )
    assert problems
    assert all("'de'" in problem.message for problem in problems), problems


# --------------------------------------------------------------------------------------------------
# Round trips


def test_gift_to_ours_to_gift_to_ours_keeps_the_data(every_feature) -> None:
    exported = export_gift(dump_yaml(every_feature.data), "en")
    assert exported.skipped == []
    again = import_gift(exported.text, "en", LANGUAGES, "every-feature", None, LESSON)
    assert again.data == every_feature.data
    assert again.skipped == []
    assert again.notes == []  # what the first import noted is not lost twice


def _bundled_quizzes() -> list[Path]:
    return sorted(QUIZ_DIR.glob("kam-pay/*.yml"))


def _key(item: dict, lang: str) -> dict:
    """What a question asks and accepts in `lang`, independent of option ids and equivalent spellings."""

    def text(value) -> str | None:
        return str(value[lang]).strip() if value else None

    key: dict = {"type": item["type"], "text": text(item["text"]), "explanation": text(item["explanation"])}
    if item["type"] in ("single", "multiple"):
        key["options"] = [
            (text(option["text"]), bool(option.get("correct")), text(option.get("feedback")))
            for option in item["options"]
        ]
    elif item["type"] == "truefalse":
        key.update(answer=item["answer"], true=text(item.get("feedback_true")), false=text(item.get("feedback_false")))
    elif item["type"] == "matching":
        choices = {choice["id"]: text(choice["text"]) for choice in item["choices"]}
        key["pairs"] = [(text(prompt["text"]), choices[prompt["match"]]) for prompt in item["prompts"]]
        key["choices"] = sorted(choices.values())
    elif item["type"] == "shorttext":
        key.update(accept=[str(a).strip() for a in item["accept"][lang]], wrong=text(item.get("feedback_wrong")))
    elif item["type"] == "numeric":
        answers = item.get("answers") or [{"value": item["answer"], "tolerance": item.get("tolerance", 0)}]
        key["answers"] = [
            (
                answer["value"] - answer.get("tolerance", 0) if "value" in answer else answer["min"],
                answer["value"] + answer.get("tolerance", 0) if "value" in answer else answer["max"],
                answer.get("percent", 100),
                text(answer.get("feedback")),
            )
            for answer in answers
        ]
        key["wrong"] = text(item.get("feedback_wrong"))
    return key


def _beyond_gift(item: dict) -> bool:
    return item["type"] == "ordering" or (item["type"] == "blanks" and len(item["blanks"]) > 1)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_bundled_quizzes_keep_every_supported_key_and_feedback_through_gift(lang: str) -> None:
    paths = _bundled_quizzes()
    if not paths:
        pytest.skip("no bundled quizzes in quizzes/kam-pay yet")
    for path in paths:
        source = path.read_text(encoding="utf-8")
        data = yaml.safe_load(source)
        exported = export_gift(source, lang, LANGUAGES, "kam-pay")
        result = import_gift(exported.text, lang, LANGUAGES, data["id"], None, LESSON)
        # GIFT has no ordering, and holds one answer block per question (a question with several blanks is Cloze)
        supported = [item for item in data["questions"] if not _beyond_gift(item)]
        assert [item.question_id for item in exported.skipped] == [
            item["id"] for item in data["questions"] if _beyond_gift(item)
        ]
        assert result.skipped == []
        assert [item["id"] for item in result.data["questions"]] == [item["id"] for item in supported], path.name
        for original, imported in zip(supported, result.data["questions"], strict=True):
            assert _key(imported, lang) == _key(original, lang), f"{path.name}: {original['id']}"
        assert result.data["title"] == {lang: data["title"][lang]}


# --------------------------------------------------------------------------------------------------
# Escaping

_SPECIALS = st.sampled_from(list("~=#{}:\\\n\t %->[]*") + ["\\n", "\\:", "::", "####", "[html]", "%50%", "->"])
_CHARACTERS = st.characters(
    exclude_categories=("Cs", "Cc"), exclude_characters="".join(map(chr, range(0xFDD0, 0xFDF0)))
)
_TEXT = st.lists(_SPECIALS | _CHARACTERS, max_size=30).map("".join)


def _visible(text: str) -> bool:
    return bool(text.strip()) and len(text) <= 4000


@given(st.lists(_SPECIALS | _CHARACTERS | st.just("\r\n")).map("".join))
def test_escape_then_unescape_gives_the_text_back(text: str) -> None:
    assert unescape(escape(text)) == text.replace("\r\n", "\n")


def test_escape_covers_every_special_character_and_newlines() -> None:
    assert escape("a\\b~c=d#e{f}g:h\ni") == "a\\\\b\\~c\\=d\\#e\\{f\\}g\\:h\\ni"
    assert unescape("\\\\n") == "\\n"  # an escaped backslash before n, not a newline
    assert unescape("\\d \\%") == "\\d \\%"  # not an escape: kept as written


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=_TEXT.filter(_visible),
    right=_TEXT.filter(_visible),
    wrong=_TEXT.filter(_visible),
    feedback=_TEXT.filter(_visible),
    explanation=_TEXT.filter(_visible),
)
def test_export_then_import_keeps_texts_with_gift_specials(text, right, wrong, feedback, explanation) -> None:
    original = {
        "id": "specials",
        "type": "single",
        "lesson": LESSON,
        "text": en(text),
        "explanation": en(explanation),
        "options": [
            {"id": "a", "correct": True, "text": en(right), "feedback": en(feedback)},
            {"id": "b", "text": en(wrong), "feedback": en(feedback)},
        ],
    }
    exported = export_gift(quiz_yaml(original), "en")
    imported = question(exported.text)
    stripped = {key: value.strip() for key, value in (("text", text), ("explanation", explanation))}
    assert imported["text"] == en(stripped["text"])
    assert imported["explanation"] == en(stripped["explanation"])
    assert imported["options"] == [
        {"id": "a", "correct": True, "text": en(right.strip()), "feedback": en(feedback.strip())},
        {"id": "b", "text": en(wrong.strip()), "feedback": en(feedback.strip())},
    ]


def _stripped(value):
    if isinstance(value, dict):
        return {key: _stripped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_stripped(item) for item in value]
    return value.strip() if isinstance(value, str) else value


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    texts=st.lists(_TEXT.filter(_visible), min_size=5, max_size=5),
    kind=st.sampled_from(["truefalse", "matching", "shorttext", "numeric", "multiple"]),
)
def test_export_then_import_keeps_specials_in_every_text_of_every_type(texts: list[str], kind: str) -> None:
    a, b, c, d, e = texts
    item: dict = {"id": "x", "type": kind, "lesson": LESSON, "text": en(a), "explanation": en(b)}
    if kind == "truefalse":
        item.update(answer=True, feedback_true=en(c), feedback_false=en(d))
    elif kind == "matching":
        item["prompts"] = [{"id": "p1", "text": en(c), "match": "a"}, {"id": "p2", "text": en(d), "match": "b"}]
        item["choices"] = [{"id": "a", "text": en(d)}, {"id": "b", "text": en(c)}, {"id": "c", "text": en(e)}]
    elif kind == "shorttext":
        item.update(accept={"en": [c, d]}, feedback_wrong=en(e))
    elif kind == "numeric":
        item["answers"] = [
            {"value": 1.5, "tolerance": 0.25, "percent": 100, "feedback": en(c)},
            {"min": -3, "max": 2, "percent": 50, "feedback": en(d)},
        ]
        item["feedback_wrong"] = en(e)
    else:
        item["options"] = [
            {"id": "a", "correct": True, "text": en(c), "feedback": en(d)},
            {"id": "b", "text": en(e)},
            {"id": "c", "correct": True, "text": en(a)},
        ]
    exported = export_gift(quiz_yaml(item), "en")
    distinct = len({c.strip(), d.strip(), e.strip()}) == 3
    if exported.skipped or (kind == "matching" and not distinct):  # '->' cannot be escaped; GIFT merges equal choices
        return
    assert question(exported.text) == _stripped(item)


# --------------------------------------------------------------------------------------------------
# Reading GIFT, detail by detail


def test_question_ids_come_from_id_comment_then_title_then_position() -> None:
    result = read(
        "// [id:KAM 07 Bonus-Cap]\n::Cap::Q?{T}\n\n::Über Größe::Q?{T}\n\nQ?{T}\n\n::Über Größe::Q?{T}\n\n::!!!::Q?{F}"
    )
    assert [item["id"] for item in result.data["questions"]] == [
        "kam-07-bonus-cap",
        "ueber-groesse",
        "q3",
        "ueber-groesse-2",
        "q5",
    ]
    assert Note(10, "the title '!!!' makes no usable id") in result.notes


def test_comment_lines_inside_a_question_are_ignored_and_a_lone_comment_is_no_question() -> None:
    result = read("// just a comment\n\n::A::Is it?{\n// right answer next\nTRUE####Yes.}")
    assert [item["id"] for item in result.data["questions"]] == ["a"]
    assert result.data["questions"][0]["answer"] is True
    assert result.converted[0].line == 3


def test_true_false_feedback_maps_from_wrong_and_right_to_by_answer() -> None:
    true_key = question("It holds.{TRUE#You said false: wrong.#You said true: right.####E.}")
    assert body(true_key) == {
        "answer": True,
        "feedback_true": en("You said true: right."),
        "feedback_false": en("You said false: wrong."),
    }
    false_key = question("It holds.{F#You said true: wrong.#You said false: right.####E.}")
    assert body(false_key) == {
        "answer": False,
        "feedback_true": en("You said true: wrong."),
        "feedback_false": en("You said false: right."),
    }
    only_right = question("It holds.{TRUE##Right.####E.}")
    assert body(only_right) == {"answer": True, "feedback_true": en("Right.")}


def test_true_false_in_lower_case_is_a_short_answer_as_in_moodle() -> None:
    result = read("It holds.{true####E.}")
    assert result.data["questions"][0]["type"] == "shorttext"
    assert any("TRUE or FALSE" in note.message for note in result.notes)


@pytest.mark.parametrize(
    ("weight", "percent"),
    [("%100%", 100), ("%50%", 50), ("%33.33333%", 33.33333), ("%-50%", -50), ("%-33.33333%", -33.33333), ("%5.%", 5)],
)
def test_weights_are_read_with_moodles_regex(weight: str, percent: float) -> None:
    result = read(f"Q?{{~{weight}A ~%50%B ~C####E.}}")
    notes = " ".join(note.message for note in result.notes)
    options = result.data["questions"][0]["options"]
    assert [option["text"] for option in options] == [en("A"), en("B"), en("C")]
    written = f"{percent:.5f}".rstrip("0").rstrip(".")
    if "percent" in options[0]:  # the right options' weights add up to 100: kept as the options' weights
        assert [option["percent"] for option in options] == [percent, 50, 0]
    else:  # replaced by the penalty rule, with the weights as read in the note
        assert options[0].get("correct", False) is (percent > 0)
        assert f"({written}%, 50%, 0%)" in notes


def test_a_weight_moodle_does_not_recognise_stays_in_the_text() -> None:
    options = question("Q?{~%abc%A ~%50%B ~%50%C####E.}")["options"]
    assert options[0] == {"id": "a", "text": en("%abc%A"), "percent": 0}


def test_multiple_response_without_positive_weight_is_skipped() -> None:
    result = read("Q?{~A ~%-50%B####E.}")
    assert result.data["questions"] == []
    assert result.skipped == [
        Skipped(1, "multiple choice (multiple answers)", "no answer has a positive weight, so no option is right")
    ]


def test_single_choice_penalty_on_a_wrong_option_is_noted() -> None:
    result = read("Q?{=A ~%-50%B ~C####E.}")
    assert result.data["questions"][0]["type"] == "single"
    assert [note.message for note in result.notes] == [
        "penalty (-50%) for 'B' dropped: a wrong pick scores 0 (our single-choice options earn 0 to 100%)"
    ]


def test_single_choice_partial_credit_is_kept_on_its_option() -> None:
    result = read("Q?{=A ~%50%Half#Close. ~C####E.}")
    assert body(result.data["questions"][0]) == {
        "options": [
            {"id": "a", "correct": True, "text": en("A")},
            {"id": "b", "text": en("Half"), "percent": 50, "feedback": en("Close.")},
            {"id": "c", "text": en("C")},
        ]
    }
    assert result.notes == []


def test_multiple_response_weights_that_add_up_are_kept_as_weights() -> None:
    result = read("Q?{~%50%A ~%50%B ~%-100%No one ~%0%D####E.}")
    assert [(option["text"], option["percent"]) for option in body(result.data["questions"][0])["options"]] == [
        (en("A"), 50),
        (en("B"), 50),
        (en("No one"), -100),
        (en("D"), 0),
    ]
    assert not any("correct" in option for option in body(result.data["questions"][0])["options"])
    assert result.notes == []


def test_short_answer_wildcards_become_patterns_and_escaped_stars_stay_literal() -> None:
    result = read("Q?{=colo*r =5\\*3 =%0%*#Think of paint.####E.}")
    assert body(result.data["questions"][0]) == {
        "accept": {"en": ["5*3"]},
        "patterns": {"en": ["colo.*r"]},
        "feedback_wrong": en("Think of paint."),
    }
    assert result.notes == []


def test_short_answer_feedback_on_a_right_answer_is_kept() -> None:
    result = read("Q?{=yes#Good.####E.}")
    assert body(result.data["questions"][0]) == {"answers": [{"accept": {"en": ["yes"]}, "feedback": en("Good.")}]}
    assert result.notes == []


def test_short_answer_partial_credit_and_wrong_answers_with_feedback_are_kept() -> None:
    result = read(
        "Who's buried in Grant's tomb?{=Grant =Ulysses S. Grant =Ulysses Grant =%75%Nazereth#Near. "
        "=%0%Lincoln#No, he is in Springfield. =%25%*Gr*nt ####E.}"
    )
    assert body(result.data["questions"][0]) == {
        "answers": [
            {"accept": {"en": ["Grant", "Ulysses S. Grant", "Ulysses Grant"]}},
            {"accept": {"en": ["Nazereth"]}, "percent": 75, "feedback": en("Near.")},
            {"accept": {"en": ["Lincoln"]}, "percent": 0, "feedback": en("No, he is in Springfield.")},
            {"patterns": {"en": [".*Gr.*nt"]}, "percent": 25},
        ]
    }
    assert result.notes == []


@pytest.mark.parametrize(
    ("gift", "fields"),
    [
        ("{#3.5:0.1####E.}", {"answer": 3.5, "tolerance": 0.1}),
        ("{#-5####E.}", {"answer": -5}),
        ("{#1.5..2.5####E.}", {"answers": [{"min": 1.5, "max": 2.5, "percent": 100}]}),
        (
            "{#=3.5:0.1#Yes.####E.}",
            {"answers": [{"value": 3.5, "tolerance": 0.1, "percent": 100, "feedback": en("Yes.")}]},
        ),
        (
            "{#=%100%10 =%50%3:0.5#close ~#No.####E.}",
            {
                "answers": [
                    {"value": 10, "percent": 100},
                    {"value": 3, "tolerance": 0.5, "percent": 50, "feedback": en("close")},
                ],
                "feedback_wrong": en("No."),
            },
        ),
        ("{#=%100%10 =%0%*#Not quite.####E.}", {"answer": 10, "feedback_wrong": en("Not quite.")}),
    ],
)
def test_numeric_tolerance_range_partial_credit_and_wrong_feedback(gift: str, fields: dict) -> None:
    assert body(question("How much?" + gift)) == fields


@pytest.mark.parametrize(
    ("gift", "reason"),
    [
        ("{#=%50%3####E.}", "no answer gives full credit (100%)"),
        ("{#4..2####E.}", "range 4..2: the minimum is above the maximum"),
        ("{#3:x####E.}", "'x' is not a number (GIFT numeric answers have no units)"),
    ],
)
def test_numeric_questions_we_cannot_represent_are_skipped(gift: str, reason: str) -> None:
    result = read("How much?" + gift)
    assert result.skipped == [Skipped(1, "numerical", reason)]


def test_matching_needs_two_prompts_and_reads_distractors() -> None:
    result = read("Match.{=A -> 1 = -> 2####E.}")
    assert result.skipped == [Skipped(1, "matching", "a matching question needs at least two prompts")]
    matching = question("Match.{=A -> 1 =B -> 1 = -> 2####E.}")
    assert body(matching) == {
        "prompts": [{"id": "p1", "text": en("A"), "match": "a"}, {"id": "p2", "text": en("B"), "match": "a"}],
        "choices": [{"id": "a", "text": en("1")}, {"id": "b", "text": en("2")}],
    }


def test_question_without_general_feedback_is_converted_with_a_note() -> None:
    result = read("Q?{=A ~B}")
    assert "explanation" not in result.data["questions"][0]
    assert result.notes == [Note(1, "no general feedback (####): write the explanation every question needs")]


def test_unbalanced_nested_and_second_blocks_are_skipped_with_the_line_of_the_brace() -> None:
    result = read(
        "// broken on purpose\n::U::Unclosed {\n=a\n~b\n\n::N::Nested\n{=a {x}\n~b}\n\n"
        "::S::Stray } here {=a ~b}\n\n::T::Two {=a ~b} and\n{=c ~d}\n\n::F::Fine {=a ~b####E.}\n"
    )
    assert [(item.line, item.gift_type, item.reason) for item in result.skipped] == [
        (2, "invalid", "the answer block opened on line 2 is not closed with '}'"),
        (
            6,
            "invalid",
            "a '{' on line 7 inside the answer block opened on line 7: blocks do not nest "
            "(write a literal brace as \\{)",
        ),
        (10, "invalid", "the '}' on line 10 closes no answer block (write a literal brace as \\})"),
        (12, "invalid", "a second answer block on line 13: GIFT has one per question (Moodle's Cloze is not GIFT)"),
    ]
    assert [item["id"] for item in result.data["questions"]] == ["f"]


def test_a_file_in_windows_1252_is_read_with_a_note_from_its_first_line_that_is_not_utf_8() -> None:
    data = "::A::Plain?{T####E.}\n\n::B::Größe?{=groß ~klein####Weil.}\n".encode("cp1252")
    result = read(data)
    assert [item["text"] for item in result.data["questions"]] == [en("Plain?"), en("Größe?")]
    assert result.notes[0] == Note(3, "not UTF-8: read as Windows-1252 (Latin-1); check umlauts, ß and € from here on")


def test_a_byte_order_mark_or_utf_16_is_read_without_a_note_and_binary_is_refused() -> None:
    text = "::B::Größe?{=groß ~klein####Weil.}\n"
    for data in (b"\xef\xbb\xbf" + text.encode(), b"\xff\xfe" + text.encode("utf-16-le")):
        result = read(data)
        assert result.data["questions"][0]["text"] == en("Größe?") and result.notes == []
    with pytest.raises(GiftError, match="not text"):
        read(b"\x89PNG\r\n\x1a\n\x00\x00\x00")


def test_carriage_returns_bom_and_noncharacters_are_handled() -> None:
    result = read("\ufeff::A::Q\ufdd0?{TRUE####E.}\r\n\r\n::B::Q?{FALSE####E.}\r\n")
    assert [item["text"] for item in result.data["questions"]] == [en("Q\ufffd?"), en("Q?")]
    assert result.notes[0].message.startswith("Unicode noncharacters")


def test_title_comes_from_the_argument_then_the_category_then_the_quiz_id() -> None:
    gift = "$CATEGORY: $course$/top/Bonus//Malus\n\nQ?{T####E.}"
    assert read(gift, title="Given").data["title"] == en("Given")
    assert read(gift, title=None).data["title"] == en("Bonus/Malus")
    fallback = read("Q?{T####E.}", quiz_id="bonus-quiz", title=None)
    assert fallback.data["title"] == en("Bonus quiz")
    assert fallback.notes == [Note(None, "no quiz title for en: 'Bonus quiz' is made from the quiz id")]


def test_bad_language_and_quiz_id_are_refused() -> None:
    with pytest.raises(GiftError, match="not one of the course's languages"):
        read("Q?{T}", lang="fr")
    with pytest.raises(GiftError, match="quiz id"):
        read("Q?{T}", quiz_id="Bad Id")


# --------------------------------------------------------------------------------------------------
# Translations

GERMAN = """\
$CATEGORY: Bonus-Quiz

::Zweck::Wofür wird der Bonus bezahlt?{
\t=Dass der Kunde bleibt#Genau.
\t~Für den Umsatz
\t####Er belohnt die Kundenbindung.
}

::Wort::Wie heißt der Bonus?{=Bindungsbonus =Treuebonus =%0%*#Es geht um Bindung.####Bindung.}

::Essay::Beschreiben Sie Ihren Plan.{####Er belohnt die Bindung.}
"""

ENGLISH = """\
$CATEGORY: Bonus quiz

::Purpose::What is the bonus paid for?{
\t=The customer staying#Exactly.
\t~The revenue
\t####It rewards retention.
}

::Word::What is the bonus called?{=retention bonus =%0%*#It is about retention.####Retention.}

::Essay::Describe your plan.{####It rewards retention.}
"""


def test_a_translation_fills_the_other_language_question_by_question() -> None:
    result = import_gift(GERMAN, "de", LANGUAGES, "bonus-quiz", None, LESSON, translations={"en": ENGLISH})
    assert result.languages == ("de", "en")
    assert result.missing_languages == ()
    assert result.data["title"] == {"de": "Bonus-Quiz", "en": "Bonus quiz"}
    purpose, word, essay = result.data["questions"]
    assert essay["type"] == "essay" and essay["text"] == {
        "de": "Beschreiben Sie Ihren Plan.",
        "en": "Describe your plan.",
    }
    assert purpose["id"] == "zweck"  # ids come from the main file
    assert purpose["options"][0] == {
        "id": "a",
        "correct": True,
        "text": {"de": "Dass der Kunde bleibt", "en": "The customer staying"},
        "feedback": {"de": "Genau.", "en": "Exactly."},
    }
    assert word["accept"] == {"de": ["Bindungsbonus", "Treuebonus"], "en": ["retention bonus"]}
    assert result.skipped == []
    quiz, problems = parse_quiz("quizzes/kam-pay/bonus-quiz.yml", dump_yaml(result.data), "kam-pay", LANGUAGES)
    assert problems == []
    assert quiz.question("zweck").text == {"de": "Wofür wird der Bonus bezahlt?", "en": "What is the bonus paid for?"}


@pytest.mark.parametrize(
    ("english", "message"),
    [
        (
            ENGLISH.replace("\n\n::Essay::Describe your plan.{####It rewards retention.}\n", ""),
            "the en translation has 2 question(s), the de file 3",
        ),
        (
            ENGLISH.replace("~The revenue", "~The revenue\n~The profit"),
            "options has 2 entries in one file, 3 in the en",
        ),
        (ENGLISH.replace("#Exactly.", ""), "different fields in options[0] (feedback only in the de file)"),
        (
            ENGLISH.replace("=The customer staying", "~The customer staying"),
            "question 1 (de line 3, en line 3): multiple choice in the de file, "
            "multiple choice (multiple answers) in the en file",
        ),
        (
            ENGLISH.replace("=retention bonus =%0%*#It is about retention.", "TRUE"),
            "short answer in the de file, true/false in the en file",
        ),
        (ENGLISH.replace("\t####It rewards retention.\n", ""), "(explanation only in the de file)"),
        (ENGLISH.replace("{=retention bonus", "{=%50%retention bonus"), "skipped in the en file"),
    ],
)
def test_a_translation_with_a_different_structure_is_a_clear_error(english: str, message: str) -> None:
    with pytest.raises(GiftError) as error:
        import_gift(GERMAN, "de", LANGUAGES, "bonus-quiz", None, LESSON, translations={"en": english})
    assert message in str(error.value)


# --------------------------------------------------------------------------------------------------
# Writing GIFT


def test_export_writes_id_title_prefix_answers_and_explanation() -> None:
    source = quiz_yaml(
        {
            "id": "cap",
            "type": "multiple",
            "lesson": LESSON,
            "text": en("What is a **cap**?"),
            "explanation": en("Caps: limits."),
            "options": [
                {"id": "a", "correct": True, "text": en("A limit"), "feedback": en("Yes {really}.")},
                {"id": "b", "correct": True, "text": en("A ceiling")},
                {"id": "c", "correct": True, "text": en("A maximum")},
                {"id": "d", "text": en("A hat")},
                {"id": "e", "text": en("A floor")},
            ],
        },
        {
            "id": "order",
            "type": "ordering",
            "lesson": LESSON,
            "text": en("Order."),
            "explanation": en("So."),
            "items": [{"id": "x", "text": en("X")}, {"id": "y", "text": en("Y")}],
        },
    )
    exported = export_gift(source, "en")
    assert exported.text == (
        "// Quiz 'quiz' (en): 2 question(s)\n"
        "$CATEGORY: A quiz\n"
        "\n"
        "// [id:cap]\n"
        "::cap::[markdown]What is a **cap**?{\n"
        "\t~%33.33333%A limit#Yes \\{really\\}.\n"
        "\t~%33.33333%A ceiling\n"
        "\t~%33.33333%A maximum\n"
        "\t~%-50%A hat\n"
        "\t~%-50%A floor\n"
        "\t####Caps\\: limits.\n"
        "}\n"
        "\n"
        "// ordering question 'order' skipped: GIFT has no ordering type\n"
    )
    assert [tuple(item) for item in exported.skipped] == [("order", "ordering", "GIFT has no ordering type")]


def test_export_writes_true_false_feedback_as_wrong_then_right() -> None:
    item = {"id": "tf", "type": "truefalse", "lesson": LESSON, "text": en("T?"), "explanation": en("E.")}
    cases = [
        ({"answer": True, "feedback_true": en("R"), "feedback_false": en("W")}, "{TRUE#W#R####E.}"),
        ({"answer": False, "feedback_true": en("W"), "feedback_false": en("R")}, "{FALSE#W#R####E.}"),
        ({"answer": False, "feedback_false": en("R")}, "{FALSE##R####E.}"),
        ({"answer": True, "feedback_false": en("W")}, "{TRUE#W####E.}"),
        ({"answer": True}, "{TRUE####E.}"),
    ]
    for fields, expected in cases:
        exported = export_gift(quiz_yaml({**item, **fields}), "en")
        assert exported.text.endswith(f"::tf::T?{expected}\n")
        assert body(question(exported.text)) == fields


def test_export_guards_texts_gift_would_misread() -> None:
    item = {
        "id": "tricky",
        "type": "single",
        "lesson": LESSON,
        "text": en("[html] is a GIFT prefix"),
        "explanation": en("E."),
        "options": [
            {"id": "a", "correct": True, "text": en("%50% is right")},
            {"id": "b", "text": en("%50% is wrong")},
        ],
    }
    exported = export_gift(quiz_yaml(item), "en")
    assert "::tricky::[markdown][html] is a GIFT prefix{" in exported.text
    assert "\t~%0%%50% is wrong\n" in exported.text
    assert question(exported.text) == item


def test_export_notes_what_gift_cannot_hold() -> None:
    source = quiz_yaml(
        {
            "id": "total",
            "type": "numeric",
            "points": 2,
            "lesson": LESSON,
            "text": en("Total?"),
            "explanation": en("E."),
            "answer": 6000,
            "tolerance": 0.5,
            "unit": en("€"),
        },
        {
            "id": "word",
            "type": "shorttext",
            "lesson": LESSON,
            "text": en("Word?"),
            "explanation": en("E."),
            "accept": {"en": ["a*b", "x -> y"]},
        },
        {
            "id": "many",
            "type": "multiple",
            "always": True,
            "lesson": LESSON,
            "text": en("Which?"),
            "explanation": en("E."),
            "options": [{"id": f"o{i}", "correct": i == 0, "text": en(f"Option {i}")} for i in range(12)],
        },
    )
    exported = export_gift(source, "en")
    assert "\t=%100%6000:0.5\n" in exported.text
    assert [(item.question_id, item.reason) for item in exported.skipped] == [
        ("word", "'->' in an accepted answer or the feedback would make GIFT read the question as matching")
    ]
    assert [(note.question_id, note.message) for note in exported.notes] == [
        ("total", "the unit '€' has no GIFT form: mention it in the question"),
        ("total", "points: 2 has no GIFT form; set the question's default mark in Moodle"),
        (
            "many",
            "weight 9.09091% is not one of Moodle's grade steps: import it in Moodle with 'nearest grade' "
            "matching (it then rounds)",
        ),
        ("many", "always: true has no GIFT form; add the question to the Moodle quiz itself, not as a random one"),
    ]
    assert "\t~%-9.09091%Option 11\n" in exported.text


def test_export_refuses_an_invalid_quiz_and_an_unknown_language() -> None:
    broken = quiz_yaml({"id": "q", "type": "single", "lesson": LESSON, "text": en("Q?"), "options": []})
    with pytest.raises(GiftError, match="not valid, so it is not exported"):
        export_gift(broken, "en")
    with pytest.raises(GiftError, match="not one of the quiz's languages"):
        export_gift(quiz_yaml(EXPECTED_QUESTIONS[0]), "de")


# --------------------------------------------------------------------------------------------------
# YAML


def test_dump_yaml_is_block_style_unicode_unsorted_unwrapped_and_loads_back() -> None:
    long = "Größe " * 40
    data = {
        "id": "quiz",
        "title": {"de": "Über", "en": "yes"},
        "questions": [{"id": "b", "type": "truefalse", "text": {"de": long, "en": "a\nb"}}, {"id": "a"}],
    }
    text = dump_yaml(data, header="Made by a test.")
    assert text.startswith("# Made by a test.\nid: quiz\ntitle:\n  de: Über\n  en: 'yes'\nquestions:\n  - id: b\n")
    assert f"de: {long.strip()}" in text or f"de: '{long}'" in text
    assert "en: |-\n        a\n        b\n" in text
    assert "\n\n  - id: a\n" in text
    assert load_with_lines(text) == data


PARTIAL_CREDIT = [
    {
        "id": "near-miss",
        "type": "single",
        "lesson": LESSON,
        "text": en("What is the bonus paid for?"),
        "explanation": en("Retention."),
        "options": [
            {"id": "a", "correct": True, "text": en("Renewal")},
            {"id": "b", "text": en("Satisfaction"), "percent": 50, "feedback": en("It leads there.")},
            {"id": "c", "text": en("Revenue")},
        ],
    },
    {
        "id": "weights",
        "type": "multiple",
        "lesson": LESSON,
        "text": en("Which are results?"),
        "explanation": en("Results, not activities."),
        "options": [
            {"id": "a", "text": en("Renewal"), "percent": 50},
            {"id": "b", "text": en("Complaints closed"), "percent": 50},
            {"id": "c", "text": en("Visits"), "percent": -100, "feedback": en("An activity.")},
            {"id": "d", "text": en("No one"), "percent": -50},
        ],
    },
    {
        "id": "tomb",
        "type": "shorttext",
        "lesson": LESSON,
        "text": en("Who is buried in Grant's tomb?"),
        "explanation": en("Grant."),
        "answers": [
            {"accept": {"en": ["Grant", "Ulysses S. Grant"]}, "feedback": en("Yes.")},
            {"accept": {"en": ["Nazereth"]}, "percent": 75, "feedback": en("Spelling.")},
            {"patterns": {"en": ["Gr.*nt"]}, "percent": 25},
            {"accept": {"en": ["Lincoln"]}, "percent": 0, "feedback": en("Springfield.")},
        ],
        "feedback_wrong": en("Think again."),
    },
]


def test_partial_credit_is_written_as_moodles_weights() -> None:
    text = export_gift(quiz_yaml(*PARTIAL_CREDIT), "en").text
    assert "\t=Renewal\n\t~%50%Satisfaction#It leads there.\n\t~Revenue\n" in text
    assert "\t~%50%Renewal\n\t~%50%Complaints closed\n\t~%-100%Visits#An activity.\n\t~%-50%No one\n" in text
    assert (
        "\t=Grant#Yes.\n\t=Ulysses S. Grant#Yes.\n\t=%75%Nazereth#Spelling.\n\t=%25%Gr*nt\n"
        "\t=%0%Lincoln#Springfield.\n\t=%0%*#Think again.\n"
    ) in text


def test_partial_credit_survives_export_and_import_and_export_again() -> None:
    exported = export_gift(quiz_yaml(*PARTIAL_CREDIT), "en")
    assert exported.notes == []
    imported = read(exported.text)
    assert imported.data["questions"] == PARTIAL_CREDIT
    assert imported.notes == []
    assert export_gift(quiz_yaml(*imported.data["questions"]), "en").text == exported.text


def test_a_pattern_that_is_no_wildcard_is_noted_on_export() -> None:
    item = {**PARTIAL_CREDIT[2], "answers": [{"accept": {"en": ["Grant"]}, "patterns": {"en": ["Gr[ae]nt"]}}]}
    exported = export_gift(quiz_yaml(item), "en")
    assert [note.message for note in exported.notes] == [
        "the pattern 'Gr[ae]nt' (a regular expression) has no GIFT form: it is left out"
    ]


# --------------------------------------------------------------------------------------------------
# Missing words: the answers inside the sentence


def test_a_missing_word_with_options_becomes_a_select_blank_in_the_sentence() -> None:
    result = read("Grant is {~buried =entombed#Yes. ~living} in Grant's tomb.\n")
    question = result.data["questions"][0]
    assert (question["type"], question["text"]) == ("blanks", en("Grant is {{blank}} in Grant's tomb."))
    assert question["blanks"] == [
        {
            "id": "blank",
            "options": [
                {"id": "a", "text": en("buried")},
                {"id": "b", "correct": True, "text": en("entombed"), "feedback": en("Yes.")},
                {"id": "c", "text": en("living")},
            ],
        }
    ]
    assert result.converted[0].gift_type == "missing word" and result.skipped == []


def test_a_missing_word_with_typed_answers_becomes_a_text_blank() -> None:
    question = read("Two plus two equals {=four =4 =%50%for#Spelling.} and no more.\n").data["questions"][0]
    assert question["text"] == en("Two plus two equals {{blank}} and no more.")
    assert question["blanks"] == [
        {
            "id": "blank",
            "answers": [
                {"accept": {"en": ["four", "4"]}},
                {"accept": {"en": ["for"]}, "percent": 50, "feedback": en("Spelling.")},
            ],
        }
    ]


@pytest.mark.parametrize(
    ("gift", "kind"),
    [
        ("The sum {#4} is four.", "numeric"),
        ("It is {T} that it holds.", "truefalse"),
        ("Pick {~%50%a ~%50%b ~c} both.", "multiple"),
    ],
)
def test_other_missing_words_keep_their_answers_below_a_gap_as_moodle_shows_them(gift: str, kind: str) -> None:
    question = read(gift + "\n").data["questions"][0]
    assert question["type"] == kind and "_____" in question["text"]["en"]


def test_a_one_blank_question_is_written_as_a_missing_word_and_read_back_the_same() -> None:
    item = {
        "id": "tomb",
        "type": "blanks",
        "lesson": LESSON,
        "text": en("Grant is {{where}} in Grant's tomb: {really}."),
        "explanation": en("He is."),
        "blanks": [
            {
                "id": "where",
                "options": [
                    {"id": "a", "text": en("buried"), "percent": 50},
                    {"id": "b", "correct": True, "text": en("entombed")},
                ],
            }
        ],
    }
    exported = export_gift(quiz_yaml(item), "en")
    written = "::tomb::Grant is {\n\t~%50%buried\n\t=entombed\n\t####He is.\n} in Grant's tomb\\: \\{really\\}.\n"
    assert written in exported.text
    again = read(exported.text).data["questions"][0]
    blank = {**item["blanks"][0], "id": "blank"}
    assert again == {**item, "text": en("Grant is {{blank}} in Grant's tomb: {really}."), "blanks": [blank]}
    assert export_gift(quiz_yaml(again), "en").text == exported.text


def test_a_question_with_several_blanks_is_not_gift() -> None:
    item = {
        "id": "two",
        "type": "blanks",
        "lesson": LESSON,
        "text": en("{{a}} and {{b}}."),
        "explanation": en("E."),
        "blanks": [{"id": "a", "accept": {"en": ["x"]}}, {"id": "b", "accept": {"en": ["y"]}}],
    }
    exported = export_gift(quiz_yaml(item), "en")
    assert [tuple(skipped) for skipped in exported.skipped] == [
        ("two", "blanks", "2 blanks: GIFT holds one answer block per question (Moodle's Cloze is not GIFT)")
    ]


# --------------------------------------------------------------------------------------------------
# A corpus of Moodle's documented GIFT syntax

MOODLE_SYNTAX = Path(__file__).resolve().parents[1] / "fixtures" / "moodle-syntax.gift"


def test_moodles_documented_syntax_imports_with_only_the_description_skipped_and_nothing_lost() -> None:
    result = read(MOODLE_SYNTAX.read_bytes(), quiz_id="moodle-syntax", title=None)
    assert [(item.line, item.gift_type) for item in result.skipped] == [(102, "description")]
    assert [note.message for note in result.notes] == [
        "[html] text kept as HTML; it is sanitised when shown, check how it looks"
    ]
    kinds = {item.type for item in result.converted}
    assert kinds == {"single", "multiple", "truefalse", "shorttext", "matching", "blanks", "numeric", "essay"}
    quiz, problems = parse_quiz(
        "quizzes/kam-pay/moodle-syntax.yml", dump_yaml(result.data), "kam-pay", ("en",), anchors=None
    )
    assert problems == [] and quiz is not None
    tagged = quiz.question("tagged-question")
    assert (tagged.title, tagged.tags, tagged.category) == (
        {"en": "Tagged"},
        ("bonus", "retention"),
        "$course$/top/Moodle syntax",
    )
    assert quiz.question("filed-elsewhere").category == "$course$/top/Moodle syntax/Second category"


def test_moodles_documented_syntax_round_trips() -> None:
    first = read(MOODLE_SYNTAX.read_bytes(), quiz_id="moodle-syntax", title=None)
    exported = export_gift(dump_yaml(first.data), "en")
    assert exported.skipped == [] and exported.notes == []
    again = read(exported.text, quiz_id="moodle-syntax", title=None)
    assert again.data == first.data and again.skipped == [] and again.notes == []
    assert export_gift(dump_yaml(again.data), "en").text == exported.text
