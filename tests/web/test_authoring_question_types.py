"""The studio's forms for matching questions (prompts with their right answers) and numeric questions with several
accepted answers: what the file has survives the form unchanged, rows are added without saving, bad input is
refused at the field with nothing typed lost."""

from __future__ import annotations

import re

import pytest
import yaml
from flask import Flask

from course.core.authoring.documents import dump_yaml
from tests.web.test_authoring_forms import QUIZ, app, form_of, newest, page_text, question, quiz_data, trainer_client
from tests.web.test_authoring_views import edit

__all__ = ["app", "trainer_client"]  # fixtures

MATCHING = f"/studio/files/{QUIZ}/questions/four-questions-objectives"
NUMERIC = f"/studio/files/{QUIZ}/questions/mandate-bonus-total"


@pytest.mark.parametrize("url", [MATCHING, NUMERIC])
def test_a_question_round_trips_through_its_form_unchanged(app: Flask, trainer_client, url: str) -> None:
    question_id = url.rsplit("/", 1)[1]
    before = question(app, question_id)
    page = page_text(trainer_client.get(url))
    response = trainer_client.post(url, data={**form_of(page), "action": "save"})
    assert response.status_code == 302, page_text(response)[:3000]
    assert question(app, question_id) == before
    _number, _status, text = newest(app, QUIZ)
    assert text.index(f"id: {question_id}") > 0  # still in its place in the file


def test_the_matching_form_shows_pairs_and_the_left_over_answer(app: Flask, trainer_client) -> None:
    page = page_text(trainer_client.get(MATCHING))
    assert 'name="pairs-0-text_de"' in page and 'name="pairs-0-answer_en"' in page
    assert "Wer ist der Ansprechpartner beim Kunden?" in page
    assert 'name="distractors-0-text_de"' in page and "Julia besucht Nordwerk zwanzigmal im Jahr." in page
    assert 'name="pairs-4-text_de"' not in page and 'name="distractors-1-text_de"' not in page


def test_a_pair_is_added_and_pairs_with_the_same_answer_share_it(app: Flask, trainer_client) -> None:
    data = form_of(page_text(trainer_client.get(MATCHING)))
    data["text_en"] = "Typed, not yet saved"
    page = page_text(trainer_client.post(MATCHING, data={**data, "action": "add-pairs"}))
    assert 'name="pairs-4-text_de"' in page and "Typed, not yet saved" in page
    data = form_of(page)
    data |= {"pairs-4-text_de": "Wer zahlt?", "pairs-4-text_en": "Who pays?"}
    data |= {"pairs-4-answer_de": data["pairs-0-answer_de"], "pairs-4-answer_en": data["pairs-0-answer_en"]}
    response = trainer_client.post(MATCHING, data={**data, "action": "save"})
    assert response.status_code == 302, page_text(response)[:3000]
    saved = question(app, "four-questions-objectives")
    assert saved["text"]["en"] == "Typed, not yet saved"
    assert [p["match"] for p in saved["prompts"]] == [
        "contacts-levels",
        "renew-contract",
        "quarterly-reviews",
        "sponsor",
        "contacts-levels",
    ]
    assert saved["prompts"][4]["id"] == "prompt-1" and len(saved["choices"]) == 5
    assert "No problems found" in page_text(trainer_client.get(f"/studio/files/{QUIZ}/questions"))


def test_an_extra_answer_is_removed_and_a_changed_answer_gets_its_own_choice(app: Flask, trainer_client) -> None:
    data = form_of(page_text(trainer_client.get(MATCHING)))
    page = page_text(trainer_client.post(MATCHING, data={**data, "action": "remove-distractors-0"}))
    assert "zwanzigmal" not in page
    data = form_of(page) | {"pairs-3-answer_de": "Ein Pate", "pairs-3-answer_en": "A sponsor"}
    assert trainer_client.post(MATCHING, data={**data, "action": "save"}).status_code == 302
    saved = question(app, "four-questions-objectives")
    assert [c["id"] for c in saved["choices"]] == ["contacts-levels", "renew-contract", "quarterly-reviews", "sponsor"]
    assert saved["choices"][3]["text"] == {"de": "Ein Pate", "en": "A sponsor"}


