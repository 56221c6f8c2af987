"""Lesson figures from the studio: the SVG files a lesson shows (`![…](figures/name.svg)`), each with a preview
and a way to replace it, and a new figure uploaded with the Markdown line to insert.

A figure is a content file like a lesson (`<course>/figures/<name>.svg`): an upload is cleaned by the same rules
the lesson page applies (allow-list, viewBox, no style), saved as a revision and published with the course's
checks, so its history, export and import work as for every other file.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from sqlalchemy.exc import IntegrityError
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from course.auth.access import staff_required
from course.authoring.media import translated as translated_error
from course.authoring.problems import translated
from course.authoring.views import _file_or_404, bp
from course.core.authoring.paths import ContentPath
from course.core.media import MediaRefused, sanitize_svg
from course.core.text.figures import FIGURE_LINE, FIGURE_NAME, FigureProblem, figure_html
from course.extensions import db
from course.forms import strip
from course.publishing import operations as publishing

PREFIX = "fig"  # the lesson editor has fields of its own
NAME_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z]{2})?(?:\.svg)?$"


class FigureForm(FlaskForm):
    """An SVG for `figures/<name>.svg`: a new name, or (hidden) the name of the figure it replaces."""

    name = StringField(
        _l("File name"),
        validators=[
            DataRequired(_l("Enter a file name, e.g. pay-mix.de.svg.")),
            Length(max=80),
            Regexp(NAME_PATTERN, message=_l("Use lowercase letters, digits and hyphens, e.g. pay-mix.de.svg.")),
        ],
        filters=[strip],
    )
    figure = FileField(
        _l("SVG file"),
        validators=[FileRequired(_l("Choose an SVG file.")), FileAllowed(("svg",), _l("Upload an .svg file."))],
        render_kw={"accept": "image/svg+xml,.svg"},
    )
    replace = HiddenField()

    @property
    def file_name(self) -> str:
        name = self.name.data or ""
        return name if name.endswith(".svg") else f"{name}.svg"


def figure_path(target: ContentPath, source: str) -> str | None:
    """The stored path of `figures/…svg` named in a lesson of `target`'s course, or None if the name is not one."""
    return f"{target.course_id}/{source}" if FIGURE_NAME.fullmatch(source) else None


def lesson_figures(target: ContentPath, text: str) -> list[dict]:
    """The figures the lesson text shows, in order: source, stored path, text alternative, preview HTML."""
    figures = []
    for number, line in enumerate((line for line in text.split("\n") if FIGURE_LINE.match(line)), start=1):
        match = FIGURE_LINE.match(line)
        path = figure_path(target, match["src"])
        newest = publishing.newest_revision(path) if path else None
        preview, problem = None, None
        if newest is not None:
            try:
                preview = figure_html(newest.source, match["alt"] or match["src"], None, f"studio-figure-{number}")
            except FigureProblem as error:
                problem = str(error)
        figures.append(
            {"src": match["src"], "name": match["src"].removeprefix("figures/"), "path": path, "alt": match["alt"],
             "revision": newest, "preview": preview, "problem": problem}
        )  # fmt: skip
    return figures


def figure_form() -> FigureForm:
    return FigureForm(formdata=None, prefix=PREFIX)


def checked_svg(data: bytes) -> str:
    """The SVG as it is stored: cleaned by the allow-list; FigureProblem if a lesson could not show it."""
    try:
        clean, _removed = sanitize_svg(data)
    except MediaRefused as refused:
        raise FigureProblem(translated_error(refused)) from None
    text = clean.decode("utf-8")
    try:
        figure_html(text, "check", None, "check")  # the lesson page's own rules (viewBox, …)
    except FigureProblem as problem:
        raise FigureProblem(translated(str(problem))) from None
    return text


@bp.post("/files/<path:path>/figures")
@staff_required
def upload_figure(path: str):
    """Save and publish one figure of the lesson's course; the lesson editor shows it afterwards."""
    target, _newest = _file_or_404(path)
    if target.kind != "lesson":
        abort(404)
    form = FigureForm(prefix=PREFIX)
    back = url_for("authoring.edit", path=target.path, _anchor="figures")
    if not form.validate_on_submit():
        if "csrf_token" in form and form.csrf_token.errors:
            abort(400)
        errors = [str(e) for field in (form.name, form.figure) for e in field.errors]
        flash(_("The figure was not saved: %(reason)s", reason=" ".join(errors)), "error")
        return redirect(back)
    data = form.figure.data.read(current_app.config.get("MEDIA_MAX_BYTES", 1024 * 1024) + 1)
    if len(data) > current_app.config.get("MEDIA_MAX_BYTES", 1024 * 1024):
        flash(_("The figure was not saved: the file is too large."), "error")
        return redirect(back)
    try:
        text = checked_svg(data)
    except FigureProblem as problem:
        flash(_("The figure was not saved: %(reason)s", reason=str(problem)), "error")
        return redirect(back)
    stored = f"{target.course_id}/figures/{form.file_name}"
    newest = publishing.newest_revision(stored)
    if newest is not None and form.replace.data != form.file_name:
        flash(_("A figure with this name exists already: use “Replace” beside it, or choose another name."), "error")
        return redirect(back)
    try:
        revision = publishing.save_draft(stored, text, current_user.id, newest.number if newest else None)
        problems = publishing.publish(stored, revision.number, current_user.id)
        db.session.commit()
    except (publishing.ConflictError, IntegrityError):
        db.session.rollback()
        flash(_("Someone else saved this figure at the same moment: nothing was saved. Please try again."), "error")
        return redirect(back)
    if problems:
        flash(
            _(
                "Saved as a draft, not published: %(problems)s",
                problems=" ".join(translated(p.message) for p in problems[:3]),
            ),
            "error",
        )
    elif newest is None:
        line = f'![{_("What the figure shows")}](figures/{form.file_name} "{_("Caption")}")'
        flash(_("Figure added. Put this line into the lesson text where it belongs: %(line)s", line=line), "success")
    else:
        flash(_("Figure replaced: learners see the new drawing now."), "success")
    return redirect(back)
