"""The password policy (course/core/passwords.py): each reason for a refusal, the personal words, and that no
text whatever makes it fail."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course.core.passwords import MAX_LENGTH, PasswordProblem, password_problem, personal_words

MIN = 15
ANA = tuple(personal_words("Ana Ćosić", "ana.cosic@example.org", "KAM course"))


@pytest.mark.parametrize(
    ("password", "min_length", "context", "code"),
    [
        ("short", MIN, (), "too_short"),
        ("p" * (MAX_LENGTH + 1), MIN, (), "too_long"),
        ("anacosicexample", MIN, ANA, "personal"),
        ("Ana Ćosić KAM course", MIN, ANA, "personal"),
        ("password1234567", MIN, (), "common"),
        ("sunflowerrainbow", MIN, (), "common"),
        ("passwordpassword", MIN, (), "repeats"),
        ("aaaaaaaaaaaaaaaaaa", MIN, (), "repeats"),
        ("abcdefghijklmnopq", MIN, (), "sequence"),
        ("zxcvbnm,./asdfghj", MIN, (), "keyboard"),
        ("19901991", 8, (), "dates"),  # a shorter minimum: at 15 characters dates are long enough to pass
        ("the information", MIN, (), "words"),
        ("Kq8#zT", 6, (), "guessable"),  # nothing zxcvbn recognises, just too few guesses
    ],
)
def test_each_refusal_names_the_weakest_part(password: str, min_length: int, context: tuple, code: str) -> None:
    problem = password_problem(password, min_length, context)
    assert problem is not None and problem.code == code


def test_the_length_refusals_carry_their_limit() -> None:
    assert password_problem("short", MIN) == PasswordProblem("too_short", MIN)
    assert password_problem("p" * 300, MIN) == PasswordProblem("too_long", MAX_LENGTH)


@pytest.mark.parametrize(
    "password",
    ["correct horse battery", "zebra Giraffe Kiosk 42", "Tr0ub4dor&3Tr0ub4dor", "ö" * 3 + "Kiosk zebra giraffe"],
)
def test_long_unguessable_passwords_pass(password: str) -> None:
    assert password_problem(password, MIN, ANA) is None


def test_a_password_is_judged_by_its_first_part_but_may_be_long() -> None:
    assert password_problem("correct horse battery " + "x" * 200, MIN) is None
    assert password_problem("x" * MAX_LENGTH, MIN) is not None  # long, but one repeated character


def test_personal_words_are_the_lowercased_words_of_three_letters_or_more() -> None:
    assert personal_words("Ana Ćosić", "ana.cosic@example.org", "KAM course", "http://127.0.0.1:5000") == [
        "127",
        "5000",
        "ana",
        "cosic",
        "course",
        "example",
        "http",
        "kam",
        "org",
        "ćosić",
    ]
    assert personal_words("", "Al", "x_y") == []


def test_a_password_barely_touching_a_personal_word_is_judged_on_its_own() -> None:
    assert password_problem("ana paints zebra kiosks", MIN, ANA) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400), st.lists(st.text(max_size=30), max_size=4))
def test_any_text_gets_an_answer_and_never_an_error(password: str, texts: list[str]) -> None:
    problem = password_problem(password, MIN, tuple(personal_words(*texts)))
    assert problem is None or problem.code in {
        "too_short",
        "too_long",
        "personal",
        "common",
        "repeats",
        "sequence",
        "keyboard",
        "dates",
        "words",
        "guessable",
    }


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 64).flatmap(lambda minimum: st.tuples(st.just(minimum), st.text(max_size=minimum - 1))))
def test_anything_shorter_than_the_minimum_is_too_short(case: tuple[int, str]) -> None:
    minimum, password = case
    assert password_problem(password, minimum, ANA) == PasswordProblem("too_short", minimum)
