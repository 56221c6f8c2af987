"""Every page of the app on a phone: no sideways scrolling at 360 px, and axe-core in light and dark.

The page list is the app's own URL map. Each GET rule either has a row in PAGES (who opens it, and a real URL built
from data seeded once for this module) or in EXCLUDED (with the reason it is no page: JSON, files, redirects,
machine-to-machine endpoints). A new route in neither table fails `test_every_get_route_is_visited_or_excluded`, so
"every page" stays true as the app grows.

One browser context per role (anonymous, learner, manager, trainer, admin), German (the longer words), 360 px wide.
Each page is opened once: the width check, then axe in light, then axe in dark (`emulate_media`). All findings are
reported together at the end, with the elements that stick out named, so one run lists everything to fix.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page
from playwright.sync_api import Error as PlaywrightError
from werkzeug.security import generate_password_hash

from course.auth import operations as accounts
from course.certificates import documents
from course.certificates import operations as certificates
from course.certificates.keys import signing_key
from course.core.quiz import pick
from course.core.scorm import parse_target
from course.extensions import db
from course.groups import operations as groups
from course.jobs import operations as jobs
from course.lti import operations as lti
from course.models import CourseAssignment, Job, LessonProgress, QuizResult, User, Webhook, utcnow
from course.notifications import operations as notifications
from course.publishing.cache import catalog
from course.quiz import operations as quizzes
from course.sandbox import operations as sandbox
from course.scorm import operations as scorm
from tests.sandbox_helpers import adapted_plan

from .conftest import DEFAULT_TIMEOUT_MS, LiveServer
from .helpers import COURSE_ID, PHONE, Learner, lesson_ids, log_in, quiz_file, quiz_ids
from .test_accessibility import blocking_violations, describe

ROLES = ("anonymous", "learner", "manager", "trainer", "admin")
PASSWORD = "quartz meadow lantern violet"


@dataclass
class Seed:
    """What the parameterised URLs point at: one of everything, owned by the accounts the pages are opened as."""

    people: dict[str, Learner] = field(default_factory=dict)
    learner_id: int = 0
    open_attempt: int = 0
    submitted_attempt: int = 0
    essay_attempt: int = 0
    design_id: int = 0
    versions: tuple[int, int] = (1, 2)
    certificate: str = ""
    group_id: int = 0
    assignment_id: int = 0
    platform_id: int = 0
    webhook_id: int = 0
    package_id: int = 0
    job_id: int = 0
    tokens: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Visit:
    role: str
    url: Callable[[Seed], str]
    status: int = 200


def visit(role: str, url: str | Callable[[Seed], str], status: int = 200) -> Visit:
    return Visit(role, url if callable(url) else (lambda _seed, fixed=url: fixed), status)


C = f"/courses/{COURSE_ID}"
STUDIO = f"/studio/courses/{COURSE_ID}"
LESSON = f"{C}/lessons/{lesson_ids()[0]}"
QUIZ = quiz_ids()[0]
QUIZ_FILE = f"quizzes/{COURSE_ID}/{QUIZ}.yml"
NO_TOKEN = "no-such-link-token-" + "x" * 24

# endpoint -> who opens which URL (and the status the page comes with). The least privileged role that sees a page
# opens it; pages that look different per role are opened more than once.
PAGES: dict[str, tuple[Visit, ...]] = {
    # public
    "learn.index": (visit("anonymous", "/"), visit("learner", "/")),
    "learn.overview": (visit("anonymous", C), visit("learner", C)),
    "learn.lesson": (visit("anonymous", LESSON), visit("learner", LESSON)),
    "quiz.show": (visit("anonymous", f"{C}/quizzes/{QUIZ}"), visit("learner", f"{C}/quizzes/{QUIZ}")),
    "sandbox.index": (visit("anonymous", f"{C}/sandbox"), visit("learner", f"{C}/sandbox")),
    "sandbox.brief": (visit("learner", lambda s: f"{C}/sandbox/scenarios/{s.tokens['scenario']}"),),
    "auth.login": (visit("anonymous", "/auth/login"),),
    "auth.register": (visit("anonymous", "/auth/register"),),
    "auth.forgot_password": (visit("anonymous", "/auth/password/forgot"),),
    "auth.reset_password": (
        visit("anonymous", lambda s: f"/auth/password/reset/{s.tokens['reset']}"),
        visit("anonymous", f"/auth/password/reset/{NO_TOKEN}", 400),  # the "this link does not work" page
    ),
    "auth.accept_invitation": (visit("anonymous", lambda s: f"/auth/invitation/{s.tokens['invite']}"),),
    "auth.confirm_email": (visit("anonymous", lambda s: f"/auth/confirm/{s.tokens['verify']}"),),
    "certificates.lookup": (visit("anonymous", "/verify"),),
    "certificates.verify": (visit("anonymous", lambda s: f"/verify/{s.certificate}"),),
    "site.privacy": (visit("anonymous", "/privacy"),),
    "site.imprint": (visit("anonymous", "/imprint"),),
    "lti.register": (visit("anonymous", f"/lti/register/{NO_TOKEN}", 404),),  # the refusal an LMS frame shows
    "scorm.launch": (visit("anonymous", f"/scorm/launch/{NO_TOKEN}?learner_id=lms-1", 404),),  # ditto, in the LMS
    # learner
    "quiz.take": (visit("learner", lambda s: f"/attempts/{s.open_attempt}"),),
    "quiz.review": (visit("learner", lambda s: f"/attempts/{s.submitted_attempt}/review"),),
    "sandbox.edit": (visit("learner", lambda s: f"/sandbox/designs/{s.design_id}"),),
    "sandbox.result": (visit("learner", lambda s: f"/sandbox/designs/{s.design_id}/versions/{s.versions[1]}"),),
    "sandbox.compare": (
        visit(
            "learner", lambda s: f"{C}/sandbox/compare?a={s.design_id}-{s.versions[0]}&b={s.design_id}-{s.versions[1]}"
        ),
    ),
    "certificates.mine": (visit("learner", f"{C}/certificate"), visit("manager", f"{C}/certificate")),
    "notifications.index": (visit("learner", "/notifications"),),
    "notifications.preferences": (visit("learner", "/account/notifications"),),
    "account.profile": (visit("learner", "/account"),),
    "account.password": (visit("learner", "/account/password"),),
    "account.email": (visit("learner", "/account/email"),),
    "account.confirm_email": (visit("learner", lambda s: f"/account/email/{s.tokens['email']}"),),
    "account.export": (visit("learner", "/account/export"),),
    "account.delete": (visit("learner", "/account/delete"),),
    # manager: reads reports
    "reports.index": (visit("manager", "/reports"),),
    "reports.group_course": (visit("manager", lambda s: f"/reports/groups/{s.group_id}/courses/{COURSE_ID}"),),
    "jobs.show": (visit("manager", lambda s: f"/jobs/{s.job_id}"),),  # the report's CSV, made and ready
    "analytics.courses": (visit("manager", "/studio/progress"),),
    # trainer
    "sandbox.designs": (visit("trainer", f"{C}/sandbox/designs"),),
    "sandbox.weights": (visit("trainer", f"{C}/sandbox/weights"),),
    "certificates.manage": (visit("trainer", f"{C}/certificates"),),
    "authoring.index": (visit("trainer", "/studio"),),
    "authoring.edit": (
        visit("trainer", f"/studio/files/{COURSE_ID}/course.yml"),
        visit("trainer", f"/studio/files/{COURSE_ID}/{lesson_ids()[0]}.de.md"),
        visit("trainer", f"/studio/files/{QUIZ_FILE}"),
    ),
    "authoring.history": (visit("trainer", f"/studio/files/{COURSE_ID}/course.yml/history"),),
    "authoring.diff": (visit("trainer", f"/studio/files/{COURSE_ID}/course.yml/diff?a=1&b=1"),),
    "authoring.questions": (visit("trainer", f"/studio/files/{QUIZ_FILE}/questions"),),
    "authoring.edit_question": (
        visit("trainer", f"/studio/files/{QUIZ_FILE}/questions/{quiz_file(QUIZ)['questions'][0]['id']}"),
    ),
    "authoring.try_quiz": (visit("trainer", f"/studio/files/{QUIZ_FILE}/try"),),
    "quiz.queue": (visit("trainer", "/grading"),),
    "quiz.grade": (visit("trainer", lambda s: f"/grading/{s.essay_attempt}"),),
    "authoring.gift_upload": (visit("trainer", f"{STUDIO}/gift"),),
    "authoring.media": (visit("trainer", "/studio/media"),),
    "analytics.learners": (visit("trainer", f"{STUDIO}/learners"),),
    "analytics.learner": (visit("trainer", lambda s: f"{STUDIO}/learners/{s.learner_id}"),),
    "analytics.attempt_review": (
        visit("trainer", lambda s: f"{STUDIO}/learners/{s.learner_id}/attempts/{s.submitted_attempt}"),
    ),
    "analytics.quizzes": (visit("trainer", f"{STUDIO}/quizzes"),),
    "analytics.statistics": (visit("trainer", f"{STUDIO}/quizzes/{QUIZ}/statistics"),),
    "analytics.sandbox": (visit("trainer", f"{STUDIO}/sandbox"),),
    "assignments.course_assignments": (visit("trainer", f"{STUDIO}/assignments"),),
    "assignments.change": (visit("trainer", lambda s: f"{STUDIO}/assignments/{s.assignment_id}"),),
    "assignments.remove": (visit("trainer", lambda s: f"{STUDIO}/assignments/{s.assignment_id}/delete"),),
    "scorm.packages": (visit("trainer", f"{STUDIO}/scorm"),),
    "scorm.revoke": (visit("trainer", lambda s: f"{STUDIO}/scorm/{s.package_id}/revoke"),),
    # admin
    "admin.users": (visit("admin", "/admin/users"),),
    "admin.user": (visit("admin", lambda s: f"/admin/users/{s.learner_id}"),),
    "admin.delete_user": (visit("admin", lambda s: f"/admin/users/{s.learner_id}/delete"),),
    "admin.invite": (visit("admin", "/admin/users/invite"),),
    "admin.import_users": (visit("admin", "/admin/users/import"),),
    "admin.audit": (visit("admin", "/admin/audit"),),
    "admin.groups": (visit("admin", "/admin/groups"),),
    "admin.new_group": (visit("admin", "/admin/groups/new"),),
    "admin.group": (visit("admin", lambda s: f"/admin/groups/{s.group_id}"),),
    "admin.edit_group": (visit("admin", lambda s: f"/admin/groups/{s.group_id}/edit"),),
    "admin.delete_group": (visit("admin", lambda s: f"/admin/groups/{s.group_id}/delete"),),
    "admin.import_group_members": (visit("admin", lambda s: f"/admin/groups/{s.group_id}/import"),),
    "api_tokens.index": (visit("admin", "/admin/api-tokens"),),
    "webhooks.index": (visit("admin", "/admin/webhooks"),),
    "webhooks.new": (visit("admin", "/admin/webhooks/new"),),
    "webhooks.show": (visit("admin", lambda s: f"/admin/webhooks/{s.webhook_id}"),),
    "webhooks.edit": (visit("admin", lambda s: f"/admin/webhooks/{s.webhook_id}/edit"),),
    "webhooks.delete": (visit("admin", lambda s: f"/admin/webhooks/{s.webhook_id}/delete"),),
    "lti.platforms": (visit("admin", "/admin/lti"),),
    "lti.new_platform": (visit("admin", "/admin/lti/new"),),
    "lti.edit_platform": (visit("admin", lambda s: f"/admin/lti/{s.platform_id}"),),
    "lti_services.contexts": (visit("admin", "/admin/lti/contexts"),),
    "notifications.outbox": (visit("admin", "/admin/mail"),),
    "outbox.index": (visit("admin", "/admin/outbox"),),
    "jobs.admin": (visit("admin", "/admin/jobs"),),
}

# Pages no route table names: the error pages, as visitors meet them.
ERROR_PAGES: tuple[Visit, ...] = (
    visit("anonymous", "/no-such-page", 404),
    visit("learner", "/admin/users", 403),
)

# endpoint (or "blueprint." for all of a blueprint's rules) -> why it is no page to check.
EXCLUDED: dict[str, str] = {
    "api.": "JSON API for scripts and the quiz/sandbox JavaScript",
    "hr.": "JSON token API for HR systems",
    "xapi.": "xAPI activity definitions (JSON) for learning record stores",
    "static": "CSS, JavaScript, images",
    "brand_asset": "the configured logo and brand stylesheet",
    "media.media_file": "uploaded images and files",
    "site.healthz": "plain-text health check for the load balancer",
    "jobs.status": "JSON status for the job page's JavaScript",
    "jobs.download": "the file a background job made (ZIP, CSV)",
    "authoring.gift_download": "GIFT text download",
    "certificates.pdf": "PDF download",
    "certificates.credential": "signed credential (JSON) download",
    "certificates.issuer": "issuer profile (JSON) for credential verifiers",
    "certificates.status_list": "revocation status list (JSON) for credential verifiers",
    "auth.sso_login": "redirect to the identity provider",
    "auth.sso_callback": "redirect back from the identity provider",
    "lti.configuration": "LTI tool configuration (JSON) for LMSs",
    "lti.jwks": "public keys (JSON) for LMSs",
    "lti.login": "OIDC login initiation: a redirect to the LMS",
    "lti.deep_link": "only inside an instructor's deep-linking launch from an LMS (session-bound); tests/web covers it",
    "scorm.status": "JSON status for the SCORM package's JavaScript",
}


def excluded(endpoint: str) -> bool:
    return endpoint in EXCLUDED or endpoint.split(".", 1)[0] + "." in EXCLUDED


# How wide the document is, and what makes it so: the innermost elements that reach the document's right edge or
# past the viewport without a scrolling box of their own around them, and elements whose own text runs out of them (a
# long word or address; the text node has no box to measure).
OVERFLOW_SCRIPT = """() => {
  const width = window.innerWidth;
  const documentWidth = document.documentElement.scrollWidth;
  const clipped = (el) => {
    for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
      const style = getComputedStyle(box);
      if (style.overflowX !== 'visible' && box.getBoundingClientRect().right <= width + 1) return true;
    }
    return false;
  };
  const name = (el) => {
    let text = el.tagName.toLowerCase();
    if (el.id) text += '#' + el.id;
    for (const cls of el.classList) text += '.' + cls;
    return text;
  };
  const path = (el) => {
    const parts = [];
    for (let node = el; node && node !== document.body && parts.length < 4; node = node.parentElement) {
      parts.unshift(name(node));
    }
    return parts.join(' > ');
  };
  const all = [...document.body.querySelectorAll('*')];
  const wide = all.filter((el) => {
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 && rect.height === 0) return false;
    if (Math.abs(rect.right + window.scrollX - documentWidth) <= 1 && documentWidth > width) return true;
    return (rect.right > width + 1 || rect.left < -1) && !clipped(el);
  });
  const spilling = all.filter((el) => {
    const style = getComputedStyle(el);
    return style.overflowX === 'visible' && style.display !== 'inline' && el.scrollWidth > el.clientWidth + 1
      && el.getBoundingClientRect().left + el.scrollWidth > width + 1 && !clipped(el);
  });
  const found = [...new Set([...wide, ...spilling])];
  const innermost = found.filter((el) => !found.some((other) => other !== el && el.contains(other)));
  const right = (el) => Math.max(el.getBoundingClientRect().right, el.getBoundingClientRect().left + el.scrollWidth);
  innermost.sort((a, b) => right(b) - right(a));
  return {
    scrollWidth: documentWidth,
    innerWidth: width,
    offenders: innermost.slice(0, 6).map((el) => {
      const rect = el.getBoundingClientRect();
      return `${path(el)} (left ${Math.round(rect.left)}, right ${Math.round(rect.right)}, `
        + `content ${el.scrollWidth} px in ${el.clientWidth}): ${el.outerHTML.slice(0, 100).replace(/\\s+/g, ' ')}`;
    }),
  };
}"""


def account(app: Flask, role: str, name: str, *, password: str | None = PASSWORD) -> tuple[Learner, User]:
    person = Learner(name=name, email=f"{role}-{uuid4().hex[:12]}@example.org", password=password or "")
    user = accounts.create_user(person.email, None, name, role=role, locale="de", email_verified=True)
    if password is not None:
        user.password_hash = generate_password_hash(password, method="pbkdf2:sha256:1")  # cheap: a test account
    return person, user


def seed_everything(app: Flask) -> Seed:
    """One of everything the pages show, written the way the app's views write it (through its operations)."""
    seed = Seed()
    with app.test_request_context("/"):
        course = catalog().course(COURSE_ID)
        people = {
            role: account(app, role, name)
            for role, name in (
                ("learner", "Maximiliane Oberstaatsanwältin-Schwarzenberger"),  # long words, like real names
                ("manager", "Mona Managerin"),
                ("trainer", "Tom Trainer"),
                ("admin", "Ada Administratorin"),
            )
        }
        seed.people = {role: person for role, (person, _user) in people.items()}
        learner, manager, trainer, admin = (people[role][1] for role in ("learner", "manager", "trainer", "admin"))
        db.session.flush()
        seed.learner_id = learner.id

        team = groups.create_group(f"Vertriebsteam Süd-West {uuid4().hex[:6]}", "Alle Key-Account-Manager im Süden")
        groups.add_member(team, learner)
        groups.add_member(team, trainer, "trainer")
        groups.add_member(team, manager, "manager")
        seed.group_id = team.id

        # The learner has done the whole course: lessons, quizzes, the sandbox, a certificate.
        for lesson_id in course.lesson_ids:
            db.session.add(LessonProgress(user_id=learner.id, course_id=course.id, lesson_id=lesson_id))
        first, second = course.quizzes[0], course.quizzes[1]
        done, _new = quizzes.start_attempt(learner, course, first)
        quizzes.submit_attempt(done, first, {})
        seed.submitted_attempt = done.id
        seed.open_attempt = quizzes.start_attempt(learner, course, second)[0].id
        with_essay = next(quiz for quiz in course.quizzes if any(q.type == "essay" for q in quiz.questions))
        waiting, _new = quizzes.start_attempt(learner, course, with_essay)
        essay = next(q for q in with_essay.questions if q.type == "essay")
        quizzes.submit_attempt(waiting, with_essay, {essay.id: pick(essay.explanation, "de")})
        seed.essay_attempt = waiting.id
        for quiz in course.quizzes[1:]:  # the first one stays failed (submitted empty): both kinds of result
            db.session.add(
                QuizResult(
                    user_id=learner.id, course_id=course.id, quiz_id=quiz.id, best_percent=90.0, passed=True, attempts=1
                )
            )
        scenario_id = sandbox.assignment_of(learner.id, course.id).scenario_id
        seed.tokens["scenario"] = scenario_id
        design = sandbox.start_design(learner, course, scenario_id, None, "de")
        plan = adapted_plan(scenario_id, design.seed)
        seed.versions = tuple(sandbox.save_version(design, p)[0].number for p in (plan, plan))  # type: ignore[assignment]
        seed.design_id = design.id
        sandbox.request_feedback(design, learner)
        db.session.flush()
        issuer = certificates.Issuer(name=documents.issuer_name(), url=app.config["PUBLIC_URL"])
        certificate, _created = certificates.issue(
            learner, course, learner.display_name, "de", catalog().version, issuer, signing_key()
        )
        notifications.certificate_issued(certificate)
        seed.certificate = certificate.public_id

        assignment = CourseAssignment(
            course_id=COURSE_ID, group_id=team.id, due_at=utcnow() + timedelta(days=14), time_zone="Europe/Berlin"
        )
        db.session.add(assignment)  # as the assign page saves it; the bundled course is open, so the form refuses
        db.session.flush()
        seed.assignment_id = assignment.id
        package, _key = scorm.create(
            course, parse_target(f"course:{COURSE_ID}"), "1.2", "Lernplattform der Vertriebsakademie", trainer
        )
        seed.package_id = package.id
        platform = lti.add_platform(
            lti.PlatformSettings(
                name="Moodle der Vertriebsakademie",
                issuer="https://moodle.example.org",
                client_id="a-very-long-client-id-" + "0123456789" * 4,
                deployment_ids=["1"],
                auth_login_url="https://moodle.example.org/mod/lti/auth.php",
                auth_token_url="https://moodle.example.org/mod/lti/token.php",
                key_set_url="https://moodle.example.org/mod/lti/certs.php",
            )
        )
        seed.platform_id = platform.id
        hook = Webhook(
            name="Personalabteilung",
            url="https://hr.example.org/hooks/course-events/" + "a1b2c3d4" * 6,
            secret="whsec_" + "x" * 40,
            events=["certificate.issued", "course.completed"],
            created_by_id=admin.id,
        )
        db.session.add(hook)
        db.session.flush()
        seed.webhook_id = hook.id

        invited = account(app, "learner", "Ines Eingeladen", password=None)[1]
        unconfirmed = account(app, "learner", "Ulf Unbestätigt")[1]
        seed.tokens["invite"] = accounts.issue_token(invited, "invite")
        seed.tokens["verify"] = accounts.issue_token(unconfirmed, "verify")
        seed.tokens["reset"] = accounts.issue_token(unconfirmed, "reset")
        seed.tokens["email"] = accounts.issue_token(learner, "email", new_email=f"neu-{uuid4().hex[:8]}@example.org")
        report = {"group_id": team.id, "course_id": COURSE_ID, "back": f"/reports/groups/{team.id}/courses/{COURSE_ID}"}
        seed.job_id = jobs.create("reports.group_csv", report, by_id=manager.id, lang="de").id
        db.session.commit()
        jobs.run_due()  # here, or by the live server's runner if it took the job first
        for _ in range(300):  # bounded: the runner is a thread
            if db.session.get(Job, seed.job_id).state == "done":
                break
            db.session.rollback()
            time.sleep(0.05)
    return seed


