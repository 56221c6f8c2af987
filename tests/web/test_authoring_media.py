"""Lesson images in the studio: who may upload, what is refused, how images are stored (in the database, shared
by every app server) and served."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import event, select

from course.authoring import media_store
from course.core.media import check_image
from course.core.text.markdown import render_markdown
from course.extensions import db
from course.models import MediaFile
from tests.core.test_media import png_header_only
from tests.quiz_helpers import client_for, faster_apps


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    """Catalog builds and compiled templates shared between this module's many small apps."""
    return faster_apps(make_app, monkeypatch)


UPLOAD = "/studio/media"
SVG_WITH_SCRIPT = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" onload="alert(1)">'
    b'<script>alert("x")</script><rect width="5" height="5" fill="#0b5cad"/></svg>'
)


def png(size: tuple[int, int] = (4, 3), colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (6, 6), (0, 90, 0)).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture
def media_app(app: Flask) -> Flask:
    return app


@pytest.fixture
def trainer(media_app: Flask, make_user, login_as) -> FlaskClient:
    return login_as(make_user(role="trainer", locale="en"))


def upload(client: FlaskClient, data: bytes, filename: str = "chart.png", **kwargs: object):
    return client.post(
        UPLOAD, data={"image": (io.BytesIO(data), filename)}, content_type="multipart/form-data", **kwargs
    )


def stored(app: Flask) -> list[str]:
    """The names of the stored images, as the database holds them."""
    with app.app_context():
        names = sorted(db.session.scalars(select(MediaFile.name)))
        db.session.remove()
    return names


def stored_bytes(app: Flask, name: str) -> bytes:
    with app.app_context():
        data = db.session.scalar(select(MediaFile.data).where(MediaFile.name == name))
        db.session.remove()
    return bytes(data)


