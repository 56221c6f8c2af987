"""Reading a CSV file of people to add to a group: the same spreadsheet-friendly reading as the account import
(course/core/user_import.py `read_table`), with the columns email and an optional role in the group.

Every bad row is reported with its line; whether an address has an account or is in the group already is the
database's question (`with_known`). Messages are English templates (N_) the web layer translates.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from course.core.errors import N_
from course.core.user_import import EMAIL_MAX, MAX_ROWS, Problem, extra_cells, has_control, read_table, seen_before

HEADER_NAMES = {
    "email": "email",
    "e-mail": "email",
    "mail": "email",
    "email address": "email",
    "e-mail address": "email",
    "e-mail-adresse": "email",
    "emailadresse": "email",
    "role in group": "role",
    "group role": "role",
    "role": "role",
    "rolle": "role",
    "rolle in der gruppe": "role",
}
# Values as people write them, besides the codes themselves (compared case-insensitively).
ROLE_NAMES = {
    "mitglied": "member",
    "teilnehmer": "member",
    "teilnehmerin": "member",
    "learner": "member",
    "trainerin": "trainer",
    "managerin": "manager",
    "führungskraft": "manager",
}


@dataclass(frozen=True)
class Member:
    line: int
    email: str  # stripped, lower case
    role: str  # one of the group roles


@dataclass(frozen=True)
class ParsedMembers:
    members: tuple[Member, ...] = ()
    problems: tuple[Problem, ...] = ()


def read_members(data: bytes, *, roles: Sequence[str], max_rows: int = MAX_ROWS) -> ParsedMembers:
    """The people a CSV file adds to a group (empty role: the first of `roles`) and every problem found."""
    table = read_table(
        data,
        header_names=HEADER_NAMES,
        header_message=N_(
            "The first row must name the columns: email (required) and role_in_group (in German: E-Mail, Rolle)."
            " Found: %(found)s."
        ),
        max_rows=max_rows,
    )
    if isinstance(table, Problem):
        return ParsedMembers((), (table,))
    members: list[Member] = []
    problems: list[Problem] = []
    first_line: dict[str, int] = {}
    for line, cells in table.rows:
        extra = extra_cells(line, cells, table.header)
        if extra is not None:
            problems.append(extra)
            continue
        values = dict(zip(table.header.columns, (cell.strip() for cell in cells), strict=False))
        found = _check(line, values.get("email", ""), values.get("role", ""), roles)
        if isinstance(found, Problem):
            problems.append(found)
        elif repeated := seen_before(line, found.email, first_line):
            problems.append(repeated)
        else:
            members.append(found)
    return ParsedMembers(tuple(members), tuple(problems))


def _check(line: int, email: str, role: str, roles: Sequence[str]) -> Member | Problem:
    if has_control(email) or has_control(role):
        return Problem(line, N_("The row contains invisible control characters."))
    email = email.lower()
    role_text = role.lower()
    role = ROLE_NAMES.get(role_text, role_text) or roles[0]
    if not email:
        return Problem(line, N_("The email address is missing."))
    if len(email) > EMAIL_MAX:
        return Problem(line, N_("The email address is longer than %(max)d characters."), {"max": EMAIL_MAX})
    if role not in roles:
        return Problem(
            line,
            N_("Unknown role in the group “%(role)s”: use one of %(roles)s."),
            {"role": role_text[:40], "roles": ", ".join(roles)},
        )
    return Member(line, email, role)


def with_known(parsed: ParsedMembers, accounts: Collection[str], in_group: Collection[str]) -> ParsedMembers:
    """`parsed` with a problem for every address without an account (`accounts`: the addresses that have one) and
    every one already in the group; problems in line order."""
    problems = list(parsed.problems)
    for member in parsed.members:
        if member.email not in accounts:
            problems.append(Problem(member.line, N_("No account has the address %(email)s."), {"email": member.email}))
        elif member.email in in_group:
            problems.append(Problem(member.line, N_("%(email)s is in the group already."), {"email": member.email}))
    problems.sort(key=lambda problem: problem.line or 0)
    return ParsedMembers(parsed.members, tuple(problems))
