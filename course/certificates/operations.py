"""Certificates in the database: eligibility, issuing exactly once, checking one by its public id, the PDF kept
since issue, the published keys (public halves only) and the revocation status list."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Select, case, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import undefer
from sqlalchemy.orm.attributes import set_committed_value

from course import events
from course.audit import operations as audit
from course.certificates import documents
from course.core import completion
from course.core.catalog import Course
from course.core.certificates.record import (
    CertificateRecord,
    is_public_id,
    new_public_id,
    record_from_dict,
    record_to_dict,
)
from course.core.certificates.signing import (
    key_id,
    public_key_from_multibase,
    public_key_multibase,
    sign_record,
    verify_record,
)
from course.extensions import db
from course.learn import operations as progress
from course.models import Certificate, CertificateKey, CurrentUser, QuizResult, User, utcnow

MAX_ISSUE_TRIES = 3  # a public id collision (2⁻¹²⁸) or a parallel issue: read again and decide again


def current_certificate(user_id: int, course_id: str) -> Certificate | None:
    """The learner's certificate for the course that is not revoked, if any."""
    return db.session.scalar(
        select(Certificate).where(
            Certificate.user_id == user_id, Certificate.course_id == course_id, Certificate.revoked_at.is_(None)
        )
    )


def steps(user: CurrentUser, course: Course) -> tuple[completion.Step, ...]:
    """The certificate checklist: the course's completion rule as steps, each done or not yet."""
    rule = course.requirements
    return completion.checklist(rule, progress.progress(user, rule))


def eligible(user: CurrentUser, course: Course) -> bool:
    """Whether the course's completion rule is met now (every step of the checklist done)."""
    rule = course.requirements
    return completion.complete(rule, progress.progress(user, rule))


def result_summary(user: CurrentUser, course: Course) -> dict[str, object]:
    """What the certificate states as the result: lessons, best quiz percentages, best sandbox score."""
    best = dict(
        db.session.execute(
            select(QuizResult.quiz_id, QuizResult.best_percent).where(
                QuizResult.user_id == user.id, QuizResult.course_id == course.id
            )
        ).all()
    )
    summary: dict[str, object] = {
        "lessons": len(progress.progress(user, course.requirements).lessons),
        "lessons_total": len(course.lessons),
        "quizzes": {quiz_id: round(best[quiz_id], 1) for quiz_id in course.required_quizzes if quiz_id in best},
    }
    standing = user.sandbox.get(course.id)  # the score in the learner's assigned account is what the step asked
    if course.completion.sandbox is not None and standing is not None and standing.assigned is not None:
        summary["sandbox"] = round(standing.assigned, 1)
    return summary


@dataclass(frozen=True)
class Issuer:
    name: str
    url: str


def signed(record: CertificateRecord, user_id: int | None, key) -> Certificate:  # noqa: ANN001 - Ed25519 key
    """A row holding the record as issued and its signature (its status index is set by `_take_status_index`)."""
    return Certificate(
        public_id=record.public_id,
        user_id=user_id,
        course_id=record.course_id,
        record=record_to_dict(record),
        signature=sign_record(record, key),
        key_id=key_id(key.public_key()),
        issued_at=record.issued_at,
    )


