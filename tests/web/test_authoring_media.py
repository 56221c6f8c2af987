"""Lesson images in the studio: who may upload, what is refused, how files are stored and served."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from course.core.text.markdown import render_markdown
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
def app(make_app, tmp_path: Path) -> Flask:
    return make_app(MEDIA_DIR=str(tmp_path / "media"))


@pytest.fixture
def media_app(app: Flask) -> Flask:
    return app


@pytest.fixture
def media_dir(media_app: Flask) -> Path:
    return Path(media_app.config["MEDIA_DIR"])


@pytest.fixture
def trainer(media_app: Flask, make_user, login_as) -> FlaskClient:
    return login_as(make_user(role="trainer", locale="en"))


def upload(client: FlaskClient, data: bytes, filename: str = "chart.png", **kwargs: object):
    return client.post(
        UPLOAD, data={"image": (io.BytesIO(data), filename)}, content_type="multipart/form-data", **kwargs
    )


def stored(media_dir: Path) -> list[str]:
    return sorted(path.name for path in media_dir.iterdir()) if media_dir.exists() else []


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


def test_a_png_is_stored_under_its_hash_and_listed_with_its_markdown(trainer, media_dir) -> None:
    data = png()
    name = hashlib.sha256(data).hexdigest() + ".png"
    response = upload(trainer, data)
    assert response.status_code == 302
    assert response.headers["Location"] == f"{UPLOAD}?uploaded={name}"
    assert stored(media_dir) == [name]
    assert (media_dir / name).read_bytes() == data
    page = trainer.get(response.headers["Location"]).get_data(as_text=True)
    assert "The image is uploaded." in page
    assert f"![alt text](/media/{name})" in page
    assert 'id="uploaded"' in page and "image/png" in page


def test_a_jpeg_with_any_extension_case_is_stored_as_jpg(trainer, media_dir) -> None:
    data = jpeg()
    assert upload(trainer, data, "Photo.JPEG").status_code == 302
    assert stored(media_dir) == [hashlib.sha256(data).hexdigest() + ".jpg"]


def test_the_same_image_twice_is_stored_once(trainer, media_dir) -> None:
    upload(trainer, png())
    response = upload(trainer, png(), "again.png", follow_redirects=True)
    assert "This image was uploaded before" in response.get_data(as_text=True)
    assert len(stored(media_dir)) == 1


def test_images_are_listed_newest_first(trainer, media_dir) -> None:
    first, second = png(colour=(1, 2, 3)), png(colour=(4, 5, 6))
    upload(trainer, first)
    upload(trainer, second)
    older = media_dir / (hashlib.sha256(first).hexdigest() + ".png")
    newer = hashlib.sha256(second).hexdigest() + ".png"
    stat = older.stat()
    os.utime(older, (stat.st_atime - 100, stat.st_mtime - 100))
    page = trainer.get(UPLOAD).get_data(as_text=True)
    assert page.index(newer) < page.index(older.name)


def test_an_svg_is_sanitised_and_the_trainer_is_told_what_was_removed(trainer, media_dir) -> None:
    response = upload(trainer, SVG_WITH_SCRIPT, "drawing.svg", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "these parts were removed from the SVG: onload, &lt;script&gt;" in page
    (name,) = stored(media_dir)
    saved = (media_dir / name).read_bytes()
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
def test_bad_uploads_get_a_message_at_the_field_and_store_nothing(trainer, media_dir, data, filename, message) -> None:
    response = upload(trainer, data, filename)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message.replace("'", "&#39;") in page
    assert 'aria-invalid="true"' in page
    assert stored(media_dir) == []


def test_a_missing_file_is_a_message_not_an_error(trainer, media_dir) -> None:
    response = trainer.post(UPLOAD, data={}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose an image file." in response.get_data(as_text=True)


def test_the_size_limit_is_a_setting(make_app, tmp_path, make_user) -> None:
    app = make_app(MEDIA_DIR=str(tmp_path / "m"), MEDIA_MAX_BYTES=2048)
    client = client_for(app, make_user(role="trainer", locale="en"))
    response = upload(client, png((200, 200), (1, 1, 1)) + b"\x00" * 4096)
    assert response.status_code == 400
    assert "The file is too large: at most 2 KB." in response.get_data(as_text=True)
    assert not (tmp_path / "m").exists() or stored(tmp_path / "m") == []
    assert app.config["MEDIA_MAX_BYTES"] == 2048


@pytest.mark.parametrize("csrf", [False, True])  # with CSRF on, the body is read (and refused) before the view
def test_a_request_over_the_apps_limit_shows_the_form_with_a_message(make_app, tmp_path, make_user, csrf) -> None:
    app = make_app(MEDIA_DIR=str(tmp_path / "m"), MAX_CONTENT_LENGTH=8192, WTF_CSRF_ENABLED=csrf)
    client = client_for(app, make_user(role="trainer", locale="en"))
    response = upload(client, b"\x89PNG" + b"\x00" * 20_000)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "The file is too large: at most 1024 KB." in page
    assert '<form method="post" enctype="multipart/form-data"' in page


def test_no_temporary_files_are_left_behind(trainer, media_dir) -> None:
    upload(trainer, png())
    upload(trainer, SVG_WITH_SCRIPT, "x.svg")
    assert all(not name.startswith(".") for name in stored(media_dir))


def test_images_are_served_to_everyone_with_safe_headers(trainer, media_app, media_dir) -> None:
    data = png()
    upload(trainer, data)
    name = hashlib.sha256(data).hexdigest() + ".png"
    with media_app.test_client().get(f"/media/{name}") as response:
        assert response.status_code == 200
        assert response.data == data
        assert response.headers["Content-Type"] == "image/png"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        cache = response.headers["Cache-Control"]
        assert "immutable" in cache and "max-age=31536000" in cache and "public" in cache


def test_svgs_are_served_with_a_policy_that_runs_nothing(trainer, media_app, media_dir) -> None:
    upload(trainer, SVG_WITH_SCRIPT, "drawing.svg")
    (name,) = stored(media_dir)
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
