"""xAPI statements (Experience API 1.0.3) for what a learner did, as plain data for a Learning Record Store.

Each builder returns a `Statement`: the JSON body and a `key` that names the fact it tells ("lesson l of course c
completed by learner 7"). The outbox queues one message per key, so a fact is told once, and the statement's id is
a UUID derived from the key and the site's address: a statement sent again after a lost answer is the same
statement, which the LRS keeps once. Verbs and activity types come from the ADL vocabulary (the TinCan registry
for "earned" and the certificate type, which ADL lacks); activity ids live under the site's address in the scheme
documented in docs/operations.md ("xAPI"). Who a statement names is the caller's choice (`actor`): by default an
account on this site, so no e-mail address leaves it.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote
from uuid import NAMESPACE_URL, UUID, uuid5

XAPI_VERSION = "1.0.3"
MAX_KEY = 200  # the outbox's key column
NAME_LENGTH = 200  # a question's text as its activity name, shortened; the whole text goes into the description
DESCRIPTION_LENGTH = 2000
ACTORS = ("account", "mbox", "mbox_sha1sum")

Names = Mapping[str, str]  # language (RFC 5646: "de", "en") → text


@dataclass(frozen=True)
class Verb:
    iri: str
    display: str

    def as_json(self) -> dict[str, Any]:
        return {"id": self.iri, "display": {"en-US": self.display}}


_ADL = "http://adlnet.gov/expapi/verbs/"
EXPERIENCED = Verb(_ADL + "experienced", "experienced")  # read a lesson
COMPLETED = Verb(_ADL + "completed", "completed")  # a lesson marked done; every step of a course done
ANSWERED = Verb(_ADL + "answered", "answered")  # one question of a submitted quiz attempt
PASSED = Verb(_ADL + "passed", "passed")  # a quiz attempt at or above the pass mark
FAILED = Verb(_ADL + "failed", "failed")
SCORED = Verb(_ADL + "scored", "scored")  # a sandbox design evaluated: a score, with success = passed
EARNED = Verb("http://id.tincanapi.com/verb/earned", "earned")  # a certificate issued
VERBS = (EXPERIENCED, COMPLETED, ANSWERED, PASSED, FAILED, SCORED, EARNED)

_TYPES = "http://adlnet.gov/expapi/activities/"
COURSE = _TYPES + "course"
LESSON = _TYPES + "lesson"
ASSESSMENT = _TYPES + "assessment"
INTERACTION = _TYPES + "cmi.interaction"
SIMULATION = _TYPES + "simulation"  # a sandbox scenario: a plan tried out against a simulated account
CERTIFICATE = "http://id.tincanapi.com/activitytype/certificate"

# The course's question types as xAPI interaction types; a type not listed here is sent as "other".
INTERACTION_TYPES = {
    "single": "choice",
    "multiple": "choice",
    "truefalse": "true-false",
    "numeric": "numeric",
    "ordering": "sequencing",
    "shorttext": "fill-in",
    "blanks": "fill-in",
    "matching": "matching",
}
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Statement:
    key: str  # what makes it once: the outbox's key in the "xapi" channel
    body: dict[str, Any]

    @property
    def id(self) -> str:
        return self.body["id"]


@dataclass(frozen=True)
class Site:
    """What every statement of one site shares: its public address (the root of every id) and its name."""

    base: str  # PUBLIC_URL without a trailing slash
    platform: str  # the site's name, as context.platform

    @property
    def namespace(self) -> UUID:
        return uuid5(NAMESPACE_URL, f"{self.base}/xapi")

    def uuid(self, name: str) -> str:
        """A UUID for `name` that is the same on every run and differs from every other site's."""
        return str(uuid5(self.namespace, name))

    def activity_id(self, *path: str) -> str:
        return f"{self.base}/xapi/activities/" + "/".join(quote(str(part), safe="") for part in path)

    def extension(self, name: str) -> str:
        return f"{self.base}/xapi/extensions/{name}"

    def course(self, course_id: str, names: Names | None = None) -> dict[str, Any]:
        return activity(self.activity_id("courses", course_id), COURSE, names)

    def lesson(self, course_id: str, lesson_id: str, names: Names | None = None) -> dict[str, Any]:
        return activity(self.activity_id("courses", course_id, "lessons", lesson_id), LESSON, names)

    def quiz(self, course_id: str, quiz_id: str, names: Names | None = None) -> dict[str, Any]:
        return activity(self.activity_id("courses", course_id, "quizzes", quiz_id), ASSESSMENT, names)

    def scenario(self, course_id: str, scenario_id: str, names: Names | None = None) -> dict[str, Any]:
        return activity(self.activity_id("courses", course_id, "scenarios", scenario_id), SIMULATION, names)

    def certificate(self, course_id: str, names: Names | None = None) -> dict[str, Any]:
        """The course's certificate: one activity for every learner who earns it."""
        return activity(self.activity_id("courses", course_id, "certificate"), CERTIFICATE, names)


