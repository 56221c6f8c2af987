"""Certificates in the database: eligibility, issuing exactly once, and checking one by its public id."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from course.auth.operations import RequestUser
from course.core.catalog import Course
from course.core.certificates.record import (
    CertificateRecord,
    is_public_id,
    new_public_id,
    record_from_dict,
    record_to_dict,
)
from course.core.certificates.signing import key_id, sign_record, verify_record
from course.extensions import db
from course.learn import operations as progress
from course.models import Certificate, QuizResult, User, utcnow

MAX_ISSUE_TRIES = 3  # a public id collision (2⁻¹²⁸) or a parallel issue: read again and decide again


def current_certificate(user_id: int, course_id: str) -> Certificate | None:
    """The learner's certificate for the course that is not revoked, if any."""
    return db.session.scalar(
        select(Certificate).where(
            Certificate.user_id == user_id, Certificate.course_id == course_id, Certificate.revoked_at.is_(None)
        )
    )


def steps(user: User | RequestUser, course: Course) -> list[progress.Step]:
    return progress.checklist(
        course,
        progress.completed_lessons(user, course),
        progress.passed_quizzes(user, course),
        user.sandbox.get(course.id),
    )


def eligible(user: User | RequestUser, course: Course) -> bool:
    """Whether the course's completion rule is met now (every step of the checklist done)."""
    return all(step.done for step in steps(user, course))


def result_summary(user: User | RequestUser, course: Course) -> dict[str, object]:
    """What the certificate states as the result: lessons, best quiz percentages, best sandbox score."""
    best = dict(
        db.session.execute(
            select(QuizResult.quiz_id, QuizResult.best_percent).where(
                QuizResult.user_id == user.id, QuizResult.course_id == course.id
            )
        ).all()
    )
    summary: dict[str, object] = {
        "lessons": len(progress.completed_lessons(user, course)),
        "lessons_total": len(course.lessons),
        "quizzes": {quiz_id: round(best[quiz_id], 1) for quiz_id in course.required_quizzes if quiz_id in best},
    }
    score = user.sandbox.get(course.id)
    if course.completion.sandbox is not None and score is not None:
        summary["sandbox"] = round(score, 1)
    return summary


@dataclass(frozen=True)
class Issuer:
    name: str
    url: str


def issue(
    user: User | RequestUser, course: Course, name: str, language: str, course_version: int, issuer: Issuer, key
) -> tuple[Certificate, bool]:  # noqa: ANN001 - an Ed25519 private key
    """Issue the certificate once: an existing current one is returned (False), never a second one.

    The caller has checked eligibility and validated `name`. The partial unique index on (user, course)
    for unrevoked rows makes two simultaneous issues end with one row.
    """
    for _ in range(MAX_ISSUE_TRIES):
        existing = current_certificate(user.id, course.id)
        if existing is not None:
            return existing, False
        record = CertificateRecord(
            public_id=new_public_id(secrets.token_bytes),
            recipient_name=name,
            course_id=course.id,
            course_title=dict(course.titles),
            course_version=str(course_version),
            issued_at=utcnow(),
            result=result_summary(user, course),
            issuer_name=issuer.name,
            issuer_url=issuer.url,
            language=language,
        )
        certificate = Certificate(
            public_id=record.public_id,
            user_id=user.id,
            course_id=course.id,
            record=record_to_dict(record),
            signature=sign_record(record, key),
            key_id=key_id(key.public_key()),
            issued_at=record.issued_at,
        )
        try:
            with db.session.begin_nested():
                db.session.add(certificate)
        except IntegrityError:
            continue
        return certificate, True
    existing = current_certificate(user.id, course.id)
    if existing is None:
        raise RuntimeError("could not issue a certificate")
    return existing, False


def stored_record(certificate: Certificate) -> CertificateRecord | None:
    """The signed record as stored; None if the row no longer reads as one (it was tampered with)."""
    try:
        return record_from_dict(certificate.record)
    except (KeyError, TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Check:
    """What the public verification page says about an id."""

    status: str  # "valid" | "revoked" | "invalid" | "unknown"
    certificate: Certificate | None = None
    record: CertificateRecord | None = None


def check(public_id: str, key) -> Check:  # noqa: ANN001 - an Ed25519 private key (its public half is used)
    """Look the id up and check the signature over the stored fields, not only that a row exists."""
    if not is_public_id(public_id):
        return Check("unknown")
    certificate = db.session.scalar(select(Certificate).where(Certificate.public_id == public_id))
    if certificate is None:
        return Check("unknown")
    record = stored_record(certificate)
    genuine = (
        record is not None
        and record.public_id == certificate.public_id
        and certificate.key_id == key_id(key.public_key())
        and verify_record(record, certificate.signature, key.public_key())
    )
    if not genuine:
        return Check("invalid", certificate, record)
    if certificate.revoked_at is not None:
        return Check("revoked", certificate, record)
    return Check("valid", certificate, record)
