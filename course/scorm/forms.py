"""The studio's SCORM forms: a new package (title, what it opens, the SCORM version) and revoking one.

What a package may open is checked by the view against the published course, not by WTForms' choice check, so a
tampered or outdated value gets the same clear message next to its field as a mistake would."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length

from course.core import scorm
from course.core.catalog import Course
from course.core.sandbox import SCENARIOS
from course.forms import strip

VERSION_LABELS = {"1.2": _l("SCORM 1.2 (most LMSs)"), "2004": _l("SCORM 2004 4th edition")}


def target_choices(course: Course, lang: str) -> list[tuple[str, str]]:
    """What a package of the course may open: the whole course, a lesson, a quiz, a sandbox scenario."""
    choices = [(str(scorm.Target("course", course.id)), _("The whole course: %(title)s", title=course.title(lang)))]
    for lesson in course.lessons:
        title = lesson.text(lang, (course.source_language,)).title
        choices.append((str(scorm.Target("lesson", course.id, lesson.id)), _("Lesson: %(title)s", title=title)))
    for quiz in course.quizzes:
        choices.append((str(scorm.Target("quiz", course.id, quiz.id)), _("Quiz: %(title)s", title=quiz.title(lang))))
    if course.sandbox:
        for scenario in SCENARIOS.values():
            label = _("Sandbox scenario: %(title)s", title=scenario.title(lang))
            choices.append((str(scorm.Target("sandbox", course.id, scenario.id)), label))
    return choices


class PackageForm(FlaskForm):
    title = StringField(
        _l("Title in the LMS"),
        filters=[strip],
        validators=[
            DataRequired(_l("Please give the package a title.")),
            Length(max=scorm.TITLE_MAX, message=_l("At most %(max)d characters, please.")),
        ],
    )
    target = SelectField(_l("Opens"), validate_choice=False)
    version = RadioField(
        _l("SCORM version"),
        choices=[SelectChoice(value, label) for value, label in VERSION_LABELS.items()],
        default="1.2",
        validators=[AnyOf(scorm.VERSIONS, message=_l("Choose SCORM 1.2 or SCORM 2004."))],
    )

    def __init__(self, course: Course, lang: str, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.offered = target_choices(course, lang)
        self.target.choices = [SelectChoice(value, label) for value, label in self.offered]

    def chosen_target(self) -> scorm.Target | None:
        """The target if it is one the course offers now; None (with the error on the field) otherwise."""
        if self.target.data in {value for value, _label in self.offered}:
            return scorm.parse_target(self.target.data)
        self.target.errors = [*self.target.errors, _l("Choose what the package opens from the list.")]
        return None


class RevokeForm(FlaskForm):
    confirm = HiddenField(validators=[AnyOf(("yes",), message=_l("Confirm the revocation."))])


class DownloadForm(FlaskForm):
    """The package's key, back from the page that showed the new package: only its hash is kept."""

    key = HiddenField(validators=[DataRequired()])
