"""Everything the site holds about one account, as one ZIP of JSON files (GDPR Art. 15 and 20).

Machine-readable first: UTF-8 JSON with ISO 8601 times in UTC, field names as in the database, and a README in
the account's language saying what each file holds. Certificates come as the certificate pages hand them out
(course/certificates/documents.py), so the PDF and the signed credential are the same files, not look-alikes.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from datetime import UTC, datetime
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import or_, select

from course.certificates import documents
from course.certificates import operations as certificates
from course.certificates.keys import KeyUnavailable, signing_key
from course.core.certificates.record import format_instant
from course.extensions import db
from course.models import (
    AuditEntry,
    Certificate,
    LessonProgress,
    Notification,
    NotificationMail,
    NotificationPreference,
    QuizAttempt,
    QuizResult,
    SandboxAssignment,
    SandboxDesign,
    SandboxResult,
    SsoIdentity,
    User,
    UserSession,
    utcnow,
)

log = logging.getLogger(__name__)

FILES = (
    "README.txt",
    "account.json",
    "progress.json",
    "quiz_attempts.json",
    "sandbox_designs.json",
    "notifications.json",
    "audit.json",
)


def file_name(today: datetime) -> str:
    return f"kam-course-data-{today:%Y-%m-%d}.zip"


def _json(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, default=_plain).encode("utf-8")


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON data")


def account(user: User) -> dict[str, Any]:
    """The account's own fields (never the password hash), how it signs in, and its open sessions."""
    providers = current_app.config["OIDC_PROVIDERS"]
    identities = db.session.scalars(select(SsoIdentity).where(SsoIdentity.user_id == user.id).order_by(SsoIdentity.id))
    sessions = db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.created_at)
    )
    return {
        "id": user.id,
        "email": user.email,
        "email_verified": user.email_verified,
        "display_name": user.display_name,
        "role": user.role,
        "locale": user.locale,
        "active": user.active,
        "created_at": user.created_at,
        "last_login_at": user.last_login_at,
        "has_password": user.password_hash is not None,
        "single_sign_on": [
            {
                "provider": identity.provider,
                "provider_name": providers.get(identity.provider, {}).get("name", identity.provider),
                "subject": identity.subject,
                "created_at": identity.created_at,
                "last_login_at": identity.last_login_at,
            }
            for identity in identities
        ],
        "sessions": [
            {
                "created_at": row.created_at,
                "expires_at": datetime.fromtimestamp(row.expires_epoch, tz=UTC),
                "stay_logged_in": row.remember,
                "single_sign_on": row.sso_provider,
            }
            for row in sessions
        ],
    }


def progress(user: User) -> dict[str, Any]:
    lessons = db.session.scalars(
        select(LessonProgress).where(LessonProgress.user_id == user.id).order_by(LessonProgress.completed_at)
    )
    quizzes = db.session.scalars(select(QuizResult).where(QuizResult.user_id == user.id).order_by(QuizResult.id))
    sandbox = db.session.scalars(
        select(SandboxResult).where(SandboxResult.user_id == user.id).order_by(SandboxResult.id)
    )
    assigned = db.session.scalars(
        select(SandboxAssignment).where(SandboxAssignment.user_id == user.id).order_by(SandboxAssignment.id)
    )
    return {
        "lessons_completed": [
            {"course_id": row.course_id, "lesson_id": row.lesson_id, "completed_at": row.completed_at}
            for row in lessons
        ],
        "quiz_results": [
            {
                "course_id": row.course_id,
                "quiz_id": row.quiz_id,
                "best_percent": row.best_percent,
                "passed": row.passed,
                "attempts": row.attempts,
                "updated_at": row.updated_at,
            }
            for row in quizzes
        ],
        "sandbox_results": [
            {
                "course_id": row.course_id,
                "best_score": row.best_score,
                "assigned_account_score": row.assigned_score,
                "other_account_score": row.other_score,
                "updated_at": row.updated_at,
            }
            for row in sandbox
        ],
        "sandbox_assignments": [
            {"course_id": row.course_id, "scenario_id": row.scenario_id, "seed": row.seed, "created_at": row.created_at}
            for row in assigned
        ],
    }


def quiz_attempts(user: User) -> list[dict[str, Any]]:
    """Every attempt with its answers as stored: the response per question and, once checked or submitted, its marks."""
    attempts = db.session.scalars(
        select(QuizAttempt)
        .where(QuizAttempt.user_id == user.id)
        .order_by(QuizAttempt.course_id, QuizAttempt.quiz_id, QuizAttempt.number)
    )
    return [
        {
            "id": row.id,
            "course_id": row.course_id,
            "quiz_id": row.quiz_id,
            "number": row.number,
            "status": row.status,
            "started_at": row.started_at,
            "submitted_at": row.submitted_at,
            "score": row.score,
            "max_score": row.max_score,
            "percent": row.percent,
            "passed": row.passed,
            "questions_in_order": [question_id for question_id, _options in row.layout],
            "answers": row.answers,
        }
        for row in attempts
    ]


