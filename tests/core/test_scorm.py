"""SCORM dispatch packages as plain data: targets, learner ids, the run-time values a standing reads as, and the
package an LMS imports (a manifest with the right schemas for each version, the launch page, a reproducible ZIP)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from xml.etree import ElementTree as ET

import pytest

from course.core import scorm
from course.core.completion import Progress, Requirements

RULE = Requirements("kam-pay", ("one", "two"), ("quiz-a", "quiz-b"), ("quiz-a",))


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("course:kam-pay", scorm.Target("course", "kam-pay")),
        ("lesson:kam-pay/kams-are-not-salespeople", scorm.Target("lesson", "kam-pay", "kams-are-not-salespeople")),
        ("quiz:kam-pay/kam-mandate-quiz", scorm.Target("quiz", "kam-pay", "kam-mandate-quiz")),
        ("sandbox:kam-pay/defend", scorm.Target("sandbox", "kam-pay", "defend")),
    ],
)
def test_targets_read_back_as_they_are_written(text: str, target: scorm.Target) -> None:
    assert scorm.parse_target(text) == target
    assert str(target) == text


@pytest.mark.parametrize(
    "text",
    ["", "course:", "course:kam-pay/one", "lesson:kam-pay", "lesson:kam-pay/", "page:kam-pay/x", "quiz:../x/y", "x"],
)
def test_malformed_targets_are_refused(text: str) -> None:
    with pytest.raises(scorm.TargetError):
        scorm.parse_target(text)


@pytest.mark.parametrize(
    ("learner_id", "problem"),
    [
        (None, "missing"),
        ("", "missing"),
        ("12345", None),
        ("jane.doe@example.org", None),
        ("urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e", None),
        ("x" * 255, None),
        ("x" * 256, "too_long"),
        ("jane doe", "bad_characters"),
        ("jane\x00", "bad_characters"),
        ("jäne", "bad_characters"),
    ],
)
def test_learner_ids_must_be_present_short_and_visible_ascii(learner_id: str | None, problem: str | None) -> None:
    assert scorm.learner_id_problem(learner_id) == problem


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("Doe, Jane", "Jane Doe"),  # SCORM 1.2's "Last, First"
        ("Jane Doe", "Jane Doe"),
        ("  Jane\t\x00 Doe ", "Jane Doe"),
        ("Doe, Jane, Jr.", "Doe, Jane, Jr."),
        ("", "Learner 7"),
        (None, "Learner 7"),
        ("\x07", "Learner 7"),
        ("x" * 500, "x" * 120),
    ],
)
def test_learner_names_read_first_name_first(raw: str | None, name: str) -> None:
    assert scorm.learner_display_name(raw, "Learner 7") == name


def test_a_quiz_standing_reads_as_passed_or_failed_with_its_score() -> None:
    assert scorm.runtime_values("1.2", scorm.quiz_standing(87.5, True)) == [
        ("cmi.core.score.min", "0"),
        ("cmi.core.score.max", "100"),
        ("cmi.core.score.raw", "87.5"),
        ("cmi.core.lesson_status", "passed"),
    ]
    assert scorm.runtime_values("2004", scorm.quiz_standing(40, False)) == [
        ("cmi.score.min", "0"),
        ("cmi.score.max", "100"),
        ("cmi.score.raw", "40"),
        ("cmi.score.scaled", "0.4"),
        ("cmi.completion_status", "completed"),
        ("cmi.success_status", "failed"),
    ]


def test_nothing_done_is_incomplete_and_unknown() -> None:
    assert scorm.runtime_values("1.2", scorm.Standing()) == [("cmi.core.lesson_status", "incomplete")]
    assert scorm.runtime_values("2004", scorm.quiz_standing(None, None)) == [
        ("cmi.completion_status", "incomplete"),
        ("cmi.success_status", "unknown"),
    ]


def test_a_lesson_has_no_pass_mark() -> None:
    assert scorm.runtime_values("1.2", scorm.lesson_standing(True)) == [("cmi.core.lesson_status", "completed")]
    assert scorm.runtime_values("2004", scorm.lesson_standing(True))[-1] == ("cmi.success_status", "unknown")


def test_a_course_is_passed_once_complete_and_scored_by_its_required_quizzes() -> None:
    halfway = scorm.course_standing(RULE, Progress(frozenset({"one"})), certified=False, quiz_percents={"quiz-b": 90})
    assert halfway == scorm.Standing(False, None, 0.0, 0.33)  # whole percent of the steps, as the course page
    assert dict(scorm.runtime_values("2004", halfway))["cmi.progress_measure"] == "0.33"
    done = Progress(frozenset({"one", "two"}), frozenset({"quiz-a"}))
    assert scorm.course_standing(RULE, done, certified=False, quiz_percents={"quiz-a": 80}) == scorm.Standing(
        True, True, 80, 1.0
    )
    assert scorm.course_standing(RULE, Progress(), certified=True, quiz_percents={}).completed


def test_a_sandbox_scenario_passes_at_the_courses_threshold() -> None:
    assert scorm.sandbox_standing(72, 70) == scorm.Standing(True, True, 72)
    assert scorm.sandbox_standing(69.9, 70).passed is False
    assert scorm.sandbox_standing(50, None).passed is None
    assert scorm.sandbox_standing(None, 70) == scorm.Standing()


def test_scores_are_clamped_to_the_scale() -> None:
    assert dict(scorm.runtime_values("2004", scorm.Standing(True, True, 104.0)))["cmi.score.scaled"] == "1"


def page(version: str, title: str = "KAM pay & <friends>") -> scorm.LaunchPage:
    return scorm.LaunchPage(
        title=title,
        version=version,
        launch_url="https://kurs.example.org/scorm/launch/KEY",
        status_url="https://kurs.example.org/scorm/status/KEY",
        poll_seconds=15,
        texts={"de": {"starting": "Verbinde …", "open": "Öffnen"}, "en": {"starting": "Connecting…", "open": "Open"}},
    )


def unpack(version: str, title: str = "KAM pay & <friends>") -> dict[str, bytes]:
    files = scorm.package_files(page(version, title), "course-scorm-7", "/* script */", "/* style */")
    with zipfile.ZipFile(io.BytesIO(scorm.package_zip(files))) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


SCHEMAS = {
    "1.2": (
        "http://www.imsproject.org/xsd/imscp_rootv1p1p2",
        "http://www.adlnet.org/xsd/adlcp_rootv1p2",
        "scormtype",
        "1.2",
        {"imscp_rootv1p1p2.xsd", "imsmd_rootv1p2p1.xsd", "adlcp_rootv1p2.xsd"},
    ),
    "2004": (
        "http://www.imsglobal.org/xsd/imscp_v1p1",
        "http://www.adlnet.org/xsd/adlcp_v1p3",
        "scormType",
        "2004 4th Edition",
        {"imscp_v1p1.xsd", "adlcp_v1p3.xsd"},
    ),
}


@pytest.mark.parametrize("version", scorm.VERSIONS)
def test_the_manifest_names_the_versions_schemas_and_one_sco(version: str) -> None:
    cp, adl, sco_attribute, schema_version, xsd_files = SCHEMAS[version]
    text = unpack(version)["imsmanifest.xml"].decode("utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert f'adlcp:{sco_attribute}="sco"' in text  # importers that look for the prefix literally find it
    root = ET.fromstring(text)  # noqa: S314 - our own manifest, not untrusted input
    ns = {"cp": cp}
    assert root.tag == f"{{{cp}}}manifest"
    assert root.get("identifier") == "course-scorm-7"
    locations = root.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation").split()
    assert dict(zip(locations[::2], locations[1::2], strict=True)).get(cp) in xsd_files
    assert {file for file in locations[1::2]} == xsd_files
    assert root.findtext("cp:metadata/cp:schema", namespaces=ns) == "ADL SCORM"
    assert root.findtext("cp:metadata/cp:schemaversion", namespaces=ns) == schema_version
    organizations = root.find("cp:organizations", ns)
    organization = organizations.find("cp:organization", ns)
    assert organizations.get("default") == organization.get("identifier")
    assert organization.findtext("cp:title", namespaces=ns) == "KAM pay & <friends>"
    item = organization.find("cp:item", ns)
    resource = root.find("cp:resources/cp:resource", ns)
    assert item.get("identifierref") == resource.get("identifier")
    assert resource.get(f"{{{adl}}}{sco_attribute}") == "sco"
    assert resource.get("type") == "webcontent"
    assert resource.get("href") == scorm.LAUNCH_FILE
    identifiers = [element.get("identifier") for element in root.iter() if element.get("identifier")]
    assert all(re.fullmatch(r"[A-Za-z_][\w.-]*", value) for value in identifiers)  # xs:ID
    assert len(identifiers) == len(set(identifiers))
    assert {file.get("href") for file in resource.findall("cp:file", ns)} == {"index.html", "sco.js", "sco.css"}


@pytest.mark.parametrize("version", scorm.VERSIONS)
def test_the_zip_holds_the_manifest_at_its_root_and_every_file_it_names(version: str) -> None:
    files = unpack(version)
    assert set(files) == {"imsmanifest.xml", "index.html", "sco.js", "sco.css"}
    built = scorm.package_files(page(version), "course-scorm-7", "/* script */", "/* style */")
    assert scorm.package_zip(built) == scorm.package_zip(built)  # reproducible


def test_the_launch_page_carries_its_settings_as_data_no_text_can_break_out_of() -> None:
    title = "</script><script>alert(1)</script>"
    text = unpack("2004", title)["index.html"].decode("utf-8")
    assert "<script>alert" not in text
    assert text.count("<script") == 2  # the data block and sco.js; no inline code
    data = re.search(r'<script type="application/json" id="sco-settings">(.*?)</script>', text, re.DOTALL)
    settings = json.loads(data.group(1))
    assert settings["version"] == "2004"
    assert settings["launch"] == "https://kurs.example.org/scorm/launch/KEY"
    assert settings["status"] == "https://kurs.example.org/scorm/status/KEY"
    assert settings["poll_seconds"] == 15
    assert list(settings["texts"]) == ["de", "en"]
    assert '<html lang="de">' in text
    assert '<script src="sco.js" defer></script>' in text


def test_unknown_versions_are_refused() -> None:
    with pytest.raises(ValueError, match="SCORM version"):
        scorm.manifest("1.3", "x", "t", [])
    with pytest.raises(ValueError, match="SCORM version"):
        scorm.runtime_values("2004 3rd", scorm.Standing())


def test_titles_are_cut_to_the_length_the_12_schema_allows() -> None:
    text = scorm.manifest("1.2", "x", "y" * 300, [])
    assert f"<title>{'y' * scorm.TITLE_MAX}</title>" in text
