"""Lesson figures from the studio: the lesson editor lists the figures the lesson shows with a preview, replaces
one with a cleaned SVG and publishes it, adds a new one and names the Markdown line; bad files change nothing."""

from __future__ import annotations

import io

import pytest
from flask import Flask

from course.publishing import operations as publishing
from tests.web.test_authoring_forms import LESSON, app, page_text, trainer_client

__all__ = ["app", "trainer_client"]  # fixtures

URL = f"/studio/files/{LESSON}/figures"
FIGURE = "kam-pay/figures/mandate-questions.de.svg"
GOOD = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 50" style="color: red">'
    b'<script>alert(1)</script><rect class="fig-accent" x="1" y="1" width="20" height="20"/>'
    b'<text x="30" y="20">Neu</text></svg>'
)


def upload(client, data: bytes, name: str, replace: str = "", filename: str = "drawing.svg"):
    form = {"fig-name": name, "fig-replace": replace, "fig-figure": (io.BytesIO(data), filename)}
    return client.post(URL, data=form, content_type="multipart/form-data")


def revisions(app: Flask, path: str) -> list:
    with app.app_context():
        return [(r.number, r.status, r.source) for r in publishing.revisions(path)]


def test_the_lesson_editor_lists_its_figures_with_a_preview_and_a_replace_form(app: Flask, trainer_client) -> None:
    page = page_text(trainer_client.get(f"/studio/files/{LESSON}"))
    section = page.split('id="figures"')[1]
    assert "mandate-questions.de.svg" in section and '<figure class="lesson-figure"' in section
    assert 'name="fig-replace" value="mandate-questions.de.svg"' in section and "Add a figure" in section


def test_a_figure_is_replaced_cleaned_and_published(app: Flask, trainer_client) -> None:
    before = len(revisions(app, FIGURE))
    response = upload(trainer_client, GOOD, "mandate-questions.de.svg", replace="mandate-questions.de.svg")
    assert response.status_code == 302 and response.headers["Location"].endswith("#figures")
    number, status, source = revisions(app, FIGURE)[0]
    assert len(revisions(app, FIGURE)) == before + 1 and status == "published"
    assert "<script" not in source and "Neu" in source
    lesson = page_text(trainer_client.get("/courses/kam-pay/lessons/kam-mandate", headers={"Accept-Language": "de"}))
    assert ">Neu</text>" in lesson and "color: red" not in lesson  # style goes when the lesson inlines it


def test_a_new_figure_is_added_and_the_page_names_the_line_to_insert(app: Flask, trainer_client) -> None:
    response = upload(trainer_client, GOOD, "studio-drawing")
    assert response.status_code == 302
    assert revisions(app, "kam-pay/figures/studio-drawing.svg")[0][1] == "published"
    page = page_text(trainer_client.get(response.headers["Location"]))
    assert "](figures/studio-drawing.svg" in page
    again = upload(trainer_client, GOOD, "studio-drawing.svg")  # the same name again without "Replace"
    assert "exists already" in page_text(trainer_client.get(again.headers["Location"]))
    assert len(revisions(app, "kam-pay/figures/studio-drawing.svg")) == 1


@pytest.mark.parametrize(
    ("data", "name", "filename", "message"),
    [
        (GOOD.replace(b' viewBox="0 0 100 50"', b""), "new-one", "a.svg", "needs a viewBox"),
        (b"<html>not a drawing</html>", "new-one", "a.svg", "The figure was not saved"),
        (b"\x89PNG\r\n", "new-one", "a.svg", "The figure was not saved"),
        (GOOD, "Bad Name", "a.svg", "Use lowercase letters"),
        (GOOD, "../escape", "a.svg", "Use lowercase letters"),
        (GOOD, "new-one", "a.png", "Upload an .svg file."),
    ],
)
def test_bad_figures_are_refused_with_a_message(app: Flask, trainer_client, data, name, filename, message) -> None:
    response = upload(trainer_client, data, name, filename=filename)
    assert response.status_code == 302
    assert message in page_text(trainer_client.get(response.headers["Location"]))
    assert revisions(app, "kam-pay/figures/new-one.svg") == []


def test_only_trainers_upload_figures(app: Flask, client, make_user, login_as, make_app) -> None:
    assert upload(client, GOOD, "x").headers["Location"].startswith("/auth/login")
    login_as(make_user(role="learner"))
    assert upload(client, GOOD, "x").status_code == 403
    from tests.sessions import sign_in

    csrf_client = sign_in(make_app(WTF_CSRF_ENABLED=True).test_client(), make_user(role="trainer").id)
    assert upload(csrf_client, GOOD, "x").status_code == 400
    assert revisions(app, "kam-pay/figures/x.svg") == []
    assert csrf_client.post("/studio/files/kam-pay/course.yml/figures").status_code in (400, 404)