def sandbox_designs(user: User) -> list[dict[str, Any]]:
    """Every design with all its versions (plan, score, verdicts) and the trainers' comments on it."""
    designs = db.session.scalars(
        select(SandboxDesign).where(SandboxDesign.user_id == user.id).order_by(SandboxDesign.created_at)
    )
    return [
        {
            "id": design.id,
            "course_id": design.course_id,
            "scenario_id": design.scenario_id,
            "seed": design.seed,
            "name": design.name,
            "best_score": design.best_score,
            "created_at": design.created_at,
            "updated_at": design.updated_at,
            "versions": [
                {
                    "number": version.number,
                    "plan": version.plan,
                    "score": version.score,
                    "passed": version.passed,
                    "verdicts": version.verdicts,
                    "created_at": version.created_at,
                }
                for version in design.versions
            ],
            "comments": [
                {
                    "version": comment.version_number,
                    "author": comment.author.display_name if comment.author is not None else None,
                    "text": comment.body,
                    "created_at": comment.created_at,
                }
                for comment in design.comments
            ],
        }
        for design in designs
    ]


def notifications(user: User) -> dict[str, Any]:
    """What the site told the account (kind, what it was about, when, whether read and mailed) and its mail
    choices."""
    rows = db.session.execute(
        select(Notification, NotificationMail.status, NotificationMail.sent_at)
        .outerjoin(NotificationMail, NotificationMail.notification_id == Notification.id)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at, Notification.id)
    ).all()
    preferences = db.session.scalars(
        select(NotificationPreference)
        .where(NotificationPreference.user_id == user.id)
        .order_by(NotificationPreference.kind)
    )
    return {
        "notifications": [
            {
                "kind": notification.kind,
                "about": notification.data,
                "created_at": notification.created_at,
                "read_at": notification.read_at,
                "mail": status,
                "mailed_at": sent_at,
            }
            for notification, status, sent_at in rows
        ],
        "mail_choices": {row.kind: row.by_mail for row in preferences},
    }


def audit_entries(user: User) -> list[dict[str, Any]]:
    """The audit log's entries about the account or by it; the address an entry was made from only when it was
    the account's own."""
    entries = db.session.scalars(
        select(AuditEntry)
        .where(or_(AuditEntry.actor_id == user.id, AuditEntry.target_user_id == user.id))
        .order_by(AuditEntry.created_at, AuditEntry.id)
    )
    return [
        {
            "created_at": entry.created_at,
            "action": entry.action,
            "by": entry.actor_label,
            "about": entry.target_label,
            "detail": entry.detail,
            "ip": entry.ip if entry.actor_id == user.id else None,
        }
        for entry in entries
    ]


def _certificate_files(archive: zipfile.ZipFile, user: User) -> bool:
    """certificates/<id>/: the signed record with its status, and for a current certificate its PDF and credential.
    Returns False when the credentials could not be signed (the signing key is missing for now)."""
    held = list(
        db.session.scalars(select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.issued_at))
    )
    key, signed = None, True
    if any(certificate.revoked_at is None for certificate in held):
        try:
            key = signing_key()
        except KeyUnavailable as error:
            log.error("data export of account %s without credentials: %s", user.id, error)
            signed = False
    for certificate in held:
        folder = f"certificates/{certificate.public_id}"
        archive.writestr(
            f"{folder}/record.json",
            _json(
                {
                    "record": certificate.record,
                    "signature": certificate.signature,
                    "key_id": certificate.key_id,
                    "status": "revoked" if certificate.revoked_at else "valid",
                    "revoked_at": format_instant(certificate.revoked_at) if certificate.revoked_at else None,
                    "revoked_reason": certificate.revoked_reason,
                    "verify_url": documents.verify_url(certificate.public_id),
                }
            ),
        )
        record = certificates.stored_record(certificate)
        if record is None or certificate.revoked_at is not None:
            continue
        archive.writestr(f"{folder}/certificate.pdf", certificates.certificate_pdf(certificate, record).data)
        if key is not None:
            credential = documents.credential(record, key, certificate.status_index)
            archive.writestr(f"{folder}/credential.json", _json(credential))
    return signed


def archive(user: User, lang: str) -> bytes:
    """The ZIP: one JSON file per kind of data, certificates/ and README.txt. Needs a request context (URLs, PDFs)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("account.json", _json(account(user)))
        zipped.writestr("progress.json", _json(progress(user)))
        zipped.writestr("quiz_attempts.json", _json(quiz_attempts(user)))
        zipped.writestr("sandbox_designs.json", _json(sandbox_designs(user)))
        zipped.writestr("notifications.json", _json(notifications(user)))
        zipped.writestr("audit.json", _json(audit_entries(user)))
        signed = _certificate_files(zipped, user)
        with force_locale(lang):
            readme = render_template(
                "account/export_readme.txt", user=user, now=utcnow(), credentials_missing=not signed
            )
        zipped.writestr("README.txt", readme.strip() + "\n")
    return buffer.getvalue()
