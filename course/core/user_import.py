"""Reading a CSV file of people to invite: every bad row found at once, with its line and what is wrong.

An admin exports the list from a spreadsheet, so the reader accepts what spreadsheets write: a comma or a
semicolon (German Excel) between cells, UTF-8 with or without a byte-order mark, Windows line ends, English or
German column names in any case, trailing empty cells. Anything else (another encoding, a workbook instead of a
CSV, a row that cannot be an account) is reported, never guessed at: the import is all or nothing, so the
admin fixes the file and uploads it again. Whether an address already has an account is the database's
question; `with_taken` adds those problems once the caller has asked it.

Messages are English templates with %(name)s placeholders (marked with N_): the web layer translates them,
the command line prints them as they are.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from email_validator import EmailNotValidError, validate_email

from course.core.errors import N_

MAX_ROWS = 2000  # people per upload; a bigger list goes in several files
MAX_BYTES = 2 * 1024 * 1024  # 2,000 rows of the longest valid cells fit in well under 1 MB
EMAIL_MAX = 254
NAME_MAX = 120
GROUP_NAME_MAX = 80
GROUP_SEPARATOR = "|"  # between several groups in one cell (a comma or semicolon may separate the cells)
COLUMNS = ("email", "name", "role", "language", "groups")
# Column names as people write them (compared case-insensitively, spaces and underscores alike).
HEADER_NAMES = {
    "email": "email",
    "e-mail": "email",
    "mail": "email",
    "email address": "email",
    "e-mail address": "email",
    "e-mail-adresse": "email",
    "emailadresse": "email",
    "name": "name",
    "display name": "name",
    "anzeigename": "name",
    "role": "role",
    "rolle": "role",
    "language": "language",
    "lang": "language",
    "sprache": "language",
    "group": "groups",
    "groups": "groups",
    "gruppe": "groups",
    "gruppen": "groups",
    "team": "groups",
}
# Values as people write them, besides the codes themselves (compared case-insensitively).
ROLE_NAMES = {
    "teilnehmer": "learner",
    "teilnehmerin": "learner",
    "lernende": "learner",
    "lernender": "learner",
    "trainerin": "trainer",
    "administrator": "admin",
    "administratorin": "admin",
    "managerin": "manager",
    "führungskraft": "manager",
}
LANGUAGE_NAMES = {"deutsch": "de", "german": "de", "englisch": "en", "english": "en"}


@dataclass(frozen=True)
class Person:
    """One row that can become an invited account."""

    line: int
    email: str  # normalised: stripped, lower case
    name: str
    role: str
    language: str
    groups: tuple[str, ...] = ()  # names of existing groups to join, as written (spaces tidied)


@dataclass(frozen=True)
class Problem:
    """What is wrong, where: `line` None means the file as a whole."""

    line: int | None
    message: str  # an English template (N_) with %(name)s placeholders
    params: dict[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        text = self.message % self.params if self.params else self.message
        return text if self.line is None else f"line {self.line}: {text}"


@dataclass(frozen=True)
class ParsedImport:
    people: tuple[Person, ...] = ()
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        """Nothing wrong and someone to invite: the import may go ahead."""
        return not self.problems and bool(self.people)


def decode(data: bytes) -> str | Problem:
    """The file as text, or why it cannot be read as a UTF-8 CSV file."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Problem(None, N_("The file is saved as UTF-16. Save it as “CSV UTF-8” and upload it again."))
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        return Problem(
            None, N_("This is a spreadsheet workbook, not a CSV file. Save it as “CSV UTF-8” and upload it again.")
        )
    if b"\x00" in data:
        return Problem(None, N_("This is not a text file. Upload a CSV file saved as UTF-8."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return Problem(
            None,
            N_(
                "The file is not UTF-8 text (byte %(byte)d cannot be read). Save it as “CSV UTF-8” and upload it again."
            ),
            {"byte": error.start},
        )


def sniff_delimiter(text: str) -> str:
    """A semicolon when the first line has more of them than commas (German spreadsheets), else a comma."""
    first = text.split("\n", 1)[0]
    return ";" if first.count(";") > first.count(",") else ","


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(first line, cells) of each non-blank record; a record may span lines inside quotes."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise _Unreadable(reader.line_num or line) from None
        if any(cell.strip() for cell in row):
            yield line, row
        line = reader.line_num + 1


class _Unreadable(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _header_key(cell: str) -> str:
    return " ".join(cell.replace("_", " ").split()).casefold()


@dataclass(frozen=True)
class _Header:
    columns: tuple[str, ...]  # the column each cell names (one of COLUMNS)
    names: tuple[str, ...]  # the cells as written, for messages


def _header(cells: list[str], header_names: Mapping[str, str] = HEADER_NAMES) -> _Header | None:
    """What the header row names, or None if it is not one of ours (trailing empty cells are left out)."""
    while cells and not cells[-1].strip():
        cells = cells[:-1]
    columns = tuple(header_names.get(_header_key(cell), "") for cell in cells)
    if "email" not in columns or "" in columns or len(set(columns)) != len(columns):
        return None
    return _Header(columns, tuple(cell.strip() for cell in cells))


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in {"Cc", "Cf"} for ch in text)


def _valid_email(email: str) -> bool:
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


@dataclass(frozen=True)
class Table:
    """A CSV file's header and its non-blank rows, as `read_table` found them."""

    header: _Header
    rows: list[tuple[int, list[str]]]


def read_table(
    data: bytes,
    *,
    header_names: Mapping[str, str],
    header_message: str,
    max_rows: int,
) -> Table | Problem:
    """The header and rows of a spreadsheet's CSV file (what every CSV upload shares), or the one problem that
    stops it being read: too large, not UTF-8 text, no header naming an "email" column with `header_names`
    (`header_message` with %(found)s), more than `max_rows` people (reading stops there), a broken quote, or
    nobody listed."""
    if len(data) > MAX_BYTES:
        return Problem(None, N_("The file is too large: at most %(limit)d KB."), {"limit": MAX_BYTES // 1024})
    text = decode(data)
    if isinstance(text, Problem):
        return text
    records = _records(text, sniff_delimiter(text))
    try:
        first = next(records, None)
        if first is None:
            return Problem(None, N_("The file is empty."))
        header = _header(first[1], header_names)
        if header is None:
            found = ", ".join(cell.strip() for cell in first[1] if cell.strip())
            return Problem(None, header_message, {"found": found[:200]})
        rows: list[tuple[int, list[str]]] = []
        for record in records:
            rows.append(record)
            if len(rows) > max_rows:
                return Problem(
                    None,
                    N_("The file lists more than %(max)d people. Split it into files of at most %(max)d rows."),
                    {"max": max_rows},
                )
    except _Unreadable as error:
        return Problem(
            None,
            N_("Line %(line)d cannot be read as CSV: a cell is far too long or a quote is not closed."),
            {"line": error.line},
        )
    if not rows:
        return Problem(None, N_("The file names the columns but lists nobody."))
    return Table(header, rows)


def extra_cells(line: int, cells: list[str], header: _Header) -> Problem | None:
    """A problem when a row has non-empty cells beyond the columns the header names."""
    if any(cell.strip() for cell in cells[len(header.columns) :]):
        return Problem(
            line,
            N_("This row has %(cells)d cells, but the first row names only %(columns)d columns."),
            {"cells": len(cells), "columns": len(header.columns)},
        )
    return None


def has_control(text: str) -> bool:
    """Whether the text holds invisible control or format characters (never in a real cell)."""
    return _has_control(text)


def read_people(
    data: bytes,
    *,
    roles: Sequence[str],
    languages: Sequence[str],
    default_language: str,
    max_rows: int = MAX_ROWS,
) -> ParsedImport:
    """The people in a CSV file (a header row, then one person per row) and every problem found.

    Stops reading as soon as the file has more than `max_rows` people: such a file is refused as a whole.
    """
    table = read_table(
        data,
        header_names=HEADER_NAMES,
        header_message=N_(
            "The first row must name the columns: email (required), name, role, language and group (in German:"
            " E-Mail, Name, Rolle, Sprache, Gruppe). Found: %(found)s."
        ),
        max_rows=max_rows,
    )
    if isinstance(table, Problem):
        return ParsedImport((), (table,))
    rules = _Rules(tuple(roles), tuple(languages), default_language)
    return _check_rows(table.rows, table.header, rules)


@dataclass(frozen=True)
class _Rules:
    roles: tuple[str, ...]
    languages: tuple[str, ...]
    default_language: str


def _check_rows(rows: list[tuple[int, list[str]]], header: _Header, rules: _Rules) -> ParsedImport:
    people: list[Person] = []
    problems: list[Problem] = []
    first_line: dict[str, int] = {}
    for line, cells in rows:
        found = _check_row(line, cells, header, rules)
        if not isinstance(found, Person):
            problems.extend(found)
        elif repeated := seen_before(line, found.email, first_line):
            problems.append(repeated)
        else:
            people.append(found)
    return ParsedImport(tuple(people), tuple(problems))


def seen_before(line: int, email: str, first_line: dict[str, int]) -> Problem | None:
    """The problem when `email` came up on an earlier line of the file; else None, and the line is remembered."""
    if email in first_line:
        return Problem(
            line,
            N_("%(email)s is in the file twice: on line %(first)d and on line %(line)d."),
            {"email": email, "first": first_line[email], "line": line},
        )
    first_line[email] = line
    return None


def _check_row(line: int, cells: list[str], header: _Header, rules: _Rules) -> Person | list[Problem]:
    """A person, or every problem of the row."""
    extra = extra_cells(line, cells, header)
    if extra is not None:
        return [extra]
    values = dict(zip(header.columns, (cell.strip() for cell in cells), strict=False))
    names = dict(zip(header.columns, header.names, strict=True))
    problems = [
        Problem(line, N_("The column “%(column)s” contains invisible control characters."), {"column": names[column]})
        for column in header.columns
        if _has_control(values.get(column, ""))
    ]
    if problems:
        return problems
    groups = group_names(values.get("groups", ""))
    person = check_person(
        values.get("email", ""),
        values.get("name", ""),
        values.get("role", ""),
        values.get("language", ""),
        roles=rules.roles,
        languages=rules.languages,
        default_language=rules.default_language,
        line=line,
    )
    too_long = [
        Problem(
            line,
            N_("The group name “%(group)s…” is longer than %(max)d characters."),
            {"group": name[:40], "max": GROUP_NAME_MAX},
        )
        for name in groups
        if len(name) > GROUP_NAME_MAX
    ]
    if too_long:
        return [*too_long, *(person if isinstance(person, list) else [])]
    return replace(person, groups=groups) if isinstance(person, Person) else person


def group_names(cell: str) -> tuple[str, ...]:
    """The groups a cell names ("KAM team DACH | Key accounts"), spaces tidied, each once, in order."""
    names = (" ".join(part.split()) for part in cell.split(GROUP_SEPARATOR))
    return tuple(dict.fromkeys(name for name in names if name))


def check_person(
    email: str,
    name: str,
    role: str,
    language: str,
    *,
    roles: Sequence[str],
    languages: Sequence[str],
    default_language: str,
    line: int | None = None,
) -> Person | list[Problem]:
    """One person to invite (empty role: learner, empty language: the default), or every problem with them."""
    problems = []
    if _has_control(email):
        problems.append(Problem(line, N_("The email address contains invisible control characters.")))
    if _has_control(name):
        problems.append(Problem(line, N_("The name contains invisible control characters.")))
    email = email.strip().lower()
    name = name.strip()
    role_text = role.strip().lower()
    role = ROLE_NAMES.get(role_text, role_text) or "learner"
    language_text = language.strip().lower()
    language = LANGUAGE_NAMES.get(language_text, language_text) or default_language
    if not email:
        problems.append(Problem(line, N_("The email address is missing.")))
    elif len(email) > EMAIL_MAX:
        problems.append(Problem(line, N_("The email address is longer than %(max)d characters."), {"max": EMAIL_MAX}))
    elif not problems and not _valid_email(email):
        problems.append(Problem(line, N_("“%(email)s” is not a valid email address."), {"email": email}))
    if len(name) > NAME_MAX:
        problems.append(Problem(line, N_("The name is longer than %(max)d characters."), {"max": NAME_MAX}))
    if role not in roles:
        problems.append(
            Problem(
                line,
                N_("Unknown role “%(role)s”: use one of %(roles)s."),
                {"role": role_text[:40], "roles": ", ".join(roles)},
            )
        )
    if language not in languages:
        problems.append(
            Problem(
                line,
                N_("Unknown language “%(language)s”: use one of %(languages)s."),
                {"language": language_text[:40], "languages": ", ".join(languages)},
            )
        )
    if problems:
        return problems
    return Person(line or 0, email, name or email.split("@")[0], role, language)


def with_taken(parsed: ParsedImport, taken: Collection[str]) -> ParsedImport:
    """`parsed` with a problem for every person whose address already has an account; problems in line order."""
    problems = list(parsed.problems)
    problems.extend(taken_problem(person) for person in parsed.people if person.email in taken)
    problems.sort(key=lambda problem: problem.line or 0)
    return ParsedImport(parsed.people, tuple(problems))


def taken_problem(person: Person) -> Problem:
    return Problem(person.line, N_("%(email)s already has an account."), {"email": person.email})


def with_unknown_groups(parsed: ParsedImport, unknown: Collection[str]) -> ParsedImport:
    """`parsed` with a problem for every group a person should join that does not exist (names as written in
    `unknown`); the import stays all or nothing, so nobody is invited into half of their groups."""
    problems = list(parsed.problems)
    problems.extend(
        Problem(
            person.line,
            N_("There is no group “%(group)s”. Create it on the Groups page first, or correct the name."),
            {"group": name},
        )
        for person in parsed.people
        for name in person.groups
        if name in unknown
    )
    problems.sort(key=lambda problem: problem.line or 0)
    return ParsedImport(parsed.people, tuple(problems))