def test_numeric_answers_are_added_with_partial_credit_and_a_single_answer_stays_simple(
    app: Flask, trainer_client
) -> None:
    data = form_of(page_text(trainer_client.get(NUMERIC)))
    assert data["answers-0-value"] == "100000" and data["answers-1-percent"] == "50"
    page = page_text(trainer_client.post(NUMERIC, data={**data, "action": "add-answers"}))
    assert 'name="answers-2-low"' in page
    data = form_of(page) | {"answers-2-low": "90000", "answers-2-high": "99999,5", "answers-2-percent": "25"}
    data |= {"answers-2-feedback_de": "Knapp daneben.", "answers-2-feedback_en": "Close."}
    assert trainer_client.post(NUMERIC, data={**data, "action": "save"}).status_code == 302
    answers = question(app, "mandate-bonus-total")["answers"]
    assert answers[2] == {
        "min": 90000,
        "max": 99999.5,
        "percent": 25,
        "feedback": {"de": "Knapp daneben.", "en": "Close."},
    }

    url = f"/studio/files/{QUIZ}/questions/add"
    trainer_client.post(url, data={"type": "numeric", "base": str(newest(app, QUIZ)[0])})
    new = f"/studio/files/{QUIZ}/questions/question-1"
    data = form_of(page_text(trainer_client.get(new))) | {"answers-0-value": "0.125", "answers-0-tolerance": "0.01"}
    assert trainer_client.post(new, data={**data, "action": "save"}).status_code == 302
    saved = question(app, "question-1")
    assert saved["answer"] == 0.125 and saved["tolerance"] == 0.01 and "answers" not in saved
    assert 'value="0.125"' in page_text(trainer_client.get(new))  # shown as typed in English (no grouping)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"answers-1-low": "1"}, "Give a value or a range, not both."),
        ({"answers-1-value": ""}, "Enter a value, or both ends of a range."),
        ({"answers-1-value": "", "answers-1-low": "5", "answers-1-high": "4"}, "must not be below its start"),
        ({"answers-1-percent": "120"}, "Enter a credit from 0 to 100."),
        ({"answers-0-percent": "90"}, "At least one answer must give full credit"),
        ({"answers-1-tolerance": "-1"}, "The tolerance cannot be negative."),
        ({"answers-1-value": "viel"}, "Enter a number"),
        ({"answers-1-feedback_en": ""}, "Give this text in every language"),
    ],
)
def test_bad_numeric_answers_are_refused_at_the_field(app: Flask, trainer_client, changes, message) -> None:
    data = form_of(page_text(trainer_client.get(NUMERIC)))
    response = trainer_client.post(NUMERIC, data={**data, "explanation_en": "Kept text", "action": "save", **changes})
    assert response.status_code == 400 and message in page_text(response) and "Kept text" in page_text(response)
    assert newest(app, QUIZ)[0] == 1


def test_a_matching_question_needs_a_pair_and_texts_in_every_language(app: Flask, trainer_client) -> None:
    data = form_of(page_text(trainer_client.get(MATCHING)))
    response = trainer_client.post(MATCHING, data={**data, "pairs-2-answer_en": "", "action": "save"})
    assert response.status_code == 400 and "Enter a text in this language." in page_text(response)
    kept = {key: value for key, value in data.items() if not key.startswith("pairs-")}
    response = trainer_client.post(MATCHING, data={**kept, "action": "save"})
    assert response.status_code == 400 and "Give at least one pair." in page_text(response)
    assert newest(app, QUIZ)[0] == 1


# --- Quiz settings ---------------------------------------------------------------------------------------------

SETTINGS = f"/studio/files/{QUIZ}/settings"


def settings_of(app: Flask) -> dict:
    data = yaml.safe_load(newest(app, QUIZ)[2])
    return {key: value for key, value in data.items() if key != "questions"}


def settings_form_data(trainer_client) -> dict:
    page = page_text(trainer_client.get(f"/studio/files/{QUIZ}/questions"))
    form = page.split('id="quiz-settings"')[1].split("</form>")[0]
    return form_of(form)


def test_the_quiz_settings_round_trip_and_change_only_their_keys(app: Flask, trainer_client) -> None:
    before_text, before = newest(app, QUIZ)[2], settings_of(app)
    data = settings_form_data(trainer_client)
    assert data["pass_percent"] == str(before["pass_percent"]) and data["title_de"] == before["title"]["de"]
    assert trainer_client.post(SETTINGS, data=data).status_code == 302
    assert newest(app, QUIZ)[2] == before_text  # nothing changed: no new revision
    data |= {"title_en": "New title", "max_attempts": "3", "cooldown_minutes": "10", "draw": "4", "shuffle": ""}
    assert trainer_client.post(SETTINGS, data={k: v for k, v in data.items() if k != "shuffle"}).status_code == 302
    after = settings_of(app)
    assert after["title"]["en"] == "New title" and after["max_attempts"] == 3 and after["cooldown_minutes"] == 10
    assert after["draw"] == 4 and after["shuffle"] is False
    text = newest(app, QUIZ)[2]
    assert text.index("draw: 4") < text.index("questions:")  # new keys go before the questions
    assert yaml_questions(text) == yaml_questions(before_text)


