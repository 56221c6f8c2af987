from __future__ import annotations

import logging
from pathlib import Path

from flask import Blueprint, current_app, redirect, render_template, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from wtforms import HiddenField, SelectChoice, SelectField

from course.auth import operations as accounts
from course.core.text.markdown import render_markdown
from course.extensions import db
from course.i18n import LANGUAGE_NAMES, LANGUAGES, current_language
from course.security import is_safe_redirect

bp = Blueprint("site", __name__)
log = logging.getLogger(__name__)


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


# --- The operator's legal pages ----------------------------------------------------------------------------------
# Markdown files in the instance folder, written by whoever runs the site: `privacy.<lang>.md`, else the other
# language's, else `privacy.md` (the same for `imprint`). Read and rendered on every request (a small file, rarely
# asked for), so a changed file shows at once, without a restart.


def legal_files(name: str, lang: str) -> list[tuple[Path, str | None]]:
    """The files that may hold the page, in the order they are tried, each with the language it is written in."""
    folder = Path(current_app.instance_path)
    order = [lang, *(code for code in LANGUAGES if code != lang)]
    return [*((folder / f"{name}.{code}.md", code) for code in order), (folder / f"{name}.md", None)]


def legal_text(name: str, lang: str) -> tuple[str, str | None] | None:
    """(Markdown, its language) of the first file that exists, or None."""
    for path, text_lang in legal_files(name, lang):
        try:
            return path.read_text(encoding="utf-8"), text_lang
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError) as error:
            log.error("cannot read %s: %s", path, error)
    return None


def _legal_page(name: str):  # noqa: ANN202 - a response
    lang = current_language()
    found = legal_text(name, lang)
    body, body_lang = (render_markdown(found[0], lang, name).html, found[1]) if found else (None, None)
    files = [str(path) for path, _lang in legal_files(name, lang)]
    return render_template("site/legal.html", page=name, body=body, body_lang=body_lang, files=files)


@bp.get("/privacy")
def privacy():
    return _legal_page("privacy")


@bp.get("/imprint")
def imprint():
    return _legal_page("imprint")
