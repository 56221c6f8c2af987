"""What a notification says and where it leads, in the reader's language: one sentence and one link per kind, the
same in the app's list and in the mail (the mail renders it in the recipient's language)."""

from __future__ import annotations

from datetime import date, datetime

from flask import url_for
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from course import mail
from course.core import notifications as rules
from course.core.assignments import local_day
from course.core.errors import NotFound
from course.models import Notification, User
from course.publishing.cache import catalog
from course.urls import external_url

# What each kind is, for the preferences page (a sentence that says when it comes).
KIND_LABELS = {
    "assigned": _l("A course is assigned to me"),
    "due_soon": _l("An assigned course is due soon"),
    "overdue": _l("An assigned course is overdue"),
    "certificate_issued": _l("My certificate is issued"),
    "design_comment": _l("A trainer commented on my sandbox design"),
    "essay_graded": _l("A trainer graded my written answer in a quiz"),
    "feedback_request": _l("A learner asks for feedback on a design"),
    "weekly_summary": _l("Weekly summary of my groups' progress"),
}


def check_labels() -> None:
    """Every kind has its label (called at start-up, like the sandbox's labels)."""
    missing = set(rules.KINDS) - set(KIND_LABELS)
    if missing:
        raise RuntimeError(f"notification kinds without a label: {sorted(missing)}")


def _course_title(course_id: str, lang: str) -> str:
    try:
        return catalog().course(course_id).title(lang)
    except NotFound:
        return course_id


def _quiz_title(course_id: str, quiz_id: str, lang: str) -> str:
    try:
        return catalog().course(course_id).quiz(quiz_id).title(lang)
    except NotFound:
        return quiz_id


def _due_day(data: dict) -> str:
    try:
        day: date = local_day(datetime.fromisoformat(data["due_at"]), data["time_zone"])
    except (KeyError, ValueError):
        return "?"
    return format_date(day, "long")


def describe(notification: Notification, lang: str, *, external: bool = False) -> tuple[str, str]:
    """(text, link) of a notification in the current language; `external` for an absolute link (mail)."""
    data, kind = notification.data or {}, notification.kind
    link = external_url if external else url_for
    course_id = str(data.get("course_id", ""))
    course, due = _course_title(course_id, lang), _due_day(data)
    if kind in rules.COURSE_REMINDERS:
        texts = {
            "assigned": _("The course “%(course)s” is assigned to you, due by %(due)s.", course=course, due=due),
            "due_soon": _("The course “%(course)s” is due by %(due)s.", course=course, due=due),
            "overdue": _(
                "The course “%(course)s” was due by %(due)s and is not completed yet.", course=course, due=due
            ),
        }
        return texts[kind], link("learn.overview", course_id=course_id)
    if kind == "certificate_issued":
        text = _("Your certificate for “%(course)s” is issued.", course=course)
        return text, link("certificates.mine", course_id=course_id)
    if kind == "essay_graded":
        quiz = _quiz_title(course_id, str(data.get("quiz_id", "")), lang)
        text = _("A trainer graded your written answer in the quiz “%(quiz)s”.", quiz=quiz)
        return text, link("quiz.review", attempt_id=int(data.get("attempt_id") or 0))
    design = {"design_id": data.get("design_id", 0), "number": data.get("number", 1)}
    if kind == "design_comment":
        text = _(
            "%(trainer)s commented on your design “%(design)s”.", trainer=data.get("by"), design=data.get("design")
        )
        return text, link("sandbox.result", **design)
    if kind == "feedback_request":
        text = _(
            "%(learner)s asks for feedback on the design “%(design)s” in “%(course)s”.",
            learner=data.get("by"),
            design=data.get("design"),
            course=course,
        )
        return text, link("sandbox.result", **design)
    # weekly_summary, written by course/reports/weekly.py: its text (already in the reader's language, or the
    # general sentence) and the page it names.
    text = str(data.get("text") or _("The weekly summary of your groups' progress is ready."))
    return text, link(str(data.get("endpoint") or "notifications.index"), **dict(data.get("endpoint_args") or {}))


def send_mail(user: User, notification: Notification) -> None:
    """Mail one notification to its person now, in their language; raises mail.MailError."""
    lang = mail.language_for(user.locale)
    with force_locale(lang):
        text, url = describe(notification, lang, external=True)
    mail.send(
        user.email,
        f"notification_{notification.kind}",
        lang,
        name=user.display_name,
        text=text,
        url=url,
        data=notification.data or {},
        preferences_url=external_url("notifications.preferences"),
    )
