"""Every question type of the core can be drawn as a form field and reviewed (docs/architecture.md, "Registries"),
and a saved answer keeps its fields as the form's response or its mark changes."""

from __future__ import annotations

import dataclasses

import pytest
from werkzeug.datastructures import MultiDict

from course.core.quiz import AnswerError, QuestionType, register, type_names
from course.core.quiz.types import unregister
from course.quiz.fields import check_field_builders, read_form_value
from course.quiz.operations import SavedAnswer


def test_every_type_has_an_input_and_a_review_macro(app) -> None:
    with app.test_request_context():
        widgets = app.jinja_env.get_template("quiz/fields.html").module
    for name in type_names():
        assert callable(getattr(widgets, name, None)), name
        assert callable(getattr(widgets, f"review_{name}", None)), name


def test_start_up_refuses_a_type_without_a_form_field() -> None:
    @register
    class Drawing(QuestionType):
        name = "drawing"

    try:
        with pytest.raises(RuntimeError, match="question types without a form field: drawing"):
            check_field_builders()
    finally:
        unregister("drawing")
    check_field_builders()


@pytest.mark.parametrize(
    ("kind", "form", "value"),
    [
        ("single", {"q1": "2"}, "2"),
        ("single", {}, None),
        ("multiple", MultiDict([("q1", "0"), ("q1", "2")]), ["0", "2"]),
        ("matching", {"q1.0": "3", "q1.1": "", "q2.0": "1"}, {"0": "3", "1": ""}),
        ("ordering", {"q1.0": "2", "q1.1": "3", "q1.2": "1"}, ["2", "0", "1"]),
        ("ordering", {"q1.0": "", "q1.1": ""}, None),
        ("numeric", {"q1": "6.000,50"}, "6.000,50"),
    ],
)
def test_form_fields_become_the_api_value(kind: str, form, value: object) -> None:
    assert read_form_value(MultiDict(form), kind, "q1") == value


@pytest.mark.parametrize(
    ("kind", "form", "message"),
    [
        ("single", MultiDict([("q1", "0"), ("q1", "1")]), "The answer was sent more than once."),
        ("ordering", {"q1.0": "1", "q1.1": "1"}, "Give every item a different position."),
        ("ordering", {"q1.0": "1", "q1.1": ""}, "Give every item a position."),
        ("ordering", {"q1.0": "1", "q1.1": "5"}, "Give every item a different position."),
        ("shorttext", MultiDict([("q1", "a"), ("q1", "b")]), "The answer was sent more than once."),
    ],
)
def test_unreadable_form_fields_name_the_problem(kind: str, form, message: str) -> None:
    with pytest.raises(AnswerError) as caught:
        read_form_value(MultiDict(form), kind, "q1")
    assert caught.value.message == message


def test_a_saved_answer_answered_or_marked_keeps_every_other_field() -> None:
    """`answered` and `marked` stand in for `dataclasses.replace`: a field added later must be passed on too."""
    every = {field.name: f"value of {field.name}" for field in dataclasses.fields(SavedAnswer)}
    saved = SavedAnswer(**every)
    assert saved.answered(["b"]) == dataclasses.replace(saved, response=["b"])
    assert saved.marked(0.5) == dataclasses.replace(saved, mark=0.5)