def png_name(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest() + ".png"


@pytest.mark.parametrize(("method", "role", "status"), [
    ("GET", None, 302), ("POST", None, 302), ("GET", "learner", 403), ("POST", "learner", 403),
    ("GET", "trainer", 200), ("GET", "admin", 200),
])  # fmt: skip
def test_only_staff_may_open_the_upload_page(media_app, client, make_user, login_as, method, role, status) -> None:
    if role:
        login_as(make_user(role=role))
    response = client.open(UPLOAD, method=method)
    assert response.status_code == status
    if role is None:
        assert response.headers["Location"].startswith("/auth/login")


def test_a_png_is_stored_under_its_hash_and_listed_with_its_markdown(trainer, media_app) -> None:
    data = png()
    name = png_name(data)
    response = upload(trainer, data)
    assert response.status_code == 302
    assert response.headers["Location"] == f"{UPLOAD}?uploaded={name}"
    assert stored(media_app) == [name]
    assert stored_bytes(media_app, name) == data
    page = trainer.get(response.headers["Location"]).get_data(as_text=True)
    assert "The image is uploaded." in page
    assert f"![alt text](/media/{name})" in page
    assert 'id="uploaded"' in page and "image/png" in page


def test_a_jpeg_with_any_extension_case_is_stored_as_jpg(trainer, media_app) -> None:
    data = jpeg()
    assert upload(trainer, data, "Photo.JPEG").status_code == 302
    assert stored(media_app) == [hashlib.sha256(data).hexdigest() + ".jpg"]
    with media_app.app_context():
        row = db.session.get(MediaFile, stored(media_app)[0])
        assert (row.media_type, row.size) == ("image/jpeg", len(data))


def test_the_same_image_twice_is_stored_once(trainer, media_app) -> None:
    upload(trainer, png())
    response = upload(trainer, png(), "again.png", follow_redirects=True)
    assert "This image was uploaded before" in response.get_data(as_text=True)
    assert len(stored(media_app)) == 1


def age(app: Flask, name: str, by: timedelta) -> None:
    """Move an image's upload time into the past, as if it had been uploaded earlier."""
    with app.app_context():
        row = db.session.get(MediaFile, name)
        row.uploaded_at -= by
        db.session.commit()


def test_images_are_listed_newest_first(trainer, media_app) -> None:
    first, second = png(colour=(1, 2, 3)), png(colour=(4, 5, 6))
    upload(trainer, first)
    upload(trainer, second)
    older, newer = png_name(first), png_name(second)
    age(media_app, older, timedelta(seconds=100))
    page = trainer.get(UPLOAD).get_data(as_text=True)
    assert page.index(newer) < page.index(older)


def test_uploading_an_image_again_lists_it_first_and_keeps_its_first_upload(trainer, media_app) -> None:
    first, second = png(colour=(1, 2, 3)), png(colour=(4, 5, 6))
    upload(trainer, first)
    upload(trainer, second)
    for name in (png_name(first), png_name(second)):
        age(media_app, name, timedelta(days=1))
    age(media_app, png_name(first), timedelta(seconds=100))
    with media_app.app_context():
        created = db.session.get(MediaFile, png_name(first)).created_at
    response = upload(trainer, first, "again.png", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "This image was uploaded before; it is the same file." in page
    assert page.index(png_name(first)) < page.index(png_name(second))
    with media_app.app_context():
        row = db.session.get(MediaFile, png_name(first))
        assert row.created_at == created < row.uploaded_at
    assert stored(media_app) == sorted([png_name(first), png_name(second)])


def test_a_concurrent_upload_of_the_same_image_counts_as_there(media_app, monkeypatch) -> None:
    """Another server inserts the image between this one's look and its insert: no error, one row."""
    image = check_image(png(), 1024 * 1024)
    with media_app.app_context():
        assert media_store.store_image(image) is True
        db.session.commit()
        looks: list[str] = []
        real_touch = media_store._touch

        def touch_after_the_other_server(name: str) -> bool:
            looks.append(name)
            return real_touch(name) if len(looks) > 1 else False  # the first look came before the other's commit

        monkeypatch.setattr(media_store, "_touch", touch_after_the_other_server)
        assert media_store.store_image(image) is False
        db.session.commit()
        assert looks == [image.name, image.name]
        db.session.remove()
    assert stored(media_app) == [image.name]


def test_the_studio_list_never_reads_the_images_bytes(trainer, media_app) -> None:
    for colour in ((1, 2, 3), (4, 5, 6)):
        upload(trainer, png(colour=colour))
    statements: list[str] = []

    def remember(conn, cursor, statement, *args) -> None:  # noqa: ANN001 - SQLAlchemy's event signature
        statements.append(statement)

    with media_app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", remember)
    try:
        page = trainer.get(UPLOAD)
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    assert page.status_code == 200
    assert any("media_files" in statement for statement in statements)
    assert not any("media_files.data" in statement for statement in statements)


def test_an_svg_is_sanitised_and_the_trainer_is_told_what_was_removed(trainer, media_app) -> None:
    response = upload(trainer, SVG_WITH_SCRIPT, "drawing.svg", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "these parts were removed from the SVG: onload, &lt;script&gt;" in page
    (name,) = stored(media_app)
    saved = stored_bytes(media_app, name)
    assert name == hashlib.sha256(saved).hexdigest() + ".svg"
    assert b"script" not in saved and b"onload" not in saved and b"<rect" in saved


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"GIF89a" + b"\x00" * 30, "sneaky.png", "This is not a PNG, JPEG or SVG image."),
        (b"<html><body>hi</body></html>", "page.svg", "This is not a PNG, JPEG or SVG image."),
        (png(), "chart.gif", "Only PNG, JPEG and SVG images are accepted."),
        (png()[:-20], "broken.png", "The image is damaged and cannot be read."),
        (b"", "empty.png", "The file is empty."),
        (png_header_only(60_000, 60_000), "bomb.png", "at most 16 million pixels are accepted"),
        (b'<!DOCTYPE svg [<!ENTITY x "y">]><svg>&x;</svg>', "entity.svg", "The SVG declares entities"),
    ],
)
def test_bad_uploads_get_a_message_at_the_field_and_store_nothing(trainer, media_app, data, filename, message) -> None:
    response = upload(trainer, data, filename)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message.replace("'", "&#39;") in page
    assert 'aria-invalid="true"' in page
    assert stored(media_app) == []