@pytest.fixture(scope="module")
def seed(live_server: LiveServer) -> Seed:
    return seed_everything(live_server.app)


@pytest.fixture(scope="module")
def phones(browser: Browser, live_server: LiveServer, seed: Seed) -> Iterator[dict[str, Page]]:
    """One logged-in phone per role (anonymous: not logged in), German, 360 px wide."""
    contexts = []
    pages: dict[str, Page] = {}
    for role in ROLES:
        width, height = PHONE
        context = browser.new_context(
            base_url=live_server.url, locale="de-DE", viewport={"width": width, "height": height}
        )
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        pages[role] = context.new_page()
        if role != "anonymous":
            log_in(pages[role], seed.people[role])
    yield pages
    for context in contexts:
        context.close()


def test_every_get_route_is_visited_or_excluded(live_server: LiveServer) -> None:
    rules = {rule.endpoint for rule in live_server.app.url_map.iter_rules() if "GET" in (rule.methods or ())}
    missing = sorted(endpoint for endpoint in rules if endpoint not in PAGES and not excluded(endpoint))
    assert not missing, (
        "GET routes this test neither opens nor excludes; add them to PAGES (with a real URL) or EXCLUDED (with "
        f"the reason they are no page): {missing}"
    )
    stale = sorted(endpoint for endpoint in PAGES if endpoint not in rules)
    assert not stale, f"PAGES names routes the app no longer has: {stale}"