def draft(
    user: CurrentUser,
    course: Course,
    name: str,
    language: str,
    course_version: int,
    issuer: Issuer,
    public_id: str = "",
) -> CertificateRecord:
    """The record the learner would be issued now; without a public id it is the preview shown before issuing."""
    return CertificateRecord(
        public_id=public_id,
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


def issue(
    user: CurrentUser, course: Course, name: str, language: str, course_version: int, issuer: Issuer, key
) -> tuple[Certificate, bool]:  # noqa: ANN001 - an Ed25519 private key
    """Issue the certificate once: an existing current one is returned (False), never a second one.

    The caller has checked eligibility and validated `name`. The partial unique index on (user, course)
    for unrevoked rows makes two simultaneous issues end with one row.
    """
    for _ in range(MAX_ISSUE_TRIES):
        existing = current_certificate(user.id, course.id)
        if existing is not None:
            return existing, False
        record = draft(user, course, name, language, course_version, issuer, new_public_id(secrets.token_bytes))
        certificate = signed(record, user.id, key)
        try:
            with db.session.begin_nested():
                db.session.add(certificate)
                _take_status_index(certificate)
        except IntegrityError:
            continue
        _keep_pdf(certificate)
        _issued(certificate)
        return certificate, True
    existing = current_certificate(user.id, course.id)
    if existing is None:
        raise RuntimeError("could not issue a certificate")
    return existing, False


def find(public_id: str) -> Certificate | None:
    if not is_public_id(public_id):
        return None
    return db.session.scalar(select(Certificate).where(Certificate.public_id == public_id))


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

    @property
    def erased(self) -> bool:
        """The holder's account was erased: the page shows the certificate without a name."""
        return self.record is not None and erased(self.record)


def _genuine(certificate: Certificate, record: CertificateRecord | None, public_key: Ed25519PublicKey | None) -> bool:
    """Whether the stored record carries the issuer's signature, checked with `public_key`: the published key the
    row names (None if no key is published under its kid)."""
    return (
        record is not None
        and public_key is not None
        and record.public_id == certificate.public_id
        and verify_record(record, certificate.signature, public_key)
    )


def check(public_id: str, *, with_pdf: bool = False) -> Check:
    """Look the id up and check the signature over the stored fields, with the published key the row names. The row
    and the key are read in one statement, and the kept PDF with them when the caller sends it (`with_pdf`): a
    download is then one query (on PostgreSQL every query is a round trip)."""
    if not is_public_id(public_id):
        return Check("unknown")
    statement = (
        select(Certificate, CertificateKey.public_key)
        .outerjoin(CertificateKey, CertificateKey.kid == Certificate.key_id)
        .where(Certificate.public_id == public_id)
    )
    if with_pdf:
        statement = statement.options(undefer(Certificate.pdf))
    found = db.session.execute(statement).first()
    if found is None:
        return Check("unknown")
    certificate, published = found
    record = stored_record(certificate)
    if not _genuine(certificate, record, public_key_from_multibase(published) if published is not None else None):
        return Check("invalid", certificate, record)
    if certificate.revoked_at is not None:
        return Check("revoked", certificate, record)
    return Check("valid", certificate, record)


# The name an erased holder's record carries: none. Issuing refuses an empty name, so only erasure makes one.
ERASED_NAME = ""


def erased(record: CertificateRecord) -> bool:
    return record.recipient_name == ERASED_NAME


def erase_recipient(certificate: Certificate, key) -> None:  # noqa: ANN001 - an Ed25519 private key
    """The holder's account is erased: the stored record loses the name and is signed anew with `key` (same id,
    date, result and status bit), so the verification page still checks a signature but no longer says whom it
    was issued to. The PDF and the credential in the holder's hands are untouched and stay valid: the credential
    names the holder only by a salted hash and is checked against the published keys and the status list.

    A record that no longer verifies is not signed anew (that would make a forgery genuine); it only loses the
    name. Either way the kept PDF, which prints the name, is deleted. The caller commits.
    """
    certificate.pdf = None
    certificate.pdf_sha256 = None
    record = stored_record(certificate)
    if record is None or not _genuine(certificate, record, public_key_of(certificate.key_id)):
        stored = certificate.record if isinstance(certificate.record, dict) else {}
        certificate.record = {field: value for field, value in stored.items() if field != "recipient_name"}
        return
    nameless = replace(record, recipient_name=ERASED_NAME)
    certificate.record = record_to_dict(nameless)
    certificate.signature = sign_record(nameless, key)
    certificate.key_id = key_id(key.public_key())


# --- the PDF: made once, at issue --------------------------------------------------------------------------


@dataclass(frozen=True)
class Pdf:
    data: bytes
    sha256: str  # hex, of `data`: the download's ETag
    made: bool  # drawn now and kept on the row: the caller commits


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _keep_pdf(certificate: Certificate) -> None:
    """Draw the PDF of a certificate being issued from its stored record and keep it on the row."""
    record = stored_record(certificate)
    if record is None:
        raise ValueError("the certificate just signed does not read as a record")
    data = documents.pdf(record)
    certificate.pdf = data
    certificate.pdf_sha256 = _digest(data)


def certificate_pdf(certificate: Certificate, record: CertificateRecord) -> Pdf:
    """The certificate's PDF as kept since issue (`record` is its stored record), read alone: loading the row never
    reads it. A certificate issued before PDFs were kept gets its PDF drawn now and, if its signature holds, kept by
    one UPDATE guarded on the signature read, so an erasure that re-signed the row meanwhile is never undone by a PDF
    with the name. The caller commits when `made`."""
    if erased(record):
        raise ValueError("an erased holder's certificate has no PDF")
    if certificate.pdf_sha256 is not None:
        if "pdf" in inspect(certificate).unloaded:  # deferred: loading the row does not read it
            data = db.session.scalar(select(Certificate.pdf).where(Certificate.id == certificate.id))
        else:
            data = certificate.pdf  # read with the row (`check(…, with_pdf=True)`)
        if data is not None:
            return Pdf(data, certificate.pdf_sha256, made=False)
    data = documents.pdf(record)
    digest = _digest(data)
    # a tampered row's PDF is handed out as before, never kept
    if not _genuine(certificate, record, public_key_of(certificate.key_id)):
        return Pdf(data, digest, made=False)
    kept = db.session.execute(
        update(Certificate)
        .where(
            Certificate.id == certificate.id,
            Certificate.pdf.is_(None),
            Certificate.signature == certificate.signature,
        )
        .values(pdf=data, pdf_sha256=digest)
        .execution_options(synchronize_session=False)
    ).rowcount
    if kept:
        set_committed_value(certificate, "pdf_sha256", digest)
    return Pdf(data, digest, made=bool(kept))


MAX_REASON = 500


def revoke(certificate: Certificate, by: CurrentUser | None, reason: str) -> None:
    """Revoke once; the verification page shows the date and the reason from then on."""
    if certificate.revoked_at is None:
        _mark_revoked(certificate, by, reason)
        audit.record(
            "certificate_revoked",
            actor=by,
            target=_holder(certificate),
            certificate=certificate.public_id,
            reason=reason,
        )


def _mark_revoked(certificate: Certificate, by: CurrentUser | None, reason: str) -> None:
    certificate.revoked_at = utcnow()
    certificate.revoked_reason = reason
    certificate.revoked_by_id = by.id if by else None
    events.emit(
        events.CertificateRevoked(
            certificate.user_id, certificate.course_id, certificate.public_id, reason, certificate.revoked_at
        )
    )


def _issued(certificate: Certificate) -> None:
    if certificate.user_id is not None:
        events.emit(
            events.CertificateIssued(certificate.user_id, certificate.course_id, certificate.public_id, utcnow())
        )


def _holder(certificate: Certificate) -> User | None:
    return db.session.get(User, certificate.user_id) if certificate.user_id is not None else None


def reissue(certificate: Certificate, by: CurrentUser, key, name: str | None, reason: str) -> Certificate:  # noqa: ANN001 - an Ed25519 private key
    """A new certificate (new id, today's date, the name corrected if given) replacing `certificate`,
    which is revoked with `reason`. What it states otherwise stays as issued."""
    old = stored_record(certificate)
    if old is None:
        raise ValueError("the stored certificate is not readable")
    _mark_revoked(certificate, by, reason)
    db.session.flush()  # the old row leaves the one-current-certificate index before the new one enters it
    record = CertificateRecord(
        **{
            **{field: getattr(old, field) for field in old.__dataclass_fields__},
            "public_id": new_public_id(secrets.token_bytes),
            "recipient_name": name or old.recipient_name,
            "issued_at": utcnow(),
        }
    )
    replacement = signed(record, certificate.user_id, key)
    db.session.add(replacement)
    _take_status_index(replacement)
    _keep_pdf(replacement)
    certificate.replaced_by_id = replacement.id
    _issued(replacement)
    audit.record(
        "certificate_reissued",
        actor=by,
        target=_holder(certificate),
        certificate=certificate.public_id,
        replacement=replacement.public_id,
        reason=reason,
    )
    return replacement


@dataclass(frozen=True)
class Row:
    certificate: Certificate
    record: CertificateRecord | None
    email: str | None


LIST_LIMIT = 500


def course_certificates(
    course_id: str, status: str = "all", query: str = "", limit: int | None = LIST_LIMIT, learners: Select | None = None
) -> list[Row]:
    """A course's certificates, newest first, filtered by status, by a name or email fragment and, when given, to
    the holders among `learners` (a SELECT of user ids: the learners in a trainer's or manager's view)."""
    statement = (
        select(Certificate, case((User.deleted_at.is_(None), User.email)))  # an erased holder has no address
        .outerjoin(User, User.id == Certificate.user_id)
        .where(Certificate.course_id == course_id)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    )
    if learners is not None:
        statement = statement.where(Certificate.user_id.in_(learners))
    if status == "valid":
        statement = statement.where(Certificate.revoked_at.is_(None))
    elif status == "revoked":
        statement = statement.where(Certificate.revoked_at.is_not(None))
    rows = [Row(certificate, stored_record(certificate), email) for certificate, email in db.session.execute(statement)]
    needle = query.strip().casefold()
    if needle:  # names live in the signed JSON record: filtered here, the same on SQLite and PostgreSQL
        rows = [
            row
            for row in rows
            if needle in (row.email or "").casefold() or (row.record and needle in row.record.recipient_name.casefold())
        ]
    return rows[:limit] if limit else rows


def _take_status_index(certificate: Certificate) -> None:
    """The certificate's bit in the revocation status list: its row id, unique and never reused."""
    db.session.flush()
    certificate.status_index = certificate.id
    db.session.flush()


def revoked_status_indexes() -> list[int]:
    """The status list's set bits, read from the database on every call: a revocation on any server shows at once."""
    return list(
        db.session.scalars(
            select(Certificate.status_index).where(
                Certificate.revoked_at.is_not(None), Certificate.status_index.is_not(None)
            )
        )
    )


# --- keys: the public half of every key that ever signed --------------------------------------------------


def published_keys() -> list[CertificateKey]:
    """Every key that ever signed, oldest first; the active one has no `retired_at`."""
    return list(db.session.scalars(select(CertificateKey).order_by(CertificateKey.created_at, CertificateKey.id)))


def key_row(kid: str) -> CertificateKey | None:
    return db.session.scalar(select(CertificateKey).where(CertificateKey.kid == kid))


def active_key_row() -> CertificateKey | None:
    """The key certificates are signed with now (the newest, should two servers ever have raced)."""
    return db.session.scalar(
        select(CertificateKey)
        .where(CertificateKey.retired_at.is_(None))
        .order_by(CertificateKey.created_at.desc(), CertificateKey.id.desc())
        .limit(1)
    )


def public_key_of(kid: str) -> Ed25519PublicKey | None:
    """The published key with this kid (active or retired), or None."""
    row = key_row(kid)
    return public_key_from_multibase(row.public_key) if row is not None else None


def public_keys() -> dict[str, Ed25519PublicKey]:
    """Every published key by kid: what verification trusts."""
    return {row.kid: public_key_from_multibase(row.public_key) for row in published_keys()}


def latest_certificate_key_id() -> str | None:
    """The kid the newest certificate was signed with, or None if there is no certificate at all."""
    return db.session.scalar(select(Certificate.key_id).order_by(Certificate.id.desc()).limit(1))


def register_key(public_key: Ed25519PublicKey) -> CertificateKey:
    """Publish a key (idempotent: two servers registering the same key at once end with one row)."""
    kid = key_id(public_key)
    try:
        with db.session.begin_nested():
            row = CertificateKey(kid=kid, public_key=public_key_multibase(public_key), created_at=utcnow())
            db.session.add(row)
    except IntegrityError:
        existing = key_row(kid)
        if existing is None:
            raise
        return existing
    return row


def retire_active_keys(now: datetime) -> list[str]:
    """Mark every active key retired at `now`; their public keys stay published. Returns their kids."""
    kids = list(db.session.scalars(select(CertificateKey.kid).where(CertificateKey.retired_at.is_(None))))
    db.session.execute(update(CertificateKey).where(CertificateKey.retired_at.is_(None)).values(retired_at=now))
    return kids