def test_a_missing_file_is_a_message_not_an_error(trainer) -> None:
    response = trainer.post(UPLOAD, data={}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose an image file." in response.get_data(as_text=True)


def test_the_size_limit_is_a_setting(make_app, make_user) -> None:
    app = make_app(MEDIA_MAX_BYTES=2048)
    client = client_for(app, make_user(role="trainer", locale="en"))
    response = upload(client, png((200, 200), (1, 1, 1)) + b"\x00" * 4096)
    assert response.status_code == 400
    assert "The file is too large: at most 2 KB." in response.get_data(as_text=True)
    assert stored(app) == []
    assert app.config["MEDIA_MAX_BYTES"] == 2048


@pytest.mark.parametrize("csrf", [False, True])  # with CSRF on, the body is read (and refused) before the view
def test_a_request_over_the_apps_limit_shows_the_form_with_a_message(make_app, make_user, csrf) -> None:
    app = make_app(MAX_CONTENT_LENGTH=8192, WTF_CSRF_ENABLED=csrf)
    client = client_for(app, make_user(role="trainer", locale="en"))
    response = upload(client, b"\x89PNG" + b"\x00" * 20_000)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "The file is too large: at most 1024 KB." in page
    assert '<form method="post" enctype="multipart/form-data"' in page


def test_nothing_is_written_to_the_servers_folder(trainer, media_app) -> None:
    upload(trainer, png())
    upload(trainer, SVG_WITH_SCRIPT, "x.svg")
    assert len(stored(media_app)) == 2
    assert not media_store.legacy_media_dir(media_app).exists()


def assert_served(response, data: bytes, media_type: str) -> None:
    assert response.status_code == 200
    assert response.data == data
    assert response.headers["Content-Type"].partition(";")[0] == media_type
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cache = response.headers["Cache-Control"]
    assert "immutable" in cache and "max-age=31536000" in cache and "public" in cache
    assert response.headers["ETag"] == f'"{hashlib.sha256(data).hexdigest()}"'


def test_images_are_served_to_everyone_with_safe_headers(trainer, media_app) -> None:
    data = png()
    upload(trainer, data)
    with media_app.test_client().get(f"/media/{png_name(data)}") as response:
        assert_served(response, data, "image/png")


def test_an_image_uploaded_through_one_server_is_served_by_another(
    media_app, trainer, make_app, make_user, monkeypatch, tmp_path
) -> None:
    """Two app servers on one database, each with its own instance folder, as behind a load balancer."""
    monkeypatch.setenv("COURSE_INSTANCE_PATH", str(tmp_path / "second-server"))
    second = make_app()
    assert second.instance_path != media_app.instance_path
    data, svg = png(), SVG_WITH_SCRIPT
    assert upload(trainer, data).status_code == 302
    assert upload(client_for(second, make_user(role="trainer", locale="en")), svg, "x.svg").status_code == 302
    with second.test_client().get(f"/media/{png_name(data)}") as response:
        assert_served(response, data, "image/png")
    (svg_name,) = [name for name in stored(media_app) if name.endswith(".svg")]
    with media_app.test_client().get(f"/media/{svg_name}") as response:
        assert_served(response, stored_bytes(second, svg_name), "image/svg+xml")
        assert response.headers["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    page = trainer.get(UPLOAD).get_data(as_text=True)
    assert png_name(data) in page and svg_name in page


@pytest.mark.parametrize("sent", ['"{hash}"', 'W/"{hash}"', '"other", "{hash}"', "*"])
def test_a_browser_with_the_image_cached_gets_a_304_without_the_bytes(trainer, media_app, sent: str) -> None:
    data = png()
    upload(trainer, data)
    etag = hashlib.sha256(data).hexdigest()
    with media_app.test_client().get(
        f"/media/{png_name(data)}", headers={"If-None-Match": sent.format(hash=etag)}
    ) as response:
        assert response.status_code == 304
        assert response.data == b""
        assert response.headers["ETag"] == f'"{etag}"'
        assert "immutable" in response.headers["Cache-Control"]


def test_another_etag_gets_the_image_and_an_unknown_name_a_404(trainer, media_app) -> None:
    data = png()
    upload(trainer, data)
    client = media_app.test_client()
    with client.get(f"/media/{png_name(data)}", headers={"If-None-Match": '"' + "0" * 64 + '"'}) as response:
        assert_served(response, data, "image/png")
    missing = "1" * 64
    with client.get(f"/media/{missing}.png", headers={"If-None-Match": f'"{missing}"'}) as response:
        assert response.status_code == 404


def test_svgs_are_served_with_a_policy_that_runs_nothing(trainer, media_app) -> None:
    upload(trainer, SVG_WITH_SCRIPT, "drawing.svg")
    (name,) = stored(media_app)
    with media_app.test_client().get(f"/media/{name}") as response:
        assert response.headers["Content-Type"].startswith("image/svg+xml")
        assert response.headers["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"


@pytest.mark.parametrize(
    "name",
    [
        "0" * 64 + ".png",  # well-formed, never uploaded
        "0" * 64 + ".gif",
        "0" * 64 + ".png%0A",
        "0" * 63 + ".png",
        "A" * 64 + ".png",
        "..%2Fconfig.py",
        "%2E%2E%2F%2E%2E%2Fcourse%2Fconfig.py",
        "x.png",
    ],
)
def test_unknown_or_odd_media_names_are_not_found(media_app, name: str) -> None:
    with media_app.test_client().get(f"/media/{name}") as response:
        assert response.status_code == 404


def test_the_site_policy_allows_images_from_the_site_itself(media_app) -> None:
    policy = media_app.test_client().get("/").headers["Content-Security-Policy"]
    assert "img-src 'self'" in policy


MEDIA_SRC = "/media/" + "ab" * 32 + ".png"


def test_a_lesson_shows_an_uploaded_image() -> None:
    html = render_markdown(f'![Bonus über drei Jahre]({MEDIA_SRC} "Verlauf")', "de", "lesson").html
    assert f'<img alt="Bonus über drei Jahre" src="{MEDIA_SRC}" title="Verlauf">' in html


def test_raw_html_images_keep_only_safe_attributes() -> None:
    html = render_markdown(
        f'<img src="{MEDIA_SRC}" alt="x" width="320" height="50%" onerror="alert(1)">', "en", "l"
    ).html
    assert f'<img src="{MEDIA_SRC}" alt="x" width="320">' in html


@pytest.mark.parametrize(
    "src",
    [
        "https://tracker.example/pixel.png",
        "//tracker.example/media/" + "ab" * 32 + ".png",
        "javascript:alert(1)",
        "data:image/png;base64,iVBORw0KGgo=",
        "/media/../instance/config.py",
        "/static/favicon.svg",
        MEDIA_SRC + "?v=1",
    ],
)
def test_a_lesson_drops_images_from_anywhere_else(src: str) -> None:
    markdown_html = render_markdown(f"Text ![Alt]({src}) more", "en", "lesson").html
    raw_html = render_markdown(f'<img src="{src}" alt="Alt"><img src=x onerror=alert(1)>', "en", "lesson").html
    for html in (markdown_html, raw_html):
        assert "<img" not in html and "tracker" not in html and "javascript" not in html
