"""Upload forms of the studio: an image for the lessons, a Moodle GIFT file to start a quiz from."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional, Regexp

from course.core.text.slug import ID_PATTERN
from course.forms import no_control_characters, strip

IMAGE_EXTENSIONS = ("png", "jpg", "jpeg", "svg")
GIFT_EXTENSIONS = ("gift", "txt")


class MediaForm(FlaskForm):
    """One image; its type is decided by its content (course.core.media), the extension only filters the picker."""

    image = FileField(
        _l("Image (PNG, JPEG or SVG)"),
        validators=[
            FileRequired(_l("Choose an image file.")),
            FileAllowed(IMAGE_EXTENSIONS, _l("Only PNG, JPEG and SVG images are accepted.")),
        ],
        render_kw={"accept": "image/png,image/jpeg,image/svg+xml,.png,.jpg,.jpeg,.svg"},
    )


class GiftUploadForm(FlaskForm):
    """The options of `flask quiz import-gift`, as a form: the course comes from the URL."""

    gift = FileField(
        _l("GIFT file"),
        validators=[
            FileRequired(_l("Choose a GIFT file.")),
            FileAllowed(GIFT_EXTENSIONS, _l("Upload a .gift or .txt file.")),
        ],
        render_kw={"accept": ".gift,.txt,text/plain"},
    )
    lang = SelectField(_l("Language of the file"))
    translation = FileField(
        _l("The same questions in the other language (optional)"),
        validators=[Optional(), FileAllowed(GIFT_EXTENSIONS, _l("Upload a .gift or .txt file."))],
        render_kw={"accept": ".gift,.txt,text/plain"},
    )
    quiz_id = StringField(
        _l("Quiz id (optional)"),
        validators=[
            Optional(),
            Length(max=64),
            Regexp(ID_PATTERN, message=_l("Use lowercase letters, digits and single hyphens, e.g. bonus-quiz.")),
        ],
        filters=[strip],
    )
    title = StringField(
        _l("Quiz title (optional)"), validators=[Length(max=200), no_control_characters], filters=[strip]
    )
    lesson = SelectField(_l("Lesson the questions test"))

    def for_course(self, languages: tuple[str, ...], language_names: dict[str, str], lessons: list[tuple[str, str]]):
        """Fill the choices from the course: its languages and its lessons (id, title)."""
        self.lang.choices = [(code, language_names.get(code, code)) for code in languages]
        self.lesson.choices = lessons
        return self
