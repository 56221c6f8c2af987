"""Static files under hashed names, cached for a year; plain names revalidated; text compressed when the client
accepts it, never where it must not be (course/assets.py, course/compression.py)."""

from __future__ import annotations

import gzip
import hashlib
import posixpath
import re
from pathlib import Path

import brotli
import pytest
from backports import zstd
from flask import Response

from course.assets import CACHE_SECONDS, content_hash
from course.config import InsecureConfigError
from tests.quiz_helpers import faster_apps
from tests.web.test_certificates_routes import issued

STATIC = Path(__file__).resolve().parents[2] / "course" / "static"
LESSON = "/courses/kam-pay/lessons/kams-are-not-salespeople"
SANDBOX = "/courses/kam-pay/sandbox"
HASHED = re.compile(r'(?:href|src)="/static/([\w/.-]+)"')
APP_CSS = (STATIC / "css" / "app.css").read_bytes()
YEAR = f"public, max-age={CACHE_SECONDS}, immutable"
GZIP = {"Accept-Encoding": "gzip"}
BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd", "Sec-Fetch-Site": "same-origin"}


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    return faster_apps(make_app, monkeypatch)


def static_urls(page: str) -> list[str]:
    return HASHED.findall(page)


def hashed_app_css(client) -> str:
    return next(name for name in static_urls(client.get(LESSON).get_data(as_text=True)) if name.startswith("css/app."))


def decoded(response) -> bytes:
    decoders = {None: bytes, "gzip": gzip.decompress, "br": brotli.decompress, "zstd": zstd.decompress}
    return decoders[response.headers.get("Content-Encoding")](response.data)


# --- Hashed names ---------------------------------------------------------------------------------------------------


def test_pages_name_every_static_file_by_the_hash_of_its_content(app, client, make_user, login_as) -> None:
    login_as(make_user())
    names = static_urls(client.get(LESSON).get_data(as_text=True)) + static_urls(
        client.get(SANDBOX).get_data(as_text=True)
    )
    assert {"css/app.css", "css/sandbox.css", "js/path.js", "favicon.svg"} <= {
        re.sub(r"\.[0-9a-f]{16}\.", ".", name) for name in names
    }
    for name in names:
        plain = re.fullmatch(r"(.+)\.([0-9a-f]{16})(\.\w+)", name)
        assert plain, f"/static/{name} carries no hash"
        assert plain.group(2) == content_hash((STATIC / (plain.group(1) + plain.group(3))).read_bytes())


def test_a_hashed_name_is_cached_for_a_year_and_serves_the_file(client) -> None:
    response = client.get(f"/static/{hashed_app_css(client)}")
    assert response.status_code == 200 and response.data == APP_CSS
    assert response.headers["Cache-Control"] == YEAR
    assert response.mimetype == "text/css" and "Content-Encoding" not in response.headers
    head = client.head(f"/static/{hashed_app_css(client)}")
    assert head.status_code == 200 and head.headers["Content-Length"] == str(len(APP_CSS))


@pytest.mark.parametrize(
    "name",
    [
        "css/app.0123456789abcdef.css",  # a hash that is not the content's: never old bytes under a lasting name
        "css/app.0123456789abcdef",
        "css/nothing.css",
        "../config.py",
        "css/../../config.py",
    ],
)
def test_a_stale_hash_or_an_unknown_file_is_not_found(client, name: str) -> None:
    response = client.get(f"/static/{name}")
    assert response.status_code == 404
    assert "immutable" not in response.headers.get("Cache-Control", "")


