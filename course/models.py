"""Database models: accounts, published content revisions, learner progress, quiz attempts and sandbox designs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Protocol

from flask_login import AnonymousUserMixin, UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from course.core.assignment import Assignment
from course.core.completion import SandboxStanding
from course.dbtypes import UTCDateTime
from course.extensions import db

ROLES = ("learner", "manager", "trainer", "admin")  # lowest to highest; a manager reads, never changes
STAFF_ROLES = ("trainer", "admin")  # author, follow learners, manage certificates


def utcnow() -> datetime:
    """Now, timezone-aware in UTC: the only kind of datetime the columns below accept."""
    return datetime.now(UTC)


class CurrentUser(Protocol):
    """What views and operations read of the user a request acts for: the ORM `User`, or the read-only
    snapshot the fast path loads instead (course/fast/request_user.py)."""

    id: int
    email: str
    display_name: str
    role: str
    locale: str | None

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def is_staff(self) -> bool: ...

    @property
    def completed(self) -> frozenset[tuple[str, str]]: ...

    @property
    def passed(self) -> frozenset[tuple[str, str]]: ...

    @property
    def sandbox(self) -> Mapping[str, SandboxStanding]: ...

    @property
    def certificates(self) -> Mapping[str, str]: ...

    @property
    def unread_notifications(self) -> int: ...


class Visitor(AnonymousUserMixin):
    """Who `current_user` is before logging in: no role, so no staff links."""

    is_staff = False


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # None: no password (yet): an invited account before its owner sets one, or an account that signs in
    # only through single sign-on. Such an account cannot log in with a password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16), default="learner")
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A deactivated account keeps its data but cannot log in; deactivating ends its sessions.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    # The owner proved the address (a link from a mail, or a provider's verified email claim).
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Erased at the owner's request: the row stays, without personal data, so anonymised attempts and designs
    # keep counting in the item statistics (course/account/operations.py, "Deleting an account").
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    progress: Mapped[list[LessonProgress]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    quiz_results: Mapped[list[QuizResult]] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    sandbox_results: Mapped[list[SandboxResult]] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    current_certificates: Mapped[list[Certificate]] = relationship(
        viewonly=True, primaryjoin="and_(User.id == Certificate.user_id, Certificate.revoked_at.is_(None))"
    )

    # Set by `auth.operations.start_session` for the request that logs in; Flask-Login stores `get_id()`.
    session_token = None  # str once set; not a column

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """`<user id>:<session token>`: the session cookie and the remember cookie name a server-side session,
        so ending that session (logout, password change, deactivation) ends both cookies everywhere."""
        if self.session_token is None:
            raise RuntimeError("log in through auth.operations.start_session, which gives the session a token")
        return f"{self.id}:{self.session_token}"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def completed(self) -> frozenset[tuple[str, str]]:
        """(course id, lesson id) pairs, as on the request's user snapshot."""
        return frozenset((row.course_id, row.lesson_id) for row in self.progress)

    @property
    def passed(self) -> frozenset[tuple[str, str]]:
        """(course id, quiz id) pairs of passed quizzes, as on the request's user snapshot."""
        return frozenset((row.course_id, row.quiz_id) for row in self.quiz_results if row.passed)

    @property
    def sandbox(self) -> dict[str, SandboxStanding]:
        """Course id → sandbox standing (best score, best counting scores), as on the request's user snapshot."""
        return {row.course_id: row.standing for row in self.sandbox_results}

    @property
    def certificates(self) -> dict[str, str]:
        """Course id → the current (unrevoked) certificate's public id, as on the request's user snapshot."""
        return {row.course_id: row.public_id for row in self.current_certificates}

    @property
    def unread_notifications(self) -> int:
        """How many of the account's notifications are unread, as on the request's user snapshot (one query)."""
        unread = select(func.count()).where(Notification.user_id == self.id, Notification.read_at.is_(None))
        return db.session.scalar(unread) or 0