def check(page: Page, url: str, status: int) -> list[str]:
    """Open `url` once: its status, the document's width at 360 px, axe in light and in dark."""
    problems: list[str] = []
    page.emulate_media(color_scheme="light")
    response = page.goto(url)
    got = response.status if response is not None else None
    if got != status:
        problems.append(f"status {got}, expected {status}")
    page.wait_for_function("() => !document.querySelector('[aria-busy=\"true\"]')")  # a preview still loading: its end
    width = page.evaluate(OVERFLOW_SCRIPT)
    if width["scrollWidth"] > width["innerWidth"]:
        offenders = "\n".join(f"        {offender}" for offender in width["offenders"])
        problems.append(
            f"scrolls sideways: {width['scrollWidth']} px wide in a {width['innerWidth']} px viewport\n{offenders}"
        )
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        violations = blocking_violations(page)
        if violations:
            problems.append(f"axe ({scheme}):\n" + describe(violations))
    return problems


@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits_a_phone_and_passes_axe(role: str, phones: dict[str, Page], seed: Seed, tmp_path: Path) -> None:
    page = phones[role]
    visits = [(endpoint, v) for endpoint, rows in PAGES.items() for v in rows if v.role == role]
    visits += [("error page", v) for v in ERROR_PAGES if v.role == role]
    assert visits, f"no page is opened as {role}"
    failures: list[str] = []
    for number, (endpoint, row) in enumerate(visits):
        url = row.url(seed)
        try:
            problems = check(page, url, row.status)
        except PlaywrightError as error:  # a page that hangs or crashes is one finding, not the end of the run
            problems = [f"could not be checked: {error.message.splitlines()[0]}"]
        if problems:
            shot = tmp_path / f"{role}-{number}.png"
            with contextlib.suppress(PlaywrightError):  # a crashed page has no picture; its findings stand anyway
                page.screenshot(path=str(shot), full_page=True)
                problems.append(f"screenshot: {shot}")
            failures.append(f"--- {endpoint} {url} ({role})\n" + "\n".join(f"    {p}" for p in problems))
    if failures:
        pytest.fail(
            f"{len(failures)} of {len(visits)} pages fail at {PHONE[0]} px:\n" + "\n".join(failures), pytrace=False
        )