def test_the_plain_name_still_works_and_is_revalidated(client) -> None:
    response = client.get("/static/css/app.css")
    assert response.status_code == 200 and response.data == APP_CSS
    assert response.headers["Cache-Control"] == "no-cache"
    etag = response.headers["ETag"]
    assert etag == f'"{content_hash(APP_CSS)}"'
    again = client.get("/static/css/app.css", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.get("/static/css/app.css", headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_debug_mode_serves_plain_names_from_disk(make_app) -> None:
    client = make_app(DEBUG=True).test_client()
    page = client.get(LESSON).get_data(as_text=True)
    assert "css/app.css" in static_urls(page)
    with client.get("/static/css/app.css") as response:  # a file on disk, closed with the response
        assert response.data == APP_CSS
    assert client.get(f"/static/css/app.{content_hash(APP_CSS)}.css").status_code == 404


def test_every_file_a_stylesheet_names_is_served_under_that_name(client) -> None:
    """A stylesheet served under its hashed name resolves a relative url(...) to a plain name, which is served."""
    for sheet in sorted(STATIC.rglob("*.css")):
        base = sheet.parent.relative_to(STATIC).as_posix()
        for target in re.findall(r"url\(\s*['\"]?([^'\")]+)", sheet.read_text(encoding="utf-8")):
            if target.startswith(("data:", "#")):
                continue
            assert not target.startswith(("/", "http:", "https:", "//")), f"{sheet.name}: url({target}) is not relative"
            resolved = posixpath.normpath(f"{base}/{target.split('?')[0]}")  # as a browser resolves it
            served = client.get(f"/static/{resolved}")
            assert served.status_code == 200, f"{sheet.name}: url({target})"


# --- Compressed static files -----------------------------------------------------------------------------------------


def test_a_static_file_is_sent_compressed_when_accepted(client) -> None:
    url = f"/static/{hashed_app_css(client)}"
    plain = client.get(url)
    for headers, encoding in [
        (GZIP, "gzip"),
        (BROWSER, "br"),  # the smallest the client takes
        ({"Accept-Encoding": "br;q=0.5, gzip"}, "gzip"),
        ({"Accept-Encoding": "br;q=0, gzip;q=0"}, None),
        ({"Accept-Encoding": "identity"}, None),
        ({"Accept-Encoding": "zstd"}, None),  # not kept for static files, and not compressed per request either
    ]:
        response = client.get(url, headers=headers)
        assert response.headers.get("Content-Encoding") == encoding, headers
        assert decoded(response) == APP_CSS
        assert "Accept-Encoding" in response.headers["Vary"]
        assert response.headers["Cache-Control"] == YEAR
        if encoding:
            assert len(response.data) < len(APP_CSS) / 3
            assert response.headers["ETag"] != plain.headers["ETag"]
    assert "Accept-Encoding" in plain.headers["Vary"]


def test_a_compressed_static_file_answers_a_conditional_request(client) -> None:
    etag = client.get("/static/css/app.css", headers=GZIP).headers["ETag"]
    assert etag == f'"{content_hash(APP_CSS)}:gzip"'
    again = client.get("/static/css/app.css", headers={**GZIP, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag and "Accept-Encoding" in again.headers["Vary"]
    # The plain bytes' validator does not stand for the gzip bytes, nor the other way round.
    plain_etag = client.get("/static/css/app.css").headers["ETag"]
    assert client.get("/static/css/app.css", headers={**GZIP, "If-None-Match": plain_etag}).status_code == 200
    assert client.get("/static/css/app.css", headers={"If-None-Match": etag}).status_code == 200


def test_a_tiny_static_file_is_sent_as_it_is(client) -> None:
    response = client.get("/static/favicon.svg", headers=BROWSER)
    assert response.status_code == 200 and "Content-Encoding" not in response.headers
    assert response.data == (STATIC / "favicon.svg").read_bytes()


# --- Compressed pages ------------------------------------------------------------------------------------------------


def test_a_page_is_compressed_when_accepted_and_the_same_page_when_not(client) -> None:
    plain = client.get(LESSON)
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    for headers, encoding in [
        (GZIP, "gzip"),
        ({"Accept-Encoding": "gzip, deflate, br"}, "br"),
        (BROWSER, "zstd"),
        ({"Accept-Encoding": "gzip;q=0"}, None),
        ({"Accept-Encoding": "gzip;q=0, *"}, "zstd"),
        ({"Accept-Encoding": "identity"}, None),
    ]:
        response = client.get(LESSON, headers=headers)
        assert response.status_code == 200 and response.headers.get("Content-Encoding") == encoding, headers
        assert "Accept-Encoding" in response.headers["Vary"]
        assert decoded(response) == plain.data
        if encoding:
            assert len(response.data) < len(plain.data) / 2
            assert response.headers["Content-Length"] == str(len(response.data))


def test_a_logged_in_page_is_compressed_with_its_own_holes(app, client, make_user, login_as) -> None:
    login_as(make_user(display_name="Zoë Ångström"))
    response = client.get(LESSON, headers=BROWSER)
    assert response.headers["Content-Encoding"] == "zstd"
    assert "Zoë Ångström" in decoded(response).decode()


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_a_page_another_site_made_the_browser_load_is_not_compressed(client, site: str) -> None:
    """The CSRF token and the reflected query string in one compressed body would leak the token through its length
    to a page that loads it many times (BREACH)."""
    response = client.get(f"{LESSON}?x=csrf_token", headers={**BROWSER, "Sec-Fetch-Site": site})
    assert response.status_code == 200 and "Content-Encoding" not in response.headers
    typed = client.get(LESSON, headers={**BROWSER, "Sec-Fetch-Site": "none"})
    assert typed.headers["Content-Encoding"] == "zstd"


def test_json_is_compressed(client) -> None:
    response = client.get("/api/v1/openapi.json", headers=GZIP)
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
    assert decoded(response) == client.get("/api/v1/openapi.json").data


def test_a_pdf_and_a_zip_are_never_compressed(app, client, make_user, login_as) -> None:
    _learner, pid = issued(app, client, make_user, login_as)
    pdf = client.get(f"/certificates/{pid}/certificate.pdf", headers=BROWSER)
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert "Content-Encoding" not in pdf.headers
    export = client.post("/account/export", headers=BROWSER)
    assert export.mimetype == "application/zip" and export.data.startswith(b"PK")
    assert "Content-Encoding" not in export.headers


def test_a_streamed_response_is_sent_as_it_is_made(make_app) -> None:
    """A download written row by row must reach the client row by row; compressing it would hold rows back."""
    app = make_app()
    rows = [f"{number};{'x' * 100}\r\n" for number in range(100)]
    app.add_url_rule("/streamed.csv", "streamed", lambda: Response(iter(rows), mimetype="text/csv"))
    response = app.test_client().get("/streamed.csv", headers=BROWSER)
    assert response.status_code == 200 and response.is_streamed
    assert "Content-Encoding" not in response.headers and response.get_data(as_text=True) == "".join(rows)


def test_a_small_response_is_sent_as_it_is(client) -> None:
    response = client.get("/healthz", headers=BROWSER)
    assert response.status_code in (200, 503) and "Content-Encoding" not in response.headers


# --- The switch ------------------------------------------------------------------------------------------------------


def test_compression_can_be_left_to_a_proxy(make_app) -> None:
    client = make_app(COMPRESS_RESPONSES=False).test_client()
    page = client.get(LESSON, headers=BROWSER)
    assert "Content-Encoding" not in page.headers and "Accept-Encoding" not in page.headers.get("Vary", "")
    name = hashed_app_css(client)  # still hashed names: they cost nothing per request
    css = client.get(f"/static/{name}", headers=BROWSER)
    assert css.data == APP_CSS and "Content-Encoding" not in css.headers
    assert css.headers["Cache-Control"] == YEAR


def test_the_switch_comes_from_the_environment(make_app, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_COMPRESS_RESPONSES", "false")
    app = make_app()
    assert app.config["COMPRESS_RESPONSES"] is False
    assert "Content-Encoding" not in app.test_client().get(LESSON, headers=GZIP).headers


@pytest.mark.parametrize("value", ["no", 0, None])
def test_a_switch_that_is_not_true_or_false_stops_the_start(make_app, value: object) -> None:
    with pytest.raises(InsecureConfigError, match="COMPRESS_RESPONSES must be true or false"):
        make_app(COMPRESS_RESPONSES=value)


def test_the_content_hash_is_the_start_of_the_sha256() -> None:
    assert content_hash(b"abc") == hashlib.sha256(b"abc").hexdigest()[:16]