class UserSession(db.Model):
    """A login: the cookie carries a random token, the database only its SHA-256.

    A session is valid while its row exists and has not expired; deleting rows ends sessions on every
    server at once (logout ends one, a password change or deactivation all of a user's).
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Unix seconds: every logged-in request compares it in the one-query fast path, which runs on the bare
    # driver without SQLAlchemy's type processing (course/fast/query.py).
    expires_epoch: Mapped[int] = mapped_column(BigInteger)
    # Set when the login came through single sign-on: logging out then also signs out at that provider.
    sso_provider: Mapped[str | None] = mapped_column(String(64))


class AccountToken(db.Model):
    """A single-use link sent by mail: reset a password, accept an invitation, confirm an address, or confirm a
    new address. The mail carries a random token, the database only its SHA-256; using it deletes the row."""

    __tablename__ = "account_tokens"
    __table_args__ = (Index("ix_account_tokens_user_purpose", "user_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(16))  # reset | invite | verify | email
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    new_email: Mapped[str | None] = mapped_column(String(254))  # purpose "email": the address to change to
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SsoIdentity(db.Model):
    """An account's identity at an OpenID provider: (provider, subject) is how the provider names the person,
    stable even when their email address changes."""

    __tablename__ = "sso_identities"
    __table_args__ = (UniqueConstraint("provider", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(64))  # the provider's key in OIDC_PROVIDERS
    subject: Mapped[str] = mapped_column(String(255))  # the ID token's `sub`
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEntry(db.Model):
    """Who did what when, for security-relevant actions. Only ever added (the app has no way to edit or delete
    one); old entries go by the retention setting. The labels keep the email at the time, so an entry stays
    readable after the account changes; erasing an account replaces its labels."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_action_created_at", "action", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor_label: Mapped[str] = mapped_column(String(254))  # the actor's email then, or "command line"
    target_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    target_label: Mapped[str | None] = mapped_column(String(254))  # an email, a certificate id, a file path
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(45))


# --- Teams ----------------------------------------------------------------------------------------------------------

GROUP_ROLES = ("member", "trainer", "manager")  # a person's part in one group (the account's role is separate)
GROUP_NAME_MAX = 80


def group_key(name: str) -> str:
    """What makes two group names the same: case and runs of spaces ignored ("KAM Team" = "kam  team")."""
    return " ".join(name.split()).casefold()


