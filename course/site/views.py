from __future__ import annotations

from flask import Blueprint, redirect, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from wtforms import HiddenField, SelectChoice, SelectField

from course.auth import operations as accounts
from course.extensions import db
from course.i18n import LANGUAGE_NAMES, LANGUAGES
from course.security import is_safe_redirect

bp = Blueprint("site", __name__)


class LanguageForm(FlaskForm):
    lang = SelectField(choices=[SelectChoice(code, LANGUAGE_NAMES[code]) for code in LANGUAGES])
    next = HiddenField()


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}


@bp.post("/language")
def set_language():
    """Remember the chosen language in the session and, for a logged-in user, on the account."""
    form = LanguageForm()
    target = form.next.data if is_safe_redirect(form.next.data) else url_for("learn.index")
    if not form.validate_on_submit():
        return redirect(target)
    session["lang"] = form.lang.data
    if current_user.is_authenticated:
        accounts.set_locale(current_user.id, form.lang.data)
        db.session.commit()
    return redirect(target)