def actor(site: Site, mode: str, user_id: int, email: str | None = None, name: str | None = None) -> dict[str, Any]:
    """The learner as an xAPI Agent. "account": the account's number on this site (what the admin pages show), with
    the site's address as homePage; "mbox": the e-mail address and the name; "mbox_sha1sum": a SHA-1 of the address
    only (another system that knows the address can match it)."""
    if mode == "account":
        return {"objectType": "Agent", "account": {"homePage": site.base, "name": str(user_id)}}
    if not email:
        raise ValueError(f"XAPI_ACTOR {mode!r} needs the learner's e-mail address")
    mailbox = f"mailto:{email}"
    if mode == "mbox_sha1sum":
        return {"objectType": "Agent", "mbox_sha1sum": hashlib.sha1(mailbox.encode()).hexdigest()}  # noqa: S324 - xAPI's own IFI
    if mode == "mbox":
        agent: dict[str, Any] = {"objectType": "Agent", "mbox": mailbox}
        if name and name.strip():
            agent["name"] = name.strip()
        return agent
    raise ValueError(f"unknown XAPI_ACTOR {mode!r}; one of {', '.join(ACTORS)}")


def activity(
    activity_id: str,
    activity_type: str,
    names: Names | None = None,
    descriptions: Names | None = None,
    **interaction: Any,
) -> dict[str, Any]:
    """An Activity object; empty names are left out (an LRS refuses empty values)."""
    definition: dict[str, Any] = {"type": activity_type}
    if cleaned := _language_map(names):
        definition["name"] = cleaned
    if cleaned := _language_map(descriptions):
        definition["description"] = cleaned
    definition.update({key: value for key, value in interaction.items() if value})
    return {"objectType": "Activity", "id": activity_id, "definition": definition}


def _language_map(texts: Names | None) -> dict[str, str]:
    return {lang: text for lang, text in (texts or {}).items() if lang and text and text.strip()}


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, as LRSs store it (naive datetimes are taken as UTC)."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def outbox_key(*parts: object) -> str:
    """The parts joined with ":"; a key longer than the outbox allows is replaced by its hash (still unique)."""
    key = ":".join(str(part) for part in parts)
    if len(key) <= MAX_KEY:
        return key
    return f"{parts[0]}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def _statement(
    site: Site,
    key: str,
    learner: dict[str, Any],
    verb: Verb,
    target: dict[str, Any],
    at: datetime,
    result: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
) -> Statement:
    body: dict[str, Any] = {"id": site.uuid(key), "actor": learner, "verb": verb.as_json(), "object": target}
    if result:
        body["result"] = result
    body["context"] = {"platform": site.platform, **(context or {})}
    body["timestamp"] = timestamp(at)
    return Statement(key, body)