class Group(db.Model):
    """A team of people (for example "KAM team DACH"): learners as members, and the trainers and managers who look
    after them. Courses with due dates and reports attach to groups later; an account may be in several."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(GROUP_NAME_MAX))
    name_key: Mapped[str] = mapped_column(String(GROUP_NAME_MAX), unique=True)  # group_key(name): one per name
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class GroupMembership(db.Model):
    """One account in one group, with its part there and where the membership came from: "manual" (an admin),
    "csv" (an uploaded list) or "sso:<provider>" (a group claim, brought up to date at each login)."""

    __tablename__ = "group_memberships"
    __table_args__ = (
        UniqueConstraint("group_id", "user_id", name="uq_group_memberships_group_user"),  # members of a group
        Index("ix_group_memberships_user", "user_id", "group_id"),  # groups of a user
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role_in_group: Mapped[str] = mapped_column(String(16), default="member")  # one of GROUP_ROLES
    source: Mapped[str] = mapped_column(String(80), default="manual")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CourseAssignment(db.Model):
    """A course assigned to a group by a trainer, due at a moment (the end of the due day in the time zone the
    trainer chose), optionally not before a start. One per course and group: re-assigning changes the row and
    the audit log keeps the history. Reminders are keyed by the due moment, so moving it re-arms them."""

    __tablename__ = "course_assignments"
    __table_args__ = (
        UniqueConstraint("course_id", "group_id", name="uq_course_assignments_course_group"),
        Index("ix_course_assignments_group", "group_id"),
        Index("ix_course_assignments_due", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[str] = mapped_column(String(64))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    time_zone: Mapped[str] = mapped_column(String(64))  # the zone the dates were given in, to show them back
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    group: Mapped[Group] = relationship()


# --- Notifications --------------------------------------------------------------------------------------------------


class Notification(db.Model):
    """Something a person should know (a course assigned, due soon or overdue, a certificate issued, a comment on a
    design, a request for feedback), shown in the app until read. `key` names the event (for example
    "due_soon:<assignment>:<due moment>"): the unique index makes creating the same notification twice a no-op,
    whichever server or job run tries, so nobody is told the same thing twice."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "key", name="uq_notifications_user_key"),
        Index("ix_notifications_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(160))
    data: Mapped[dict] = mapped_column(JSON, default=dict)  # what the text and the link need, e.g. a course id
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class NotificationMail(db.Model):
    """The mail for one notification, waiting in an outbox until the sending job delivers it. A job run claims a
    row until `claimed_until` so two servers never send it twice; a failure is kept with its error and retried
    later (`next_attempt_at`), until it is given up as "failed" and shown to admins."""

    __tablename__ = "notification_mails"
    __table_args__ = (Index("ix_notification_mails_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    notification: Mapped[Notification] = relationship()


class NotificationPreference(db.Model):
    """Whether a person gets mail for one kind of notification; without a row, the kind's default holds."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    by_mail: Mapped[bool] = mapped_column(Boolean)


class LoginFailures(db.Model):
    """Failed logins per account name (the SHA-256 of the normalised email, known account or not), so the
    growing delay after repeated failures holds across workers and servers without Redis."""

    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ContentRevision(db.Model):
    """One version of one content file (course.yml or a lesson in one language), kept verbatim."""

    __tablename__ = "content_revisions"
    __table_args__ = (
        UniqueConstraint("path", "number"),
        Index("ix_content_revisions_status_path", "status", "path"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(255))  # relative to the content root, POSIX
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))  # draft | published | archived
    source: Mapped[str] = mapped_column(Text)
    checksum: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ContentState(db.Model):
    """A single row whose version rises with every publish, so processes know when to reload."""

    __tablename__ = "content_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LessonProgress(db.Model):
    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[str] = mapped_column(String(64))
    lesson_id: Mapped[str] = mapped_column(String(64))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="progress")


class QuizAttempt(db.Model):
    """One try at a quiz, fixed to the quiz revision and the layout (questions drawn, option order) it started with."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (
        UniqueConstraint("user_id", "course_id", "quiz_id", "number"),
        Index("ix_quiz_attempts_quiz", "course_id", "quiz_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[str] = mapped_column(String(64))
    quiz_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[int]  # 1 for a learner's first attempt at this quiz: statistics use first attempts
    revision_id: Mapped[int] = mapped_column(ForeignKey("content_revisions.id"))
    seed: Mapped[int] = mapped_column(BigInteger)
    layout: Mapped[list] = mapped_column(JSON)  # [[question id, [option ids in display order]], ...]
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | submitted
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float | None] = mapped_column(Float)
    percent: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None]
    # Per question id: {"response": … in the key's ids, "checked_at": ISO time or null, "mark": points or null,
    # "max_mark": points}. One row per attempt keeps a submission to one UPDATE; the submission also writes one
    # `QuizAnswer` row per question, which the item statistics count.
    answers: Mapped[dict] = mapped_column(JSON, default=dict)


class QuizResult(db.Model):
    """A learner's best result per quiz: what course progress and the overview read."""

    __tablename__ = "quiz_results"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "quiz_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[str] = mapped_column(String(64))
    quiz_id: Mapped[str] = mapped_column(String(64))
    best_percent: Mapped[float] = mapped_column(Float)
    passed: Mapped[bool]
    attempts: Mapped[int]  # submitted attempts
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class QuizAnswer(db.Model):
    """One stored answer of a submitted attempt, written with the submission: what the item statistics count.

    The attempt's `answers` stay the record; these rows repeat what the reports need in columns one GROUP BY
    can count (course/core/analytics/answers.py, docs/architecture.md "Item statistics"). Reports never join them
    to users, so an erased learner's anonymised attempts keep counting; `user_id` serves reports on a group.
    """

    __tablename__ = "quiz_answers"
    __table_args__ = (Index("ix_quiz_answers_quiz", "course_id", "quiz_id", "first_attempt"),)

    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[str] = mapped_column(Text, primary_key=True)  # as stored: ids have no length limit
    user_id: Mapped[int]  # the attempt's learner (no join needed to restrict a report to some learners)
    course_id: Mapped[str] = mapped_column(String(64))
    quiz_id: Mapped[str] = mapped_column(String(64))
    first_attempt: Mapped[bool]  # the attempt's number is 1: statistics use first attempts by default
    mark: Mapped[float | None] = mapped_column(Float)  # None: never graded
    max_mark: Mapped[float] = mapped_column(Float)  # the question's points when answered
    rest: Mapped[float | None] = mapped_column(Float)  # fsum of the attempt's other graded marks
    response: Mapped[str | None] = mapped_column(Text)  # canonical JSON of the response; None: unanswered
    # On the attempt's first row only (NULL on the others): fsum of its graded marks and of their max marks, and
    # how many answers were graded. Counting these rows counts attempts.
    attempt_mark: Mapped[float | None] = mapped_column(Float)
    attempt_max_mark: Mapped[float | None] = mapped_column(Float)
    attempt_questions: Mapped[int | None]


class SandboxDesign(db.Model):
    """A learner's plan design for one scenario draw; its seed fixes the scenario's numbers for every version."""

    __tablename__ = "sandbox_designs"
    __table_args__ = (Index("ix_sandbox_designs_course", "course_id", "scenario_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[str] = mapped_column(String(64))
    scenario_id: Mapped[str] = mapped_column(String(32))
    seed: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(120))
    best_score: Mapped[float | None] = mapped_column(Float)
    latest_version: Mapped[int] = mapped_column(default=0)
    feedback_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the learner asked for a comment
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()
    versions: Mapped[list[SandboxVersion]] = relationship(
        back_populates="design", cascade="all, delete-orphan", passive_deletes=True, order_by="SandboxVersion.number"
    )
    comments: Mapped[list[SandboxComment]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="SandboxComment.created_at"
    )


class SandboxVersion(db.Model):
    """One evaluated plan of a design, with the grade it got and the rubric weights that produced it."""

    __tablename__ = "sandbox_versions"
    __table_args__ = (UniqueConstraint("design_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    design_id: Mapped[int] = mapped_column(ForeignKey("sandbox_designs.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    plan: Mapped[dict] = mapped_column(JSON)  # `evaluation.plan_data`: reads back with `validate_plan`
    score: Mapped[float] = mapped_column(Float)
    passed: Mapped[bool]
    verdicts: Mapped[dict] = mapped_column(JSON)  # criterion id → verdict, for lists and the trainer view
    weights_id: Mapped[int | None] = mapped_column(ForeignKey("sandbox_rubric_weights.id"))  # None: defaults
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    design: Mapped[SandboxDesign] = relationship(back_populates="versions")
    weights: Mapped[RubricWeights | None] = relationship()


class SandboxComment(db.Model):
    """A trainer's comment on a learner's design (optionally on one version), shown to the learner."""

    __tablename__ = "sandbox_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    design_id: Mapped[int] = mapped_column(ForeignKey("sandbox_designs.id", ondelete="CASCADE"), index=True)
    version_number: Mapped[int | None]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User | None] = relationship()


class RubricWeights(db.Model):
    """A course's rubric weights; every change is a new numbered row, and grades point at the row they used."""

    __tablename__ = "sandbox_rubric_weights"
    __table_args__ = (UniqueConstraint("course_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[int]
    weights: Mapped[dict] = mapped_column(JSON)  # criterion id → points, adding up to 100
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SandboxResult(db.Model):
    """A learner's sandbox standing per course: what course progress reads.

    `best_score` is the best of any version (shown to trainers); the completion rule reads `assigned_score` and
    `other_score`, the best scores of counting versions (not an unchanged copy of the lesson's plan) in the
    learner's assigned account and draw, and in an account of another kind (course/core/assignment.py).
    """

    __tablename__ = "sandbox_results"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[str] = mapped_column(String(64))
    best_score: Mapped[float] = mapped_column(Float)
    assigned_score: Mapped[float | None] = mapped_column(Float)
    other_score: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def standing(self) -> SandboxStanding:
        return SandboxStanding(self.best_score, self.assigned_score, self.other_score)


class SandboxAssignment(db.Model):
    """A learner's assigned sandbox account in a course: picked at random on the first visit, then kept.

    Stored rather than derived from a secret, so rotating the app's keys never moves a learner to another account.
    """

    __tablename__ = "sandbox_assignments"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[str] = mapped_column(String(64))
    scenario_id: Mapped[str] = mapped_column(String(32))
    seed: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def assignment(self) -> Assignment:
        return Assignment(self.scenario_id, self.seed)


class Certificate(db.Model):
    """An issued certificate: the signed record as issued, and its revocation if any.

    The signed fields are stored as issued (never recomputed from the course or the account), so the
    verification page can check the signature against exactly what it shows. At most one unrevoked
    certificate per learner and course (a partial unique index): issuing twice at the same moment fails.
    """

    __tablename__ = "certificates"
    __table_args__ = (
        Index(
            "uq_certificates_current",
            "user_id",
            "course_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
        Index("ix_certificates_course", "course_id", "issued_at"),
        Index("uq_certificates_status_index", "status_index", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    course_id: Mapped[str] = mapped_column(String(64))
    record: Mapped[dict] = mapped_column(JSON)  # the signed record's fields, as issued
    signature: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[str] = mapped_column(String(100))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id", ondelete="SET NULL"))
    # The certificate's bit in the published revocation status list; never changes once the credential carries it.
    status_index: Mapped[int | None] = mapped_column()
    # The PDF as made at issue, and the SHA-256 of its bytes (hex, the download's ETag): a certificate does not change,
    # so it is drawn once, not per download. Deferred: lists never read the bytes. Both empty for a certificate issued
    # before PDFs were kept (its first download makes and keeps it) and for an erased holder's certificate.
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))


class CertificateKey(db.Model):
    """Every key that ever signed certificates, by kid: only the public half, so every server publishes the
    same keys and a rotation never invalidates what a retired key signed. Private keys stay in files."""

    __tablename__ = "certificate_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(100), unique=True)
    public_key: Mapped[str] = mapped_column(String(100))  # Multikey spelling, z6Mk...
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # None: the active key (at most one)


# --- Integrations: the outbox, API tokens and webhooks, LTI, SCORM ---------------------------------------------------


class OutboxMessage(db.Model):
    """One message for another system (an xAPI statement for the LRS, a webhook delivery, a score for an LMS's
    gradebook), written in the same transaction as the event it tells of and delivered later by a job. `key` names
    the event within its channel: the unique index makes queueing the same message twice a no-op, so nothing is
    sent twice. A job run claims a row until `claimed_until` (two servers never send it together); a failure is
    kept with its error and the receiver's status code, and retried at `next_attempt_at` until given up."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        UniqueConstraint("channel", "key", name="uq_outbox_messages_channel_key"),
        Index("ix_outbox_messages_status_next", "status", "next_attempt_at"),
        Index("ix_outbox_messages_channel_target", "channel", "target_id"),
        Index("ix_outbox_messages_status_sent", "status", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # xapi | webhook | lti_score
    key: Mapped[str] = mapped_column(String(200))
    target_id: Mapped[int | None] = mapped_column()  # the webhook's or LTI resource link's id, by channel
    # Whom the message is about: erasing the account deletes its messages (they may carry the address or name).
    user_id: Mapped[int | None] = mapped_column(index=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, sent, failed, skipped
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    last_status_code: Mapped[int | None] = mapped_column()  # the receiver's HTTP status, if it answered
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Job(db.Model):
    """Long work run off the request (an export, a send), the truth about it on every server: a runner claims a
    due row until `claimed_until` (a lease; a runner that dies lets it run out and another one takes the job), records
    progress while it works and the file it made, or the error and when to try again (course/jobs/, docs/operations.md,
    "Background jobs"). `params` hold everything the job needs, captured when it was asked for (filters, the learners
    the asker may see); `created_by` sees the job and its file, and erasing that account deletes its jobs."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state_run_after", "state", "run_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))  # a name in course/jobs/registry.py
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="queued")  # queued, running, done, failed
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=4)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int | None] = mapped_column()
    progress_text: Mapped[str | None] = mapped_column(String(200))
    result: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)  # loaded only for a download
    result_name: Mapped[str | None] = mapped_column(String(200))
    result_type: Mapped[str | None] = mapped_column(String(100))
    result_size: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[User | None] = relationship()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # At most one waiting job per key (a periodic run, "send the outbox now"): queueing a second one with the key is
    # a no-op. The runner that claims the job clears the key, so the next one can be queued while it runs.
    dedupe_key: Mapped[str | None] = mapped_column(String(100), unique=True)


class ApiToken(db.Model):
    """A named token an admin made for another system (an HR system's script), with scopes. Only a hash of the
    secret is kept: it is shown once. `prefix` (the token's first characters) tells tokens apart in lists and logs."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 hex of the whole token
    scopes: Mapped[list] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The last time the token was refused (revoked or expired) and why: what admins see when a script stops working.
    last_refused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_refusal: Mapped[str | None] = mapped_column(String(16))


class Webhook(db.Model):
    """An address that receives signed POSTs when chosen events happen (a certificate issued, a course completed);
    deliveries go through the outbox (channel "webhook", target_id = this id)."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(128))  # the HMAC key; needed in full to sign each delivery
    events: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LtiPlatform(db.Model):
    """An LMS registered by an admin to launch the course as an LTI 1.3 tool: how it names itself (issuer, client
    id), where its login, token and key-set endpoints are, and which deployments of the tool it may launch."""

    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id", name="uq_lti_platforms_issuer_client"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    deployment_ids: Mapped[list] = mapped_column(JSON, default=list)
    auth_login_url: Mapped[str] = mapped_column(String(2000))
    auth_token_url: Mapped[str] = mapped_column(String(2000))
    auth_audience: Mapped[str | None] = mapped_column(String(2000))  # the token endpoint's audience, if not its URL
    key_set_url: Mapped[str] = mapped_column(String(2000))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LtiContext(db.Model):
    """A course (context) in a platform, with the group its members are kept in and the service endpoints the
    platform gave for it (line items, memberships)."""

    __tablename__ = "lti_contexts"
    __table_args__ = (UniqueConstraint("platform_id", "context_id", name="uq_lti_contexts_platform_context"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255), default="")
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    lineitems_url: Mapped[str | None] = mapped_column(String(2000))
    memberships_url: Mapped[str | None] = mapped_column(String(2000))
    service_scopes: Mapped[list] = mapped_column(JSON, default=list)  # the AGS/NRPS scopes the platform granted
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LtiResourceLink(db.Model):
    """A placement of the course in a platform (a link an instructor put into an LMS course), what it opens
    (`target`: "course:<course>", "lesson:<course>/<lesson>", "quiz:<course>/<quiz>", "sandbox:<course>/<scenario>")
    and the gradebook column (line item) its score goes to."""

    __tablename__ = "lti_resource_links"
    __table_args__ = (UniqueConstraint("platform_id", "resource_link_id", name="uq_lti_links_platform_link"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    context_row_id: Mapped[int | None] = mapped_column(ForeignKey("lti_contexts.id", ondelete="SET NULL"))
    resource_link_id: Mapped[str] = mapped_column(String(255))
    deployment_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255), default="")
    target: Mapped[str] = mapped_column(String(300))
    lineitem_url: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LtiLaunch(db.Model):
    """A person who launched a resource link, as the platform names them (`subject`): whose scores go to that
    link's line item."""

    __tablename__ = "lti_launches"
    __table_args__ = (UniqueConstraint("link_id", "user_id", name="uq_lti_launches_link_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("lti_resource_links.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(255))
    first_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LtiState(db.Model):
    """Short-lived LTI state shared by every server: login states and nonces (used once), launch data kept for a
    deep-linking response. Expired rows are ignored and purged."""

    __tablename__ = "lti_state"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[dict] = mapped_column(JSON, default=dict)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ScormPackage(db.Model):
    """A SCORM package a trainer downloaded for an LMS without LTI: it launches `target` for the LMS's learner.
    The key inside the package is stored hashed; revoking the package stops its launches."""

    __tablename__ = "scorm_packages"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    course_id: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(300))
    scorm_version: Mapped[str] = mapped_column(String(16))  # "1.2" or "2004"
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_launch_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# --- Media: uploaded lesson images -----------------------------------------------------------------------------------


class MediaFile(db.Model):
    """A lesson image uploaded in the studio, kept in the database so that every app server serves it.

    `name` is the SHA-256 of the bytes plus the extension (course.core.media.stored_name), so a row's bytes never
    change; uploading the same image again only moves `uploaded_at`, which orders the studio's list. `data` is
    deferred: lists and counts never read the bytes, only serving an image does."""

    __tablename__ = "media_files"

    name: Mapped[str] = mapped_column(String(68), primary_key=True)  # 64 hex digits, a dot, png | jpg | svg
    media_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(deferred=True)  # LargeBinary: BLOB on SQLite, bytea on PostgreSQL
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
