"""Which passwords to refuse, after NIST SP 800-63B: long enough, not common or guessable, not made of the
account's own name or address, and no composition rules (no "one digit, one capital").

Guessability comes from zxcvbn, which matches a password against lists of common passwords (from real
breaches), dictionary words, names, keyboard rows, repeats, sequences and dates, and estimates the guesses an
attacker needs. The refusal names the weakest part, so the person learns what to change rather than being
told to add a "!".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LENGTH = 256  # long passphrases are welcome; beyond this it is a pasted file, not a password
# zxcvbn refuses longer input, and its matching is quadratic in the length; the rest of a longer
# password only adds guesses, so the first part decides.
_ANALYSED = 72
# zxcvbn's scale: 3 is "safely unguessable" for an online attack (about 10^8 guesses or more).
MIN_SCORE = 3

# The weakest part of a refused password, in the order a person should hear about it.
_PATTERNS = {
    "repeat": "repeats",
    "sequence": "sequence",
    "spatial": "keyboard",
    "date": "dates",
    "regex": "dates",  # zxcvbn's only regex is "recent year"
}


@dataclass(frozen=True)
class PasswordProblem:
    """Why a password is refused: `code` is one of too_short, too_long, personal, common, repeats, sequence,
    keyboard, dates, words, guessable; `limit` is the length limit for the first two."""

    code: str
    limit: int = 0


def personal_words(*texts: str) -> list[str]:
    """The words of a name, an email address or a site name that a password must not be built from."""
    words = {word for text in texts for word in re.split(r"[\W_]+", text.lower()) if len(word) >= 3}
    return sorted(words)


def password_problem(password: str, min_length: int, context: tuple[str, ...] = ()) -> PasswordProblem | None:
    """None if the password may be used, else why not.

    `context` holds the words of this account and site (`personal_words`): a password mostly made of them is
    refused even if it would otherwise score well, since whoever knows the person knows them.
    """
    if len(password) < min_length:
        return PasswordProblem("too_short", min_length)
    if len(password) > MAX_LENGTH:
        return PasswordProblem("too_long", MAX_LENGTH)
    if _personal_share(password.lower(), context) >= 0.5:
        return PasswordProblem("personal")
    from zxcvbn import zxcvbn  # its word lists weigh about 12 MB: loaded by the first password set, not by every worker

    result = zxcvbn(password[:_ANALYSED], user_inputs=list(context))
    if result["score"] >= MIN_SCORE:
        return None
    return PasswordProblem(_weakest_part(result["sequence"]))


def _personal_share(password: str, words: tuple[str, ...]) -> float:
    """The share of the password's characters that are spelled by the account's own words."""
    covered = [False] * len(password)
    for word in words:
        for found in re.finditer(re.escape(word), password):
            covered[found.start() : found.end()] = [True] * len(word)
    return sum(covered) / len(password)


def _weakest_part(sequence: list[dict]) -> str:
    """The kind of the longest recognised part: that is the part an attacker's list or rule guesses."""
    recognised = [match for match in sequence if match["pattern"] != "bruteforce"]
    if not recognised:
        return "guessable"
    match = max(recognised, key=lambda m: len(m["token"]))
    if match["pattern"] == "dictionary":
        if match.get("dictionary_name") == "passwords":
            return "common"
        if match.get("dictionary_name") == "user_inputs":
            return "personal"
        return "words"
    return _PATTERNS.get(match["pattern"], "guessable")
