"""Content problems in the trainer's language.

The core reports content problems in English (the same text `course check` prints and the logs keep). The studio
shows them translated: each English message shape is listed here once as a translatable template whose
placeholders stand for the parts the core fills in (ids, keys, numbers). A message of no known shape is shown as
it is, so a new check in the core is never hidden, only untranslated until it is added here.
"""

from __future__ import annotations

import re
from functools import cache

from flask_babel import gettext

from course.core.errors import N_

#: most specific first: the first template whose shape matches the whole message wins
TEMPLATES = (
    # YAML itself
    N_("invalid YAML: %(detail)s"),
    N_("invalid value: %(detail)s"),
    N_("empty: expected key: value lines"),
    N_("expected key: value lines"),
    N_("duplicate key %(key)s (first on line %(line)s)"),
    N_("keys must be plain words"),
    # lesson figures
    N_('the figure needs a viewBox (e.g. viewBox="0 0 400 300") so it can shrink on phones'),
    N_("the figure cannot be shown: %(detail)s"),
    # course.yml
    N_("missing: every course folder needs a course.yml"),
    N_("there is no course %(course)s for this quiz (%(path)s)"),
    N_("id %(id)s must match the folder name %(folder)s"),
    N_("languages must be a list drawn from %(languages)s"),
    N_("source_language must be one of the course's languages"),
    N_("lessons must be a list of lesson ids in the order learners see them"),
    N_("lesson id %(id)s must be lowercase letters, digits and single hyphens"),
    N_("duplicate lesson id %(id)s in lessons"),
    N_("access must be one of %(modes)s, not %(value)s"),
    N_("completion must be a mapping, e.g. 'lessons: all'"),
    N_("unknown completion rule %(key)s (allowed: %(allowed)s)"),
    N_("completion.lessons must be 'all'"),
    N_("completion.quizzes must be 'all' (or left out)"),
    N_("completion.sandbox must be a whole score from 1 to 100, e.g. 70"),
    N_("sandbox must be true or false"),
    N_("completion.sandbox asks for a sandbox score, so sandbox cannot be false"),
    # lessons
    N_("missing front matter: the file must start with a '---' line"),
    N_("front matter is never closed: add a '---' line after it"),
    N_("lesson file names must look like <lesson-id>.<language>.md, e.g. kam-mandate.de.md"),
    N_("duplicate lesson id %(id)s in %(lang)s (also in %(path)s)"),
    N_("quiz %(quiz)s does not exist (%(path)s)"),
    N_("id must be lowercase letters, digits and single hyphens"),
    N_("id %(id)s does not match the file name (expected %(expected)s)"),
    N_("lang %(lang)s does not match the file name (expected %(expected)s)"),
    N_("lang %(lang)s is not one of the course's languages %(languages)s"),
    N_("title must be text of 1 to %(max)s characters"),
    N_("minutes must be a whole number from 1 to 120"),
    N_("objectives must be a list of 1 to 8 learning objectives"),
    N_("each objective must be a sentence of text"),
    N_("summary must be text of 1 to 2000 characters"),
    N_("quiz must be a quiz id (lowercase letters, digits, hyphens)"),
    N_("lesson %(id)s is not listed under 'lessons' in %(path)s"),
    N_("lesson %(id)s has no file (%(path)s)"),
    N_("missing translation: lesson %(id)s has no %(lang)s text (%(path)s)"),
    N_("quiz %(quiz)s differs from %(path)s (%(other)s)"),
    N_("broken link: there is no lesson %(id)s in this course"),
    N_("broken link: lesson %(id)s (%(lang)s) has no section '#%(anchor)s'"),
    N_("use '##' for sections: the lesson title comes from the front matter"),
    N_('malformed callout: write  !!! tip "Title"  with the text indented below'),
    N_("unknown callout type %(type)s (allowed: %(allowed)s)"),
    N_("this fenced code block is never closed"),
    N_("footnote [^%(name)s] is used but never defined"),
    N_("footnote [^%(name)s] is defined but never used"),
    N_("duplicate heading anchor '#%(slug)s' (first on line %(line)s)"),
    # texts per language (course.yml and quizzes)
    N_("missing translation: %(key)s has no %(lang)s text (at most %(max)s characters)"),
    N_("%(key)s must give one text per language: %(languages)s"),
    N_("missing translation: %(key)s has no %(lang)s answers"),
    N_("missing translation: %(key)s has no %(lang)s text"),
    N_("%(key)s has text for %(lang)s, which is not one of the course's languages"),
    N_("missing %(key)s: give a text per language (%(languages)s)"),
    N_("%(key)s must give one text per language, e.g. {de: …, en: …}"),
    N_("%(key)s (%(lang)s) must be text of 1 to %(max)s characters"),
    # quizzes
    N_("quiz files are named quizzes/<course-id>/<quiz-id>.yml"),
    N_("unknown field %(key)s in %(what)s (allowed: %(allowed)s)"),
    N_("unknown field %(key)s (allowed: %(allowed)s)"),
    N_("missing required field %(key)s"),
    N_("%(what)s %(key)s must be lowercase letters, digits and single hyphens (got %(value)s)"),
    N_("missing %(key)s: give a number"),
    N_("%(key)s must be a number (got %(value)s)"),
    N_("%(key)s must be at least %(min)s (got %(value)s)"),
    N_("%(key)s must be true or false (got %(value)s)"),
    N_("%(key)s must be a list of at least %(min)s %(what)s"),
    N_("each entry of %(key)s must be a mapping with id and text"),
    N_("duplicate question id %(id)s (first on line %(line)s)"),
    N_("duplicate %(what)s id %(id)s"),
    N_("%(key)s must be a whole number from %(low)s to %(high)s (got %(value)s)"),
    N_("draw (%(draw)s) asks for more questions than the pool has (%(count)s)"),
    N_("draw (%(draw)s) is less than the %(count)s questions marked always: true"),
    N_("a quiz has at most %(max)s questions"),
    N_("unknown question type %(type)s (known: %(known)s)"),
    N_("points must be above 0"),
    N_("missing lesson: name the lesson (and section) this question tests"),
    N_("lesson must be 'lesson-id#section' or one such link per language (%(languages)s)"),
    N_("a single-choice question needs an option with correct: true"),
    N_("a multiple-choice question needs at least one option with correct: true"),
    N_("a numeric question needs either answer (with optional tolerance) or answers"),
    N_("at least one numeric answer must give full credit (percent: 100)"),
    N_("with answers, give each answer its own tolerance"),
    N_("percent must be between 0 and 100"),
    N_("min (%(min)s) must not be above max (%(max)s)"),
    N_("give %(key)s (with optional tolerance) or min and max"),
    N_("pattern %(pattern)s (%(lang)s) is not a valid regular expression: %(error)s"),
    N_("missing %(key)s: give the accepted answers per language"),
    N_("%(key)s must list answers per language, e.g. {de: [Kundenbindung], en: [retention]}"),
    N_("%(key)s has answers for %(lang)s, which is not one of the course's languages"),
    N_("%(key)s.%(lang)s must be a list of non-empty texts"),
    N_("prompt %(id)s: match must be one of the choice ids (%(ids)s)"),
    # partial credit and weights
    N_("option %(id)s is the right one and earns 100 %%: give percent only to partly right options"),
    N_(
        "option %(id)s: percent must be from 0 to below 100 for a partly right option (got %(value)s); "
        "a right option has correct: true"
    ),
    N_("option %(id)s: give every option either a percent (weights) or correct: true (the penalty rule), not both"),
    N_("option %(id)s has no percent: with weights, every option needs one (0 for one that neither earns nor costs)"),
    N_("option %(id)s: percent must be from -100 to 100 (got %(value)s)"),
    N_(
        "the positive weights add up to %(sum)s %%; they must add up to 100 %%, so that ticking every right option "
        "earns all the points"
    ),
    N_("percent must be from 0 to 100 (got %(value)s)"),
    N_("no answer gives full credit: give one of them percent: 100"),
    N_("give %(key)s inside each of answers, not beside them"),
    # blanks and essays
    N_("a question has at most %(max)s blanks"),
    N_("duplicate blank id %(id)s"),
    N_("blank %(id)s needs either options (a select) or accept/answers (a text field), not both"),
    N_("max_chars must be a whole number from 50 to %(max)s"),
    # trainers' labels
    N_("tags must be a list of short one-line texts (at most %(max)s characters each)"),
    N_("category must be a short one-line text (at most %(max)s characters each)"),
)
#: "question 'x': " in front of another message
QUESTION_PREFIX = N_("question %(id)s: %(message)s")
_PREFIX = re.compile(r"^question ('[^']*'): (.+)$", re.DOTALL)
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    compiled = []
    for template in TEMPLATES:
        parts = _PLACEHOLDER.split(template)  # literal, name, literal, name, …
        # "%%" is gettext's way of writing the "%" the message itself holds
        regex = "".join(
            re.escape(part.replace("%%", "%")) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
        )
        compiled.append((re.compile(regex, re.DOTALL), template))
    return tuple(compiled)


def shape(message: str) -> tuple[str, dict[str, str]] | None:
    """The template a core message was made from and the values in it; None for an unknown shape."""
    for pattern, template in _patterns():
        if match := pattern.fullmatch(message):
            return template, match.groupdict()
    return None


def translated(message: str) -> str:
    """The message in the current language (as it is if its shape is unknown)."""
    if prefixed := _PREFIX.match(message):
        inner = translated(prefixed.group(2))
        return gettext(QUESTION_PREFIX, id=prefixed.group(1), message=inner)
    found = shape(message)
    if found is None:
        return message
    template, values = found
    return gettext(template, **values) if values else gettext(template)
