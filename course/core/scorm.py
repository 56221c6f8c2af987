"""SCORM dispatch packages as plain data: what a package opens (its target), the manifest and the ZIP an LMS
imports, which LMS learner ids the app accepts, and how a learner's standing reads in SCORM's run-time values.

A dispatch package holds no course content: its one SCO opens the hosted course for the LMS's learner and copies
the learner's standing into the LMS's run-time (docs/operations.md, "SCORM packages"). SCORM 1.2 and SCORM 2004
4th edition differ in the manifest's schemas and in the run-time's element names; both come from here, so the
package and the status the app reports cannot disagree.
"""

from __future__ import annotations

import html
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from course.core.completion import Progress, Requirements, complete, percent

VERSIONS = ("1.2", "2004")
TARGET_KINDS = ("course", "lesson", "quiz", "sandbox")
LAUNCH_FILE = "index.html"
LEARNER_ID_MAX = 255  # SCORM 1.2's CMIIdentifier; also the length an external identity's subject may have
LEARNER_NAME_MAX = 120  # an account's display name
TITLE_MAX = 200  # the SCORM 1.2 content packaging schema's titleType
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # fixed, so the same package gives the same bytes


class TargetError(ValueError):
    """A target string that names no kind of place the app can open."""


@dataclass(frozen=True)
class Target:
    """What a package opens: a whole course, or one lesson, quiz or sandbox scenario of it."""

    kind: str  # one of TARGET_KINDS
    course_id: str
    item: str | None = None  # the lesson, quiz or scenario id; None for a course

    def __str__(self) -> str:
        return f"course:{self.course_id}" if self.item is None else f"{self.kind}:{self.course_id}/{self.item}"


_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def parse_target(text: str) -> Target:
    """'course:<c>', 'lesson:<c>/<l>', 'quiz:<c>/<q>' or 'sandbox:<c>/<scenario>' as a Target; raises TargetError."""
    kind, _, rest = text.partition(":")
    if kind not in TARGET_KINDS:
        raise TargetError(f"unknown target kind in {text!r}")
    course_id, slash, item = rest.partition("/")
    if not _ID.fullmatch(course_id) or (kind == "course") == bool(slash) or (slash and not _ID.fullmatch(item)):
        raise TargetError(f"malformed target {text!r}")
    return Target(kind, course_id, item or None)


# --- The LMS's learner --------------------------------------------------------------------------------------------

_LEARNER_ID = re.compile(r"[\x21-\x7e]+")  # visible ASCII: numbers, GUIDs, e-mail addresses and URNs pass


def learner_id_problem(learner_id: str | None) -> str | None:
    """Why an LMS learner id cannot name an account ("missing", "too_long", "bad_characters"), or None."""
    if not learner_id:
        return "missing"
    if len(learner_id) > LEARNER_ID_MAX:
        return "too_long"
    if not _LEARNER_ID.fullmatch(learner_id):
        return "bad_characters"
    return None


def learner_display_name(raw: str | None, fallback: str) -> str:
    """The learner's name as the app shows it. SCORM 1.2 LMSs send "Last, First", which reads "First Last"; control
    characters go, and an empty name becomes `fallback`."""
    text = "".join(ch for ch in (raw or "") if unicodedata.category(ch)[0] != "C")
    text = " ".join(text.split())
    last, comma, first = text.partition(",")
    if comma and first.strip() and last.strip() and "," not in first:
        text = f"{first.strip()} {last.strip()}"
    return text[:LEARNER_NAME_MAX].strip() or fallback