def yaml_questions(text: str) -> list:
    return yaml.safe_load(text)["questions"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title_de": ""}, "Enter a text in this language."),
        ({"pass_percent": ""}, "Enter a whole number from 1 to 100."),
        ({"pass_percent": "101"}, "Enter a whole number from 1 to 100."),
        ({"max_attempts": "0"}, "Enter a whole number from 1 to 1000, or nothing."),
        ({"cooldown_minutes": "viel"}, "Enter a whole number of minutes"),
        ({"draw": "99"}, "The quiz has only 7 questions."),
        ({"intro_de": "Nur deutsch", "intro_en": ""}, "Give this text in every language"),
        ({"base": "0"}, "This form is out of date"),
    ],
)
def test_bad_quiz_settings_are_refused_at_the_field(app: Flask, trainer_client, changes, message) -> None:
    data = settings_form_data(trainer_client) | {"title_en": "Kept title", **changes}
    response = trainer_client.post(SETTINGS, data=data)
    assert response.status_code == 400 and message in page_text(response)
    assert "Kept title" in page_text(response) or changes.get("title_en") == ""
    assert newest(app, QUIZ)[0] == 1


def test_stale_quiz_settings_keep_the_entries_and_save_nothing(app: Flask, trainer_client) -> None:
    data = settings_form_data(trainer_client) | {"title_en": "Kept title"}
    trainer_client.post(f"/studio/files/{QUIZ}/questions/pay-depends-on/move", data={"direction": "up", "base": "1"})
    response = trainer_client.post(SETTINGS, data=data)
    assert response.status_code == 409 and "Kept title" in page_text(response)
    assert newest(app, QUIZ)[0] == 2


SINGLE = f"/studio/files/{QUIZ}/questions/pay-depends-on"
MULTIPLE = f"/studio/files/{QUIZ}/questions/good-objectives"
SHORTTEXT = f"/studio/files/{QUIZ}/questions/fourth-question"


def test_a_single_choice_option_gets_partial_credit_and_keeps_it_through_the_form(app: Flask, trainer_client) -> None:
    data = form_of(page_text(trainer_client.get(SINGLE)))
    assert data["options-1-percent"] == ""
    response = trainer_client.post(SINGLE, data={**data, "options-1-percent": "25", "action": "save"})
    assert response.status_code == 302, page_text(response)[:3000]
    saved = question(app, "pay-depends-on")
    assert saved["options"][1]["percent"] == 25 and "correct" not in saved["options"][1]
    assert form_of(page_text(trainer_client.get(SINGLE)))["options-1-percent"] == "25"
    assert "No problems found" in page_text(trainer_client.get(f"/studio/files/{QUIZ}/questions"))


def test_a_multiple_choice_question_is_scored_by_weights_given_instead_of_ticks(app: Flask, trainer_client) -> None:
    data = form_of(page_text(trainer_client.get(MULTIPLE)))
    weights = ["40", "30", "30", "-100", "-50", "0"]
    data = {key: value for key, value in data.items() if not key.endswith("-correct")}
    data |= {f"options-{index}-percent": weight for index, weight in enumerate(weights)}
    response = trainer_client.post(MULTIPLE, data={**data, "action": "save"})
    assert response.status_code == 302, page_text(response)[:3000]
    options = question(app, "good-objectives")["options"]
    assert [option["percent"] for option in options] == [40, 30, 30, -100, -50, 0]
    assert not any("correct" in option for option in options)
    assert "No problems found" in page_text(trainer_client.get(f"/studio/files/{QUIZ}/questions"))


@pytest.mark.parametrize(
    ("url", "changes", "message"),
    [
        (SINGLE, {"options-0-percent": "50"}, "The right answer earns all the points: leave this empty."),
        (SINGLE, {"options-1-percent": "100"}, "Enter a credit from 0 to below 100."),
        (SINGLE, {"options-1-percent": "-5"}, "Enter a credit from 0 to below 100."),
        (SINGLE, {"options-1-percent": "halb"}, "Enter a number"),
        (MULTIPLE, {"options-0-percent": "50"}, "With weights, leave the ticks out: the weights decide."),
    ],
)
def test_bad_option_credit_is_refused_at_the_field(app: Flask, trainer_client, url: str, changes, message) -> None:
    data = form_of(page_text(trainer_client.get(url)))
    response = trainer_client.post(url, data={**data, "explanation_en": "Kept text", "action": "save", **changes})
    assert response.status_code == 400 and message in page_text(response) and "Kept text" in page_text(response)
    assert newest(app, QUIZ)[0] == 1


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (["50", "30", "", "-100", "0", "0"], "With weights, every option needs one (0 for neutral)."),
        (["50", "30", "10", "-100", "0", "0"], "The positive weights add up to 90 percent; they must add up to 100."),
        (["50", "50", "0", "-150", "0", "0"], "Enter a weight from -100 to 100."),
    ],
)
def test_bad_weights_are_refused_with_the_reason(app: Flask, trainer_client, weights: list[str], message: str) -> None:
    data = form_of(page_text(trainer_client.get(MULTIPLE)))
    data = {key: value for key, value in data.items() if not key.endswith("-correct")}
    data |= {f"options-{index}-percent": weight for index, weight in enumerate(weights)}
    response = trainer_client.post(MULTIPLE, data={**data, "action": "save"})
    assert response.status_code == 400 and message in page_text(response)
    assert newest(app, QUIZ)[0] == 1