def _context(
    parents: Iterable[dict[str, Any]],
    grouping: Iterable[dict[str, Any]] = (),
    registration: str | None = None,
    language: str | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    context: dict[str, Any] = {}
    if registration:
        context["registration"] = registration
    activities = {"parent": list(parents), "grouping": list(grouping)}
    context["contextActivities"] = {name: value for name, value in activities.items() if value}
    if language:
        context["language"] = language
    if extensions := {name: value for name, value in (extensions or {}).items() if value is not None}:
        context["extensions"] = extensions
    return context


def score(raw: float, maximum: float, scaled: float | None = None) -> dict[str, Any]:
    """A result score from 0 to `maximum`; `scaled` (0 … 1) defaults to raw / maximum."""
    maximum = max(float(maximum), 0.0)
    raw = min(max(float(raw), 0.0), maximum)
    if scaled is None:
        scaled = raw / maximum if maximum else 0.0
    scaled = round(min(max(scaled, 0.0), 1.0), 4)
    if not maximum:  # xAPI wants max above min: a question or quiz worth no points has a scaled score only
        return {"scaled": scaled}
    return {"scaled": scaled, "raw": round(raw, 4), "min": 0, "max": round(maximum, 4)}


# --- One builder per event ---------------------------------------------------------------------------------------


def lesson_experienced(
    site: Site,
    learner: dict[str, Any],
    user_id: int,
    course_id: str,
    lesson_id: str,
    lang: str,
    at: datetime,
    day: date,
    course_names: Names | None = None,
    lesson_names: Names | None = None,
) -> Statement:
    """A lesson read: at most one statement per learner, lesson and `day` (the site's local date of `at`), however
    often the page is opened."""
    return _statement(
        site,
        outbox_key("experienced", user_id, course_id, lesson_id, day.isoformat()),
        learner,
        EXPERIENCED,
        site.lesson(course_id, lesson_id, lesson_names),
        at,
        context=_context([site.course(course_id, course_names)], language=lang),
    )


def lesson_completed(
    site: Site,
    learner: dict[str, Any],
    user_id: int,
    course_id: str,
    lesson_id: str,
    at: datetime,
    course_names: Names | None = None,
    lesson_names: Names | None = None,
) -> Statement:
    return _statement(
        site,
        outbox_key("completed", user_id, course_id, lesson_id),
        learner,
        COMPLETED,
        site.lesson(course_id, lesson_id, lesson_names),
        at,
        result={"completion": True},
        context=_context([site.course(course_id, course_names)]),
    )


def course_completed(
    site: Site, learner: dict[str, Any], user_id: int, course_id: str, at: datetime, course_names: Names | None = None
) -> Statement:
    """Every step the course asks for is done (once per learner and course)."""
    return _statement(
        site,
        outbox_key("course-completed", user_id, course_id),
        learner,
        COMPLETED,
        site.course(course_id, course_names),
        at,
        result={"completion": True},
    )


@dataclass(frozen=True)
class Answer:
    """One question of a submitted attempt, as the quiz recorded it."""

    question_id: str
    kind: str  # the question type ("single", "numeric", …)
    fraction: float  # 0 … 1 of its points
    points: float
    response: Any  # as stored with the attempt; None or empty when unanswered
    texts: Names | None = None  # the question's text (sanitised HTML) per language


def quiz_submitted(
    site: Site,
    learner: dict[str, Any],
    course_id: str,
    quiz_id: str,
    attempt_id: int,
    number: int,
    score_points: float,
    max_points: float,
    percent: float,
    passed: bool,
    at: datetime,
    answers: Iterable[Answer] = (),
    course_names: Names | None = None,
    quiz_names: Names | None = None,
) -> list[Statement]:
    """The attempt passed or failed (scaled score = percent / 100), then one "answered" per question the learner
    answered; all share the attempt as their registration. A question left blank gets no statement: it was not
    answered, and the attempt's score already counts it as 0."""
    registration = site.uuid(f"registration:attempt:{attempt_id}")
    course = site.course(course_id, course_names)
    quiz = site.quiz(course_id, quiz_id, quiz_names)
    statements = [
        _statement(
            site,
            outbox_key("attempt", attempt_id),
            learner,
            PASSED if passed else FAILED,
            quiz,
            at,
            result={
                "score": score(score_points, max_points, percent / 100),
                "success": bool(passed),
                "completion": True,
            },
            context=_context(
                [course], registration=registration, extensions={site.extension("attempt-number"): number}
            ),
        )
    ]
    for answer in answers:
        response = interaction_response(answer.kind, answer.response)
        if response is None:
            continue
        statements.append(
            _statement(
                site,
                outbox_key("attempt", attempt_id, answer.question_id),
                learner,
                ANSWERED,
                question_activity(site, course_id, quiz_id, answer),
                at,
                result={
                    "score": score(answer.fraction * answer.points, answer.points, answer.fraction),
                    "success": answer.fraction >= 1,
                    "completion": True,
                    "response": response,
                },
                context=_context([quiz], [course], registration=registration),
            )
        )
    return statements


def question_activity(site: Site, course_id: str, quiz_id: str, answer: Answer) -> dict[str, Any]:
    texts = {lang: plain_text(text) for lang, text in (answer.texts or {}).items()}
    names = {lang: _shortened(text, NAME_LENGTH) for lang, text in texts.items()}
    longer = {lang: _shortened(text, DESCRIPTION_LENGTH) for lang, text in texts.items() if len(text) > NAME_LENGTH}
    return activity(
        site.activity_id("courses", course_id, "quizzes", quiz_id, "questions", answer.question_id),
        INTERACTION,
        names,
        longer,
        interactionType=INTERACTION_TYPES.get(answer.kind, "other"),
    )


def interaction_response(kind: str, response: Any) -> str | None:
    """A stored answer in xAPI's response format for the question's interaction type ("a[,]b" for choices and
    orders, "prompt[.]choice[,]…" for matching, the number, the text, the blanks' answers "a[,]b" by blank id); None
    when nothing was answered."""
    if response is None or response in ("", [], {}):
        return None
    interaction = INTERACTION_TYPES.get(kind, "other")
    if interaction == "true-false" and isinstance(response, bool):
        text = "true" if response else "false"
    elif interaction in ("choice", "sequencing"):
        text = "[,]".join(str(part) for part in (response if isinstance(response, list | tuple) else [response]))
    elif interaction == "matching" and isinstance(response, Mapping):
        text = "[,]".join(f"{prompt}[.]{choice}" for prompt, choice in sorted(response.items()))
    elif interaction == "numeric" and isinstance(response, Mapping) and isinstance(response.get("value"), int | float):
        value = float(response["value"])
        text = str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    elif interaction == "fill-in" and isinstance(response, str):
        text = response.replace("[,]", ", ")  # one answer, not a list of them
    elif interaction == "fill-in" and isinstance(response, Mapping):  # blanks: one answer per blank, by blank id
        text = "[,]".join(str(given).replace("[,]", ", ") for _blank, given in sorted(response.items()))
    else:
        text = json.dumps(response, sort_keys=True, ensure_ascii=False)
    return text if text.strip() else None


def design_evaluated(
    site: Site,
    learner: dict[str, Any],
    course_id: str,
    design_id: int,
    version: int,
    scenario_id: str,
    score_percent: float,
    passed: bool,
    counts: str | None,
    at: datetime,
    course_names: Names | None = None,
    scenario_names: Names | None = None,
) -> Statement:
    """A sandbox design's version evaluated against its scenario (a simulation): "scored" with the score out of
    100 and success = passed. Every version of one design shares the design as its registration."""
    return _statement(
        site,
        outbox_key("design", design_id, version),
        learner,
        SCORED,
        site.scenario(course_id, scenario_id, scenario_names),
        at,
        result={"score": score(score_percent, 100), "success": bool(passed)},
        context=_context(
            [site.course(course_id, course_names)],
            registration=site.uuid(f"registration:design:{design_id}"),
            extensions={
                site.extension("design-version"): version,
                site.extension("counts-for-certificate"): counts,
            },
        ),
    )


def certificate_earned(
    site: Site,
    learner: dict[str, Any],
    user_id: int,
    course_id: str,
    public_id: str,
    verify_url: str,
    at: datetime,
    course_names: Names | None = None,
) -> Statement:
    """The course's certificate earned, once per learner and course: a certificate re-issued (a corrected name)
    was not earned again. The object is the course's certificate, the same for every learner; the learner's own is
    named by its public verification address (a context extension)."""
    return _statement(
        site,
        outbox_key("certificate", user_id, course_id),
        learner,
        EARNED,
        site.certificate(course_id, course_names),
        at,
        context=_context(
            [site.course(course_id, course_names)], extensions={site.extension("certificate"): verify_url}
        ),
    )


def plain_text(markup: str) -> str:
    """Sanitised HTML as one line of text."""
    return " ".join(html.unescape(_TAG.sub(" ", markup or "")).split())


def _shortened(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"
