"""Reading a CSV file of people to invite: what spreadsheets write is read, every bad row is named with its line."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course.core.user_import import (
    MAX_ROWS,
    ParsedImport,
    Person,
    check_person,
    read_people,
    with_taken,
    with_unknown_groups,
)

ROLES = ("learner", "trainer", "admin")
LANGUAGES = ("de", "en")


def read(data: bytes | str, **options: object) -> ParsedImport:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return read_people(raw, roles=ROLES, languages=LANGUAGES, default_language="de", **options)


def problems(parsed: ParsedImport) -> list[str]:
    return [str(problem) for problem in parsed.problems]


def test_a_plain_file_gives_one_person_per_row_with_defaults() -> None:
    parsed = read("email,name,role,language\nAnna@Example.org, Anna Schmidt ,trainer,en\nben@example.org,,,\n")
    assert parsed.ok
    assert parsed.people == (
        Person(2, "anna@example.org", "Anna Schmidt", "trainer", "en"),
        Person(3, "ben@example.org", "ben", "learner", "de"),
    )


def test_semicolons_a_bom_windows_line_ends_and_german_headers_are_read() -> None:
    data = "\ufeffE-Mail;Name;Rolle;Sprache\r\nanna@example.org;Schmidt, Anna;Trainerin;Englisch\r\n"
    parsed = read(data.encode("utf-8"))
    assert problems(parsed) == []
    assert parsed.people == (Person(2, "anna@example.org", "Schmidt, Anna", "trainer", "en"),)


@pytest.mark.parametrize("header", ["EMAIL", "Email Address", "Email_Address", " email ", "E-Mail-Adresse"])
def test_column_names_are_matched_case_insensitively(header: str) -> None:
    assert read(f"{header}\nanna@example.org\n").people[0].email == "anna@example.org"


def test_only_the_email_column_is_required_and_columns_may_come_in_any_order() -> None:
    parsed = read("language,email\nen,anna@example.org\n")
    assert parsed.people == (Person(2, "anna@example.org", "anna", "learner", "en"),)


def test_trailing_empty_cells_and_blank_lines_are_ignored() -> None:
    parsed = read("email;name;;\n\nanna@example.org;Anna;;\n;;;\n")
    assert problems(parsed) == []
    assert [person.line for person in parsed.people] == [3]


def test_a_quoted_cell_may_hold_the_delimiter() -> None:
    assert read('email,name\nanna@example.org,"Schmidt, Anna"\n').people[0].name == "Schmidt, Anna"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\xef\xbb\xbf\r\n\r\n", "The file is empty."),
        (b"email\n", "The file names the columns but lists nobody."),
        (
            b"name,role\nAnna,learner\n",
            "The first row must name the columns: email (required), name, role, language and group (in German: E-Mail,"
            " Name, Rolle, Sprache, Gruppe). Found: name, role.",
        ),
        (b"anna@example.org\nben@example.org\n", "Found: anna@example.org."),
        (b"email,colour\na@example.org,red\n", "Found: email, colour."),
        (b"email,E-Mail\na@example.org,b@example.org\n", "Found: email, E-Mail."),
        (b"email,,name\na@example.org,,A\n", "The first row must name the columns"),
        ("email\nmüller@example.org\n".encode("cp1252"), "The file is not UTF-8 text (byte 7 cannot be read)."),
        ("email\n".encode("utf-16"), "The file is saved as UTF-16."),
        (b"PK\x03\x04\x14\x00\x06\x00", "This is a spreadsheet workbook, not a CSV file."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not a text file."),
        (b"email\n" + b"x" * 200_000 + b"\n", "Line 2 cannot be read as CSV"),
    ],
)
def test_a_file_that_cannot_be_read_gets_one_clear_message(data: bytes, message: str) -> None:
    parsed = read(data)
    assert parsed.people == ()
    assert len(parsed.problems) == 1
    assert parsed.problems[0].line in (None, 2)
    assert message in str(parsed.problems[0])


def test_every_bad_row_is_reported_with_its_line() -> None:
    data = (
        "email;name;role;language\n"
        "anna@example.org;Anna;learner;de\n"  # 2: fine
        "not-an-address;Ben;learner;de\n"  # 3
        ";Carl;learner;de\n"  # 4
        "dora@example.org;Dora;boss;de\n"  # 5
        "emil@example.org;Emil;learner;fr\n"  # 6
        "ANNA@example.org;Anna again;learner;de\n"  # 7: duplicate of 2
        "fritz@example.org;Fritz;learner;de;extra\n"  # 8
        f"gina@example.org;{'G' * 121};learner;de\n"  # 9
        f"{'h' * 250}@example.org;Hans;learner;de\n"  # 10
        "ida@example.org;I\u200bda;learner;de\n"  # 11
        'jan@example.org;"Jan\nJansen";learner;de\n'  # 12-13: a line break inside a name
        "kai@example.org;Kai;learner;de\n"  # 14: fine
    )
    parsed = read(data)
    assert not parsed.ok
    assert problems(parsed) == [
        "line 3: “not-an-address” is not a valid email address.",
        "line 4: The email address is missing.",
        "line 5: Unknown role “boss”: use one of learner, trainer, admin.",
        "line 6: Unknown language “fr”: use one of de, en.",
        "line 7: anna@example.org is in the file twice: on line 2 and on line 7.",
        "line 8: This row has 5 cells, but the first row names only 4 columns.",
        "line 9: The name is longer than 120 characters.",
        "line 10: The email address is longer than 254 characters.",
        "line 11: The column “name” contains invisible control characters.",
        "line 12: The column “name” contains invisible control characters.",
    ]
    assert [person.line for person in parsed.people] == [2, 14]


def test_one_row_with_several_problems_reports_each() -> None:
    assert problems(read("email,role,language\nnope,king,xx\n")) == [
        "line 2: “nope” is not a valid email address.",
        "line 2: Unknown role “king”: use one of learner, trainer, admin.",
        "line 2: Unknown language “xx”: use one of de, en.",
    ]


def test_a_file_with_too_many_rows_is_refused_quickly_without_reading_them_all() -> None:
    data = ("email\n" + "".join(f"p{n}@x.de\n" for n in range(100_000))).encode()
    started = time.perf_counter()
    parsed = read(data)
    assert time.perf_counter() - started < 1.0
    assert problems(parsed) == [
        f"The file lists more than {MAX_ROWS} people. Split it into files of at most {MAX_ROWS} rows."
    ]


def test_exactly_the_maximum_number_of_rows_is_accepted() -> None:
    data = "email\n" + "".join(f"person{n}@example.org\n" for n in range(3))
    assert len(read(data, max_rows=3).people) == 3
    assert read(data + "one.more@example.org\n", max_rows=3).people == ()


def test_a_file_over_the_byte_limit_is_refused() -> None:
    assert "The file is too large" in problems(read(b"email\n" + b" " * (3 * 1024 * 1024)))[0]


def test_addresses_that_have_accounts_are_added_as_problems_in_line_order() -> None:
    parsed = read("email\nanna@example.org\nnope\nben@example.org\n")
    checked = with_taken(parsed, {"ben@example.org"})
    assert problems(checked) == [
        "line 3: “nope” is not a valid email address.",
        "line 4: ben@example.org already has an account.",
    ]


def test_check_person_is_the_rule_for_one_person() -> None:
    rules = {"roles": ROLES, "languages": LANGUAGES, "default_language": "en"}
    assert check_person(" Anna@Example.org ", "", "", "", **rules) == Person(
        0, "anna@example.org", "anna", "learner", "en"
    )
    found = check_person("anna@example.org", "A\x07", "", "", **rules)
    assert [str(problem) for problem in found] == ["The name contains invisible control characters."]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_is_read_or_refused_without_raising(text: str) -> None:
    for data in (text, "email,name,role,language\n" + text, "email;name\n" + text):
        parsed = read(data.encode("utf-8", "surrogatepass"))
        assert isinstance(parsed, ParsedImport)
        for problem in parsed.problems:
            assert str(problem)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_are_read_or_refused_without_raising(data: bytes) -> None:
    parsed = read(b"email\n" + data)
    assert all(str(problem) for problem in parsed.problems)


# --- the group column -----------------------------------------------------------------------------------------------


def test_a_group_column_names_the_groups_each_person_joins() -> None:
    parsed = read("E-Mail;Gruppe\nanna@example.org; KAM team  DACH | Key accounts |KAM team DACH\nben@example.org;\n")
    assert parsed.ok
    assert [person.groups for person in parsed.people] == [("KAM team DACH", "Key accounts"), ()]


def test_a_group_name_longer_than_a_group_may_be_is_refused_with_its_line() -> None:
    parsed = read(f"email,group\nanna@example.org,{'x' * 81}\n")
    assert problems(parsed) == [f"line 2: The group name “{'x' * 40}…” is longer than 80 characters."]


def test_groups_that_do_not_exist_are_problems_on_their_lines() -> None:
    parsed = read("email,group\nanna@example.org,KAM team|Nobody's team\nben@example.org,KAM team\n")
    checked = with_unknown_groups(parsed, {"Nobody's team"})
    assert problems(checked) == [
        "line 2: There is no group “Nobody's team”. Create it on the Groups page first, or correct the name."
    ]
    assert not checked.ok
