"""SCORM packages: creating and revoking them, building their ZIP, the LMS learner's account, their standing.

Trust model: a package's key is its only credential. Whoever holds the file (the LMS, its admins, anyone who
unzips it) can launch the course as any learner id of that package and read any such learner's standing; that is
inherent to SCORM dispatch, where the LMS's run-time lives in the browser and vouches for nobody. Hence the limits:
each package has its own accounts (identities "scorm:<package id>", never linked to other accounts by name or
address), a package per LMS can be revoked on its own, and the key is stored only as its SHA-256.
"""

from __future__ import annotations

import hashlib
import secrets
from functools import cache
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from course.audit import operations as audit
from course.auth import operations as accounts
from course.core import completion
from course.core import scorm as core
from course.core.catalog import Course
from course.extensions import db, savepoint
from course.i18n import LANGUAGES
from course.models import Certificate, CurrentUser, QuizResult, SandboxDesign, ScormPackage, SsoIdentity, User, utcnow
from course.notifications import operations as notifications
from course.urls import external_url

ASSETS = Path(__file__).resolve().parent / "package"
PLACEHOLDER_DOMAIN = "scorm.invalid"  # RFC 2606 reserves .invalid: no mail can ever be delivered there
KEY_BYTES = 32


class LaunchRefused(Exception):
    """Why a launch or a status request is refused: "unknown_package", "revoked", a learner id problem
    (core.learner_id_problem), "deactivated", or "busy" (a first launch of the same learner at the same moment)."""

    def __init__(self, reason: str, package: ScormPackage | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.package = package


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def packages(course_id: str) -> list[ScormPackage]:
    """The course's packages, newest first."""
    statement = select(ScormPackage).where(ScormPackage.course_id == course_id)
    return list(db.session.scalars(statement.order_by(ScormPackage.created_at.desc(), ScormPackage.id.desc())))


def learner_counts(rows: list[ScormPackage]) -> dict[int, int]:
    """Package id → how many LMS learners it has launched (accounts made)."""
    keys = {provider_key(row): row.id for row in rows}
    counted = db.session.execute(
        select(SsoIdentity.provider, func.count()).where(SsoIdentity.provider.in_(keys)).group_by(SsoIdentity.provider)
    ).all()
    found = {keys[provider]: count for provider, count in counted}
    return {row.id: found.get(row.id, 0) for row in rows}


def find_package(course_id: str, package_id: int) -> ScormPackage | None:
    package = db.session.get(ScormPackage, package_id)
    return package if package is not None and package.course_id == course_id else None


def create(course: Course, target: core.Target, version: str, title: str, by: CurrentUser) -> tuple[ScormPackage, str]:
    """A new package and its key (returned once: only its hash is kept); the caller commits."""
    if version not in core.VERSIONS:
        raise ValueError(f"unknown SCORM version {version!r}")
    key = secrets.token_urlsafe(KEY_BYTES)
    package = ScormPackage(
        title=title,
        course_id=course.id,
        target=str(target),
        scorm_version=version,
        key_hash=key_hash(key),
        created_by_id=by.id,
    )
    db.session.add(package)
    db.session.flush()
    audit.record(
        "scorm_package_created",
        actor=by,
        target_label=title,
        package=package.id,
        opens=str(target),
        version=version,
    )
    return package, key


def revoke(package: ScormPackage, by: CurrentUser) -> bool:
    """Stop the package's launches and status reports (its accounts and their progress stay); False if it was
    revoked already. The caller commits."""
    if package.revoked_at is not None:
        return False
    package.revoked_at = utcnow()
    audit.record("scorm_package_revoked", actor=by, target_label=package.title, package=package.id)
    return True


def live_package(key: str) -> ScormPackage:
    """The unrevoked package whose key this is; raises LaunchRefused."""
    package = None
    if 20 <= len(key) <= 100 and key.isascii():
        package = db.session.scalar(select(ScormPackage).where(ScormPackage.key_hash == key_hash(key)))
    if package is None:
        raise LaunchRefused("unknown_package")
    if package.revoked_at is not None:
        raise LaunchRefused("revoked", package)
    return package


def check_learner_id(package: ScormPackage, learner_id: str | None) -> str:
    problem = core.learner_id_problem(learner_id)
    if problem is not None:
        raise LaunchRefused(problem, package)
    return str(learner_id)


def provider_key(package: ScormPackage) -> str:
    return f"scorm:{package.id}"


def find_learner(package: ScormPackage, learner_id: str) -> User | None:
    identity = db.session.scalar(
        select(SsoIdentity).where(SsoIdentity.provider == provider_key(package), SsoIdentity.subject == learner_id)
    )
    return db.session.get(User, identity.user_id) if identity is not None else None


def learner_account(package: ScormPackage, learner_id: str, learner_name: str | None, language: str) -> User:
    """The account of the package's learner `learner_id`, created at the first launch; raises LaunchRefused for a
    deactivated or erased one. The caller commits (or rolls back after a refusal: nothing is left half-made).

    A new account gets a placeholder address under .invalid, random so it names nobody: the account can never
    receive mail (and asks for none), never sign in with a password, and is never joined to another account by its
    address."""
    provider = provider_key(package)
    identity = db.session.scalar(
        select(SsoIdentity).where(SsoIdentity.provider == provider, SsoIdentity.subject == learner_id)
    )
    if identity is not None:
        user = db.session.get(User, identity.user_id)
        if user is None or not user.active or user.deleted_at is not None:
            raise LaunchRefused("deactivated", package)
    else:
        name = core.learner_display_name(learner_name, _("Learner %(id)s", id=learner_id[:40]))
        email = f"scorm-{package.id}-{secrets.token_hex(8)}@{PLACEHOLDER_DOMAIN}"
        user = accounts.create_user(email, None, name, role="learner", locale=language)
        identity = SsoIdentity(user_id=user.id, provider=provider, subject=learner_id)
        try:
            with savepoint():  # the unique (provider, subject): two first launches at once make one identity
                db.session.add(identity)
        except IntegrityError:
            raise LaunchRefused("busy", package) from None
        # Nothing is ever mailed to the placeholder: notifications stay in the app.
        notifications.save_preferences(user, dict.fromkeys(notifications.preferences(user), False))
        audit.record("registered", target=user, actor=None, provider=provider)
    identity.last_login_at = utcnow()
    package.last_launch_at = utcnow()
    return user


# --- The learner's standing --------------------------------------------------------------------------------------


def standing(package: ScormPackage, course: Course, user: User | None) -> core.Standing:
    """Where the package's learner stands on its target (nothing done, for a learner who never launched)."""
    target = core.parse_target(package.target)
    if user is None:
        return core.Standing()
    if target.kind == "lesson":
        return core.lesson_standing((course.id, target.item) in user.completed)
    if target.kind == "quiz":
        result = db.session.scalar(
            select(QuizResult).where(
                QuizResult.user_id == user.id, QuizResult.course_id == course.id, QuizResult.quiz_id == target.item
            )
        )
        return core.quiz_standing(result.best_percent if result else None, result.passed if result else None)
    if target.kind == "sandbox":
        best = db.session.scalar(
            select(func.max(SandboxDesign.best_score)).where(
                SandboxDesign.user_id == user.id,
                SandboxDesign.course_id == course.id,
                SandboxDesign.scenario_id == target.item,
            )
        )
        return core.sandbox_standing(best, course.completion.sandbox)
    rule = course.requirements
    learner = completion.progress(
        rule,
        (lesson for course_id, lesson in user.completed if course_id == course.id),
        (quiz for course_id, quiz in user.passed if course_id == course.id),
        user.sandbox.get(course.id),
    )
    certified = db.session.scalar(
        select(func.count())
        .select_from(Certificate)
        .where(Certificate.user_id == user.id, Certificate.course_id == course.id, Certificate.revoked_at.is_(None))
    )
    percents = dict(
        db.session.execute(
            select(QuizResult.quiz_id, QuizResult.best_percent).where(
                QuizResult.user_id == user.id, QuizResult.course_id == course.id
            )
        ).all()
    )
    return core.course_standing(rule, learner, certified=bool(certified), quiz_percents=percents)


# --- The package file ----------------------------------------------------------------------------------------------


@cache
def _asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


def _texts(language: str) -> dict[str, str]:
    """The SCO page's texts in one language."""
    with force_locale(language):
        return {
            "starting": _("Connecting to your learning platform…"),
            "running": _("Your progress in the course is passed on to your learning platform."),
            "completed": _("Done: your learning platform has your result."),
            "open": _("Open the course in a new window"),
            "no_lms": _(
                "This package must be started from a learning platform (LMS): none was found. Please open it "
                "through your LMS."
            ),
            "no_session": _("Your learning platform did not start the session. Please close this page and try again."),
            "no_learner": _(
                "Your learning platform did not say who you are (no learner id), so the course cannot be opened "
                "for you. Please tell the platform's administrator."
            ),
            "unavailable": _("The course cannot be reached at the moment; your progress is passed on later."),
        }


def package_zip(package: ScormPackage, key: str, language: str) -> bytes:
    """The package's ZIP, with the key inside; texts in `language` first, then the site's other languages."""
    languages = [language, *(lang for lang in LANGUAGES if lang != language)]
    page = core.LaunchPage(
        title=package.title,
        version=package.scorm_version,
        launch_url=external_url("scorm.launch", key=key),
        status_url=external_url("scorm.status", key=key),
        poll_seconds=int(current_app.config["SCORM_POLL_SECONDS"]),
        texts={lang: _texts(lang) for lang in languages},
    )
    files = core.package_files(page, f"course-scorm-{package.id}", _asset("sco.js"), _asset("sco.css"))
    return core.package_zip(files)


def package_filename(package: ScormPackage) -> str:
    version = package.scorm_version.replace(".", "")
    return f"scorm{version}-{package.course_id}-{package.id}.zip"
