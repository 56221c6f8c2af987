"""SCORM packages in Chromium against scorm-again, a SCORM run-time nobody on the team wrote, playing the LMS.

A small LMS page on its own origin (tests/scorm/lms.html, served by the test) puts scorm-again's API object on its
window with the learner preset, as an LMS does, and frames the SCO of a package imported from the app's ZIP (the
launch file read from its imsmanifest.xml). The learner works in the hosted course; the test then reads back from
scorm-again what the package reported: SCORM 1.2's lesson status and score, SCORM 2004's completion, success and
scaled score. A package started without a learner id shows its refusal, and the app records it.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode
from uuid import uuid4
from xml.etree import ElementTree as ET

import pytest
from flask import Flask
from playwright.sync_api import Frame, Page, expect
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from course import embedding
from course.auth import operations as accounts
from course.core.scorm import parse_target
from course.extensions import db
from course.models import (
    AuditEntry,
    LessonProgress,
    QuizResult,
    SandboxResult,
    ScormPackage,
    SsoIdentity,
    User,
    utcnow,
)
from course.publishing.cache import catalog
from course.scorm import operations
from tests.conftest import require
from tests.paths import PROJECT_ROOT

from .conftest import LiveServer
from .helpers import (
    COURSE_ID,
    Learner,
    PageFactory,
    answer_all,
    attempt_key,
    course_title,
    lesson_ids,
    log_in,
    quiz_ids,
    score_line,
    start_quiz,
    submit_answers,
)
from .test_accessibility import assert_accessible

RUNTIME = PROJECT_ROOT / "tests" / "scorm"
BUNDLE = RUNTIME / "node_modules" / "scorm-again" / "dist" / "scorm-again.min.js"
NPM_TIMEOUT_S = 600  # a fresh `npm ci` on a slow network; not a limit on the app
REPORT_TIMEOUT_MS = 15_000  # the package asks every second here (SCORM_POLL_SECONDS), and at every page in its frame
CP = {"cp": "http://www.imsproject.org/xsd/imscp_rootv1p1p2"}
CP_2004 = {"cp": "http://www.imsglobal.org/xsd/imscp_v1p1"}


@pytest.fixture(scope="module")
def scorm_again() -> Path:
    """scorm-again's browser bundle, from tests/scorm with its pinned version (`npm ci` once, from the lock file)."""
    npm = shutil.which("npm")
    if shutil.which("node") is None or npm is None:
        require("node and npm are needed for scorm-again, the SCORM run-time the LMS page plays")
    if not BUNDLE.is_file():
        done = subprocess.run(  # noqa: S603 - fixed arguments, npm from PATH
            [npm, "ci", "--no-audit", "--no-fund"], cwd=RUNTIME, capture_output=True, text=True, timeout=NPM_TIMEOUT_S
        )
        if done.returncode != 0:
            pytest.fail(f"npm ci in {RUNTIME} failed:\n{done.stdout}\n{done.stderr}")
    return BUNDLE


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@dataclass(frozen=True)
class Lms:
    url: str
    root: Path

    def import_package(self, archive: bytes) -> str:
        """Unpack a package as an LMS imports it; the SCO's launch file as the manifest names it (a path here)."""
        name = uuid4().hex[:12]
        folder = self.root / "packages" / name
        with zipfile.ZipFile(io.BytesIO(archive)) as package:
            package.extractall(folder)
        root = ET.parse(folder / "imsmanifest.xml").getroot()  # noqa: S314 - the package under test
        ns = CP if root.tag == f"{{{CP['cp']}}}manifest" else CP_2004
        organizations = root.find("cp:organizations", ns)
        organization = organizations.find(f"cp:organization[@identifier='{organizations.get('default')}']", ns)
        item = organization.find("cp:item", ns)
        resource = root.find(f"cp:resources/cp:resource[@identifier='{item.get('identifierref')}']", ns)
        return f"packages/{name}/{resource.get('href')}"

    def page(self, version: str, sco: str, learner_id: str | None = None, learner_name: str = "") -> str:
        query = {"version": version, "sco": sco}
        if learner_id is not None:
            query |= {"learner_id": learner_id, "learner_name": learner_name}
        return f"{self.url}/lms.html?{urlencode(query)}"


