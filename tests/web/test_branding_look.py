"""The site's own look (SITE_LOGO, SITE_ACCENT): checked at start (a colour below WCAG AA or a file that is not a
PNG or SVG stops it with a message that says what to change), served from hashed addresses cached for a year,
and shown without inline styles, which the Content-Security-Policy forbids."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pytest
from PIL import Image

from course import branding
from course.config import InsecureConfigError
from course.core.colour import parse, relative_luminance
from tests.quiz_helpers import faster_apps

LESSON = "/courses/kam-pay/lessons/kams-are-not-salespeople"
APP_CSS = Path(branding.__file__).parent / "static" / "css" / "app.css"
RED = "#e30613"  # 4.6:1 on white: passes on light pages, and dark pages get a lighter tint of it


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    return faster_apps(make_app, monkeypatch)


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    """The instance folder make_app gives every app (COURSE_INSTANCE_PATH)."""
    folder = tmp_path / "instance"
    folder.mkdir(exist_ok=True)
    return folder


def png_bytes(size: tuple[int, int] = (120, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", size, (227, 6, 19, 255)).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), (227, 6, 19)).save(buffer, format="JPEG")
    return buffer.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 20"><rect width="40" height="20" fill="#e30613"/></svg>'


def html(app, url: str = "/auth/login") -> str:
    response = app.test_client().get(url, headers={"Accept-Language": "en"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def brand_link(page: str) -> str:
    match = re.search(r'<a class="brand" href="[^"]*">(.*?)</a>', page, re.S)
    assert match, page
    return match.group(1)


def stylesheet_urls(page: str) -> list[str]:
    return re.findall(r'<link rel="stylesheet" href="(/brand/[^"]+)">', page)


def assert_cached_for_a_year(response, media_type: str) -> None:
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cache = response.cache_control
    assert (cache.public, cache.max_age, cache.immutable) == (True, 365 * 24 * 3600, True)


# --- The accent colour -----------------------------------------------------------------------------------------


def test_an_accent_colour_comes_as_a_stylesheet_with_a_hashed_address(make_app) -> None:
    app = make_app(SITE_ACCENT=RED)
    page = html(app)
    [url] = stylesheet_urls(page)
    assert re.fullmatch(r"/brand/accent-[0-9a-f]{16}\.css", url)
    assert page.index("/static/css/app.") < page.index(url)  # after app.css, so its properties win
    assert "<style" not in page and " style=" not in page  # the CSP allows neither
    response = app.test_client().get(url)
    assert_cached_for_a_year(response, "text/css")
    css = response.get_data(as_text=True)
    light, dark = css.split("prefers-color-scheme: dark")
    assert "@media screen {" in light and "--accent: #e30613;" in light and "--accent-text: #ffffff;" in light
    dark_accent = re.search(r"--accent: (#[0-9a-f]{6});", dark).group(1)
    assert dark_accent == app.config["SITE_ACCENT"]["dark"] != "#e30613"
    assert relative_luminance(parse(dark_accent)) > relative_luminance(parse("#e30613"))  # a lighter tint


def test_without_settings_no_stylesheet_no_logo_and_nothing_served(make_app) -> None:
    app = make_app()
    page = html(app)
    assert stylesheet_urls(page) == [] and "brand__logo" not in page
    assert app.test_client().get("/brand/accent-0000000000000000.css").status_code == 404


def test_a_wrong_hash_is_not_found(make_app) -> None:
    app = make_app(SITE_ACCENT=RED)
    [url] = stylesheet_urls(html(app))
    client = app.test_client()
    for wrong in (url.replace("accent-", "accent-0"), "/brand/accent-" + "f" * 16 + ".css", "/brand/app.css"):
        assert client.get(wrong).status_code == 404


def test_another_colour_gets_another_address(make_app) -> None:
    first = stylesheet_urls(html(make_app(SITE_ACCENT=RED)))
    second = stylesheet_urls(html(make_app(SITE_ACCENT="#005f5a")))
    assert first != second


def test_one_colour_per_scheme_is_used_as_given(make_app) -> None:
    app = make_app(SITE_ACCENT={"light": "#005F5A", "dark": "#7fd3cc"})
    assert app.config["SITE_ACCENT"] == {"light": "#005f5a", "dark": "#7fd3cc"}
    css = app.extensions["brand"].stylesheet.data.decode()
    assert "--accent: #005f5a;" in css and "--accent: #7fd3cc;" in css


def test_the_environment_gives_a_colour_or_json_per_scheme(make_app, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_SITE_ACCENT", "#06c")
    assert make_app().config["SITE_ACCENT"]["light"] == "#0066cc"
    monkeypatch.setenv("COURSE_SITE_ACCENT", '{"light": "#005f5a", "dark": "#7fd3cc"}')
    assert make_app().config["SITE_ACCENT"] == {"light": "#005f5a", "dark": "#7fd3cc"}


def test_a_cached_lesson_page_links_the_stylesheet_too(make_app) -> None:
    app = make_app(SITE_ACCENT=RED, SITE_LOGO=None)
    first, second = html(app, LESSON), html(app, LESSON)  # the second comes from the cached shell
    assert stylesheet_urls(first) == stylesheet_urls(second) != []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0b5cad", "SITE_ACCENT: '0b5cad' is not a colour written as #rrggbb or #rgb, e.g. '#0b5cad'."),
        ("blue", "SITE_ACCENT: 'blue' is not a colour written as #rrggbb or #rgb"),
        (42, "SITE_ACCENT: 42 is not a colour"),
        ({"light": "#0b5cad"}, "SITE_ACCENT must be one colour like '#0b5cad' or {'light': '#0b5cad', 'dark':"),
        ({"light": "#0b5cad", "dark": "#7fb6f2", "print": "#000"}, "SITE_ACCENT must be one colour like"),
        (
            "#ffcc00",
            "SITE_ACCENT #ffcc00 fails WCAG AA contrast on the light colour scheme: links on the page background"
            " 1.46:1, links on cards 1.51:1",
        ),
        ("#00a19a", "links on cards 3.20:1"),
        ("#00a19a", "text needs at least 4.5:1. Choose a darker colour (or give one per scheme:"),
        (
            {"light": "#0b5cad", "dark": "#0b5cad"},
            "SITE_ACCENT #0b5cad fails WCAG AA contrast on the dark colour scheme: links on the page background",
        ),
        ({"light": "#0b5cad", "dark": "#0b5cad"}, "Choose a lighter colour."),
    ],
)
def test_an_accent_that_cannot_be_used_stops_the_start(make_app, value: object, message: str) -> None:
    with pytest.raises(InsecureConfigError, match=re.escape(message)):
        make_app(SITE_ACCENT=value)


def test_the_schemes_checked_are_app_css_own_colours() -> None:
    """The accent is checked against the page colours in branding.py: they must be app.css's."""
    css = APP_CSS.read_text(encoding="utf-8")
    light = re.search(r"^:root \{(.*?)\}", css, re.S | re.M).group(1)
    dark = re.search(r"prefers-color-scheme: dark\) \{\s*:root \{(.*?)\}", css, re.S).group(1)
    for block, scheme in ((light, branding.LIGHT), (dark, branding.DARK)):
        properties = dict(re.findall(r"--([a-z-]+):\s*([^;]+);", block))
        expected = (scheme.background, scheme.surface, scheme.text)
        assert tuple(parse(properties[name]) for name in ("bg", "surface", "text")) == expected, scheme.name