def test_a_short_text_question_with_answers_of_their_own_credit_is_edited_as_yaml(app: Flask, trainer_client) -> None:
    data = quiz_data(app)
    short = next(q for q in data["questions"] if q["id"] == "fourth-question")
    accept = short.pop("accept")
    short["answers"] = [{"accept": accept}, {"accept": {"de": ["Hilfe"], "en": ["help"]}, "percent": 50}]
    saved = edit(trainer_client, QUIZ, dump_yaml(data), newest(app, QUIZ)[0], "save")
    assert saved.status_code == 302, page_text(saved)[:2000]
    response = trainer_client.get(SHORTTEXT)
    assert response.status_code == 302 and "view=text" in response.headers["Location"]
    assert "This question is edited as YAML." in page_text(trainer_client.get(response.headers["Location"]))


# --- Essays, and questions asked in every attempt ---------------------------------------------------------------

PLAN_QUIZ = "quizzes/kam-pay/designing-a-kam-bonus-plan-quiz.yml"
ESSAY = f"/studio/files/{PLAN_QUIZ}/questions/justify-a-better-plan"


def plan_question(app: Flask, question_id: str) -> dict:
    return next(q for q in yaml.safe_load(newest(app, PLAN_QUIZ)[2])["questions"] if q["id"] == question_id)


def test_an_essay_round_trips_through_its_form_with_its_rubric_limit_and_always(app: Flask, trainer_client) -> None:
    before = plan_question(app, "justify-a-better-plan")
    page = page_text(trainer_client.get(ESSAY))
    assert "Only trainers see it" in page and 'name="rubric_de"' in page and 'name="max_chars" ' in page
    assert re.search(r'<input checked[^>]*name="always"|<input[^>]*name="always"[^>]*checked', page)
    response = trainer_client.post(ESSAY, data={**form_of(page), "action": "save"})
    assert response.status_code == 302, page_text(response)[:3000]
    assert plan_question(app, "justify-a-better-plan") == before


def test_an_essays_limit_takes_separators_and_an_empty_rubric_and_always_are_left_out(
    app: Flask, trainer_client
) -> None:
    data = form_of(page_text(trainer_client.get(ESSAY))) | {"max_chars": "2.000", "rubric_de": "", "rubric_en": ""}
    data.pop("always")
    response = trainer_client.post(ESSAY, data={**data, "action": "save"})
    assert response.status_code == 302, page_text(response)[:3000]
    saved = plan_question(app, "justify-a-better-plan")
    assert saved["max_chars"] == 2000 and "rubric" not in saved and "always" not in saved


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"max_chars": "20"}, "Enter a whole number from 50 to 20000."),
        ({"max_chars": "viel"}, "Enter a whole number from 50 to 20000."),
        ({"max_chars": "1.500,5"}, "Enter a whole number from 50 to 20000."),
        ({"rubric_en": ""}, "Give this text in every language, or leave it empty in all."),
    ],
)
def test_bad_essay_settings_are_refused_at_the_field(app: Flask, trainer_client, changes, message) -> None:
    data = form_of(page_text(trainer_client.get(ESSAY))) | changes | {"text_en": "Typed, not lost"}
    response = trainer_client.post(ESSAY, data={**data, "action": "save"})
    assert response.status_code == 400 and message in page_text(response) and "Typed, not lost" in page_text(response)
    assert newest(app, PLAN_QUIZ)[0] == 1


def test_a_new_essay_question_opens_in_its_form(app: Flask, trainer_client) -> None:
    response = trainer_client.post(f"/studio/files/{PLAN_QUIZ}/questions/add", data={"type": "essay", "base": "1"})
    assert response.status_code == 302 and "/questions/question-" in response.headers["Location"]
    assert 'name="rubric_en"' in page_text(trainer_client.get(response.headers["Location"]))