# --- The learner's standing in SCORM terms ------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """Where the learner stands on a package's target: done or not, passed or failed (None: the target has no
    pass mark), a score in percent and the share of the course done (None: not applicable)."""

    completed: bool = False
    passed: bool | None = None
    score: float | None = None
    progress: float | None = None


def course_standing(
    rule: Requirements, learner: Progress, *, certified: bool, quiz_percents: Mapping[str, float]
) -> Standing:
    """A whole course: complete (or certified) is completed and passed; a course is never failed. The score is the
    mean of the best results in the required quizzes (an untaken quiz counts 0), if the course requires any."""
    done = certified or complete(rule, learner)
    score = None
    if rule.required_quizzes:
        score = sum(quiz_percents.get(quiz, 0.0) for quiz in rule.required_quizzes) / len(rule.required_quizzes)
    return Standing(done, True if done else None, score, 1.0 if done else percent(rule, learner) / 100)


def lesson_standing(done: bool) -> Standing:
    return Standing(done)


def quiz_standing(best_percent: float | None, passed: bool | None) -> Standing:
    """A quiz: completed once submitted, passed or failed by its pass mark, scored by the best attempt."""
    if best_percent is None:
        return Standing()
    return Standing(True, bool(passed), best_percent)


def sandbox_standing(best_score: float | None, threshold: int | None) -> Standing:
    """A sandbox scenario: completed once a design there was evaluated; passed or failed by the course's sandbox
    threshold, if it sets one; scored by the best design (0-100)."""
    if best_score is None:
        return Standing()
    return Standing(True, None if threshold is None else best_score >= threshold, best_score)


def _decimal(value: float) -> str:
    return f"{round(value, 2):g}"


def runtime_values(version: str, standing: Standing) -> list[tuple[str, str]]:
    """The run-time elements to set, in order: the score before the status, so an LMS that derives a status from
    the score (a 1.2 mastery score) ends with ours."""
    score = None if standing.score is None else min(max(standing.score, 0.0), 100.0)
    if version == "1.2":
        values = []
        if score is not None:
            values += [
                ("cmi.core.score.min", "0"),
                ("cmi.core.score.max", "100"),
                ("cmi.core.score.raw", _decimal(score)),
            ]
        if standing.passed is not None:
            status = "passed" if standing.passed else "failed"
        else:
            status = "completed" if standing.completed else "incomplete"
        return [*values, ("cmi.core.lesson_status", status)]
    if version != "2004":
        raise ValueError(f"unknown SCORM version {version!r}")
    values = []
    if score is not None:
        values += [
            ("cmi.score.min", "0"),
            ("cmi.score.max", "100"),
            ("cmi.score.raw", _decimal(score)),
            ("cmi.score.scaled", _decimal(score / 100)),
        ]
    if standing.progress is not None:
        values.append(("cmi.progress_measure", _decimal(min(max(standing.progress, 0.0), 1.0))))
    success = "unknown" if standing.passed is None else "passed" if standing.passed else "failed"
    values += [
        ("cmi.completion_status", "completed" if standing.completed else "incomplete"),
        ("cmi.success_status", success),
    ]
    return values


# --- The package ----------------------------------------------------------------------------------------------------

_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_SCHEMAS = {
    # (content packaging namespace, ADL namespace, schemaLocation pairs, schemaversion, the SCO attribute)
    "1.2": (
        "http://www.imsproject.org/xsd/imscp_rootv1p1p2",
        "http://www.adlnet.org/xsd/adlcp_rootv1p2",
        "http://www.imsproject.org/xsd/imscp_rootv1p1p2 imscp_rootv1p1p2.xsd "
        "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1 imsmd_rootv1p2p1.xsd "
        "http://www.adlnet.org/xsd/adlcp_rootv1p2 adlcp_rootv1p2.xsd",
        "1.2",
        "scormtype",
    ),
    "2004": (
        "http://www.imsglobal.org/xsd/imscp_v1p1",
        "http://www.adlnet.org/xsd/adlcp_v1p3",
        "http://www.imsglobal.org/xsd/imscp_v1p1 imscp_v1p1.xsd http://www.adlnet.org/xsd/adlcp_v1p3 adlcp_v1p3.xsd",
        "2004 4th Edition",
        "scormType",
    ),
}


def manifest(version: str, identifier: str, title: str, files: list[str]) -> str:
    """imsmanifest.xml: one organisation with one item, whose resource is the SCO `LAUNCH_FILE` with `files`.

    Written as text, not through ElementTree: the namespace prefixes stay the conventional ones ("adlcp:"), which
    some LMS importers look for literally, and ElementTree's prefix registry is global to the process."""
    if version not in _SCHEMAS:
        raise ValueError(f"unknown SCORM version {version!r}")
    cp, adl, locations, schema_version, sco_attribute = _SCHEMAS[version]
    name, ident = escape(title[:TITLE_MAX]), quoteattr(identifier)
    file_lines = "".join(f"\n      <file href={quoteattr(file)}/>" for file in files)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier={ident} version="1" xmlns="{cp}" xmlns:adlcp="{adl}" xmlns:xsi="{_XSI}"
          xsi:schemaLocation="{locations}">
  <metadata>
    <schema>ADL SCORM</schema>
    <schemaversion>{schema_version}</schemaversion>
  </metadata>
  <organizations default="ORG-1">
    <organization identifier="ORG-1">
      <title>{name}</title>
      <item identifier="ITEM-1" identifierref="RES-1">
        <title>{name}</title>
      </item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="RES-1" type="webcontent" adlcp:{sco_attribute}="sco" href="{LAUNCH_FILE}">{file_lines}
    </resource>
  </resources>
</manifest>
"""


@dataclass(frozen=True)
class LaunchPage:
    """What the SCO's page needs: the app's launch and status addresses (the package key inside), the run-time
    version, how often to ask for the learner's standing, and its texts per language (the first is the default)."""

    title: str
    version: str
    launch_url: str
    status_url: str
    poll_seconds: int
    texts: Mapping[str, Mapping[str, str]]


def launch_page(page: LaunchPage, script: str, stylesheet: str) -> str:
    """The SCO's index.html. Its settings are a JSON data block (never executed; '<' escaped so no text can close
    it), so the page needs no inline script and runs under an LMS's strict Content-Security-Policy too."""
    settings = {
        "version": page.version,
        "launch": page.launch_url,
        "status": page.status_url,
        "poll_seconds": page.poll_seconds,
        "texts": page.texts,
    }
    data = json.dumps(settings, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
    first = next(iter(page.texts.values()))
    title = html.escape(page.title)
    return f"""<!DOCTYPE html>
<html lang="{html.escape(next(iter(page.texts)))}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<link rel="stylesheet" href="{stylesheet}">
<script type="application/json" id="sco-settings">{data}</script>
<script src="{script}" defer></script>
</head>
<body>
<header class="sco-bar">
  <p id="sco-status" class="sco-status" role="status" aria-live="polite">{html.escape(first["starting"])}</p>
  <a id="sco-open" class="sco-open" href="#" target="_blank" rel="noopener" hidden>{html.escape(first["open"])}</a>
</header>
<iframe id="sco-frame" class="sco-frame" title="{title}" hidden></iframe>
</body>
</html>
"""


def package_zip(files: Mapping[str, str | bytes]) -> bytes:
    """The package as a ZIP with `files` at its root (imsmanifest.xml among them), the same bytes every time."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            content = files[name]
            archive.writestr(info, content.encode("utf-8") if isinstance(content, str) else content)
    return buffer.getvalue()


def package_files(page: LaunchPage, identifier: str, script: str, stylesheet: str) -> dict[str, str]:
    """Every file of a package: the manifest, the launch page and its script and stylesheet."""
    assets = {"sco.js": script, "sco.css": stylesheet}
    files = {LAUNCH_FILE: launch_page(page, "sco.js", "sco.css"), **assets}
    return {"imsmanifest.xml": manifest(page.version, identifier, page.title, sorted(files)), **files}