# --- The logo --------------------------------------------------------------------------------------------------


def test_a_png_logo_in_the_instance_folder_shows_in_the_header(make_app, instance: Path) -> None:
    (instance / "logo.png").write_bytes(png_bytes((120, 40)))
    app = make_app(SITE_NAME="Acme Sales Academy", SITE_LOGO="logo.png")
    link = brand_link(html(app))
    logo = r'<img class="brand__logo" src="(/brand/logo-[0-9a-f]{16}\.png)" alt="" width="120" height="40">'
    match = re.fullmatch(logo + "Acme Sales Academy", link)
    assert match, link  # the name stays the link's text; the image beside it adds nothing to read aloud
    response = app.test_client().get(match.group(1))
    assert_cached_for_a_year(response, "image/png")
    assert response.data == png_bytes((120, 40))


def test_an_svg_logo_is_served_sanitised_with_its_own_policy(make_app, tmp_path: Path, caplog) -> None:
    logo = tmp_path / "acme.svg"  # an absolute path, outside the instance folder
    logo.write_bytes(SVG.replace(b"</svg>", b'<script>alert(1)</script><a href="javascript:x"/></svg>').replace(
        b"<svg ", b'<svg onload="alert(2)" '))  # fmt: skip
    with caplog.at_level(logging.WARNING):
        app = make_app(SITE_LOGO=str(logo))
    assert f"SITE_LOGO {logo}: removed onload, <script>, <a>, which a logo may not contain" in caplog.text
    link = brand_link(html(app, LESSON))
    url = re.search(r'src="(/brand/logo-[0-9a-f]{16}\.svg)" alt="">', link).group(1)
    assert "width=" not in link  # an SVG scales from its viewBox
    response = app.test_client().get(url)
    assert_cached_for_a_year(response, "image/svg+xml")
    assert response.headers["Content-Security-Policy"] == branding.SVG_POLICY
    body = response.get_data(as_text=True)
    assert "<rect" in body and "script" not in body and "alert" not in body and "javascript" not in body


def logo_file(instance: Path, name: str, data: bytes | None) -> str:
    if data is not None:
        (instance / name).write_bytes(data)
    return name


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("missing.png", None, "SITE_LOGO '{instance}/missing.png' does not exist (a relative path is read from the"),
        ("notes.png", b"just some text", "cannot be used: This is not a PNG, JPEG or SVG image."),
        ("empty.svg", b"", "cannot be used: The file is empty."),
        ("big.svg", SVG[:-6] + b" " * 300_000 + b"</svg>", "cannot be used: The file is too large: at most 256 KB."),
        ("photo.jpg", jpeg_bytes(), "is a JPEG; a logo must be a PNG or an SVG"),
        ("broken.svg", b"<svg><rect></svg>", "cannot be used: The SVG is not well-formed XML (line 1)."),
        ("only-script.svg", b"<svg><script>alert(1)</script></svg>", "Nothing drawable is left in the SVG"),
    ],
)
def test_a_logo_that_cannot_be_used_stops_the_start(
    make_app, instance: Path, name: str, data: bytes | None, message: str
) -> None:
    with pytest.raises(InsecureConfigError, match=re.escape(message.format(instance=instance))):
        make_app(SITE_LOGO=logo_file(instance, name, data))


def test_a_folder_or_a_number_is_no_logo(make_app, instance: Path) -> None:
    (instance / "logos").mkdir()
    with pytest.raises(InsecureConfigError, match=re.escape(f"SITE_LOGO '{instance / 'logos'}' cannot be read:")):
        make_app(SITE_LOGO="logos")
    with pytest.raises(InsecureConfigError, match="SITE_LOGO must be the path of a PNG or SVG file, not 7."):
        make_app(SITE_LOGO=7)