@pytest.fixture(scope="module")
def lms(scorm_again: Path, live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lms]:
    """The LMS page and the packages it imports, on 127.0.0.1:<another port>: another origin than the app's, which
    lets it frame the course (FRAME_ANCESTORS) and gets its packages asking every second, for this module only."""
    root = tmp_path_factory.mktemp("lms")
    for source in (RUNTIME / "lms.html", RUNTIME / "lms.js", scorm_again):
        shutil.copy(source, root / source.name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietFiles, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, name="scorm-lms", daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{server.server_port}"
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setitem(live_server.app.config, "FRAME_ANCESTORS", [origin])
            patch.setitem(live_server.app.config, "SCORM_POLL_SECONDS", 1)
            embedding.forget_origins()
            yield Lms(origin, root)
    finally:
        embedding.forget_origins()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def trainer(app: Flask) -> Learner:
    account = Learner(name="Tina Trainer", email=f"trainer-{uuid4().hex[:12]}@example.org")
    with app.app_context():
        user = accounts.create_user(account.email, None, account.name, role="trainer", locale="de")
        user.password_hash = generate_password_hash(account.password, method="pbkdf2:sha256:1")
        db.session.commit()
    return account


def package(app: Flask, target: str, version: str) -> tuple[int, bytes]:
    """A package made as the studio makes it (the studio form itself is the first test's), and its ZIP."""
    with app.test_request_context():
        by = accounts.create_user(f"trainer-{uuid4().hex[:12]}@example.org", None, "Tom Trainer", role="trainer")
        course = catalog().course(COURSE_ID)
        made, key = operations.create(course, parse_target(target), version, "Test-LMS", by)
        db.session.commit()
        return made.id, operations.package_zip(made, key, "de")


def learner_of(app: Flask, package_id: int, learner_id: str) -> int:
    with app.app_context():
        identity = db.session.scalar(
            select(SsoIdentity).where(SsoIdentity.provider == f"scorm:{package_id}", SsoIdentity.subject == learner_id)
        )
        assert identity is not None, "the launch made no account"
        return identity.user_id


def course_frame(page: Page, live_server: LiveServer) -> Frame:
    """The hosted course inside the SCO's frame."""
    frames = [frame for frame in page.frames if frame.url.startswith(live_server.url)]
    assert len(frames) == 1, [frame.url for frame in page.frames]
    return frames[0]


def runtime(page: Page, expression: str) -> object:
    return page.evaluate(f"() => {expression}")


def test_a_trainers_scorm_12_package_reports_a_completed_course_to_the_lms(
    new_page: PageFactory, live_server: LiveServer, lms: Lms
) -> None:
    app = live_server.app
    studio = new_page()
    log_in(studio, trainer(app))
    studio.goto("/studio")
    studio.get_by_role("link", name="SCORM-Pakete für ein LMS").first.click()
    expect(studio.get_by_label("Titel im LMS")).to_be_visible()
    assert_accessible(studio, "the studio's SCORM packages page")
    studio.get_by_label("Titel im LMS").fill("Moodle Vertrieb")
    studio.get_by_label("Öffnet").select_option(label=f"Der ganze Kurs: {course_title('de')}")
    studio.get_by_label("SCORM 1.2 (die meisten LMS)").check()
    studio.get_by_role("button", name="Paket erstellen").click()
    # The form posts and redirects: axe must wait for the new page, or it may run while the old one goes away.
    expect(studio.get_by_role("button", name="Paket herunterladen (ZIP)")).to_be_visible()
    assert_accessible(studio, "the page of a new SCORM package")
    with studio.expect_download() as download:
        studio.get_by_role("button", name="Paket herunterladen (ZIP)").click()
    archive = Path(download.value.path()).read_bytes()
    sco = lms.import_package(archive)
    with app.app_context():
        package_id = db.session.scalar(select(ScormPackage.id).where(ScormPackage.title == "Moodle Vertrieb"))

    page = new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(lms.page(version="1.2", sco=sco, learner_id="lms-1001", learner_name="Mustermann, Erika"))
    package_page = page.frame_locator("#sco")
    expect(package_page.locator("#sco-status")).to_have_text(
        "Ihr Fortschritt im Kurs wird an Ihre Lernplattform übermittelt."
    )
    expect(package_page.frame_locator("#sco-frame").get_by_role("heading", level=1)).to_have_text(course_title("de"))
    assert runtime(page, "window.API.cmi.core.lesson_status") == "incomplete"

    # Everything but the last lesson is done already (the quizzes at 90 %): the learner finishes in the LMS's frame.
    user_id = learner_of(app, package_id, "lms-1001")
    *done, last = lesson_ids()
    with app.app_context():
        assert db.session.get(User, user_id).display_name == "Erika Mustermann"
        db.session.add_all(LessonProgress(user_id=user_id, course_id=COURSE_ID, lesson_id=lesson) for lesson in done)
        db.session.add_all(
            QuizResult(
                user_id=user_id,
                course_id=COURSE_ID,
                quiz_id=quiz,
                best_percent=90.0,
                passed=True,
                attempts=1,
                updated_at=utcnow(),
            )
            for quiz in catalog().course(COURSE_ID).required_quizzes
        )
        db.session.add(
            SandboxResult(user_id=user_id, course_id=COURSE_ID, best_score=80, assigned_score=80, other_score=80)
        )
        db.session.commit()
    course = course_frame(page, live_server)
    course.goto(f"{live_server.url}/courses/{COURSE_ID}/lessons/{last}")
    course.get_by_role("button", name=re.compile("^Als erledigt markieren")).click()  # "… und weiter zur Sandbox"

    page.wait_for_function("() => window.API.cmi.core.lesson_status === 'passed'", timeout=REPORT_TIMEOUT_MS)
    assert runtime(page, "window.API.cmi.core.score.raw") == "90"
    assert runtime(page, "[window.API.cmi.core.score.min, window.API.cmi.core.score.max]") == ["0", "100"]
    assert runtime(page, "window.API.cmi.core.student_id") == "lms-1001"
    expect(package_page.locator("#sco-status")).to_have_text("Erledigt: Ihre Lernplattform hat Ihr Ergebnis erhalten.")

    page.evaluate("() => document.getElementById('sco').remove()")  # the LMS closes the SCO
    page.wait_for_function("() => window.lmsEvents.includes('LMSFinish')")
    assert runtime(page, "window.lmsEvents")[0] == "LMSInitialize"
    assert "LMSCommit" in runtime(page, "window.lmsEvents")
    *reported, (last, session_time) = runtime(page, "window.lmsValues")
    assert reported[0] == ["cmi.core.lesson_status", "incomplete"]  # set at the start
    assert reported[-2:] == [["cmi.core.score.raw", "90"], ["cmi.core.lesson_status", "passed"]]  # the score first
    assert "cmi.core.exit" not in {element for element, _ in reported}  # completed: nothing to resume
    assert last == "cmi.core.session_time"  # set when the SCO finishes, as CMITimespan
    assert re.fullmatch(r"\d\d:\d\d:\d\d", session_time)
    assert errors == []


def test_a_scorm_2004_package_reports_a_passed_quiz_taken_in_a_new_window(
    new_page: PageFactory, live_server: LiveServer, lms: Lms
) -> None:
    quiz_id = quiz_ids()[0]
    package_id, archive = package(live_server.app, f"quiz:{COURSE_ID}/{quiz_id}", "2004")
    page = new_page()
    page.goto(lms.page(version="2004", sco=lms.import_package(archive), learner_id="urn:lms:2002", learner_name="Jan"))
    assert runtime(page, "window.API_1484_11.cmi.learner_id") == "urn:lms:2002"
    with page.context.expect_page() as opened:
        page.frame_locator("#sco").get_by_role("link", name="Den Kurs in einem neuen Fenster öffnen").click()
    window = opened.value
    attempt_id = start_quiz(window, quiz_id, "de")
    answer_all(window, attempt_key(live_server.app, attempt_id, "de"))
    submit_answers(window, "de")
    expect(score_line(window)).to_be_visible()
    page.bring_to_front()

    page.wait_for_function("() => window.API_1484_11.cmi.success_status === 'passed'", timeout=REPORT_TIMEOUT_MS)
    assert runtime(page, "window.API_1484_11.cmi.completion_status") == "completed"
    assert runtime(page, "window.API_1484_11.cmi.score.scaled") == "1"
    assert runtime(page, "window.API_1484_11.cmi.score.raw") == "100"
    assert learner_of(live_server.app, package_id, "urn:lms:2002")

    page.evaluate("() => document.getElementById('sco').remove()")  # the LMS closes the SCO
    page.wait_for_function("() => window.lmsEvents.includes('Terminate')")
    reported = dict(runtime(page, "window.lmsValues"))
    assert reported["cmi.exit"] == "normal"  # completed: nothing to resume
    assert re.fullmatch(r"PT\d+H\d+M\d+S", reported["cmi.session_time"])


def test_a_package_started_without_a_learner_id_refuses_and_the_app_records_it(
    new_page: PageFactory, live_server: LiveServer, lms: Lms
) -> None:
    package_id, archive = package(live_server.app, f"lesson:{COURSE_ID}/{lesson_ids()[0]}", "1.2")
    page = new_page()
    page.goto(lms.page(version="1.2", sco=lms.import_package(archive)))
    package_page = page.frame_locator("#sco")
    expect(package_page.locator("#sco-status")).to_contain_text(
        "Ihre Lernplattform hat nicht mitgeteilt, wer Sie sind (keine Lernenden-Kennung)"
    )
    expect(package_page.frame_locator("#sco-frame").get_by_role("heading", level=1)).to_have_text(
        "Der Kurs kann nicht geöffnet werden"
    )
    expect(package_page.get_by_role("link", name="Den Kurs in einem neuen Fenster öffnen")).to_be_hidden()
    with live_server.app.app_context():
        refusals = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "scorm_launch_refused")).all()
        assert [entry.detail for entry in refusals if entry.detail.get("package") == package_id] == [
            {"package": package_id, "reason": "missing"}
        ]
        made = db.session.scalars(select(SsoIdentity).where(SsoIdentity.provider == f"scorm:{package_id}")).all()
        assert made == []
    assert runtime(page, "window.API.cmi.core.lesson_status") == "not attempted"  # nothing was reported
    assert json.loads(json.dumps(runtime(page, "window.lmsEvents"))) == ["LMSInitialize"]
